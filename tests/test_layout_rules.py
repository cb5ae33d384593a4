"""The rules of layout detection, one by one (``forecastr.ingest.layout``).

:func:`detect_layout` applies them in order; ``tests/test_data.py`` and
``tests/test_cli_info.py`` check the whole on real files. Here each rule gets its own inputs.
"""

from __future__ import annotations

import pytest

from forecastr.errors import InputError
from forecastr.ingest.layout import (
    ColumnRoles,
    detect_layout,
    flag_column,
    long_target,
    named_id_column,
    refuse_id_outside_long,
    refuse_time_as_id,
    text_id_column,
    time_column,
    value_columns,
    wide_or_single,
)
from forecastr.ingest.options import IngestOptions
from forecastr.ingest.sniff import open_source

HEADER = ["Date", "Store", "Sales", "Unnamed: 3"]


def test_flag_column_matches_exactly_then_ignoring_case_and_spaces():
    assert flag_column(None, HEADER, "f.csv", "--id-col") is None
    assert flag_column("Store", HEADER, "f.csv", "--id-col") == "Store"
    assert flag_column(" store ", HEADER, "f.csv", "--id-col") == "Store"
    with pytest.raises(InputError, match=r"f.csv: no column named 'shop' \(given by --id-col\)"):
        flag_column("shop", HEADER, "f.csv", "--id-col")
    # Two columns equal but for case: the flag must name one exactly.
    with pytest.raises(InputError, match="given by --target"):
        flag_column(" a", ["ds", "A", "a"], "f.csv", "--target")


def test_an_id_column_is_refused_outside_the_long_layout():
    refuse_id_outside_long("Store", "long", "f.csv")
    refuse_id_outside_long("Store", "auto", "f.csv")
    refuse_id_outside_long(None, "wide", "f.csv")
    for layout in ("wide", "single"):
        with pytest.raises(InputError, match="only the long layout has"):
            refuse_id_outside_long("Store", layout, "f.csv")


def test_named_id_column_finds_an_id_like_name_but_not_the_time_or_target():
    assert named_id_column(["ds", "unique_id", "y"], None, None) == "unique_id"
    assert named_id_column(["ds", "Series", "y"], None, None) == "Series"
    assert named_id_column(["ds", "store", "y"], None, None) is None
    assert named_id_column(["id", "y"], "id", None) is None  # --time-col id
    assert named_id_column(["ds", "key", "y"], None, "key") is None  # --target key


def test_time_column_is_the_time_like_name_else_the_first_other_column():
    assert time_column(["unique_id", "y", "Timestamp"], "unique_id") == "Timestamp"
    assert time_column(["unique_id", "when", "y"], "unique_id") == "when"
    assert time_column(["when", "y"], None) == "when"


def test_with_no_time_like_name_the_first_column_of_dates_is_the_time(write_csv):
    """A parking file: id, two counts, then its stamps under a name no list holds."""
    text = (
        "SystemCodeNumber,Capacity,Occupancy,LastUpdated\n"
        "BHM01,577,61,2016-10-04 07:59:42\n"
        "BHM01,577,64,2016-10-04 08:25:42\n"
        "BHM02,220,30,2016-10-04 07:59:42\n"
    )
    src = open_source(str(write_csv(text)))
    assert time_column(src.header, None, src.sample) == "LastUpdated"
    roles = detect_layout(src, IngestOptions(target="Occupancy"))
    assert (roles.id_col, roles.time_col) == ("SystemCodeNumber", "LastUpdated")
    assert roles.layout == "long"
    with pytest.raises(InputError, match=r"pass --target \(columns: Capacity, Occupancy\)"):
        detect_layout(src, IngestOptions())
    # Numbers are not sniffed as dates (an integer index stays the first column), nor is
    # text that does not parse; the first column is kept, as before.
    numbers = open_source(str(write_csv("k,a,b\n1,2,3\n2,4,5\n")))
    assert time_column(numbers.header, None, numbers.sample) == "k"
    plain = open_source(str(write_csv("k,a,when\n1,x,soon\n2,y,later\n")))
    assert time_column(plain.header, None, plain.sample) == "k"


def test_a_time_name_over_measurements_gives_way(write_csv):
    """A temperature ``T`` beside stamps under another name, a runner's ``Time`` beside the
    ``Year``: named like times, they hold fractional numbers; R's decimal years stay."""
    weather = open_source(str(write_csv("ts,CO,T\n2004-03-10 18:00,2.6,13.6\n"
                                        "2004-03-10 19:00,2.0,13.3\n")))  # fmt: skip
    assert time_column(weather.header, None, weather.sample) == "ts"
    runs = open_source(str(write_csv("Time,Year,Sex\n12.0,1896,men\n11.1,1900,men\n")))
    assert time_column(runs.header, None, runs.sample) == "Year"
    r = open_source(str(write_csv('"rownames","time","value"\n"1",1956.25,3\n"2",1956.5,4\n')))
    assert time_column(r.header, None, r.sample) == "time"
    whole = open_source(str(write_csv("T,ts,y\n1,2004-03-10,5\n2,2004-03-11,6\n")))
    assert time_column(whole.header, None, whole.sample) == "T"  # steps: still the time


