"""Honest holdout and rolling-origin backtests of a model and the baselines on the same windows.

A fold is one forecast origin per series: the history is every point before it, the actuals
are the ``horizon`` points from it. With ``folds`` folds the origins step back from the series
end by ``step`` points each, so the last fold ends at the series end (one fold is a holdout).
Every method is scored on exactly the same actuals, and MASE is scaled by each fold's own
history, so no number uses a point that lies after its origin.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from forecastr.baselines import (
    BASELINES,
    display_name,
    seasonal_fallback,
    seasonal_naive,
    seasonal_name,
)
from forecastr.errors import ForecastrError, InputError, SeriesTooShortError, shown
from forecastr.forecast import forecast_windows, require_finite
from forecastr.metrics import (
    METRICS,
    aggregate,
    mae,
    mase,
    mase_scale,
    rmse,
    smape,
    undefined_scale,
)
from forecastr.panel import Panel
from forecastr.windows import edge_fill

# Cap on history cells (series x time) gathered at once: 2**24 float64 cells is 128 MiB.
_CHUNK_CELLS = 1 << 24
AGGREGATION = "mean over series and folds; series whose metric is undefined (NaN) are left out"


class Forecaster(Protocol):
    """What ``backtest`` needs from a trained model (torch or ONNX).

    Attributes:
        name: label for tables (``"GRU"``).
        window: number of past values each forecast reads.
        horizon: number of steps each forecast returns (at least the backtest horizon).

    A forecaster may also have ``train_end: dict[str, timestamp] | None``: the last timestamp
    of each series that training (validation included) saw. ``backtest`` uses it to refuse
    folds that overlap the training data.
    """

    name: str
    window: int
    horizon: int

    def forecast(self, windows: np.ndarray, series_ids: Sequence[str]) -> np.ndarray:
        """Forecast from raw windows: (B, window) -> (B, horizon), in original units."""
        ...


# refit(train_panel, fold) -> forecaster trained only on train_panel.
Refit = Callable[[Panel, int], Forecaster]


@dataclass(eq=False)
class EvalReport:
    """Scores of a backtest.

    Attributes:
        horizon: steps forecast per fold.
        season_length: season used by seasonal naive and the MASE scale.
        folds: number of forecast origins per series.
        step: points between consecutive origins.
        window: points averaged by ``window_mean``.
        refit: whether the model was refit on each fold's history.
        model: the model's method name, or None for a baselines-only backtest.
        methods: method names in display order (model first, then baselines).
        ids: series ids, in panel order.
        origins: (S, folds) relative index of each fold's first forecast point.
        per_series: one row per method, fold and series: method, fold, unique_id, mae, rmse,
            smape, mase. Folds are numbered from 0 (oldest).
        summary: one row per method (``methods`` order): each metric's mean over series and
            folds, NaN left out.
        best: metric -> method with the lowest mean (None if every value is NaN).
        forecasts: last fold only: method -> (S, horizon) forecast.
        actuals: last fold only: (S, horizon) observed values.
        future_ds: last fold only: (S, horizon) timestamps of the actuals.
        zero_scale_series: ids whose MASE scale was zero or undefined in some fold (MASE NaN).
        fallback_series: ids for which seasonal naive fell back to naive in some fold.
        notes: plain sentences describing how the numbers were made.
    """

    horizon: int
    season_length: int
    folds: int
    step: int
    window: int
    refit: bool
    model: str | None
    methods: list[str]
    ids: list[str]
    origins: np.ndarray
    per_series: pd.DataFrame
    summary: pd.DataFrame
    best: dict[str, str | None]
    forecasts: dict[str, np.ndarray]
    actuals: np.ndarray
    future_ds: np.ndarray
    zero_scale_series: list[str] = field(default_factory=list)
    fallback_series: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def score(self, method: str, metric: str) -> float:
        """Summary value of ``metric`` for ``method`` (mean over series and folds)."""
        row = self.summary.loc[self.summary["method"] == method, metric]
        return float(row.iloc[0]) if len(row) else float("nan")

    def skill_sentence(self) -> str:
        """One plain sentence comparing the model with seasonal naive (or naming the best
        baseline when there is no model), e.g. ``"GRU: MASE 0.71, 18% lower than seasonal naive
        (0.87)."``"""
        baselines = [m for m in self.methods if m != self.model]
        if self.model is None:
            return self._baseline_sentence(baselines)
        ref = "seasonal_naive" if "seasonal_naive" in baselines else self._best_of(baselines)
        if ref is None:
            return f"{self.model}: no baseline to compare with."
        metric = self._common_metric([self.model, ref])
        if metric is None:
            return f"{self.model}: no comparable score (MASE and MAE are undefined)."
        value, base = self.score(self.model, metric), self.score(ref, metric)
        return f"{self.model}: {_label(metric)} {_num(value)}, {_versus(value, base, ref)}."

    def to_dict(self, per_series: bool = False) -> dict[str, Any]:
        """JSON-ready summary (NaN written as None).

        Args:
            per_series: also include every per-series row (large for many series).

        Returns:
            Dict with horizon, season_length, folds, step, window, refit, model, n_series,
            aggregation, summary (list of rows), best, skill, zero_scale_series,
            fallback_series, notes and optionally per_series.
        """
        out: dict[str, Any] = {
            "horizon": self.horizon,
            "season_length": self.season_length,
            "folds": self.folds,
            "step": self.step,
            "window": self.window,
            "refit": self.refit,
            "model": self.model,
            "n_series": len(self.ids),
            "aggregation": AGGREGATION,
            "summary": _records(self.summary),
            "best": dict(self.best),
            "skill": self.skill_sentence(),
            "zero_scale_series": list(self.zero_scale_series),
            "fallback_series": list(self.fallback_series),
            "notes": list(self.notes),
        }
        if per_series:
            out["per_series"] = _records(self.per_series)
        return out

    def _best_of(self, methods: Sequence[str]) -> str | None:
        metric = self._common_metric(methods)
        if metric is None:
            return None
        scores = {m: self.score(m, metric) for m in methods}
        scores = {m: v for m, v in scores.items() if not math.isnan(v)}
        return min(scores, key=scores.__getitem__) if scores else None

    def _common_metric(self, methods: Sequence[str]) -> str | None:
        """MASE if every method has a MASE, else MAE, else None."""
        for metric in ("mase", "mae"):
            if methods and all(not math.isnan(self.score(m, metric)) for m in methods):
                return metric
        return None

    def _baseline_sentence(self, baselines: Sequence[str]) -> str:
        best = self._best_of(baselines)
        if best is None:
            return "No model evaluated, and no baseline has a defined score."
        metric = self._common_metric(baselines) or "mae"
        text = f"No model evaluated; best baseline: {display_name(best)} ({_label(metric)} "
        text += _num(self.score(best, metric)) + ")"
        others = [m for m in baselines if m != best]
        ref = "seasonal_naive" if "seasonal_naive" in others else self._best_of(others)
        if ref is not None:
            text += ", " + _versus(self.score(best, metric), self.score(ref, metric), ref)
        return text + "."


