"""Shapes of real files: calendars spread over columns (a year-by-month or quarter table, a
timestamp split into year, month, day and hour columns) or absent (one column of numbers,
timed by the row number); statistical agencies' and ISO 8601's date formats; a title above
the header; and a wide file's text label column."""

from __future__ import annotations

import calendar

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
from forecastr.ingest.options import IngestOptions
from forecastr.ingest.spelling import Spelling

MONTHS = [calendar.month_abbr[m].upper() for m in range(1, 13)]
FAST = ["--epochs", "1", "--ensemble", "1", "--hidden", "8", "--layers", "1", "-q"]


def table_csv(years: range, values: np.ndarray, extra: str = "", blanks: int = 0) -> str:
    """A ``YEAR,JAN..DEC`` table (plus an ``extra`` column), the last ``blanks`` months empty."""
    head = ["YEAR", *MONTHS] + ([extra] if extra else [])
    lines = [",".join(head)]
    for i, year in enumerate(years):
        cells = [f"{v:.3f}" for v in values[i]]
        if i == len(years) - 1 and blanks:
            cells[-blanks:] = [""] * blanks
        lines.append(",".join([str(year), *cells] + ([f"{values[i].sum():.3f}"] if extra else [])))
    return "\n".join(lines) + "\n"


def test_a_year_by_month_table_is_one_monthly_series_in_date_order(write_csv):
    vals = np.arange(36, dtype=float).reshape(3, 12) + 100
    panel = load_csv(write_csv(table_csv(range(1990, 1993), vals, extra="Annual", blanks=2)))
    assert panel.layout == "matrix"
    assert panel.freq == "MS"
    assert panel.ids == ["value"]
    np.testing.assert_array_equal(panel.y, vals.ravel()[:-2])  # the empty months trimmed
    assert str(panel.ds[0])[:10] == "1990-01-01"
    assert str(panel.ds[-1])[:10] == "1992-10-01"
    assert any("year-by-month table" in n and "'Annual' left out" in n for n in panel.notes)
    assert panel.spelling == Spelling("{Y}-{m02}")  # forecasts are written 1992-11, ...


def test_a_quarter_table_with_a_text_key_gives_one_series_per_key(write_csv):
    rows = ["station,year,Q1,Q2,Q3,Q4"]
    for station, base in (("north", 10), ("south", 50)):
        for k, year in enumerate((2000, 2001, 2002)):
            rows.append(f"{station},{year},{base + 4 * k},{base + 4 * k + 1},"
                        f"{base + 4 * k + 2},{base + 4 * k + 3}")  # fmt: skip
    panel = load_csv(write_csv("\n".join(rows) + "\n"))
    assert panel.layout == "matrix"
    assert panel.ids == ["north", "south"]
    assert panel.lengths.tolist() == [12, 12]
    np.testing.assert_array_equal(panel.y[:12], np.arange(10, 22))
    assert pd.Timestamp(panel.ds[12 + 5]) == pd.Timestamp("2001-04-01")  # south, 2001 Q2
    assert panel.spelling == Spelling("{Y}Q{q}")


def test_a_keyed_tables_unpublished_quarters_are_not_filled_in(write_csv):
    # The last year's Q3 and Q4 not published yet, a station that starts in Q2: each series
    # keeps its cells from its first value to its last, as a wide file's columns do.
    text = "station,year,Q1,Q2,Q3,Q4\n" + "n,2000,1,2,3,4\nn,2001,5,6,7,8\nn,2002,9,10,,\n"
    text += "s,2000,,2,3,4\ns,2001,5,6,7,8\ns,2002,9,10,11,12\n"
    panel = load_csv(write_csv(text))
    assert panel.lengths.tolist() == [10, 11] and panel.filled_points == 0
    assert pd.Timestamp(panel.ds[10]) == pd.Timestamp("2000-04-01")


