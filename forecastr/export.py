"""torch -> ONNX: one self-contained file holding the whole forecaster, scaling included.

The graph is the artifact's :class:`~forecastr.models.Scaled` module::

    x       (batch, window) float32   raw values, oldest first
    series  (batch,)        int64     index of each row's series in the ``series_ids`` metadata
    ->
    forecast  (batch, horizon)    float32  in original units
    quantiles (batch, horizon, K) float32  a model with intervals only: its K network
                                           quantiles, ascending, calibrated

The batch axis is dynamic, the window fixed. Everything a device needs besides the graph
(window, horizon, frequency, series ids, schema, the training data's last window when it is
small...) is in the model's ``metadata_props``; see ``docs/onnx.md`` for the keys.

Exporter: the TorchScript exporter (``dynamo=False``) by default, because on torch 2.13 it
emits native ``RNN``/``GRU``/``LSTM`` ops for every backbone, exports in about a second and
gives the smallest, fastest graphs; the dynamo exporter is the fallback when the TorchScript
one is missing or fails (measurements in ``docs/onnx.md``).

Every export is checked before anything is written: ``onnx.checker`` (full check), the file
loads in :mod:`forecastr.runtime`, and onnxruntime matches torch on the training data's last
windows at batch 1, 7 and 256, on every output (:mod:`forecastr.parity`). The file is
written to a temporary sibling and renamed into place, so a failed export leaves nothing
behind and an earlier file intact.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator

import numpy as np

from forecastr import __version__
from forecastr.atomic import atomic_path
from forecastr.config import EXPORT, EXPORTERS, OPSETS, QUANTIZE, choices_text
from forecastr.errors import ExportError, InputError, one_line, require
from forecastr.onnxmeta import FORMAT, INPUTS, OUTPUT, QUANTILE_OUTPUT, metadata_for
from forecastr.outputs import check_file, write_error
from forecastr.parity import PARITY_BATCHES, output_errors, outputs, parity_windows
from forecastr.runtime import OnnxPredictor, quantiles_cross

# Dynamic int8 quantizes weights of these ops only. Not Gather: it would quantize the
# per-series loc/scale tables, which must stay exact.
QUANT_OPS = ["MatMul", "LSTM", "Attention"]
INT8_OPS = {"MatMulInteger", "DynamicQuantizeMatMul", "DynamicQuantizeLSTM", "QAttention"}


def export_onnx(
    model_dir: str | os.PathLike,
    onnx_path: str | os.PathLike,
    *,
    tolerance: float = EXPORT.tolerance,
    quantize: str | None = EXPORT.quantize,
    opset: int | None = EXPORT.opset,
    exporter: str = EXPORT.exporter,
) -> dict:
    """Export a model directory to one parity-checked ONNX file.

    Args:
        model_dir: a directory written by ``forecastr train``.
        onnx_path: the .onnx file to write (replaced atomically if it exists).
        tolerance: largest relative error allowed between onnxruntime and torch.
        quantize: ``"int8"`` also writes ``<name>.int8.onnx`` (dynamic quantization).
        opset: ONNX opset; default 17 (TorchScript exporter) or 18 (dynamo).
        exporter: ``"auto"`` (TorchScript, dynamo if that fails), ``"torchscript"`` or
            ``"dynamo"``.

    Returns:
        Report: path, exporter, opset, size_kb, max_rel_error (the worst over every output),
        batches_checked, series, window, horizon, context_stored; for a model with intervals
        also network_quantiles and max_rel_error_by_output. With ``quantize``:
        quantized_path, quantized_size_kb, quantized_int8_ops (nodes that run in int8),
        quantized_max_rel_change (every output), quantized_mae_vs_float (mean |int8 - float|
        forecast over the context windows, original units), quantized_mae_vs_float_rel (the
        same divided by the mean |float| forecast) and, with intervals,
        quantized_max_rel_change_by_output and quantized_quantiles_mae_vs_float.

    Raises:
        ExportError: the export, the checker or the parity check failed; nothing written.
        ArtifactError: ``model_dir`` is not a usable model.
        InputError: bad arguments, a folder as ``onnx_path`` or a missing target folder.
        OutputError: the target folder cannot be written to (checked before any work), or
            writing failed; nothing was left behind.
    """
    _check_arguments(tolerance, quantize, exporter)
    # Before any work: a folder, a missing folder or one this user cannot write is refused.
    target = check_file(onnx_path, flag="--onnx", create_parents=False, example="model.onnx")
    qtarget = _quantized_path(target) if quantize else None
    if qtarget is not None:
        check_file(qtarget, flag="--onnx", create_parents=False, example="model.int8.onnx")
    for module_name in ("torch", "onnx"):
        require(module_name)

    from forecastr.artifact import load

    bundle = load(model_dir)
    fc = bundle.network()  # a Theta-only model has none: refused there
    module = fc.module.eval()
    values = _check_windows(bundle)
    graph = _two_outputs(module) if fc.network_quantiles else module

    # Both files are written beside their targets and renamed in only when every check passed.
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(atomic_path(target))
        used, used_opset = _export_graph(graph, values, tmp, exporter, opset)
        _add_metadata(tmp, bundle, fc.name, used, used_opset)
        ort_fc = OnnxPredictor.from_onnx(tmp)
        worst = _parity(module, ort_fc, values, tolerance)
        report = {
            "path": target,
            "exporter": used,
            "opset": used_opset,
            "size_kb": round(os.path.getsize(tmp) / 1024, 1),
            "max_rel_error": _sig(max(worst.values())),
            "batches_checked": list(PARITY_BATCHES),
            "series": len(fc.ids),
            "window": fc.window,
            "horizon": fc.horizon,
            "context_stored": ort_fc.context is not None,
        }
        if fc.network_quantiles:
            report["network_quantiles"] = list(fc.network_quantiles)
            report["max_rel_error_by_output"] = {k: _sig(v) for k, v in worst.items()}
        if qtarget is not None:
            qtmp = stack.enter_context(atomic_path(qtarget))
            report.update(_quantize(tmp, qtmp, qtarget, ort_fc, values))
    return report


def _check_arguments(tolerance: float, quantize: str | None, exporter: str) -> None:
    if exporter not in EXPORTERS:
        raise InputError(f"unknown exporter {exporter!r}; choose {', '.join(EXPORTERS)}")
    if quantize is not None and quantize not in QUANTIZE:
        raise InputError(f"unknown --quantize {quantize!r}; choose {choices_text(QUANTIZE)}")
    if not tolerance >= 0:
        raise InputError(f"--tolerance must be a number >= 0, got {tolerance}")


def _quantized_path(target: str) -> str:
    stem = target[: -len(".onnx")] if target.lower().endswith(".onnx") else target
    return stem + ".int8.onnx"


# ------------------------------------------------------------------------------------------
# torch -> ONNX


def _export_graph(module, values: np.ndarray, path: str, exporter: str, opset: int | None):
    """Write the bare graph to ``path``; returns (exporter used, opset)."""
    order = ["torchscript", "dynamo"] if exporter == "auto" else [exporter]
    failures = []
    for name in order:
        version = opset or OPSETS[name]
        with _quiet() as log:
            try:
                _EXPORT[name](module, _example(values), path, version)
                return name, version
            except Exception as err:  # exporter errors have many types; say them in one line
                failures.append(f"{name}: {one_line(err)}")
                log.discard()
    raise ExportError("ONNX export failed; nothing written. " + "; ".join(failures))


def _two_outputs(module):
    """A model with quantiles, as the graph shows it: ``forecast`` (B, H) and ``quantiles``
    (B, H, K), split from the module's (B, H, 1 + K) output."""
    import torch

    class TwoOutputs(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module):
            super().__init__()
            self.inner = inner
            self.output_names = [OUTPUT, QUANTILE_OUTPUT]  # read by the exporters

        def forward(self, x: torch.Tensor, series: torch.Tensor):
            out = self.inner(x, series)  # (B, H, 1 + K)
            return out[..., 0], out[..., 1:]

    return TwoOutputs(module).eval()


