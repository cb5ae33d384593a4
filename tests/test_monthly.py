"""One row per month on a day of its own (``forecastr/ingest/monthly.py``)."""

from __future__ import annotations

import pandas as pd
import pytest

from forecastr.data import load_csv
from forecastr.errors import InputError


def closes(stamps: pd.DatetimeIndex) -> str:
    return "Date,Close\n" + "".join(f"{d:%Y-%m-%d},{20 + k % 7}\n" for k, d in enumerate(stamps))


def test_last_trading_days_are_months(write_csv):
    """A market's monthly closes: business month ends, a few moved before a holiday (Good
    Friday 1991-03-29: the close of 1991-03-28)."""
    stamps = pd.date_range("1990-01-31", periods=40, freq="BME")
    stamps = stamps.where(stamps != pd.Timestamp("1991-03-29"), pd.Timestamp("1991-03-28"))
    panel = load_csv(write_csv(closes(stamps)))
    assert panel.freq == "ME" and len(panel.y) == 40
    assert pd.Timestamp(panel.ds[2]) == pd.Timestamp("1990-03-31")  # the close of 03-30
    assert pd.Timestamp(panel.ds[14]) == pd.Timestamp("1991-03-31")
    assert any(
        n.startswith("one row per month on days of their own (such as 1990-03-30 at line 4)")
        and n.endswith("stamped at the month's end")
        for n in panel.notes
    )


def test_first_trading_days_are_months_at_their_first_day(write_csv):
    stamps = pd.date_range("2015-01-01", periods=30, freq="BMS")  # 2015-02-02, 2015-03-02 ...
    panel = load_csv(write_csv(closes(stamps)))
    assert panel.freq == "MS" and pd.Timestamp(panel.ds[1]) == pd.Timestamp("2015-02-01")
    assert any("stamped at the month's first day" in n for n in panel.notes)


def test_other_shapes_are_left_as_they_are(write_csv):
    month_ends = load_csv(write_csv(closes(pd.date_range("2015-01-31", periods=30, freq="ME"))))
    assert month_ends.freq == "ME" and not month_ends.notes
    days = load_csv(write_csv(closes(pd.bdate_range("2015-01-01", periods=60)), "days.csv"))
    assert days.freq == "B" and not days.notes
    # two rows in one month: no month's own row, still irregular
    twice = pd.DatetimeIndex(["2015-01-30", "2015-02-27", "2015-02-28", "2015-03-31", "2015-04-30"])
    with pytest.raises(InputError, match="irregular"):
        load_csv(write_csv(closes(twice), "twice.csv"))
