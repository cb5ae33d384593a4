"""The forecastr command line: parse, call one library function, present the result.

No computation lives here. Library errors (``ForecastrError``) are printed by one handler as a
single line on stderr with a non-zero exit code. This module does not import torch; the
commands that need it import it through the library when they run.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from enum import Enum
from typing import Annotated, NoReturn

import typer
from rich.markup import escape
from rich.table import Table

from forecastr import __version__, defaults, outputs
from forecastr.errors import ForecastrError, shown
from forecastr.present import (
    TrainProgress,
    columns_text,
    err,
    out,
    print_report,
    print_train_summary,
    seasons_text,
    warn_fill,
)

app = typer.Typer(
    name="forecastr",
    help="Recurrent time-series forecasting from CSV files: train, evaluate against naive "
    "baselines, predict, and export to ONNX for torch-free inference.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)

DEFAULT_MODEL = "forecastr-model"
DEFAULT_ONNX = "forecastr-model.onnx"


class Fill(str, Enum):
    interpolate = "interpolate"
    ffill = "ffill"
    zero = "zero"
    error = "error"


class LayoutOpt(str, Enum):
    auto = "auto"
    long = "long"
    wide = "wide"
    single = "single"


class Cell(str, Enum):
    rnn = "rnn"
    lstm = "lstm"
    gru = "gru"


class Decoder(str, Enum):
    direct = "direct"
    seq2seq = "seq2seq"


class Loss(str, Enum):
    mae = "mae"
    mse = "mse"
    huber = "huber"


class ScalerOpt(str, Enum):
    standard = "standard"
    minmax = "minmax"
    robust = "robust"
    none = "none"


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class Fmt(str, Enum):
    csv = "csv"
    json = "json"
    parquet = "parquet"


class Quant(str, Enum):
    int8 = "int8"


class Exporter(str, Enum):
    auto = "auto"
    torchscript = "torchscript"
    dynamo = "dynamo"


DATA_HELP = (
    "CSV file. Layout is detected from the header: [b]long[/b] (an id column such as "
    "unique_id, plus time and value columns), [b]wide[/b] (a time column and one column per "
    "series) or [b]single[/b] (a time column and one value column)."
)
G_DATA = "Reading the CSV"

# Shared ingest options (each command that reads a CSV takes them).
IdCol = Annotated[
    str | None,
    typer.Option("--id-col", help="Series id column (forces long layout).", rich_help_panel=G_DATA),
]
TimeCol = Annotated[
    str | None,
    typer.Option(
        "--time-col",
        help="Time column (default: one named ds/date/time/timestamp/..., else the first).",
        rich_help_panel=G_DATA,
    ),
]
Target = Annotated[
    str | None,
    typer.Option(
        "--target",
        help="Value column (long/single layouts; default: y/value/target or the only one).",
        rich_help_panel=G_DATA,
    ),
]
Freq = Annotated[
    str | None,
    typer.Option(
        "--freq",
        help="Frequency as a pandas alias (D, h, 30min, W-SUN, MS, QS...) or a whole-number "
        "step for an integer index. Default: inferred.",
        rich_help_panel=G_DATA,
    ),
]
FillOpt = Annotated[
    Fill,
    typer.Option(
        "--fill",
        help="Missing timestamps and empty values: interpolate linearly, carry the last value "
        "forward, use zero, or stop with an error.",
        rich_help_panel=G_DATA,
    ),
]
LayoutArg = Annotated[
    LayoutOpt,
    typer.Option("--layout", help="Override layout detection.", rich_help_panel=G_DATA),
]


def _ingest(id_col, time_col, target, freq, fill, layout):
    from forecastr.data import IngestOptions

    return IngestOptions(
        id_col=id_col,
        time_col=time_col,
        target=target,
        freq=freq,
        fill=fill.value,
        layout=layout.value,
    )


def handle_errors(fn):
    """Print library errors on one stderr line and exit non-zero; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
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
                f"[bold red]internal error:[/] {type(e).__name__}: {escape(_one_line(str(e)))} "
                "(set FORECASTR_DEBUG=1 for a traceback and please report it)",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(70) from None

    return wrapper


