"""Every default and every choice list, in one leaf module (no torch, no forecastr imports).

The library's stage configs (:class:`ModelConfig`, :class:`TrainConfig`), the options of each
command (:class:`TrainOptions`, :class:`EvaluateDefaults`, :class:`ExportDefaults`...) and the
allowed values of every choice are written here once. ``models``, ``train``, ``modelcheck``,
``api`` and the CLI read them from here, so ``api.train(data)`` trains what ``forecastr train
data.csv`` trains (``tests/test_config.py`` checks every option).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, get_args

# -- choices --------------------------------------------------------------------------------
# Each Literal is the type; each tuple its values, in the order help texts list them.

Cell = Literal["rnn", "lstm", "gru"]
CellChoice = Literal["auto", "rnn", "lstm", "gru"]  # --model: auto chooses (AUTO_CELLS)
Decoder = Literal["direct", "seq2seq"]
Base = Literal["seasonal", "none"]  # what the network corrects: seasonal naive, or nothing
Loss = Literal["mae", "mse", "huber"]
LossScale = Literal["mase", "none"]
Scaler = Literal["standard", "minmax", "robust", "none"]
Device = Literal["auto", "cpu", "cuda"]
FillMethod = Literal["interpolate", "ffill", "zero", "error"]
# --aggregate: how the rows of one period of a series become its value (ingest/aggregate.py)
Aggregate = Literal["sum", "count", "mean", "min", "max", "last"]
Layout = Literal[
    "long", "wide", "single", "matrix", "pivot"
]  # a file's layout, as detected and stored
LayoutChoice = Literal[
    "auto", "long", "wide", "single", "matrix", "pivot"
]  # --layout: auto detects
OutputFormat = Literal["csv", "json", "parquet"]
Quantize = Literal["int8"]
Exporter = Literal["auto", "torchscript", "dynamo"]

CELLS: tuple[str, ...] = get_args(Cell)
CELL_CHOICES: tuple[str, ...] = get_args(CellChoice)
DECODERS: tuple[str, ...] = get_args(Decoder)
BASES: tuple[str, ...] = get_args(Base)
LOSSES: tuple[str, ...] = get_args(Loss)
LOSS_SCALES: tuple[str, ...] = get_args(LossScale)
SCALERS: tuple[str, ...] = get_args(Scaler)
DEVICES: tuple[str, ...] = get_args(Device)
FILLS: tuple[str, ...] = get_args(FillMethod)
AGGREGATES: tuple[str, ...] = get_args(Aggregate)
LAYOUTS: tuple[str, ...] = get_args(Layout)
LAYOUT_CHOICES: tuple[str, ...] = get_args(LayoutChoice)
FORMATS: tuple[str, ...] = get_args(OutputFormat)
QUANTIZE: tuple[str, ...] = get_args(Quantize)
EXPORTERS: tuple[str, ...] = get_args(Exporter)


def choices_text(values: Sequence[str]) -> str:
    """``("rnn", "lstm", "gru")`` -> ``"rnn, lstm or gru"``, for messages."""
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


# -- paths ----------------------------------------------------------------------------------

MODEL_DIR = "forecastr-model"  # where `train` saves and `predict`/`export` look by default
ONNX_FILE = "forecastr-model.onnx"  # what a bare `export --onnx` writes

# -- the network ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a forecaster; stored in the artifact so loading can rebuild it.

    A default here is also what a stored config without that field means.
    """

    window: int  # input points per forecast
    horizon: int  # points forecast at once
    cell: Cell = "gru"  # recurrent cell
    hidden: int = 64  # hidden units per layer (per direction)
    layers: int = 2  # stacked recurrent layers
    dropout: float = 0.0  # between recurrent layers (needs layers > 1)
    bidirectional: bool = False  # valid: the input window is entirely in the past
    decoder: Decoder = "direct"  # direct (all steps from the final state) | seq2seq
    attention: bool = False  # seq2seq only: attention over encoder outputs
    season_length: int = 1  # for the seasonal-naive base; 1 means the naive (last value) base
    window_norm: bool = True  # per-window normalisation
    base: Base = "seasonal"  # what the network corrects
    # Members averaged, each from its own seed. A stored config says how many it holds (1:
    # one network); what `train` asks for is TrainOptions.ensemble.
    ensemble: int = 1
    patch: int = 1  # points fed to the RNN per step: window / patch recurrent steps
    # Prediction intervals: central levels in percent (80, 95) and quantiles (0.1, 0.9) asked
    # for, ascending; the network learns the union (intervals.network_quantiles). (): a point
    # model, with no quantile head at all.
    levels: tuple[float, ...] = ()
    quantiles: tuple[float, ...] = ()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["levels"], d["quantiles"] = list(self.levels), list(self.quantiles)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        names = {f.name for f in fields(cls)}
        kept = {k: v for k, v in d.items() if k in names}
        for k in ("levels", "quantiles"):  # JSON lists -> tuples (a frozen, comparable config)
            if k in kept:
                kept[k] = tuple(float(v) for v in kept[k])
        return cls(**kept)


