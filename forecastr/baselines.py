"""Naive baselines, vectorised over series: history in, forecast out.

Every baseline takes a history matrix of shape (S, T): one row per series, right-aligned (the
last column holds each series' last observation), shorter series left-padded with NaN. NaN may
appear only as that left padding (a ``Panel`` is gap-free). Each returns a forecast of shape
(S, horizon) in the units of the history. All baselines share one signature so the backtest can
call them in a loop; keywords a baseline does not use are accepted and ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from forecastr.errors import InputError
from forecastr.theta import seasonal_minimum, theta_forecast

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


# Points of each history the Theta method reads at most: its fit is one pass over them, and
# the older points of a long series barely move the smoothed level or the fitted line (the
# combination with the network stores as many per series: ``combine.context_length``) ...
THETA_HISTORY = 256
# ... unless they hold less than one season: then THETA_SEASONS seasons (``theta_history``).
# 256 points hold less than one day of 5-minute data, so the method could not adjust for the
# day at all: MASE 6.6 where seasonal naive scored 0.32, and 0.64 on eight days
# (docs/benchmarks.md, "Theta's history for long seasons"). Where 256 points hold one to four
# seasons the method adjusts, and eight seasons were mixed: better on files of 10 and 15
# minutes (a day of 144 and 96 steps), worse on hourly files at a weekly season (168; on San
# Francisco traffic with an integer index one day went from MASE 1.50 to 5.25), so every
# season of 256 or less keeps 256 points.
THETA_SEASONS = 8


def theta_history(season_length: int) -> int:
    """Points of each history the Theta method reads at season ``season_length``:
    :data:`THETA_HISTORY`, or :data:`THETA_SEASONS` seasons where that holds less than one."""
    if season_length > THETA_HISTORY:
        return THETA_SEASONS * season_length
    return THETA_HISTORY


def theta(
    history: np.ndarray,
    horizon: int,
    *,
    season_length: int = 1,
    window: int = 1,
    trusted: bool = False,
) -> np.ndarray:
    """The optimised Theta method (:mod:`forecastr.theta`), seasonally adjusted at
    ``season_length`` where the series shows that season, on each series' last
    :func:`theta_history` points. A series of one or two points gives ``naive``; so does any
    series whose fit is not finite.

    Args:
        history: (S, T) right-aligned, NaN-padded history.
        horizon: number of steps to forecast.
        season_length: season length m, in steps (1: no seasonal adjustment).
        window: ignored.
        trusted: the file vouches for the season (``theta.TRUSTED_ACF``): every series is
            adjusted for it without its own test.

    Returns:
        (S, horizon) forecast.
    """
    _check(history, horizon)
    m = _positive(season_length, "season_length")
    recent = history[:, -theta_history(m) :]
    size = fit_units(recent)
    with np.errstate(all="ignore"):
        out = theta_forecast(recent / size, horizon, m, trusted) * size
    bad = ~np.isfinite(out).all(axis=1) & np.isfinite(history[:, -1])
    if bad.any():
        out[bad] = history[bad, -1:]
    return out


def theta_trusted(
    history: np.ndarray, horizon: int, *, season_length: int = 1, window: int = 1
) -> np.ndarray:
    """:func:`theta` for a file that vouches for its season: every series adjusted for it."""
    return theta(history, horizon, season_length=season_length, window=window, trusted=True)


def history_needed(method: Baseline, season_length: int) -> int:
    """Points a past origin's history must keep for a baseline's errors from it to be those of
    its forecast (``baseline_intervals``): with a season, the Theta method adjusts for it only
    from ``theta.seasonal_minimum`` points, and the errors of an unadjusted forecast of a
    seasonal series made its intervals several times too wide (Tourism monthly cut to 30
    points: MSIS 95 31.3 against 9.0; docs/benchmarks.md, "Theta-only intervals"); 1 for the
    others and without a season."""
    return seasonal_minimum(season_length) if method in (theta, theta_trusted) else 1


def fit_units(recent: np.ndarray) -> np.ndarray:
    """(S, 1) the unit the Theta method fits each row in: its largest magnitude (1 for a row
    without one). Squared errors of values near the float64 limit would overflow."""
    with np.errstate(invalid="ignore"):
        size = np.nanmax(np.abs(recent), axis=1, initial=0.0, where=~np.isnan(recent))
    return np.where(np.isfinite(size) & (size > 0), size, 1.0)[:, None]


# Display order: the simplest first; the report and the CLI table keep this order.
BASELINES: dict[str, Baseline] = {
    "naive": naive,
    "seasonal_naive": seasonal_naive,
    "drift": drift,
    "mean": mean,
    "window_mean": window_mean,
    "theta": theta,
}


def seasonal_name(season_length: int) -> str:
    """Method name of seasonal naive at a further season: ``"seasonal_naive_336"``."""
    return f"seasonal_naive_{int(season_length)}"


def method_label(method: str) -> str:
    """Human name of a report's method: ``"seasonal_naive"`` -> ``"seasonal naive"``,
    ``"seasonal_naive_336"`` -> ``"seasonal naive (336)"``; the model's name (``"GRU x3"``,
    ``models.model_name``) as it is."""
    if method in BASELINES:
        return method.replace("_", " ")
    match = re.fullmatch(r"seasonal_naive_(\d+)", method)
    return f"seasonal naive ({match.group(1)})" if match else method


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
