"""CSV ingest: layouts, frequency inference, gap filling, sorting, and awkward real-world files."""

from __future__ import annotations

import bz2
import gzip
import lzma

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE_DATA, make_panel

from forecastr.data import IngestOptions, describe, fill_warning, frame_to_panel, load_csv
from forecastr.errors import InputError
from forecastr.panel import Panel, concat_ranges


def load(write_csv, text, name="data.csv", **options):
    return load_csv(write_csv(text, name), IngestOptions(**options))


def series_dict(panel) -> dict[str, list[float]]:
    return {s: panel.series(i).tolist() for i, s in enumerate(panel.ids)}


def csv_of(ds, values, header="ds,y") -> str:
    rows = [f"{pd.Timestamp(d).isoformat(sep=' ')},{v}" for d, v in zip(ds, values, strict=True)]
    return header + "\n" + "\n".join(rows) + "\n"


# ---------------------------------------------------------------------------------------------
# layouts


def test_long_by_id_name(write_csv):
    panel = load(
        write_csv,
        "unique_id,ds,y\na,2020-01-01,1\na,2020-01-02,2\nb,2020-01-01,3\nb,2020-01-02,4\n",
    )
    assert panel.layout == "long"
    assert panel.columns == {"id": "unique_id", "time": "ds", "target": ["y"]}
    assert series_dict(panel) == {"a": [1, 2], "b": [3, 4]}


@pytest.mark.parametrize("id_name", ["id", "series", "item_id", "Series_ID", "KEY"])
def test_long_by_other_id_names(write_csv, id_name):
    panel = load(write_csv, f"{id_name},date,value\nx,2020-01-01,1\nx,2020-01-02,2\n")
    assert panel.layout == "long"
    assert panel.columns["id"] == id_name


def test_long_by_id_col_flag(write_csv):
    panel = load(
        write_csv,
        "store,day,sales,price\nA,2020-01-01,1,9\nA,2020-01-02,2,9\nB,2020-01-01,3,9\n"
        "B,2020-01-02,4,9\n",
        id_col="store",
        target="sales",
    )
    assert panel.layout == "long"
    assert series_dict(panel) == {"A": [1, 2], "B": [3, 4]}


def test_long_by_text_column_without_id_name(write_csv):
    """A column of repeated text beside the time column is the series id."""
    panel = load(write_csv, "store,date,sales\nA,2020-01-01,1\nA,2020-01-02,2\nB,2020-01-01,3\n")
    assert panel.layout == "long"
    assert panel.columns == {"id": "store", "time": "date", "target": ["sales"]}


def test_integer_ids_stay_text(write_csv):
    panel = load(
        write_csv, "id,ds,y\n1,2020-01-01,1\n1,2020-01-02,2\n02,2020-01-01,3\n02,2020-01-02,4\n"
    )
    assert panel.ids == ["1", "02"]  # "02" keeps its leading zero
    assert all(isinstance(s, str) for s in panel.ids)


def test_wide(write_csv):
    panel = load(write_csv, "ds,a,b,c\n2020-01-01,1,2,3\n2020-01-02,4,5,6\n")
    assert panel.layout == "wide"
    assert series_dict(panel) == {"a": [1, 4], "b": [2, 5], "c": [3, 6]}


def test_wide_ragged_starts_and_ends(write_csv):
    text = "ds,a,b\n2020-01-01,1,\n2020-01-02,2,\n2020-01-03,3,30\n2020-01-04,,40\n2020-01-05,,50\n"
    panel = load(write_csv, text)
    assert series_dict(panel) == {"a": [1, 2, 3], "b": [30, 40, 50]}
    assert str(pd.Timestamp(panel.timestamps(1)[0]).date()) == "2020-01-03"
    assert panel.filled_points == 0  # edges are trimmed, not filled


