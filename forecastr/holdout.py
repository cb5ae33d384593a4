"""``train``'s flow: a holdout run scored on points it never saw, then a refit on every point.

The holdout run trains on each series without its last horizon (its validation part, for
early stopping, just before); the model and the baselines are then scored on that last
horizon, which is the report ``train`` prints. The refit retrains the same configuration on
every point for the epochs early stopping chose per member: the model that forecasts best from
the end of the data, and the one saved. Either run is refused, before anything is written,
when its forecasts leave the data far behind. Imports torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecastr import forecast, train
from forecastr.autoconfig import main_season, season_trusted
from forecastr.calibration import transfer
from forecastr.combine import (
    WEIGHTS,
    ThetaMix,
    choose,
    combined,
    context_length,
    ets_member,
    theta_part,
    unpadded,
    with_validation,
)
from forecastr.config import ModelConfig, TrainConfig
from forecastr.errors import TrainingError
from forecastr.evaluate import backtest
from forecastr.metrics import mase_scale
from forecastr.models import head_taus
from forecastr.panel import Panel
from forecastr.report import EvalReport
from forecastr.theta import seasonal_minimum
from forecastr.torch_predictor import TorchPredictor
from forecastr.train import TrainResult
from forecastr.windows import Split, right_aligned_padded


@dataclass
class Runs:
    """What ``train``'s flow produced."""

    holdout: TrainResult  # the run the report scores
    saved: TrainResult  # the run to save: the refit, or the holdout run itself
    report: EvalReport  # the holdout run's model and the baselines on the unseen last horizon
    train_end: dict  # the saved run's last timestamp seen, per series
    name: str  # the model's name (``models.model_name``, "+ Theta" when combined)
    mix: ThetaMix | None = None  # the Theta combination chosen on validation (None: none)


def holdout_then_refit(
    panel: Panel,
    mcfg: ModelConfig,
    tcfg: TrainConfig,
    seasons: list,
    refit: bool,
    progress: Callable[[dict], None] | None = None,
    theta: bool = True,
) -> Runs:
    """Train and score the holdout run, then (with ``refit``) retrain on every point. With
    ``theta``, the network is averaged with the Theta method where validation prefers it. A
    file of few long series validates on several horizons (``combine.with_validation``)."""
    val_cfg, k = with_validation(tcfg, panel.lengths, mcfg.window, mcfg.horizon)
    holdout = train.fit(panel, mcfg, val_cfg, progress)
    mcfg = holdout.model_cfg  # with the cell chosen on validation (--model auto)
    train_end = _holdout_end(panel, holdout)
    fc = _predictor(holdout, panel, train_end, holdout.split.val_end)
    _refuse_diverged(fc, panel, tcfg, "the holdout run")
    season = main_season(seasons, panel.freq)
    trusted = season_trusted(seasons, season)
    cal = holdout.calibration  # widths from too few held-out points are blended too
    blend = cal is not None and not cal.guaranteed
    mix = choose_mix(panel, holdout, fc, season, k, trusted, blend) if theta else None
    model = combined(fc, mix)
    report = _holdout_report(panel, model, mcfg, seasons)
    if not refit:
        return Runs(holdout, holdout, report, train_end, model.name, mix)
    result = train.fit(panel, mcfg, tcfg, progress, epochs=list(holdout.summary["best_epoch"]))
    if holdout.calibration is not None:  # no held-out point is left to calibrate the refit on
        result.calibration = transfer(
            holdout.calibration,
            panel.y,
            holdout.split,
            head_taus(mcfg),
            holdout=(holdout.model, holdout.scaler),
            refit=(result.model, result.scaler),
        )
    train_end = _series_end(panel)
    _refuse_diverged(_predictor(result, panel, train_end), panel, tcfg, "the refit on every point")
    result.summary["holdout"] = holdout.summary
    if "theta" in holdout.summary:
        result.summary["theta"] = holdout.summary["theta"]
    return Runs(holdout, result, report, train_end, model.name, mix)


