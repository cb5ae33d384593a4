"""`forecastr info`: every bad input gives one stderr line naming the fault; --json schema."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE_DATA

from forecastr.cli import app
from forecastr.errors import InputError


def run_info(runner, path, *args):
    return runner.invoke(app, ["info", str(path), *args])


def assert_one_line_error(result, *fragments: str, code: int = InputError.exit_code) -> str:
    """Exit code, one stderr line, no traceback, nothing on stdout; returns the message."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "internal error" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    message = lines[0]
    assert message.startswith("error: ")
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


# (file name, content, extra args, fragments the message must contain)
BAD_INPUTS = [
    ("empty.csv", "", [], ["empty.csv", "empty"]),
    ("blank.csv", "\n\n  \n", [], ["blank.csv", "empty"]),
    ("header.csv", "ds,y\n", [], ["header.csv", "no data rows"]),
    ("header_blank.csv", "ds,y\n\n\n", [], ["no data rows"]),
    ("one_col.csv", "y\n1\nabc\n", [], ["'abc'", "column 'y'", "line 3"]),
    ("no_header.csv", "1.5\n2\nabc\n", [], ["'abc'", "column 'y'", "line 3"]),
    (
        "target.csv",
        "ds,y\n2020-01-01,1\n",
        ["--target", "sales"],
        ["no column named 'sales'", "--target", "ds, y"],
    ),
    (
        "time.csv",
        "ds,y\n2020-01-01,1\n",
        ["--time-col", "when"],
        ["no column named 'when'", "--time-col", "ds, y"],
    ),
    (
        "idcol.csv",
        "ds,y\n2020-01-01,1\n",
        ["--id-col", "store"],
        ["no column named 'store'", "--id-col", "ds, y"],
    ),
    (
        "nonnum.csv",
        "ds,y\n2020-01-01,1\n2020-01-02,abc\n2020-01-03,3\n",
        [],
        ["'abc'", "column 'y'", "line 3"],
    ),
    (
        "nonnum_late.csv",
        "ds,y\n" + "".join(f"2020-01-{d:02d},{d}\n" for d in range(1, 29)) + "2020-01-29,x1\n",
        [],
        ["'x1'", "column 'y'", "line 30"],
    ),
    (
        "nonnum_after_blank.csv",
        "ds,y\n2020-01-01,1\n\n2020-01-02,oops\n",
        [],
        ["'oops'", "line 4"],  # the physical line, blank line included
    ),
    (
        "nonnum_wide.csv",
        "ds,a,b\n2020-01-01,1,2\n2020-01-02,2,n.a.\n",
        [],
        ["'n.a.'", "column 'b'", "line 3"],
    ),
    (
        "thousands.csv",
        'ds,y\n2020-01-01,"1,234"\n2020-01-02,"1,5"\n',  # "1,5": a decimal comma, or 15?
        [],
        ["'1,234'", "line 2", "thousands"],
    ),
    (
        "dup.csv",
        "unique_id,ds,y\na,2020-01-01,1\nb,2020-01-01,5\na,2020-01-02,2\na,2020-01-01,3\n",
        [],
        ["duplicate timestamp 2020-01-01", "series 'a'", "lines 2 and 5"],
    ),
    (
        "dup_single.csv",
        "ds,y\n2020-01-01,1\n2020-01-01,2\n",
        [],
        ["duplicate timestamp", "lines 2 and 3", "remove or merge the 1 repeated row", "--id-col"],
    ),
    (
        "baddate.csv",
        "ds,y\n2020-01-01,1\nnot a date,2\n2020-01-03,3\n",
        [],
        ["'not a date'", "column 'ds'", "line 3"],
    ),
    (
        "emptydate.csv",
        "ds,y\n2020-01-01,1\n,2\n2020-01-03,3\n",
        [],
        ["empty timestamp", "column 'ds'", "line 3"],
    ),
    (
        "irregular.csv",
        "ds,y\n2020-01-01 00:00,1\n2020-01-01 01:00,2\n2020-01-01 02:17,3\n",
        [],
        ["irregular", "fit no frequency", "--freq"],
    ),
    (  # Wednesdays, one moved to the Monday before for a holiday: named off the weekly grid
        "weekly_moved.csv",
        "ds,y\n"
        + "".join(
            f"{d:%Y-%m-%d},{k}\n"
            for k, d in enumerate(
                pd.date_range("2011-10-05", periods=20, freq="W-WED")
                .delete(9)
                .insert(9, pd.Timestamp("2011-12-05"))
            )
        ),
        [],
        ["most steps are 7D, 17 of 19", "2011-12-05 at line 11 is off the 7D grid"],
    ),
    (
        "irregular_fill_error.csv",
        "ds,y\n2020-01-01 00:00,1\n2020-01-01 01:00,2\n2020-01-01 02:17,3\n",
        ["--fill", "error"],
        ["irregular", "fit no frequency"],
    ),
    (
        "sparse.csv",
        "ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-04,3\n2020-01-07,4\n2020-01-11,5\n",
        [],
        ["irregular", "6 of 11 points would be missing", "--freq"],
    ),
    (
        "gaps.csv",
        "ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-04,4\n2020-01-05,5\n",
        ["--fill", "error"],
        ["1 missing timestamps", "'D'", "series 'y'", "after 2020-01-02", "line 3", "--fill"],
    ),
    (
        "empty_value.csv",
        "ds,y\n2020-01-01,1\n2020-01-02,\n2020-01-03,3\n",
        ["--fill", "error"],
        ["empty value", "series 'y'", "line 3", "--fill"],
    ),
    (
        "off_grid.csv",
        "ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n",
        ["--freq", "W-SUN"],
        ["off the 'W-SUN' grid", "line 2"],
    ),
    (
        "bad_freq.csv",
        "ds,y\n2020-01-01,1\n2020-01-02,2\n",
        ["--freq", "fortnightly"],
        ["'fortnightly'"],
    ),
    ("int_freq.csv", "t,y\n1,1\n2,2\n", ["--freq", "D"], ["integer step", "--freq"]),
    (
        "all_empty.csv",  # every column empty (one of several is left out: test_rows)
        "ds,y,z\n2020-01-01,,\n2020-01-02,,\n",
        [],
        ["column 'y'", "entirely empty"],
    ),
    (
        "all_empty_single.csv",
        "ds,y\n2020-01-01,\n2020-01-02,\n",
        [],
        ["column 'y'", "entirely empty"],
    ),
    (
        "empty_series.csv",
        "unique_id,ds,y\na,2020-01-01,1\na,2020-01-02,2\nb,2020-01-01,\nb,2020-01-02,\n",
        [],
        ["series 'b'", "no values", "line 4"],
    ),
    (
        "inf.csv",
        "ds,y\n2020-01-01,1\n2020-01-02,inf\n2020-01-03,3\n",
        [],
        ["infinite value", "column 'y'", "line 3"],
    ),
    (
        "neg_inf.csv",
        "ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-03,-inf\n",
        [],
        ["infinite value", "line 4"],
    ),
    (
        "extra_field.csv",
        "ds,y\n2020-01-01,1\n2020-01-02,2,7\n2020-01-03,3\n",
        [],
        ["line 3 has 3 fields", "header has 2"],
    ),
    ("dupe_cols.csv", "ds,y,y\n2020-01-01,1,2\n", [], ["duplicate column names", "'y'"]),
    # dates and numbers with no header read (tests/test_noheader.py); dates alone do not
    ("no_header.csv", "2020-01-01,2020-02-01\n1,2\n", [], ["looks like data", "header"]),
    (
        "transposed.csv",
        "id,2020-01-01,2020-01-02,2020-01-03\na,1,2,3\nb,4,5,6\n",
        ["--layout", "wide"],
        ["one row per series", "--layout pivot"],
    ),
    (
        "fraction_time.csv",
        "t,y\n1.5,1\n2.5,2\n",
        [],
        ["column 't'", "fractional"],
    ),
    (
        "single_point.csv",
        "ds,y\n2020-01-01,1\n",
        [],
        ["single point", "--freq"],
    ),
    (
        "two_text.csv",
        # two text columns that both vary: which one names the series? (Both of one value
        # would be one series, its labels left out: tests/test_text_columns.py. Both named
        # like keys, store and region, are the id together: tests/test_keys.py.)
        "label,ds,kind,sales\na,2020-01-01,n,1\nb,2020-01-01,s,2\n",
        [],
        ["label, kind", "--id-col"],
    ),
    (
        "layout_single.csv",
        "ds,a,b\n2020-01-01,1,2\n",
        ["--layout", "single"],
        ["single-series", "--target", "a, b"],
    ),
    (
        "layout_long.csv",
        "ds,a,b\n2020-01-01,1,2\n",
        ["--layout", "long"],
        ["long format needs a series id column", "--id-col"],
    ),
    (
        "id_wide.csv",
        "unique_id,ds,y\na,2020-01-01,1\n",
        ["--layout", "wide", "--id-col", "unique_id"],
        ["--id-col", "long layout"],
    ),
    (
        "xlsx.csv",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 64,
        [],
        ["not a text CSV", "Excel"],
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "args", "fragments"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_is_one_line_on_stderr(runner, write_csv, name, content, args, fragments):
    path = write_csv(content, name)
    message = assert_one_line_error(run_info(runner, path, *args), *fragments)
    assert name in message  # the file is named


def test_missing_file(runner, tmp_path):
    path = tmp_path / "nope.csv"
    assert_one_line_error(run_info(runner, path), "nope.csv", "no such file")


def test_directory(runner, tmp_path):
    assert_one_line_error(run_info(runner, tmp_path), str(tmp_path), "directory")


def test_fifo_is_refused_without_blocking(runner, tmp_path):
    """A named pipe would block open() forever; it is refused up front."""
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    assert_one_line_error(run_info(runner, path), "pipe.csv", "not a regular file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_unreadable_file(runner, write_csv):
    path = write_csv("ds,y\n2020-01-01,1\n")
    path.chmod(0)
    try:
        assert_one_line_error(run_info(runner, path), "data.csv", "cannot be read")
    finally:
        path.chmod(0o644)


def test_corrupt_gzip(runner, write_csv):
    path = write_csv(b"\x1f\x8b\x08\x00garbage", "data.csv.gz")
    assert_one_line_error(run_info(runner, path), "data.csv.gz")


def test_corrupt_xz(runner, write_csv):
    path = write_csv(b"\xfd7zXZ\x00garbage", "data.csv.xz")
    assert_one_line_error(run_info(runner, path), "data.csv.xz")


def test_long_message_is_not_wrapped(runner, write_csv):
    """A long message (a wide header, its first 20 names listed) stays one line, not wrapped
    at 80."""
    header = ",".join(["ds"] + [f"a_rather_long_column_name_{i}" for i in range(30)])
    path = write_csv(header + "\n2020-01-01" + ",1" * 30 + "\n")
    message = assert_one_line_error(run_info(runner, path, "--target", "missing"), "missing")
    assert "a_rather_long_column_name_18, … (31 columns)" in message


# ---------------------------------------------------------------------------------------------
# success: --json schema and the table


INFO_KEYS = {
    "file": str,
    "layout": str,
    "columns": dict,
    "series": int,
    "points": int,
    "length": dict,
    "frequency": str,
    "start": (str, int),
    "end": (str, int),
    "filled_points": int,
    "filled_series": int,
    "ids_sample": list,
    "notes": list,
    "season_length": int,
    "seasons": list,
    "seasons_unconfirmed": list,  # the calendar's seasons tested and not confirmed
    "default_horizon": int,
    "short_horizons_train_for": (int, type(None)),  # longer.py's rule
    "short_series": dict,
    "floor": (float, type(None)),
    "spelling": (dict, type(None)),  # how forecasts write their stamps (None: ISO)
    "fill": str,  # the gap-filling method used
    "aggregate": (str, type(None)),  # --aggregate: how rows of one period became one value
}


def check_schema(d: dict) -> None:
    assert set(d) == set(INFO_KEYS)
    for key, kind in INFO_KEYS.items():
        assert isinstance(d[key], kind), key
    assert set(d["columns"]) == {"id", "time", "target"}
    assert isinstance(d["columns"]["target"], list)
    assert set(d["length"]) == {"min", "median", "max"}
    assert d["length"]["min"] <= d["length"]["median"] <= d["length"]["max"]
    assert d["layout"] in ("long", "wide", "single")
    assert all(isinstance(s, str) for s in d["ids_sample"])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "uk_drivers_monthly.csv",
            {"layout": "single", "series": 1, "points": 192, "frequency": "MS", "floor": 0.0},
        ),
        (
            "seattle_temperature_hourly.csv",
            {"series": 1, "points": 8760, "frequency": "h", "filled_points": 1},
        ),
        (
            "us_employment_monthly_wide.csv",
            {"layout": "wide", "series": 22, "points": 2640, "season_length": 12},
        ),
        (
            "iowa_electricity_yearly_long.csv",
            {"layout": "long", "series": 3, "points": 51, "frequency": "YS-JAN"},
        ),
    ],
)
def test_info_json_on_sample_data(runner, name, expected):
    result = run_info(runner, SAMPLE_DATA / name, "--json")
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    check_schema(d)
    for key, value in expected.items():
        assert d[key] == value, key