def _example(values: np.ndarray):
    """A batch-2 example: a batch-1 example lets torch.export specialise the batch to 1."""
    import torch

    rows = np.resize(np.arange(len(values)), 2)
    return torch.from_numpy(values[rows].copy()), torch.from_numpy(rows.astype(np.int64))


def _export_torchscript(module, example, path: str, opset: int) -> None:
    import torch

    names = getattr(module, "output_names", [OUTPUT])
    torch.onnx.export(
        module,
        example,
        path,
        dynamo=False,
        input_names=list(INPUTS),
        output_names=names,
        dynamic_axes={"x": {0: "batch"}, "series": {0: "batch"}} | {n: {0: "batch"} for n in names},
        opset_version=opset,
        do_constant_folding=True,
    )


def _export_dynamo(module, example, path: str, opset: int) -> None:
    import torch

    batch = torch.export.Dim("batch", min=1)
    torch.onnx.export(
        module,
        example,
        path,
        dynamo=True,
        input_names=list(INPUTS),
        output_names=getattr(module, "output_names", [OUTPUT]),
        dynamic_shapes={"x": {0: batch}, "series": {0: batch}},
        opset_version=opset,
        external_data=False,
        optimize=True,
        verbose=False,
    )


_EXPORT = {"torchscript": _export_torchscript, "dynamo": _export_dynamo}


