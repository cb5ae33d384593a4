"""Grid operators' files: a ``Date,Hour`` file with hours 1 to 24 (Ontario's IESO, CAISO's
OPR_HR) or 0 to 23 joins the two into one timestamp, stamps at ``24:00`` (ERCOT's hours
ending) are 00:00 of the next day, each with a note where a time closes its day
(``forecastr.ingest.clock``, ``forecastr.ingest.timeparse``); ENTSO-E's market time units,
intervals ``start - end`` in local time, are read by their start, the hour repeated when the
clocks go back averaged (``forecastr.ingest.repeats``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr.data import load_csv
from forecastr.errors import InputError
from forecastr.ingest import csvread
from forecastr.ingest.clock import hour_numbers
from forecastr.ingest.options import IngestOptions

DAYS = pd.date_range("2020-01-01", periods=30, freq="D")
TITLE = "\\\\Hourly Demand Report\n\\\\Created at 2021-01-01 00:00:00\n\\\\For 2020\n"


def demand(hour) -> float:
    return 15_000 + 3_000 * np.sin(2 * np.pi * hour / 24)


def ieso(first: int = 1, name: str = "Hour", date_format: str = "%Y-%m-%d") -> str:
    """Ontario's report: title lines, then ``Date,Hour,Market Demand,Ontario Demand``."""
    rows = [f"Date,{name},Market Demand,Ontario Demand"]
    for d in DAYS:
        for h in range(first, first + 24):
            rows.append(f"{d.strftime(date_format)},{h},{demand(h):.0f},{demand(h) - 2000:.0f}")
    return TITLE + "\n".join(rows) + "\n"


@pytest.fixture(params=["pyarrow", "pandas"])
def engine(request, monkeypatch):
    monkeypatch.setattr(csvread, "ENGINE", request.param)
    return request.param


def test_hours_ending_1_to_24_join_the_date(write_csv, engine):
    panel = load_csv(write_csv(ieso()))
    assert panel.ids == ["Market Demand", "Ontario Demand"] and panel.freq == "h"
    assert panel.columns["time"] == "Date+Hour" and len(panel.y) == 2 * 30 * 24
    start = panel.offsets[0]
    assert pd.Timestamp(panel.ds[start]) == pd.Timestamp("2020-01-01 01:00")
    assert pd.Timestamp(panel.ds[start + 23]) == pd.Timestamp("2020-01-02 00:00")  # hour 24
    assert panel.y[start + 23] == round(demand(24))
    assert any("run to 24, the end of the day" in n for n in panel.notes)


def test_hours_0_to_23_are_hours_of_the_day_without_a_note(write_csv):
    panel = load_csv(write_csv(ieso(first=0, name="hour_beginning")))
    assert pd.Timestamp(panel.ds[0]) == pd.Timestamp("2020-01-01 00:00")
    assert len(panel.y) == 2 * 30 * 24 and panel.freq == "h"
    assert not any("end of the day" in n for n in panel.notes)


def test_caiso_names_and_day_first_dates(write_csv):
    panel = load_csv(write_csv(ieso(name="OPR_HR", date_format="%d/%m/%Y")))
    assert panel.columns["time"] == "Date+OPR_HR" and panel.freq == "h"


def test_a_bad_hour_is_refused_by_its_line(write_csv):
    text = ieso().replace("2020-01-02,5,", "2020-01-02,x5,")
    with pytest.raises(InputError, match=r"line \d+: column 'Hour' 'x5' is not a time of day "
                       r"\(an hour, 0 to 24\)"):  # fmt: skip
        load_csv(write_csv(text), IngestOptions(time_col="Date+Hour"))


def test_a_column_of_hours_needs_an_hour_name():
    cells = pd.Series(["1", "2", "24"])
    assert hour_numbers("Hour", cells) and hour_numbers("HE", cells)
    assert hour_numbers("hour ending", cells) and not hour_numbers("store", cells)
    assert not hour_numbers("Hour", pd.Series(["25", "26", "1"]))  # no hour 25
    assert not hour_numbers("hr", pd.Series(["72", "80", "64"]))  # a heart rate
    assert not hour_numbers("Hour", pd.Series(["1.5", "2"]))


def ercot(days: pd.DatetimeIndex) -> str:
    rows = ["Hour Ending,ERCOT"]
    for d in days:
        for h in range(1, 25):
            rows.append(f"{d:%m/%d/%Y} {h:02d}:00,{demand(h) * 3:.2f}")
    return "\n".join(rows) + "\n"