def test_info_says_a_file_with_a_negative_value_has_no_floor(runner, write_csv):
    result = run_info(runner, write_csv("step,y\n0,1\n1,-2\n2,3\n3,4\n"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["floor"] is None
    shown = run_info(runner, write_csv("step,y\n0,1\n1,2\n2,3\n3,4\n", "pos.csv"))
    assert "forecasts kept at 0 or above" in " ".join(shown.stdout.split())


def test_info_json_integer_index(runner, write_csv):
    path = write_csv("step,y\n0,1\n2,2\n4,3\n6,4\n")
    result = run_info(runner, path, "--json")
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    check_schema(d)
    assert d["frequency"] == "integer step 2"
    assert (d["start"], d["end"]) == (0, 6)


def test_info_fill_is_reported_and_json_stays_clean(runner, write_csv):
    path = write_csv("ds,y\n2020-01-01,1\n2020-01-02,2\n2020-01-04,4\n2020-01-05,5\n")
    result = run_info(runner, path, "--json")
    assert result.exit_code == 0
    d = json.loads(result.stdout)  # stdout is pure JSON
    assert (d["filled_points"], d["filled_series"], d["points"]) == (1, 1, 5)


def test_info_table(runner):
    result = run_info(runner, SAMPLE_DATA / "iowa_electricity_yearly_long.csv")
    assert result.exit_code == 0, result.output
    for word in ("layout", "long", "series", "3", "YS-JAN", "2001-01-01"):
        assert word in result.stdout


def test_error_text_with_brackets_is_printed_verbatim(runner, write_csv):
    """Messages are plain text: '[...]' in a file name or value is not rich markup."""
    path = write_csv("ds,y\n2020-01-01,1\n2020-01-02,[bold]x\n", name="[red]odd.csv")
    result = runner.invoke(app, ["info", str(path)])
    assert result.exit_code != 0
    assert "[red]odd.csv" in result.stderr
    assert "'[bold]x'" in result.stderr


def test_info_shows_the_calendar_season_it_could_not_confirm(runner, write_csv):
    """Five years of months with a faint year: one short series cannot confirm 12, neither
    against its Bartlett bound nor by its periodogram, and `info` says so, with the
    numbers, beside "none found" (a clear year is confirmed: test_seasons.py)."""
    t = np.arange(60)
    y = 100 + 0.3 * t + 1.2 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(5).normal(size=60)
    months = pd.date_range("2015-01-01", periods=60, freq="MS").strftime("%Y-%m-%d")
    path = write_csv(
        "month,sales\n" + "".join(f"{m},{v:.3f}\n" for m, v in zip(months, y, strict=True))
    )
    d = json.loads(run_info(runner, path, "--json").stdout)
    assert d["seasons"] == [] and d["season_length"] == 12
    (e,) = d["seasons_unconfirmed"]
    assert (e["period"], e["source"], e["significant"]) == (12, "calendar", False)
    assert e["acf"] > 0.2 and e["threshold"] > e["acf"]
    shown = " ".join(run_info(runner, path).stdout.split())
    assert f"none found; not confirmed: 12 (calendar, acf {e['acf']:.2f} <=" in shown
    # a season found is not listed again; a file with no calendar season lists none
    d = json.loads(run_info(runner, SAMPLE_DATA / "uk_drivers_monthly.csv", "--json").stdout)
    assert 12 in [s["period"] for s in d["seasons"]] and d["seasons_unconfirmed"] == []
    steps = json.loads(
        run_info(runner, write_csv("step,y\n0,1\n1,2\n2,3\n", "s.csv"), "--json").stdout
    )
    assert steps["seasons_unconfirmed"] == []


def test_info_says_how_forecasts_write_the_stamps(runner, write_csv):
    cells = [f"{y} Q{q}" for y in range(2001, 2011) for q in range(1, 5)]
    path = write_csv("quarter,gdp\n" + "".join(f"{c},{100 + k}\n" for k, c in enumerate(cells)))
    d = json.loads(run_info(runner, path, "--json").stdout)
    assert d["spelling"] == {"template": "{Y} Q{q}", "zone": None}
    assert (d["start"], d["end"]) == ("2001 Q1", "2010 Q4")
    shown = " ".join(run_info(runner, path).stdout.split())
    assert "forecast stamps │ as in the file, like 2010 Q4" in shown
    # ISO dates: nothing to say
    iso = json.loads(run_info(runner, SAMPLE_DATA / "uk_drivers_monthly.csv", "--json").stdout)
    assert iso["spelling"] is None
