"""The CLI's flags: each option's name, help text and help panel, declared once.

The commands in :mod:`forecastr.cli` read as their parameter lists: ``layers: Layers =
TRAIN.layers``. Choice lists are Enums made from :mod:`forecastr.config`'s tuples (Typer shows
and checks their values), and every default comes from there too.
"""

# Enum() with a computed member list is what makes the choices config's; mypy cannot list
# such members statically (its "misc" error), and needs not: the values are plain strings.
# mypy: disable-error-code="misc"

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from forecastr import config
from forecastr.config import MODEL_DIR, ONNX_FILE, TrainOptions

TRAIN = TrainOptions()  # the defaults of every `train` option

Fill = Enum("Fill", {v: v for v in config.FILLS}, type=str)
Agg = Enum("Agg", {v: v for v in config.AGGREGATES}, type=str)
LayoutOpt = Enum("LayoutOpt", {v: v for v in config.LAYOUT_CHOICES}, type=str)
Cell = Enum("Cell", {v: v for v in config.CELL_CHOICES}, type=str)
Decoder = Enum("Decoder", {v: v for v in config.DECODERS}, type=str)
Loss = Enum("Loss", {v: v for v in config.LOSSES}, type=str)
ScalerOpt = Enum("ScalerOpt", {v: v for v in config.SCALERS}, type=str)
Device = Enum("Device", {v: v for v in config.DEVICES}, type=str)
Fmt = Enum("Fmt", {v: v for v in config.FORMATS}, type=str)
Quant = Enum("Quant", {v: v for v in config.QUANTIZE}, type=str)
Exporter = Enum("Exporter", {v: v for v in config.EXPORTERS}, type=str)

DATA_HELP = (
    "CSV file. Layout is detected from the header: [b]long[/b] (an id column such as "
    "unique_id, plus time and value columns), [b]wide[/b] (a time column and one column per "
    "series), [b]single[/b] (a time column and one value column), [b]matrix[/b] (a row per "
    "year, a column per month) or [b]pivot[/b] (a row per series, a column per date)."
)
G_DATA = "Reading the CSV"
G_MODEL = "Model"
G_TRAIN = "Training"

Data = Annotated[str, typer.Argument(metavar="DATA", help=DATA_HELP, show_default=False)]
InfoJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
TrainJson = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]
EvalJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ExportJson = Annotated[bool, typer.Option("--json", help="Print the export report as JSON.")]

# -- reading the CSV (every command that reads one) -----------------------------------------