def test_single(write_csv):
    panel = load(write_csv, "month,passengers\n2020-01-01,1\n2020-02-01,2\n2020-03-01,3\n")
    assert panel.layout == "single"
    assert panel.ids == ["passengers"]
    assert panel.columns == {"id": None, "time": "month", "target": ["passengers"]}


def test_layout_override_single_with_target(write_csv):
    panel = load(write_csv, "ds,a,b\n2020-01-01,1,2\n2020-01-02,3,4\n", target="b")
    assert panel.layout == "single"
    assert series_dict(panel) == {"b": [2, 4]}


def test_layout_override_wide_ignores_id_name(write_csv):
    """--layout wide: a column named 'id' is just another series."""
    panel = load(write_csv, "ds,id,b\n2020-01-01,1,2\n2020-01-02,3,4\n", layout="wide")
    assert panel.layout == "wide"
    assert panel.ids == ["id", "b"]


def test_time_column_flag_and_case_insensitive_names(write_csv):
    panel = load(write_csv, "Value,When\n1,2020-01-01\n2,2020-01-02\n", time_col="when")
    assert panel.columns["time"] == "When"
    assert panel.ids == ["Value"]


@pytest.mark.parametrize("name", ["Date", "DATETIME", "Timestamp", "period", "week"])
def test_time_column_named_differently(write_csv, name):
    panel = load(write_csv, f"sales,{name}\n1,2020-01-06\n2,2020-01-13\n3,2020-01-20\n")
    assert panel.columns["time"] == name


def test_time_column_defaults_to_first(write_csv):
    panel = load(write_csv, "when,amount\n2020-01-01,1\n2020-01-02,2\n")
    assert panel.columns == {"id": None, "time": "when", "target": ["amount"]}


def test_trailing_separator_and_pandas_index_are_not_series(write_csv):
    panel = load(write_csv, ",ds,y,\n0,2020-01-01,1,\n1,2020-01-02,2,\n")
    assert panel.layout == "single"
    assert panel.ids == ["y"]


def test_unnamed_time_column_of_pandas_to_csv(write_csv):
    """``df.to_csv()`` of a frame indexed by date writes an unnamed first column."""
    panel = load(write_csv, ",a,b\n2020-01-01,1,2\n2020-01-02,3,4\n")
    assert panel.layout == "wide"
    assert panel.ids == ["a", "b"]


# ---------------------------------------------------------------------------------------------
# frequency inference


@pytest.mark.parametrize(
    ("freq", "start", "expected"),
    [
        ("h", "2021-03-01", "h"),
        ("30min", "2021-03-01", "30min"),
        ("15min", "2021-03-01 00:15", "15min"),
        ("D", "2021-03-01", "D"),
        ("B", "2021-03-04", "B"),
        ("W-SUN", "2021-03-07", "W-SUN"),
        ("W-WED", "2021-03-03", "W-WED"),
        ("MS", "2021-03-01", "MS"),
        ("ME", "2021-03-31", "ME"),
        ("QS", "2021-01-01", "QS-JAN"),
        ("QE", "2021-03-31", "QE-DEC"),
        ("QS-FEB", "2021-02-01", "QS-FEB"),
        ("YS", "2001-01-01", "YS-JAN"),
        ("YE", "2001-12-31", "YE-DEC"),
        ("s", "2021-03-01", "s"),
        ("100ms", "2021-03-01", "100ms"),
    ],
)
@pytest.mark.parametrize("gap", [False, True])
def test_frequency_inference(write_csv, freq, start, expected, gap):
    ds = pd.date_range(start, periods=40, freq=freq)
    if gap:
        ds = ds.delete([5, 6])  # a two-step gap: inference must still find the grid
    panel = load(write_csv, csv_of(ds, range(len(ds))))
    assert panel.freq == expected
    assert len(panel.y) == 40
    assert panel.filled_points == (2 if gap else 0)