def _fail(e: ForecastrError) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(_one_line(str(e)))}", highlight=False, soft_wrap=True)
    raise typer.Exit(e.exit_code) from None


def _one_line(text: str) -> str:
    return " ".join(text.split())


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


# ------------------------------------------------------------------------------------------
# info


@app.command(epilog="Example: forecastr info sample_data/air_passengers.csv --json")
@handle_errors
def info(
    data: Annotated[str, typer.Argument(metavar="DATA", help=DATA_HELP, show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    id_col: IdCol = None,
    time_col: TimeCol = None,
    target: Target = None,
    freq: Freq = None,
    fill: FillOpt = Fill.interpolate,
    layout: LayoutArg = LayoutOpt.auto,
):
    """Show what forecastr understood of a CSV: layout, series, lengths, frequency, gaps."""
    from forecastr import api

    d, _ = api.info(data, _ingest(id_col, time_col, target, freq, fill, layout))
    if as_json:
        print(json.dumps(d, indent=2))
        return
    t = Table(title=escape(str(data)), show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column()
    cols = d["columns"]
    t.add_row("layout", d["layout"])
    t.add_row("columns", escape(columns_text(cols)))
    t.add_row("series", str(d["series"]))
    ln = d["length"]
    t.add_row("length", f"min {ln['min']}, median {ln['median']:g}, max {ln['max']}")
    t.add_row("points", str(d["points"]))
    t.add_row("frequency", str(d["frequency"]))
    t.add_row("season length", str(d["season_length"]))
    t.add_row("seasons", escape(seasons_text(d.get("seasons") or [])))
    short = d.get("short_series") or {}
    if short.get("padded") or short.get("unscorable"):
        t.add_row(
            "short series",
            f"{short['padded']} shorter than the default window {short['window']} + horizon + "
            f"validation + test (padded in training); {short['unscorable']} with no more "
            "points than the horizon (not scored)",
        )
    t.add_row("default horizon", str(d["default_horizon"]))
    t.add_row("range", f"{d['start']} → {d['end']}")
    t.add_row("gaps filled", f"{d['filled_points']} points in {d['filled_series']} series")
    for note in d.get("notes") or []:
        t.add_row("note", escape(str(note)))
    out.print(t)


# ------------------------------------------------------------------------------------------
# train

G_MODEL = "Model"
G_TRAIN = "Training"


@app.command(epilog="Example: forecastr train sample_data/air_passengers.csv --model gru -o model/")
@handle_errors
def train(
    data: Annotated[str, typer.Argument(metavar="DATA", help=DATA_HELP, show_default=False)],
    model: Annotated[
        Cell, typer.Option("--model", "-m", help="Recurrent cell.", rich_help_panel=G_MODEL)
    ] = Cell.gru,
    output: Annotated[
        str, typer.Option("--out", "-o", help="Model directory to write.")
    ] = DEFAULT_MODEL,
    window: Annotated[
        int | None,
        typer.Option(
            help="Input points per forecast. Default: from the season length (at least the "
            "longest season that fits, two of the shortest), capped at 512.",
            rich_help_panel=G_MODEL,
        ),
    ] = None,
    horizon: Annotated[
        int | None,
        typer.Option(
            help="Points to forecast. Default: from the frequency (one day of sub-daily "
            "data, 14 days, 13 weeks, 12 months, 8 quarters, 6 years).",
            rich_help_panel=G_MODEL,
        ),
    ] = None,
    layers: Annotated[int, typer.Option(help="Recurrent layers.", rich_help_panel=G_MODEL)] = 2,
    hidden: Annotated[int, typer.Option(help="Hidden units.", rich_help_panel=G_MODEL)] = 64,
    dropout: Annotated[
        float, typer.Option(help="Dropout between layers.", rich_help_panel=G_MODEL)
    ] = 0.0,
    bidirectional: Annotated[
        bool,
        typer.Option("--bidirectional", help="Bidirectional encoder.", rich_help_panel=G_MODEL),
    ] = False,
    decoder: Annotated[
        Decoder,
        typer.Option(
            help="direct: all horizon steps at once from the final state; seq2seq: a decoder "
            "RNN unrolled over the horizon.",
            rich_help_panel=G_MODEL,
        ),
    ] = Decoder.direct,
    attention: Annotated[
        bool,
        typer.Option(
            "--attention", help="Attention over encoder steps (seq2seq).", rich_help_panel=G_MODEL
        ),
    ] = False,
    ensemble: Annotated[
        int,
        typer.Option(
            help="Members trained from consecutive seeds and averaged (steadier forecasts).",
            rich_help_panel=G_MODEL,
        ),
    ] = defaults.ENSEMBLE,
    patch: Annotated[
        int | None,
        typer.Option(
            help="Points fed to the RNN per step (must divide the window). Default: 1 for "
            "windows up to 96, else enough to keep at most 24 recurrent steps.",
            rich_help_panel=G_MODEL,
        ),
    ] = None,
    season_length: Annotated[
        str | None,
        typer.Option(
            help="Season length(s), e.g. 12 or 48,336: the first is the seasonal-naive base "
            "the network corrects and the report's main season; every one gets a seasonal-naive "
            "baseline. Default: the calendar's seasons the data shows, or seasons detected "
            "from the training part (see `forecastr info`).",
            rich_help_panel=G_MODEL,
        ),
    ] = None,
    refit: Annotated[
        bool,
        typer.Option(
            "--refit/--no-refit",
            help="After the holdout report, retrain on every point (validation and test "
            "included) for the epochs early stopping chose, and save that model. --no-refit "
            "saves the evaluated holdout model.",
            rich_help_panel=G_TRAIN,
        ),
    ] = True,
    epochs: Annotated[int, typer.Option(help="Maximum epochs.", rich_help_panel=G_TRAIN)] = 100,
    batch_size: Annotated[
        int, typer.Option(help="Windows per step.", rich_help_panel=G_TRAIN)
    ] = 64,
    max_batches: Annotated[
        int,
        typer.Option(help="Batches per epoch (large data is sampled).", rich_help_panel=G_TRAIN),
    ] = 50,
    lr: Annotated[
        float, typer.Option(help="Peak learning rate (one-cycle).", rich_help_panel=G_TRAIN)
    ] = 3e-3,
    loss: Annotated[Loss, typer.Option(help="Training loss.", rich_help_panel=G_TRAIN)] = Loss.mae,
    loss_scale: Annotated[
        str,
        typer.Option(
            help="Per-series loss weight: mase (errors divided by the series' in-sample naive "
            "MAE, as MASE does) or none (the scaler's units).",
            rich_help_panel=G_TRAIN,
        ),
    ] = defaults.LOSS_SCALE,
    clip_norm: Annotated[
        float,
        typer.Option(help="Gradient clipping max norm; 0 disables.", rich_help_panel=G_TRAIN),
    ] = 1.0,
    patience: Annotated[
        int, typer.Option(help="Early-stopping patience (epochs).", rich_help_panel=G_TRAIN)
    ] = 10,
    scaler: Annotated[
        ScalerOpt,
        typer.Option(help="Per-series scaler, fitted on training data.", rich_help_panel=G_TRAIN),
    ] = ScalerOpt.standard,
    val_size: Annotated[
        int | None,
        typer.Option(
            help="Validation points per series (default: horizon).", rich_help_panel=G_TRAIN
        ),
    ] = None,
    teacher_forcing: Annotated[
        float,
        typer.Option(help="seq2seq: teacher-forcing probability.", rich_help_panel=G_TRAIN),
    ] = 0.5,
    teacher_forcing_decay: Annotated[
        bool,
        typer.Option(
            "--teacher-forcing-decay",
            help="seq2seq: decay teacher forcing linearly to 0.",
            rich_help_panel=G_TRAIN,
        ),
    ] = False,
    seed: Annotated[int, typer.Option(help="Random seed.", rich_help_panel=G_TRAIN)] = 0,
    device: Annotated[Device, typer.Option(help="Device.", rich_help_panel=G_TRAIN)] = Device.auto,
    threads: Annotated[
        int, typer.Option(help="CPU threads for torch.", rich_help_panel=G_TRAIN)
    ] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    id_col: IdCol = None,
    time_col: TimeCol = None,
    target: Target = None,
    freq: Freq = None,
    fill: FillOpt = Fill.interpolate,
    layout: LayoutArg = LayoutOpt.auto,
):
    """Train a recurrent model, then report it against naive baselines on held-out data."""
    from forecastr import api
    from forecastr.data import load_csv
    from forecastr.errors import require

    require("torch")
    outputs.check_model_dir(output, flag="-o")  # before reading or training anything
    from forecastr.train import TrainConfig

    panel = load_csv(data, _ingest(id_col, time_col, target, freq, fill, layout))
    warn_fill(panel)
    model_opts = {
        "cell": model.value,
        "window": window,
        "horizon": horizon,
        "layers": layers,
        "hidden": hidden,
        "dropout": dropout,
        "bidirectional": bidirectional,
        "decoder": decoder.value,
        "attention": attention,
        "ensemble": ensemble,
        "patch": patch,
    }
    tcfg = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        max_batches=max_batches,
        lr=lr,
        loss=loss.value,
        loss_scale=loss_scale,
        clip_norm=clip_norm,
        patience=patience,
        scaler=scaler.value,
        val_size=val_size,
        seed=seed,
        device=device.value,
        threads=threads,
        teacher_forcing=teacher_forcing,
        teacher_forcing_decay=teacher_forcing_decay,
    )
    with TrainProgress(enabled=not quiet and not as_json) as progress:
        outcome = api.train(
            panel,
            model=model_opts,
            training=tcfg,
            out=output,
            season_length=_seasons_opt(season_length),
            refit=refit,
            progress=progress,
        )
    if outcome.short.get("unscorable"):
        names = ", ".join(shown(s, 40) for s in outcome.short["unscorable_ids"][:5])
        err.print(
            f"[yellow]warning:[/] {outcome.short['unscorable']} series have no more points than "
            f"the horizon ({escape(names)}{', ...' if outcome.short['unscorable'] > 5 else ''}): "
            "left out of the held-out report; forecast from their padded history",
            highlight=False,
        )
    if as_json:
        payload = {
            "model": outcome.path,
            "config": outcome.result.model_cfg.to_dict(),
            "seasons": [e.to_dict() for e in outcome.seasons],
            "short_series": outcome.short,
            "refit": outcome.refit,
            "replaced": outcome.replaced,
            "summary": api.json_safe(outcome.result.summary),
            "evaluation": outcome.report.to_dict(),
        }
        print(json.dumps(payload, indent=2))
        return
    print_train_summary(outcome)
    print_report(
        outcome.report,
        title="Held-out test (last horizon of each series, scored by the holdout run's model)",
    )
    saved = "refit on every point" if outcome.refit else "the holdout model (--no-refit)"
    if outcome.replaced:
        saved += "; it replaced the model that was there"
    out.print(f"model saved to [bold]{escape(str(outcome.path))}[/] ({saved})", soft_wrap=True)


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


# ------------------------------------------------------------------------------------------
# evaluate


@app.command(
    epilog="Examples: forecastr evaluate sample_data/air_passengers.csv (baselines only); "
    "forecastr evaluate model/ data.csv --folds 4 --plot eval.png"
)
@handle_errors
def evaluate(
    first: Annotated[
        str,
        typer.Argument(
            metavar="[MODEL] DATA",
            help="A model (directory or .onnx) and a CSV, or just a CSV to score the baselines.",
            show_default=False,
        ),
    ],
    second: Annotated[str | None, typer.Argument(show_default=False, hidden=True)] = None,
    folds: Annotated[int, typer.Option(help="Rolling-origin folds (1 = holdout).")] = 1,
    step: Annotated[
        int | None, typer.Option(help="Points between fold origins (default: horizon).")
    ] = None,
    refit: Annotated[
        bool,
        typer.Option(
            "--refit", help="Retrain the model on each fold's history (default: no refit)."
        ),
    ] = False,
    horizon: Annotated[
        int | None, typer.Option(help="Points to forecast (default: the model's or frequency's).")
    ] = None,
    season_length: Annotated[
        int | None, typer.Option(help="Season for seasonal naive and MASE (default: frequency).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    per_series: Annotated[
        bool, typer.Option("--per-series", help="Add a per-series table.")
    ] = False,
    top: Annotated[int, typer.Option(help="Best/worst N series in --per-series.")] = 10,
    plot: Annotated[
        str | None, typer.Option(help="Write a PNG of history, actuals and forecasts.")
    ] = None,
    series: Annotated[
        list[str] | None, typer.Option("--series", help="Series to plot (repeatable).")
    ] = None,
    plot_attention: Annotated[
        str | None,
        typer.Option(help="seq2seq+attention model: PNG heatmap of one forecast's attention."),
    ] = None,
    id_col: IdCol = None,
    time_col: TimeCol = None,
    target: Target = None,
    freq: Freq = None,
    fill: FillOpt = Fill.interpolate,
    layout: LayoutArg = LayoutOpt.auto,
):
    """Backtest a model and the naive baselines (holdout or rolling origin): metrics, plot."""
    from forecastr import api

    model_path, data = (first, second) if second is not None else (None, first)
    for flag, path in (("--plot", plot), ("--plot-attention", plot_attention)):
        if path:  # before reading or backtesting anything
            outputs.check_file(path, flag=flag, create_parents=True, example="plot.png")
    report, panel, _ = api.evaluate(
        data,
        model_path,
        _ingest(id_col, time_col, target, freq, fill, layout),
        horizon=horizon,
        season_length=season_length,
        folds=folds,
        step=step,
        refit=refit,
        attention_plot=plot_attention,
        attention_series=series[0] if series else None,
    )
    warn_fill(panel)
    if plot:
        from forecastr.plot import plot_forecasts

        plot_forecasts(report, panel, plot, series_ids=series or None)
    if as_json:
        d = report.to_dict()
        if per_series:
            from forecastr.evaluate import per_series_table

            d["per_series_top"] = json.loads(
                per_series_table(report, metric="mase", top=top).to_json(orient="records")
            )
        print(json.dumps(d, indent=2))
        return
    title = "Holdout" if folds == 1 else f"Rolling origin: {folds} folds"
    print_report(report, title=f"{title}, horizon {report.horizon}", per_series=per_series, top=top)
    if plot:
        out.print(f"plot written to [bold]{escape(plot)}[/]", soft_wrap=True)
    if plot_attention:
        out.print(f"attention heatmap written to [bold]{escape(plot_attention)}[/]")


# ------------------------------------------------------------------------------------------
# predict


@app.command(
    epilog="Examples: forecastr predict (default model, its stored data); "
    "forecastr predict model.onnx data.csv -o forecast.csv"
)
@handle_errors
def predict(
    first: Annotated[
        str | None,
        typer.Argument(
            metavar="[MODEL] [DATA]",
            help=f"A model directory or .onnx file (default: ./{DEFAULT_MODEL}) and optionally "
            "a CSV to forecast after; without a CSV the model's stored data is used.",
            show_default=False,
        ),
    ] = None,
    second: Annotated[str | None, typer.Argument(show_default=False, hidden=True)] = None,
    output: Annotated[
        str | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")
    ] = None,
    fmt: Annotated[Fmt, typer.Option("--format", help="Output format.")] = Fmt.csv,
    id_col: IdCol = None,
    time_col: TimeCol = None,
    target: Target = None,
    freq: Freq = None,
    fill: FillOpt = Fill.interpolate,
    layout: LayoutArg = LayoutOpt.auto,
):
    """Forecast the next horizon steps of every series, with their timestamps."""
    from forecastr import api
    from forecastr.forecast import write_frame

    model_path, data = first, second
    if first is not None and second is None and first.lower().endswith((".csv", ".txt", ".tsv")):
        model_path, data = None, first
    model_path = model_path or DEFAULT_MODEL
    if output is not None:  # before loading the model or reading the CSV
        outputs.check_file(output, flag="-o", create_parents=False, example="forecast.csv")
    frame = api.predict(model_path, data, _ingest(id_col, time_col, target, freq, fill, layout))
    new = frame.attrs.get("new_series") or []
    if new:
        names = ", ".join(shown(s, 40) for s in new[:5]) + (", ..." if len(new) > 5 else "")
        err.print(
            f"[yellow]note:[/] {len(new)} series the model never saw ({escape(names)}): "
            "forecast from their own history's scale",
            highlight=False,
        )
    text = write_frame(frame, output, fmt.value)
    if text is not None:
        sys.stdout.write(text)
    else:
        err.print(
            f"{len(frame)} forecasts written to {escape(str(output))}",
            soft_wrap=True,
            highlight=False,
        )


# ------------------------------------------------------------------------------------------
# export


@app.command(
    epilog="Examples: forecastr export --onnx (default model to forecastr-model.onnx); "
    "forecastr export model/ --onnx m.onnx --quantize int8"
)
@handle_errors
def export(
    model: Annotated[
        str,
        typer.Argument(help="Model directory.", show_default=True),
    ] = DEFAULT_MODEL,
    onnx: Annotated[
        str,
        typer.Option(
            "--onnx",
            help=f"ONNX file to write (bare --onnx writes {DEFAULT_ONNX}).",
        ),
    ] = DEFAULT_ONNX,
    quantize: Annotated[
        Quant | None, typer.Option(help="Also quantize weights (onnxruntime dynamic int8).")
    ] = None,
    tolerance: Annotated[
        float, typer.Option(help="Max relative error allowed by the parity check.")
    ] = 1e-4,
    exporter: Annotated[
        Exporter,
        typer.Option(
            help="torch.onnx path: auto = TorchScript (native RNN/GRU/LSTM ops, small and "
            "fastest at batch 1), falling back to dynamo; see docs/onnx.md."
        ),
    ] = Exporter.auto,
    opset: Annotated[int | None, typer.Option(help="ONNX opset (default: the exporter's).")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the export report as JSON.")
    ] = False,
):
    """Export a model to one self-contained ONNX file (scaling inside), parity-checked."""
    from forecastr.errors import require

    require("torch")
    require("onnx")
    outputs.check_file(onnx, flag="--onnx", create_parents=False, example="model.onnx")
    from forecastr.export import export_onnx

    rep = export_onnx(
        model,
        onnx,
        tolerance=tolerance,
        quantize=quantize.value if quantize else None,
        opset=opset,
        exporter=exporter.value,
    )
    if as_json:
        print(json.dumps(rep, indent=2))
        return
    t = Table(title=f"Exported {escape(str(rep['path']))}", title_justify="left", show_header=False)
    t.add_column(style="bold")
    t.add_column()
    for k, v in rep.items():
        if k != "path":
            t.add_row(k.replace("_", " "), escape(str(v)))
    out.print(t)


def _fix_bare_onnx(args: list[str]) -> list[str]:
    """Let ``export --onnx`` be given without a value (it then writes the default file)."""
    args = list(args)
    if "export" in args and "--onnx" in args:
        i = args.index("--onnx")
        nxt = args[i + 1] if i + 1 < len(args) else None
        if nxt is None or nxt.startswith("-"):
            args.insert(i + 1, DEFAULT_ONNX)
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
