"""A date column and a time-of-day column (``Date;Time``, the UCI household power file's shape)
are joined into one timestamp, found from the first rows or named with ``--time-col
Date+Time``; UCI's ``?`` and FRED's ``.`` read as missing values (forecastr.ingest.clock)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from forecastr.cli import app
from forecastr.data import frame_to_panel, load_csv
from forecastr.errors import InputError
from forecastr.ingest import csvread
from forecastr.ingest.clock import _clock_ns, looks_like_clock
from forecastr.ingest.options import IngestOptions

FAST = ["--epochs", "1", "--ensemble", "1", "--hidden", "8", "--layers", "1", "-q"]


def household(n: int = 300, start: str = "2006-12-16 17:24", missing: int = 100) -> str:
    """The UCI file's shape: day-first dates, a time column, ';' separators, '?' for missing."""
    stamps = pd.date_range(start, periods=n, freq="min")
    lines = ["Date;Time;Global_active_power;Voltage"]
    for k, t in enumerate(stamps):
        power = "?" if k == missing else f"{2 + np.sin(k / 30):.3f}"
        volt = "?" if k == missing else f"{234 + k % 7:.2f}"
        lines.append(f"{t.day}/{t.month}/{t.year};{t:%H:%M:%S};{power};{volt}")
    return "\n".join(lines) + "\n"


@pytest.fixture(params=["pyarrow", "pandas"])
def engine(request, monkeypatch):
    monkeypatch.setattr(csvread, "ENGINE", request.param)
    return request.param


def test_a_date_and_time_column_become_one_timestamp(write_csv, engine):
    panel = load_csv(write_csv(household(), "household_power.txt"))
    assert panel.layout == "wide" and panel.ids == ["Global_active_power", "Voltage"]
    assert panel.columns["time"] == "Date+Time" and panel.freq == "min"
    expected = pd.date_range("2006-12-16 17:24", periods=300, freq="min")
    np.testing.assert_array_equal(panel.ds[:300], expected.to_numpy())
    assert panel.filled_points == 2  # the '?' row of each series, interpolated
    y = panel.y[:300]
    assert np.isfinite(y).all() and y[100] == pytest.approx((y[99] + y[101]) / 2)


def test_the_pair_can_be_named_by_hand(write_csv, engine):
    path = write_csv(household(), "h.csv")
    panel = load_csv(path, IngestOptions(time_col="date+time", target="Voltage"))
    assert panel.layout == "single" and panel.columns["time"] == "Date+Time"
    assert pd.Timestamp(panel.ds[-1]) == pd.Timestamp("2006-12-16 22:23")


def test_twelve_hour_clocks_and_minutes_without_seconds(write_csv):
    rows = ["date,time,y"] + [
        f"2024-03-0{d},{h}:{m:02d} {ap},{d * 100 + i}"
        for d in (1, 2)
        for i, (h, m, ap) in enumerate([(12, 0, "AM"), (6, 0, "am"), (12, 0, "PM"), (6, 0, "p.m.")])
    ]  # fmt: skip
    panel = load_csv(write_csv("\n".join(rows) + "\n"))
    hours = pd.DatetimeIndex(panel.ds).hour + pd.DatetimeIndex(panel.ds).minute / 60
    assert list(hours[:4]) == [0, 6, 12, 18] and panel.freq == "6h"


def test_a_daily_file_with_an_hour_of_some_event_keeps_its_dates(write_csv):
    # the dates do not repeat: the time column is a text column of the day, not part of its time
    d = pd.date_range("2021-01-01", periods=60, freq="D")
    frame = pd.DataFrame(
        {"date": d.strftime("%Y-%m-%d"),
         "peak_time": [f"{12 + k % 5}:{k % 60:02d}" for k in range(60)], "load": np.arange(60.0)}
    )  # fmt: skip
    panel = load_csv(write_csv(frame.to_csv(index=False)), IngestOptions(target="load"))
    assert panel.columns["time"] == "date" and panel.freq == "D" and panel.ids == ["load"]


@pytest.mark.parametrize("clock", ["midnight", "event"])
@pytest.mark.parametrize("values", [["Load"], ["A", "B"]])
def test_times_of_day_beside_dates_that_do_not_repeat_are_left_out(write_csv, clock, values):
    # Date,Time,Value with unique dates: the time was taken for the series id (one series
    # named '00:00:00', or one per distinct hour), or read as numbers and refused
    d = pd.date_range("2021-01-01", periods=60, freq="D")
    times = ["00:00:00"] * 60 if clock == "midnight" else [f"{7 + k % 9}:{k % 4 * 15:02d}"
                                                           for k in range(60)]  # fmt: skip
    frame = pd.DataFrame({"Date": d.strftime("%d/%m/%Y"), "Time": times})
    for j, name in enumerate(values):
        frame[name] = np.arange(60.0) + j
    panel = load_csv(write_csv(frame.to_csv(index=False)))
    assert panel.columns["time"] == "Date" and panel.freq == "D" and panel.ids == values
    assert any("'Time' left out: it holds times of day" in n for n in panel.notes)
    assert any("--time-col Date+Time" in n for n in panel.notes)


