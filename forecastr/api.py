"""One library function per CLI command; notebooks call these directly.

``info``, ``train``, ``evaluate``, ``predict`` and ``export`` take what the command's flags
give, with the defaults of :mod:`forecastr.config`, so ``api.train("data.csv")`` trains what
``forecastr train data.csv`` trains. No torch code here: the functions that need torch import
the modules that use it when called, so ``info``, baseline ``evaluate`` and ONNX ``predict``
work in the torch-free install.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecastr.autoconfig import (
    data_window,
    horizon_and_seasons,
    main_season,
    report_season,
    resolve_model_config,
    season_fields,
    short_series_counts,
)
from forecastr.combine import ThetaMix, combined
from forecastr.config import (
    EVALUATE,
    EXPORT,
    MODEL_DIR,
    ONNX_FILE,
    PREDICT,
    ModelConfig,
    TrainOptions,
)
from forecastr.data import IngestOptions, load_csv
from forecastr.errors import (
    ArtifactError,
    ForecastrError,
    InputError,
    require,
    shown,
)
from forecastr.foldrefit import explain_refit_overlap, make_refit
from forecastr.forecast import (
    Schema,
    fits_each_forecast,
    forecast_frame,
    forecast_panel,
    last_windows,
    panel_floor,
)
from forecastr.intervals import parse_levels, parse_quantiles
from forecastr.longer import file_horizon, trained_for, widened
from forecastr.outputs import check_file, check_model_dir
from forecastr.panel import Panel
from forecastr.thetaonly import ThetaRun, network_blocker

if TYPE_CHECKING:
    from forecastr.report import EvalReport
    from forecastr.runtime import OnnxPredictor
    from forecastr.torch_predictor import TorchPredictor
    from forecastr.train import TrainResult

    Loaded = TorchPredictor | OnnxPredictor

# ------------------------------------------------------------------------------------------
# info


def info(path: str, ingest: IngestOptions | None = None) -> tuple[dict, Panel]:
    """What forecastr understood of a CSV (layout, series, frequency, seasons, gaps...), and
    the panel read from it. ``short_horizons_train_for``: see longer.py (None: as asked)."""
    from forecastr.data import describe

    panel = load_csv(path, ingest or IngestOptions())
    d = describe(panel)
    horizon, seasons = horizon_and_seasons(panel, None)
    d["season_length"] = main_season(seasons, panel.freq)
    d |= season_fields(panel, horizon, seasons)  # seasons, seasons_unconfirmed
    d["default_horizon"] = horizon
    d["short_horizons_train_for"] = file_horizon(panel, seasons, d["season_length"])
    d["floor"] = panel_floor(panel)  # what a model trained on this file keeps forecasts at
    d["short_series"] = short_series_counts(
        panel, horizon, horizon, data_window(panel, horizon, horizon, seasons)
    )
    return d, panel


# ------------------------------------------------------------------------------------------
# train


@dataclass
class TrainOutcome:
    path: str
    panel: Panel
    result: TrainResult | None  # the saved model's run (the refit one, unless refit=False)
    report: EvalReport  # on the held-out test part (from the holdout run)
    name: str
    seasons: list = field(default_factory=list)  # seasons.SeasonEvidence, main first
    holdout: TrainResult | None = None  # the holdout run (the one the report scores)
    short: dict = field(default_factory=dict)  # short_series_counts of the run
    refit: bool = False  # whether the saved model was refit on every point
    replaced: bool = False  # whether the save replaced a model already at the output path
    mix: ThetaMix | None = None  # the Theta combination validation chose (None: network alone)
    theta_only: ThetaRun | None = None  # set (and result None) when no network could train

    @property
    def floor(self) -> float | None:
        """The floor the saved model's forecasts keep: 0 when no value of the file is
        negative (``forecast.data_floor``), else None."""
        return panel_floor(self.panel)

    def to_dict(self) -> dict:
        """The JSON summary ``forecastr train --json`` prints."""
        from forecastr.artifact import json_safe

        if self.theta_only is not None:
            config, summary = self.theta_only.model_config, self.theta_only.summary()
        else:
            assert self.result is not None
            config, summary = self.result.model_cfg.to_dict(), json_safe(self.result.summary)
        return {
            "model": self.path,
            "config": config,
            "seasons": [e.to_dict() for e in self.seasons],
            "short_series": self.short,
            "refit": self.refit,
            "replaced": self.replaced,
            "floor": self.floor,
            "summary": summary,
            "evaluation": self.report.to_dict(),
        }


def train(
    data: str | Panel,
    ingest: IngestOptions | None = None,
    options: TrainOptions | None = None,
    *,
    out: str = MODEL_DIR,
    progress: Callable[[dict], None] | None = None,
    on_data: Callable[[Panel], None] | None = None,
    save_model: bool = True,
    **changes: Any,
) -> TrainOutcome:
    """Load ``data``, train a global recurrent model, score it on the held-out test part
    against the baselines, refit it on every point (unless ``refit=False``), and save the
    artifact to ``out``.

    The report always comes from the holdout run, whose model never saw the test part. The
    saved model is the one that forecasts best from the end of the data: by default the same
    configuration retrained on every point for the epochs early stopping chose per member.

    Args:
        options: every ``forecastr train`` option (:class:`~forecastr.config.TrainOptions`);
            ``changes`` replace some of them by name (``api.train(data, hidden=32)``).
        progress: called after every epoch with the run's numbers.
        on_data: called with the panel once the data is read, before training.
        save_model: False trains and reports without writing anything.
    """
    require("torch")
    require("sklearn", "full")
    require("safetensors")
    from forecastr.holdout import holdout_then_refit

    opts = replace(options or TrainOptions(), **changes)
    if save_model:  # an unwritable -o fails now, not after training
        check_model_dir(out, flag="-o")
    panel = data if isinstance(data, Panel) else load_csv(data, ingest or IngestOptions())
    if on_data is not None:
        on_data(panel)
    tcfg = opts.train_config()
    mcfg, seasons = _model_config(panel, opts)
    panel.check_future(mcfg.horizon)  # forecasts past 2262 (or the last step) fail now
    if opts.window is None and opts.val_size is None and opts.patch is None:
        wide = widened(panel, mcfg, tcfg, seasons)  # data with no season: longer.py
        if wide is not None and network_blocker(panel, *wide) is None:
            mcfg, tcfg = wide
    net, parts = trained_for(mcfg, tcfg)  # the validation part: the trained horizon's
    short = short_series_counts(panel, mcfg.horizon, parts.val_size or net.horizon, mcfg.window)
    # A window the user chose stays theirs to change; a widened one was checked just above.
    if opts.window is None and opts.theta and tcfg.train_horizon is None:
        reason = network_blocker(panel, mcfg, tcfg)
        if reason is not None:
            return _train_theta_only(panel, mcfg, seasons, short, reason, out, save_model)
    runs = holdout_then_refit(panel, mcfg, tcfg, seasons, opts.refit, progress, opts.theta)
    path, replaced = out, False
    if save_model:
        from forecastr.artifact import save_bundle

        saved = save_bundle(
            out, panel, runs.saved, runs.report, runs.train_end, seasons, opts.refit, runs.mix
        )
        path, replaced = saved, saved.replaced
    return TrainOutcome(
        path=path,
        panel=panel,
        result=runs.saved,
        report=runs.report,
        name=runs.name,
        seasons=seasons,
        holdout=runs.holdout,
        short=short,
        refit=opts.refit,
        replaced=replaced,
        mix=runs.mix,
    )


def _train_theta_only(
    panel: Panel,
    mcfg: ModelConfig,
    seasons: list,
    short: dict,
    reason: str,
    out: str,
    save_model: bool,
) -> TrainOutcome:
    """``train`` where no series is long enough for the network: the Theta method alone,
    scored on the held-out last horizon and saved (``thetaonly.py``)."""
    from forecastr import thetaonly

    run = thetaonly.fit(panel, mcfg, seasons, reason)
    path, replaced = out, False
    if save_model:
        from forecastr.artifact import save_theta_only

        saved = save_theta_only(out, panel, run, seasons)
        path, replaced = saved, saved.replaced
    return TrainOutcome(
        path=path,
        panel=panel,
        result=None,
        report=run.report,
        name=thetaonly.NAME,
        seasons=seasons,
        short={k: short[k] for k in ("unscorable", "unscorable_ids") if k in short},
        refit=True,
        replaced=replaced,
        theta_only=run,
    )


def _model_config(panel: Panel, opts: TrainOptions) -> tuple[ModelConfig, list]:
    """The network for ``panel``: the options' settings, the rest chosen from the data."""
    settings = opts.model_settings()
    settings["levels"] = parse_levels(opts.levels)  # checked here for the API's callers too
    settings["quantiles"] = parse_quantiles(opts.quantiles)
    if opts.val_size:
        settings["val_size"] = opts.val_size
    try:
        return resolve_model_config(panel, settings, opts.season_length)
    except (TypeError, ValueError) as err:
        raise InputError(str(err)) from None