def test_layout_wide_keeps_a_table_as_one_series_per_column(write_csv):
    path = write_csv(table_csv(range(1990, 2000), np.ones((10, 12))))
    panel = load_csv(path, IngestOptions(layout="wide"))
    assert panel.layout == "wide" and len(panel.ids) == 12
    with pytest.raises(InputError, match="--layout matrix needs a column of years"):
        load_csv(
            write_csv("ds,a,b\n2020-01-01,1,2\n2020-01-02,3,4\n"), IngestOptions(layout="matrix")
        )


@settings(max_examples=30, deadline=None)
@given(
    n_years=st.integers(1, 6),
    first=st.integers(1900, 2100),
    seed=st.integers(0, 2**16),
    quarters=st.booleans(),
)
def test_a_melted_table_keeps_every_value_at_its_own_date(tmp_path_factory, n_years, first,
                                                          seed, quarters):  # fmt: skip
    per = 4 if quarters else 12
    names = [f"Q{q}" for q in range(1, 5)] if quarters else [calendar.month_name[m] for m in
                                                             range(1, 13)]  # fmt: skip
    vals = np.random.default_rng(seed).normal(size=(n_years, per)).round(3)
    order = np.random.default_rng(seed + 1).permutation(n_years)  # rows in any order
    lines = ["Year," + ",".join(names)]
    lines += [f"{first + i}," + ",".join(f"{v:.3f}" for v in vals[i]) for i in order]
    path = tmp_path_factory.mktemp("t") / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    if n_years * per < 3:
        return  # too short a series for any file: refused as before
    panel = load_csv(path)
    np.testing.assert_allclose(panel.y, vals.ravel())
    stamps = pd.DatetimeIndex(panel.ds)
    assert (stamps.year == np.repeat(np.arange(first, first + n_years), per)).all()
    assert (stamps.month == np.tile(np.arange(per) * (12 // per) + 1, n_years)).all()


def split_csv(hours: int = 60) -> str:
    stamps = pd.date_range("2021-02-27", periods=hours, freq="h")
    lines = ["No,year,month,day,hour,pm25,wind"]
    for k, t in enumerate(stamps):
        lines.append(f"{k + 1},{t.year},{t.month},{t.day},{t.hour},{k % 24 + 0.5},"
                     f"{'NW' if k % 5 else 'cv'}")  # fmt: skip
    return "\n".join(lines) + "\n"


def test_a_split_timestamp_is_joined_and_a_text_label_left_out(write_csv):
    panel = load_csv(write_csv(split_csv()))
    assert panel.freq == "h"
    assert panel.columns["time"] == "year+month+day+hour"
    assert panel.ids == ["pm25"]  # the wind direction is a label, not a series id
    assert any("column 'No' left out: it numbers the rows" in n for n in panel.notes)
    assert pd.Timestamp(panel.ds[0]) == pd.Timestamp("2021-02-27 00:00")
    assert pd.Timestamp(panel.ds[59]) == pd.Timestamp("2021-03-01 11:00")  # across February
    assert any("'wind' left out" in n for n in panel.notes)
    named = load_csv(write_csv(split_csv()), IngestOptions(time_col="year+month+day+hour",
                                                           target="pm25"))  # fmt: skip
    np.testing.assert_array_equal(named.y, panel.y)


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ("2021,13,1,0", r"line 3: column 'month' is 13, not a month \(1 to 12\)"),
        (
            "2021,2,30,0",
            r"line 3: 2021-2-30 \(columns 'year', 'month', 'day', 'hour'\) is not a date",
        ),
        ("2021,2,1.5,0", r"line 3: column 'day' is 1.5, not a day"),
        ("2021,,1,0", r"line 3: column 'month' is empty, not a month"),
    ],
)
def test_a_bad_part_of_a_split_timestamp_names_its_line(write_csv, cells, message):
    text = f"year,month,day,hour,y\n2021,1,1,0,1\n{cells},2\n2021,1,1,2,3\n"
    with pytest.raises(InputError, match=message):
        load_csv(write_csv(text))


def test_year_and_quarter_columns_make_a_quarterly_long_file(write_csv):
    lines = ["id,year,quarter,y"]
    lines += [f"{s},{2000 + k // 4},{k % 4 + 1},{k}" for s in "ab" for k in range(12)]
    panel = load_csv(write_csv("\n".join(lines) + "\n"))
    assert panel.layout == "long" and panel.freq.startswith("QS")
    assert pd.Timestamp(panel.ds[5]) == pd.Timestamp("2001-04-01")


def test_a_month_column_of_stamps_is_still_the_time(write_csv):
    panel = load_csv(write_csv("year,month,y\n2020,2020-01,1\n2020,2020-02,2\n2020,2020-03,3\n"))
    assert panel.columns["time"] == "month"  # not a part: its cells are whole stamps


def test_an_order_no_timestamp_is_split_in_is_refused(write_csv):
    path = write_csv("year,month,day,y\n2021,1,1,1\n2021,1,2,2\n2021,1,3,3\n")
    with pytest.raises(InputError, match="year\\+month, year\\+month\\+day"):
        load_csv(path, IngestOptions(time_col="day+year"))


@pytest.mark.parametrize("header", ["count\n", ""])
def test_one_column_of_numbers_is_a_series_timed_by_its_row_number(write_csv, header):
    panel = load_csv(write_csv(header + "".join(f"{v}\n" for v in range(5, 35))))
    assert panel.layout == "single" and panel.columns["time"] == "(row)"
    assert panel.ids == ["count" if header else "y"]
    assert panel.ds.tolist() == list(range(30)) and panel.y.tolist() == list(range(5, 35))
    with pytest.raises(InputError, match=r"line 4"):  # lines are counted as in the file
        load_csv(write_csv(header + "1\n2\noops\n5\n" if header else "1\n2\n3\noops\n5\n"))


def test_a_pandas_series_saved_without_its_index_keeps_its_name_zero_as_the_header(write_csv):
    # pd.Series(values).to_csv(index=False) writes the default name 0 above the values.
    panel = load_csv(write_csv("0\n" + "".join(f"{v}.0\n" for v in range(5, 25))))
    assert panel.ids == ["0"] and panel.y.tolist() == [float(v) for v in range(5, 25)]


def test_time_col_row_numbers_any_file(write_csv):
    path = write_csv("when,y\nmon,1\ntue,2\nwed,4\nthu,8\n")
    panel = load_csv(path, IngestOptions(time_col="(row)", target="y"))
    assert panel.ds.tolist() == [0, 1, 2, 3] and panel.y.tolist() == [1, 2, 4, 8]
    with pytest.raises(InputError, match="one series per column"):
        load_csv(path, IngestOptions(time_col="(row)", id_col="when"))


@pytest.mark.parametrize("kind", ["table", "split", "column", "pivot"])
def test_train_then_predict_reads_the_file_the_same_way(tmp_path, write_csv, kind):
    if kind == "pivot":
        months = pd.date_range("2019-01-01", periods=48, freq="MS").strftime("%Y-%m")
        rows = [f"p{j}," + ",".join(f"{20 + j + np.sin(k / 2):.3f}" for k in range(48))
                for j in range(5)]  # fmt: skip
        csv, first = write_csv("item," + ",".join(months) + "\n" + "\n".join(rows)), "2023-01"
    elif kind == "column":
        csv, first = write_csv("".join(f"{np.sin(k / 2):.4f}\n" for k in range(80))), "80"
    elif kind == "table":
        vals = 20 + np.sin(np.arange(96) * np.pi / 6).reshape(8, 12)
        csv, first = write_csv(table_csv(range(2010, 2018), vals, extra="Total")), "2018-01"
    else:
        csv, first = write_csv(split_csv(120)), "2021-03-04 00:00:00"
    rows = train_then_predict(csv, tmp_path / "model", *FAST)
    assert rows[0] == ["unique_id", "ds", "forecast"]
    assert rows[1][1] == first


@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
def test_one_column_of_binary_junk_is_refused_in_one_line(write_csv, engine, monkeypatch):
    import forecastr.ingest.csvread as csvread

    monkeypatch.setattr(csvread, "ENGINE", engine)
    junk = write_csv(b"\xff\xfe" + b"\x00" * 13)  # found by tests/test_fuzz_csv.py
    with pytest.raises(InputError, match="its name is not text"):
        load_csv(junk)


@pytest.mark.parametrize(
    ("cells", "first", "freq"),
    [
        ([f"2019M{m:02d}" for m in range(1, 13)], "2019-01-01", "MS"),
        ([f"2019m{m}" for m in range(1, 13)], "2019-01-01", "MS"),
        ([f"2019-W{w:02d}" for w in range(40, 53)] + ["2020-W01"], "2019-09-30", "W-MON"),
        ([f"2020W{w:02d}-5" for w in range(1, 13)], "2020-01-03", "W-FRI"),
        ([f"2000 W{w:02d}" for w in range(1, 13)], "2000-01-03", "W-MON"),  # R's tsibble
        ([f"{2000 + k // 4}/Q{k % 4 + 1}" for k in range(12)], "2000-01-01", "QS-JAN"),
    ],
)
def test_agency_months_and_iso_weeks_are_dates(write_csv, cells, first, freq):
    panel = load_csv(write_csv("period,y\n" + "".join(f"{c},{k}\n" for k, c in enumerate(cells))))
    assert panel.freq == freq
    assert pd.Timestamp(panel.ds[0]) == pd.Timestamp(first)


@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
def test_months_written_mm_yyyy_are_dates_not_fractions(write_csv, engine, monkeypatch):
    # German-language exports: "01.2020;1,5". Read as numbers, 10.2020 and 01.2020 were
    # the fractions 10.202 and 1.202.
    import forecastr.ingest.csvread as csvread

    monkeypatch.setattr(csvread, "ENGINE", engine)
    rows = "".join(f"{m:02d}.2020;{m},5\n" for m in range(1, 13)) + "01.2021;13,5\n"
    panel = load_csv(write_csv("Monat;Umsatz\n" + rows))
    assert panel.freq == "MS" and len(panel.y) == 13 and panel.y[0] == 1.5
    assert pd.Timestamp(panel.ds[9]) == pd.Timestamp("2020-10-01")
    # A real fraction beside them is no month: the column stays numbers, and is refused.
    with pytest.raises(InputError, match="fractional"):
        load_csv(write_csv("t;y\n01.2020;1\n02.2020;2\n2.5;3\n"))


def test_a_month_13_is_not_a_date(write_csv):
    with pytest.raises(InputError, match="cannot read '2019M13' in column 'period' at line 3"):
        load_csv(write_csv("period,y\n2019M12,1\n2019M13,2\n2020M01,3\n"))


@pytest.mark.parametrize(
    "title", ["Monthly passengers, 1949 to 1950\n", "Table 3\nSource: an agency\n\n"]
)
def test_title_lines_above_the_header_are_skipped(write_csv, title):
    rows = "".join(f"1949-{m:02d},{100 + m}\n" for m in range(1, 13))
    panel = load_csv(write_csv(title.replace(",", "") + "Month,Passengers\n" + rows))
    assert panel.ids == ["Passengers"] and len(panel.y) == 12
    lines = title.replace(",", "").count("\n") + 1  # the title's lines and the header
    bad = title.replace(",", "") + "Month,Passengers\n1949-01,1\n1949-02,oops\n1949-03,3\n"
    with pytest.raises(InputError, match=f"line {lines + 2}"):
        load_csv(write_csv(bad))


def test_a_column_of_zeros_beside_real_series_trains(tmp_path, write_csv):
    # Daily stock files carry an OpenInt column of zeros; it was taken for divergence.
    days = pd.bdate_range("2021-01-04", periods=90)
    walk = 100 + np.cumsum(np.random.default_rng(0).normal(0, 1, 90))
    rows = "".join(f"{d.date()},{v:.3f},{v + 0.5:.3f},0\n" for d, v in zip(days, walk, strict=True))
    csv = write_csv("Date,Open,Close,OpenInt\n" + rows)
    res = CliRunner().invoke(app, ["train", str(csv), "-o", str(tmp_path / "m"), *FAST])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["predict", str(tmp_path / "m")])
    zeros = [float(r.split(",")[2]) for r in res.output.splitlines() if r.startswith("OpenInt")]
    assert zeros and max(abs(z) for z in zeros) < 1e-3