def choose_mix(
    panel: Panel,
    holdout: TrainResult,
    fc: TorchPredictor,
    season: int,
    horizons: int = 1,
    trusted: bool = False,
    blend: bool = False,
) -> ThetaMix | None:
    """The Theta combination (``combine.py``) chosen on each series' last validation window,
    forecast by the holdout run's network and by the Theta method from the same origin; None
    when the network alone scores best. Recorded in the holdout run's summary either way.
    With ``blend`` (the run's calibration had too few held-out points for its guarantee), the
    mix blends the intervals' widths too (``ThetaMix.blend``).

    With ``horizons`` > 1 (``combine.choice_horizons``: a file of few long series, validated
    on that many horizons) the choice is also scored on the windows of the ``horizons - 1``
    validation horizons before it, and the network is kept alone when either choice keeps
    it: a clear lead on the last window before the test part is evidence the week does not
    always show, and a lead over the week is evidence one window cannot give."""
    split, cfg = holdout.split, holdout.model_cfg
    context = context_length(cfg.window, int(panel.lengths.max()), panel.n_series, season)
    h = cfg.horizon
    usable = (split.train_end - split.start >= 3) & (split.val_end > split.train_end)
    weight = 0.0
    scores: dict[str, Any] = {"series": 0}
    if usable.any():
        parts = [
            _scored(
                panel, fc, cfg, split, usable, split.val_end - (j + 1) * h, context, season, trusted
            )
            for j in range(horizons)
        ]
        stopped = early_stopped(holdout)
        net, th, actual, scale, low = parts[0]
        weight, scores = choose(net, th, actual, scale, stopped, lower=low)  # the last window
        if horizons > 1:  # the network alone where either choice keeps it
            last, last_scores = weight, scores
            net, th, actual, scale, low = (np.concatenate(p) for p in zip(*parts, strict=True))
            weight, scores = choose(net, th, actual, scale, stopped, lower=low)
            weight = min(weight, last)
            scores = {**scores, "origins": horizons, "last_window": last_scores}
        if weight == 0 and theta_unseen(panel, split, usable, h, season):
            weight, scores = max(WEIGHTS), {**scores, UNSEEN: True}
    holdout.summary["theta"] = {"weight": weight, "validation": scores}
    if weight == 0:
        return None
    ets = ets_member(panel.lengths, season, context)
    if ets is not None:  # the summary says so (``present.theta_text``)
        holdout.summary["theta"]["ets_revision"] = ets
    return ThetaMix(
        weight, season, context, scores, trusted=trusted, blend=blend, ets=ets,
        ets_widths=blend and ets is not None,
    )  # fmt: skip


UNSEEN = "season_unseen"  # validation.season_unseen: the choice could not judge Theta


def theta_unseen(panel: Panel, split: Split, usable: np.ndarray, horizon: int, m: int) -> bool:
    """Whether validation could not judge the Theta method as it will forecast: the typical
    series holds too few points before its last validation window for the Theta method to
    adjust for season ``m`` (``theta.seasonal_minimum``), and enough in the whole series.
    The average is then served as the prior choice: on Tourism monthly cut to 36 points the
    Theta method fitted 12 validation points, scored 1.53 unadjusted, and the network was
    kept alone (MASE 0.968, seasonal naive 0.965), where the Theta method on the 24 points
    before the test part scored 0.944 (docs/benchmarks.md, "When validation cannot see the
    season")."""
    if m < 2 or not usable.any():
        return False
    before = (split.val_end - horizon - split.start)[usable]
    need = seasonal_minimum(m)
    return bool(np.median(before) < need <= np.median(panel.lengths[usable]))


