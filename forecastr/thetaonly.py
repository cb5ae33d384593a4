"""The Theta method alone, as the saved model, where no series is long enough for the network.
Torch-free.

Why: the holdout protocol keeps each series' last two horizons for validation and test, and
the network needs a window of history before them. A yearly series of 14 points with the
default horizon of 6 keeps 2 points for training: no network window fits, and ``train`` used
to refuse the file. That was 10 of 210 M3 and Tourism series given one per file (7 of 30 M3
yearly). The optimised Theta method (``theta.py``) fits from 3 points, and on the single M3
yearly series that the network could train on it scored better than the network alone
(sMAPE 18.53 against 21.04; docs/benchmarks.md, "Single series"). So when every series'
training part is too short for the network, ``train`` says so in a warning, scores the Theta
method on the held-out last horizon against the baselines like any model, and saves it.

What is saved: a model directory like a network's, but ``config.json``'s ``model`` section is
``{"kind": "theta", "window", "horizon", "season_length", "levels", "quantiles",
"theta_revision"}`` (``window``: the history each forecast reads, at most the Theta fit's
``baselines.theta_history`` points at its season and what the stored context of every
series may hold, ``combine.theta_context``; ``theta_revision``: the method's
``theta.REVISION`` it was scored with, absent in models saved before it was recorded), with
no ``scaler``, ``training``, ``theta`` or ``calibration`` section, and the weights file holds
the stored context alone. An older forecastr refuses the file, naming ``model.kind``.

Intervals: at each quantile the wider of the Theta method's own past errors (as the
baselines', ``baseline_intervals.py``) and the normal spread of its state-space form
(``baseline_intervals.theta_quantiles``). A best effort, not a guarantee: the report's
coverage measures it.

Nothing is fitted ahead of a forecast, each forecast fits the history it is given, so the model
has no ``train_end``: ``evaluate`` may score any fold, honestly, with or without ``--refit``.
ONNX export needs a network and refuses such a model.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from forecastr.autoconfig import find_seasons, main_season, season_trusted
from forecastr.baseline_intervals import theta_quantiles
from forecastr.baselines import theta_history
from forecastr.combine import MAX_REVISION, theta_context, theta_part, unpadded
from forecastr.forecast import Schema, panel_floor
from forecastr.intervals import network_quantiles
from forecastr.jsonfields import (
    MISSING,
    Where,
    flag,
    integer,
    optional_integer,
    section,
    settings_of,
)
from forecastr.longer import trained_for
from forecastr.modelcheck import (
    MAX_HORIZON,
    MAX_SEASON,
    RETRAIN,
    check_evaluation,
    check_schema,
    check_seasons,
    check_sizes,
    levels_and_quantiles,
)
from forecastr.theta import REVISION
from forecastr.windows import shortfall, split_panel, train_window_starts

if TYPE_CHECKING:
    from forecastr.config import ModelConfig, TrainConfig
    from forecastr.panel import Panel
    from forecastr.report import EvalReport

KIND = "theta"  # config.json's model.kind of a Theta-only model (a network's has none)
REVISION_KEY = "theta_revision"  # model.theta_revision: theta.REVISION at training
TRUSTED_KEY = "trusted_season"  # the training file vouched for the season (theta.TRUSTED_ACF)
MODEL_KEYS = (
    *("kind", "window", "horizon", "season_length", "levels", "quantiles"),
    *(REVISION_KEY, TRUSTED_KEY),
)
NAME = "Theta"
NO_SECTIONS = ("scaler", "training", "theta", "calibration")  # a network's alone


def is_theta_only(config: dict) -> bool:
    """Whether a config.json (or its model section's owner) describes a Theta-only model."""
    m = config.get("model")
    return isinstance(m, dict) and "kind" in m


def network_blocker(panel: Panel, mcfg: ModelConfig, tcfg: TrainConfig) -> str | None:
    """Why the network cannot train on ``panel`` (every series' training part is shorter
    than its window), or None when it can."""
    mcfg, tcfg = trained_for(mcfg, tcfg)  # a longer training horizon cuts longer parts
    split = split_panel(panel, mcfg.window, mcfg.horizon, tcfg.val_size, tcfg.test_size, pad=True)
    short = shortfall(split)
    if short is None:
        if len(train_window_starts(split)):
            return None
        return (
            f"no series' training part holds a window of {mcfg.window} points and the first "
            "point of its target"
        )
    return (
        f"every series is too short for the network's window of {mcfg.window} points (the "
        f"longest holds {short[0]} points before its last {short[1]}, kept for validation "
        "and test)"
    )


class ThetaPredictor:
    """The Theta method behind the :class:`~forecastr.predictor.Predictor` contract.

    Args:
        ids: the series of the training file.
        model_config: config.json's ``model`` section (checked).
        refit: True for the saved model (it forecasts from the end of every series).
        seasons: the seasons found at training (config.json's ``seasons``).
        evaluation: the held-out report of its training run.
        floor: the floor its forecasts keep (``forecast.data_floor``); None: none.
    """

    # Fitted on each forecast's own history: a new series needs no mapping into a known
    # one's scale (forecast.py), and every backtest fold is scored as if refit (evaluate.py).
    fits_each_forecast = True
    interval_method = (
        "at each quantile the wider of the Theta method's own h-step errors from past origins "
        "(pooled over series, as the baselines') and the normal spread of its state-space form"
    )
    train_end: dict[str, Any] | None = None  # nothing is fitted ahead of a forecast
    mix = None

    def __init__(
        self,
        ids: Sequence[str],
        model_config: dict,
        *,
        refit: bool = True,
        seasons: Sequence[dict] = (),
        evaluation: dict | None = None,
        floor: float | None = None,
    ):
        self.model_config = dict(model_config)
        self.training_config: dict = {}  # nothing to retrain
        self.ids = list(ids)
        self.window = int(model_config["window"])
        self.horizon = int(model_config["horizon"])
        self.season_length = int(model_config["season_length"])
        self.trusted = bool(model_config.get(TRUSTED_KEY, False))
        self.levels = tuple(float(v) for v in model_config["levels"])
        self.quantiles = tuple(float(v) for v in model_config["quantiles"])
        self.network_quantiles = network_quantiles(self.levels, self.quantiles)
        self.name = NAME
        self.floor = floor
        self.refit = refit
        self.seasons = list(seasons)
        self.evaluation = dict(evaluation or {})

    def forecast(self, windows: np.ndarray, series_ids: Sequence[str]) -> np.ndarray:
        """(B, window) raw values, padded by repeating the first -> (B, horizon)."""
        windows = np.asarray(windows, dtype=np.float64)
        return theta_part(windows, self.horizon, self.season_length, self.trusted)

    def forecast_quantiles(
        self, windows: np.ndarray, series_ids: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The point forecast and (B, horizon, K) quantiles (:func:`theta_quantiles`)."""
        windows = np.asarray(windows, dtype=np.float64)
        point = self.forecast(windows, series_ids)
        taus = self.network_quantiles
        if not taus or windows.shape[0] == 0:
            return point, np.zeros((*point.shape, len(taus)))
        history = unpadded(windows)
        return point, theta_quantiles(history, point, taus, self.season_length, self.trusted)


# -- train -----------------------------------------------------------------------------------


@dataclass
class ThetaRun:
    """What ``train`` produced with the Theta method alone."""

    model_config: dict  # config.json's model section
    report: EvalReport  # the method on each series' held-out last horizon, with the baselines
    reason: str  # why the network could not train
    seconds: float

    def summary(self) -> dict:
        """config.json's (and ``train --json``'s) summary of the run."""
        return {"kind": KIND, "reason": self.reason, "seconds": self.seconds}


def fit(panel: Panel, mcfg: ModelConfig, seasons: list, reason: str) -> ThetaRun:
    """Score the Theta method on the last horizon of every series with a point before it
    (fitted on the points before that horizon), beside the baselines."""
    from forecastr.evaluate import backtest

    start = time.perf_counter()
    season = main_season(seasons, panel.freq)
    m = {
        "kind": KIND,
        "window": theta_context(int(panel.lengths.max()), panel.n_series, season),
        "horizon": mcfg.horizon,
        "season_length": season,
        "levels": list(mcfg.levels),
        "quantiles": list(mcfg.quantiles),
        REVISION_KEY: REVISION,
        # whether the file vouches for its season, judged on every point for the saved model
        # (a file of 27-point monthly series keeps 3 before validation and test: no evidence)
        # and on the training part for the report, which must not see the test part
        TRUSTED_KEY: season_trusted(whole_seasons(panel, seasons), season),
    }
    scored = panel.lengths > mcfg.horizon
    ids = [s for s, ok in zip(panel.ids, scored, strict=True) if ok]
    floor = panel_floor(panel, panel.offsets[1:] - np.where(scored, mcfg.horizon, 0))
    held_out = {**m, TRUSTED_KEY: season_trusted(seasons, season)}
    report = backtest(
        panel if scored.all() else panel.subset(ids),
        horizon=mcfg.horizon,
        season_length=season,
        seasons=[int(e.period) for e in seasons],
        model=ThetaPredictor(panel.ids, held_out, refit=False, floor=floor),
    )
    return ThetaRun(m, report, reason, time.perf_counter() - start)


def whole_seasons(panel: Panel, seasons: list) -> list:
    """The seasons' evidence on every point of ``panel`` (``seasons``: those found on its
    training part; the user's, if they were, are judged again)."""
    user = [int(e.period) for e in seasons if e.source == "user"]
    return find_seasons(panel, 0, 0, user=user or None)


# -- load ------------------------------------------------------------------------------------


def check_theta_config(config: dict, cfg_path: str) -> dict:
    """Every field of a Theta-only model's config.json that forecastr reads (as
    ``modelcheck.check_config`` for a network's); returns the model section."""
    w = Where(cfg_path, RETRAIN)
    if type(config.get("format_version", MISSING)) is not int:
        raise w.refuse("format_version", config.get("format_version"), "an integer format version")
    m = check_model(w, config["model"])
    schema = check_schema(w, config.get("data", MISSING))
    check_sizes(w, m, len(schema.ids))
    for key in NO_SECTIONS:
        if key in config:
            raise w.fail(f"{w.label} {key} belongs to a network, not to a Theta-only model")
    flag(w, config, "refit", "", False)
    check_seasons(w, config.get("seasons"))
    check_evaluation(w, section(w, config, "evaluation", optional=True, nullable=True))
    return m


def check_model(w: Where, d: Any, prefix: str = "model") -> dict:
    """A Theta-only model section: :data:`MODEL_KEYS`, each bounded."""
    settings_of(w, d, MODEL_KEYS, prefix, "a setting of a Theta-only model")
    if d.get("kind") != KIND:
        raise w.refuse(f"{prefix}.kind", d.get("kind", MISSING), f'"{KIND}"')
    season = integer(w, d, "season_length", 1, MAX_SEASON, prefix)
    m = {
        "kind": KIND,
        "window": integer(w, d, "window", 1, theta_history(season), prefix),
        "horizon": integer(w, d, "horizon", 1, MAX_HORIZON, prefix),
        "season_length": season,
    }
    levels, quantiles = d.get("levels", MISSING), d.get("quantiles", MISSING)
    m["levels"], m["quantiles"] = levels_and_quantiles(w, levels, quantiles, prefix)
    m[TRUSTED_KEY] = flag(w, d, TRUSTED_KEY, prefix, False)
    revision = optional_integer(w, d, REVISION_KEY, 1, MAX_REVISION, prefix)
    return m if revision is None else {**m, REVISION_KEY: revision}


def stored_predictor(config: dict) -> ThetaPredictor:
    """The predictor of a loaded, checked Theta-only model directory."""
    return ThetaPredictor(
        config["data"]["ids"],
        config["model"],
        refit=bool(config.get("refit", True)),
        seasons=config.get("seasons") or (),
        evaluation=config.get("evaluation"),
        floor=Schema.from_dict(config["data"]).floor,
    )
