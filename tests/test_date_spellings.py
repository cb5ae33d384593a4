"""Dates written as spreadsheets and R write them (``forecastr/ingest/datespell.py``): a
month's name or number and a two-digit year (Excel's ``mmm-yy``, ``mm/yy``), quarters
written quarter first, YYYYMM integers and decimal years; and what must stay refused or
stay a step index."""

from __future__ import annotations

import calendar
import json

import numpy as np
import pandas as pd
import pytest
from conftest import train_then_predict
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from forecastr.cli import app
from forecastr.data import load_csv
from forecastr.errors import InputError
from forecastr.ingest.datespell import (
    COUNTED_MAX,
    counted_years,
    decimal_years,
    finest_periods,
    full_years,
    ts_cycles,
    yyyymm,
)
from forecastr.ingest.spelling import cycle_times
from forecastr.ingest.timeparse import parse_time, reads_as_dates
from forecastr.ingest.where import Where

FAST = ["--epochs", "1", "--ensemble", "1", "--hidden", "8", "--layers", "1", "-q"]
MONTHS = pd.date_range("2015-01-01", periods=30, freq="MS")


def file_of(cells: list[str], header: str = "Month,Sales") -> str:
    return header + "\n" + "".join(f"{c},{10 + k % 12 + k / 7:.3f}\n" for k, c in enumerate(cells))


@pytest.mark.parametrize(
    ("cells", "first", "freq", "two_digit"),
    [
        ([d.strftime("%b-%y") for d in MONTHS], "2015-01-01", "MS", True),  # Excel's mmm-yy
        ([d.strftime("%b %y") for d in MONTHS], "2015-01-01", "MS", True),
        ([d.strftime("%b%y") for d in MONTHS], "2015-01-01", "MS", True),
        ([d.strftime("%B-%y") for d in MONTHS], "2015-01-01", "MS", True),
        ([d.strftime("%b'%y").upper() for d in MONTHS], "2015-01-01", "MS", True),
        ([d.strftime("%m/%y") for d in MONTHS], "2015-01-01", "MS", True),  # Excel's mm/yy
        ([f"Q{q} {y}" for y in range(2001, 2008) for q in range(1, 5)], "2001-01-01", "QS-JAN",
         False),
        ([f"Q{q}-{y}" for y in range(2001, 2008) for q in range(1, 5)], "2001-01-01", "QS-JAN",
         False),
        ([f"q{q}/{y % 100:02d}" for y in range(1995, 2008) for q in range(1, 5)],
         "1995-01-01", "QS-JAN", True),
    ],
)  # fmt: skip
def test_spreadsheet_months_and_quarters_are_dates(write_csv, cells, first, freq, two_digit):
    panel = load_csv(write_csv(file_of(cells)))
    assert panel.freq == freq and len(panel.y) == len(cells)
    assert pd.Timestamp(panel.ds[0]) == pd.Timestamp(first)
    assert np.all(np.diff(panel.ds.astype(np.int64)) > 0)
    noted = any("two-digit years" in note for note in panel.notes)
    assert noted == two_digit, panel.notes


def test_a_two_digit_year_is_never_in_the_future():
    years = full_years(np.array([49, 15, 27, 28, 99, 0]), this_year=2026)
    assert years.tolist() == [1949, 2015, 2027, 1928, 1999, 2000]
    # a file spanning the century: 1995 to 2004, in order
    cells = [f"Jan-{y % 100:02d}" for y in range(1995, 2005)]
    stamps = parse_time(pd.Series(cells), "m", Where("f", lambda ks: list(ks))).ds
    assert [pd.Timestamp(s).year for s in stamps] == list(range(1995, 2005))


@pytest.mark.parametrize("typed", [True, False])
def test_six_digit_months_are_dates_and_a_counter_stays_steps(typed):
    where = Where("f", lambda ks: [k + 2 for k in ks])
    months = [y * 100 + m for y in (2019, 2020) for m in range(1, 13)]
    col = pd.Series(months) if typed else pd.Series([str(v) for v in months], dtype=object)
    parsed = parse_time(col, "period", where)
    assert pd.Timestamp(parsed.ds[12]) == pd.Timestamp("2020-01-01")
    assert "YYYYMM" in parsed.notes[0]
    counter = pd.Series(range(100_001, 100_030))  # passes month 12: steps
    assert parse_time(counter, "t", where).ds.dtype == np.int64
    old = pd.Series([170_001, 170_002])  # year 1700: no YYYYMM a file of today holds
    assert parse_time(old, "t", where).ds.dtype == np.int64


