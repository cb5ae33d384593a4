"""Honest holdout and rolling-origin backtests of a model and the baselines on the same windows.

A fold is one forecast origin per series: the history is every point before it, the actuals
are the ``horizon`` points from it. With ``folds`` folds the origins step back from the series
end by ``step`` points each, so the last fold ends at the series end (one fold is a holdout).
Every method is scored on exactly the same actuals, and MASE is scaled by each fold's own
history, so no number uses a point that lies after its origin.

When the model forecasts quantiles (or ``levels`` asks for baseline intervals), every method's
intervals are scored too, on the same folds (``interval_scores.py``): coverage and MSIS per
level and the scaled pinball loss.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from forecastr.baselines import BASELINES, seasonal_fallback, seasonal_naive, seasonal_name
from forecastr.config import EVALUATE
from forecastr.errors import ForecastrError, InputError
from forecastr.folds import check_no_overlap, fold_origins, require_positive
from forecastr.forecast import (
    fits_each_forecast,
    forecast_windows,
    forecast_windows_quantiles,
    require_finite,
)
from forecastr.interval_scores import (
    IntervalPlan,
    baseline_interval_forecasts,
    check_model_quantiles,
    checked_quantiles,
    interval_plan,
    interval_scores,
)
from forecastr.metrics import METRICS, mae, mase, mase_scale, rmse, smape, undefined_scale
from forecastr.panel import Panel
from forecastr.predictor import Predictor
from forecastr.report import (
    NETWORK_INTERVALS,
    EvalReport,
    Scores,
    best_methods,
    notes_for,
    per_series_frame,
    summary_frame,
)
from forecastr.windows import LeadPadded, right_aligned_padded

# Cap on history cells (series x time) gathered at once: 2**24 float64 cells is 128 MiB.
_CHUNK_CELLS = 1 << 24


# refit(train_panel, fold) -> a model trained only on train_panel.
Refit = Callable[[Panel, int], Predictor]


@dataclass(frozen=True)
class _Plan:
    """What every fold scores, and how; ``methods`` is the display order."""

    horizon: int
    season_length: int
    window: int  # points averaged by window_mean
    model_name: str | None  # None: no model, baselines only
    baselines: list[str]
    extra_seasons: list[int]  # further seasons at which seasonal naive is scored
    methods: list[str]
    intervals: IntervalPlan  # levels and quantiles scored; no taus: point metrics only

    @property
    def metrics(self) -> tuple[str, ...]:
        """Every column scored: the point metrics, then the interval ones."""
        return METRICS + self.intervals.metrics

    @property
    def quantile_methods(self) -> list[str]:
        """The methods that forecast quantiles (the model only if it has them)."""
        if not self.intervals.taus:
            return []
        return [m for m in self.methods if m != self.model_name or self.intervals.from_model]


@dataclass(frozen=True)
class _ChunkScores:
    """One fold's forecasts and per-series scores for a block of B series."""

    scores: dict[str, dict[str, np.ndarray]]  # method -> metric -> (B,)
    forecasts: dict[str, np.ndarray]  # method -> (B, H)
    quantiles: dict[str, np.ndarray]  # method -> (B, H, K), methods with intervals only
    actual: np.ndarray  # (B, H)
    zero_scale: np.ndarray  # (B,) bool
    fallback: np.ndarray  # (B,) bool