@pytest.mark.parametrize(
    ("cell", "message"),
    [("", "line 4: column 'Time' is empty"), ("25:00:00", "'25:00:00' is not a time of day")],
)
def test_a_bad_time_of_day_is_named_by_line(write_csv, cell, message):
    text = household(10).splitlines()
    date, _, power, volt = text[3].split(";")
    text[3] = f"{date};{cell};{power};{volt}"
    with pytest.raises(InputError, match=message):
        load_csv(write_csv("\n".join(text) + "\n"), IngestOptions(target="Voltage"))


def test_dates_that_carry_a_time_already_are_refused_with_the_fix(write_csv):
    text = "stamp,clock,y\n" + "".join(f"2024-01-01 0{h}:00,0{h}:30,{h}\n" for h in range(6))
    with pytest.raises(InputError, match="already holds a time of day; name it alone"):
        load_csv(write_csv(text), IngestOptions(time_col="stamp+clock"))


def test_a_frame_built_in_python_joins_the_pair_too():
    frame = pd.DataFrame(
        {"Date": ["2020-01-01"] * 3 + ["2020-01-02"] * 3, "Time": ["00:00", "08:00", "16:00"] * 2,
         "y": np.arange(6.0)}
    )  # fmt: skip
    panel = frame_to_panel(frame, layout="single", id_col=None, time_col="Date+Time", targets=["y"])
    assert panel.freq == "8h" and pd.Timestamp(panel.ds[-1]) == pd.Timestamp("2020-01-02 16:00")


@pytest.mark.parametrize("marker", ["?", ".", "<NA>"])
def test_uci_and_fred_missing_markers_read_as_empty(write_csv, engine, marker):
    text = "DATE,GDP\n" + "".join(
        f"20{20 + k // 4}-{3 * (k % 4) + 1:02d}-01,{marker if k == 3 else 100 + k}\n"
        for k in range(12)
    )
    panel = load_csv(write_csv(text))
    assert panel.freq == "QS-JAN" and panel.filled_points == 1 and panel.y[3] == 103


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59), st.booleans())
def test_a_clock_cell_reads_as_its_time_since_midnight(h, m, s, twelve):
    if twelve:
        text = f"{(h % 12) or 12}:{m:02d}:{s:02d} {'PM' if h >= 12 else 'AM'}"
    else:
        text = f"{h}:{m:02d}:{s:02d}"
    assert _clock_ns(text) == ((h * 60 + m) * 60 + s) * 1e9


def test_what_is_not_a_clock():
    for cell in ("13:00 PM", "0:00 AM", "24:01", "12:60", "1230", "12.30", "12:30:00:00"):
        assert np.isnan(_clock_ns(cell)), cell
    assert _clock_ns("24:00") == 24 * 3600e9
    assert not looks_like_clock(pd.Series(["12:30", "", "13"]))


def test_info_and_train_through_the_cli(write_csv, tmp_path):
    path = write_csv(household(400), "household.txt")
    runner = CliRunner()
    info = runner.invoke(app, ["info", str(path), "--target", "Global_active_power"])
    assert info.exit_code == 0, info.output
    assert "time=Date+Time" in info.output
    out = tmp_path / "m"
    args = ["train", str(path), "--target", "Voltage", "--horizon", "5", "--out", str(out)]
    train = runner.invoke(app, [*args, *FAST])
    assert train.exit_code == 0, train.output
    pred = runner.invoke(app, ["predict", str(out), str(path)])
    assert pred.exit_code == 0, pred.output
    assert "2006-12-17 00:04:00" in pred.output and "2006-12-17 00:08:00" in pred.output


def air_quality(n: int = 120) -> str:
    """UCI's air-quality file: ';', day-first dates, times of day after dots (18.00.00),
    decimal commas in some columns and whole numbers in others, two empty columns at the end
    of each row and an empty row below."""
    stamps = pd.date_range("2004-03-10 18:00", periods=n, freq="h")
    lines = ["Date;Time;CO(GT);PT08.S1(CO);T;RH;;"]
    for k, t in enumerate(stamps):
        co = f"{2 + np.sin(k / 4):.1f}".replace(".", ",")
        lines.append(f"{t:%d/%m/%Y};{t:%H.%M.%S};{co};{1000 + k};{10 + k % 7},5;48,9;;")
    return "\n".join(lines) + "\n;;;;;;;\n"


def test_times_after_dots_and_decimal_commas_read_as_the_air_quality_file(write_csv, engine):
    panel = load_csv(write_csv(air_quality(), "AirQualityUCI.csv"))
    assert panel.layout == "wide" and panel.columns["time"] == "Date+Time"
    assert panel.ids == ["CO(GT)", "PT08.S1(CO)", "T", "RH"] and panel.freq == "h"
    expected = pd.date_range("2004-03-10 18:00", periods=120, freq="h").to_numpy()
    np.testing.assert_array_equal(panel.ds[:120], expected)
    np.testing.assert_allclose(panel.y[240:243], [10.5, 11.5, 12.5])  # T: "10,5" ...


def test_dotted_times_need_three_parts():
    assert _clock_ns("18.00.00") == 18 * 3_600_000_000_000
    assert _clock_ns("07.30.15") == _clock_ns("07:30:15")
    assert np.isnan(_clock_ns("12.30")) and np.isnan(_clock_ns("18.61.00"))
    assert not looks_like_clock(pd.Series(["12.30", "13.45", "9.15"]))  # decimals, not clocks
