"""ONNX inference with onnxruntime and numpy: the edge install, which never imports torch.

A file written by :func:`forecastr.export.export_onnx` holds the whole forecaster, scaling
included, and everything needed to use it in its ``metadata_props``::

    fc = OnnxPredictor.from_onnx("model.onnx")   # load once (one session, one thread)
    fc.predict(last_48_values)                   # (W,) or (B, W) raw -> (B, H) original units
    fc.predict(windows, series=["DE", "FR"])     # multi-series model: ids or indices
    point, q = fc.predict_quantiles(windows, series=["DE", "FR"])  # + (B, H, K) quantiles

The graph's inputs are ``x`` (batch, window) float32 raw values and ``series`` (batch,) int64,
the index of each row's series in ``ids`` (the ``series_ids`` metadata); its output is
``forecast`` (batch, horizon) float32 in original units. A model trained with intervals has a
second output, ``quantiles`` (batch, horizon, K) float32: the K ``network_quantiles`` of the
metadata, ascending, calibrated (the conformal shifts are constants in the graph).

Only numpy, pandas, onnxruntime and the torch-free ``forecastr`` modules are imported here;
``tests/test_torch_free.py`` checks it in a fresh interpreter.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from forecastr.combine import ThetaMix, warn_revision
from forecastr.config import PREDICT
from forecastr.errors import ArtifactError, InputError, shown
from forecastr.forecast import Schema
from forecastr.modelcheck import REEXPORT
from forecastr.onnxmeta import INPUTS, OUTPUT, QUANTILE_OUTPUT, parse_metadata

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
        levels: central interval levels (percent) of a model with intervals, ascending; ().
        quantiles: the quantiles it was asked for, ascending; ().
        network_quantiles: the K quantiles of the graph's ``quantiles`` output, ascending
            (``intervals.network_quantiles(levels, quantiles)``); () for a point model.
        calibration: what the conformal calibration reports (``count`` per step,
            ``guaranteed``, ``windows``, ``series``), for information (its shifts are in the
            graph); None for a point model or an uncalibrated one.
        training_config, refit, seasons, evaluation: what a model directory also records
            about its training; an ONNX file does not carry them (empty, False).
        metadata: every ``metadata_props`` entry as stored (strings).
    """

    def __init__(self, session, metadata: dict, path: str):
        self.path = path
        self.session = session
        self.metadata = metadata
        meta = parse_metadata(metadata, path)
        self.name: str = meta["name"]
        self.window: int = meta["window"]
        self.horizon: int = meta["horizon"]
        self.ids: list[str] = meta["ids"]
        self.schema: Schema = meta["schema"]
        self.floor: float | None = self.schema.floor  # applied by forecast.forecast_windows
        self.model_config: dict = meta["model"]
        self.train_end: dict | None = meta["train_end"] or None
        self.context = meta["context"]
        self.levels: tuple[float, ...] = tuple(self.model_config["levels"])
        self.quantiles: tuple[float, ...] = tuple(self.model_config["quantiles"])
        self.network_quantiles: tuple[float, ...] = meta["network_quantiles"]
        self.calibration: dict | None = meta["calibration"]
        # The Theta combination, applied outside the graph (``combine.Combined``; ``forecastr
        # predict`` applies it); None: the network alone.
        self.mix: ThetaMix | None = meta["theta"]
        self.training_config: dict = {}  # an ONNX file cannot be retrained
        self.refit = False
        self.seasons: list[dict] = []
        self.evaluation: dict = {}
        self._reference: tuple[float, float] | None = meta["reference_scaling"]
        self._index = {s: i for i, s in enumerate(self.ids)}
        _check_signature(session, self.window, self.horizon, len(self.network_quantiles), path)
        self._check_runs()
        if self.mix is not None:  # refitted outside the graph by this forecastr's Theta method
            warn_revision(self.mix.revision, path, self.mix.season_length, self.mix.context)

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
        x, idx = self._inputs(windows, series)
        if len(x) == 0:
            return np.zeros((0, self.horizon), dtype=np.float32)
        return self._run(x, idx)[0]

    def predict_quantiles(self, windows, series=None) -> tuple[np.ndarray, np.ndarray]:
        """Forecast and quantiles from raw windows, in one run of the graph.

        Args:
            windows, series: as for :meth:`predict`.

        Returns:
            (point (B, H), quantiles (B, H, K)) float32 in original units: the K
            :attr:`network_quantiles`, ascending along the last axis, calibrated. The
            interval ``lo-80``/``hi-80`` is quantile 0.1/0.9 (``intervals.level_bounds``).
            K = 0 for a point model.
        """
        x, idx = self._inputs(windows, series)
        if len(x) == 0:
            return self._empty(np.float32)
        if not self.network_quantiles:
            point = self._run(x, idx)[0]
            return point, np.zeros((*point.shape, 0), dtype=np.float32)
        point, q = self._run(x, idx, quantiles=True)
        return point, q

    def forecast(self, windows: np.ndarray, series_ids: Sequence[str]) -> np.ndarray:
        """Predictor contract: (B, window) raw windows of named series -> (B, horizon)."""
        return self._chunked(windows, series_ids, quantiles=False)[0]

    def forecast_quantiles(
        self, windows: np.ndarray, series_ids: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Predictor contract: (B, window) raw windows of named series -> (point (B, horizon),
        calibrated quantiles (B, horizon, K) of :attr:`network_quantiles`), float64; K = 0 for
        a point model."""
        k = len(self.network_quantiles)
        point, *rest = self._chunked(windows, series_ids, quantiles=k > 0)
        return point, rest[0] if k else np.zeros((*point.shape, 0))

    def _chunked(self, windows, series_ids: Sequence[str], quantiles: bool) -> list[np.ndarray]:
        """The graph's outputs for (B, window) windows, float64, ``_CHUNK`` rows per run."""
        x = np.asarray(windows, dtype=np.float32)
        if len(x) == 0:
            return list(self._empty(np.float64))
        idx = self._series_index(list(series_ids), len(x))
        parts = [
            self._run(x[i : i + _CHUNK], idx[i : i + _CHUNK], quantiles)
            for i in range(0, len(x), _CHUNK)
        ]
        return [np.concatenate(out).astype(np.float64) for out in zip(*parts, strict=True)]

    def _inputs(self, windows, series) -> tuple[np.ndarray, np.ndarray]:
        """(B, W) contiguous float32 windows and (B,) int64 series indices, checked."""
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
        return np.ascontiguousarray(x), self._series_index(series, len(x))

    def _empty(self, dtype) -> tuple[np.ndarray, np.ndarray]:
        """(0, H) forecasts and (0, H, K) quantiles."""
        h, k = self.horizon, len(self.network_quantiles)
        return np.zeros((0, h), dtype=dtype), np.zeros((0, h, k), dtype=dtype)

    def series_scaling(self, i: int) -> tuple[float, float]:
        """(loc, scale) of series 0's per-series scaler, in which new series are forecast
        (the ``reference_scaling`` metadata; only series 0 is stored)."""
        if i != 0 or self._reference is None:
            return 0.0, 1.0
        return self._reference

    def _run(self, x: np.ndarray, idx: np.ndarray, quantiles: bool = False) -> list[np.ndarray]:
        """[forecast (B, H)], or [forecast, quantiles (B, H, K)], from one session run."""
        names = [OUTPUT, QUANTILE_OUTPUT] if quantiles else [OUTPUT]
        try:
            return self.session.run(names, {"x": x, "series": idx})
        except Exception as err:  # onnxruntime's own error types: the graph, not the input
            raise ArtifactError(
                f"{self.path}: the graph failed to run ({_ort_reason(err)}); the file is "
                "damaged: export the model again"
            ) from None

    def _check_runs(self) -> None:
        """One forecast of the first and the last series: a graph whose series table is
        shorter than ``series_ids``, whose output is not (batch, horizon), or whose quantiles
        are not (batch, horizon, K), finite and in order, is refused here rather than at the
        first real forecast."""
        x = np.zeros((2, self.window), dtype=np.float32)
        k = len(self.network_quantiles)
        out = self._run(x, np.array([0, len(self.ids) - 1], dtype=np.int64), quantiles=k > 0)
        if np.shape(out[0]) != (2, self.horizon):
            raise ArtifactError(
                f"{self.path}: the graph forecasts shape {np.shape(out[0])} for 2 windows, not "
                f"(2, {self.horizon}); export the model again"
            )
        if k:
            _check_quantiles(out[1], (2, self.horizon, k), self.path)

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


def _check_signature(session, window: int, horizon: int, k: int, path: str) -> None:
    """The graph must take ``x`` (batch, window) and ``series`` (batch,), give ``forecast``
    (batch, horizon) and, exactly when the metadata names K > 0 quantiles, ``quantiles``
    (batch, horizon, K)."""
    ins = {i.name: i for i in session.get_inputs()}
    outs = {o.name: o for o in session.get_outputs()}
    if set(ins) != set(INPUTS) or OUTPUT not in outs:
        raise ArtifactError(
            f"{path}: the graph's inputs/outputs are not forecastr's (x, series -> forecast)"
        )
    x_shape, out_shape = ins["x"].shape or [None], outs[OUTPUT].shape or [None]
    if x_shape[-1] != window or out_shape[-1] != horizon:
        raise ArtifactError(f"{path}: the graph's shapes disagree with its window/horizon metadata")
    if k and QUANTILE_OUTPUT not in outs:
        raise ArtifactError(
            f"{path}: metadata network_quantiles names {k} quantiles but the graph has no "
            f"{QUANTILE_OUTPUT} output; {REEXPORT}"
        )
    if not k and QUANTILE_OUTPUT in outs:
        raise ArtifactError(
            f"{path}: the graph has a {QUANTILE_OUTPUT} output but metadata model.levels and "
            f"model.quantiles ask for none; {REEXPORT}"
        )
    q_shape = list(outs[QUANTILE_OUTPUT].shape or []) if k else []
    if k and (len(q_shape) != 3 or q_shape[1:] != [horizon, k]):
        raise ArtifactError(
            f"{path}: the graph's {QUANTILE_OUTPUT} output has shape "
            f"({', '.join(map(str, q_shape))}), not (batch, "
            f"{horizon}, {k}) as metadata horizon and network_quantiles say; {REEXPORT}"
        )


def quantiles_cross(q: np.ndarray) -> bool:
    """Whether any row of (..., K) quantiles descends along K by more than a few float32
    ulps of its size (kernels that sum in another order may move a quantile by an ulp)."""
    if np.shape(q)[-1] < 2:
        return False
    slack = 8 * np.finfo(np.float32).eps * np.abs(q).max(axis=-1, keepdims=True)
    return bool((np.diff(q, axis=-1) < -slack).any())


def _check_quantiles(q: np.ndarray, shape: tuple[int, int, int], path: str) -> None:
    """The smoke forecast's quantiles: ``shape``, finite, ascending along the last axis.

    A sound graph cannot cross (softplus steps, monotone shifts; rounding is monotone too),
    so crossing quantiles mean a damaged file.
    """
    if np.shape(q) != shape:
        raise ArtifactError(
            f"{path}: the graph gives {QUANTILE_OUTPUT} of shape {np.shape(q)} for 2 windows, not "
            f"{shape} (metadata horizon, network_quantiles); {REEXPORT}"
        )
    if not np.isfinite(q).all():
        raise ArtifactError(
            f"{path}: the graph's {QUANTILE_OUTPUT} are NaN or infinite for a test window; the "
            f"file is damaged: {REEXPORT}"
        )
    if quantiles_cross(q):
        raise ArtifactError(
            f"{path}: the graph's {QUANTILE_OUTPUT} cross (a lower quantile above a higher "
            f"one) for a test window; the file is damaged: {REEXPORT}"
        )


def _ids_text(ids: list[str]) -> str:
    return ", ".join(shown(s, 40) for s in ids[:5]) + (", ..." if len(ids) > 5 else "")


def _ort_reason(err: BaseException) -> str:
    """onnxruntime's load error without its code location and C++ signature."""
    text = " ".join(str(err).split())
    text = text.split(" failed:", 1)[-1]  # "[ONNXRuntimeError] : 7 : ... Load model from X failed:"
    if text.startswith("/onnxruntime_src/"):
        text = text.rsplit(") ", 1)[-1]
    return text[:300] or type(err).__name__