def test_business_days_are_not_filled_with_weekends(write_csv):
    ds = pd.bdate_range("2021-03-01", periods=30).delete([3])
    panel = load(write_csv, csv_of(ds, range(len(ds))))
    assert panel.freq == "B"
    assert panel.filled_points == 1


def test_integer_step_two(write_csv):
    panel = load(write_csv, "step,y\n10,1\n12,2\n14,3\n18,5\n")
    assert panel.freq is None and panel.step == 2
    assert panel.ds.tolist() == [10, 12, 14, 16, 18]
    assert panel.series(0).tolist() == [1, 2, 3, 4, 5]
    assert describe(panel)["frequency"] == "integer step 2"


def test_integer_step_freq_override(write_csv):
    panel = load(write_csv, "t,y\n0,1\n2,2\n4,3\n", freq="1")
    assert panel.step == 1
    assert len(panel.y) == 5 and panel.filled_points == 2


def test_freq_override(write_csv):
    ds = pd.date_range("2021-03-01", periods=10, freq="2h")
    panel = load(write_csv, csv_of(ds, range(10)), freq="h")
    assert panel.freq == "h"
    assert len(panel.y) == 19  # every other hour filled, allowed because --freq was given
    assert panel.filled_points == 9


def test_series_with_different_start_phases(write_csv):
    """Hourly series starting at :00 and :30 each lie on their own hourly grid."""
    text = "unique_id,ds,y\na,2020-01-01 00:00,1\na,2020-01-01 01:00,2\na,2020-01-01 02:00,3\n"
    text += "b,2020-01-01 00:30,4\nb,2020-01-01 01:30,5\n"
    panel = load(write_csv, text)
    assert panel.freq == "h"
    assert panel.lengths.tolist() == [3, 2]


# ---------------------------------------------------------------------------------------------
# gap filling

GAPPY = (
    "unique_id,ds,y\na,2020-01-01,1\na,2020-01-02,\na,2020-01-04,7\nb,2020-01-01,5\n"
    "b,2020-01-02,6\n"
)


@pytest.mark.parametrize(
    ("fill", "expected_a"),
    [
        ("interpolate", [1, 3, 5, 7]),
        ("ffill", [1, 1, 1, 7]),
        ("zero", [1, 0, 0, 7]),
    ],
)
def test_fill_methods(write_csv, fill, expected_a):
    panel = load(write_csv, GAPPY, fill=fill)
    assert series_dict(panel) == {"a": expected_a, "b": [5, 6]}
    assert panel.filled_points == 2  # one empty cell + one missing timestamp
    assert panel.filled_series == 1
    assert panel.fill == fill
    assert not np.isnan(panel.y).any()
    assert pd.DatetimeIndex(panel.timestamps(0)).equals(
        pd.date_range("2020-01-01", periods=4, freq="D")
    )
    warning = fill_warning(panel)
    assert warning.startswith("filled 2 missing point(s) in 1 series")
    assert f"(--fill {fill})" in warning and "--fill error" in warning


def test_fill_edges(write_csv):
    """Leading and trailing empty values of a long series take the nearest value."""
    text = "unique_id,ds,y\na,2020-01-01,\na,2020-01-02,2\na,2020-01-03,4\na,2020-01-04,\n"
    text += "b,2020-01-01,9\nb,2020-01-02,9\n"
    assert load(write_csv, text).series(0).tolist() == [2, 2, 4, 4]
    assert load(write_csv, text, fill="ffill").series(0).tolist() == [2, 2, 4, 4]
    assert load(write_csv, text, fill="zero").series(0).tolist() == [0, 2, 4, 0]


def test_fill_never_crosses_series(write_csv):
    text = "unique_id,ds,y\na,2020-01-01,1\na,2020-01-02,\nb,2020-01-01,\nb,2020-01-02,100\n"
    panel = load(write_csv, text, fill="ffill")
    assert series_dict(panel) == {"a": [1, 1], "b": [100, 100]}


