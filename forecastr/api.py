"""One library function per CLI command; notebooks call these directly.

Importing this module does not import torch: the training functions import it when called,
so ``info``, baseline ``evaluate`` and ONNX ``predict`` work in the torch-free install.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from forecastr import defaults
from forecastr.autoconfig import (
    default_horizon,
    find_seasons,
    main_season,
    resolve_model_config,
    short_series_counts,
)
from forecastr.baselines import season_length_for
from forecastr.data import IngestOptions, load_csv
from forecastr.errors import (
    ArtifactError,
    ForecastrError,
    InputError,
    TrainingError,
    require,
    shown,
)
from forecastr.forecast import Schema, forecast_frame, forecast_panel, last_windows
from forecastr.panel import Panel

# ------------------------------------------------------------------------------------------
# info


def info(path: str, ingest: IngestOptions) -> tuple[dict, Panel]:
    from forecastr.data import describe

    panel = load_csv(path, ingest)
    d = describe(panel)
    horizon = default_horizon(panel.freq)
    seasons = find_seasons(panel, horizon, horizon)
    d["season_length"] = main_season(seasons, panel.freq)
    d["seasons"] = [e.to_dict() for e in seasons]
    d["default_horizon"] = horizon
    d["short_series"] = short_series_counts(panel, horizon, horizon)
    return d, panel


# ------------------------------------------------------------------------------------------
# train


@dataclass
class TrainOutcome:
    path: str
    panel: Panel
    result: Any  # train.TrainResult of the saved model (the refit one, unless --no-refit)
    report: Any  # evaluate.EvalReport on the held-out test part (from the holdout run)
    name: str
    seasons: list = field(default_factory=list)  # seasons.SeasonEvidence, main first
    holdout: Any = None  # train.TrainResult of the holdout run (the one the report scores)
    short: dict = field(default_factory=dict)  # short_series_counts of the run
    refit: bool = False  # whether the saved model was refit on every point
    replaced: bool = False  # whether the save replaced a model already at the output path


def train(
    data: str | Panel,
    ingest: IngestOptions | None = None,
    *,
    model: dict | None = None,
    training: Any = None,
    out: str = "forecastr-model",
    season_length: int | list[int] | None = None,
    refit: bool = True,
    progress: Callable[[dict], None] | None = None,
    save_model: bool = True,
) -> TrainOutcome:
    """Load ``data``, train a global recurrent model, score it on the held-out test part
    against the baselines, refit it on every point (unless ``refit=False``), and save the
    artifact to ``out``.

    The report always comes from the holdout run, whose model never saw the test part. The
    saved model is the one that forecasts best from the end of the data: by default the same
    configuration retrained on every point for the epochs early stopping chose per member.
    """
    require("torch")
    require("sklearn", "full")
    require("safetensors")
    from forecastr.artifact import TorchForecaster, display_name
    from forecastr.evaluate import backtest
    from forecastr.train import TrainConfig, fit

    if save_model:  # an unwritable -o fails now, not after training
        from forecastr.outputs import check_model_dir

        check_model_dir(out, flag="-o")
    panel = data if isinstance(data, Panel) else load_csv(data, ingest or IngestOptions())
    tcfg = training or TrainConfig()
    overrides = {"ensemble": defaults.ENSEMBLE, **dict(model or {})}
    overrides = {k: v for k, v in overrides.items() if v is not None}  # None: choose from data
    if tcfg.val_size:
        overrides["val_size"] = tcfg.val_size
    try:
        mcfg, seasons = resolve_model_config(panel, overrides, season_length)
    except (TypeError, ValueError) as err:
        raise InputError(str(err)) from None
    panel.check_future(mcfg.horizon)  # forecasts past 2262 (or the last step) fail now
    short = short_series_counts(panel, mcfg.horizon, tcfg.val_size or mcfg.horizon, mcfg.window)
    holdout = fit(panel, mcfg, tcfg, progress)
    name = display_name(mcfg)
    fc = TorchForecaster(holdout.model, panel.ids, mcfg.window, mcfg.horizon, name)
    split = holdout.split
    scored = panel.lengths > mcfg.horizon  # a series needs one point before its test part
    fc.train_end = {
        s: _stamp(panel.ds[int(e) - 1])
        for s, e, ok in zip(panel.ids, split.val_end, scored, strict=True)
        if ok
    }
    periods = [int(e.period) for e in seasons]
    scored_ids = [s for s, ok in zip(panel.ids, scored, strict=True) if ok]
    report = backtest(
        panel if scored.all() else panel.subset(scored_ids),
        horizon=mcfg.horizon,
        season_length=main_season(seasons, panel.freq),
        seasons=[*periods, mcfg.season_length],
        model=fc,
    )
    _refuse_diverged(fc, panel, tcfg, "the holdout run")
    result, train_end = holdout, fc.train_end
    if refit:
        epochs = list(holdout.summary["best_epoch"])
        result = fit(panel, mcfg, tcfg, progress, epochs=epochs)
        refit_fc = TorchForecaster(result.model, panel.ids, mcfg.window, mcfg.horizon, name)
        _refuse_diverged(refit_fc, panel, tcfg, "the refit on every point")
        result.summary["holdout"] = holdout.summary
        ends = panel.offsets[1:]
        train_end = {s: _stamp(panel.ds[int(e) - 1]) for s, e in zip(panel.ids, ends, strict=True)}
    path, replaced = out, False
    if save_model:
        path = save_bundle(out, panel, result, report, train_end, seasons, refit)
        replaced = bool(getattr(path, "replaced", False))  # artifact.SavedPath
    return TrainOutcome(
        path=path,
        panel=panel,
        result=result,
        report=report,
        name=name,
        seasons=seasons,
        holdout=holdout,
        short=short,
        refit=refit,
        replaced=replaced,
    )


def _refuse_diverged(fc, panel: Panel, tcfg, run: str) -> None:
    """Stop, before anything is written, when a run's forecasts leave the data far behind
    (``forecast.find_implausible``): finite weights that diverged pass every loss check."""
    from forecastr.forecast import find_implausible

    bad = find_implausible(fc, panel)
    if bad is None:
        return
    fix = f"lower --lr (now {tcfg.lr:g}) or keep gradient clipping on (--clip-norm 1.0)"
    if run != "the holdout run":
        fix = f"train with --no-refit, or {fix}"
    raise TrainingError(f"{run} diverged: {bad.describe()}; {fix}; no model written")


def save_bundle(
    out: str,
    panel: Panel,
    result,
    report,
    train_end: dict,
    seasons: list | None = None,
    refit: bool = False,
) -> str:
    from forecastr.artifact import save

    mcfg = result.model_cfg
    schema = Schema(
        ids=panel.ids, freq=panel.freq, step=panel.step, columns=panel.columns, layout=panel.layout
    )
    last = panel.ds[panel.offsets[1:] - 1]
    context = {
        "values": last_windows(panel, mcfg.window).astype(np.float64),
        # ns since the epoch (whatever unit the panel's dates use), or the integer step
        "last": last.astype(np.int64)
        if panel.freq is None
        else last.astype("datetime64[ns]").astype(np.int64),
    }
    config = {
        "model": mcfg.to_dict(),
        "training": result.train_cfg.to_dict(),
        "data": {**schema.to_dict(), "source": os.path.basename(panel.source)},
        "scaler": result.scaler.to_dict(),
        "train_end": train_end,
        "refit": refit,  # trained on every point after the holdout run scored in "evaluation"
        "seasons": [e.to_dict() for e in seasons or []],
        "history": json_safe(result.history),
        "summary": json_safe(result.summary),
        "evaluation": report.to_dict(),
    }
    return save(out, config, result.model.state_dict(), context)


def _stamp(v) -> Any:
    return int(v) if np.issubdtype(np.asarray(v).dtype, np.integer) else str(pd.Timestamp(v))


def json_safe(obj):
    """JSON has no NaN/inf: replace them by None, recursively."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