# ------------------------------------------------------------------------------------------
# predict


def is_onnx(path: str) -> bool:
    return str(path).lower().endswith(".onnx")


def load_predictor(model_path: str) -> tuple[Loaded, Schema, Any]:
    """(predictor, schema, stored context) for a model directory or an ONNX file."""
    if is_onnx(model_path):
        from forecastr.runtime import OnnxPredictor

        fc = OnnxPredictor.from_onnx(model_path)
        return combined(fc, fc.mix), fc.schema, fc.context
    from forecastr.artifact import load

    bundle = load(model_path)
    if not bundle.theta_only:  # the Theta method alone needs neither torch nor safetensors
        require("torch")
    values, _ = bundle.context()
    return combined(bundle.predictor(), bundle.mix), bundle.schema, (values, bundle.last_stamps())


def predict(
    model_path: str = MODEL_DIR,
    data: str | None = None,
    ingest: IngestOptions | None = None,
    *,
    out: str | None = None,
    fmt: str = PREDICT.format,
) -> pd.DataFrame:
    """Forecasts ``unique_id, ds, forecast`` after the end of ``data`` (or of the training data
    stored with the model when ``data`` is None); written to ``out`` (atomically, as ``fmt``)
    when given. ``frame.attrs["new_series"]`` names the series the model never saw."""
    if out is not None:  # before loading the model or reading the CSV
        check_file(out, flag="-o", create_parents=False, example="forecast.csv")
    frame = _forecast(model_path, data, ingest)
    if out is not None:
        from forecastr.forecast import write_frame

        write_frame(frame, out, fmt)
    return frame