def test_no_fill_no_warning(write_csv):
    panel = load(write_csv, "ds,y\n2020-01-01,1\n2020-01-02,2\n")
    assert fill_warning(panel) is None


def test_fill_error_accepts_complete_data(write_csv):
    panel = load(write_csv, "ds,y\n2020-01-01,1\n2020-01-02,2\n", fill="error")
    assert panel.filled_points == 0


def test_seattle_daylight_saving_gap():
    panel = load_csv(SAMPLE_DATA / "seattle_temperature_hourly.csv")
    assert panel.freq == "h" and panel.filled_points == 1 and len(panel.y) == 8760
    with pytest.raises(InputError, match=r"1 missing timestamps .* at line 1732"):
        load_csv(SAMPLE_DATA / "seattle_temperature_hourly.csv", IngestOptions(fill="error"))


# ---------------------------------------------------------------------------------------------
# sorting


def test_shuffled_long_file_is_sorted(write_csv):
    rng = np.random.default_rng(1)
    rows = [(s, d, 100 * i + k) for i, s in enumerate("abc") for k, d in enumerate(range(1, 11))]
    order = rng.permutation(len(rows))
    text = "unique_id,ds,y\n" + "".join(
        f"{rows[j][0]},2020-01-{rows[j][1]:02d},{rows[j][2]}\n" for j in order
    )
    panel = load(write_csv, text)
    for i, s in enumerate(panel.ids):
        base = 100 * "abc".index(s)
        assert panel.series(i).tolist() == [base + k for k in range(10)]
        assert (np.diff(panel.timestamps(i)) > np.timedelta64(0)).all()


def test_descending_single_file_is_sorted(write_csv):
    panel = load(write_csv, "ds,y\n2020-01-03,3\n2020-01-02,2\n2020-01-01,1\n")
    assert panel.series(0).tolist() == [1, 2, 3]


def test_duplicate_line_numbers_after_sorting(write_csv):
    text = "unique_id,ds,y\na,2020-01-03,1\nb,2020-01-01,1\na,2020-01-01,2\na,2020-01-03,3\n"
    with pytest.raises(InputError, match=r"lines 2 and 5"):
        load(write_csv, text)


# ---------------------------------------------------------------------------------------------
# awkward files


def test_semicolon_with_decimal_commas(write_csv):
    panel = load(write_csv, "ds;y\n2020-01-01;1,5\n2020-01-02;2,25\n2020-01-03;-3,0\n")
    assert panel.series(0).tolist() == [1.5, 2.25, -3.0]


def test_semicolon_decimal_comma_with_thousands_dots(write_csv):
    panel = load(write_csv, "ds;y\n2020-01-01;1.234,5\n2020-01-02;2,5\n")
    assert panel.series(0).tolist() == [1234.5, 2.5]


def test_semicolon_with_decimal_points(write_csv):
    panel = load(write_csv, "ds;a;b\n2020-01-01;1.5;2\n2020-01-02;2.5;3\n")
    assert series_dict(panel) == {"a": [1.5, 2.5], "b": [2, 3]}


@pytest.mark.parametrize("sep", ["\t", "|"])
def test_tab_and_pipe(write_csv, sep):
    panel = load(write_csv, f"ds{sep}y\n2020-01-01{sep}1\n2020-01-02{sep}2\n")
    assert panel.series(0).tolist() == [1, 2]


def test_bom_header(write_csv):
    panel = load(write_csv, b"\xef\xbb\xbfds,y\n2020-01-01,1\n2020-01-02,2\n")
    assert panel.columns["time"] == "ds"


def test_utf16_with_bom(write_csv):
    panel = load(write_csv, "ds,y\n2020-01-01,1\n2020-01-02,2\n".encode("utf-16"))
    assert panel.series(0).tolist() == [1, 2]


