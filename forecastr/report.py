"""What a backtest reports: the ``EvalReport``, its tables' data and its prose.

``evaluate.backtest`` computes the numbers; this module turns them into what people read: the
per-series and summary tables, the best method per metric, the one-sentence verdict
(:meth:`EvalReport.skill_sentence`), the notes on how the numbers were made, and the JSON form.
A backtest that scored intervals carries their columns (``metrics.interval_metrics``) beside
the point metrics, and the last fold's quantile forecasts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecastr.baselines import method_label
from forecastr.config import EVALUATE
from forecastr.errors import InputError
from forecastr.intervals import level_name
from forecastr.metrics import (
    METRICS,
    PINBALL,
    aggregate,
    coverage_name,
    msis_name,
    nominal_coverage,
)

AGGREGATION = "mean over series and folds; series whose metric is undefined (NaN) are left out"

# method -> metric -> one (S,) array of per-series values per fold, oldest fold first.
Scores = dict[str, dict[str, list[np.ndarray]]]


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
            smape, mase, then the interval columns when intervals were scored
            (``coverage-<L>`` as a share in [0, 1], ``msis-<L>``, ``pinball``). Folds are
            numbered from 0 (oldest).
        summary: one row per method (``methods`` order): each metric's mean over series and
            folds, NaN left out.
        best: metric -> method with the lowest mean (for coverage: the closest to its nominal
            level; None if every value is NaN).
        forecasts: last fold only: method -> (S, horizon) forecast.
        actuals: last fold only: (S, horizon) observed values.
        future_ds: last fold only: (S, horizon) timestamps of the actuals.
        zero_scale_series: ids whose MASE scale was zero or undefined in some fold (MASE NaN).
        fallback_series: ids for which seasonal naive fell back to naive in some fold.
        notes: plain sentences describing how the numbers were made.
        levels: interval levels scored, in percent, ascending; () without intervals.
        taus: quantile levels forecast and scored, ascending; () without intervals.
        quantile_forecasts: last fold only: method -> (S, horizon, K) quantiles at ``taus``,
            for every method that has them (the model only if it forecasts quantiles).
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
    levels: tuple[float, ...] = ()
    taus: tuple[float, ...] = ()
    quantile_forecasts: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def metrics(self) -> list[str]:
        """Every metric column, in table order (the point metrics, then any interval ones)."""
        return [str(c) for c in self.summary.columns if c != "method"]

    @property
    def model_has_intervals(self) -> bool:
        """Whether the model forecast quantiles that were scored."""
        return self.model is not None and self.model in self.quantile_forecasts

    def score(self, method: str, metric: str) -> float:
        """Summary value of ``metric`` for ``method`` (mean over series and folds)."""
        row = self.summary.loc[self.summary["method"] == method, metric]
        return float(row.iloc[0]) if len(row) else float("nan")

    def skill_sentence(self) -> str:
        """One plain sentence comparing the model with seasonal naive (or naming the best
        baseline when there is no model), e.g. ``"GRU: MASE 0.71, 18% lower than seasonal naive
        (0.87)."``; a model with intervals adds their widest level's coverage and MSIS:
        ``"...; 95% intervals covered 94.1% of points, MSIS 12% lower than seasonal naive's."``
        """
        baselines = [m for m in self.methods if m != self.model]
        if self.model is None:
            return self._baseline_sentence(baselines)
        ref = _reference(baselines) or self._best_of(baselines)
        if ref is None:
            return f"{self.model}: no baseline to compare with{self._interval_clause(None)}."
        metric = self._common_metric([self.model, ref])
        if metric is None:
            return f"{self.model}: no comparable score (MASE and MAE are undefined)."
        value, base = self.score(self.model, metric), self.score(ref, metric)
        clause = self._interval_clause(ref)
        return f"{self.model}: {_label(metric)} {_num(value)}, {_versus(value, base, ref)}{clause}."

    def _interval_clause(self, ref: str | None) -> str:
        """``"; 95% intervals covered 94.1% of points, MSIS 12% lower than seasonal naive's"``
        for the widest level (the pinball loss for a model with quantiles but no levels); ""
        when the model has no intervals."""
        if not self.model_has_intervals or self.model is None:
            return ""
        if self.levels:
            widest = max(self.levels)
            covered = self.score(self.model, coverage_name(widest))
            text = f"; {level_name(widest)}% intervals covered {_percent(covered)} of points"
            metric, label = msis_name(widest), "MSIS"
        else:
            text, metric, label = ";", PINBALL, "scaled pinball loss"
        value = self.score(self.model, metric)
        if math.isnan(value):
            return text if self.levels else ""
        base = self.score(ref, metric) if ref is not None else float("nan")
        sep = ", " if self.levels else " "
        return f"{text}{sep}{label} {_versus_own(value, base, ref)}"

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
        if self.taus:  # keys only a backtest with intervals has: the point-only JSON is as before
            out["levels"] = [float(v) for v in self.levels]
            out["quantiles"] = [float(t) for t in self.taus]
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
        text = f"No model evaluated; best baseline: {method_label(best)} ({_label(metric)} "
        text += _num(self.score(best, metric)) + ")"
        others = [m for m in baselines if m != best]
        ref = _reference(others) or self._best_of(others)
        if ref is not None:
            text += ", " + _versus(self.score(best, metric), self.score(ref, metric), ref)
        return text + "."


def _scale_note(m: int) -> str:
    """The MASE scale's line: seasonal naive's in-sample MAE at ``m``, naive's without a
    season."""
    if m == 1:
        return (
            "MASE scale: in-sample MAE of the naive forecast on each fold's history before its "
            "origin"
        )
    return (
        f"MASE scale: in-sample MAE of the seasonal naive forecast (m={m}) on each fold's "
        "history before its origin (m=1 for series shorter than m+1)"
    )


def _reference(methods: Sequence[str]) -> str | None:
    """The baseline a model is compared with: seasonal naive, or naive where the report has no
    season (``backtest`` leaves seasonal naive out there: at a season of 1 it is naive)."""
    return next((m for m in ("seasonal_naive", "naive") if m in methods), None)


def per_series_table(
    report: EvalReport, metric: str = "mase", top: int = EVALUATE.top, method: str | None = None
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


def per_series_frame(
    scores: Scores,
    methods: list[str],
    ids: list[str],
    folds: int,
    metrics: Sequence[str] = METRICS,
) -> pd.DataFrame:
    """Long table: one row per (method, fold, series), built from arrays in one go; one
    column per metric of ``metrics``."""
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
    for metric in metrics:
        parts = [a for m in methods for a in scores[m][metric]]
        frame[metric] = np.concatenate(parts) if parts else np.zeros(n)
    return pd.DataFrame(frame)


def summary_frame(
    scores: Scores, methods: list[str], metrics: Sequence[str] = METRICS
) -> pd.DataFrame:
    """One row per method: each metric's mean over every series and fold, NaN left out."""
    rows = [
        {"method": m, **{x: aggregate(np.concatenate(scores[m][x])) for x in metrics}}
        for m in methods
    ]
    return pd.DataFrame(rows, columns=["method", *metrics])


