"""What a frequency means on the calendar: its seasons, its default horizon and its kind.

What forecastr knows of the meaning of a pandas frequency alias (``"30min"``, ``"D"``, ``"W-SUN"``,
``"MS"``...) is here: the natural season lengths (a day and a week of half-hourly data, a year
of months), the horizon a practitioner would pick, and whether it is a weekly, monthly,
quarterly or yearly calendar. Seasons found *in the data* are :mod:`forecastr.seasons`'
business; inferring a file's frequency from its timestamps is ingest's
(:mod:`forecastr.ingest.frequency`). Pure pandas.
"""

from __future__ import annotations

import re
import warnings

import pandas as pd
from pandas.tseries.frequencies import to_offset

# Default horizon per frequency: one day for sub-daily data, two weeks of days, a quarter of
# weeks, a year of months, two years of quarters (close to the M4 competition's horizons).
_HORIZON_BY_SEASON = {48: 48, 24: 24, 96: 96, 144: 144, 288: 288, 1440: 60, 7: 14, 5: 10}
_HORIZON_BY_KIND = {"W": 13, "M": 12, "Q": 8, "Y": 6}
_HORIZON_OTHER = 24  # a fixed step whose main season is none of the above
_HORIZON_INTEGER = 10  # an integer step index


def default_horizon(freq: str | None) -> int:
    """Forecast horizon a practitioner would pick for this frequency."""
    if freq is None:
        return _HORIZON_INTEGER
    kind = calendar_kind(freq)
    if kind:
        return _HORIZON_BY_KIND[kind]
    return _HORIZON_BY_SEASON.get(season_length_for(freq), _HORIZON_OTHER)


def horizon_for_season(season: int) -> int:
    """The default horizon of an integer index whose shortest season, found in the data, is
    ``season`` steps: that of the calendar frequency with this season (48: a day of
    half-hours; 12: a year of months; 4: two years of quarters), else one season of 10 to
    288 steps, else the integer index's usual 10."""
    by_kind = {4: _HORIZON_BY_KIND["Q"], 12: _HORIZON_BY_KIND["M"], 52: _HORIZON_BY_KIND["W"]}
    if season in _HORIZON_BY_SEASON or season in by_kind:
        return _HORIZON_BY_SEASON.get(season) or by_kind[season]
    return season if 10 <= season <= 288 else _HORIZON_INTEGER


def calendar_kind(freq: str) -> str | None:
    """``"W"``, ``"M"``, ``"Q"`` or ``"Y"`` for weekly, monthly, quarterly or yearly
    frequencies (any anchor or multiple); None for the others."""
    off = pd.tseries.frequencies.to_offset(freq)
    o = pd.offsets
    if isinstance(off, o.Week):
        return "W"
    if isinstance(off, (o.MonthBegin, o.MonthEnd, o.BusinessMonthBegin, o.BusinessMonthEnd)):
        return "M"
    if isinstance(off, (o.QuarterBegin, o.QuarterEnd)):
        return "Q"
    if isinstance(off, (o.YearBegin, o.YearEnd)):
        return "Y"
    return None


def same_freq(a: str, b: str) -> bool:
    """Whether two aliases name the same frequency (``"h"`` and ``"60min"``)."""
    try:
        return to_offset(a) == to_offset(b)
    except ValueError:
        return a == b


def season_length_for(freq: str | None) -> int:
    """The main season length (in steps) for a pandas frequency alias.

    Hourly 24, 30min 48, 15min 96, 10min 144, 5min 288, minutely 1440 (a day); daily 7,
    business daily 5, weekly 52, monthly 12, quarterly 4, yearly 1. Multiples divide the season
    (``"2h"`` -> 12, ``"3MS"`` -> 4). An integer index (``None``), steps under a minute and
    unknown aliases give 1 (no season).

    Args:
        freq: pandas offset alias, old or new spelling (``"H"``/``"h"``, ``"30T"``/``"30min"``,
            ``"M"``/``"ME"``/``"MS"``, ``"A-DEC"``/``"YE-DEC"``, ``"W-SUN"``...), or ``None``.

    Returns:
        Season length >= 1.
    """
    return seasonalities_for(freq)[0]