def test_one_column_cannot_be_both_time_and_id():
    refuse_time_as_id(["ds"], "id", "f.csv")
    refuse_time_as_id(["ds"], None, "f.csv")
    with pytest.raises(InputError, match="both 'ds'"):
        refuse_time_as_id(["ds"], "ds", "f.csv")


def test_text_id_column_takes_the_one_column_of_repeating_text(write_csv):
    src = open_source(str(write_csv("when,store,sales\n2020-01-01,a,1\n2020-01-01,b,2\n")))
    assert text_id_column(src, ["when"], None, "auto") == "store"
    # Numbers only: no id (a wide file), unless --layout long asks for one.
    numbers = open_source(str(write_csv("when,a,b\n2020-01-01,1,2\n2020-01-02,3,4\n")))
    assert text_id_column(numbers, ["when"], None, "auto") is None
    with pytest.raises(InputError, match="long format needs a series id column"):
        text_id_column(numbers, ["when"], None, "long")
    # Two text columns: which one is the id?
    two = open_source(str(write_csv("when,a,b,y\n2020-01-01,x,u,1\n2020-01-01,z,v,2\n")))
    with pytest.raises(InputError, match="hold text, not numbers"):
        text_id_column(two, ["when"], None, "auto")
    # Text that never repeats (nor do the times) is no id.
    unique = open_source(str(write_csv("when,note,y\n2020-01-01,a,1\n2020-01-02,b,2\n")))
    assert text_id_column(unique, ["when"], None, "auto") is None


def test_long_target_is_the_flag_else_a_value_name_else_the_only_column_left():
    assert long_target(["id", "ds", "y", "other"], "id", ["ds"], None, "f.csv") == "y"
    assert long_target(["id", "ds", "sales", "Unnamed: 3"], "id", ["ds"], None, "f.csv") == "sales"
    assert long_target(["id", "ds", "a", "b"], "id", ["ds"], "b", "f.csv") == "b"
    with pytest.raises(
        InputError, match=r"cannot tell which column holds the values; pass --target"
    ):
        long_target(["id", "ds", "a", "b"], "id", ["ds"], None, "f.csv")
    with pytest.raises(InputError, match="also the id or time column"):
        long_target(["id", "ds", "y"], "id", ["ds"], "ds", "f.csv")
    # labels of text (a room type) hold no values: the one column of numbers left is chosen,
    # and a refusal offers only columns that could hold values
    header = ["hotel", "ds", "room", "cost"]
    assert long_target(header, "hotel", ["ds"], None, "f.csv", ("room",)) == "cost"
    with pytest.raises(InputError, match=r"\(columns: a, b\)"):
        long_target(["id", "ds", "room", "a", "b"], "id", ["ds"], None, "f.csv", ("room",))


def test_value_columns_are_the_flag_else_every_named_column_but_time():
    assert value_columns(HEADER, ["Date"], None, "f.csv") == ["Store", "Sales"]
    assert value_columns(HEADER, ["Date"], "Sales", "f.csv") == ["Sales"]
    with pytest.raises(InputError, match="also the time column"):
        value_columns(HEADER, ["Date"], "Date", "f.csv")
    with pytest.raises(InputError, match="no value column besides the time column 'ds'"):
        value_columns(["ds", "Unnamed: 1"], ["ds"], None, "f.csv")


def test_wide_or_single_counts_the_value_columns():
    assert wide_or_single(["y"], "auto", "f.csv") == "single"
    assert wide_or_single(["a", "b"], "auto", "f.csv") == "wide"
    assert wide_or_single(["a"], "wide", "f.csv") == "wide"
    assert wide_or_single(["a"], "single", "f.csv") == "single"
    with pytest.raises(InputError, match="single-series layout needs one value column"):
        wide_or_single(["a", "b"], "single", "f.csv")


def test_detect_layout_returns_the_roles(write_csv):
    src = open_source(str(write_csv("ds,unique_id,y\n2020-01-01,a,1\n2020-01-01,b,2\n")))
    roles = detect_layout(src, IngestOptions())
    assert roles == ColumnRoles("long", "unique_id", "ds", ("y",))
    assert roles.used == ["unique_id", "ds", "y"]
    assert roles.as_dict() == {"id": "unique_id", "time": "ds", "target": ["y"]}
    wide = detect_layout(src, IngestOptions(layout="wide", target="y"))
    assert wide == ColumnRoles("wide", None, "ds", ("y",))
    assert wide.used == ["ds", "y"]
