"""Empirical prediction intervals for the baselines, from their own in-sample errors.

A baseline has no model of its noise, so its intervals come from how wrong it was before:
from a handful of past origins inside each series' history (the history cut at that origin,
still right-aligned), the baseline forecasts ``horizon`` steps; the ``h``-step residuals
``y - f`` where the target was observed are divided by the series' scale (the in-sample MAE of
seasonal naive, MASE's scale) and pooled over every series of the block, one pool per step.
The empirical ``tau``-quantile of step ``h``'s pool, times each series' scale, is added to the
series' point forecast.

What this assumes: the residuals of past origins look like those of the forecast to come (the
noise does not change over time), and the series of a block, once scaled, share one residual
distribution per step. Neither holds exactly, so coverage is a best effort, not a guarantee;
the backtest measures it. Quantiles of one pool are monotone in ``tau`` and the scale is never
negative, so the quantiles never cross.

Cost stays small on long series: at most ``MAX_ORIGINS`` origins, evenly spread over the last
``3 * horizon + season_length`` points, and at most ``MAX_POOL_SERIES`` series (evenly spread)
feed the pools. A series with no usable scale (constant, or one point) gets zero width: its
quantiles equal its point forecast.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

from forecastr.baselines import (
    Baseline,
    fit_units,
    history_needed,
    theta,
    theta_history,
    theta_trusted,
)
from forecastr.ets import MIN_SEASONS, ets_forecast
from forecastr.intervals import needed_residuals, pooled_steps
from forecastr.metrics import mase_scale, undefined_scale
from forecastr.theta import theta_spread

MAX_ORIGINS = 32  # past origins per block: each is one baseline call on the cut history
SPAN_HORIZONS = 3  # origins lie within the last 3 horizons (plus a season) of the history
MAX_POOL_SERIES = 2048  # series whose residuals feed the pools (evenly spread over the block)


def baseline_quantiles(
    history: np.ndarray,
    point: np.ndarray,
    method: Baseline,
    horizon: int,
    taus: Sequence[float],
    scale: np.ndarray,
    *,
    season_length: int = 1,
    window: int = 1,
    min_history: int | None = None,
) -> np.ndarray:
    """Quantile forecasts of a baseline from its pooled, scaled in-sample residuals.

    Past origins keep the history the method needs (``baselines.history_needed``: the Theta
    method adjusts for a season only from ``theta.seasonal_minimum`` points, and errors of
    origins with less are not those of the forecast to come).

    Args:
        history: (S, T) right-aligned, NaN-left-padded history the point forecast came from.
        point: (S, H) the baseline's forecast from the whole history.
        method: the baseline (``baselines.BASELINES``' signature).
        horizon: H, steps forecast.
        taus: (K,) quantile levels in (0, 1), ascending.
        scale: (S,) each series' in-sample seasonal-naive MAE (``metrics.mase_scale``).
        season_length: passed to ``method``; also widens the span of past origins.
        window: passed to ``method``.
        min_history: points each past origin keeps (None: ``baselines.history_needed``).

    Returns:
        (S, H, K) quantiles, non-decreasing along K; finite wherever ``point`` is finite.
    """
    history, point, scale = _checked(history, point, horizon, taus, scale)
    width = np.where(undefined_scale(scale), 0.0, scale)  # (S,) zero width without a scale
    rows = pool_rows(history.shape[0])
    offsets = origin_offsets(history.shape[1], horizon, season_length)
    residuals = scaled_residuals(
        history[rows], method, horizon, scale[rows], offsets,
        season_length=season_length, window=window,
        min_history=history_needed(method, season_length) if min_history is None else min_history,
    )  # fmt: skip
    q = pooled_quantiles(residuals, taus)  # (H, K)
    return point[:, :, None] + q[None, :, :] * width[:, None, None]


def origin_offsets(n_cols: int, horizon: int, season_length: int = 1) -> np.ndarray:
    """Past origins as the number of columns cut from the right of a (S, ``n_cols``) history:
    at most ``MAX_ORIGINS``, evenly spread over [1, min(n_cols - 1, 3 * horizon + season)],
    ascending; empty when the history has fewer than 2 columns."""
    span = min(n_cols - 1, SPAN_HORIZONS * horizon + max(int(season_length), 1))
    if span < 1:
        return np.zeros(0, dtype=np.int64)
    count = min(span, MAX_ORIGINS)
    return np.unique(np.linspace(1, span, count).round().astype(np.int64))


def pool_rows(n_series: int) -> np.ndarray:
    """The rows whose residuals feed the pools: all, or ``MAX_POOL_SERIES`` evenly spread."""
    if n_series <= MAX_POOL_SERIES:
        return np.arange(n_series)
    return np.unique(np.linspace(0, n_series - 1, MAX_POOL_SERIES).round().astype(np.int64))


def scaled_residuals(
    history: np.ndarray,
    method: Baseline,
    horizon: int,
    scale: np.ndarray,
    offsets: np.ndarray,
    *,
    season_length: int = 1,
    window: int = 1,
    min_history: int = 1,
) -> np.ndarray:
    """The baseline's ``h``-step residuals from each past origin, in scaled units.

    Args:
        history: (S, T) right-aligned, NaN-padded history.
        method: the baseline.
        horizon: H.
        scale: (S,) each series' scale; residuals of a series without one are NaN.
        offsets: (N,) columns cut from the right at each origin (from ``origin_offsets``).
        season_length: passed to ``method``.
        window: passed to ``method``.
        min_history: points each origin's history must keep, or all but one of the series'
            own when it has fewer (``baseline_quantiles``).

    Returns:
        (N * S, H) ``(y - f) / scale``; NaN where the target lies past the history, was not
        observed, the baseline had nothing to forecast from, or the origin kept too little
        history.
    """
    S, T = history.shape
    out = np.full((len(offsets), S, horizon), np.nan)  # (N, S, H)
    seen = np.cumsum(~np.isnan(history), axis=1)  # (S, T) values up to each column
    needed = np.minimum(min_history, np.count_nonzero(~np.isnan(history), axis=1) - 1)  # (S,)
    for i, d in enumerate(int(d) for d in offsets):
        cut = T - d  # the origin: history[:, :cut] stays right-aligned
        f = method(history[:, :cut], horizon, season_length=season_length, window=window)
        n = min(d, horizon)  # steps whose target lies inside the history
        out[i, :, :n] = history[:, cut : cut + n] - f[:, :n]
        out[i, seen[:, cut - 1] < needed] = np.nan
    usable = np.where(undefined_scale(scale), np.nan, scale)  # (S,)
    with np.errstate(invalid="ignore", divide="ignore"):
        out /= usable[None, :, None]
    return out.reshape(-1, horizon)


def pooled_quantiles(residuals: np.ndarray, taus: Sequence[float]) -> np.ndarray:
    """Empirical quantiles of each step's residual pool.

    A step with fewer than ``intervals.needed_residuals(taus)`` finite residuals borrows its
    neighbouring steps' (nearest first); a step with none at all gets 0 (zero width).

    Args:
        residuals: (N, H) scaled residuals, NaN where missing.
        taus: (K,) quantile levels, ascending.

    Returns:
        (H, K) quantiles, non-decreasing along K.
    """
    H = residuals.shape[1]
    tau = np.asarray(taus, dtype=np.float64)
    per_step = [col[np.isfinite(col)] for col in residuals.T]  # H pools
    need = needed_residuals(taus)
    out = np.zeros((H, len(tau)))
    counts = [len(p) for p in per_step]
    for h in range(H):
        pool = np.concatenate([per_step[j] for j in pooled_steps(counts, h, need)])
        if pool.size:
            out[h] = np.quantile(pool, tau)
    return out


def _checked(
    history: np.ndarray, point: np.ndarray, horizon: int, taus: Sequence[float], scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The arrays as float64, their shapes checked against each other."""
    history = np.asarray(history, dtype=np.float64)
    point = np.asarray(point, dtype=np.float64)
    scale = np.asarray(scale, dtype=np.float64)
    if history.ndim != 2:
        raise ValueError("history must be a 2-D array (series, time)")
    S = history.shape[0]
    if point.shape != (S, horizon) or scale.shape != (S,):
        raise ValueError(
            f"point {point.shape} and scale {scale.shape} must be ({S}, {horizon}) and ({S},)"
        )
    tau = np.asarray(taus, dtype=np.float64)
    if tau.ndim != 1 or ((tau <= 0) | (tau >= 1)).any() or (np.diff(tau) < 0).any():
        raise ValueError(f"taus must be ascending levels in (0, 1), got {list(tau)}")
    return history, point, scale


def theta_quantiles(
    history: np.ndarray,
    point: np.ndarray,
    taus: Sequence[float],
    season: int,
    trusted: bool = False,
) -> np.ndarray:
    """(S, H, K) quantiles of the Theta forecasts ``point`` of right-aligned, NaN-padded
    ``history``: at each quantile the wider of two estimates, each too narrow in its own way
    on short series. One is empirical: the method's own h-step errors from past origins of
    each history, pooled over the series (``baseline_intervals.py``), few where the series are
    few and short; with a season, only origins that keep ``theta.seasonal_minimum`` points,
    whose forecasts are adjusted for it as this one is (docs/benchmarks.md: on Tourism monthly
    cut to 30 points, MSIS 95 31.3 -> 9.0). The other is parametric: normal quantiles of the
    state-space spread plus the estimated drift's error (``theta.theta_spread``), which
    knows only one-step errors in the sample. Over short histories of the M3 and Tourism
    series (8 to 30 points, each alone or all together) the wider of the two came closest to
    95% coverage in 22 of 28 cases and had a lower MSIS than the empirical alone in 24 of 28
    (tree 7492d20; adding the drift's error lowered it further in 25 of 28; docs/benchmarks.md,
    "Theta-only intervals")."""
    horizon = point.shape[1]
    scale = mase_scale(history, season)
    method = theta_trusted if trusted else theta
    q = baseline_quantiles(history, point, method, horizon, taus, scale, season_length=season)
    recent = history[:, -theta_history(season) :]  # what the forecast read, in its fit's units
    size = fit_units(recent)
    with np.errstate(all="ignore"):
        sd = theta_spread(recent / size, horizon, season, trusted) * size  # (S, H); NaN: short
    return wider_of(q, point, sd, taus)


def wider_of(q: np.ndarray, point: np.ndarray, sd: np.ndarray, taus: Sequence[float]) -> np.ndarray:
    """(S, H, K) at each quantile the wider of the empirical ``q`` (S, H, K) and the normal
    quantiles around ``point`` (S, H) of spread ``sd`` (S, H; NaN: ``q`` alone)."""
    z = np.array([NormalDist().inv_cdf(float(t)) for t in taus])
    parametric = point[:, :, None] + sd[:, :, None] * z  # ascending in tau
    wider = np.where(z > 0, np.fmax(q, parametric), np.fmin(q, parametric))
    return np.where(np.isfinite(wider), wider, q)


def ets_method(
    history: np.ndarray, horizon: int, season_length: int = 1, window: int = 1
) -> np.ndarray:
    """Exponential smoothing (``ets.ets_forecast``) with a baseline's signature, so that its
    errors from past origins can be pooled as a baseline's (``window`` is not read)."""
    return ets_forecast(history, horizon, season_length)


def ets_quantiles(
    history: np.ndarray, point: np.ndarray, sd: np.ndarray, taus: Sequence[float], season: int
) -> np.ndarray:
    """(S, H, K) quantiles of the exponential smoothing forecasts ``point`` of right-aligned,
    NaN-padded ``history`` whose state-space spread is ``sd`` (``ets.ets_fit``), made as the
    Theta method's are (:func:`theta_quantiles`): at each quantile the wider of the normal
    quantiles of that spread, which knows only the fitted one-step errors, and the model's
    own h-step errors from past origins that keep ``ets.MIN_SEASONS`` seasons (refitted at
    each), pooled over the series. NaN where ``point`` is."""
    horizon = point.shape[1]
    scale = mase_scale(history, season)
    q = baseline_quantiles(
        history, np.where(np.isfinite(point), point, 0.0), ets_method, horizon, taus, scale,
        season_length=season, min_history=MIN_SEASONS * season,
    )  # fmt: skip
    out = wider_of(q, point, sd, taus)
    return np.where(np.isfinite(point)[..., None], out, np.nan)
