"""What a frequency means on the calendar: its seasons, its default horizon, its kind."""

import pytest

from forecastr.frequency import (
    calendar_kind,
    default_horizon,
    same_freq,
    season_length_for,
    seasonalities_for,
)


@pytest.mark.parametrize(
    ("freq", "season"),
    [
        ("h", 24),
        ("H", 24),
        ("30min", 48),
        ("30T", 48),
        ("15min", 96),
        ("10min", 144),
        ("5min", 288),
        ("min", 1440),
        ("T", 1440),
        ("D", 7),
        ("B", 5),
        ("W-SUN", 52),
        ("W", 52),
        ("MS", 12),
        ("ME", 12),
        ("M", 12),
        ("QS-OCT", 4),
        ("QE-DEC", 4),
        ("Q", 4),
        ("YS", 1),
        ("YE", 1),
        ("A-DEC", 1),
        ("2h", 12),
        ("3MS", 4),
        (None, 1),
        ("not-a-frequency", 1),
    ],
)
def test_season_length_for(freq, season):
    assert season_length_for(freq) == season


def test_seasonalities_for():
    assert seasonalities_for("30min") == [48, 336]
    assert seasonalities_for("h") == [24, 168]
    assert seasonalities_for("D") == [7, 365]
    assert seasonalities_for("MS") == [12]
    assert seasonalities_for(None) == [1]


@pytest.mark.parametrize(
    ("freq", "horizon"),
    [
        (None, 10),
        ("30min", 48),
        ("h", 24),
        ("15min", 96),
        ("min", 60),
        ("D", 14),
        ("B", 10),
        ("W-SUN", 13),
        ("MS", 12),
        ("QS-OCT", 8),
        ("YS", 6),
        ("2D", 24),
    ],
)
def test_default_horizon(freq, horizon):
    assert default_horizon(freq) == horizon


def test_calendar_kind():
    kinds = {f: calendar_kind(f) for f in ("W-SUN", "2W", "MS", "ME", "QS", "YE", "D", "h")}
    assert kinds == {
        "W-SUN": "W", "2W": "W", "MS": "M", "ME": "M", "QS": "Q", "YE": "Y", "D": None, "h": None
    }  # fmt: skip


def test_same_freq():
    assert same_freq("h", "60min") and same_freq("D", "D")
    assert not same_freq("D", "h")
    assert same_freq("odd", "odd") and not same_freq("odd", "other")