IdCol = Annotated[
    str | None,
    typer.Option(
        "--id-col",
        help="Series id column (forces long layout); store+item joins several into one id.",
        rich_help_panel=G_DATA,
    ),
]
TimeCol = Annotated[
    str | None,
    typer.Option(
        "--time-col",
        help=(
            "Time column (default: one named ds/date/time/timestamp/..., else the first); "
            'year+month+day joins split parts; "(row)" numbers the rows.'
        ),
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
    Fill | None,
    typer.Option(
        "--fill",
        help="Missing timestamps and empty values: interpolate linearly, carry the last value "
        f"forward, use zero, or stop with an error. Default: {config.INGEST.fill} (with "
        f"--aggregate sum or count: {config.INGEST.fill_totals}, an empty period is nothing).",
        rich_help_panel=G_DATA,
        show_default=False,
    ),
]
AggregateOpt = Annotated[
    Agg | None,
    typer.Option(
        "--aggregate",
        help="A row per event (sales, orders, readings), several to a period: reduce the rows "
        "of each series in each --freq period (or at each timestamp) to one value. A model "
        "remembers it, and reads new data the same way.",
        rich_help_panel=G_DATA,
    ),
]
LayoutArg = Annotated[
    LayoutOpt,
    typer.Option("--layout", help="Override layout detection.", rich_help_panel=G_DATA),
]
FILL = None  # config.INGEST.fill_for(--aggregate)
LAYOUT = LayoutOpt(config.INGEST.layout)

# -- train: the model -----------------------------------------------------------------------

CellOpt = Annotated[
    Cell,
    typer.Option(
        "--model",
        "-m",
        help="Recurrent cell. auto: the GRU, or the vanilla RNN when its validation loss is "
        "2% lower for the first member and for the mean of the first two (each trains as both).",
        rich_help_panel=G_MODEL,
    ),
]
ModelOut = Annotated[str, typer.Option("--out", "-o", help="Model directory to write.")]
Window = Annotated[
    int | None,
    typer.Option(
        help="Input points per forecast. Default: from the season length (at least the "
        "longest season that fits, two of the shortest), capped at 512.",
        rich_help_panel=G_MODEL,
    ),
]
Horizon = Annotated[
    int | None,
    typer.Option(
        help="Points to forecast. Default: from the frequency (one day of sub-daily "
        "data, 14 days, 13 weeks, 12 months, 8 quarters, 6 years).",
        rich_help_panel=G_MODEL,
    ),
]
Layers = Annotated[int, typer.Option(help="Recurrent layers.", rich_help_panel=G_MODEL)]
Hidden = Annotated[int, typer.Option(help="Hidden units.", rich_help_panel=G_MODEL)]
Dropout = Annotated[float, typer.Option(help="Dropout between layers.", rich_help_panel=G_MODEL)]
Bidirectional = Annotated[
    bool,
    typer.Option("--bidirectional", help="Bidirectional encoder.", rich_help_panel=G_MODEL),
]
DecoderOpt = Annotated[
    Decoder,
    typer.Option(
        help="direct: all horizon steps at once from the final state; seq2seq: a decoder "
        "RNN unrolled over the horizon.",
        rich_help_panel=G_MODEL,
    ),
]
Attention = Annotated[
    bool,
    typer.Option(
        "--attention", help="Attention over encoder steps (seq2seq).", rich_help_panel=G_MODEL
    ),
]
Ensemble = Annotated[
    int,
    typer.Option(
        help="Members trained from consecutive seeds and averaged (steadier forecasts).",
        rich_help_panel=G_MODEL,
    ),
]
Patch = Annotated[
    int | None,
    typer.Option(
        help="Points fed to the RNN per step (must divide the window). Default: 1 for "
        "windows up to 48, else enough to keep at most 12 recurrent steps.",
        rich_help_panel=G_MODEL,
    ),
]
Seasons = Annotated[
    str | None,
    typer.Option(
        help="Season length(s), e.g. 12 or 48,336: the first is the seasonal-naive base "
        "the network corrects and the report's main season; every one gets a seasonal-naive "
        "baseline. Default: the calendar's seasons the data shows, or seasons detected "
        "from the training part (see `forecastr info`).",
        rich_help_panel=G_MODEL,
    ),
]

Levels = Annotated[
    str | None,
    typer.Option(
        "--level",
        help="Prediction intervals: central levels in percent, e.g. 80,95. The network "
        "learns their bounds with the pinball loss; split-conformal shifts on the validation "
        "windows calibrate them; predict writes lo-80, hi-80, ... columns. The point "
        "forecast is unchanged. Default: none.",
        rich_help_panel=G_MODEL,
    ),
]
Quantiles = Annotated[
    str | None,
    typer.Option(
        help="Quantiles to forecast, e.g. 0.1,0.5,0.9 (calibrated like --level); predict "
        "writes one column per quantile (q-0.1, ...). Default: none.",
        rich_help_panel=G_MODEL,
    ),
]

EvalLevels = Annotated[
    str | None,
    typer.Option(
        "--level",
        help="Interval levels to score, e.g. 80,95 (coverage, MSIS, pinball): the "
        "baselines get empirical intervals from their in-sample errors. Default: the "
        "model's own levels; none for the baselines alone.",
    ),
]

# -- train: the training run ----------------------------------------------------------------

Refit = Annotated[
    bool,
    typer.Option(
        "--refit/--no-refit",
        help="After the holdout report, retrain on every point (validation and test "
        "included) for the epochs early stopping chose, and save that model. --no-refit "
        "saves the evaluated holdout model.",
        rich_help_panel=G_TRAIN,
    ),
]
Theta = Annotated[
    bool,
    typer.Option(
        "--theta/--no-theta",
        help="Average the network's forecast with the optimised Theta method's where "
        "validation says the average is better (the summary shows the choice). --no-theta: "
        "the network alone.",
        rich_help_panel=G_TRAIN,
    ),
]
Epochs = Annotated[int, typer.Option(help="Maximum epochs.", rich_help_panel=G_TRAIN)]
BatchSize = Annotated[int, typer.Option(help="Windows per step.", rich_help_panel=G_TRAIN)]
MaxBatches = Annotated[
    int, typer.Option(help="Batches per epoch (large data is sampled).", rich_help_panel=G_TRAIN)
]
Lr = Annotated[float, typer.Option(help="Peak learning rate (one-cycle).", rich_help_panel=G_TRAIN)]
LossOpt = Annotated[Loss, typer.Option(help="Training loss.", rich_help_panel=G_TRAIN)]
LossScale = Annotated[
    str,
    typer.Option(
        help="Per-series loss weight: mase (errors divided by the series' in-sample naive "
        "MAE, as MASE does) or none (the scaler's units).",
        rich_help_panel=G_TRAIN,
    ),
]
ClipNorm = Annotated[
    float, typer.Option(help="Gradient clipping max norm; 0 disables.", rich_help_panel=G_TRAIN)
]
Patience = Annotated[
    int, typer.Option(help="Early-stopping patience (epochs).", rich_help_panel=G_TRAIN)
]
ScalerChoice = Annotated[
    ScalerOpt,
    typer.Option(help="Per-series scaler, fitted on training data.", rich_help_panel=G_TRAIN),
]
ValSize = Annotated[
    int | None,
    typer.Option(
        help="Validation points per series (default: horizon; up to 7 horizons in all for a "
        "file of few long series).",
        rich_help_panel=G_TRAIN,
    ),
]
TeacherForcing = Annotated[
    float, typer.Option(help="seq2seq: teacher-forcing probability.", rich_help_panel=G_TRAIN)
]
TeacherForcingDecay = Annotated[
    bool,
    typer.Option(
        "--teacher-forcing-decay",
        help="seq2seq: decay teacher forcing linearly to 0.",
        rich_help_panel=G_TRAIN,
    ),
]
Seed = Annotated[int, typer.Option(help="Random seed.", rich_help_panel=G_TRAIN)]
DeviceOpt = Annotated[Device, typer.Option(help="Device.", rich_help_panel=G_TRAIN)]
Threads = Annotated[int, typer.Option(help="CPU threads for torch.", rich_help_panel=G_TRAIN)]
Jobs = Annotated[
    int,
    typer.Option(
        min=0,
        help="Members trained side by side, one worker process each: 0, one per core "
        "(per --threads of them); 1, all in this process. The same model either way.",
        rich_help_panel=G_TRAIN,
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]

# -- evaluate -------------------------------------------------------------------------------

EvalFirst = Annotated[
    str,
    typer.Argument(
        metavar="[MODEL] DATA",
        help="A model (directory or .onnx) and a CSV, or just a CSV to score the baselines.",
        show_default=False,
    ),
]
Second = Annotated[str | None, typer.Argument(show_default=False, hidden=True)]
Folds = Annotated[int, typer.Option(help="Rolling-origin folds (1 = holdout).")]
Step = Annotated[int | None, typer.Option(help="Points between fold origins (default: horizon).")]
EvalRefit = Annotated[
    bool,
    typer.Option("--refit", help="Retrain the model on each fold's history (default: no refit)."),
]
EvalHorizon = Annotated[
    int | None, typer.Option(help="Points to forecast (default: the model's or frequency's).")
]
EvalSeason = Annotated[
    int | None, typer.Option(help="Season for seasonal naive and MASE (default: frequency).")
]
PerSeries = Annotated[bool, typer.Option("--per-series", help="Add a per-series table.")]
Top = Annotated[int, typer.Option(help="Best/worst N series in --per-series.")]
Plot = Annotated[str | None, typer.Option(help="Write a PNG of history, actuals and forecasts.")]
SeriesOpt = Annotated[
    list[str] | None, typer.Option("--series", help="Series to plot (repeatable).")
]
PlotAttention = Annotated[
    str | None,
    typer.Option(help="seq2seq+attention model: PNG heatmap of one forecast's attention."),
]

# -- predict --------------------------------------------------------------------------------

PredictFirst = Annotated[
    str | None,
    typer.Argument(
        metavar="[MODEL] [DATA]",
        help=f"A model directory or .onnx file (default: ./{MODEL_DIR}) and optionally "
        "a CSV to forecast after; without a CSV the model's stored data is used.",
        show_default=False,
    ),
]
ForecastOut = Annotated[
    str | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")
]
FormatOpt = Annotated[Fmt, typer.Option("--format", help="Output format.")]

# -- export ---------------------------------------------------------------------------------

ModelDir = Annotated[str, typer.Argument(help="Model directory.", show_default=True)]
OnnxOut = Annotated[
    str,
    typer.Option("--onnx", help=f"ONNX file to write (bare --onnx writes {ONNX_FILE})."),
]
QuantOpt = Annotated[
    Quant | None, typer.Option(help="Also quantize weights (onnxruntime dynamic int8).")
]
Tolerance = Annotated[float, typer.Option(help="Max relative error allowed by the parity check.")]
ExporterOpt = Annotated[
    Exporter,
    typer.Option(
        help="torch.onnx path: auto = TorchScript (native RNN/GRU/LSTM ops, small and "
        "fastest at batch 1), falling back to dynamo; see docs/onnx.md."
    ),
]
Opset = Annotated[int | None, typer.Option(help="ONNX opset (default: the exporter's).")]
