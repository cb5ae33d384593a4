"""Interval scoring for the backtest: which levels and quantiles a backtest scores, the
quantile forecasts of the model and of the baselines, and their per-series interval metrics.

``evaluate.backtest`` calls these once per fold and block of series, beside its point
metrics. The model's quantiles are its own (network quantiles, conformally calibrated); the
baselines' come from ``baseline_intervals`` at the same quantile levels, from the same history,
so every method is scored on the same actuals at the same levels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from forecastr.baseline_intervals import baseline_quantiles
from forecastr.baselines import BASELINES, Baseline, seasonal_naive, seasonal_name
from forecastr.errors import ForecastrError, InputError
from forecastr.forecast import model_levels, model_quantiles, require_finite
from forecastr.intervals import level_bounds, level_name, network_quantiles, parse_levels, tau_index
from forecastr.metrics import (
    PINBALL,
    coverage,
    coverage_name,
    interval_metrics,
    msis,
    msis_name,
    scaled_pinball,
)


@dataclass(frozen=True)
class IntervalPlan:
    """What a backtest scores of intervals.

    Attributes:
        levels: central interval levels in percent, ascending (coverage and MSIS of each).
        taus: quantile levels forecast and scored by the pinball loss, ascending; () when the
            backtest scores no intervals.
        from_model: whether the model forecasts ``taus`` (else only the baselines have them).
    """

    levels: tuple[float, ...] = ()
    taus: tuple[float, ...] = ()
    from_model: bool = False

    @property
    def metrics(self) -> tuple[str, ...]:
        """The interval columns of the report (``metrics.interval_metrics``)."""
        return interval_metrics(self.levels, self.taus)


def interval_plan(model, levels: Sequence[float] = ()) -> IntervalPlan:
    """The intervals a backtest of ``model`` (None: baselines only) scores.

    A model with network quantiles is scored at its own quantiles and, unless ``levels`` says
    otherwise, its own levels; each level asked for must then be one of its intervals.
    Without such a model, ``levels`` alone makes the baselines forecast their bounds.

    Raises:
        InputError: a level is out of range, or not one the model forecasts.
    """
    asked = parse_levels(levels)
    taus = model_quantiles(model) if model is not None else ()
    if not taus:
        return IntervalPlan(asked, network_quantiles(asked, ()), False) if asked else IntervalPlan()
    chosen = asked or tuple(sorted(model_levels(model)))
    for level in chosen:
        try:
            for tau in level_bounds(level):
                tau_index(taus, tau)
        except KeyError:
            given = ", ".join(level_name(v) for v in model_levels(model)) or "none"
            raise InputError(
                f"--level {level_name(level)} is not an interval the model forecasts "
                f"(its levels: {given}); pick one of those"
            ) from None
    return IntervalPlan(chosen, tuple(float(t) for t in taus), True)


def check_model_quantiles(forecaster, plan: IntervalPlan) -> None:
    """Refuse a (refit) forecaster whose quantiles are not the ones the backtest scores."""
    if plan.from_model and tuple(model_quantiles(forecaster)) != plan.taus:
        raise ForecastrError(
            f"model '{forecaster.name}' forecasts the quantiles "
            f"{list(model_quantiles(forecaster))}, not {list(plan.taus)} like the first fold's; "
            "refit every fold with the same --level and --quantiles"
        )


def checked_quantiles(
    raw: np.ndarray, name: str, ids: list[str], horizon: int, n_taus: int
) -> np.ndarray:
    """A model's quantile answer checked: (B, >= horizon, K) finite -> (B, horizon, K)."""
    q = np.asarray(raw, dtype=np.float64)
    if q.ndim != 3 or q.shape[0] != len(ids) or q.shape[1] < horizon or q.shape[2] != n_taus:
        raise ForecastrError(
            f"model '{name}' returned quantiles of shape {q.shape} for {len(ids)} windows; "
            f"expected ({len(ids)}, {horizon}, {n_taus}); check the model's quantiles"
        )
    q = q[:, :horizon]
    require_finite(q.reshape(len(ids), -1), ids, name)
    return q


def baseline_interval_forecasts(
    history: np.ndarray,
    forecasts: dict[str, np.ndarray],
    *,
    baselines: Sequence[str],
    extra_seasons: Sequence[int],
    season_length: int,
    window: int,
    taus: Sequence[float],
    scale: np.ndarray,
) -> dict[str, np.ndarray]:
    """Every baseline's (B, H, K) quantiles at ``taus``, around its point forecast.

    Args:
        history: (B, T) the fold's right-aligned, NaN-padded history.
        forecasts: method -> (B, H) point forecasts (each baseline's among them).
        baselines: names from ``BASELINES``.
        extra_seasons: further seasons of seasonal naive (methods ``seasonal_naive_<m>``).
        season_length: the season of the baselines and of ``scale``.
        window: ``window_mean``'s window.
        taus: (K,) quantile levels.
        scale: (B,) each series' in-sample seasonal-naive MAE.
    """
    methods: dict[str, tuple[Baseline, int]] = {b: (BASELINES[b], season_length) for b in baselines}
    methods.update({seasonal_name(m): (seasonal_naive, m) for m in extra_seasons})
    out = {}
    for name, (fn, m) in methods.items():
        point = forecasts[name]
        out[name] = baseline_quantiles(
            history, point, fn, point.shape[1], taus, scale, season_length=m, window=window
        )
    return out


def interval_scores(
    actual: np.ndarray, quantiles: np.ndarray | None, plan: IntervalPlan, scale: np.ndarray
) -> dict[str, np.ndarray]:
    """metric -> (B,) per-series interval scores of one method (all NaN without quantiles).

    Args:
        actual: (B, H) observed values.
        quantiles: (B, H, K) the method's quantiles at ``plan.taus``, or None.
        plan: the levels and quantiles scored.
        scale: (B,) each series' in-sample seasonal-naive MAE.
    """
    if quantiles is None:
        return {metric: np.full(actual.shape[0], np.nan) for metric in plan.metrics}
    out: dict[str, np.ndarray] = {}
    for level in plan.levels:
        lo, hi = (quantiles[..., tau_index(plan.taus, t)] for t in level_bounds(level))
        out[coverage_name(level)] = coverage(actual, lo, hi)
        out[msis_name(level)] = msis(actual, lo, hi, scale, level)
    out[PINBALL] = scaled_pinball(actual, quantiles, plan.taus, scale)
    return {metric: out[metric] for metric in plan.metrics}
