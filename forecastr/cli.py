"""The forecastr command line: parse, call one ``api`` function, present the result.

No computation lives here: each command turns its flags into the arguments of one function
of :mod:`forecastr.api`, and :mod:`forecastr.present` shows what came back. The flags are
declared in :mod:`forecastr.cli_options`, with the defaults and choices of
:mod:`forecastr.config`. Library errors (``ForecastrError``) are printed by one handler as a
single line on stderr with a non-zero exit code. This module does not import torch; the
commands that need it import it through the library when they run.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings
from dataclasses import fields
from enum import Enum
from typing import Annotated, Any, NoReturn

import typer
from rich.markup import escape

from forecastr import __version__, outputs, present
from forecastr.cli_options import (
    FILL,
    LAYOUT,
    TRAIN,
    AggregateOpt,
    Attention,
    BatchSize,
    Bidirectional,
    Cell,
    CellOpt,
    ClipNorm,
    Data,
    Decoder,
    DecoderOpt,
    Device,
    DeviceOpt,
    Dropout,
    Ensemble,
    Epochs,
    EvalFirst,
    EvalHorizon,
    EvalJson,
    EvalLevels,
    EvalRefit,
    EvalSeason,
    Exporter,
    ExporterOpt,
    ExportJson,
    FillOpt,
    Fmt,
    Folds,
    ForecastOut,
    FormatOpt,
    Freq,
    Hidden,
    Horizon,
    IdCol,
    InfoJson,
    Jobs,
    Layers,
    LayoutArg,
    Levels,
    Loss,
    LossOpt,
    LossScale,
    Lr,
    MaxBatches,
    ModelDir,
    ModelOut,
    OnnxOut,
    Opset,
    Patch,
    Patience,
    PerSeries,
    Plot,
    PlotAttention,
    PredictFirst,
    Quantiles,
    QuantOpt,
    Quiet,
    Refit,
    ScalerChoice,
    ScalerOpt,
    Seasons,
    Second,
    Seed,
    SeriesOpt,
    Step,
    Target,
    TeacherForcing,
    TeacherForcingDecay,
    Theta,
    Threads,
    TimeCol,
    Tolerance,
    Top,
    TrainJson,
    ValSize,
    Window,
)
from forecastr.config import (
    EVALUATE,
    EXPORT,
    MODEL_DIR,
    ONNX_FILE,
    PREDICT,
    TrainOptions,
)
from forecastr.errors import ForecastrError, ForecastrWarning, one_line
from forecastr.intervals import parse_levels, parse_quantiles
from forecastr.present import err, out

app = typer.Typer(
    name="forecastr",
    help="Recurrent time-series forecasting from CSV files: train, evaluate against naive "
    "baselines, predict, and export to ONNX for torch-free inference.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _values(cls: type, params: dict[str, Any], **parsed: Any) -> Any:
    """An instance of dataclass ``cls`` from the command's parameters of the same names (Enum
    choices as their values); ``parsed`` gives the ones the command converted first."""
    names = [f.name for f in fields(cls)]
    plain = {k: v.value if isinstance(v, Enum) else v for k, v in params.items() if k in names}
    return cls(**{**plain, **parsed})


def _ingest(params: dict[str, Any]):
    """The ingest flags every command that reads a CSV takes (same names as IngestOptions')."""
    from forecastr.data import IngestOptions

    return _values(IngestOptions, params)


def handle_errors(fn):
    """Print library errors on one stderr line and exit non-zero; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", ForecastrWarning)
                warnings.showwarning = _one_line_warnings(warnings.showwarning)
                return fn(*args, **kwargs)
        except ForecastrError as e:
            _fail(e)
        except KeyboardInterrupt:
            err.print("interrupted: nothing was written; any earlier model is intact")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except PermissionError as e:  # one no library code translated: a user error all the same
            _fail(outputs.permission_error(e))
        except MemoryError:
            err.print("[bold red]error:[/] out of memory; try a smaller --batch-size or file")
            raise typer.Exit(1) from None
        except Exception as e:  # a bug, not a user error: still one line unless debugging
            if os.environ.get("FORECASTR_DEBUG"):
                raise
            err.print(
                f"[bold red]internal error:[/] {type(e).__name__}: "
                f"{escape(one_line(str(e), None))} "
                "(set FORECASTR_DEBUG=1 for a traceback and please report it)",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(70) from None

    return wrapper


def _one_line_warnings(show):
    """``warnings.showwarning`` that prints a library warning (:class:`ForecastrWarning`) on
    one ``warning:`` line of stderr and hands any other to ``show``."""

    def shown(message, category, filename, lineno, file=None, line=None) -> None:
        if issubclass(category, ForecastrWarning):
            text = escape(one_line(message, None))
            err.print(f"[yellow]warning:[/] {text}", highlight=False, soft_wrap=True)
        else:
            show(message, category, filename, lineno, file, line)

    return shown


def _fail(e: ForecastrError) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(one_line(e, None))}", highlight=False, soft_wrap=True)
    raise typer.Exit(e.exit_code) from None


def _version(value: bool):
    if value:
        out.print(f"forecastr {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
):
    """Recurrent time-series forecasting from CSV files."""


@app.command(epilog="Example: forecastr info sample_data/uk_drivers_monthly.csv --json")
@handle_errors
def info(
    data: Data,
    as_json: InfoJson = False,
    id_col: IdCol = None,
    time_col: TimeCol = None,
    target: Target = None,
    freq: Freq = None,
    fill: FillOpt = FILL,
    aggregate: AggregateOpt = None,
    layout: LayoutArg = LAYOUT,
):
    """Show what forecastr understood of a CSV: layout, series, lengths, frequency, gaps."""
    from forecastr import api

    d, _ = api.info(data, _ingest(locals()))
    if as_json:
        present.print_json(d)
    else:
        present.print_info(d, data)


@app.command(
    epilog="Example: forecastr train sample_data/uk_drivers_monthly.csv --model gru -o model/"
)
@handle_errors
def train(
    data: Data,
    cell: CellOpt = Cell(TRAIN.cell),
    output: ModelOut = MODEL_DIR,
    window: Window = TRAIN.window,
    horizon: Horizon = TRAIN.horizon,
    layers: Layers = TRAIN.layers,
    hidden: Hidden = TRAIN.hidden,
    dropout: Dropout = TRAIN.dropout,
    bidirectional: Bidirectional = TRAIN.bidirectional,
    decoder: DecoderOpt = Decoder(TRAIN.decoder),
    attention: Attention = TRAIN.attention,
    ensemble: Ensemble = TRAIN.ensemble,
    patch: Patch = TRAIN.patch,
    season_length: Seasons = None,
    levels: Levels = None,
    quantiles: Quantiles = None,
    refit: Refit = TRAIN.refit,
    theta: Theta = TRAIN.theta,
    epochs: Epochs = TRAIN.epochs,
    batch_size: BatchSize = TRAIN.batch_size,
    max_batches: MaxBatches = TRAIN.max_batches,
    lr: Lr = TRAIN.lr,
    loss: LossOpt = Loss(TRAIN.loss),
    loss_scale: LossScale = TRAIN.loss_scale,
    clip_norm: ClipNorm = TRAIN.clip_norm,
    patience: Patience = TRAIN.patience,
    scaler: ScalerChoice = ScalerOpt(TRAIN.scaler),
    val_size: ValSize = TRAIN.val_size,
    teacher_forcing: TeacherForcing = TRAIN.teacher_forcing,
    teacher_forcing_decay: TeacherForcingDecay = TRAIN.teacher_forcing_decay,
    seed: Seed = TRAIN.seed,
    device: DeviceOpt = Device(TRAIN.device),
    threads: Threads = TRAIN.threads,
    jobs: Jobs = TRAIN.jobs,
    quiet: Quiet = False,
    as_json: TrainJson = False,
    id_col: IdCol = None,
    time_col: TimeCol = None,
    target: Target = None,
    freq: Freq = None,
    fill: FillOpt = FILL,
    aggregate: AggregateOpt = None,
    layout: LayoutArg = LAYOUT,
):
    """Train a recurrent model, then report it against naive baselines on held-out data."""
    from forecastr import api

    params = locals()  # every option's value, by its TrainOptions / IngestOptions name
    options = _values(
        TrainOptions,
        params,
        season_length=_seasons_opt(season_length),
        levels=parse_levels(levels) or None,
        quantiles=parse_quantiles(quantiles) or None,
    )
    with present.TrainProgress(enabled=not quiet and not as_json) as progress:
        outcome = api.train(
            data,
            _ingest(params),
            options,
            out=output,
            progress=progress,
            on_data=present.warn_fill,
        )
    present.warn_unscorable(outcome.short)
    present.warn_theta_only(outcome)
    if as_json:
        present.print_json(outcome.to_dict())
    else:
        present.print_trained(outcome)


def _seasons_opt(text: str | None) -> list[int] | None:
    """``"48,336"`` -> [48, 336]; one clear error for anything else."""
    if text is None:
        return None
    try:
        values = [int(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        values = []
    if not values or any(v < 1 for v in values):
        from forecastr.errors import InputError

        raise InputError(
            f"--season-length {text!r}: give whole numbers >= 1, comma-separated "
            "(e.g. 12 or 48,336)"
        )
    return values


@app.command(
    epilog="Examples: forecastr evaluate sample_data/uk_drivers_monthly.csv (baselines only); "
    "forecastr evaluate model/ data.csv --folds 4 --plot eval.png"
)
@handle_errors
def evaluate(
    first: EvalFirst,
    second: Second = None,
    folds: Folds = EVALUATE.folds,
    step: Step = EVALUATE.step,
    refit: EvalRefit = EVALUATE.refit,
    horizon: EvalHorizon = None,
    season_length: EvalSeason = None,
    levels: EvalLevels = None,
    as_json: EvalJson = False,
    per_series: PerSeries = False,
    top: Top = EVALUATE.top,
    plot: Plot = None,
    series: SeriesOpt = None,
    plot_attention: PlotAttention = None,
    id_col: IdCol = None,
    time_col: TimeCol = None,
    target: Target = None,
    freq: Freq = None,
    fill: FillOpt = FILL,
    aggregate: AggregateOpt = None,
    layout: LayoutArg = LAYOUT,
):
    """Backtest a model and the naive baselines (holdout or rolling origin): metrics, plot."""
    from forecastr import api

    model_path, data = (first, second) if second is not None else (None, first)
    report, panel, _ = api.evaluate(
        data,
        model_path,
        _ingest(locals()),
        horizon=horizon,
        season_length=season_length,
        folds=folds,
        step=step,
        refit=refit,
        plot=plot,
        series=series,
        attention_plot=plot_attention,
        levels=levels,
    )
    present.warn_fill(panel)
    if as_json:
        present.print_json(present.evaluation_dict(report, per_series, top))
        return
    present.print_evaluation(report, folds, per_series, top, plot, plot_attention)


@app.command(
    epilog="Examples: forecastr predict (default model, its stored data); "
    "forecastr predict model.onnx data.csv -o forecast.csv"
)
@handle_errors
def predict(
    first: PredictFirst = None,
    second: Second = None,
    output: ForecastOut = None,
    fmt: FormatOpt = Fmt(PREDICT.format),
    id_col: IdCol = None,
    time_col: TimeCol = None,
    target: Target = None,
    freq: Freq = None,
    fill: FillOpt = FILL,
    aggregate: AggregateOpt = None,
    layout: LayoutArg = LAYOUT,
):
    """Forecast the next horizon steps of every series, with their timestamps."""
    from forecastr import api

    model_path, data = first, second
    if first is not None and second is None and first.lower().endswith((".csv", ".txt", ".tsv")):
        model_path, data = None, first
    frame = api.predict(model_path or MODEL_DIR, data, _ingest(locals()), out=output, fmt=fmt.value)
    present.warn_new_series(frame)
    present.print_forecasts(frame, output, fmt.value)


@app.command(
    epilog="Examples: forecastr export --onnx (default model to forecastr-model.onnx); "
    "forecastr export model/ --onnx m.onnx --quantize int8"
)
@handle_errors
def export(
    model: ModelDir = MODEL_DIR,
    onnx: OnnxOut = ONNX_FILE,
    quantize: QuantOpt = None,
    tolerance: Tolerance = EXPORT.tolerance,
    exporter: ExporterOpt = Exporter(EXPORT.exporter),
    opset: Opset = EXPORT.opset,
    as_json: ExportJson = False,
):
    """Export a model to one self-contained ONNX file (scaling inside), parity-checked."""
    from forecastr import api

    rep = api.export(
        model,
        onnx,
        tolerance=tolerance,
        quantize=quantize.value if quantize else None,
        opset=opset,
        exporter=exporter.value,
    )
    if as_json:
        present.print_json(rep)
    else:
        present.print_export(rep)


def _fix_bare_onnx(args: list[str]) -> list[str]:
    """Let ``export --onnx`` be given without a value (it then writes the default file)."""
    args = list(args)
    if "export" in args and "--onnx" in args:
        i = args.index("--onnx")
        nxt = args[i + 1] if i + 1 < len(args) else None
        if nxt is None or nxt.startswith("-"):
            args.insert(i + 1, ONNX_FILE)
    return args


def main() -> None:
    try:
        app(args=_fix_bare_onnx(sys.argv[1:]), prog_name="forecastr")
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    if os.environ.get("FORECASTR_DEBUG"):
        sys.exit(code)
    # Every file we write is closed (and renamed into place) before this point; skipping the
    # interpreter's teardown saves ~0.1 s of pandas/pyarrow cleanup on every ONNX predict.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