def test_windows_1252_ids(write_csv):
    text = "unique_id,ds,y\ncafé,2020-01-01,1\ncafé,2020-01-02,2\n"
    panel = load(write_csv, text.encode("cp1252"))
    assert panel.ids == ["café"]


def test_windows_line_endings_and_trailing_blank_lines(write_csv):
    panel = load(write_csv, "ds,y\r\n2020-01-01,1\r\n2020-01-02,2\r\n\r\n\r\n")
    assert panel.series(0).tolist() == [1, 2]


def test_spreadsheet_trailing_empty_rows(write_csv):
    panel = load(write_csv, "ds,a,b\n2020-01-01,1,2\n2020-01-02,3,4\n,,\n,,\n")
    assert panel.lengths.tolist() == [2, 2]


def test_blank_lines_before_header_and_between_rows(write_csv):
    panel = load(write_csv, "\n\nds,y\n2020-01-01,1\n\n2020-01-02,2\n")
    assert panel.series(0).tolist() == [1, 2]


def test_quoted_fields_and_spaces(write_csv):
    text = 'ds , y \n"2020-01-01"," 1 "\n 2020-01-02 , 2\n2020-01-03,"3"\n2020-01-04,  \n'
    text += "2020-01-05,+5e0\n"
    panel = load(write_csv, text)
    assert panel.columns == {"id": None, "time": "ds", "target": ["y"]}
    assert panel.series(0).tolist() == [1, 2, 3, 4, 5]
    assert panel.filled_points == 1  # the spaces-only cell is a missing value


def test_quoted_newline_in_an_unused_column(write_csv):
    text = 'ds,y,note\n2020-01-01,1,"two\nlines"\n2020-01-02,2,x\n2020-01-03,bad,x\n'
    with pytest.raises(InputError, match="line 5"):
        load(write_csv, text, target="y")
    text = 'ds,y,note\n2020-01-01,1,"two\nlines"\n2020-01-02,2,x\n'
    assert load(write_csv, text, target="y").series(0).tolist() == [1, 2]


@pytest.mark.parametrize("token", ["NA", "N/A", "NaN", "null", "-", "#N/A"])
def test_missing_value_tokens(write_csv, token):
    panel = load(write_csv, f"ds,y\n2020-01-01,1\n2020-01-02,{token}\n2020-01-03,3\n")
    assert panel.series(0).tolist() == [1, 2, 3]


def test_timezone_aware_stamps_become_utc(write_csv):
    text = "ds,y\n2020-01-01T00:00:00+01:00,1\n2020-01-01T01:00:00+01:00,2\n"
    text += "2020-01-01T02:00:00+01:00,3\n"
    panel = load(write_csv, text)
    assert panel.freq == "h"
    assert str(pd.Timestamp(panel.ds[0])) == "2019-12-31 23:00:00"
    assert panel.ds.dtype == np.dtype("datetime64[ns]")


def test_mixed_offsets_across_dst(write_csv):
    text = "ds,y\n2021-03-28T00:00:00+01:00,1\n2021-03-28T01:00:00+01:00,2\n"
    text += "2021-03-28T03:00:00+02:00,3\n2021-03-28T04:00:00+02:00,4\n"
    panel = load(write_csv, text)
    assert panel.freq == "h" and panel.filled_points == 0


def test_integer_step_index(write_csv):
    panel = load(write_csv, "t,y\n1,5\n2,6\n3,7\n")
    assert panel.freq is None and panel.ds.dtype == np.int64
    assert describe(panel)["start"] == 1


def test_yyyymmdd_integers_are_dates(write_csv):
    panel = load(write_csv, "ds,y\n20200130,1\n20200131,2\n20200201,3\n")
    assert panel.freq == "D" and len(panel.y) == 3