def fold_origins(
    lengths: np.ndarray,
    horizon: int,
    folds: int,
    step: int,
    *,
    min_history: int = 1,
    ids: Sequence[str] | None = None,
) -> np.ndarray:
    """Forecast origins of every series and fold: ``n - horizon - (folds - 1 - k) * step``.

    Args:
        lengths: (S,) number of points of each series.
        horizon: steps forecast per fold.
        folds: number of origins per series; the last one ends at the series end.
        step: points between consecutive origins.
        min_history: points every series needs before its first origin.
        ids: series ids, to name a series that is too short.

    Returns:
        (S, folds) int64 relative index of each fold's first forecast point, oldest fold first.

    Raises:
        InputError: horizon, folds, step or min_history is not a positive whole number.
        SeriesTooShortError: a series has fewer than
            ``min_history + horizon + (folds - 1) * step`` points.
    """
    for name, value in (("horizon", horizon), ("folds", folds), ("step", step)):
        _require_positive(name, value)
    _require_positive("min_history", min_history)
    lengths = np.asarray(lengths, dtype=np.int64)  # (S,)
    back = (folds - 1 - np.arange(folds, dtype=np.int64)) * step  # (F,)
    origins = lengths[:, None] - horizon - back[None, :]  # (S, F)
    short = np.flatnonzero(origins[:, 0] < min_history) if folds else np.zeros(0, dtype=int)
    if short.size:
        need = min_history + horizon + (folds - 1) * step
        i = int(short[0])
        name = shown(ids[i]) if ids is not None else f"#{i}"
        more = f" (and {short.size - 1} more)" if short.size > 1 else ""
        raise SeriesTooShortError(
            f"series {name}{more} has {int(lengths[i])} points, but horizon {horizon} with "
            f"{folds} fold(s) of step {step} and {min_history} point(s) of history needs at "
            f"least {need}; use fewer --folds, a shorter --horizon, or drop shorter series"
        )
    return origins