def _forecast(model_path: str, data: str | None, ingest: IngestOptions | None) -> pd.DataFrame:
    fc, schema, context = load_predictor(model_path)
    if data is None:
        if context is None:
            raise ArtifactError(f"{model_path}: holds no stored context; pass a data.csv")
        values, last = context
        s = schema
        return forecast_frame(fc, values, s.ids, last, s.freq, s.step, s.spelling)
    panel = load_csv(data, IngestOptions.like(schema, ingest))
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
    folds: int = EVALUATE.folds,
    step: int | None = EVALUATE.step,
    refit: bool = EVALUATE.refit,
    plot: str | None = None,
    series: list[str] | None = None,
    attention_plot: str | None = None,
    levels: str | Sequence[float] | None = None,
) -> tuple[EvalReport, Panel, Loaded | None]:
    """Backtest the baselines (and a model, when given) on ``data``.

    Args:
        levels: interval levels to score (``"80,95"``); None: the model's own (none for a
            baselines-only run). The baselines get empirical intervals at the same levels.
        plot: also draw the last fold of ``series`` (default: the first few) to this PNG.
        attention_plot: also draw the model's attention over the forecast after the end of
            the first of ``series`` (seq2seq + attention models) to this PNG.
    """
    from forecastr.evaluate import backtest

    _check_evaluate(model_path, refit, plot, attention_plot)
    fc, schema, panel = _model_and_data(data, model_path, ingest)
    found: list = []  # without a model, the seasons found in the data (as info shows them)
    if fc is not None:
        if horizon is not None and horizon > fc.horizon:
            raise InputError(f"--horizon {horizon} is longer than the model's horizon {fc.horizon}")
        horizon = horizon or fc.horizon
    else:
        horizon, found = horizon_and_seasons(panel, horizon)
    m = season_length or (
        report_season(fc.seasons, panel.freq, fc.model_config.get("season_length", 1))
        if fc is not None
        else main_season(found, panel.freq)
    )
    # The Theta method alone fits each fold's history anyway: --refit changes nothing there.
    refit_fn = make_refit(fc) if refit and fc is not None and not fits_each_forecast(fc) else None
    try:
        report = backtest(
            panel,
            horizon=horizon,
            season_length=m,
            seasons=_model_seasons(fc) or [int(e.period) for e in found],
            folds=folds,
            step=step,
            model=None if refit_fn else fc,
            refit=refit_fn,
            levels=parse_levels(levels),
        )
    except ForecastrError as error:
        raise explain_refit_overlap(error, fc) from None
    if attention_plot and fc is not None and schema is not None:
        _plot_attention(fc, schema, panel, attention_plot, series[0] if series else None)
    if plot:
        from forecastr.plot import plot_forecasts

        plot_forecasts(report, panel, plot, series_ids=series or None)
    return report, panel, fc