class _Captured:
    """What the exporter printed while silenced (kept for debugging, dropped on success)."""

    def __init__(self, fh):
        self.fh = fh

    def text(self) -> str:
        self.fh.seek(0)
        return self.fh.read().decode("utf-8", "replace")

    def discard(self) -> None:
        self.fh.seek(0)
        self.fh.truncate()


@contextlib.contextmanager
def _quiet() -> Iterator[_Captured]:
    """Silence exporter chatter: Python warnings, torch/onnx loggers, and prints to fd 1/2.

    The TorchScript exporter warns that it is deprecated and about RNN batch sizes (the
    parity check runs batch 1, 7 and 256); the dynamo one prints progress lines and logs
    missing torchvision ops. None of that belongs in the CLI's output.
    """
    loggers = [logging.getLogger(n) for n in ("torch.onnx", "torch.export", "onnxscript", "root")]
    levels = [lg.level for lg in loggers]
    with tempfile.TemporaryFile() as fh, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        saved: list[int] = []
        try:
            with contextlib.suppress(OSError):  # fd 1/2 closed (a daemon): nothing to hide
                saved = [os.dup(1), os.dup(2)]
                os.dup2(fh.fileno(), 1)
                os.dup2(fh.fileno(), 2)
            yield _Captured(fh)
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            for target, fd in zip((1, 2), saved, strict=False):
                os.dup2(fd, target)
                os.close(fd)
            for lg, level in zip(loggers, levels, strict=True):
                lg.setLevel(level)


# ------------------------------------------------------------------------------------------
# metadata and checks


def _add_metadata(path: str, bundle, name: str, exporter: str, opset: int) -> None:
    """Attach metadata, refuse external data, run the full checker, save in one file."""
    import onnx

    model = onnx.load(path)
    if any(onnx.external_data_helper.uses_external_data(t) for t in model.graph.initializer):
        raise ExportError("the exported graph uses external data; nothing written")
    model.producer_name = "forecastr"
    model.producer_version = __version__
    names = ", ".join(o.name for o in model.graph.output)
    model.doc_string = f"forecastr forecaster: x (batch, window) raw, series (batch,) -> {names}"
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, metadata_for(bundle, name, exporter, opset))
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as err:
        raise ExportError(f"onnx.checker refused the graph: {one_line(err)}") from None
    try:
        onnx.save(model, path)
    except OSError as err:  # atomic_path removes the temporary file
        raise write_error(path, err, what="ONNX file") from None