def test_a_pivot_table_is_one_series_per_row_with_ragged_starts(write_csv):
    months = [f"2021-{m:02d}" for m in range(1, 13)] + [f"2022-{m:02d}" for m in range(1, 7)]
    rows = ["sku,category," + ",".join(months)]
    rows.append("a,toys," + ",".join(str(k) for k in range(18)))
    rows.append("b,toys,,," + ",".join(str(100 + k) for k in range(16)))  # starts in March
    rows.append("c,toys" + "," * 18)  # no value at all
    panel = load_csv(write_csv("\n".join(rows) + "\n"))
    assert panel.layout == "pivot" and panel.freq == "MS"
    assert panel.ids == ["a", "b"] and panel.lengths.tolist() == [18, 16]
    assert pd.Timestamp(panel.ds[18]) == pd.Timestamp("2021-03-01")
    assert panel.y[18:].tolist() == list(range(100, 116))
    assert panel.spelling == Spelling("{Y}-{m02}")  # forecasts written as the columns are
    notes = " ".join(panel.notes)
    assert "'category' left out" in notes and "1 row without any value left out" in notes


def test_a_pivot_of_years_and_a_forced_layout(write_csv):
    years = ",".join(str(y) for y in range(1990, 2001))
    text = f"Country Name,Country Code,{years}\n" + "".join(
        f"{c},{c[:3].upper()}," + ",".join(str(100 + k + j) for k in range(11)) + "\n"
        for j, c in enumerate(["France", "Spain"])
    )
    panel = load_csv(write_csv(text))
    assert panel.ids == ["France", "Spain"] and panel.freq.startswith("YS")
    assert pd.Timestamp(panel.ds[-1]) == pd.Timestamp("2000-01-01")
    assert panel.spelling == Spelling("{Y}")  # forecasts written 2001, 2002, ...
    keyed = load_csv(write_csv(text), IngestOptions(id_col="Country Code"))
    assert keyed.ids == ["FRA", "SPA"]
    with pytest.raises(InputError, match="--layout pivot needs one row per series"):
        load_csv(
            write_csv("ds,a,b\n2020-01-01,1,2\n2020-01-02,3,4\n"), IngestOptions(layout="pivot")
        )
    with pytest.raises(InputError, match="one row per series: drop --layout long"):
        load_csv(write_csv(text), IngestOptions(layout="long"))