def backtest(
    panel: Panel,
    *,
    horizon: int,
    season_length: int,
    folds: int = 1,
    step: int | None = None,
    window: int | None = None,
    model: Forecaster | None = None,
    refit: Refit | None = None,
    baselines: Sequence[str] = tuple(BASELINES),
    seasons: Sequence[int] = (),
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
        model: a ``Forecaster``; it reads the last ``model.window`` values before each origin.
            Without ``refit`` it is not refit between folds, and if it has ``train_end`` any
            fold whose actuals reach back to its training data is refused.
        refit: ``refit(train_panel, fold) -> Forecaster``, called once per fold (oldest first)
            with the panel cut at that fold's origins; the forecaster it returns scores that
            fold. ``model`` may then be None: the method is named after fold 0's forecaster.
        baselines: names from ``BASELINES`` to score, in display order.
        seasons: further season lengths (besides ``season_length``) at which seasonal naive
            is also scored, e.g. the weekly 336 of half-hourly data; each is a method
            ``seasonal_naive_<m>`` listed after the baselines.
        progress: called as ``progress(done_folds, folds)`` after each fold.

    Returns:
        An ``EvalReport``.

    Raises:
        InputError: an argument is out of range or names an unknown baseline.
        SeriesTooShortError: a series cannot hold the folds (or the model's window).
        ForecastrError: a fold overlaps the data the model was trained on, or the model
            returned forecasts of the wrong shape.
    """
    step = horizon if step is None else step
    for name, value in (("horizon", horizon), ("season_length", season_length)):
        _require_positive(name, value)
    window = max(season_length, horizon) if window is None else window
    _require_positive("window", window)
    baselines = list(baselines)
    unknown = [b for b in baselines if b not in BASELINES]
    if unknown:
        raise InputError(f"unknown baseline '{unknown[0]}'; choose from {', '.join(BASELINES)}")
    if model is None and refit is None and not baselines:
        raise InputError("nothing to evaluate: give a model or at least one baseline")
    if model is not None:
        _check_horizon(model, horizon)

    S = panel.n_series
    # A model pads a history shorter than its window (windows.py), so one point is enough.
    origins = fold_origins(panel.lengths, horizon, folds, step, min_history=1, ids=panel.ids)
    train_end = getattr(model, "train_end", None) if model is not None else None
    if refit is None and train_end:
        _check_no_overlap(panel, origins, train_end)
    # Fold 0's refit comes first so that a refit-only backtest is named after its model.
    first = _refit_fold(panel, origins, 0, refit, horizon) if refit is not None else model
    model_name = _method_name(first, baselines)

    extra = [int(m) for m in dict.fromkeys(seasons) if 1 < int(m) != season_length]
    methods = ([model_name] if model_name else []) + baselines + [seasonal_name(m) for m in extra]
    scores: dict[str, dict[str, list[np.ndarray]]] = {
        m: {metric: [] for metric in METRICS} for m in methods
    }
    zero_scale = np.zeros(S, dtype=bool)
    fell_back = np.zeros(S, dtype=bool)
    last: dict[str, np.ndarray] = {m: np.full((S, horizon), np.nan) for m in methods}
    actual_last = np.full((S, horizon), np.nan)
    starts = panel.offsets[:-1].astype(np.int64)  # (S,)
    lead = max(int(origins.max()) if S else 0, int(model.window) if model is not None else 0)
    values = _LeadPadded.of(panel.y, lead)

    for k in range(folds):
        o = origins[:, k]  # (S,) points before the origin
        forecaster = first
        if refit is not None and k > 0:
            forecaster = _refit_fold(panel, origins, k, refit, horizon)
        fold_scores = {m: {metric: np.empty(S) for metric in METRICS} for m in methods}
        for rows in _chunks(S, int(o.max()) if S else 0):
            out = _score_chunk(
                values,
                starts[rows],
                o[rows],
                [panel.ids[i] for i in _range(rows)],
                horizon=horizon,
                season_length=season_length,
                window=window,
                forecaster=forecaster,
                model_name=model_name,
                baselines=baselines,
                extra_seasons=extra,
            )
            zero_scale[rows] |= out["zero_scale"]
            fell_back[rows] |= out["fallback"]
            for m in methods:
                for metric in METRICS:
                    fold_scores[m][metric][rows] = out["scores"][m][metric]
                if k == folds - 1:
                    last[m][rows] = out["forecasts"][m]
            if k == folds - 1:
                actual_last[rows] = out["actual"]
        for m in methods:
            for metric in METRICS:
                scores[m][metric].append(fold_scores[m][metric])
        if progress is not None:
            progress(k + 1, folds)

    last_idx = (starts + origins[:, -1])[:, None] + np.arange(horizon)  # (S, H)
    per_series = _per_series_frame(scores, methods, panel.ids, folds)
    summary = _summary_frame(scores, methods)
    ids = list(panel.ids)
    report = EvalReport(
        horizon=horizon,
        season_length=season_length,
        folds=folds,
        step=step,
        window=window,
        refit=refit is not None,
        model=model_name,
        methods=methods,
        ids=ids,
        origins=origins,
        per_series=per_series,
        summary=summary,
        best={x: _argmin(summary, x) for x in METRICS},
        forecasts=last,
        actuals=actual_last,
        future_ds=panel.ds[last_idx] if S else panel.ds[:0].reshape(0, horizon),
        zero_scale_series=[ids[i] for i in np.flatnonzero(zero_scale)],
        fallback_series=[ids[i] for i in np.flatnonzero(fell_back)],
    )
    report.notes = _notes(report, model, train_end)
    return report


def per_series_table(
    report: EvalReport, metric: str = "mase", top: int = 10, method: str | None = None
) -> pd.DataFrame:
    """The ``top`` best and ``top`` worst series for one method, with every method beside it.

    Args:
        report: a backtest report.
        metric: one of ``METRICS``.
        top: series to show at each end; all series are shown when there are at most 2*top.
        method: method to rank by; defaults to the model, else the best baseline on ``metric``.

    Returns:
        DataFrame with columns group ("best", "worst" or "all"), rank (1 = best), unique_id,
        then one column per method holding the metric's mean over folds. Series whose value is
        NaN for ``method`` are left out.
    """
    if metric not in METRICS:
        raise InputError(f"unknown metric '{metric}'; choose from {', '.join(METRICS)}")
    method = method or report.model or report.best.get(metric) or report.methods[0]
    if method not in report.methods:
        raise InputError(f"unknown method '{method}'; choose from {', '.join(report.methods)}")
    wide = report.per_series.pivot_table(
        index="unique_id", columns="method", values=metric, aggfunc="mean", observed=True
    ).reindex(columns=report.methods)
    wide.columns = list(wide.columns)
    ranked = wide.dropna(subset=[method]).sort_values(method, kind="stable")
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    if len(ranked) <= 2 * top:
        ranked.insert(0, "group", "all")
        table = ranked
    else:
        best, worst = ranked.head(top).copy(), ranked.tail(top).copy()
        best.insert(0, "group", "best")
        worst.insert(0, "group", "worst")
        table = pd.concat([best, worst])
    table = table.rename_axis("unique_id").reset_index()
    cols = ["group", "rank", "unique_id", *report.methods]
    table["unique_id"] = table["unique_id"].astype(str)
    return table[cols]


def _score_chunk(
    values: _LeadPadded,
    starts: np.ndarray,
    origins: np.ndarray,
    ids: list[str],
    *,
    horizon: int,
    season_length: int,
    window: int,
    forecaster: Forecaster | None,
    model_name: str | None,
    baselines: Sequence[str],
    extra_seasons: Sequence[int] = (),
) -> dict[str, Any]:
    """Forecasts and per-series scores of one fold for a block of series."""
    ends = starts + origins  # (B,) absolute index of each origin
    history = values.right_aligned(starts, ends, int(origins.max()))  # (B, T)
    actual = values.take(ends[:, None] + np.arange(horizon))  # (B, H)
    scale = mase_scale(history, season_length)  # (B,)
    forecasts: dict[str, np.ndarray] = {}
    if forecaster is not None and model_name is not None:
        w = int(forecaster.window)
        inputs = edge_fill(values.right_aligned(starts, ends, w))  # (B, w), short ones padded
        forecasts[model_name] = _model_forecast(forecaster, inputs, ids, horizon)
    for name in baselines:
        forecasts[name] = BASELINES[name](
            history, horizon, season_length=season_length, window=window
        )  # (B, H)
    for m in extra_seasons:
        forecasts[seasonal_name(m)] = seasonal_naive(history, horizon, season_length=m)
    scores = {
        m: {
            "mae": mae(actual, f),
            "rmse": rmse(actual, f),
            "smape": smape(actual, f),
            "mase": mase(actual, f, scale),
        }
        for m, f in forecasts.items()
    }
    fallback = (
        seasonal_fallback(history, season_length)
        if "seasonal_naive" in baselines
        else np.zeros(len(ids), dtype=bool)
    )
    return {
        "scores": scores,
        "forecasts": forecasts,
        "actual": actual,
        "zero_scale": undefined_scale(scale),
        "fallback": fallback,
    }


@dataclass(frozen=True)
class _LeadPadded:
    """The panel's values behind ``lead`` NaNs, so every window of up to ``lead`` points that
    ends inside them is a row of one strided view: gathering histories copies rows, with no
    (B, T) index arrays."""

    values: np.ndarray  # (lead + N,)
    lead: int

    @classmethod
    def of(cls, y: np.ndarray, lead: int) -> _LeadPadded:
        return cls(np.concatenate([np.full(lead, np.nan), y]), lead)

    def take(self, index: np.ndarray) -> np.ndarray:
        """``y[index]`` for absolute indices into the panel's values."""
        return self.values[self.lead + index]

    def right_aligned(self, starts: np.ndarray, ends: np.ndarray, length: int) -> np.ndarray:
        """Rows ``y[starts[i]:ends[i]]``, each cut to its last ``length`` points, as a
        right-aligned, NaN-left-padded (B, length) matrix; ``length <= lead``."""
        if length == 0:
            return np.empty((len(ends), 0))
        rows = sliding_window_view(self.values, length)  # row j = values[j : j + length]
        out = rows[self.lead + ends - length]  # (B, L) copy; may start in the previous series
        pad = length - (ends - starts)  # (B,) columns before the series' first point
        np.copyto(out, np.nan, where=np.arange(length) < pad[:, None])
        return out


def _model_forecast(
    forecaster: Forecaster, inputs: np.ndarray, ids: list[str], horizon: int
) -> np.ndarray:
    """Call the forecaster and check its answer: (B, window) -> (B, horizon)."""
    raw = np.asarray(forecast_windows(forecaster, inputs, ids), dtype=np.float64)
    if raw.ndim != 2 or raw.shape[0] != inputs.shape[0] or raw.shape[1] < horizon:
        raise ForecastrError(
            f"model '{forecaster.name}' returned forecasts of shape {raw.shape} for "
            f"{inputs.shape[0]} windows; expected ({inputs.shape[0]}, {horizon}); "
            "check the model's horizon"
        )
    require_finite(raw[:, :horizon], ids, str(forecaster.name))
    return raw[:, :horizon]


def _check_horizon(forecaster: Forecaster, horizon: int) -> None:
    if int(forecaster.horizon) < horizon:
        raise InputError(
            f"the model forecasts {forecaster.horizon} steps but the horizon asked is "
            f"{horizon}; use --horizon {forecaster.horizon} or less"
        )


def _refit_fold(
    panel: Panel, origins: np.ndarray, k: int, refit: Refit, horizon: int
) -> Forecaster:
    """Refit on the panel cut at fold ``k``'s origins, and check the forecaster fits the fold:
    horizon, window, and no training data at or after the origin."""
    forecaster = refit(panel.truncate(origins[:, k]), k)
    _check_horizon(forecaster, horizon)
    train_end = getattr(forecaster, "train_end", None)
    if train_end:
        _check_no_overlap(panel, origins[:, k : k + 1], train_end, refit_fold=k)
    return forecaster


def _check_no_overlap(
    panel: Panel, origins: np.ndarray, train_end: dict, refit_fold: int | None = None
) -> None:
    """Refuse a fold whose first actual is at or before the model's training end."""
    position = {sid: i for i, sid in enumerate(panel.ids)}
    rows = [position[s] for s, end in train_end.items() if s in position and end is not None]
    if not rows:
        return
    rows_arr = np.asarray(rows, dtype=np.int64)
    ends = np.array([_as_panel_time(train_end[panel.ids[i]], panel.ds) for i in rows])  # (R,)
    first = panel.ds[panel.offsets[rows_arr][:, None] + origins[rows_arr]]  # (R, F)
    overlap = first <= ends[:, None]  # (R, F)
    if not overlap.any():
        return
    r, k = np.argwhere(overlap.T)[0][::-1]  # earliest fold first, then panel order
    sid = panel.ids[rows[r]]
    more = int(overlap.sum()) - 1
    extra = f" ({more} more series/fold pairs overlap)" if more else ""
    if refit_fold is not None:
        raise ForecastrError(
            f"refit for fold {refit_fold + 1} returned a model trained on series {shown(sid)} "
            "up to "
            f"{_fmt_time(ends[r])}, at or past that fold's first forecast "
            f"({_fmt_time(first[r, k])}); refit must train only on the panel it is given"
        )
    raise ForecastrError(
        f"fold {k + 1} of series {shown(sid)} overlaps the data the model was trained on (up to "
        f"{_fmt_time(ends[r])}){extra}; evaluate on newer data, use fewer --folds, "
        "or pass --refit"
    )


def _as_panel_time(value, ds: np.ndarray):
    """A ``train_end`` value in the panel's time type (datetime64 or integer step)."""
    if np.issubdtype(ds.dtype, np.datetime64):
        ts = pd.Timestamp(value)
        if ts.tzinfo is not None:
            ts = ts.tz_localize(None)
        return ts.to_datetime64()
    return int(value)


def _fmt_time(value) -> str:
    if isinstance(value, np.datetime64):
        ts = pd.Timestamp(value)
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat(sep=" ")
    return str(value)


def _method_name(model: Forecaster | None, baselines: Sequence[str]) -> str | None:
    """The model's column name; a name that clashes with a baseline gets " (model)"."""
    if model is None:
        return None
    name = str(getattr(model, "name", None) or "model")
    return f"{name} (model)" if name in baselines or name in BASELINES else name


def _per_series_frame(
    scores: dict[str, dict[str, list[np.ndarray]]],
    methods: list[str],
    ids: list[str],
    folds: int,
) -> pd.DataFrame:
    """Long table: one row per (method, fold, series), built from arrays in one go."""
    S = len(ids)
    n = len(methods) * folds * S
    frame = {
        "method": pd.Categorical.from_codes(
            np.repeat(np.arange(len(methods)), folds * S), categories=methods
        ),
        "fold": np.tile(np.repeat(np.arange(folds), S), len(methods)),
        "unique_id": pd.Categorical.from_codes(
            np.tile(np.arange(S), len(methods) * folds), categories=list(ids)
        ),
    }
    for metric in METRICS:
        parts = [a for m in methods for a in scores[m][metric]]
        frame[metric] = np.concatenate(parts) if parts else np.zeros(n)
    return pd.DataFrame(frame)


def _summary_frame(
    scores: dict[str, dict[str, list[np.ndarray]]], methods: list[str]
) -> pd.DataFrame:
    """One row per method: each metric's mean over every series and fold, NaN left out."""
    rows = [
        {"method": m, **{x: aggregate(np.concatenate(scores[m][x])) for x in METRICS}}
        for m in methods
    ]
    return pd.DataFrame(rows, columns=["method", *METRICS])


def _notes(report: EvalReport, model: Forecaster | None, train_end) -> list[str]:
    notes = [
        f"metrics are the {AGGREGATION}",
        f"MASE scale: in-sample MAE of the seasonal naive forecast (m={report.season_length}) "
        "on each fold's history before its origin (m=1 for series shorter than m+1)",
    ]
    if report.zero_scale_series:
        notes.append(
            f"{len(report.zero_scale_series)} series have a zero or undefined MASE scale "
            "(constant or too short history); their MASE is NaN and left out of the means"
        )
    if report.fallback_series:
        notes.append(
            f"{len(report.fallback_series)} series are shorter than one season "
            f"({report.season_length}) at some origin; seasonal naive repeated their last value"
        )
    if report.model is not None:
        if report.refit:
            notes.append("the model was retrained on each fold's history before that fold")
        else:
            if report.folds > 1:
                notes.append("the model was not retrained between folds")
            if not train_end:
                notes.append(
                    "the model did not say where its training data ends, so folds could not "
                    "be checked against it"
                )
    return notes


def _argmin(summary: pd.DataFrame, metric: str) -> str | None:
    values = summary[metric].to_numpy(dtype=np.float64)
    if np.isnan(values).all():
        return None
    return str(summary["method"].iloc[int(np.nanargmin(values))])


def _versus(value: float, base: float, ref: str) -> str:
    """``"18% lower than seasonal naive (0.87)"``."""
    name = display_name(ref)
    if base == 0 or math.isnan(base):
        return f"against {name} ({_num(base)})"
    change = (1.0 - value / base) * 100.0
    if round(abs(change)) == 0:
        return f"the same as {name} ({_num(base)})"
    word = "lower" if change > 0 else "higher"
    return f"{abs(change):.0f}% {word} than {name} ({_num(base)})"


def _label(metric: str) -> str:
    return {"smape": "sMAPE"}.get(metric, metric.upper())


def _num(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if 1e-6 < abs(value) < 0.01:  # tiny errors of small-valued data: keep 2 significant digits
        return f"{value:.2g}"
    return f"{value:.2f}"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain-Python dicts, NaN as None."""
    rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


def _plain(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _chunks(n_rows: int, n_cols: int):
    """Row slices whose history block stays under ``_CHUNK_CELLS`` cells."""
    size = max(1, _CHUNK_CELLS // max(n_cols, 1))
    for start in range(0, n_rows, size):
        yield slice(start, min(start + size, n_rows))


def _range(rows: slice) -> range:
    return range(rows.start, rows.stop)


def _require_positive(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(
            f"{name} must be a whole number >= 1, got {value!r}; pass a positive value"
        )
