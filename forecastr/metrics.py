"""Forecast accuracy metrics, one value per series.

Every metric takes ``actual`` and ``forecast`` of shape (S, H) and returns shape (S,): the
metric of each series over its horizon. A NaN anywhere in a series' actuals or forecast makes
that series' metric NaN (nothing is silently dropped inside a series).

Aggregation across series (``aggregate``) is the plain mean over series, ignoring series whose
metric is NaN (for MASE: series whose scale is zero or undefined); the evaluation report says
so next to its numbers and lists those series.

The interval metrics (``coverage``, ``msis``, ``scaled_pinball``) score prediction intervals
and quantiles the same way, per series; :func:`interval_metrics` names their columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from forecastr.errors import InputError
from forecastr.intervals import level_name

# Column order of every metrics table.
METRICS: tuple[str, ...] = ("mae", "rmse", "smape", "mase")
# The column of the scaled pinball loss, after every level's coverage and MSIS.
PINBALL = "pinball"


def mae(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Mean absolute error per series.

    Args:
        actual: (S, H) observed values.
        forecast: (S, H) forecasts.

    Returns:
        (S,) mean of ``|actual - forecast|`` over the horizon.
    """
    return np.mean(np.abs(_diff(actual, forecast)), axis=-1)


def rmse(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Root mean squared error per series.

    Args:
        actual: (S, H) observed values.
        forecast: (S, H) forecasts.

    Returns:
        (S,) square root of the mean squared error over the horizon.
    """
    return np.sqrt(np.mean(np.square(_diff(actual, forecast)), axis=-1))


def smape(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Symmetric mean absolute percentage error per series (M4 definition), in percent.

    Each step scores ``200 * |y - f| / (|y| + |f|)``, between 0 and 200; a step where both
    ``y`` and ``f`` are 0 is a perfect forecast and scores 0.

    Args:
        actual: (S, H) observed values.
        forecast: (S, H) forecasts.

    Returns:
        (S,) mean over the horizon, in [0, 200].
    """
    actual, forecast = _pair(actual, forecast)
    denom = np.abs(actual) + np.abs(forecast)  # (S, H)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(denom == 0, 0.0, 200.0 * np.abs(actual - forecast) / denom)  # NaN stays
    # |y - f| <= |y| + |f|, but rounding can land a hair above 200 when one side is 0.
    return np.mean(np.minimum(terms, 200.0), axis=-1)


def mase(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Mean absolute scaled error per series: MAE divided by the series' in-sample scale.

    Args:
        actual: (S, H) observed values.
        forecast: (S, H) forecasts.
        scale: (S,) from ``mase_scale``: in-sample MAE of the seasonal naive forecast.

    Returns:
        (S,) MASE; NaN where the scale is zero, negative or NaN (see ``undefined_scale``),
        never inf.
    """
    return _scaled(mae(actual, forecast), scale)


def mase_scale(history: np.ndarray, season_length: int) -> np.ndarray:
    """In-sample MAE of the seasonal naive forecast: mean ``|y_t - y_{t-m}|`` per series.

    Computed over each series' own points only (NaN padding is skipped). A series with fewer
    than ``m + 1`` points uses ``m = 1`` (the naive forecast) instead; one with fewer than 2
    points gets NaN.

    Args:
        history: (S, T) right-aligned, NaN-left-padded training history.
        season_length: season length m, in steps.

    Returns:
        (S,) scale; 0 for a constant series (its MASE is then undefined).
    """
    m = int(season_length)
    if m < 1:
        raise InputError(f"season_length must be >= 1, got {season_length}; pass a positive value")
    if history.ndim != 2:
        raise ValueError("history must be a 2-D array (series, time)")
    scale, pairs = _lag_mae(history, m)  # (S,), (S,)
    short = pairs == 0  # fewer than m + 1 points: no seasonal pair at all
    if m > 1 and short.any():
        scale[short] = _lag_mae(history[short], 1)[0]
    return scale


def coverage(actual: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Share of points inside their interval, per series.

    Args:
        actual: (S, H) observed values.
        lo: (S, H) lower bounds.
        hi: (S, H) upper bounds.

    Returns:
        (S,) share of steps with ``lo <= y <= hi``, in [0, 1]; NaN where a series has a NaN.
    """
    actual, lo, hi = _triple(actual, lo, hi)
    inside = ((lo <= actual) & (actual <= hi)).astype(np.float64)  # (S, H)
    inside[np.isnan(actual) | np.isnan(lo) | np.isnan(hi)] = np.nan
    return np.mean(inside, axis=-1)


def msis(
    actual: np.ndarray, lo: np.ndarray, hi: np.ndarray, scale: np.ndarray, level: float
) -> np.ndarray:
    """Mean scaled interval score per series (M4's MSIS) of a central ``level``% interval.

    Each step scores ``(hi - lo) + (2/a)(lo - y)1{y < lo} + (2/a)(y - hi)1{y > hi}`` with
    ``a = 1 - level/100``: the width, plus a penalty for every miss that grows with its
    distance and with the level. The mean over the horizon is divided by the series' in-sample
    scale, as MASE is.

    Args:
        actual: (S, H) observed values.
        lo: (S, H) lower bounds.
        hi: (S, H) upper bounds.
        scale: (S,) from ``mase_scale``.
        level: the interval's nominal coverage in percent, in (0, 100).

    Returns:
        (S,) MSIS; NaN where the scale is zero, negative or NaN (as for ``mase``).
    """
    actual, lo, hi = _triple(actual, lo, hi)
    a = 1.0 - float(level) / 100.0
    if not 0.0 < a < 1.0:
        raise InputError(f"level must lie in (0, 100), got {level}; pass e.g. 95")
    below = np.maximum(lo - actual, 0.0)  # (S, H) distance under the lower bound
    above = np.maximum(actual - hi, 0.0)  # (S, H) distance over the upper bound
    score = np.mean((hi - lo) + (2.0 / a) * (below + above), axis=-1)  # (S,)
    return _scaled(score, scale)


def scaled_pinball(
    actual: np.ndarray, quantiles: np.ndarray, taus: Sequence[float], scale: np.ndarray
) -> np.ndarray:
    """Scaled pinball loss per series, averaged over the horizon and the quantiles.

    The pinball loss of quantile ``q`` at level ``tau`` is ``max(tau (y - q), (tau - 1)(y - q))``.
    Its mean over many evenly spread quantiles approximates half the CRPS (CRPS ~ 2 x this), so
    lower is better for the whole forecast distribution, not only its intervals. Divided by the
    series' in-sample scale, as MASE is.

    Args:
        actual: (S, H) observed values.
        quantiles: (S, H, K) forecast quantiles.
        taus: (K,) their levels, in (0, 1).
        scale: (S,) from ``mase_scale``.

    Returns:
        (S,) scaled pinball loss; NaN where the scale is zero, negative or NaN.
    """
    actual = np.asarray(actual, dtype=np.float64)
    quantiles = np.asarray(quantiles, dtype=np.float64)
    tau = np.asarray(taus, dtype=np.float64)
    if quantiles.ndim != 3 or quantiles.shape[:2] != actual.shape or len(tau) != quantiles.shape[2]:
        raise ValueError(
            f"quantiles {quantiles.shape} must be actual {actual.shape} plus one axis of "
            f"{len(tau)} quantiles"
        )
    if len(tau) == 0:
        return np.full(actual.shape[0], np.nan)
    d = actual[..., None] - quantiles  # (S, H, K)
    loss = np.maximum(tau * d, (tau - 1.0) * d)  # (S, H, K)
    return _scaled(np.mean(loss, axis=(-2, -1)), scale)


def coverage_name(level: float) -> str:
    """Column of a level's coverage: ``80`` -> ``"coverage-80"``."""
    return f"coverage-{level_name(level)}"


def msis_name(level: float) -> str:
    """Column of a level's MSIS: ``80`` -> ``"msis-80"``."""
    return f"msis-{level_name(level)}"


def interval_metrics(levels: Sequence[float], taus: Sequence[float]) -> tuple[str, ...]:
    """The interval columns of a report, in table order: each level's coverage, each level's
    MSIS (levels ascending), then ``pinball``; () when there are no quantiles."""
    if not len(taus):
        return ()
    ordered = sorted(float(v) for v in levels)
    return (*map(coverage_name, ordered), *map(msis_name, ordered), PINBALL)


def nominal_coverage(metric: str) -> float | None:
    """The coverage a ``coverage-<L>`` column promises, as a share (``"coverage-95"`` ->
    0.95); None for any other metric."""
    if not metric.startswith("coverage-"):
        return None
    return float(metric.removeprefix("coverage-")) / 100.0


def undefined_scale(scale: np.ndarray) -> np.ndarray:
    """Which series have no usable MASE scale (zero, negative or NaN).

    Args:
        scale: (S,) from ``mase_scale``.

    Returns:
        (S,) bool, True where MASE is reported as NaN.
    """
    scale = np.asarray(scale, dtype=np.float64)
    return ~(np.isfinite(scale) & (scale > 0))


def aggregate(values: np.ndarray) -> float:
    """Mean over series, ignoring NaN (series whose metric is undefined); NaN if none is left.

    Args:
        values: per-series metric values, any shape.

    Returns:
        The mean of the non-NaN values.
    """
    values = np.asarray(values, dtype=np.float64)
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else float("nan")


def _lag_mae(history: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``|x_t - x_{t-lag}|`` over the pairs where both points exist (NaN if none), and
    the number of such pairs, per row."""
    S, T = history.shape
    if lag >= T:
        return np.full(S, np.nan), np.zeros(S, dtype=np.int64)
    d = history[:, lag:] - history[:, :-lag]  # (S, T - lag), NaN where padded
    np.abs(d, out=d)
    missing = np.isnan(d)
    pairs = d.shape[1] - missing.sum(axis=1)  # (S,)
    np.copyto(d, 0.0, where=missing)  # one pass instead of nansum's copy
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, d.sum(axis=1) / np.maximum(pairs, 1), np.nan), pairs


def _scaled(score: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``score / scale`` per series; NaN (never inf) where the scale is undefined."""
    scale = np.asarray(scale, dtype=np.float64)
    bad = undefined_scale(scale)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bad, np.nan, score / np.where(bad, 1.0, scale))


def _triple(
    actual: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    actual, lo = _pair(actual, lo)
    return (actual, lo, _pair(actual, hi)[1])


def _pair(actual: np.ndarray, forecast: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    actual = np.asarray(actual, dtype=np.float64)
    forecast = np.asarray(forecast, dtype=np.float64)
    if actual.shape != forecast.shape:
        raise ValueError(f"actual {actual.shape} and forecast {forecast.shape} differ in shape")
    return actual, forecast


def _diff(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    actual, forecast = _pair(actual, forecast)
    return actual - forecast