def _check_windows(bundle) -> np.ndarray:
    """(S, W) float32 windows for the parity check: the stored context (real data; its last
    W points, where the Theta combination stores more), or, for a model directory saved
    without it, a seasonal pattern at each series' own scale."""
    if "context.values" in bundle.tensors:
        values = bundle.tensors["context.values"][:, -bundle.window :]
        return np.ascontiguousarray(values, dtype=np.float32)
    scaler = bundle.scaler
    t = np.arange(bundle.window)
    noise = np.random.default_rng(0).normal(0, 0.3, (len(scaler.loc), bundle.window))
    shape = np.sin(2 * np.pi * t / max(int(bundle.config["model"].get("season_length", 1)), 2))
    return (scaler.loc[:, None] + scaler.scale[:, None] * (shape + noise)).astype(np.float32)


def _reference(module, x: np.ndarray, series: np.ndarray) -> np.ndarray:
    """The torch module's (B, H) or (B, H, 1 + K) output."""
    import torch

    with torch.inference_mode():
        return module(torch.from_numpy(x), torch.from_numpy(series)).numpy()


def _parity(module, ort_fc: OnnxPredictor, values: np.ndarray, tolerance: float) -> dict:
    """The worst relative error of each output over the parity batches; above
    ``tolerance`` on any of them, an ExportError."""
    worst: dict[str, float] = {}
    for batch in PARITY_BATCHES:
        x, series = parity_windows(values, batch)
        got = outputs(ort_fc, x, series)
        ref = _reference(module, x, series)
        if got.shape != ref.shape:
            raise ExportError(
                f"parity check failed at batch {batch}: onnxruntime gave shape {got.shape}, "
                f"torch {ref.shape} (the batch axis is not dynamic); nothing written"
            )
        for name, err in output_errors(got, ref, x).items():
            if not err <= tolerance:
                raise ExportError(
                    f"parity check failed at batch {batch}: max relative error {err:.3g} of "
                    f"{name} between onnxruntime and torch is above the tolerance "
                    f"{tolerance:g}; nothing written"
                )
            worst[name] = max(worst.get(name, 0.0), err)
    return worst


# ------------------------------------------------------------------------------------------
# int8


