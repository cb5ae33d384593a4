"""One library function per CLI command; notebooks call these directly.

Importing this module does not import torch: the training functions import it when called,
so ``info``, baseline ``evaluate`` and ONNX ``predict`` work in the torch-free install.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from forecastr.baselines import season_length_for, seasonalities_for
from forecastr.data import IngestOptions, load_csv
from forecastr.errors import ArtifactError, InputError, require
from forecastr.forecast import Schema, forecast_frame, forecast_panel, last_windows
from forecastr.panel import Panel

# Default horizon per frequency: one day for sub-daily data, two weeks of days, a quarter of
# weeks, a year of months, two years of quarters (close to the M4 competition's horizons).
_HORIZON_BY_SEASON = {48: 48, 24: 24, 96: 96, 144: 144, 288: 288, 1440: 60, 7: 14, 5: 10}
_HORIZON_BY_KIND = {"W": 13, "M": 12, "Q": 8, "Y": 6}
MAX_WINDOW = 512


def default_horizon(freq: str | None) -> int:
    """Forecast horizon a practitioner would pick for this frequency."""
    if freq is None:
        return 10
    kind = _calendar_kind(freq)
    if kind:
        return _HORIZON_BY_KIND[kind]
    return _HORIZON_BY_SEASON.get(season_length_for(freq), 24)


def _calendar_kind(freq: str) -> str | None:
    off = pd.tseries.frequencies.to_offset(freq)
    o = pd.offsets
    if isinstance(off, o.Week):
        return "W"
    if isinstance(off, (o.MonthBegin, o.MonthEnd, o.BusinessMonthBegin, o.BusinessMonthEnd)):
        return "M"
    if isinstance(off, (o.QuarterBegin, o.QuarterEnd)):
        return "Q"
    if isinstance(off, (o.YearBegin, o.YearEnd)):
        return "Y"
    return None


def default_window(freq: str | None, shortest: int, horizon: int, val: int, test: int) -> int:
    """Input window: long enough to see the longest season that fits, at least two of the
    shortest, capped at :data:`MAX_WINDOW` and at what the shortest series can afford
    (it must still hold some training windows after validation and test are cut off)."""
    seasons = seasonalities_for(freq)
    room = shortest - val - test - horizon  # points left for window + training windows
    cap = max(2, min(MAX_WINDOW, room // 2))
    fitting = [s for s in seasons if s <= cap]
    base = max(fitting) if fitting else 1
    window = max(base, 2 * seasons[0], horizon, 8)
    if freq is not None and _calendar_kind(freq) in ("M", "Q"):
        window = max(window, 3 * seasons[0])  # three years of monthly/quarterly history
    return int(min(window, cap))


# ------------------------------------------------------------------------------------------
# info


def info(path: str, ingest: IngestOptions) -> tuple[dict, Panel]:
    from forecastr.data import describe

    panel = load_csv(path, ingest)
    d = describe(panel)
    d["season_length"] = season_length_for(panel.freq)
    d["default_horizon"] = default_horizon(panel.freq)
    return d, panel


# ------------------------------------------------------------------------------------------
# train


@dataclass
class TrainOutcome:
    path: str
    panel: Panel
    result: Any  # train.TrainResult
    report: Any  # evaluate.EvalReport on the held-out test part
    name: str


def resolve_model_config(panel: Panel, overrides: dict, season_length: int | None):
    """ModelConfig from the user's flags, with defaults chosen from the data."""
    from forecastr.models import ModelConfig

    m = season_length or season_length_for(panel.freq)
    horizon = overrides.pop("horizon", None) or default_horizon(panel.freq)
    val = overrides.pop("val_size", None) or horizon
    window = overrides.pop("window", None) or default_window(
        panel.freq, int(panel.lengths.min()), horizon, val, horizon
    )
    patch = overrides.pop("patch", None) or default_patch(window, m)
    return ModelConfig(window=window, horizon=horizon, season_length=m, patch=patch, **overrides)


MAX_STEPS = 48


def default_patch(window: int, season_length: int) -> int:
    """Points per recurrent step: 1 for windows up to 96, else the smallest divisor of the
    window that keeps at most 48 steps, preferring one that divides the season (patches then
    line up with the seasonal cycle). A week of half-hourly data (336) is read as 42 steps of 8."""
    if window <= 96:
        return 1
    divisors = [p for p in range(1, window + 1) if window % p == 0 and window // p <= MAX_STEPS]
    aligned = [p for p in divisors if season_length % p == 0]
    return (aligned or divisors)[0]


def train(
    data: str | Panel,
    ingest: IngestOptions | None = None,
    *,
    model: dict | None = None,
    training: Any = None,
    out: str = "forecastr-model",
    season_length: int | None = None,
    progress: Callable[[dict], None] | None = None,
    save_model: bool = True,
) -> TrainOutcome:
    """Load ``data``, train a global recurrent model, score it on the held-out test part
    against the baselines, and save the artifact to ``out``."""
    require("torch")
    require("sklearn", "full")
    require("safetensors")
    from forecastr.artifact import TorchForecaster, display_name
    from forecastr.evaluate import backtest
    from forecastr.train import TrainConfig, fit

    panel = data if isinstance(data, Panel) else load_csv(data, ingest or IngestOptions())
    tcfg = training or TrainConfig()
    overrides = dict(model or {})
    if tcfg.val_size:
        overrides["val_size"] = tcfg.val_size
    try:
        mcfg = resolve_model_config(panel, overrides, season_length)
    except (TypeError, ValueError) as err:
        raise InputError(str(err)) from None
    result = fit(panel, mcfg, tcfg, progress)
    name = display_name(mcfg)
    fc = TorchForecaster(result.model, panel.ids, mcfg.window, mcfg.horizon, name)
    split = result.split
    fc.train_end = {
        s: _stamp(panel.ds[int(e) - 1]) for s, e in zip(panel.ids, split.val_end, strict=True)
    }
    report = backtest(panel, horizon=mcfg.horizon, season_length=mcfg.season_length, model=fc)
    path = out
    if save_model:
        path = save_bundle(out, panel, result, report, fc.train_end)
    return TrainOutcome(path=path, panel=panel, result=result, report=report, name=name)


def save_bundle(out: str, panel: Panel, result, report, train_end: dict) -> str:
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
    return forecast_panel(fc, panel, schema)


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
        from forecastr.forecast import check_panel

        check_panel(schema, 1, panel)
        if horizon is not None and horizon > fc.horizon:
            raise InputError(f"--horizon {horizon} is longer than the model's horizon {fc.horizon}")
        horizon = horizon or fc.horizon
    m = season_length or _model_season(fc) or season_length_for(panel.freq)
    horizon = horizon or default_horizon(panel.freq)
    refit_fn = _make_refit(fc) if refit else None
    report = backtest(
        panel,
        horizon=horizon,
        season_length=m,
        folds=folds,
        step=step,
        model=None if refit_fn else fc,
        refit=refit_fn,
    )
    if attention_plot and fc is not None and schema is not None:
        _plot_attention(fc, schema, panel, attention_plot, attention_series)
    return report, panel, fc


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
            f"--series {sid!r} is not in the data (series: {', '.join(panel.ids[:5])})"
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