# ------------------------------------------------------------------------------------------
# predict


def is_onnx(path: str) -> bool:
    return str(path).lower().endswith(".onnx")


def load_forecaster(model_path: str):
    """(forecaster, schema, stored context) for a model directory or an ONNX file."""
    if is_onnx(model_path):
        from forecastr.runtime import OnnxForecaster

        fc = OnnxForecaster.from_file(model_path)
        return fc, fc.schema, fc.context
    require("torch")
    require("safetensors")
    from forecastr.artifact import load

    bundle = load(model_path)
    values, _ = bundle.context()
    return bundle.forecaster(), bundle.schema, (values, bundle.last_stamps())


def ingest_for(schema: Schema, ingest: IngestOptions | None) -> IngestOptions:
    """Read new data the way the model's training data was read, unless flags say otherwise."""
    ingest = ingest or IngestOptions()
    cols = schema.columns or {}
    changes: dict = {}
    if ingest.id_col is None and cols.get("id"):
        changes["id_col"] = cols["id"]
    if ingest.time_col is None and cols.get("time"):
        changes["time_col"] = cols["time"]
    if ingest.target is None and schema.layout in ("single", "long") and cols.get("target"):
        changes["target"] = cols["target"][0]
    if ingest.layout == "auto":
        changes["layout"] = schema.layout
    return replace(ingest, **changes)