def test_a_pivot_whose_id_is_blank_for_whole_countries(write_csv):
    """JHU's COVID-19 table: ``Province/State`` blank where a row is a whole country, then
    ``Country/Region``, ``Lat``, ``Long`` and a column per day (``1/22/20``): one series per
    row, named by its filled parts; the coordinates left out."""
    days = pd.date_range("2020-01-22", periods=40, freq="D")
    head = "Province/State,Country/Region,Lat,Long," + ",".join(
        f"{d.month}/{d.day}/{d:%y}" for d in days
    )
    rows = [
        (place, country, lat, k)
        for k, (place, country, lat) in enumerate(
            [("", "Afghanistan", "33"), ("Australian Capital Territory", "Australia", "-35.47"),
             ("New South Wales", "Australia", "-33.87")]
        )
    ]  # fmt: skip
    text = (
        head
        + "\n"
        + "".join(
            f"{p},{c},{lat},1.5," + ",".join(str(k + 1 + j) for j in range(40)) + "\n"
            for p, c, lat, k in rows
        )
    )
    panel = load_csv(write_csv(text))
    assert panel.layout == "pivot" and panel.freq == "D"
    assert panel.ids == ["Afghanistan", "Australian Capital Territory/Australia",
                         "New South Wales/Australia"]  # fmt: skip
    assert any("'Lat', 'Long' left out" in n for n in panel.notes)
    assert panel.spelling == Spelling("{m}/{d}/{Y}")  # forecasts 3/2/2020: the year in full
    named = load_csv(
        write_csv(text, "named.csv"), IngestOptions(id_col="Province/State+Country/Region")
    )
    assert named.ids == panel.ids