def model_defaults() -> dict[str, Any]:
    """ModelConfig's fields with a default (window and horizon have none), by name."""
    return {f.name: f.default for f in fields(ModelConfig) if f.name not in ("window", "horizon")}


# --model auto: the holdout run trains its first member as each of these cells and keeps the
# first (the default) unless another one's validation loss is AUTO_CELL_MARGIN lower, for
# member 0 and for the mean of members 0 and 1 (forecastr/cellchoice.py); every member then
# uses the cell kept. The vanilla RNN trains in a third of the GRU's time and was
# clearly better on some data (Tourism monthly, two sample files since removed) and worse
# on the rest (docs/benchmarks.md), so validation decides, and a near tie keeps the GRU.
AUTO_CELLS: tuple[Cell, ...] = ("gru", "rnn")
AUTO_CELL_MARGIN = 0.02

# -- training -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainConfig:
    """How to train; stored with the model so a refit per fold retrains the same way."""

    epochs: int = 100  # upper bound; early stopping usually ends sooner
    batch_size: int = 64  # windows per step
    lr: float = 3e-3  # peak of the one-cycle schedule
    weight_decay: float = 1e-4  # AdamW
    loss: Loss = "mae"  # in per-series scaled units
    clip_norm: float = 1.0  # max global gradient norm; 0 disables clipping
    patience: int = 10  # epochs without validation improvement before stopping
    max_batches: int = 50  # per epoch: large data sets are sampled, not swept
    scaler: Scaler = "standard"  # per-series scaler fitted on the training part
    # validation points per series; None: one horizon (train's holdout run: several for a
    # file of few long series, combine.with_validation)
    val_size: int | None = None
    test_size: int | None = None  # held-out test points per series; None: horizon
    seed: int = 0  # member k trains from seed + k
    device: Device = "auto"  # auto: cuda when available, else cpu
    threads: int = 1  # torch intra-op threads (1 measured fastest and steadiest here)
    # Members trained side by side in worker processes (parallel.py): 0, one per `threads`
    # of the cores this process may use; 1, every member in this process. The same model to
    # the bit either way; only the time differs.
    jobs: int = 0
    teacher_forcing: float = 0.5  # seq2seq: probability of feeding the true previous value
    teacher_forcing_decay: bool = False  # seq2seq: decay the ratio linearly to 0
    # Per-series weight of the loss: "mase" weighs each series' errors by 1 / its in-sample
    # naive MAE (what MASE divides by), so a smooth trending series counts as much as a noisy
    # one; "none" leaves them in the scaler's units.
    loss_scale: LossScale = "none"
    # Choose the cell among AUTO_CELLS on validation (--model auto); False: the model's cell.
    auto_cell: bool = False
    # Steps the network trains for; None: the model's horizon. A longer one trains the
    # network for this many steps and keeps the first `horizon` of its outputs (train's rule
    # for many series with no season: longer.py). The test part stays the model's horizon;
    # the validation part holds this many steps.
    train_horizon: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


# -- the commands ---------------------------------------------------------------------------


# TrainConfig's fields that are no option: train sets them (--model auto, and the rule of
# longer.training_horizon).
CHOSEN_IN_TRAINING = ("auto_cell", "train_horizon")


