"""Naive baselines, vectorised over series: history in, forecast out.

Every baseline takes a history matrix of shape (S, T): one row per series, right-aligned (the
last column holds each series' last observation), shorter series left-padded with NaN. NaN may
appear only as that left padding (a ``Panel`` is gap-free). Each returns a forecast of shape
(S, horizon) in the units of the history. All baselines share one signature so the backtest can
call them in a loop; keywords a baseline does not use are accepted and ignored.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from forecastr.errors import InputError

Baseline = Callable[..., np.ndarray]


def naive(
    history: np.ndarray, horizon: int, *, season_length: int = 1, window: int = 1
) -> np.ndarray:
    """Repeat each series' last value.

    Args:
        history: (S, T) right-aligned, NaN-padded history.
        horizon: number of steps to forecast.
        season_length: ignored.
        window: ignored.

    Returns:
        (S, horizon) forecast.
    """
    _check(history, horizon)
    return np.repeat(history[:, -1:], horizon, axis=1)  # (S, H)


def seasonal_naive(
    history: np.ndarray, horizon: int, *, season_length: int = 1, window: int = 1
) -> np.ndarray:
    """Repeat the last observed season: step h (0-based) takes ``history[:, T - m + h % m]``.

    A series with fewer than ``season_length`` points falls back to ``naive``; ask
    ``seasonal_fallback`` which ones did, to warn once.

    Args:
        history: (S, T) right-aligned, NaN-padded history.
        horizon: number of steps to forecast.
        season_length: season length m, in steps (1 gives ``naive``).
        window: ignored.

    Returns:
        (S, horizon) forecast.
    """
    _check(history, horizon)
    m = _positive(season_length, "season_length")
    T = history.shape[1]
    if m > T:
        return naive(history, horizon)
    cols = T - m + np.arange(horizon) % m  # (H,) columns of the last season
    forecast = history[:, cols]  # (S, H), a copy (fancy indexing)
    short = seasonal_fallback(history, m)  # (S,)
    if short.any():
        forecast[short] = history[short, -1:]
    return forecast


def seasonal_fallback(history: np.ndarray, season_length: int) -> np.ndarray:
    """Which series ``seasonal_naive`` answers with ``naive`` (history shorter than one season).

    Args:
        history: (S, T) right-aligned, NaN-padded history.
        season_length: season length m, in steps.

    Returns:
        (S,) bool, True where the series has fewer than ``season_length`` points.
    """
    m = _positive(season_length, "season_length")
    T = history.shape[1]
    if m > T:
        return np.ones(history.shape[0], dtype=bool)
    return np.isnan(history[:, T - m])  # (S,) first point of the last season missing


def drift(
    history: np.ndarray, horizon: int, *, season_length: int = 1, window: int = 1
) -> np.ndarray:
    """Extend the line through each series' first and last values.

    Step h (0-based) is ``last + (h + 1) * (last - first) / (n - 1)``, with ``first`` the first
    non-NaN value and ``n`` the number of points. A one-point series gives its value (naive).

    Args:
        history: (S, T) right-aligned, NaN-padded history.
        horizon: number of steps to forecast.
        season_length: ignored.
        window: ignored.

    Returns:
        (S, horizon) forecast.
    """
    _check(history, horizon)
    S, T = history.shape
    if T == 0:
        return np.full((S, horizon), np.nan)
    valid = ~np.isnan(history)  # (S, T)
    first_col = valid.argmax(axis=1)  # (S,) 0 for an all-NaN row: its last value is NaN anyway
    first = history[np.arange(S), first_col]  # (S,)
    last = history[:, -1]  # (S,)
    steps = T - 1 - first_col  # (S,) n - 1 for a right-aligned, gap-free row
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(steps > 0, (last - first) / np.maximum(steps, 1), 0.0)  # (S,)
    return last[:, None] + slope[:, None] * np.arange(1, horizon + 1)  # (S, H)


def mean(
    history: np.ndarray, horizon: int, *, season_length: int = 1, window: int = 1
) -> np.ndarray:
    """Repeat each series' historical mean (over its non-NaN points).

    Args:
        history: (S, T) right-aligned, NaN-padded history.
        horizon: number of steps to forecast.
        season_length: ignored.
        window: ignored.

    Returns:
        (S, horizon) forecast; NaN for a series with no points.
    """
    _check(history, horizon)
    return np.repeat(_row_nanmean(history)[:, None], horizon, axis=1)  # (S, H)


def window_mean(
    history: np.ndarray, horizon: int, *, season_length: int = 1, window: int = 1
) -> np.ndarray:
    """Repeat the mean of each series' last ``window`` values (fewer if the series is shorter).

    Args:
        history: (S, T) right-aligned, NaN-padded history.
        horizon: number of steps to forecast.
        season_length: ignored.
        window: number of trailing points to average.

    Returns:
        (S, horizon) forecast.
    """
    _check(history, horizon)
    w = _positive(window, "window")
    return np.repeat(_row_nanmean(history[:, -w:])[:, None], horizon, axis=1)  # (S, H)


# Display order: the simplest first; the report and the CLI table keep this order.
BASELINES: dict[str, Baseline] = {
    "naive": naive,
    "seasonal_naive": seasonal_naive,
    "drift": drift,
    "mean": mean,
    "window_mean": window_mean,
}


def seasonal_name(season_length: int) -> str:
    """Method name of seasonal naive at a further season: ``"seasonal_naive_336"``."""
    return f"seasonal_naive_{int(season_length)}"


def display_name(method: str) -> str:
    """Human name of a method: ``"seasonal_naive"`` -> ``"seasonal naive"``,
    ``"seasonal_naive_336"`` -> ``"seasonal naive (336)"``."""
    if method in BASELINES:
        return method.replace("_", " ")
    match = re.fullmatch(r"seasonal_naive_(\d+)", method)
    return f"seasonal naive ({match.group(1)})" if match else method


def pad_right_aligned(arrays: Sequence[np.ndarray], length: int | None = None) -> np.ndarray:
    """Stack 1-D series into a right-aligned, NaN-left-padded (S, T) history matrix.

    Args:
        arrays: S one-dimensional series, oldest value first.
        length: T, the number of columns; each series keeps only its last ``length`` values
            (to bound memory). Defaults to the longest series.

    Returns:
        (S, T) float64 matrix whose last column is each series' last value.
    """
    if length is None:
        length = max((len(a) for a in arrays), default=0)
    if length < 0:
        raise ValueError(f"length must be >= 0, got {length}")
    out = np.full((len(arrays), length), np.nan)  # (S, T)
    if length == 0:
        return out
    for i, a in enumerate(arrays):
        tail = np.asarray(a, dtype=np.float64)[-length:]
        if len(tail):
            out[i, length - len(tail) :] = tail
    return out


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


def _row_nanmean(x: np.ndarray) -> np.ndarray:
    """Mean of each row over its non-NaN entries; NaN (no warning) for an all-NaN row."""
    missing = np.isnan(x)  # (S, T)
    count = x.shape[1] - missing.sum(axis=1)  # (S,)
    total = np.where(missing, 0.0, x).sum(axis=1)  # (S,) one pass fewer than np.nansum
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _check(history: np.ndarray, horizon: int) -> None:
    if not isinstance(history, np.ndarray) or history.ndim != 2:
        raise ValueError("history must be a 2-D array (series, time)")
    _positive(horizon, "horizon")


def _positive(value: int, name: str) -> int:
    if int(value) != value or value < 1:
        raise InputError(f"{name} must be a whole number >= 1, got {value}; pass a positive value")
    return int(value)