def test_r_decimal_years_are_months_or_quarters(write_csv):
    monthly = "".join(f"{1949 + k / 12:.12g},{100 + k % 12}\n" for k in range(40))
    panel = load_csv(write_csv('"time","value"\n' + monthly))
    assert panel.freq == "MS" and pd.Timestamp(panel.ds[-1]) == pd.Timestamp("1952-04-01")
    assert any("decimal years" in note for note in panel.notes)
    quarterly = "".join(f"{1990 + k / 4:g},{k % 4}\n" for k in range(12))
    panel = load_csv(write_csv("t,y\n" + quarterly))
    assert panel.freq == "QS-JAN" and pd.Timestamp(panel.ds[5]) == pd.Timestamp("1991-04-01")


def test_r_times_of_other_frequencies_are_steps_written_back(write_csv, tmp_path):
    """R's ``time()`` of a daily ts of frequency 7 (``1.42857142857143``: week 1, day 4),
    beside R's ``rownames`` counter: steps of 1/7, and forecasts written as R writes them."""
    rows = "".join(
        f"{k + 1},{(k + 10) / 7:.15g},{100 + 30 * ((k + 3) % 7 == 0) + k % 5}\n" for k in range(70)
    )
    csv = write_csv("rownames,time,value\n" + rows)
    panel = load_csv(csv)
    assert panel.ids == ["value"] and panel.spelling.cycle == 7
    assert panel.ds.dtype == np.int64 and panel.ds[0] == 10 and panel.ds[-1] == 79
    assert any("read as steps of 1/7" in note for note in panel.notes)
    assert any("'rownames' left out" in note for note in panel.notes)
    rows = train_then_predict(csv, tmp_path / "m", *FAST, "--horizon", "3")
    assert [r[1] for r in rows[1:]] == ["11.4285714285714", "11.5714285714286", "11.7142857142857"]
    out = CliRunner().invoke(app, ["predict", str(tmp_path / "m"), str(csv), "--format", "json"])
    assert [round(r["ds"], 6) for r in json.loads(out.output)] == [11.428571, 11.571429, 11.714286]
    # a whole-number time stays a step; R's frequency 12 outside the years read as dates too
    monthly = pd.Series([1 + k / 12 for k in range(30)])
    parsed = parse_time(monthly, "time", Where("f", list))
    assert parsed.spelling.cycle == 12 and parsed.ds[0] == 12


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(
    f=st.integers(2, 20_000),
    start=st.integers(-5_000_000, 5_000_000),
    cycles=st.integers(1, 3),
    extra=st.integers(0, 50),
)
def test_r_times_round_trip(f, start, cycles, extra):
    """R's times of any frequency, written with 15 digits, read back as their steps, and
    written again to the same text."""
    steps = np.arange(start, start + cycles * f + extra)
    text = pd.Series([f"{s / f:.15g}" for s in steps])
    arr = text.astype(float).to_numpy()
    found = ts_cycles(arr)
    if (arr == np.round(arr)).all():
        return  # a whole-number column is a step index before this is asked
    assert found is not None and found[1] % f == 0
    k = found[1] // f
    assert (found[0] == steps * k).all()
    assert cycle_times(pd.Series(found[0]), found[1]).tolist() == text.tolist()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("".join(f"2000.{q},{q}\n" for q in range(1, 5)), "fractional"),  # year.quarter
        ("".join(f"{y}.{q},{q}\n" for y in (2000, 2001) for q in range(1, 5)), "fractional"),
        ("0.3,1\n0.7,2\n1.2,3\n1.5,4\n", "fractional"),  # no grid of steps
        ("0.1,1\n0.2,2\n0.4,3\n0.5,4\n", "fractional"),  # a grid with a step missing
    ],
)
def test_what_is_no_date_stays_refused(write_csv, rows, message):
    with pytest.raises(InputError, match=message):
        load_csv(write_csv("t,y\n" + rows))