def best_methods(summary: pd.DataFrame) -> dict[str, str | None]:
    """Metric -> the best method on each of the summary's columns (None when every value is
    NaN): the lowest value, or for a coverage the closest to its nominal level."""
    return {str(m): _argmin(summary, str(m)) for m in summary.columns if m != "method"}


NETWORK_INTERVALS = (
    "the network's quantiles, with a split-conformal adjustment per horizon step calibrated on "
    "held-out validation windows"
)


def notes_for(
    report: EvalReport, train_end_known: bool, model_intervals: str = NETWORK_INTERVALS
) -> list[str]:
    """Plain sentences on how the report's numbers were made.

    Args:
        report: the report, complete but for its notes.
        train_end_known: whether the model said where its training data ends (so folds could
            be checked against it).
        model_intervals: how the model's intervals were made (when it has some).
    """
    out = [
        f"metrics are the {AGGREGATION}",
        _scale_note(report.season_length),
    ]
    if report.zero_scale_series:
        out.append(
            f"{len(report.zero_scale_series)} series have a zero or undefined MASE scale "
            "(constant or too short history); their MASE is NaN and left out of the means"
        )
    if report.fallback_series:
        out.append(
            f"{len(report.fallback_series)} series are shorter than one season "
            f"({report.season_length}) at some origin; seasonal naive repeated their last value"
        )
    if report.model is not None:
        out.extend(_model_notes(report, train_end_known))
    return out + _interval_notes(report, model_intervals)


def _interval_notes(report: EvalReport, model_intervals: str) -> list[str]:
    """How the intervals were made and scored; [] for a point-only backtest."""
    if not report.taus:
        return []
    out = []
    if report.model_has_intervals:
        out.append(f"model intervals: {model_intervals}")
    elif report.model is not None:
        out.append("the model forecasts no quantiles; its interval columns are empty")
    taus = ", ".join(f"{t:g}" for t in report.taus)
    out += [
        "baseline intervals: empirical quantiles of each baseline's in-sample h-step "
        "residuals from past origins of each fold's history, scaled like MASE and pooled "
        "over series (assumes past errors look like future ones)",
        "coverage: share of actuals inside the interval (best: closest to the level); MSIS "
        "(M4, a = 1 - level): width plus 2/a times each miss, scaled like MASE; pinball: "
        f"pinball loss over the quantiles {taus}, scaled like MASE (about half the CRPS)",
    ]
    return out


def _model_notes(report: EvalReport, train_end_known: bool) -> list[str]:
    if report.refit:
        return ["the model was retrained on each fold's history before that fold"]
    out = []
    if report.folds > 1:
        out.append("the model was not retrained between folds")
    if not train_end_known:
        out.append(
            "the model did not say where its training data ends, so folds could not "
            "be checked against it"
        )
    return out


def _argmin(summary: pd.DataFrame, metric: str) -> str | None:
    values = summary[metric].to_numpy(dtype=np.float64)
    nominal = nominal_coverage(metric)
    if nominal is not None:  # a coverage is best closest to its level, not lowest
        values = np.abs(values - nominal)
    if np.isnan(values).all():
        return None
    return str(summary["method"].iloc[int(np.nanargmin(values))])


def _versus(value: float, base: float, ref: str) -> str:
    """``"18% lower than seasonal naive (0.87)"``."""
    name = method_label(ref)
    if base == 0 or math.isnan(base):
        return f"against {name} ({_num(base)})"
    change = (1.0 - value / base) * 100.0
    if round(abs(change)) == 0:
        return f"the same as {name} ({_num(base)})"
    word = "lower" if change > 0 else "higher"
    return f"{abs(change):.0f}% {word} than {name} ({_num(base)})"


def _versus_own(value: float, base: float, ref: str | None) -> str:
    """``"12% lower than seasonal naive's"``; the bare value when there is no comparison."""
    if ref is None or base == 0 or math.isnan(base):
        return _num(value)
    change = (1.0 - value / base) * 100.0
    name = method_label(ref)
    if round(abs(change)) == 0:
        return f"{_num(value)}, the same as {name}'s"
    return f"{abs(change):.0f}% {'lower' if change > 0 else 'higher'} than {name}'s"


def _percent(share: float) -> str:
    """0.941 -> ``"94.1%"``."""
    return "n/a" if math.isnan(share) else f"{share * 100:.1f}%"


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