def _quantize(src: str, tmp: str, target: str, float_fc: OnnxPredictor, values: np.ndarray) -> dict:
    """Dynamic int8 copy of ``src`` at ``tmp`` (renamed to ``target`` by the caller)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    try:
        with _quiet():
            quantize_dynamic(
                _gemm_to_matmul(onnx.load(src)),
                tmp,
                op_types_to_quantize=QUANT_OPS,
                weight_type=QuantType.QInt8,
                # Every tensor here is float32 (the quantizer cannot always infer it).
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        model = onnx.load(tmp)
        meta = {p.key: p.value for p in model.metadata_props}
        if meta.get("format") != FORMAT:  # keep ours even if a quantizer version drops it
            del model.metadata_props[:]
            meta = dict(float_fc.metadata)
        meta["quantized"] = "int8 dynamic (onnxruntime quantize_dynamic)"
        del model.metadata_props[:]
        onnx.helper.set_model_props(model, meta)
        onnx.checker.check_model(model, full_check=True)
        onnx.save(model, tmp)
        q_fc = OnnxPredictor.from_onnx(tmp)
        # GRU and RNN have no int8 kernel in onnxruntime: only their linear heads convert.
        int8_ops = sum(n.op_type in INT8_OPS for n in model.graph.node)
    except ExportError:
        raise
    except OSError as err:  # writing the file, not quantizing, failed
        raise write_error(target, err, what="ONNX file") from None
    except Exception as err:
        raise ExportError(f"int8 quantization failed: {one_line(err)}; nothing written") from None
    report = {
        "quantized_path": target,
        "quantized_size_kb": round(os.path.getsize(tmp) / 1024, 1),
        "quantized_int8_ops": int8_ops,
    }
    return report | _int8_change(float_fc, q_fc, values)


def _int8_change(float_fc: OnnxPredictor, q_fc: OnnxPredictor, values: np.ndarray) -> dict:
    """How far the int8 file's outputs move from the float file's on the context windows.

    The change bounds what int8 can cost in accuracy: MAE against actuals moves by at most
    the forecasts' MAE against the float model, and the mean pinball loss by at most the
    quantiles' (the pinball loss is 1-Lipschitz).
    """
    x, series = parity_windows(values, max(PARITY_BATCHES))
    ref = outputs(float_fc, x, series).astype(np.float64)
    got = outputs(q_fc, x, series).astype(np.float64)
    change = output_errors(got, ref, x)
    point, ref_point = (got, ref) if got.ndim == 2 else (got[..., 0], ref[..., 0])
    mae = float(np.mean(np.abs(point - ref_point)))
    report: dict[str, float | dict[str, float]] = {
        "quantized_max_rel_change": _sig(max(change.values())),
        "quantized_mae_vs_float": _sig(mae),
        "quantized_mae_vs_float_rel": _sig(
            mae / max(float(np.mean(np.abs(ref_point))), float(np.finfo(np.float32).tiny))
        ),
    }
    if got.ndim == 3:
        if quantiles_cross(got[..., 1:]):
            raise ExportError("int8 quantization made quantiles cross; nothing written")
        report["quantized_max_rel_change_by_output"] = {k: _sig(v) for k, v in change.items()}
        report["quantized_quantiles_mae_vs_float"] = _sig(
            float(np.mean(np.abs(got[..., 1:] - ref[..., 1:])))
        )
    return report


def _gemm_to_matmul(model):
    """Rewrite ``Gemm(A, W, b, transB=1)`` as ``MatMul(A, W^T) + b`` so int8 covers the heads.

    onnxruntime's quantizer does this itself, but transposes the weight in place once per
    node: a weight shared by several Gemm nodes (the seq2seq decoder's output layer, one
    node per horizon step) is transposed back and forth and the graph breaks. Here each
    weight is transposed once, into one new initializer all its nodes share.
    """
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    transposed: dict[str, str] = {}
    nodes = []
    for node in graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        plain = attrs.get("alpha", 1.0) == 1.0 and attrs.get("beta", 1.0) == 1.0
        if (
            node.op_type != "Gemm"
            or not plain
            or attrs.get("transA", 0)
            or node.input[1] not in inits
        ):
            nodes.append(node)
            continue
        weight = node.input[1]
        if attrs.get("transB", 0):
            if weight not in transposed:
                arr = numpy_helper.to_array(inits[weight]).T.copy()
                transposed[weight] = f"{weight}.T"
                graph.initializer.append(numpy_helper.from_array(arr, transposed[weight]))
            weight = transposed[weight]
        out = node.output[0]
        mm_out = f"{out}.matmul" if len(node.input) > 2 else out
        nodes.append(
            helper.make_node(
                "MatMul", [node.input[0], weight], [mm_out], name=f"{node.name}.matmul"
            )
        )
        if len(node.input) > 2:
            nodes.append(
                helper.make_node("Add", [mm_out, node.input[2]], [out], name=f"{node.name}.add")
            )
    del graph.node[:]
    graph.node.extend(nodes)
    used = {i for n in graph.node for i in n.input}
    keep = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(keep)
    return model


def _sig(v: float) -> float:
    """Three significant digits, for a readable report."""
    return float(f"{float(v):.3g}")