@pytest.mark.parametrize(
    ("days", "first", "freq"), [(7, "1991-02-01", "W-FRI"), (1, "2010-01-01", "D")]
)
def test_r_times_of_a_year_of_365_25_days_are_dates(write_csv, tmp_path, days, first, freq):
    """R's ``time()`` of a weekly ts (frequency 365.25 / 7 = 52.18) or a
    daily one (365.25), which no whole frequency fits: read as dates on a grid of 7 or 1
    days, forecasts written as dates."""
    start = 1991 + 31 / 365.25 if days == 7 else 2010.0
    rows = "".join(
        f'"{k + 1}",{start + k * days / 365.25:.12g},{50 + (k % 5) + 0.1 * k}\n' for k in range(120)
    )
    csv = write_csv('"","time","value"\n' + rows)
    panel = load_csv(csv)
    assert panel.freq == freq and str(panel.ds[0])[:10] == first
    assert (np.diff(panel.ds) == np.timedelta64(days, "D")).all()
    assert any("read as" in n and "a year of 365.25 days" in n for n in panel.notes)
    rows = train_then_predict(csv, tmp_path / "m", *FAST, "--horizon", "2")
    last = pd.Timestamp(panel.ds[-1])
    assert [r[1][:10] for r in rows[1:]] == [
        str((last + pd.Timedelta(days=days * k)).date()) for k in (1, 2)
    ]
    # a grid of 1.5 days, or years outside 1800-2199, stay refused
    half = "".join(f"{2000 + k * 1.5 / 365.25:.12g},{k}\n" for k in range(30))
    with pytest.raises(InputError, match="fractional"):
        load_csv(write_csv("t,y\n" + half))
    early = "".join(f"{1700 + k * 7 / 365.25:.12g},{k}\n" for k in range(30))
    with pytest.raises(InputError, match="fractional"):
        load_csv(write_csv("t,y\n" + early))


def test_months_of_counted_years_are_monthly(write_csv):
    """The Time Series Data Library's ``1-01`` (year 1 of the data, January): a monthly
    series, its years held from ``spelling.COUNTED_BASE``."""
    cells = [f"{1 + k // 12}-{1 + k % 12:02d}" for k in range(147)]  # to 13-03
    panel = load_csv(write_csv(file_of(cells)))
    assert panel.freq == "MS" and len(panel.y) == 147
    assert pd.Timestamp(panel.ds[0]) == pd.Timestamp("2001-01-01")
    assert pd.Timestamp(panel.ds[-1]) == pd.Timestamp("2013-03-01")
    assert any("'1-01' read as month 1 of year 1 of a count of years" in n for n in panel.notes)
    # two-digit years stay calendar years; a leading zero or a count from 40 is no count
    stamps = parse_time(pd.Series(["95-01", "95-02", "99-12"]), "m", Where("f", list)).ds
    assert pd.Timestamp(stamps[0]) == pd.Timestamp("1995-01-01")
    assert counted_years(pd.Series(["01-01", "01-02"])) is None
    assert counted_years(pd.Series(["40-01", "40-02"])) is None  # (dateutil: 2040)
    assert counted_years(pd.Series(["1-01", "1-13"])) is None  # no month 13
    assert counted_years(pd.Series(["1-01", f"{COUNTED_MAX + 1}-01"])) is None


def test_codes_that_look_like_months_are_not_dates():
    assert not reads_as_dates(pd.Series(["SKU15", "ABC12", "Jan15"]))
    assert reads_as_dates(pd.Series(["Jan15", "Feb15", "Mar15"]))
    assert decimal_years(np.array([1.5, 2.5])) is None  # no plausible year
    assert yyyymm(np.array([201913])) is None


def test_a_pivot_with_months_as_excel_writes_them(write_csv):
    cols = [d.strftime("%b-%y") for d in pd.date_range("2019-01-01", periods=36, freq="MS")]
    rows = [f"P{j}," + ",".join(f"{50 + j + k % 12:.1f}" for k in range(36)) for j in range(4)]
    panel = load_csv(write_csv("Product," + ",".join(cols) + "\n" + "\n".join(rows) + "\n"))
    assert panel.freq == "MS" and len(panel.y) == 4 * 36
    assert pd.Timestamp(panel.ds[0]) == pd.Timestamp("2019-01-01")


