"""Rows that repeat a timestamp with the same value: one observation written once per label
of its time (the Metro Interstate traffic file has a row per weather label of an hour) or a
file appended twice. Each point is kept once, with a note; a repeat whose value differs is
still refused, by the lines of that pair. The hour repeated in the night the clocks go back
is averaged. And a wide file's columns that are entirely empty (a weather export's snow
depth) are left out, with a note."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr.data import load_csv
from forecastr.errors import ForecastrError
from forecastr.ingest.options import IngestOptions
from forecastr.ingest.repeats import drop_copies
from forecastr.ingest.textcols import described_twice
from forecastr.ingest.timeaxis import check_duplicates
from forecastr.ingest.where import Where

HOURS = pd.date_range("2012-10-02 09:00", periods=400, freq="h").strftime("%Y-%m-%d %H:%M:%S")
WEATHER = ["Clouds,overcast clouds", "Rain,light rain", "Mist,mist"]


def traffic(temps_differ_at: int | None = None) -> str:
    """Hours of traffic counts; every 7th hour has two or three weather rows."""
    lines = ["holiday,temp,clouds_all,weather_main,weather_description,date_time,traffic_volume"]
    for k, hour in enumerate(HOURS):
        count = 3000 + 2000 * np.sin(2 * np.pi * k / 24) + 37 * (k % 5)
        labels = WEATHER[: 1 + (k % 7 == 3) + (k % 14 == 3)]
        for j, label in enumerate(labels):
            temp = 280 + k % 9 + (0.5 * j if k == temps_differ_at else 0)
            holiday = "Columbus Day" if k == 135 else "None"  # mostly empty: left out
            lines.append(f"{holiday},{temp},{40 + k % 50},{label},{hour},{count:.0f}")
    return "\n".join(lines) + "\n"


def test_rows_of_one_hour_per_weather_label_are_one_point(write_csv):
    panel = load_csv(write_csv(traffic()), IngestOptions(target="traffic_volume"))
    assert panel.ids == ["traffic_volume"] and len(panel.y) == 400 and panel.freq == "h"
    assert panel.y[0] == 3000 and panel.filled_points == 0
    note = next(n for n in panel.notes if "repeat the timestamp" in n)
    assert note.startswith("86 points") and "line 6" in note  # hour 3's second row


def test_without_a_target_every_number_column_is_a_series(write_csv):
    panel = load_csv(write_csv(traffic()))
    assert panel.ids == ["temp", "clouds_all", "traffic_volume"] and len(panel.y) == 3 * 400
    assert any("'weather_main', 'weather_description' left out" in n for n in panel.notes)


def test_a_repeat_whose_value_differs_is_refused_by_its_lines(write_csv):
    # hour 297 (past the rows sampled for the layout) has two rows, temps 280 and 280.5
    path = write_csv(traffic(temps_differ_at=297))
    with pytest.raises(ForecastrError) as err:
        load_csv(path)
    msg = str(err.value)
    assert f"duplicate timestamp {HOURS[297]} in series 'temp'" in msg
    assert "--target" in msg
    # the column without the differing repeat reads
    assert len(load_csv(path, IngestOptions(target="traffic_volume")).y) == 400


def test_a_file_appended_twice_reads_once(write_csv):
    body = "".join(f"2020-01-{d:02d},{d * 1.5}\n" for d in range(1, 29))
    panel = load_csv(write_csv("date,sales\n" + body + body))
    assert len(panel.y) == 28 and panel.y.tolist() == [d * 1.5 for d in range(1, 29)]
    assert any(n.startswith("28 points repeat") for n in panel.notes)


def test_a_long_file_without_its_id_is_still_refused(write_csv):
    rows = "".join(f"2020-01-{d:02d},{s},{d + 10 * j}\n" for d in range(1, 29)
                   for j, s in enumerate("ab"))  # fmt: skip
    with pytest.raises(ForecastrError, match="duplicate timestamp 2020-01-01"):
        load_csv(write_csv("date,store,sales\n" + rows), IngestOptions(layout="single"))


def where(n: int) -> Where:
    return Where("f.csv", lambda ks: [int(k) + 2 for k in ks])


def test_drop_copies_keeps_each_point_once_per_series():
    y = np.array([1.0, 1.0, 2.0, np.nan, np.nan, 5.0, 5.0, 5.0, 6.0])
    ds = np.array([0, 0, 1, 2, 2, 0, 0, 0, 1])
    offsets = np.array([0, 5, 9])
    y2, ds2, off2, w2, note = drop_copies(y, ds, offsets, where(9))
    assert ds2.tolist() == [0, 1, 2, 0, 1] and off2.tolist() == [0, 3, 5]
    assert np.array_equal(y2, [1.0, 2.0, np.nan, 5.0, 6.0], equal_nan=True)
    assert [w2.line(k) for k in range(5)] == [2, 4, 5, 7, 10]
    assert note == ("4 points repeat the timestamp and the value of the point before them "
                    "(the first at line 3): each kept once",)  # fmt: skip


def test_drop_copies_leaves_a_file_with_a_differing_repeat_as_it_was():
    y, ds, offsets = np.array([1.0, 1.0, 2.0, 3.0]), np.array([0, 0, 1, 1]), np.array([0, 4])
    out = drop_copies(y, ds, offsets, where(4))
    assert out[0] is y and out[4] == ()
    with pytest.raises(ForecastrError, match=r"lines 4 and 5"):  # the pair that differs
        check_duplicates(y, ds, offsets, ["s"], where(4), time_col="t", suggest_id_col=True)


def test_the_last_point_of_a_series_and_the_next_first_are_no_repeat():
    y, ds, offsets = np.array([1.0, 1.0]), np.array([0, 0]), np.array([0, 1, 2])
    assert drop_copies(y, ds, offsets, where(2))[4] == ()


def sample(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["t", "label", "v"]).astype(str)


def test_described_twice_needs_rows_of_a_time_to_agree_on_every_number():
    labels = sample([("1", "rain", "5"), ("1", "mist", "5"), ("2", "rain", "7"), ("2", "fog", "7")])
    assert described_twice(labels, ["t"], ["label"])
    stores = sample([("1", "a", "5"), ("1", "b", "6"), ("2", "a", "7"), ("2", "b", "8")])
    assert not described_twice(stores, ["t"], ["label"])
    quiet = sample([("1", "a", "0"), ("1", "b", "0"), ("2", "a", "0"), ("2", "b", "0")])
    assert not described_twice(quiet, ["t"], ["label"])  # nothing sold yet: no evidence
    once = sample([("1", "rain", "5"), ("2", "mist", "5")])
    assert not described_twice(once, ["t"], ["label"])


def test_a_named_target_is_the_only_column_compared(write_csv):
    # hour 10's two rows differ in temperature within the sampled rows: without a target
    # they could be two series, but the named target's counts agree
    path = write_csv(traffic(temps_differ_at=10))
    with pytest.raises(ForecastrError, match="hold text, not numbers"):
        load_csv(path)
    assert len(load_csv(path, IngestOptions(target="traffic_volume")).y) == 400


def _written(path, text: str):
    path.write_text(text)
    return path


def local_hours(tz: str, start: str, end: str, freq: str = "h") -> pd.DatetimeIndex:
    """The stamps a meter in ``tz`` writes in local time: the hour the clocks go back twice,
    the hour they skip missing."""
    return pd.date_range(start, end, freq=freq, tz="UTC").tz_convert(tz).tz_localize(None)


def load_file(stamps: pd.DatetimeIndex, write_csv, reverse: bool = False):
    k = np.arange(len(stamps))
    y = 30_000 + 8_000 * np.sin(2 * np.pi * stamps.hour.to_numpy() / 24) + k % 7
    frame = pd.DataFrame({"Datetime": stamps.strftime("%Y-%m-%d %H:%M:%S"), "MW": y})
    return write_csv((frame.iloc[::-1] if reverse else frame).to_csv(index=False)), frame


@settings(max_examples=12, deadline=None)
@given(
    tz=st.sampled_from(
        [
            "America/New_York",
            "Europe/Berlin",
            "Europe/London",
            "Australia/Sydney",
            "America/Santiago",
            "America/Havana",
        ]
    ),
    freq=st.sampled_from(["h", "30min", "15min"]),
    year=st.integers(2012, 2019),
    reverse=st.booleans(),  # PJM's file runs back in time
)
def test_the_night_the_clocks_go_back_is_read(tmp_path_factory, tz, freq, year, reverse):
    stamps = local_hours(tz, f"{year}-01-01", f"{year + 1}-12-31", freq)
    folder = tmp_path_factory.mktemp("clock")
    path, frame = load_file(stamps, lambda text: _written(folder / "data.csv", text), reverse)
    panel = load_csv(path)
    distinct = pd.DatetimeIndex(stamps.unique())
    # one point per local stamp, the skipped hour filled: the whole local grid
    grid = pd.date_range(distinct.min(), distinct.max(), freq=freq)
    assert len(panel.y) == len(grid) and np.isfinite(panel.y).all()
    repeated = stamps[stamps.duplicated()]
    notes = [n for n in panel.notes if "the clocks went back" in n]
    assert len(notes) == (len(repeated) > 0)
    for stamp in repeated[:4]:  # the mean of the two readings
        want = frame.loc[stamps == stamp, "MW"].mean()
        assert panel.y[grid.get_loc(stamp)] == pytest.approx(want)


def test_pjm_hourly_load_in_local_time(write_csv):
    path, _ = load_file(local_hours("America/New_York", "2014-01-01 05:00", "2016-01-01"),
                        write_csv, reverse=True)  # fmt: skip
    panel = load_csv(path)
    note = next(n for n in panel.notes if "clocks went back" in n)
    assert note.startswith("2 timestamps repeat") and "2014-11-02 01:00" in note
    assert panel.freq == "h" and panel.filled_points == 2  # the two hours skipped in March


@pytest.mark.parametrize(
    "change",
    [
        ("2014-11-02 14:00", "2014-11-02 14:00"),  # an afternoon: no clock change
        ("2014-11-02 01:00", "2014-03-09 01:00"),  # two nights in one year
        ("2014-11-02 01:00", "2014-11-02 03:00"),  # one night, but two hours apart
    ],
)
def test_other_repeats_stay_refused(write_csv, change):
    stamps = pd.date_range("2014-01-01", "2014-12-31", freq="h")
    extra = pd.DatetimeIndex(sorted(set(change)) if change[0] == change[1] else change)
    path, _ = load_file(stamps.append(extra).sort_values(), write_csv)
    with pytest.raises(ForecastrError, match="duplicate timestamp"):
        load_csv(path)


def test_a_stamp_three_times_or_a_daily_repeat_stays_refused(write_csv):
    stamps = pd.date_range("2014-01-01", "2014-12-31", freq="h")
    three = pd.DatetimeIndex(["2014-11-02 01:00"] * 2)
    path, _ = load_file(stamps.append(three).sort_values(), write_csv)
    with pytest.raises(ForecastrError, match="duplicate timestamp"):
        load_csv(path)
    days = pd.date_range("2014-01-01", "2015-12-31", freq="D")
    path, _ = load_file(days.append(pd.DatetimeIndex(["2014-11-02"])).sort_values(), write_csv)
    with pytest.raises(ForecastrError, match="duplicate timestamp"):
        load_csv(path)


def test_a_wide_files_empty_columns_are_left_out(write_csv):
    days = pd.date_range("2020-01-01", periods=60).strftime("%Y-%m-%d")
    rows = "".join(f"{d},{k % 9},,{k % 4},\n" for k, d in enumerate(days))
    panel = load_csv(write_csv("date,tavg,snow,wspd,tsun\n" + rows))  # a weather export
    assert panel.ids == ["tavg", "wspd"] and panel.columns["target"] == ["tavg", "wspd"]
    assert "columns 'snow', 'tsun' left out: they are entirely empty" in panel.notes
    with pytest.raises(ForecastrError, match="column 'snow' is entirely empty"):
        load_csv(write_csv("date,tavg,snow,wspd,tsun\n" + rows), IngestOptions(target="snow"))
