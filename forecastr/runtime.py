"""ONNX inference with onnxruntime and numpy: the edge install, which never imports torch.

A file written by :func:`forecastr.export.export_onnx` holds the whole forecaster, scaling
included, and everything needed to use it in its ``metadata_props``::

    fc = Forecaster.from_onnx("model.onnx")      # load once (one session, one thread)
    fc.predict(last_48_values)                   # (W,) or (B, W) raw -> (B, H) original units
    fc.predict(windows, series=["DE", "FR"])     # multi-series model: ids or indices

The graph's inputs are ``x`` (batch, window) float32 raw values and ``series`` (batch,) int64,
the index of each row's series in ``ids`` (the ``series_ids`` metadata); its output is
``forecast`` (batch, horizon) float32 in original units.

Only numpy, pandas, onnxruntime and the torch-free ``forecastr`` modules are imported here;
``tests/test_torch_free.py`` checks it in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import numpy as np

from forecastr.errors import ArtifactError, InputError
from forecastr.forecast import Schema

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


class Forecaster:
    """A forecastr ONNX model behind :class:`~forecastr.forecast.SeriesForecaster`.

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
        self._index = {s: i for i, s in enumerate(self.ids)}
        _check_signature(session, self.window, self.horizon, path)

    @classmethod
    def from_onnx(cls, path: str | os.PathLike, threads: int = 1) -> Forecaster:
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

    from_file = from_onnx  # the name forecastr.api uses

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
        """SeriesForecaster protocol: (B, window) raw windows of named series -> (B, horizon)."""
        x = np.asarray(windows, dtype=np.float32)
        if len(x) == 0:
            return np.zeros((0, self.horizon))
        idx = self._series_index(list(series_ids), len(x))
        out = [self._run(x[i : i + _CHUNK], idx[i : i + _CHUNK]) for i in range(0, len(x), _CHUNK)]
        return np.concatenate(out).astype(np.float64)

    def series_scaling(self, i: int) -> tuple[float, float]:
        """(loc, scale) of series 0's per-series scaler, in which new series are forecast
        (the ``reference_scaling`` metadata; only series 0 is stored)."""
        if i != 0 or "reference_scaling" not in self.metadata:
            return 0.0, 1.0
        try:
            loc, scale = (float(v) for v in json.loads(self.metadata["reference_scaling"]))
        except (ValueError, TypeError) as err:
            raise ArtifactError(
                f"{self.path}: corrupt reference_scaling metadata ({err})"
            ) from None
        if not (np.isfinite(loc) and np.isfinite(scale) and scale > 0):
            raise ArtifactError(f"{self.path}: reference_scaling metadata is not finite")
        return loc, scale

    def _run(self, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return self.session.run([OUTPUT], {"x": x, "series": idx})[0]

    def _series_index(self, series, batch: int) -> np.ndarray:
        """(batch,) int64 indices into ``ids`` from None, one id/index, or a sequence."""
        if series is None:
            if len(self.ids) != 1:
                raise InputError(
                    f"this model forecasts {len(self.ids)} series; pass series= with an id or "
                    f"index per window (ids: {_shown(self.ids)})"
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
                f"series {err.args[0]!r} is not known to the model (ids: {_shown(self.ids)})"
            ) from None
        return idx


OnnxForecaster = Forecaster


def _parse(meta: dict, path: str) -> dict:
    """Validate and decode the forecastr metadata; any problem is one ArtifactError line."""
    if meta.get("format") != FORMAT:
        raise ArtifactError(
            f"{path}: an ONNX model without forecastr metadata (a foreign model, or a truncated "
            "file); export one with `forecastr export`"
        )
    version = meta.get("format_version")
    if version != str(FORMAT_VERSION):
        raise ArtifactError(
            f"{path}: forecastr ONNX format version {version} but this forecastr reads version "
            f"{FORMAT_VERSION}; export the model again with this version"
        )
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise ArtifactError(
            f"{path}: forecastr metadata is incomplete (missing {', '.join(missing)}); "
            "the file is truncated or was edited; export it again"
        )
    try:
        schema = Schema.from_dict(json.loads(meta["schema"]))
        ids = [str(s) for s in json.loads(meta["series_ids"])]
        out = {
            "name": meta["name"],
            "window": int(meta["window"]),
            "horizon": int(meta["horizon"]),
            "ids": ids,
            "schema": schema,
            "model": json.loads(meta["model"]),
            "train_end": json.loads(meta["train_end"]),
            "context": _context(json.loads(meta["context"]), schema, ids)
            if "context" in meta
            else None,
        }
    except (ValueError, TypeError, KeyError) as err:
        raise ArtifactError(f"{path}: corrupt forecastr metadata ({_first_line(err)})") from None
    if out["window"] < 1 or out["horizon"] < 1 or not ids or ids != schema.ids:
        raise ArtifactError(f"{path}: inconsistent forecastr metadata (window, horizon or ids)")
    return out


def _context(ctx: dict, schema: Schema, ids: list[str]):
    """Stored context -> ((S, W) float64 values, list of S last timestamps)."""
    values = np.asarray(ctx["values"], dtype=np.float64)
    last = np.asarray(ctx["last"], dtype=np.int64)
    if values.ndim != 2 or len(values) != len(ids) or len(last) != len(ids):
        raise ValueError("context does not match the series ids")
    if schema.freq is None:
        return values, [int(v) for v in last]
    return values, list(last.astype("datetime64[ns]"))


def _check_signature(session, window: int, horizon: int, path: str) -> None:
    """The graph must take ``x`` (batch, window) and ``series`` (batch,), give ``forecast``."""
    ins = {i.name: i for i in session.get_inputs()}
    outs = {o.name: o for o in session.get_outputs()}
    if set(ins) != set(INPUTS) or OUTPUT not in outs:
        raise ArtifactError(
            f"{path}: the graph's inputs/outputs are not forecastr's (x, series -> forecast)"
        )
    if ins["x"].shape[-1] != window or outs[OUTPUT].shape[-1] != horizon:
        raise ArtifactError(f"{path}: the graph's shapes disagree with its window/horizon metadata")


def _shown(ids: list[str]) -> str:
    return ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")


def _ort_reason(err: BaseException) -> str:
    """onnxruntime's load error without its code location and C++ signature."""
    text = " ".join(str(err).split())
    text = text.split(" failed:", 1)[-1]  # "[ONNXRuntimeError] : 7 : ... Load model from X failed:"
    if text.startswith("/onnxruntime_src/"):
        text = text.rsplit(") ", 1)[-1]
    return text[:300] or type(err).__name__


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:300] if text else type(err).__name__
