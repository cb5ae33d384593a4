"""Forecasts written in the file's spelling of its stamps (``forecastr/ingest/spelling.py``):
periods without a day (``1971Q2``, ``1949-01``, ``Jan-2015``) and stamps with a UTC offset."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import train_then_predict
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr import api
from forecastr.data import load_csv
from forecastr.ingest.spelling import (
    Spelling,
    day_template,
    has_zone,
    period_template,
    render,
    spelled,
    week_template,
    year_template,
    zone_of,
)

FAST = ["--epochs", "1", "--ensemble", "1", "--hidden", "8", "--layers", "1", "-q"]


def stamps(cells: list[str]) -> pd.DatetimeIndex:
    """What ingest reads ``cells`` as (through a one-column file's parse)."""
    from forecastr.ingest.timeparse import parse_time
    from forecastr.ingest.where import Where

    parsed = parse_time(pd.Series(cells, dtype=object), "t", Where("f.csv", lambda r: list(r)))
    return pd.DatetimeIndex(parsed.ds)


QUARTERS = pd.period_range("1971Q2", periods=12, freq="Q")
MONTHS = pd.period_range("2014-11", periods=16, freq="M")


@pytest.mark.parametrize(
    ("cells", "template", "next_cell"),
    [
        ([str(p) for p in QUARTERS], "{Y}Q{q}", "1974Q2"),
        ([f"{p.year} Q{p.quarter}" for p in QUARTERS], "{Y} Q{q}", "1974 Q2"),
        ([f"{p.year}-Q{p.quarter}" for p in QUARTERS], "{Y}-Q{q}", "1974-Q2"),
        ([f"Q{p.quarter} {p.year}" for p in QUARTERS], "Q{q} {Y}", "Q2 1974"),
        ([f"{p.year}-{p.month:02d}" for p in MONTHS], "{Y}-{m02}", "2016-03"),
        ([f"{p.year}M{p.month:02d}" for p in MONTHS], "{Y}M{m02}", "2016M03"),
        ([f"{p.month:02d}.{p.year}" for p in MONTHS], "{m02}.{Y}", "03.2016"),
        ([p.strftime("%b-%y") for p in MONTHS], "{b}-{Y}", "Mar-2016"),  # the year in full
        ([p.strftime("%B %Y") for p in MONTHS], "{B} {Y}", "March 2016"),
        ([p.strftime("%b %Y").upper() for p in MONTHS], "{bU} {Y}", "MAR 2016"),
    ],
)
def test_a_period_spelling_is_found_and_writes_the_next_period(cells, template, next_cell):
    ds = stamps(cells)
    text = pd.Series(cells, dtype=object)
    assert period_template(text, ds) == template
    step = ds[-1] - ds[-2]
    nxt = (pd.Period(ds[-1], "Q" if "q" in template else "M") + 1).start_time
    assert step.days > 27
    assert render(template, pd.DatetimeIndex([nxt])) == [next_cell]


@pytest.mark.parametrize(
    "cells",
    [
        [str(d.date()) for d in pd.date_range("2020-01-01", periods=30, freq="D")],  # days
        [str(d.date()) for d in pd.date_range("2020-01-31", periods=12, freq="ME")],  # month ends
        [f"{y}-{(y + 1) % 100:02d}" for y in range(1990, 2010)],  # financial years
        [str(d) for d in pd.date_range("2020-01-01", periods=30, freq="h")],  # hours
    ],
)
def test_what_is_no_period_spelling_stays_iso(cells):
    assert period_template(pd.Series(cells, dtype=object), stamps(cells)) is None


DAYS = pd.date_range("2018-08-14", periods=40, freq="D")


@pytest.mark.parametrize(
    ("cells", "template", "next_cell"),
    [
        ([f"{d:%d-%m-%Y}" for d in DAYS], "{d02}-{m02}-{Y}", "23-09-2018"),
        ([f"{d:%m/%d/%Y}" for d in DAYS], "{m02}/{d02}/{Y}", "09/23/2018"),
        ([f"{d.month}/{d.day}/{d.year}" for d in DAYS], "{m}/{d}/{Y}", "9/23/2018"),
        ([f"{d:%d.%m.%y}" for d in DAYS], "{d02}.{m02}.{Y}", "23.09.2018"),  # the year in full
        ([f"{d.day} {d:%b %Y}" for d in DAYS], "{d} {b} {Y}", "23 Sep 2018"),
        ([f"{d:%Y/%m/%d}" for d in DAYS], "{Y}/{m02}/{d02}", "2018/09/23"),
        ([f"{d:%Y-%m-%d}" for d in DAYS], None, None),  # ISO: written as ISO
        ([f"{d:%d-%m-%Y} 10:00" for d in DAYS], None, None),  # a time of day: ISO
    ],
)
def test_dates_written_otherwise_than_iso_are_written_back_so(cells, template, next_cell):
    ds = stamps(cells)
    assert day_template(pd.Series(cells, dtype=object), ds) == template
    if template is not None:
        assert render(template, pd.DatetimeIndex([ds[-1] + pd.Timedelta(days=1)])) == [next_cell]


def test_predict_writes_day_first_dates_as_the_file_does(tmp_path):
    """A share price by business day, written 14-08-2018 (a spreadsheet's day-first dates)."""
    days = pd.bdate_range("2018-08-14", "2019-08-14")
    csv = tmp_path / "stock.csv"
    y = 20 + np.sin(np.arange(len(days)) / 5)
    pd.DataFrame({"Date": [f"{d:%d-%m-%Y}" for d in days], "Price": y}).to_csv(csv, index=False)
    rows = train_then_predict(csv, tmp_path / "model", *FAST, "--horizon", "3")
    assert [row[1] for row in rows[1:]] == ["15-08-2019", "16-08-2019", "19-08-2019"]


def test_months_from_october_find_their_width_later():
    """Cells from October on cannot tell ``2019M10`` from ``2019M010``'s pattern; January
    does (2020M1, not 2020M01)."""
    cells = ["2019M10", "2019M11", "2019M12", "2020M1", "2020M2"]
    assert period_template(pd.Series(cells, dtype=object), stamps(cells)) == "{Y}M{m}"
    cells = ["2019-10", "2019-11", "2019-12", "2020-01"]
    assert period_template(pd.Series(cells, dtype=object), stamps(cells)) == "{Y}-{m02}"


def test_a_spelling_the_model_file_could_not_hold_is_dropped():
    """A template must load again (model check: printable, at most 64 characters)."""
    quarters = pd.period_range("2001Q1", periods=8, freq="Q")
    cells = [f"Q{p.quarter} {p.year}" + " (provisional figures, revised each month)" * 2
             for p in quarters]  # fmt: skip
    ds = quarters.to_timestamp()
    assert period_template(pd.Series(cells, dtype=object), ds) is None
    short = [f"Q{p.quarter} {p.year} (prov.)" for p in quarters]
    assert period_template(pd.Series(short, dtype=object), ds) == "Q{q} {Y} (prov.)"


def test_a_template_that_does_not_write_every_cell_back_is_dropped():
    """The first cell fits ``{Y}-{m02}`` but a later one is spelled otherwise."""
    cells = ["2020-01", "2020-02", "2020-3", "2020-04"]
    assert period_template(pd.Series(cells, dtype=object), stamps(cells)) is None


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(
    start=st.integers(1900, 2100),
    month=st.integers(1, 12),
    n=st.integers(2, 40),
    template=st.sampled_from(["{Y}-{m02}", "{Y}M{m}", "{b} {Y}", "{Bl}-{Y}", "{m02}/{Y}"]),
)
def test_a_rendered_spelling_is_found_again(start, month, n, template):
    """Any months written with a template give a template that writes them back (October to
    December alone cannot tell ``{m}`` from ``{m02}``)."""
    t = pd.date_range(f"{start}-{month:02d}-01", periods=n, freq="MS")
    cells = pd.Series(render(template, t), dtype=object)
    found = period_template(cells, t)
    assert found is not None and render(found, t) == cells.tolist()


def test_the_zone_is_the_one_of_the_last_instant():
    cells = ["2020-03-29T00:00:00+01:00", "2020-03-29T03:00:00+02:00", "2020-03-28T23:00:00Z"]
    parsed = pd.to_datetime(pd.Series(cells), utc=True).dt.tz_localize(None)
    assert zone_of(pd.Series(cells, dtype=object), parsed) == "+02:00"
    assert zone_of(pd.Series(["2020-01-01 00:00"], dtype=object), stamps(["2020-01-01"])) is None
    # a date that ends in its year is no offset (01-Jan-2020 was read at UTC-20:20)
    for day in ("01-Jan-2020", "31-12-2020", "2020-01-01"):
        assert zone_of(pd.Series([day], dtype=object), stamps(["2020-01-01"])) is None
        assert not has_zone(pd.Series([day], dtype=object))
    for stamp, zone in (("2020-01-01 10:00:00.250Z", "Z"), ("2020-01-01T10:00 -0500", "-0500")):
        assert zone_of(pd.Series([stamp], dtype=object), stamps(["2020-01-01"])) == zone


def test_dates_with_month_names_and_the_year_last_are_written_back_so(write_csv, tmp_path):
    d = pd.date_range("2020-01-01", periods=40, freq="D")
    text = "Date,y\n" + "".join(f"{t:%d-%b-%Y},{k}\n" for k, t in enumerate(d))
    panel = load_csv(write_csv(text))
    assert panel.spelling is not None and panel.spelling.zone is None
    assert pd.Timestamp(panel.ds[0]) == pd.Timestamp("2020-01-01")
    assert render(panel.spelling.template, pd.DatetimeIndex([d[-1]])) == ["09-Feb-2020"]


def test_stamps_are_written_at_the_offset_as_the_same_instants():
    utc = pd.Series(pd.to_datetime(["2020-04-29 23:00", "2020-04-30 00:00"]))
    assert spelled(utc, Spelling(zone="+02:00")).tolist() == [
        "2020-04-30 01:00:00+02:00",
        "2020-04-30 02:00:00+02:00",
    ]
    assert spelled(utc, Spelling(zone="-0530"), sep="T").tolist()[0] == "2020-04-29T17:30:00-0530"
    assert spelled(utc, Spelling(zone="Z")).tolist()[0] == "2020-04-29 23:00:00Z"
    assert spelled(utc, None) is None and spelled(utc, Spelling()) is None


def quarterly_file(path, cells) -> None:
    n = len(cells)
    y = 100 + np.arange(n) + 10 * np.tile([1.0, -1.0, 2.0, -2.0], n // 4 + 1)[:n]
    pd.DataFrame({"quarter": cells, "value": y}).to_csv(path, index=False)


def test_predict_writes_quarters_as_the_file_does(tmp_path):
    cells = [str(p) for p in pd.period_range("1971Q2", periods=48, freq="Q")]
    csv = tmp_path / "q.csv"
    quarterly_file(csv, cells)
    rows = train_then_predict(csv, tmp_path / "model", *FAST, "--horizon", "4")
    assert [row[1] for row in rows[1:]] == ["1983Q2", "1983Q3", "1983Q4", "1984Q1"]
    frame = api.predict(str(tmp_path / "model"), str(csv), out=str(tmp_path / "f.json"), fmt="json")
    assert [r["ds"] for r in json.loads((tmp_path / "f.json").read_text())][:2] == [
        "1983Q2",
        "1983Q3",
    ]
    # the Python API keeps typed stamps; the written file reads back as the same quarters
    assert frame["ds"].iloc[0] == pd.Timestamp("1983-04-01")
    again = load_csv(str(write_forecast(tmp_path, rows)))
    assert pd.Timestamp(again.ds[0]) == pd.Timestamp("1983-04-01")
    # from the stored context, and through the exported ONNX file, the same spelling
    from_context = api.predict(str(tmp_path / "model"))
    assert from_context.attrs["spelling"] == {"template": "{Y}Q{q}", "zone": None}
    from_context.to_parquet(tmp_path / "mine.parquet")  # a user's own write: attrs are JSON
    onnx = tmp_path / "m.onnx"
    api.export(str(tmp_path / "model"), str(onnx))
    for data in (None, str(csv)):
        api.predict(str(onnx), data, out=str(tmp_path / "o.csv"))
        assert pd.read_csv(tmp_path / "o.csv")["ds"].tolist() == [r[1] for r in rows[1:]]
    # evaluate's refusal of folds the model saw names the stamp as the file writes it
    from typer.testing import CliRunner

    from forecastr.cli import app

    res = CliRunner().invoke(app, ["evaluate", str(tmp_path / "model"), str(csv)])
    assert res.exit_code != 0 and "(up to 1983Q1)" in " ".join(res.output.split())


def write_forecast(tmp_path, rows):
    path = tmp_path / "forecast.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    return path


def test_predict_writes_stamps_with_a_zone_at_its_offset(tmp_path):
    """Hourly stamps across the spring change of clocks: read as UTC, written at +02:00."""
    local = pd.date_range("2020-03-20", periods=24 * 20, freq="h", tz="Europe/Berlin")
    t = np.arange(len(local))
    y = 50 + 10 * np.sin(2 * np.pi * t / 24) + np.random.default_rng(0).normal(size=len(t))
    csv = tmp_path / "zoned.csv"
    cells = [s[:-2] + ":" + s[-2:] for s in local.strftime("%Y-%m-%dT%H:%M:%S%z")]
    pd.DataFrame({"time": cells, "load": y}).to_csv(csv, index=False)
    rows = train_then_predict(csv, tmp_path / "model", *FAST, "--horizon", "3")
    assert [row[1] for row in rows[1:]] == [
        "2020-04-09 01:00:00+02:00",  # the file's 480 hours end at 00:00, an hour skipped
        "2020-04-09 02:00:00+02:00",
        "2020-04-09 03:00:00+02:00",
    ]
    api.predict(str(tmp_path / "model"), str(csv), out=str(tmp_path / "f.parquet"), fmt="parquet")
    written = pd.read_parquet(tmp_path / "f.parquet")["ds"]
    assert str(written.dt.tz) == "UTC+02:00"
    assert written.iloc[0] == pd.Timestamp("2020-04-08 23:00", tz="UTC")
    info = load_csv(str(csv))
    assert info.spelling == Spelling(zone="+02:00")
    assert any("UTC offset" in note for note in info.notes)


@pytest.mark.parametrize(
    ("stamps_", "digits", "after"),
    [
        (
            pd.date_range("2015-01-01", periods=48, freq="MS"),
            "%Y%m",
            ["201901", "201902", "201903"],
        ),
        (
            pd.date_range("2020-01-01", periods=120, freq="D"),
            "%Y%m%d",
            ["20200430", "20200501", "20200502"],
        ),
    ],
)
def test_dates_as_whole_numbers_are_written_back_as_such(tmp_path, stamps_, digits, after):
    """Six-digit months and eight-digit dates, as databases export them."""
    csv = tmp_path / "numbers.csv"
    y = np.arange(len(stamps_)) % 7 + np.arange(len(stamps_)) / 10
    pd.DataFrame({"period": [int(d.strftime(digits)) for d in stamps_], "v": y}).to_csv(
        csv, index=False
    )
    rows = train_then_predict(csv, tmp_path / "model", *FAST, "--horizon", "3")
    assert [row[1] for row in rows[1:]] == after


def test_months_of_counted_years_are_written_counted(tmp_path):
    """``1-01`` ... ``3-12`` (years counted from 1, no calendar year): forecasts ``4-01`` on,
    also through ONNX; a month 13 years on is ``13-03``, no leading zero."""
    csv = tmp_path / "shampoo.csv"
    y = 100 + 5 * np.arange(36) + 20 * np.sin(np.arange(36) * np.pi / 6)
    cells = [f"{1 + k // 12}-{1 + k % 12:02d}" for k in range(36)]
    pd.DataFrame({"Month": cells, "Sales": y}).to_csv(csv, index=False)
    rows = train_then_predict(csv, tmp_path / "model", *FAST, "--horizon", "3")
    assert [row[1] for row in rows[1:]] == ["4-01", "4-02", "4-03"]
    onnx = tmp_path / "m.onnx"
    api.export(str(tmp_path / "model"), str(onnx))
    api.predict(str(onnx), str(csv), out=str(tmp_path / "o.csv"))
    assert pd.read_csv(tmp_path / "o.csv", dtype=str)["ds"].tolist() == ["4-01", "4-02", "4-03"]
    later = pd.DatetimeIndex([pd.Timestamp("2013-03-01"), pd.Timestamp("2110-12-01")])
    assert render("{C}-{m02}", later) == ["13-03", "110-12"]


def test_iso_weeks_are_written_as_iso_weeks_across_a_year_end():
    weeks = pd.date_range("2020-11-30", periods=8, freq="W-MON")  # 2020 has a week 53
    for template, cells in (
        ("{G}-W{V02}", [f"{w.isocalendar()[0]}-W{w.isocalendar()[1]:02d}" for w in weeks]),
        ("{G}W{V02}", [f"{w.isocalendar()[0]}W{w.isocalendar()[1]:02d}" for w in weeks]),
        ("{G} W{V02}", [f"{w.isocalendar()[0]} W{w.isocalendar()[1]:02d}" for w in weeks]),
    ):  # the last as R's tsibble writes a yearweek
        assert period_template(pd.Series(cells, dtype=object), stamps(cells)) is None
        found = week_template(pd.Series(cells, dtype=object), stamps(cells))
        assert found == template
        assert "W53" in render(found, weeks)[4] and render(found, weeks)[5].endswith("W01")
    days = [str(d.date()) for d in weeks]  # Mondays written as dates stay dates
    assert week_template(pd.Series(days, dtype=object), stamps(days)) is None


@pytest.mark.parametrize(("unit", "scale"), [("s", 1), ("ms", 1000)])
def test_unix_times_are_written_back_in_their_unit(tmp_path, unit, scale):
    hours = pd.date_range("2021-01-01", periods=200, freq="h")
    csv = tmp_path / "unix.csv"
    ticks = (hours - pd.Timestamp(0)) // pd.Timedelta(1, unit=unit)
    y = 10 + np.sin(2 * np.pi * np.arange(200) / 24)
    pd.DataFrame({"timestamp": ticks, "load": y}).to_csv(csv, index=False)
    rows = train_then_predict(csv, tmp_path / "model", *FAST, "--horizon", "2")
    after = [1609459200 + 3600 * k for k in (200, 201)]  # 2021-01-09 08:00 and 09:00 UTC
    assert [row[1] for row in rows[1:]] == [str(t * scale) for t in after]


def test_a_frame_with_zone_aware_stamps_keeps_its_offset():
    from forecastr.data import frame_to_panel

    stamps_ = pd.date_range("2020-10-20", periods=24 * 10, freq="h", tz="America/New_York")
    frame = pd.DataFrame({"ds": stamps_, "y": np.arange(len(stamps_)) % 24 + 1.0})
    panel = frame_to_panel(frame, layout="single", id_col=None, time_col="ds", targets=["y"])
    assert panel.spelling == Spelling(zone="-04:00")  # the last stamp, before Nov 1
    last = spelled(pd.Series(panel.ds[-1:]), panel.spelling).iloc[0]
    assert last == str(stamps_[-1])  # the frame's own last stamp, as text


@pytest.mark.parametrize(
    ("spell", "template", "after"),
    [
        (lambda y: f"{y}-{(y + 1) % 100:02d}", "{Y}-{y1}", "2000-01"),  # across a century
        (lambda y: f"{y}/{y + 1}", "{Y}/{Y1}", "2000/2001"),
        (lambda y: f"FY{y % 100:02d}", "FY{Y}", "FY2000"),  # the year named, in full
        (lambda y: f"FY{y}", "FY{Y}", "FY2000"),
    ],
)
def test_financial_and_named_years_are_written_back(spell, template, after):
    years = range(1990, 2000)
    cells = [spell(y) for y in years]
    found = year_template(pd.Series(cells, dtype=object), stamps(cells))
    assert found == template
    assert render(found, pd.DatetimeIndex(["2000-01-01"])) == [after]
    # a month's stamps are no years
    months = [f"2020-{m:02d}" for m in range(1, 13)]
    assert year_template(pd.Series(months, dtype=object), stamps(months)) is None
