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
from forecastr.baselines import season_length_for, seasonalities_for
from forecastr.data import IngestOptions, load_csv
from forecastr.errors import ArtifactError, ForecastrError, InputError, require
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


def default_window(
    freq: str | None,
    typical: int,
    horizon: int,
    val: int,
    test: int,
    seasons: list[int] | None = None,
) -> int:
    """Input window: long enough to see the longest season that fits, at least two of the
    shortest, capped at :data:`MAX_WINDOW` and at what the *typical* (median-length) series
    holds before its validation and test parts. Shorter series are padded (``windows.py``),
    so a few short series no longer shrink the window of every other one. Data with no season
    at all (yearly, or nothing found) gets two horizons."""
    seasons = sorted(s for s in (seasons or seasonalities_for(freq)) if s >= 1) or [1]
    cap = max(2, min(MAX_WINDOW, typical - val - test))
    if seasons == [1]:
        # No season to size the window by: look back two horizons (the shortest lookback of
        # N-BEATS), padded for series shorter than that. On M3 yearly (window 7 -> 12) and M3
        # "other" (8 -> 16) this beat ETS on sMAPE and MASE (docs/benchmarks.md).
        cap = max(cap, min(MAX_WINDOW, 2 * horizon))
        return int(min(max(2 * horizon, 8), cap))
    fitting = [s for s in seasons if s <= cap]
    base = max(fitting) if fitting else 1
    window = max(base, 2 * seasons[0], horizon, 8)
    if freq is not None and _calendar_kind(freq) in ("M", "Q"):
        window = max(window, 3 * seasons[0])  # three years of monthly/quarterly history
    return int(min(window, cap))


def typical_length(panel: Panel) -> int:
    """The median series length: what the defaults are sized for."""
    return int(np.median(panel.lengths)) if panel.n_series else 0


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


def training_part(panel: Panel, val: int, test: int) -> Panel:
    """Each series without its last ``val + test`` points (at least one point kept): the
    part season detection and base selection may look at."""
    ends = np.maximum(panel.lengths - val - test, 1)
    return panel.truncate(np.minimum(ends, panel.lengths))


def find_seasons(panel: Panel, val: int, test: int, user: list[int] | None = None) -> list:
    """Seasons of ``panel`` (calendar, detected or the user's), from the training part only."""
    from forecastr.seasons import choose_seasons

    part = training_part(panel, val, test)
    return choose_seasons(panel.freq, part.y, part.offsets, user=user)


def main_season(seasons: list, freq: str | None) -> int:
    """The season the report's seasonal naive and MASE use: the user's first, else the
    calendar's main season (the M4 convention), else the strongest season found, else 1."""
    periods = [int(e.period) for e in seasons]
    user = [int(e.period) for e in seasons if e.source == "user"]
    if user:
        return user[0]
    calendar = season_length_for(freq)
    if calendar > 1:
        return calendar
    return periods[0] if periods else 1


def short_series_counts(panel: Panel, horizon: int, val: int, window: int | None = None) -> dict:
    """How many series are padded (shorter than window + horizon + validation + test) and how
    many cannot be scored at all (no point before the held-out horizon)."""
    if window is None:
        window = default_window(panel.freq, typical_length(panel), horizon, val, horizon)
    need = window + 2 * horizon + val
    lengths = panel.lengths
    unscorable = [panel.ids[i] for i in np.flatnonzero(lengths <= horizon)]
    return {
        "window": int(window),
        "padded": int(np.sum(lengths < need)),
        "unscorable": len(unscorable),
        "unscorable_ids": unscorable[:10],
    }


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


def resolve_model_config(
    panel: Panel, overrides: dict, season_length: int | list[int] | None
) -> tuple[Any, list]:
    """ModelConfig from the user's flags, with defaults chosen from the data, and the seasons
    (``seasons.SeasonEvidence``, main first) found on the training part."""
    from forecastr.models import ModelConfig

    horizon = overrides.pop("horizon", None) or default_horizon(panel.freq)
    val = overrides.pop("val_size", None) or horizon
    user = _season_list(season_length)
    seasons = find_seasons(panel, val, horizon, user=user)
    periods = [int(e.period) for e in seasons]
    # The window sees the calendar's seasons too, whether or not the data shows them.
    sized_for = sorted({*periods, *seasonalities_for(panel.freq)})
    window = overrides.pop("window", None) or default_window(
        panel.freq, typical_length(panel), horizon, val, horizon, seasons=sized_for
    )
    base = overrides.pop("season_length", None)
    if base is None:
        if user:
            base = user[0] if user[0] <= window else 1
        else:
            base = choose_base(panel, val, horizon, window, periods)
    patch = overrides.pop("patch", None) or default_patch(window, main_season(seasons, panel.freq))
    cfg = ModelConfig(window=window, horizon=horizon, season_length=base, patch=patch, **overrides)
    return cfg, seasons