def seasonalities_for(freq: str | None) -> list[int]:
    """All natural season lengths for a frequency, the main one first.

    Half-hourly [48, 336] (day, week), hourly [24, 168], daily [7, 365], business daily [5],
    weekly [52], monthly [12], quarterly [4], yearly and unknown [1].

    Args:
        freq: pandas offset alias or ``None`` for an integer index.

    Returns:
        Non-empty list of season lengths >= 1, ascending.
    """
    offset = _parse_offset(freq)
    if offset is None:
        return [1]
    n = max(int(getattr(offset, "n", 1)), 1)
    off = pd.offsets
    calendar: list[tuple[tuple[type, ...], int]] = [
        ((off.Week,), 52),
        ((off.SemiMonthBegin, off.SemiMonthEnd), 24),
        (
            (
                off.MonthBegin,
                off.MonthEnd,
                off.BusinessMonthBegin,
                off.BusinessMonthEnd,
                off.CustomBusinessMonthBegin,
                off.CustomBusinessMonthEnd,
            ),
            12,
        ),
        ((off.QuarterBegin, off.QuarterEnd, off.BQuarterBegin, off.BQuarterEnd), 4),
        ((off.YearBegin, off.YearEnd, off.BYearBegin, off.BYearEnd), 1),
    ]
    for classes, per_year in calendar:
        if isinstance(offset, classes):
            return [per_year // n] if per_year % n == 0 and per_year > n else [1]
    if isinstance(offset, (off.BusinessDay, off.CustomBusinessDay)):
        return [5] if n == 1 else [1]
    if isinstance(offset, (off.BusinessHour, off.CustomBusinessHour)):
        return _business_hour_seasons(offset, n)
    try:
        seconds = offset.nanos / 1e9  # fixed-length steps (Tick, Day)
    except (ValueError, AttributeError):
        return [1]
    return _fixed_step_seasons(seconds)


def _fixed_step_seasons(seconds: float) -> list[int]:
    """Day and week cycles for a fixed step; [1] when the step does not divide a day."""
    day, week = 86_400, 7 * 86_400
    if seconds < 60:
        return [1]
    if seconds < day:
        per_day = day / seconds
        if per_day != int(per_day):
            return [1]
        return [int(per_day), 7 * int(per_day)]
    if seconds == day:
        return [7, 365]
    if seconds == week:
        return [52]
    return [1]


def _business_hour_seasons(offset, n: int) -> list[int]:
    """Business-hour data cycles once per business day and once per week (5 days)."""
    hours = sum(
        (pd.Timestamp.combine(pd.Timestamp(0), e) - pd.Timestamp.combine(pd.Timestamp(0), s))
        / pd.Timedelta(hours=1)
        for s, e in zip(offset.start, offset.end, strict=True)
    )
    per_day = hours / n
    if per_day < 2 or per_day != int(per_day):
        return [1]
    return [int(per_day), 5 * int(per_day)]


# Aliases pandas 3 no longer parses, mapped to their current spelling.
_LEGACY_ALIASES = {
    "H": "h",
    "T": "min",
    "S": "s",
    "L": "ms",
    "U": "us",
    "N": "ns",
    "M": "ME",
    "Q": "QE",
    "A": "YE",
    "Y": "YE",
    "AS": "YS",
    "BM": "BME",
    "BQ": "BQE",
    "BA": "BYE",
    "BY": "BYE",
    "BAS": "BYS",
    "BYS": "BYS",
    "SM": "SME",
    "CBM": "CBME",
    "BH": "bh",
}
_ALIAS_RE = re.compile(r"\s*(\d*)\s*([A-Za-z]+)(-[A-Za-z0-9]+)?\s*")


def _parse_offset(freq):
    """A pandas offset for ``freq``, accepting old and new alias spellings; None if unknown."""
    if freq is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecation warnings for old spellings
        try:
            return to_offset(freq)
        except (ValueError, TypeError):
            pass
        match = _ALIAS_RE.fullmatch(str(freq))
        if match is None:
            return None
        mult, base, suffix = match.groups()
        base = _LEGACY_ALIASES.get(base, _LEGACY_ALIASES.get(base.upper(), base))
        try:
            return to_offset(f"{mult}{base}{suffix or ''}")
        except (ValueError, TypeError):
            return None