@pytest.mark.parametrize(
    ("dates", "first", "note"),
    [
        (["13/01/2020", "14/01/2020", "15/01/2020"], "2020-01-13", False),  # only day/month
        (["01/13/2020", "01/14/2020", "01/15/2020"], "2020-01-13", False),  # only month/day
        (["01/02/2020", "02/02/2020", "03/02/2020"], "2020-02-01", True),  # daily if day/month
        (["01/01/2020", "02/01/2020", "03/01/2020"], "2020-01-01", True),  # ambiguous: month/day
        (["01.02.2020", "01.03.2020", "01.04.2020"], "2020-02-01", True),  # '.' is day/month
    ],
)
def test_day_first_ambiguity(write_csv, dates, first, note):
    text = "ds,y\n" + "".join(f"{d},{k}\n" for k, d in enumerate(dates))
    panel = load(write_csv, text)
    assert str(pd.Timestamp(panel.ds[0]).date()) == first
    assert bool(panel.notes) == note
    if note:
        assert "YYYY-MM-DD" in panel.notes[0]
        assert describe(panel)["notes"] == list(panel.notes)


def test_quarter_strings(write_csv):
    panel = load(write_csv, "quarter,y\n2020Q1,1\n2020Q2,2\n2020Q3,3\n2020Q4,4\n")
    assert panel.freq == "QS-JAN"


def test_month_strings(write_csv):
    panel = load(write_csv, "month,y\n2020-01,1\n2020-02,2\n2020-03,3\n")
    assert panel.freq == "MS"


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_compressed(write_csv, suffix):
    raw = b"ds,y\n2020-01-01,1\n2020-01-02,2\n"
    data = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}[suffix](raw)
    panel = load(write_csv, data, name="data.csv" + suffix)
    assert panel.series(0).tolist() == [1, 2]


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_compressed_files_are_known_by_their_first_bytes_whatever_their_name(write_csv, compress):
    raw = b"ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-03,4\n"
    panel = load(write_csv, compress(raw), name="export.csv")
    assert panel.series(0).tolist() == [1, 2, 4]


def test_many_wide_columns(write_csv):
    n_cols, n_rows = 3000, 20
    ds = pd.date_range("2020-01-01", periods=n_rows, freq="D")
    values = np.arange(n_rows * n_cols, dtype=np.int64).reshape(n_rows, n_cols)
    header = "ds," + ",".join(f"c{j}" for j in range(n_cols))
    body = "".join(
        f"{d.date()}," + ",".join(map(str, row)) + "\n" for d, row in zip(ds, values, strict=True)
    )
    panel = load(write_csv, header + "\n" + body)
    assert panel.n_series == n_cols
    assert panel.series(2999).tolist() == values[:, 2999].tolist()


# ---------------------------------------------------------------------------------------------
# frames from Python


def test_frame_to_panel_does_not_modify_the_frame():
    frame = pd.DataFrame({"ds": ["2020-01-01", "2020-01-02", "2020-01-03"], "y": ["1", " 2", "3"]})
    before = frame.copy()
    panel = frame_to_panel(frame, layout="single", id_col=None, time_col="ds", targets=["y"])
    assert panel.series(0).tolist() == [1, 2, 3]
    pd.testing.assert_frame_equal(frame, before)


def test_frame_to_panel_with_object_ids_and_timestamps():
    frame = pd.DataFrame(
        {
            "id": [2, 2, 1, 1],
            "ds": pd.to_datetime(["2020-01-02", "2020-01-01", "2020-01-01", "2020-01-02"]),
            "y": [20.0, 10.0, 1.0, 2.0],
        }
    )
    panel = frame_to_panel(frame, layout="long", id_col="id", time_col="ds", targets=["y"])
    assert series_dict(panel) == {"2": [10, 20], "1": [1, 2]}
    assert panel.freq == "D"


def test_frame_non_numeric_names_row():
    frame = pd.DataFrame({"ds": ["2020-01-01", "2020-01-02"], "y": ["1", "x"]})
    with pytest.raises(InputError, match=r"'x' in column 'y' at line 3"):
        frame_to_panel(frame, layout="single", id_col=None, time_col="ds", targets=["y"])