@settings(max_examples=40, deadline=None)
@given(
    start=st.dates(min_value=pd.Timestamp("1951-01-01").date(),
                   max_value=pd.Timestamp("2024-12-01").date()),
    n=st.integers(min_value=3, max_value=40),
    spelling=st.sampled_from(["%b-%y", "%B %y", "%m/%y"]),
)  # fmt: skip
def test_two_digit_spellings_give_the_iso_dates(start, n, spelling):
    months = pd.date_range(pd.Timestamp(start).replace(day=1), periods=n, freq="MS")
    if months[-1].year >= 2027 or (months[0].year < 1951):
        return  # the two-digit years of these would wrap around the century rule
    where = Where("f", lambda ks: list(ks))
    spelled = parse_time(pd.Series(months.strftime(spelling)), "m", where).ds
    assert np.array_equal(spelled, months.to_numpy(dtype="datetime64[ns]"))
    decimal = np.array([d.year + (d.month - 1) / 12 for d in months])
    assert np.array_equal(decimal_years(np.round(decimal, 10))[0], months.to_numpy())


def test_train_and_predict_on_an_excel_export(tmp_path, write_csv):
    cells = [d.strftime("%b-%y") for d in pd.date_range("2016-01-01", periods=48, freq="MS")]
    rows = train_then_predict(write_csv(file_of(cells)), tmp_path / "model", *FAST)
    # the file's spelling of months, with the year in full (a two-digit one could read as 1920)
    assert [row[1] for row in rows[1:4]] == ["Jan-2020", "Feb-2020", "Mar-2020"]


@pytest.mark.parametrize(
    ("cells", "first", "note"),
    [
        ([f"{y}-{(y + 1) % 100:02d}" for y in range(1990, 2020)], "1990", "financial years"),
        ([f"{y}/{y + 1}" for y in range(1990, 2020)], "1990", "financial years"),
        # every cell a valid ISO month, yet financial years: each second year follows its first
        ([f"{y}-{(y + 1) % 100:02d}" for y in range(2001, 2011)], "2001", "financial years"),
        ([f"FY{y}" for y in range(1990, 2020)], "1990", "read as the years they name"),
        ([f"FY{y % 100:02d}" for y in range(1995, 2020)], "1995", "read as the years they name"),
    ],
)
def test_financial_years_are_yearly(write_csv, cells, first, note):
    panel = load_csv(write_csv(file_of(cells, "Year,Value")))
    assert panel.freq == "YS-JAN" and len(panel.y) == len(cells)
    assert pd.Timestamp(panel.ds[0]) == pd.Timestamp(first + "-01-01")
    assert any(note in n for n in panel.notes), panel.notes


def test_months_that_do_not_follow_are_no_financial_years(write_csv):
    panel = load_csv(write_csv(file_of(["2001-02", "2001-03", "2001-04", "2001-05"])))
    assert panel.freq == "MS" and not panel.notes


@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
@pytest.mark.parametrize(
    ("header", "part", "freq"),
    [
        ("Year,Month,Sales", lambda m: pd.Timestamp(2000, m, 1).strftime("%B"), "MS"),
        ("year,month,sales", lambda m: pd.Timestamp(2000, m, 1).strftime("%b").upper(), "MS"),
        ("Year,Quarter,GDP", lambda q: f"Q{q}", "QS-JAN"),
    ],
)
def test_a_split_timestamp_with_month_names_or_quarters(
    write_csv, engine, monkeypatch, header, part, freq
):
    import forecastr.ingest.csvread as csvread

    monkeypatch.setattr(csvread, "ENGINE", engine)
    per = 12 if freq == "MS" else 4
    rows = "".join(f"{y},{part(k)},{y + k / 10:.2f}\n" for y in range(2015, 2020)
                   for k in range(1, per + 1))  # fmt: skip
    panel = load_csv(write_csv(header + "\n" + rows))
    assert panel.freq == freq and len(panel.y) == 5 * per
    assert pd.Timestamp(panel.ds[per + 1]) == pd.Timestamp("2016-01-01") + pd.DateOffset(
        months=12 // per
    )
    bad = rows.replace(f"2016,{part(3)},", "2016,Mai,")
    with pytest.raises(InputError, match=f"line {per + 4}: column '.+' is 'Mai', not a"):
        load_csv(write_csv(header + "\n" + bad))