def _season_list(season_length: int | list[int] | None) -> list[int] | None:
    if season_length is None:
        return None
    values = [season_length] if isinstance(season_length, int) else list(season_length)
    if not values or any(int(v) != v or v < 1 for v in values):
        raise InputError(f"--season-length must be whole numbers >= 1, got {season_length}")
    return [int(v) for v in values]


def choose_base(panel: Panel, val: int, test: int, window: int, periods: list[int]) -> int:
    """The season whose seasonal-naive forecast the network corrects: among every season that
    fits the window and 1 (naive), the one with the lowest multi-step error over the training
    part (each series' error scaled by its mean absolute change, then averaged over series).
    The main season is kept unless another is clearly (2%) better, or the series are too
    short to tell. (A drift base was tried too: docs/benchmarks.md says why it is not here.)"""
    candidates = [m for m in dict.fromkeys([*periods, 1]) if 1 <= m <= window]
    if len(candidates) == 1:
        return candidates[0]
    part = training_part(panel, val, test)
    scores = base_errors(part.y, part.offsets, test, candidates)
    if not np.isfinite(scores).any():
        return candidates[0]
    best = int(np.nanargmin(scores))
    if best != 0 and not scores[best] < 0.98 * scores[0]:
        best = 0
    return candidates[best]


def base_errors(
    y: np.ndarray, offsets: np.ndarray, horizon: int, lags: list[int], max_origins: int = 200_000
) -> np.ndarray:
    """(len(lags),) mean over series of the scaled MAE of seasonal naive at each lag over the
    horizon, from the same origins inside each series for every lag."""
    from forecastr.panel import concat_ranges

    starts, ends = offsets[:-1], offsets[1:]
    lo = starts + max(lags)  # first origin with a full season behind it
    counts = np.maximum(ends - horizon - lo + 1, 0)
    step = max(1, int(counts.sum()) // max_origins)
    origins = concat_ranges(lo, (counts + step - 1) // step, step)  # (O,)
    if len(origins) == 0:
        return np.full(len(lags), np.nan)
    series = np.searchsorted(starts, origins, side="right") - 1  # (O,)
    diffs = np.abs(np.diff(y))  # mean |change| per series: the MASE-like scale
    diffs[ends[:-1] - 1] = 0.0  # no change across series boundaries
    scale = np.add.reduceat(np.append(diffs, 0.0), starts) / np.maximum(ends - starts - 1, 1)
    h = np.arange(horizon)
    actual = y[origins[:, None] + h]  # (O, H)
    out = np.full(len(lags), np.nan)
    ok = scale[series] > 0
    for j, m in enumerate(lags):
        forecast = y[origins[:, None] - m + (h % m)]  # (O, H)
        err = np.abs(actual - forecast).mean(axis=1)[ok] / scale[series][ok]
        per_series = np.bincount(series[ok], err, minlength=len(starts))
        n = np.bincount(series[ok], minlength=len(starts))
        out[j] = float(np.mean(per_series[n > 0] / n[n > 0])) if (n > 0).any() else np.nan
    return out


# Recurrent steps per window at most: a step's cost is paid once per step, so a long window
# is read in patches; 24 steps train twice as fast as 48, and were as accurate on the
# half-hourly and weekly samples (docs/benchmarks.md).
MAX_STEPS = 24


def default_patch(window: int, season_length: int) -> int:
    """Points per recurrent step: 1 for windows up to 96, else the smallest divisor of the
    window that keeps at most :data:`MAX_STEPS` steps, preferring one that divides the season
    (patches then line up with the seasonal cycle). A week of half-hourly data (336) with its
    daily season (48) is read as 21 steps of 16 points."""
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
    result, train_end = holdout, fc.train_end
    if refit:
        epochs = list(holdout.summary["best_epoch"])
        result = fit(panel, mcfg, tcfg, progress, epochs=epochs)
        result.summary["holdout"] = holdout.summary
        ends = panel.offsets[1:]
        train_end = {s: _stamp(panel.ds[int(e) - 1]) for s, e in zip(panel.ids, ends, strict=True)}
    path = out
    if save_model:
        path = save_bundle(out, panel, result, report, train_end, seasons, refit)
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
    )


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