def test_a_wide_file_of_series_named_by_years_stays_wide(write_csv):
    text = "date,2019,2020,2021\n" + "".join(f"2024-01-{d:02d},{d},{d},{d}\n" for d in range(1, 9))
    panel = load_csv(write_csv(text))
    assert panel.layout == "wide" and panel.ids == ["2019", "2020", "2021"]


def test_a_table_of_short_monthly_series_gets_the_theta_method_alone(write_csv):
    # A retailer's products over 27 months: with horizon, validation and test of 12 no
    # training part holds a season, and a window of 2 saw none (bench/short_seasonal.py).
    from forecastr import api

    months = pd.date_range("2021-01-01", periods=27, freq="MS").strftime("%Y-%m")
    rows = [f"p{j}," + ",".join(f"{50 + j + 9 * np.sin(k * np.pi / 6):.3f}" for k in range(27))
            for j in range(6)]  # fmt: skip
    csv = write_csv("sku," + ",".join(months) + "\n" + "\n".join(rows) + "\n")
    outcome = api.train(str(csv), save_model=False, epochs=1, ensemble=1)
    assert outcome.theta_only is not None


@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
def test_a_spreadsheets_formatted_numbers_are_read(write_csv, engine, monkeypatch):
    import forecastr.ingest.csvread as csvread

    monkeypatch.setattr(csvread, "ENGINE", engine)
    cells = ['"1,234.5"', "$12.50", "5.1%", '"-$1,000,000"', "+3", "7"]
    text = "date,v\n" + "".join(f"2020-01-{d + 1:02d},{c}\n" for d, c in enumerate(cells))
    panel = load_csv(write_csv(text))
    assert panel.y.tolist() == [1234.5, 12.5, 5.1, -1e6, 3.0, 7.0]
    # "1,5" could be a decimal comma: a column holding it beside "1,234" stays refused.
    with pytest.raises(InputError, match="remove thousands separators"):
        load_csv(write_csv('date,v\n2020-01-01,"1,234"\n2020-01-02,"1,5"\n2020-01-03,3\n'))