def ons_csv(months: bool = True) -> str:
    """A series as the UK's ONS publishes it: metadata lines, no header, then the years, the
    quarters and the months of one series in one column."""
    meta = ['"Title","CPIH ANNUAL RATE 00: ALL ITEMS 2015=100"', '"CDID","L55O"',
            '"Source dataset ID","MM23"', '"PreUnit",""', '"Unit","%"',
            '"Release date","17-04-2024"', '"Next release","22 May 2024"',
            '"Important notes",""']  # fmt: skip
    years = range(2001, 2011)
    rows = [f'"{y}","{y - 2000}.0"' for y in years]
    rows += [f'"{y} Q{q}","{q}.5"' for y in years for q in range(1, 5)]
    if months:
        rows += [f'"{y} {calendar.month_abbr[m].upper()}","{m}.25"' for y in years
                 for m in range(1, 13)]  # fmt: skip
    return "\n".join(meta + rows) + "\n"


@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
@pytest.mark.parametrize("months", [True, False])
def test_an_ons_series_reads_its_finest_periods(write_csv, engine, monkeypatch, months):
    import forecastr.ingest.csvread as csvread

    monkeypatch.setattr(csvread, "ENGINE", engine)
    panel = load_csv(write_csv(ons_csv(months)))
    assert panel.columns["target"] == ["L55O"] and panel.columns["time"] == "period"
    assert panel.freq == ("MS" if months else "QS-JAN")
    assert len(panel.y) == (120 if months else 40) and panel.y[0] == (1.25 if months else 1.5)
    assert pd.Timestamp(panel.ds[0]) == pd.Timestamp("2001-01-01")
    left = "10 yearly and 40 quarterly rows" if months else "10 yearly rows"
    assert any(f"the {left} left out" in n for n in panel.notes), panel.notes
    assert any("values named 'L55O' (its CDID)" in n for n in panel.notes)


def test_mixed_periods_with_a_header_and_a_blank_row(write_csv):
    text = "period,v\n1990,1\n1991,2\n1991 Q1,3\n1991 Q2,4\n,\n1991 Q3,5\n1991 Q4,6\n"
    panel = load_csv(write_csv(text))
    assert panel.freq == "QS-JAN" and panel.y.tolist() == [3, 4, 5, 6]
    # one kind alone, or a cell of none of them: nothing is left out
    assert finest_periods(pd.Series(["1991 Q1", "1991 Q2"])) is None
    assert finest_periods(pd.Series(["1990", "1991 Q1", "total"])) is None


def test_excel_day_numbers_in_a_date_column(write_csv):
    rows = "".join(f"{43831 + k},{k % 7}\n" for k in range(60))  # 43831: 2020-01-01
    panel = load_csv(write_csv("Date,Sales\n" + rows))
    assert panel.freq == "D" and pd.Timestamp(panel.ds[0]) == pd.Timestamp("2020-01-01")
    assert any("read as Excel's day numbers (43831 is 2020-01-01)" in n for n in panel.notes)
    # the same numbers under another name, or a day counter, stay steps
    assert load_csv(write_csv("t,Sales\n" + rows)).ds.dtype == np.int64
    counter = "".join(f"{k + 1},{k % 7}\n" for k in range(60))
    assert load_csv(write_csv("day,Sales\n" + counter)).ds.dtype == np.int64


@pytest.mark.parametrize(("name", "scale"), [("timestamp", 1), ("open_time", 1000), ("t", 1)])
def test_unix_times_in_a_time_column(write_csv, name, scale):
    rows = "".join(f"{(1577836800 + 3600 * k) * scale},{k % 24}\n" for k in range(100))
    panel = load_csv(write_csv(f"{name},load\n" + rows))
    assert panel.freq == "h" and pd.Timestamp(panel.ds[0]) == pd.Timestamp("2020-01-01")
    unit = "seconds" if scale == 1 else "milliseconds"
    assert any(f"read as Unix time, {unit} since 1970 UTC" in n for n in panel.notes)
    # under a name that is no time's, the same numbers stay steps
    assert load_csv(write_csv("reading,load\n" + rows)).ds.dtype == np.int64