@dataclass(frozen=True)
class TrainOptions:
    """Every option of ``forecastr train`` (the CLI's parameters carry these names).

    The defaults are ModelConfig's and TrainConfig's, except where ``train`` chooses from the
    data (None) and the ensemble size. ``api.train(data)`` trains with exactly these.
    """

    # the network (ModelConfig); None: chosen from the data (autoconfig.py)
    cell: CellChoice = "auto"  # recurrent cell (--model); auto: chosen on validation
    window: int | None = None  # None: the longest season that fits, two of the shortest
    horizon: int | None = None  # None: from the frequency (frequency.py)
    layers: int = ModelConfig.layers
    hidden: int = ModelConfig.hidden
    dropout: float = ModelConfig.dropout
    bidirectional: bool = ModelConfig.bidirectional
    decoder: Decoder = ModelConfig.decoder
    attention: bool = ModelConfig.attention
    ensemble: int = 3  # members trained from consecutive seeds and averaged (steadier)
    patch: int | None = None  # None: 1 for windows up to 48, else at most 12 recurrent steps
    # The user's seasons (the first is the base the network corrects); None: the calendar's
    # seasons the training part shows, or seasons detected from it.
    season_length: int | Sequence[int] | None = None
    # Prediction intervals (--level 80,95) and quantiles (--quantiles 0.1,0.9); None: none,
    # a point forecast only (ModelConfig's ()).
    levels: Sequence[float] | None = None
    quantiles: Sequence[float] | None = None
    refit: bool = True  # after the holdout report, retrain on every point and save that
    # average the network with the Theta method where validation prefers it (combine.py)
    theta: bool = True
    # training (TrainConfig)
    epochs: int = TrainConfig.epochs
    batch_size: int = TrainConfig.batch_size
    max_batches: int = TrainConfig.max_batches
    lr: float = TrainConfig.lr
    loss: Loss = TrainConfig.loss
    loss_scale: LossScale = TrainConfig.loss_scale
    clip_norm: float = TrainConfig.clip_norm
    patience: int = TrainConfig.patience
    scaler: Scaler = TrainConfig.scaler
    val_size: int | None = TrainConfig.val_size
    teacher_forcing: float = TrainConfig.teacher_forcing
    teacher_forcing_decay: bool = TrainConfig.teacher_forcing_decay
    seed: int = TrainConfig.seed
    device: Device = TrainConfig.device
    threads: int = TrainConfig.threads
    jobs: int = TrainConfig.jobs
    # library only (no flag): AdamW's decay, and the held-out test points per series
    weight_decay: float = TrainConfig.weight_decay
    test_size: int | None = TrainConfig.test_size

    def model_settings(self) -> dict[str, Any]:
        """The ModelConfig fields set here (None: chosen from the data, left out). Not
        ``season_length``: here the user's seasons, there the base chosen from them."""
        names = {f.name for f in fields(ModelConfig)} - {"season_length"}
        chosen = {"cell": "auto"}  # left to the training run (TrainConfig.auto_cell)
        return {
            k: v
            for k, v in asdict(self).items()
            if k in names and v is not None and chosen.get(k) != v
        }

    def train_config(self) -> TrainConfig:
        """The TrainConfig these options ask for."""
        names = [f.name for f in fields(TrainConfig) if f.name not in CHOSEN_IN_TRAINING]
        return TrainConfig(**{k: getattr(self, k) for k in names}, auto_cell=self.cell == "auto")


@dataclass(frozen=True)
class IngestDefaults:
    """How a CSV is read when no flag says otherwise (``data.IngestOptions``)."""

    fill: FillMethod = "interpolate"  # missing timestamps and empty values
    # ... where rows are summed or counted per period (--aggregate sum/count): a period with
    # no rows had nothing to add up (no sales that day), and interpolating would invent some
    fill_totals: FillMethod = "zero"
    layout: LayoutChoice = "auto"  # detected from the header

    def fill_for(self, aggregate: str | None) -> FillMethod:
        """The fill when no --fill is given, for rows aggregated by ``aggregate`` (or not)."""
        return self.fill_totals if aggregate in ("sum", "count") else self.fill


@dataclass(frozen=True)
class EvaluateDefaults:
    """``forecastr evaluate`` / ``api.evaluate``."""

    folds: int = 1  # rolling-origin folds; 1 is a holdout
    step: int | None = None  # points between fold origins; None: the horizon
    refit: bool = False  # retrain the model on each fold's history
    top: int = 10  # best and worst series shown by --per-series


@dataclass(frozen=True)
class PredictDefaults:
    """``forecastr predict`` / ``api.predict``."""

    format: OutputFormat = "csv"  # what forecasts are written as
    threads: int = 1  # onnxruntime intra-op threads (one session, sequential)


@dataclass(frozen=True)
class ExportDefaults:
    """``forecastr export`` / ``api.export`` / ``export.export_onnx``."""

    tolerance: float = 1e-4  # largest relative error between onnxruntime and torch
    exporter: Exporter = "auto"  # TorchScript, falling back to dynamo
    opset: int | None = None  # None: the exporter's (OPSETS)
    quantize: Quantize | None = None  # also write an int8 copy


# Default ONNX opset per exporter: 17 runs on every onnxruntime >= 1.14 and has all the ops
# these graphs use; the dynamo exporter starts at 18.
OPSETS = {"torchscript": 17, "dynamo": 18}

INGEST = IngestDefaults()
EVALUATE = EvaluateDefaults()
PREDICT = PredictDefaults()
EXPORT = ExportDefaults()