@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
@pytest.mark.parametrize(
    ("sep", "cells", "values"),
    [
        # French and Swiss locales group thousands by (no-break) spaces and apostrophes
        (";", ["1 500,25", "1\u00a0537,5", "1\u202f575", "12,5"], [1500.25, 1537.5, 1575, 12.5]),
        (",", ["1'500.25", "1\u2019537.5", "2 000", "7"], [1500.25, 1537.5, 2000, 7]),
        # accounting negatives and the minus sign U+2212
        (",", ["(50.00)", '"( 1,200.5 )"', "\u221246.7", "3"], [-50, -1200.5, -46.7, 3]),
        (";", ["(50,25)", "\u22121 000,5", "4"], [-50.25, -1000.5, 4]),
    ],
)
def test_numbers_as_other_locales_and_accountants_write_them(
    write_csv, engine, monkeypatch, sep, cells, values
):
    import forecastr.ingest.csvread as csvread

    monkeypatch.setattr(csvread, "ENGINE", engine)
    rows = "".join(f"2020-01-{d + 1:02d}{sep}{c}\n" for d, c in enumerate(cells))
    panel = load_csv(write_csv(f"date{sep}v\n" + rows))
    assert np.allclose(panel.y, values)
    with pytest.raises(InputError, match="non-numeric value '\\(-5\\)'"):  # no double minus
        load_csv(write_csv(f"date{sep}v\n2020-01-01{sep}(-5)\n2020-01-02{sep}3\n"))