def _scored(
    panel: Panel,
    fc: TorchPredictor,
    cfg: ModelConfig,
    split: Split,
    usable: np.ndarray,
    origins: np.ndarray,
    context: int,
    season: int,
    trusted: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The network's and the Theta method's (S', H) forecasts from ``origins`` (one per
    usable series), the actual values (NaN from the validation part's end on), each row's
    MASE scale and the floor its forecast would be served at (``forecast.row_floors``)."""
    starts, origins = split.start[usable], origins[usable]
    rows = right_aligned_padded(panel.y, starts, origins, context)  # (S', context)
    ids = [s for s, ok in zip(panel.ids, usable, strict=True) if ok]
    net = fc.forecast(rows[:, -cfg.window :], ids)
    th = theta_part(rows, cfg.horizon, season, trusted)
    steps = origins[:, None] + np.arange(cfg.horizon)  # (S', H)
    inside = steps < split.val_end[usable][:, None]
    actual = np.where(inside, panel.y[np.minimum(steps, len(panel.y) - 1)], np.nan)
    low = forecast.row_floors(rows, forecast.model_floor(fc))
    return net, th, actual, mase_scale(unpadded(rows), season), low


def early_stopped(run: TrainResult) -> bool:
    """Whether early stopping chose an epoch in ``run``: some member stopped before the last
    epoch it was given (``combine.margin``: else its validation score is not optimistic)."""
    return any(int(e) < run.train_cfg.epochs for e in run.summary.get("epochs_run", [0]))


def _predictor(
    result: TrainResult, panel: Panel, train_end: dict | None, ends: np.ndarray | None = None
) -> TorchPredictor:
    """The run's network; its floor from ``panel``'s values before ``ends`` (the holdout
    run's test parts), or from all of them (``forecast.panel_floor``)."""
    floor = forecast.panel_floor(panel, ends)
    cfg = result.model_cfg
    return TorchPredictor(result.model, panel.ids, cfg, train_end=train_end, floor=floor)


def _holdout_end(panel: Panel, holdout: TrainResult) -> dict:
    """The last timestamp the holdout run saw of each series that can be scored (one with a
    point before its test part)."""
    ends, horizon = holdout.split.val_end, holdout.model_cfg.horizon
    return {
        s: _stamp(panel.ds[int(e) - 1])
        for s, e, n in zip(panel.ids, ends, panel.lengths, strict=True)
        if n > horizon
    }


def _series_end(panel: Panel) -> dict:
    """The last timestamp of every series: what a refit on every point saw."""
    ends = panel.offsets[1:]
    return {s: _stamp(panel.ds[int(e) - 1]) for s, e in zip(panel.ids, ends, strict=True)}


def _holdout_report(
    panel: Panel, fc: TorchPredictor, cfg: ModelConfig, seasons: list
) -> EvalReport:
    """The holdout run's model and the baselines on the last horizon of every scored series."""
    scored = panel.lengths > cfg.horizon  # a series needs one point before its test part
    scored_ids = [s for s, ok in zip(panel.ids, scored, strict=True) if ok]
    return backtest(
        panel if scored.all() else panel.subset(scored_ids),
        horizon=cfg.horizon,
        season_length=main_season(seasons, panel.freq),
        seasons=[*(int(e.period) for e in seasons), cfg.season_length],
        model=fc,
    )


def _refuse_diverged(fc: TorchPredictor, panel: Panel, tcfg: TrainConfig, run: str) -> None:
    """Stop, before anything is written, when a run's forecasts leave the data far behind
    (``forecast.find_implausible``): finite weights that diverged pass every loss check."""
    bad = forecast.find_implausible(fc, panel)
    if bad is None:
        return
    fix = f"lower --lr (now {tcfg.lr:g}) or keep gradient clipping on (--clip-norm 1.0)"
    if run != "the holdout run":
        fix = f"train with --no-refit, or {fix}"
    raise TrainingError(f"{run} diverged: {bad.describe()}; {fix}; no model written")


def _stamp(v) -> Any:
    return int(v) if np.issubdtype(np.asarray(v).dtype, np.integer) else str(pd.Timestamp(v))