def predict(
    model_path: str, data: str | None = None, ingest: IngestOptions | None = None
) -> pd.DataFrame:
    """Forecasts ``unique_id, ds, forecast`` after the end of ``data`` (or of the training data
    stored with the model when ``data`` is None)."""
    fc, schema, context = load_forecaster(model_path)
    if data is None:
        if context is None:
            raise ArtifactError(f"{model_path}: holds no stored context; pass a data.csv")
        values, last = context
        return forecast_frame(fc, values, schema.ids, last, schema.freq, schema.step)
    panel = load_csv(data, ingest_for(schema, ingest))
    panel.check_future(int(fc.horizon))
    frame = forecast_panel(fc, panel, schema)
    known = set(schema.ids)
    frame.attrs["new_series"] = [s for s in panel.ids if s not in known]
    return frame


# ------------------------------------------------------------------------------------------
# evaluate


def evaluate(
    data: str,
    model_path: str | None = None,
    ingest: IngestOptions | None = None,
    *,
    horizon: int | None = None,
    season_length: int | None = None,
    folds: int = 1,
    step: int | None = None,
    refit: bool = False,
    attention_plot: str | None = None,
    attention_series: str | None = None,
):
    """Backtest the baselines (and a model, when given) on ``data``; with ``attention_plot``,
    also draw the model's attention for one series (seq2seq + attention models)."""
    from forecastr.evaluate import backtest

    if refit and model_path is None:
        raise InputError("--refit needs a model (it retrains that model's configuration)")
    if attention_plot and model_path is None:
        raise InputError("--plot-attention needs a model")
    fc = schema = None
    if model_path is not None:
        fc, schema, _ = load_forecaster(model_path)
        ingest = ingest_for(schema, ingest)
    panel = load_csv(data, ingest or IngestOptions())
    if fc is not None and schema is not None:
        from forecastr.forecast import check_panel, scale_free

        check_panel(schema, 1, panel, allow_new=scale_free(fc))
        if horizon is not None and horizon > fc.horizon:
            raise InputError(f"--horizon {horizon} is longer than the model's horizon {fc.horizon}")
        horizon = horizon or fc.horizon
    m = season_length or _model_season(fc) or season_length_for(panel.freq)
    horizon = horizon or default_horizon(panel.freq)
    refit_fn = _make_refit(fc) if refit else None
    try:
        report = backtest(
            panel,
            horizon=horizon,
            season_length=m,
            seasons=_model_seasons(fc),
            folds=folds,
            step=step,
            model=None if refit_fn else fc,
            refit=refit_fn,
        )
    except ForecastrError as error:
        raise _explain_refit_overlap(error, fc) from None
    if attention_plot and fc is not None and schema is not None:
        _plot_attention(fc, schema, panel, attention_plot, attention_series)
    return report, panel, fc