def _check_evaluate(
    model_path: str | None, refit: bool, plot: str | None, attention_plot: str | None
) -> None:
    """What ``evaluate`` refuses before reading or backtesting anything."""
    for flag, path in (("--plot", plot), ("--plot-attention", attention_plot)):
        if path:
            check_file(path, flag=flag, create_parents=True, example="plot.png")
    if refit and model_path is None:
        raise InputError("--refit needs a model (it retrains that model's configuration)")
    if attention_plot and model_path is None:
        raise InputError("--plot-attention needs a model")


def _model_and_data(
    data: str, model_path: str | None, ingest: IngestOptions | None
) -> tuple[Loaded | None, Schema | None, Panel]:
    """The model (when given) and the data, read the way its training data was and checked
    against it (the series it knows, unless it can forecast new ones; the frequency)."""
    if model_path is None:
        return None, None, load_csv(data, ingest or IngestOptions())
    from forecastr.forecast import check_panel, scale_free

    fc, schema, _ = load_predictor(model_path)
    panel = load_csv(data, IngestOptions.like(schema, ingest))
    check_panel(schema, 1, panel, allow_new=scale_free(fc))
    return fc, schema, panel


def _model_seasons(fc: Loaded | None) -> list[int]:
    """Every season stored with the model (each gets a seasonal-naive baseline)."""
    if fc is None:
        return []
    base = fc.model_config.get("season_length")
    return [int(e["period"]) for e in fc.seasons] + ([int(base)] if base else [])


# ------------------------------------------------------------------------------------------
# attention heatmap


def _plot_attention(fc: Loaded, schema: Schema, panel: Panel, path: str, series: str | None):
    """Draw the attention weights of the forecast after the end of ``series`` (default: the
    first series) as a heatmap: decoder steps x encoder steps."""
    from forecastr.runtime import OnnxPredictor

    if isinstance(fc, OnnxPredictor):
        raise InputError("--plot-attention needs a model directory, not an ONNX file")
    if not fc.model_config.get("attention"):
        raise InputError("this model has no attention; train with --decoder seq2seq --attention")
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
    weights = fc.attention_weights(window, sid)  # (H, W / patch)
    patch = int(fc.model_config.get("patch", 1))
    stamps = panel.timestamps(panel.ids.index(sid))[-fc.window :][patch - 1 :: patch]
    plot_attention_heatmap(weights, path, title=f"{fc.name} attention, series {sid}", stamps=stamps)
    return path


# ------------------------------------------------------------------------------------------
# export


def export(
    model_path: str = MODEL_DIR,
    onnx_path: str = ONNX_FILE,
    *,
    tolerance: float = EXPORT.tolerance,
    quantize: str | None = EXPORT.quantize,
    opset: int | None = EXPORT.opset,
    exporter: str = EXPORT.exporter,
) -> dict:
    """Export a model directory to one parity-checked ONNX file; returns the export report
    (:func:`forecastr.export.export_onnx`)."""
    require("torch")
    require("onnx")
    check_file(onnx_path, flag="--onnx", create_parents=False, example="model.onnx")
    from forecastr.export import export_onnx

    return export_onnx(
        model_path,
        onnx_path,
        tolerance=tolerance,
        quantize=quantize,
        opset=opset,
        exporter=exporter,
    )
