"""ONNX inference with onnxruntime and numpy: the edge install, which never imports torch.

A file written by :func:`forecastr.export.export_onnx` holds the whole forecaster, scaling
included, and everything needed to use it in its ``metadata_props``::

    fc = OnnxPredictor.from_onnx("model.onnx")   # load once (one session, one thread)
    fc.predict(last_48_values)                   # (W,) or (B, W) raw -> (B, H) original units
    fc.predict(windows, series=["DE", "FR"])     # multi-series model: ids or indices

The graph's inputs are ``x`` (batch, window) float32 raw values and ``series`` (batch,) int64,
the index of each row's series in ``ids`` (the ``series_ids`` metadata); its output is
``forecast`` (batch, horizon) float32 in original units.

Only numpy, pandas, onnxruntime and the torch-free ``forecastr`` modules are imported here;
``tests/test_torch_free.py`` checks it in a fresh interpreter.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from forecastr.config import PREDICT, SCALERS
from forecastr.errors import ArtifactError, InputError, shown
from forecastr.forecast import Schema
from forecastr.jsonfields import (
    MAX_JSON_CHARS,
    MAX_JSON_VALUES,
    Where,
    choice,
    is_number,
    key_text,
    loads_bounded,
    text,
)
from forecastr.modelcheck import (
    INT64_MAX,
    INT64_MIN,
    MAX_HORIZON,
    MAX_STEP,
    MAX_WINDOW,
    REEXPORT,
    check_future,
    check_model,
    check_schema,
    check_sizes,
    check_train_end,
)

FORMAT = "forecastr-onnx"
FORMAT_VERSION = 1
INPUTS = ("x", "series")
OUTPUT = "forecast"
# Keys every forecastr ONNX file carries; a truncated file loses the last ones first.
REQUIRED = (
    "format",
    "format_version",
    "window",
    "horizon",
    "step",
    "series_ids",
    "scaler",
    "model",
    "schema",
    "train_end",
    "name",
    "forecastr_version",
)
_CHUNK = 4096  # rows per session.run in forecast(): bounded memory for huge batches


class OnnxPredictor:
    """A forecastr ONNX model behind the :class:`~forecastr.predictor.Predictor` contract.

    Attributes:
        path: the file it was loaded from.
        name: display name of the network (``"GRU"``, ``"BiLSTM seq2seq+attn"``).
        window: raw values each forecast reads.
        horizon: steps each forecast returns.
        ids: series ids; ``series`` indices refer to this list.
        schema: the training data's schema (ids, frequency, step, columns, layout).
        context: ``((S, window) float64 values, [S last timestamps])`` of the training data,
            or None when the export left it out (large panels).
        train_end: last timestamp per series seen in training, or None.
        model_config: the network's settings (``models.ModelConfig``'s fields).
        training_config, refit, seasons, evaluation: what a model directory also records
            about its training; an ONNX file does not carry them (empty, False).
        metadata: every ``metadata_props`` entry as stored (strings).
    """

    def __init__(self, session, metadata: dict, path: str):
        self.path = path
        self.session = session
        self.metadata = metadata
        meta = _parse(metadata, path)
        self.name: str = meta["name"]
        self.window: int = meta["window"]
        self.horizon: int = meta["horizon"]
        self.ids: list[str] = meta["ids"]
        self.schema: Schema = meta["schema"]
        self.model_config: dict = meta["model"]
        self.train_end: dict | None = meta["train_end"] or None
        self.context = meta["context"]
        self.training_config: dict = {}  # an ONNX file cannot be retrained
        self.refit = False
        self.seasons: list[dict] = []
        self.evaluation: dict = {}
        self._reference: tuple[float, float] | None = meta["reference_scaling"]
        self._index = {s: i for i, s in enumerate(self.ids)}
        _check_signature(session, self.window, self.horizon, path)
        self._check_runs()

    @classmethod
    def from_onnx(cls, path: str | os.PathLike, threads: int = PREDICT.threads) -> OnnxPredictor:
        """Open ``path`` in one onnxruntime session (CPU, sequential, ``threads`` intra-op).

        Raises:
            ArtifactError: missing, unreadable, corrupt, truncated or foreign file.
        """
        path = os.fspath(path)
        if not os.path.exists(path):
            raise ArtifactError(
                f"{path}: no such ONNX file; export one with `forecastr export MODEL --onnx {path}`"
            )
        if not os.path.isfile(path):
            raise ArtifactError(f"{path}: is not a file; pass the .onnx file")
        if threads < 1:
            raise InputError(f"threads must be at least 1, got {threads}")
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3  # errors only: no provider chatter on stderr
        try:
            session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own pybind error types
            raise ArtifactError(
                f"{path}: not a readable ONNX model (corrupt or truncated?): {_ort_reason(err)}"
            ) from None
        metadata = dict(session.get_modelmeta().custom_metadata_map)
        return cls(session, metadata, path)

    # -- inference -------------------------------------------------------------------------

    def predict(self, windows, series=None) -> np.ndarray:
        """Forecast from raw windows.

        Args:
            windows: (W,) one window or (B, W) windows of raw values, oldest first.
            series: which series each window belongs to: None (single-series models), one id
                or index for every row, or a sequence of B ids or indices into :attr:`ids`.

        Returns:
            (B, H) float32 forecasts in original units (B = 1 for a 1-D window).
        """
        x = np.asarray(windows, dtype=np.float32)
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != self.window:
            got = x.shape[-1] if x.ndim else 0
            raise InputError(
                f"expected windows of {self.window} values (shape (W,) or (B, {self.window})), "
                f"got shape {np.shape(windows)} ({got} values per window)"
            )
        if not np.isfinite(x).all():
            raise InputError("the windows hold NaN or infinite values; fill them first")
        idx = self._series_index(series, len(x))
        if len(x) == 0:
            return np.zeros((0, self.horizon), dtype=np.float32)
        return self._run(np.ascontiguousarray(x), idx)

    def forecast(self, windows: np.ndarray, series_ids: Sequence[str]) -> np.ndarray:
        """Predictor contract: (B, window) raw windows of named series -> (B, horizon)."""
        x = np.asarray(windows, dtype=np.float32)
        if len(x) == 0:
            return np.zeros((0, self.horizon))
        idx = self._series_index(list(series_ids), len(x))
        out = [self._run(x[i : i + _CHUNK], idx[i : i + _CHUNK]) for i in range(0, len(x), _CHUNK)]
        return np.concatenate(out).astype(np.float64)

    def series_scaling(self, i: int) -> tuple[float, float]:
        """(loc, scale) of series 0's per-series scaler, in which new series are forecast
        (the ``reference_scaling`` metadata; only series 0 is stored)."""
        if i != 0 or self._reference is None:
            return 0.0, 1.0
        return self._reference

    def _run(self, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        try:
            return self.session.run([OUTPUT], {"x": x, "series": idx})[0]
        except Exception as err:  # onnxruntime's own error types: the graph, not the input
            raise ArtifactError(
                f"{self.path}: the graph failed to run ({_ort_reason(err)}); the file is "
                "damaged: export the model again"
            ) from None

    def _check_runs(self) -> None:
        """One forecast of the first and the last series: a graph whose series table is
        shorter than ``series_ids``, or whose output is not (batch, horizon), is refused
        here rather than at the first real forecast."""
        x = np.zeros((2, self.window), dtype=np.float32)
        out = self._run(x, np.array([0, len(self.ids) - 1], dtype=np.int64))
        if np.shape(out) != (2, self.horizon):
            raise ArtifactError(
                f"{self.path}: the graph forecasts shape {np.shape(out)} for 2 windows, not "
                f"(2, {self.horizon}); export the model again"
            )

    def _series_index(self, series, batch: int) -> np.ndarray:
        """(batch,) int64 indices into ``ids`` from None, one id/index, or a sequence."""
        if series is None:
            if len(self.ids) != 1:
                raise InputError(
                    f"this model forecasts {len(self.ids)} series; pass series= with an id or "
                    f"index per window (ids: {_ids_text(self.ids)})"
                )
            return np.zeros(batch, dtype=np.int64)
        if isinstance(series, str | int | np.integer):
            series = [series] * batch
        arr = np.asarray(series)
        if arr.ndim != 1 or len(arr) != batch:
            raise InputError(f"got {arr.size} series for {batch} windows; pass one per window")
        if arr.dtype.kind in "iu":  # indices into ids
            bad = (arr < 0) | (arr >= len(self.ids))
            if bad.any():
                raise InputError(
                    f"series index {int(arr[bad][0])} is out of range; the model knows "
                    f"{len(self.ids)} series (0..{len(self.ids) - 1})"
                )
            return arr.astype(np.int64)
        try:
            idx = np.fromiter((self._index[str(s)] for s in arr), dtype=np.int64, count=batch)
        except KeyError as err:
            raise InputError(
                f"series {err.args[0]!r} is not known to the model (ids: {_ids_text(self.ids)})"
            ) from None
        return idx


def _parse(meta: dict, path: str) -> dict:
    """Validate and decode the forecastr metadata, every key typed and bounded before any of
    it is used; any problem is one ArtifactError line naming the key."""
    if meta.get("format") != FORMAT:
        raise ArtifactError(
            f"{path}: an ONNX model without forecastr metadata (a foreign model, or a truncated "
            "file); export one with `forecastr export`"
        )
    version = meta.get("format_version")
    if version != str(FORMAT_VERSION):
        raise ArtifactError(
            f"{path}: forecastr ONNX format version {key_text(str(version))} but this "
            f"forecastr reads version {FORMAT_VERSION}; export the model again with this version"
        )
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise ArtifactError(
            f"{path}: forecastr metadata is incomplete (missing {', '.join(missing)}); "
            "the file is truncated or was edited; export it again"
        )
    w = Where(path, REEXPORT, label="metadata")
    _check_budget(w, meta)
    window = _meta_int(w, meta, "window", 2, MAX_WINDOW)
    horizon = _meta_int(w, meta, "horizon", 1, MAX_HORIZON)
    model = check_model(w, _json(w, meta, "model"))
    for key, value in (("window", window), ("horizon", horizon)):
        if model[key] != value:
            raise w.refuse(f"model.{key}", model[key], f"{value}, as metadata {key} says")
    schema = check_schema(w, _json(w, meta, "schema"), "schema")
    ids = _json(w, meta, "series_ids")
    if ids != schema.ids:
        raise w.refuse("series_ids", ids, "the ids of metadata schema.ids")
    if _meta_int(w, meta, "step", 1, MAX_STEP) != schema.step:
        raise w.refuse("step", meta["step"], f"{schema.step}, as metadata schema.step says")
    if "freq" in meta and meta["freq"] != (schema.freq or ""):  # informational; must agree
        raise w.refuse("freq", meta["freq"], f"{schema.freq or ''!r}, as metadata schema says")
    check_sizes(w, model, len(ids), "series_ids")
    choice(w, meta, "scaler", SCALERS)
    return {
        "name": text(w, meta, "name"),
        "window": window,
        "horizon": horizon,
        "ids": ids,
        "schema": schema,
        "model": model,
        "train_end": check_train_end(w, _json(w, meta, "train_end"), ids, schema.freq, "train_end"),
        "context": _context(w, _json(w, meta, "context"), schema, window, horizon)
        if "context" in meta
        else None,
        "reference_scaling": _reference(w, _json(w, meta, "reference_scaling"))
        if "reference_scaling" in meta
        else None,
    }


def _check_budget(w: Where, meta: dict) -> None:
    """All metadata together within what one bounded JSON document may hold, checked before
    any of it is parsed (each key is also bounded on its own when parsed)."""
    if not all(isinstance(v, str) for v in meta.values()):
        raise w.fail("metadata values are not all strings")
    chars = sum(len(v) for v in meta.values())
    values = sum(v.count(c) for v in meta.values() for c in ",:[{")
    if chars > 2 * MAX_JSON_CHARS or values > MAX_JSON_VALUES:
        raise w.fail(
            f"forecastr metadata of {chars:,} characters and about {values:,} values is more "
            "than a forecastr export writes"
        )


def _meta_int(w: Where, meta: dict, key: str, lo: int, hi: int) -> int:
    """A metadata integer: plain ASCII digits, in ``[lo, hi]``."""
    raw = meta[key]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19 and lo <= int(raw) <= hi):
        raise w.refuse(key, raw, f"an integer from {lo} to {hi}")
    return int(raw)


def _json(w: Where, meta: dict, key: str):
    try:
        return loads_bounded(meta[key])
    except ValueError as err:
        raise w.fail(f"corrupt forecastr metadata: {key} is not JSON ({err})") from None


def _context(w: Where, ctx, schema: Schema, window: int, horizon: int):
    """Stored context -> ((S, W) float64 values, list of S last timestamps)."""
    n = len(schema.ids)
    if not isinstance(ctx, dict):
        raise w.refuse("context", ctx, "an object (values, last)")
    values = ctx.get("values")
    if not isinstance(values, list) or len(values) != n:
        raise w.refuse("context.values", values, f"a list of {n} windows, one per series")
    for i, row in enumerate(values):
        if not (isinstance(row, list) and len(row) == window and all(map(is_number, row))):
            raise w.refuse(f"context.values[{i}]", row, f"a list of {window} finite numbers")
    last = ctx.get("last")
    if not isinstance(last, list) or len(last) != n:
        raise w.refuse("context.last", last, f"a list of {n} timestamps, one per series")
    for i, v in enumerate(last):
        if type(v) is not int or not INT64_MIN <= v <= INT64_MAX:
            raise w.refuse(f"context.last[{i}]", v, "a 64-bit integer timestamp")
    stamps = np.asarray(last, dtype=np.int64)
    check_future(w, stamps, schema, horizon, "metadata context.last")
    arr = np.asarray(values, dtype=np.float64).reshape(n, window)
    if not (np.abs(arr) <= np.finfo(np.float32).max).all():  # the graph reads float32
        raise w.fail("metadata context.values holds values beyond the float32 range")
    if schema.freq is None:
        return arr, [int(v) for v in stamps]
    return arr, list(stamps.astype("datetime64[ns]"))


def _reference(w: Where, pair) -> tuple[float, float]:
    """(loc, scale) of series 0: two finite numbers, the scale positive."""
    if not (isinstance(pair, list) and len(pair) == 2 and all(map(is_number, pair))):
        raise w.refuse("reference_scaling", pair, "[loc, scale]: two finite numbers")
    if not pair[1] > 0:
        raise w.refuse("reference_scaling", pair, "a positive scale")
    return float(pair[0]), float(pair[1])


def _check_signature(session, window: int, horizon: int, path: str) -> None:
    """The graph must take ``x`` (batch, window) and ``series`` (batch,), give ``forecast``."""
    ins = {i.name: i for i in session.get_inputs()}
    outs = {o.name: o for o in session.get_outputs()}
    if set(ins) != set(INPUTS) or OUTPUT not in outs:
        raise ArtifactError(
            f"{path}: the graph's inputs/outputs are not forecastr's (x, series -> forecast)"
        )
    x_shape, out_shape = ins["x"].shape or [None], outs[OUTPUT].shape or [None]
    if x_shape[-1] != window or out_shape[-1] != horizon:
        raise ArtifactError(f"{path}: the graph's shapes disagree with its window/horizon metadata")


def _ids_text(ids: list[str]) -> str:
    return ", ".join(shown(s, 40) for s in ids[:5]) + (", ..." if len(ids) > 5 else "")


def _ort_reason(err: BaseException) -> str:
    """onnxruntime's load error without its code location and C++ signature."""
    text = " ".join(str(err).split())
    text = text.split(" failed:", 1)[-1]  # "[ONNXRuntimeError] : 7 : ... Load model from X failed:"
    if text.startswith("/onnxruntime_src/"):
        text = text.rsplit(") ", 1)[-1]
    return text[:300] or type(err).__name__