def _model_seasons(fc) -> list[int]:
    """Every season stored with the model (each gets a seasonal-naive baseline)."""
    seasons = getattr(fc, "seasons", None) or []
    base = (getattr(fc, "model_config", None) or {}).get("season_length")
    return [int(e["period"]) for e in seasons] + ([int(base)] if base else [])


def _explain_refit_overlap(error: ForecastrError, fc) -> ForecastrError:
    """A refit model has seen every point of its training file: say so, and give the held-out
    scores its training run reported, rather than only refusing the fold."""
    if fc is None or not getattr(fc, "refit", False) or "overlaps the data" not in str(error):
        return error
    stored = getattr(fc, "evaluation", None) or {}
    rows = {r.get("method"): r for r in stored.get("summary") or []}
    row = rows.get(stored.get("model")) or {}
    scores = ", ".join(
        f"{k} {row[k]:.3f}" for k in ("mase", "smape") if isinstance(row.get(k), float)
    )
    held = f"; its training run's held-out report: {scores}" if scores else ""
    return ForecastrError(
        f"{error} — this model was refit on every point of its training data, so no fold of "
        f"that data is unseen{held}"
    )


def _model_season(fc) -> int | None:
    """The season the model was trained with (its seasonal-naive base), if it has one."""
    cfg = getattr(fc, "model_config", None) or {}
    return int(cfg.get("season_length", 0)) or None


def _make_refit(fc):
    """refit(panel, fold): retrain the loaded model's stored configuration on the fold's history."""
    if not getattr(fc, "training_config", None):
        raise InputError("--refit needs a model directory (an ONNX file cannot be retrained)")
    from forecastr.artifact import TorchForecaster, display_name
    from forecastr.models import ModelConfig
    from forecastr.train import TrainConfig, fit

    mcfg = ModelConfig.from_dict(fc.model_config)
    tcfg = TrainConfig.from_dict(fc.training_config)

    def refit(panel: Panel, fold: int):
        result = fit(panel, mcfg, replace(tcfg, test_size=0, seed=tcfg.seed + fold))
        return TorchForecaster(
            result.model, panel.ids, mcfg.window, mcfg.horizon, display_name(mcfg)
        )

    return refit


# ------------------------------------------------------------------------------------------
# attention heatmap


def _plot_attention(fc, schema: Schema, panel: Panel, path: str, series: str | None) -> str:
    """Draw the attention weights of the forecast after the end of ``series`` (default: the
    first series) as a heatmap: decoder steps x encoder steps."""
    if not hasattr(fc, "module"):
        raise InputError("--plot-attention needs a model directory, not an ONNX file")
    if not fc.model_config.get("attention"):
        raise InputError("this model has no attention; train with --decoder seq2seq --attention")
    import torch

    from forecastr.forecast import check_panel
    from forecastr.plot import plot_attention_heatmap

    check_panel(schema, fc.window, panel)
    sid = series or panel.ids[0]
    if sid not in panel.ids:
        raise InputError(
            f"--series {shown(sid)} is not in the data (series: "
            f"{', '.join(shown(s, 40) for s in panel.ids[:5])})"
        )
    window = last_windows(panel, fc.window)[panel.ids.index(sid)]
    idx = fc.series_index([sid])
    scaled = fc.module
    x = (torch.tensor(window[None], dtype=torch.float32) - scaled.loc[idx, None]) / scaled.scale[
        idx, None
    ]
    inner = scaled.model.members[0] if hasattr(scaled.model, "members") else scaled.model
    with torch.no_grad():
        weights = inner.attention_weights(x)[0].numpy()  # (H, W)
    patch = int(fc.model_config.get("patch", 1))
    stamps = panel.timestamps(panel.ids.index(sid))[-fc.window :][patch - 1 :: patch]
    plot_attention_heatmap(weights, path, title=f"{fc.name} attention, series {sid}", stamps=stamps)
    return path
