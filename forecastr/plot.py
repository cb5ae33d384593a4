"""Matplotlib figures: backtest forecasts against actuals (with the model's interval bands
when it forecasts them), and attention heatmaps.

matplotlib is an optional dependency, imported inside each function. Figures are drawn on the
Agg canvas (no display, no global pyplot state) and written atomically as PNG.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from forecastr.atomic import atomic_path
from forecastr.baselines import BASELINES, method_label
from forecastr.errors import InputError, require
from forecastr.intervals import level_bounds, level_name, tau_index
from forecastr.outputs import write_error
from forecastr.panel import Panel
from forecastr.report import EvalReport

# Line styles: the model stands out, the baselines recede.
_MODEL_STYLE = {"color": "#d62728", "linewidth": 2.2, "zorder": 4}
_BASELINE_COLORS = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
_ACTUAL_STYLE = {"color": "black", "linewidth": 1.6, "marker": "o", "markersize": 2.5, "zorder": 5}
_HISTORY_STYLE = {"color": "#555555", "linewidth": 1.2, "zorder": 3}


def plot_forecasts(
    report: EvalReport,
    panel: Panel,
    path: str | os.PathLike,
    series_ids: Sequence[str] | None = None,
    max_series: int = 6,
    history: int | None = None,
    methods: Sequence[str] | None = None,
) -> Path:
    """Draw the last fold of a backtest: history tail, actuals and every method's forecast.

    One panel per series, titled with its id; each method's legend entry carries its MASE on
    that series (last fold). A model with intervals gets one shaded band per level, the widest
    lightest, named in the legend (``"GRU 80% / 95%"``).

    Args:
        report: the backtest report (its last fold is drawn).
        panel: the panel the report was computed on.
        path: PNG file to write (atomically).
        series_ids: series to draw; defaults to the first ``max_series`` of the panel.
        max_series: most panels to draw.
        history: points of history to show before the forecast origin; defaults to
            max(3 * horizon, min(2 * season_length, 8 * horizon)).
        methods: methods to draw; defaults to all of ``report.methods``.

    Returns:
        The path written.

    Raises:
        MissingDependencyError: matplotlib is not installed.
        InputError: a series id is not in the report.
    """
    require("matplotlib")
    from matplotlib.figure import Figure

    ids = _pick_series(report, series_ids, max_series)
    methods = list(methods) if methods is not None else list(report.methods)
    unknown = [m for m in methods if m not in report.methods]
    if unknown:
        raise InputError(
            f"unknown method '{unknown[0]}' to plot; choose from {', '.join(report.methods)}"
        )
    h, m = report.horizon, report.season_length
    n_hist = history if history is not None else max(3 * h, min(2 * m, 8 * h))
    mase = _last_fold_mase(report)

    ncols = 1 if len(ids) <= 3 else 2
    nrows = -(-len(ids) // ncols)
    fig = Figure(figsize=(10 * ncols, 3.4 * nrows + 0.5), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, sid in zip(axes, ids, strict=False):
        _draw_series(ax, report, panel, sid, methods, n_hist, mase)
    for ax in axes[len(ids) :]:
        ax.set_visible(False)
    fold = f"last of {report.folds} backtest folds" if report.folds > 1 else "holdout"
    fig.suptitle(f"{h}-step forecasts, {fold} (legend: MASE on this window)")
    return _save_atomic(fig, path)


def plot_attention_heatmap(
    weights: np.ndarray, path: str | os.PathLike, title: str, stamps: np.ndarray | None = None
) -> Path:
    """Attention of one forecast: decoder steps (rows) over encoder steps (columns).

    Args:
        weights: (H, steps) attention weights; each row sums to 1.
        path: PNG file to write (atomically).
        title: figure title.
        stamps: optional (steps,) timestamps or step numbers of the encoder steps.
    """
    require("matplotlib")
    from matplotlib.figure import Figure

    weights = np.asarray(weights, dtype=np.float64)
    h, w = weights.shape
    fig = Figure(figsize=(min(14, 4 + w * 0.12), min(9, 2.5 + h * 0.12)), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(weights, aspect="auto", cmap="viridis", interpolation="nearest")
    fig.colorbar(im, ax=ax, label="attention weight")
    ax.set_ylabel("forecast step (1 = next)")
    ax.set_yticks(np.linspace(0, h - 1, min(h, 8)).round().astype(int))
    ax.set_yticklabels([str(t + 1) for t in ax.get_yticks()])
    ticks = np.linspace(0, w - 1, min(w, 8)).round().astype(int)
    ax.set_xticks(ticks)
    if stamps is not None and len(stamps) == w:
        text = [str(v).replace("T", " ") for v in stamps]
        midnight = all(v[10:].strip(" 0:.") == "" for v in text)
        labels = [text[t][:10] if midnight else text[t][:16] for t in ticks]
        ax.set_xticklabels(labels, rotation=30, ha="right")
        ax.set_xlabel("input window (end of each encoder step)")
    else:
        ax.set_xlabel("encoder step")
    ax.set_title(title)
    return _save_atomic(fig, path)


def _pick_series(report: EvalReport, series_ids, max_series: int) -> list[str]:
    if max_series < 1:
        raise InputError(f"max_series must be >= 1, got {max_series}")
    if series_ids is None:
        return list(report.ids[:max_series])
    missing = [s for s in series_ids if s not in report.ids]
    if missing:
        raise InputError(f"series '{missing[0]}' is not in the evaluation; check the series id")
    return list(series_ids)[:max_series]


def _draw_series(
    ax,
    report: EvalReport,
    panel: Panel,
    sid: str,
    methods: list[str],
    n_hist: int,
    mase: dict[tuple[str, str], float],
) -> None:
    """One series' panel: ``n_hist`` points of history, the actuals and every method's
    forecast of the last fold, each labelled with its MASE there."""
    i = report.ids.index(sid)
    p = panel.index_of(sid)
    origin = int(report.origins[i, -1])
    lo = max(0, origin - n_hist)
    hist_y = panel.series(p)[lo:origin]
    hist_t = panel.timestamps(p)[lo:origin]
    fut_t = report.future_ds[i]
    ax.plot(hist_t, hist_y, label="history", **_HISTORY_STYLE)
    if len(hist_t):  # join history to the actuals so the line has no gap
        ax.plot([hist_t[-1], fut_t[0]], [hist_y[-1], report.actuals[i, 0]], **_HISTORY_STYLE)
    ax.plot(fut_t, report.actuals[i], label="actual", **_ACTUAL_STYLE)
    if report.model in methods:
        _draw_bands(ax, report, i, fut_t)
    for method in methods:
        style = _method_style(method, report.model)
        label = f"{method_label(method)} (MASE {_fmt(mase.get((method, sid)))})"
        ax.plot(fut_t, report.forecasts[method][i], label=label, **style)
    ax.axvline(fut_t[0], color="#999999", linestyle=":", linewidth=1)
    ax.set_title(f"{sid}", fontsize=11, loc="left", fontweight="bold")
    ax.grid(True, alpha=0.3)
    # Outside the axes, so no line is hidden behind it.
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    _format_time_axis(ax, panel.freq is not None)


def _draw_bands(ax, report: EvalReport, i: int, fut_t: np.ndarray) -> None:
    """The model's interval bands for series row ``i``: one per level, widest (lightest)
    first, one legend entry for all; nothing when the model has no intervals."""
    q = report.quantile_forecasts.get(report.model or "")
    if q is None or not report.levels:
        return
    levels = sorted(report.levels, reverse=True)  # widest first, drawn underneath
    color = _MODEL_STYLE["color"]
    named = " / ".join(f"{level_name(v)}%" for v in levels[::-1])  # "80% / 95%"
    label = f"{method_label(str(report.model))} {named}"
    for j, level in enumerate(levels):
        lo, hi = (q[i, :, tau_index(report.taus, t)] for t in level_bounds(level))
        alpha = 0.12 + 0.14 * j  # the widest lightest, each narrower band darker
        ax.fill_between(
            fut_t, lo, hi, color=color, alpha=min(alpha, 0.5), linewidth=0, zorder=1,
            label=label if j == len(levels) - 1 else None,
        )  # fmt: skip


def _last_fold_mase(report: EvalReport) -> dict[tuple[str, str], float]:
    """(method, series id) -> MASE of the last fold."""
    df = report.per_series
    last = df[df["fold"] == report.folds - 1]
    keys = zip(last["method"].astype(str), last["unique_id"].astype(str), strict=True)
    return dict(zip(keys, last["mase"].to_numpy(dtype=np.float64), strict=True))


def _method_style(method: str, model: str | None) -> dict:
    if method == model:
        return dict(_MODEL_STYLE)
    order = list(BASELINES)  # a baseline keeps its colour from figure to figure
    j = order.index(method) if method in order else len(order)
    color = _BASELINE_COLORS[j % len(_BASELINE_COLORS)]
    return {"color": color, "linewidth": 1.4, "linestyle": "--", "alpha": 0.9, "zorder": 2}


def _format_time_axis(ax, dated: bool) -> None:
    if not dated:
        ax.set_xlabel("step")
        return
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _fmt(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:.2f}"


def _save_atomic(fig, path: str | os.PathLike) -> Path:
    """Write the figure to a temp file beside ``path``, then rename it into place."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format="png", dpi=110)
    except OSError as err:  # the temporary file is already gone (atomic_path)
        raise write_error(target, err, what="plot") from None
    return target