@dataclass
class _Tally:
    """What the folds add up to, filled fold by fold and block of series by block."""

    scores: Scores  # method -> metric -> one (S,) array per fold
    zero_scale: np.ndarray  # (S,) bool: MASE scale zero or undefined in some fold
    fell_back: np.ndarray  # (S,) bool: seasonal naive answered with naive in some fold
    forecasts: dict[str, np.ndarray]  # method -> (S, H), last fold
    quantiles: dict[str, np.ndarray]  # method -> (S, H, K), last fold
    actuals: np.ndarray  # (S, H), last fold

    @classmethod
    def empty(cls, plan: _Plan, n_series: int) -> _Tally:
        S, H, K = n_series, plan.horizon, len(plan.intervals.taus)
        return cls(
            scores={m: {metric: [] for metric in plan.metrics} for m in plan.methods},
            zero_scale=np.zeros(S, dtype=bool),
            fell_back=np.zeros(S, dtype=bool),
            forecasts={m: np.full((S, H), np.nan) for m in plan.methods},
            quantiles={m: np.full((S, H, K), np.nan) for m in plan.quantile_methods},
            actuals=np.full((S, H), np.nan),
        )

    def add_block(self, rows: slice, chunk: _ChunkScores, *, last: bool) -> None:
        """A block of series: its flags and, on the ``last`` fold, its forecasts and actuals."""
        self.zero_scale[rows] |= chunk.zero_scale
        self.fell_back[rows] |= chunk.fallback
        if last:
            for m, forecast in chunk.forecasts.items():
                self.forecasts[m][rows] = forecast
            for m, q in chunk.quantiles.items():
                self.quantiles[m][rows] = q
            self.actuals[rows] = chunk.actual

    def add_fold(self, fold: dict[str, dict[str, np.ndarray]]) -> None:
        """Append one fold's (S,) scores per method and metric."""
        for m, by_metric in self.scores.items():
            for metric, per_fold in by_metric.items():
                per_fold.append(fold[m][metric])