def test_the_m4_competitions_rows_of_numbered_columns_are_series(write_csv):
    # M4's files: "V1","V2",... with the id ("M1", "Y23": not dates) in V1, and each row's
    # values from V2 on, shorter series ending in empty cells.
    head = ",".join(f'"V{k}"' for k in range(1, 12))
    rows = ['"M1",' + ",".join(str(k) for k in range(10)), '"M2",' + "5,6,7,8,9,10" + "," * 4]
    panel = load_csv(write_csv(head + "\n" + "\n".join(rows) + "\n"))
    assert panel.layout == "pivot" and panel.ids == ["M1", "M2"]
    assert panel.lengths.tolist() == [10, 6] and panel.freq is None
    assert panel.ds[:3].tolist() == [2, 3, 4] and panel.y[10:].tolist() == [5, 6, 7, 8, 9, 10]
    assert any("one column per time step" in n for n in panel.notes)
    # Numbered series beside a column of numbers (a saved frame's index) stay a wide file.
    wide = "," + ",".join(f"x{k}" for k in range(1, 9)) + "\n"
    wide += "".join(f"{t}," + ",".join([str(t)] * 8) + "\n" for t in range(12))
    assert load_csv(write_csv(wide)).layout == "wide"


@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
def test_a_series_keyed_by_two_columns(write_csv, engine, monkeypatch):
    # Kaggle's store-item demand file: date, store, item, sales; a store and an item name a
    # series together. One id column named by the user gives repeated dates, and the message
    # says what to pass (without --id-col the key columns are found: tests/test_keys.py).
    import forecastr.ingest.csvread as csvread

    monkeypatch.setattr(csvread, "ENGINE", engine)
    days = pd.date_range("2021-01-01", periods=20).strftime("%Y-%m-%d")
    rows = [f"{d},{st},{it},{st * 100 + it + k}" for st in (1, 2) for it in (7, 8)
            for k, d in enumerate(days)]  # fmt: skip
    path = write_csv("date,store,item,sales\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError, match=r"name both: --id-col item\+store"):
        load_csv(path, IngestOptions(id_col="item", target="sales"))
    panel = load_csv(path, IngestOptions(id_col="store+item", target="sales"))
    assert panel.ids == ["1/7", "1/8", "2/7", "2/8"] and panel.columns["id"] == "store+item"
    assert panel.y[20:23].tolist() == [108.0, 109.0, 110.0]
    with pytest.raises(InputError, match="no column named 'shop'"):
        load_csv(path, IngestOptions(id_col="shop+item", target="sales"))


@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
def test_a_google_trends_export_with_values_below_one(write_csv, engine, monkeypatch):
    # a category line and a blank line above the header; "<1" for values under 1
    import forecastr.ingest.csvread as csvread

    monkeypatch.setattr(csvread, "ENGINE", engine)
    weeks = pd.date_range("2020-01-05", periods=60, freq="W-SUN").strftime("%Y-%m-%d")
    cells = ["<1" if k % 9 == 4 else str(20 + k % 7) for k in range(60)]
    text = "Category: All categories\n\nWeek,forecasting: (Worldwide)\n" + "".join(
        f"{w},{c}\n" for w, c in zip(weeks, cells, strict=True)
    )
    panel = load_csv(write_csv(text))
    assert panel.freq == "W-SUN" and len(panel.y) == 60 and panel.y[4] == 0.5
    assert any("7 values written below a limit (like '<1') read as half" in n for n in panel.notes)


@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
def test_values_marked_doubtful_with_a_question_mark_are_the_numbers(
    write_csv, engine, monkeypatch
):
    # the Time Series Data Library's Melbourne minimum temperatures: "?0.2" on a few days, a
    # title for the value's name and a line of notes below the data
    import forecastr.ingest.csvread as csvread

    monkeypatch.setattr(csvread, "ENGINE", engine)
    days = pd.date_range("1981-01-01", periods=400, freq="D").strftime("%Y-%m-%d")
    cells = [
        "?0.2" if k in (200, 201) else "?0.8" if k == 250 else f"{10 + k % 9}.5" for k in range(400)
    ]
    text = '"Date","Daily minimum temperatures in Melbourne, Australia, 1981-1990"\n'
    text += "".join(f'"{d}",{c}\n' for d, c in zip(days, cells, strict=True))
    panel = load_csv(write_csv(text + "\nDaily minimum temperatures in Melbourne\n"))
    assert len(panel.y) == 400 and panel.y[200] == 0.2 and panel.y[250] == 0.8
    assert any("3 values marked with a question mark (like '?0.2'" in n for n in panel.notes)
    with pytest.raises(InputError, match="non-numeric value '\\?x'"):  # no number after it
        load_csv(
            write_csv(
                "ds,y\n"
                + "".join(f"2020-01-{d:02d},{'?x' if d == 9 else d}\n" for d in range(1, 29))
            )
        )


def test_a_world_bank_download_is_one_series_per_country(write_csv):
    # metadata lines of a few fields above the header, a quoted comma, a trailing empty column
    years = list(range(1990, 2020))
    head = '"Data Source","World Development Indicators",\n\n"Last Updated Date","2024-06-28",\n\n'
    header = '"Country Name","Country Code","Indicator Name","Indicator Code",'
    header += ",".join(f'"{y}"' for y in years) + ",\n"
    rows = "".join(
        f'"{name}","{code}","GDP (current US$)","NY.GDP.MKTP.CD",'
        + ",".join(f'"{1e9 * (1 + 0.03 * k + j):.1f}"' for k in range(len(years)))
        + ",\n"
        for j, (name, code) in enumerate([("Aruba", "ABW"), ("Korea, Rep.", "KOR")])
    )
    panel = load_csv(write_csv(head + header + rows))
    assert panel.ids == ["Aruba", "Korea, Rep."] and panel.freq == "YS-JAN"
    assert len(panel.y) == 2 * len(years)


def test_values_below_a_limit_in_a_frame_are_noted(write_csv):
    text = "date,nitrate\n" + "".join(
        f"2020-01-{d:02d},{'<0.5' if d % 4 == 0 else f'{1 + d / 10:.1f}'}\n" for d in range(1, 29)
    )
    panel = load_csv(write_csv(text))
    assert panel.y[3] == 0.25 and "7 values written below a limit" in panel.notes[0]
    frame = pd.read_csv(write_csv(text), dtype=str)
    from forecastr.data import frame_to_panel

    panel = frame_to_panel(
        frame, layout="single", id_col=None, time_col="date", targets=["nitrate"]
    )
    assert panel.y[3] == 0.25 and any("below a limit" in n for n in panel.notes)


@pytest.mark.parametrize("hint", ["sep=;", '"sep=;"', "SEP=;;"])
def test_excels_separator_line_above_the_header(write_csv, hint):
    # Excel writes "sep=;" above the header when asked to keep its separator; it was read as
    # the header ("no value column besides the time column 'sep='")
    rows = "".join(f"2020-01-{d:02d};{d},5\n" for d in range(1, 21))
    panel = load_csv(write_csv(f"{hint}\nDate;Value\n{rows}"))
    assert panel.columns["time"] == "Date" and panel.ids == ["Value"]
    assert panel.y[:3].tolist() == [1.5, 2.5, 3.5]  # decimal commas beside ;


@pytest.mark.parametrize(
    "text", ['[{"ds": "2020-01-01", "y": 1}]', '{"ds": "2020-01-01", "y": 1}\n{"ds": "x"}\n']
)
def test_json_is_named_and_refused(write_csv, text):
    with pytest.raises(InputError, match=r"is not a CSV \(it looks like JSON\); save it as CSV"):
        load_csv(write_csv(text, "d.json"))