def test_describe_keys():
    d = describe(load_csv(SAMPLE_DATA / "uk_drivers_monthly.csv"))
    assert d["frequency"] == "MS" and (d["start"], d["end"]) == ("1969-01-01", "1984-12-01")
    assert d["length"] == {"min": 192, "median": 192.0, "max": 192}


def test_describe_keeps_the_time_of_sub_daily_files():
    d = describe(load_csv(SAMPLE_DATA / "seattle_temperature_hourly.csv"))
    assert (d["start"], d["end"]) == ("2010-01-01 00:00:00", "2010-12-31 23:00:00")


def test_wide_newest_first_with_ragged_ends(write_csv):
    text = "ds,a,b\n2020-01-04,4,\n2020-01-03,3,30\n2020-01-02,2,20\n2020-01-01,,10\n"
    panel = load(write_csv, text)
    assert series_dict(panel) == {"a": [2, 3, 4], "b": [10, 20, 30]}
    assert str(pd.Timestamp(panel.timestamps(0)[0]).date()) == "2020-01-02"


def test_wide_messages_name_the_file_line(write_csv):
    """Line numbers survive the row sort and the trimming of ragged starts."""
    text = "ds,a,b\n2020-01-05,5,50\n2020-01-02,,20\n2020-01-01,,10\n2020-01-04,4,40\n"
    with pytest.raises(InputError, match=r"series 'a', first gap after 2020-01-02 at line 3"):
        load(write_csv, text.replace("2020-01-02,,20", "2020-01-02,2,20"), fill="error")
    with pytest.raises(InputError, match=r"series 'b', first gap after 2020-01-02 at line 3"):
        load(write_csv, text, fill="error")
    dup = "ds,a,b\n2020-01-01,1,\n2020-01-02,2,5\n2020-01-02,3,6\n"
    with pytest.raises(
        InputError, match=r"duplicate timestamp 2020-01-02 in series 'a' \(lines 3 and 4\)"
    ):
        load(write_csv, dup)


# ---------------------------------------------------------------------------------------------
# Panel


def test_panel_holds_nanoseconds_and_float64():
    ds = pd.date_range("2020-01-01", periods=3, freq="D").values.astype("datetime64[us]")
    panel = Panel(ids=["a"], y=np.array([1, 2, 3]), ds=ds, offsets=[0, 3], freq="D")
    assert panel.ds.dtype == np.dtype("datetime64[ns]") and panel.y.dtype == np.float64
    assert str(pd.Timestamp(panel.ds[0]).date()) == "2020-01-01"
    with pytest.raises(ValueError, match="inconsistent panel"):
        Panel(ids=["a", "b"], y=np.zeros(3), ds=ds, offsets=[0, 3], freq="D")


def test_panel_subset_and_truncate():
    panel = make_panel([3, 5, 4])
    sub = panel.subset(["s2", "s0"])
    assert sub.ids == ["s2", "s0"] and sub.lengths.tolist() == [4, 3]
    np.testing.assert_array_equal(sub.series(0), panel.series(2))
    cut = panel.truncate(np.array([1, 5, 2]))
    assert cut.lengths.tolist() == [1, 5, 2]
    np.testing.assert_array_equal(cut.series(2), panel.series(2)[:2])
    with pytest.raises(ValueError):
        panel.truncate(np.array([4, 5, 4]))  # 4 > 3 would reach into the next series
    assert panel.index_of("s1") == 1
    with pytest.raises(KeyError):
        panel.index_of("nope")


def test_concat_ranges():
    out = concat_ranges(np.array([10, 0, 5]), np.array([3, 0, 2]), step=2)
    assert out.tolist() == [10, 12, 14, 5, 7]
    assert concat_ranges(np.array([1]), np.array([0])).tolist() == []