def backtest(
    panel: Panel,
    *,
    horizon: int,
    season_length: int,
    folds: int = EVALUATE.folds,
    step: int | None = EVALUATE.step,
    window: int | None = None,
    model: Predictor | None = None,
    refit: Refit | None = None,
    baselines: Sequence[str] = tuple(BASELINES),
    seasons: Sequence[int] = (),
    levels: Sequence[float] = (),
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Score the model and the baselines on the same rolling-origin folds.

    Args:
        panel: the series to evaluate (each at least history + horizon + (folds-1)*step long).
        horizon: steps forecast per fold.
        season_length: season for seasonal naive and for the MASE scale.
        folds: origins per series (1 = a single holdout at the series end).
        step: points between origins; defaults to ``horizon`` (folds do not overlap).
        window: points averaged by ``window_mean``; defaults to max(season_length, horizon).
        model: a :class:`~forecastr.predictor.Predictor`; it reads the last ``model.window``
            values before each origin. Without ``refit`` it is not refit between folds, and if
            it has a ``train_end`` any fold whose actuals reach back to its training data is
            refused.
        refit: ``refit(train_panel, fold) -> Predictor``, called once per fold (oldest first)
            with the panel cut at that fold's origins; the forecaster it returns scores that
            fold. ``model`` may then be None: the method is named after fold 0's forecaster.
        baselines: names from ``BASELINES`` to score, in display order.
        seasons: further season lengths (besides ``season_length``) at which seasonal naive
            is also scored, e.g. the weekly 336 of half-hourly data; each is a method
            ``seasonal_naive_<m>`` listed after the baselines.
        levels: central interval levels (percent) to score. A model with quantiles is scored
            at its own levels by default (these must be among them); without one, the
            baselines alone get intervals at these levels. Empty with a point model: point
            metrics only, as before.
        progress: called as ``progress(done_folds, folds)`` after each fold.

    Returns:
        An ``EvalReport``.

    Raises:
        InputError: an argument is out of range or names an unknown baseline, or a level is
            not one the model forecasts.
        SeriesTooShortError: a series cannot hold the folds (or the model's window).
        ForecastrError: a fold overlaps the data the model was trained on, or the model
            returned forecasts of the wrong shape.
    """
    step = horizon if step is None else step
    baselines = list(baselines)
    window = _check_arguments(horizon, season_length, window, baselines, model, refit)
    if season_length == 1 and "naive" in baselines and "seasonal_naive" in baselines:
        baselines.remove("seasonal_naive")  # at a season of 1 it is naive, row for row
    # A model pads a history shorter than its window (windows.py), so one point is enough.
    origins = fold_origins(panel.lengths, horizon, folds, step, min_history=1, ids=panel.ids)
    train_end = model.train_end if model is not None else None
    if refit is None and train_end:
        check_no_overlap(panel, origins, train_end)
    # Fold 0's refit comes first so that a refit-only backtest is named after its model.
    first = _refit_fold(panel, origins, 0, refit, horizon) if refit is not None else model
    name, intervals = _method_name(first, baselines), interval_plan(first, levels)
    plan = _plan(horizon, season_length, window, name, baselines, seasons, intervals)
    tally = _Tally.empty(plan, panel.n_series)
    values = LeadPadded.of(panel.y, int(origins.max()) if panel.n_series else 0)
    for k in range(folds):
        forecaster = first
        if refit is not None and k > 0:
            forecaster = _refit_fold(panel, origins, k, refit, horizon)
        _score_fold(panel, values, origins[:, k], plan, forecaster, tally, last=k == folds - 1)
        if progress is not None:
            progress(k + 1, folds)
    # A model fitted on each forecast's own history is refit on every fold by construction.
    refit_each = refit is not None or fits_each_forecast(first)
    report = _assemble(panel, plan, origins, tally, step=step, refit=refit_each)
    how = getattr(first, "interval_method", NETWORK_INTERVALS)  # a stand-in may not say
    report.notes = notes_for(report, train_end_known=bool(train_end), model_intervals=how)
    return report


def _check_arguments(
    horizon: int,
    season_length: int,
    window: int | None,
    baselines: list[str],
    model: Predictor | None,
    refit: Refit | None,
) -> int:
    """Refuse out-of-range arguments; return ``window_mean``'s window (default
    max(season_length, horizon))."""
    for name, value in (("horizon", horizon), ("season_length", season_length)):
        require_positive(name, value)
    window = max(season_length, horizon) if window is None else window
    require_positive("window", window)
    unknown = [b for b in baselines if b not in BASELINES]
    if unknown:
        raise InputError(f"unknown baseline '{unknown[0]}'; choose from {', '.join(BASELINES)}")
    if model is None and refit is None and not baselines:
        raise InputError("nothing to evaluate: give a model or at least one baseline")
    if model is not None:
        _check_horizon(model, horizon)
    return window


def _plan(
    horizon: int,
    season_length: int,
    window: int,
    model_name: str | None,
    baselines: list[str],
    seasons: Sequence[int],
    intervals: IntervalPlan,
) -> _Plan:
    """The methods scored: the model first, then the baselines, then seasonal naive at each
    further season (other than 1 and ``season_length``, each once)."""
    extra = [int(m) for m in dict.fromkeys(seasons) if 1 < int(m) != season_length]
    methods = ([model_name] if model_name else []) + baselines + [seasonal_name(m) for m in extra]
    return _Plan(horizon, season_length, window, model_name, baselines, extra, methods, intervals)


def _score_fold(
    panel: Panel,
    values: LeadPadded,
    origins: np.ndarray,
    plan: _Plan,
    forecaster: Predictor | None,
    tally: _Tally,
    *,
    last: bool,
) -> None:
    """Score one fold, ``origins`` (S,) points before each series' origin, into ``tally``, a
    block of series at a time (the ``last`` fold also keeps its forecasts and actuals)."""
    S = panel.n_series
    starts = panel.offsets[:-1]  # (S,)
    fold = {m: {metric: np.empty(S) for metric in plan.metrics} for m in plan.methods}
    for rows in _chunks(S, int(origins.max()) if S else 0):
        ids = [panel.ids[i] for i in range(rows.start, rows.stop)]
        chunk = _score_chunk(panel.y, values, starts[rows], origins[rows], ids, plan, forecaster)
        tally.add_block(rows, chunk, last=last)
        for m in plan.methods:
            for metric in plan.metrics:
                fold[m][metric][rows] = chunk.scores[m][metric]
    tally.add_fold(fold)


def _score_chunk(
    y: np.ndarray,
    values: LeadPadded,
    starts: np.ndarray,
    origins: np.ndarray,
    ids: list[str],
    plan: _Plan,
    forecaster: Predictor | None,
) -> _ChunkScores:
    """Forecasts and per-series scores of one fold for a block of series: every method is
    scored on the same actuals, MASE (and MSIS, pinball) scaled by each series' history before
    its origin."""
    ends = starts + origins  # (B,) absolute index of each origin
    history = values.right_aligned(starts, ends, int(origins.max()))  # (B, T), NaN-padded
    actual = values.take(ends[:, None] + np.arange(plan.horizon))  # (B, H)
    forecasts: dict[str, np.ndarray] = {}
    quantiles: dict[str, np.ndarray] = {}
    if forecaster is not None and plan.model_name is not None:
        point, q = _score_model(forecaster, y, starts, ends, ids, plan)
        forecasts[plan.model_name] = point
        if q is not None:
            quantiles[plan.model_name] = q
    forecasts.update(_score_baselines(history, plan))
    scale = mase_scale(history, plan.season_length)  # (B,)
    scores = {m: _metrics(actual, f, scale) for m, f in forecasts.items()}
    if plan.intervals.taus:
        quantiles.update(_baseline_quantiles(history, forecasts, plan, scale))
        for m in forecasts:
            scores[m].update(interval_scores(actual, quantiles.get(m), plan.intervals, scale))
    if "seasonal_naive" in plan.baselines:
        fallback = seasonal_fallback(history, plan.season_length)
    else:
        fallback = np.zeros(len(ids), dtype=bool)
    return _ChunkScores(
        scores=scores,
        forecasts=forecasts,
        quantiles=quantiles,
        actual=actual,
        zero_scale=undefined_scale(scale),
        fallback=fallback,
    )


def _score_model(
    forecaster: Predictor,
    y: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    ids: list[str],
    plan: _Plan,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's (B, H) forecasts, and its (B, H, K) quantiles when it has them (None
    else), from the ``window`` points before each origin (a shorter history padded with its
    first value, as in training); one call of the model either way."""
    inputs = right_aligned_padded(y, starts, ends, int(forecaster.window))  # (B, window)
    if not plan.intervals.from_model:
        return _model_forecast(forecaster, inputs, ids, plan.horizon), None
    check_model_quantiles(forecaster, plan.intervals)
    point, q = forecast_windows_quantiles(forecaster, inputs, ids)
    name, K = str(forecaster.name), len(plan.intervals.taus)
    point = _checked_point(point, inputs.shape[0], ids, plan.horizon, name)
    return point, checked_quantiles(q, name, ids, plan.horizon, K)


def _score_baselines(history: np.ndarray, plan: _Plan) -> dict[str, np.ndarray]:
    """Every baseline's (B, H) forecast from the same NaN-padded (B, T) history."""
    forecasts = {
        name: BASELINES[name](
            history, plan.horizon, season_length=plan.season_length, window=plan.window
        )
        for name in plan.baselines
    }
    for m in plan.extra_seasons:
        forecasts[seasonal_name(m)] = seasonal_naive(history, plan.horizon, season_length=m)
    return forecasts


def _baseline_quantiles(
    history: np.ndarray, forecasts: dict[str, np.ndarray], plan: _Plan, scale: np.ndarray
) -> dict[str, np.ndarray]:
    """Every baseline's (B, H, K) quantiles at the plan's levels (``baseline_intervals``)."""
    return baseline_interval_forecasts(
        history,
        forecasts,
        baselines=plan.baselines,
        extra_seasons=plan.extra_seasons,
        season_length=plan.season_length,
        window=plan.window,
        taus=plan.intervals.taus,
        scale=scale,
    )


def _metrics(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> dict[str, np.ndarray]:
    """metric -> (B,) per-series score of one method."""
    return {
        "mae": mae(actual, forecast),
        "rmse": rmse(actual, forecast),
        "smape": smape(actual, forecast),
        "mase": mase(actual, forecast, scale),
    }


def _assemble(
    panel: Panel, plan: _Plan, origins: np.ndarray, tally: _Tally, *, step: int, refit: bool
) -> EvalReport:
    """The report of a finished backtest (its notes still to write)."""
    S, horizon, folds = panel.n_series, plan.horizon, origins.shape[1]
    ids = list(panel.ids)
    last_idx = (panel.offsets[:-1] + origins[:, -1])[:, None] + np.arange(horizon)  # (S, H)
    summary = summary_frame(tally.scores, plan.methods, plan.metrics)
    return EvalReport(
        horizon=horizon,
        season_length=plan.season_length,
        folds=folds,
        step=step,
        window=plan.window,
        refit=refit,
        model=plan.model_name,
        methods=plan.methods,
        ids=ids,
        origins=origins,
        per_series=per_series_frame(tally.scores, plan.methods, panel.ids, folds, plan.metrics),
        summary=summary,
        best=best_methods(summary),
        forecasts=tally.forecasts,
        actuals=tally.actuals,
        future_ds=panel.ds[last_idx] if S else panel.ds[:0].reshape(0, horizon),
        zero_scale_series=[ids[i] for i in np.flatnonzero(tally.zero_scale)],
        fallback_series=[ids[i] for i in np.flatnonzero(tally.fell_back)],
        levels=plan.intervals.levels,
        taus=plan.intervals.taus,
        quantile_forecasts=tally.quantiles,
    )


def _model_forecast(
    forecaster: Predictor, inputs: np.ndarray, ids: list[str], horizon: int
) -> np.ndarray:
    """Call the forecaster and check its answer: (B, window) -> (B, horizon)."""
    raw = forecast_windows(forecaster, inputs, ids)
    return _checked_point(raw, inputs.shape[0], ids, horizon, str(forecaster.name))


def _checked_point(raw, n: int, ids: list[str], horizon: int, name: str) -> np.ndarray:
    """A model's point answer for ``n`` windows checked: (n, >= horizon) finite -> (n, H)."""
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim != 2 or raw.shape[0] != n or raw.shape[1] < horizon:
        raise ForecastrError(
            f"model '{name}' returned forecasts of shape {raw.shape} for "
            f"{n} windows; expected ({n}, {horizon}); check the model's horizon"
        )
    require_finite(raw[:, :horizon], ids, name)
    return raw[:, :horizon]


def _check_horizon(forecaster: Predictor, horizon: int) -> None:
    if int(forecaster.horizon) < horizon:
        raise InputError(
            f"the model forecasts {forecaster.horizon} steps but the horizon asked is "
            f"{horizon}; use --horizon {forecaster.horizon} or less"
        )


def _refit_fold(panel: Panel, origins: np.ndarray, k: int, refit: Refit, horizon: int) -> Predictor:
    """Refit on the panel cut at fold ``k``'s origins, and check the forecaster fits the fold:
    horizon, window, and no training data at or after the origin."""
    forecaster = refit(panel.truncate(origins[:, k]), k)
    _check_horizon(forecaster, horizon)
    train_end = forecaster.train_end
    if train_end:
        check_no_overlap(panel, origins[:, k : k + 1], train_end, refit_fold=k)
    return forecaster


def _method_name(model: Predictor | None, baselines: Sequence[str]) -> str | None:
    """The model's column name; a name that clashes with a baseline gets " (model)"."""
    if model is None:
        return None
    name = str(getattr(model, "name", None) or "model")
    return f"{name} (model)" if name in baselines or name in BASELINES else name


def _chunks(n_rows: int, n_cols: int) -> Iterator[slice]:
    """Row slices whose history block stays under ``_CHUNK_CELLS`` cells."""
    size = max(1, _CHUNK_CELLS // max(n_cols, 1))
    for start in range(0, n_rows, size):
        yield slice(start, min(start + size, n_rows))