def test_stamps_at_24_00_close_their_day(write_csv, engine):
    panel = load_csv(write_csv(ercot(DAYS)))
    assert panel.freq == "h" and len(panel.y) == 30 * 24 and panel.filled_points == 0
    assert pd.Timestamp(panel.ds[23]) == pd.Timestamp("2020-01-02 00:00")
    assert panel.y[23] == pytest.approx(demand(24) * 3)
    assert any("24:00 (the end of the day" in n for n in panel.notes)


@settings(max_examples=20, deadline=None)
@given(
    start=st.dates(min_value=pd.Timestamp("1990-01-01").date(),
                   max_value=pd.Timestamp("2030-01-01").date()),
    fmt=st.sampled_from(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M"]),
)  # fmt: skip
def test_any_day_ending_at_24_00_is_read_as_the_next_midnight(start, fmt):
    from forecastr.ingest.timeparse import parse_date_text

    hours = pd.date_range(pd.Timestamp(start), periods=72, freq="h") + pd.Timedelta(hours=1)
    text = pd.Series([
        (h - pd.Timedelta(days=1)).strftime(fmt).replace(" 00:00", " 24:00").replace(
            "T00:00:00", "T24:00:00") if h.hour == 0 else h.strftime(fmt) for h in hours
    ])  # fmt: skip
    parsed, note = parse_date_text(text)
    assert (pd.DatetimeIndex(parsed) == hours).all() and "24:00" in note


def entsoe(freq: str = "h", missing: str = "-") -> str:
    """The transparency platform's load export: intervals in Berlin time, quoted cells, the
    actual load not yet measured at the end."""
    utc = pd.date_range("2019-10-20 22:00", "2019-11-03 22:00", freq=freq, tz="UTC")
    local = utc.tz_convert("Europe/Berlin").tz_localize(None)
    step = pd.Timedelta(freq if freq != "h" else "1h")
    rows = ['"MTU (CET/CEST)","Day-ahead Total Load Forecast [MW] - BZN|DE-LU",'
            '"Actual Total Load [MW] - BZN|DE-LU"']  # fmt: skip
    for k, t in enumerate(local):
        load = demand(t.hour) * 3 + k % 5
        actual = missing if k >= len(local) - 3 else f"{load:.0f}"
        rows.append(f'"{t:%d.%m.%Y %H:%M} - {t + step:%d.%m.%Y %H:%M} (CET/CEST)",'
                    f'"{load * 1.01:.0f}","{actual}"')  # fmt: skip
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("freq", ["h", "15min"])
def test_entsoe_market_time_units(write_csv, engine, freq):
    panel = load_csv(write_csv(entsoe(freq)))
    assert panel.freq == freq and len(panel.ids) == 2
    assert pd.Timestamp(panel.ds[0]) == pd.Timestamp("2019-10-21 00:00")
    per_hour = 1 if freq == "h" else 4
    assert any(n.startswith(f"{2 * per_hour} timestamps repeat in the night the clocks went "
                            "back (the first 2019-10-27 02:00") for n in panel.notes)  # fmt: skip
    assert any("read by their start" in n for n in panel.notes)
    lengths = np.diff(panel.offsets)
    assert lengths[0] - lengths[1] == 3  # the actual load ends where it was measured


def test_entsoe_not_expected_is_missing(write_csv):
    panel = load_csv(write_csv(entsoe(missing="n/e")))
    assert np.diff(panel.offsets).tolist() == [336, 333]  # 337 hours, one repeated


def test_bands_are_no_intervals_of_time():
    from forecastr.ingest.timeparse import reads_as_dates

    for cells in (["10 - 14", "15 - 19"], ["1000 - 2000", "2000 - 3000"]):
        assert not reads_as_dates(pd.Series(cells))
    assert reads_as_dates(pd.Series(["2019-10 - 2019-11", "2019-11 - 2019-12"]))


def settlement(tz: str, start: str, end: str, freq: str, date_format: str = "%d-%b-%Y") -> str:
    """A system operator's demand file: each day's periods numbered from 1 at its local
    midnight (46 or 50 half-hours on the days the clocks change)."""
    utc = pd.date_range(start, end, freq=freq, tz="UTC", inclusive="left")
    local = utc.tz_convert(tz).tz_localize(None)
    day = pd.Series(local.normalize())
    midnight = pd.DatetimeIndex(day).tz_localize(tz, ambiguous=True).tz_convert("UTC")
    period = (utc - midnight) // pd.Timedelta(freq) + 1  # a partial first day starts later
    rows = ["SETTLEMENT_DATE,SETTLEMENT_PERIOD,ND,TSD"]
    for d, p, t in zip(day, period, local, strict=True):
        nd = demand(t.hour + t.minute / 60)
        rows.append(f"{d.strftime(date_format).upper()},{p},{nd:.0f},{nd + 2000:.0f}")
    return "\n".join(rows) + "\n"


@settings(max_examples=8, deadline=None)
@given(
    tz=st.sampled_from(["Europe/London", "Europe/Berlin", "Australia/Sydney"]),
    freq=st.sampled_from(["30min", "15min"]),
    year=st.integers(2012, 2022),
)
def test_settlement_periods_are_counted_through_clock_changes(tmp_path_factory, tz, freq, year):
    start, end = f"{year}-03-10", f"{year}-11-10"  # both changes, north and south
    text = settlement(tz, start, end, freq)
    path = tmp_path_factory.mktemp("eso") / "demand.csv"
    path.write_text(text)
    panel = load_csv(path)
    utc = pd.date_range(start, end, freq=freq, inclusive="left")
    assert panel.freq == freq and panel.filled_points == 0
    assert np.diff(panel.offsets).tolist() == [len(utc), len(utc)]  # no gap, no repeat
    first = utc.tz_localize("UTC").tz_convert(tz).tz_localize(None)[0]
    assert pd.Timestamp(panel.ds[0]) == first  # the clock of the first day
    note = next(n for n in panel.notes if "SETTLEMENT_PERIOD" in n)
    assert "2 days of" in note and "counted through" in note


def test_gb_demand_data_read_in_utc(write_csv):
    panel = load_csv(write_csv(settlement("Europe/London", "2019-01-01", "2019-12-31", "30min")))
    assert panel.columns["time"] == "SETTLEMENT_DATE+SETTLEMENT_PERIOD"
    assert panel.ids == ["ND", "TSD"] and panel.freq == "30min"
    stamps = pd.DatetimeIndex(panel.ds[: panel.offsets[1]])
    want = pd.date_range("2019-01-01", "2019-12-31", freq="30min", inclusive="left")
    assert (stamps == want).all()  # a winter start: UTC
    assert any("read as 30 minutes from its midnight" in n for n in panel.notes)


def test_a_bad_period_is_refused_by_its_line(write_csv):
    text = settlement("Europe/London", "2019-01-01", "2019-01-05", "30min")
    text = text.replace("02-JAN-2019,7,", "02-JAN-2019,7a,")
    with pytest.raises(InputError, match=r"line 56: column 'SETTLEMENT_PERIOD' holds '7a', "
                       "not a period of the day"):  # fmt: skip
        load_csv(write_csv(text))


def day_by_hour(hours: list[str], zones: list[str] | None = None, extra: str = "") -> str:
    """A utility's table: a row per day (and zone), a column per hour."""
    head = ("Zone," if zones else "") + "Date," + ",".join(hours) + (f",{extra}" if extra else "")
    rows = [head]
    for z, zone in enumerate(zones or [None]):
        for d in DAYS:
            cells = [f"{demand(h) + 100 * z + d.day:.0f}" for h in range(len(hours))]
            key = f"{zone}," if zone else ""
            rows.append(key + d.strftime("%m/%d/%Y") + "," + ",".join(cells)
                        + (",1" if extra else ""))  # fmt: skip
    return "\n".join(rows) + "\n"


def test_a_day_by_hour_table_is_one_hourly_series_per_zone(write_csv, engine):
    hours = [f"HE{h}" for h in range(1, 25)]
    panel = load_csv(write_csv(day_by_hour(hours, ["NORTH", "SOUTH"], extra="HE25")))
    assert panel.layout == "matrix" and panel.ids == ["NORTH", "SOUTH"] and panel.freq == "h"
    assert len(panel.y) == 2 * 30 * 24 and panel.filled_points == 0
    assert pd.Timestamp(panel.ds[0]) == pd.Timestamp("2020-01-01 01:00")
    assert pd.Timestamp(panel.ds[23]) == pd.Timestamp("2020-01-02 00:00")  # HE24
    assert panel.y[23] == round(demand(23)) + 1  # the first day's last column
    note = next(n for n in panel.notes if "day-by-hour" in n)
    assert "'HE24' is 00:00 of the next day" in note and "'HE25' left out" in note


def test_hours_0_to_23_start_at_midnight(write_csv):
    panel = load_csv(write_csv(day_by_hour([f"H{h}" for h in range(24)])))
    assert pd.Timestamp(panel.ds[0]) == pd.Timestamp("2020-01-01 00:00") and len(panel.y) == 720
    assert not any("next day" in n for n in panel.notes)


def test_hour_columns_need_all_24_once():
    from forecastr.ingest.matrix import hour_columns

    assert hour_columns([f"HE{h}" for h in range(1, 25)]) is not None
    assert hour_columns([f"Hour {h:02d}" for h in range(24)]) is not None
    assert hour_columns([f"HE{h}" for h in range(1, 24)]) is None  # HE24 missing
    assert hour_columns([f"HE{h}" for h in range(1, 25)] + ["H1"]) is None  # hour 1 twice
