"""torch -> ONNX export: parity for every backbone at batch 1, 7 and 256, scaling inside the
graph, metadata, checks that refuse to write, int8 quantization."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import pytest
import torch

from forecastr import export, onnxmeta
from forecastr.artifact import load, save
from forecastr.errors import ExportError, InputError
from forecastr.export import export_onnx, parity_windows
from forecastr.forecast import Schema, last_windows
from forecastr.models import ModelConfig, Scaled, build
from forecastr.panel import Panel
from forecastr.runtime import OnnxPredictor

BATCHES = (1, 7, 256)
TOL = 1e-4


def tiny_model_dir(
    path: Path, *, panel: Panel | None = None, n_series: int = 1, seed: int = 0, **cfg
) -> Path:
    """Save a model directory holding a tiny network with random weights.

    The per-series ``loc``/``scale`` are far from 0/1 (and differ per series), so a graph
    that dropped or mixed up the scaling could not pass parity. With ``panel`` the schema and
    the stored context come from it (so ``predict`` can read that panel's CSV); otherwise
    from ``n_series`` made-up monthly series.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    mcfg = ModelConfig(**{"window": 12, "horizon": 4, "hidden": 8, "layers": 1, **cfg})
    if panel is None:
        ids = [f"s{i}" for i in range(n_series)]
        loc = rng.uniform(-50, 500, n_series)
        scale = rng.uniform(0.5, 40, n_series)
        t = np.arange(mcfg.window)
        values = loc[:, None] + scale[:, None] * (
            np.sin(2 * np.pi * t / 4) + rng.normal(0, 0.3, (n_series, mcfg.window))
        )
        last = np.full(n_series, pd.Timestamp("2024-12-01").value, dtype=np.int64)
        schema = Schema(ids=ids, freq="MS", step=1, columns={}, layout="long")
        train_end = {s: "2024-06-01 00:00:00" for s in ids}
    else:
        ids = panel.ids
        ys = [panel.series(i) for i in range(panel.n_series)]
        loc = np.array([y.mean() for y in ys])
        scale = np.array([y.std() + 1.0 for y in ys])
        values = last_windows(panel, mcfg.window)
        ends = panel.offsets[1:] - 1
        last = panel.ds[ends].astype(np.int64)
        schema = Schema(
            ids=ids, freq=panel.freq, step=panel.step, columns=panel.columns, layout=panel.layout
        )
        # Training "ended" two horizons before the data's end, so a holdout can be scored.
        stamps = panel.ds[ends - 2 * mcfg.horizon]
        train_end = {
            s: int(v) if panel.freq is None else str(pd.Timestamp(v))
            for s, v in zip(ids, stamps, strict=True)
        }
    module = Scaled(build(mcfg), torch.tensor(loc), torch.tensor(scale))
    config = {
        "model": mcfg.to_dict(),
        "data": schema.to_dict(),
        "scaler": {"kind": "standard", "loc": loc.tolist(), "scale": scale.tolist()},
        "train_end": train_end,
    }
    save(path, config, module.state_dict(), {"values": values.astype(np.float64), "last": last})
    return path


BACKBONES = {
    "gru": dict(cell="gru"),
    "gru-2layer-3series": dict(cell="gru", layers=2, n_series=3),
    "lstm-2layer": dict(cell="lstm", layers=2),
    "rnn-2layer-3series": dict(cell="rnn", layers=2, n_series=3),
    "bigru": dict(cell="gru", bidirectional=True),
    "bilstm-2layer-3series": dict(cell="lstm", bidirectional=True, layers=2, n_series=3),
    "birnn": dict(cell="rnn", bidirectional=True),
    "seq2seq-gru": dict(cell="gru", decoder="seq2seq"),
    "seq2seq-rnn-2layer": dict(cell="rnn", decoder="seq2seq", layers=2),
    "seq2seq-lstm-attention-3series": dict(
        cell="lstm", decoder="seq2seq", attention=True, n_series=3
    ),
    "seq2seq-bigru-attention-2layer": dict(
        cell="gru", decoder="seq2seq", attention=True, bidirectional=True, layers=2
    ),
    "ensemble-gru-x3-3series": dict(cell="gru", ensemble=3, n_series=3),
    "no-window-norm-no-base": dict(cell="lstm", window_norm=False, base="none"),
}
if "patch" in ModelConfig.__dataclass_fields__:
    BACKBONES["gru-patch4"] = dict(cell="gru", patch=4, layers=2)


def raw_windows(fc, batch: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Random raw windows around each series' own level, and their series indices."""
    bundle_loc = fc.module.loc.numpy()
    bundle_scale = fc.module.scale.numpy()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(fc.ids), batch)
    x = bundle_loc[idx, None] + bundle_scale[idx, None] * rng.normal(0, 1, (batch, fc.window))
    return x.astype(np.float32), idx.astype(np.int64)


@pytest.mark.parametrize("name", list(BACKBONES))
def test_every_backbone_matches_torch_at_batch_1_7_256(tmp_path, name):
    model_dir = tiny_model_dir(tmp_path / "m", **BACKBONES[name])
    rep = export_onnx(model_dir, tmp_path / "m.onnx", exporter="torchscript")
    assert rep["max_rel_error"] <= TOL
    assert rep["batches_checked"] == list(BATCHES)
    assert rep["exporter"] == "torchscript"

    torch_fc = load(model_dir).predictor()
    onnx_fc = OnnxPredictor.from_onnx(tmp_path / "m.onnx")
    for batch in BATCHES:  # windows the export's own check did not see
        x, idx = raw_windows(torch_fc, batch)
        got = onnx_fc.predict(x, idx)
        with torch.inference_mode():
            ref = torch_fc.module(torch.from_numpy(x), torch.from_numpy(idx)).numpy()
        assert got.shape == (batch, torch_fc.horizon)
        np.testing.assert_allclose(got, ref, rtol=TOL, atol=TOL * np.abs(ref).max())


def test_graph_has_a_dynamic_batch_axis_and_a_fixed_window(tmp_path):
    export_onnx(tiny_model_dir(tmp_path / "m", n_series=2), tmp_path / "m.onnx")
    graph = onnx.load(tmp_path / "m.onnx").graph
    dims = {
        v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
        for v in [*graph.input, *graph.output]
    }
    assert dims["x"][1] == 12 and isinstance(dims["x"][0], str)
    assert dims["series"] == [dims["x"][0]]
    assert dims["forecast"] == [dims["x"][0], 4]
    assert [i.type.tensor_type.elem_type for i in graph.input] == [
        onnx.TensorProto.FLOAT,
        onnx.TensorProto.INT64,
    ]


def test_scaling_lives_in_the_graph(tmp_path):
    """Raw values in, original units out: onnxruntime equals the inner (scaled-space) torch
    network wrapped in a per-series affine scaling done by hand in numpy."""
    model_dir = tiny_model_dir(tmp_path / "m", n_series=3, cell="lstm")
    export_onnx(model_dir, tmp_path / "m.onnx")
    bundle = load(model_dir)
    loc, scale = bundle.scaler.loc, bundle.scaler.scale
    assert np.ptp(loc) > 10 and np.ptp(scale) > 1  # the series really differ
    inner = bundle.predictor().module.model
    x, idx = raw_windows(bundle.predictor(), 64)
    z = (x - loc[idx, None]) / scale[idx, None]
    with torch.inference_mode():
        out = inner(torch.from_numpy(z.astype(np.float32))).numpy().astype(np.float64)
    expected = out * scale[idx, None] + loc[idx, None]
    got = OnnxPredictor.from_onnx(tmp_path / "m.onnx").predict(x, idx)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    # ... and the scaled-space output is far from the raw one, so this checks something.
    assert np.abs(expected - out).max() > 1.0


def test_metadata_round_trip(tmp_path):
    model_dir = tiny_model_dir(tmp_path / "m", n_series=3, cell="gru", layers=2)
    export_onnx(model_dir, tmp_path / "m.onnx")
    bundle = load(model_dir)
    import onnxruntime as ort

    meta = ort.InferenceSession(str(tmp_path / "m.onnx")).get_modelmeta().custom_metadata_map
    assert meta["format"] == "forecastr-onnx"
    assert meta["format_version"] == "1"
    assert (meta["window"], meta["horizon"]) == ("12", "4")
    assert (meta["freq"], meta["step"]) == ("MS", "1")
    assert json.loads(meta["series_ids"]) == ["s0", "s1", "s2"]
    assert meta["scaler"] == "standard"
    assert json.loads(meta["model"]) == bundle.config["model"]
    assert json.loads(meta["schema"]) == bundle.schema.to_dict()
    assert json.loads(meta["train_end"]) == bundle.config["train_end"]
    assert meta["forecastr_version"]
    ctx = json.loads(meta["context"])
    np.testing.assert_array_equal(np.array(ctx["values"]), bundle.context()[0])

    fc = OnnxPredictor.from_onnx(tmp_path / "m.onnx")
    assert (fc.window, fc.horizon, fc.ids, fc.name) == (12, 4, ["s0", "s1", "s2"], "GRU")
    assert fc.schema == bundle.schema
    assert fc.train_end == bundle.config["train_end"]
    values, last = fc.context
    np.testing.assert_array_equal(values, bundle.context()[0])  # exact: JSON keeps float64
    assert last == bundle.last_stamps()


def test_file_is_self_contained_and_passes_the_full_checker(tmp_path):
    model_dir = tiny_model_dir(tmp_path / "m")
    out = tmp_path / "out"
    out.mkdir()
    export_onnx(model_dir, out / "m.onnx")
    assert sorted(os.listdir(out)) == ["m.onnx"]  # no external data, no temp files
    model = onnx.load(str(out / "m.onnx"), load_external_data=False)
    assert not any(onnx.external_data_helper.uses_external_data(t) for t in model.graph.initializer)
    onnx.checker.check_model(model, full_check=True)
    assert oct(os.stat(out / "m.onnx").st_mode & 0o077) != "0o0"  # not left at mkstemp's 0600


def test_large_context_is_left_out(tmp_path, monkeypatch):
    monkeypatch.setattr(onnxmeta, "MAX_CONTEXT_VALUES", 10)
    rep = export_onnx(tiny_model_dir(tmp_path / "m", n_series=2), tmp_path / "m.onnx")
    assert rep["context_stored"] is False
    fc = OnnxPredictor.from_onnx(tmp_path / "m.onnx")
    assert fc.context is None
    assert fc.predict(np.ones((2, 12)), ["s0", "s1"]).shape == (2, 4)


def test_model_saved_without_context_still_exports(tmp_path):
    from safetensors.numpy import load_file, save_file

    from forecastr import artifact
    from forecastr.modeldir import config_digest, sha256_file

    model_dir = tiny_model_dir(tmp_path / "m", n_series=2)
    config = json.loads((model_dir / artifact.CONFIG).read_text())
    weights = model_dir / config["weights"]
    tensors = {k: v for k, v in load_file(weights).items() if not k.startswith("context.")}
    save_file(tensors, weights, metadata={"format": artifact.FORMAT})
    config["weights_sha256"] = sha256_file(str(weights))
    config["config_sha256"] = config_digest(config)  # as a save of this model would write
    (model_dir / artifact.CONFIG).write_text(json.dumps(config))
    rep = export_onnx(model_dir, tmp_path / "m.onnx")
    assert rep["context_stored"] is False and rep["max_rel_error"] <= TOL


def test_parity_failure_raises_and_writes_nothing(tmp_path, monkeypatch):
    model_dir = tiny_model_dir(tmp_path / "m")
    target = tmp_path / "m.onnx"
    target.write_bytes(b"an earlier export")
    real = export._reference
    monkeypatch.setattr(export, "_reference", lambda *a: real(*a) * 1.01)
    with pytest.raises(ExportError, match="parity check failed at batch 1"):
        export_onnx(model_dir, target, quantize="int8")
    assert target.read_bytes() == b"an earlier export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "m.onnx"]


def test_tolerance_is_enforced(tmp_path):
    model_dir = tiny_model_dir(tmp_path / "m", cell="lstm", layers=2)
    rep = export_onnx(model_dir, tmp_path / "a.onnx")
    if rep["max_rel_error"] > 0:  # float32 kernels differ a little; zero would prove nothing
        with pytest.raises(ExportError, match="above the tolerance"):
            export_onnx(model_dir, tmp_path / "b.onnx", tolerance=rep["max_rel_error"] / 10)
        assert not (tmp_path / "b.onnx").exists()


def test_exporter_failure_is_one_export_error(tmp_path, monkeypatch):
    def broken(*args):
        raise RuntimeError("unsupported operator\nwith a long story")

    monkeypatch.setitem(export._EXPORT, "torchscript", broken)
    monkeypatch.setitem(export._EXPORT, "dynamo", broken)
    with pytest.raises(ExportError) as info:
        export_onnx(tiny_model_dir(tmp_path / "m"), tmp_path / "m.onnx")
    assert "\n" not in str(info.value)
    assert "torchscript: unsupported operator" in str(info.value)
    assert "dynamo:" in str(info.value)  # auto tried the fallback
    assert not (tmp_path / "m.onnx").exists()


def test_auto_falls_back_to_dynamo_when_torchscript_fails(tmp_path, monkeypatch):
    calls = []

    def fake_dynamo(module, example, path, opset):
        calls.append(opset)
        export._export_torchscript(module, example, path, 17)  # stand-in: dynamo is slow

    def broken(*args):
        raise RuntimeError("legacy exporter removed")

    monkeypatch.setitem(export._EXPORT, "torchscript", broken)
    monkeypatch.setitem(export._EXPORT, "dynamo", fake_dynamo)
    rep = export_onnx(tiny_model_dir(tmp_path / "m"), tmp_path / "m.onnx")
    assert rep["exporter"] == "dynamo" and calls == [18]


def test_bad_arguments(tmp_path):
    model_dir = tiny_model_dir(tmp_path / "m")
    with pytest.raises(InputError, match="does not exist"):
        export_onnx(model_dir, tmp_path / "missing" / "m.onnx")
    with pytest.raises(InputError, match="int8"):
        export_onnx(model_dir, tmp_path / "m.onnx", quantize="int4")
    with pytest.raises(InputError, match="exporter"):
        export_onnx(model_dir, tmp_path / "m.onnx", exporter="tvm")
    with pytest.raises(InputError, match="folder"):
        export_onnx(model_dir, model_dir)


def test_export_is_quiet(tmp_path, capfd, recwarn):
    export_onnx(tiny_model_dir(tmp_path / "m", cell="gru", layers=2), tmp_path / "m.onnx")
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    assert not [w for w in recwarn if "onnx" in str(w.message).lower()]


@pytest.mark.parametrize(
    "cfg",
    [
        dict(cell="lstm", layers=2, n_series=3),
        # The decoder's output layer is one weight shared by a node per horizon step:
        # onnxruntime's own Gemm rewrite breaks on it (export._gemm_to_matmul).
        dict(cell="gru", decoder="seq2seq", attention=True),
    ],
    ids=["lstm", "seq2seq-attention"],
)
def test_int8_quantization(tmp_path, cfg):
    model_dir = tiny_model_dir(tmp_path / "m", **cfg)
    rep = export_onnx(model_dir, tmp_path / "m.onnx", quantize="int8")
    qpath = tmp_path / "m.int8.onnx"
    assert rep["quantized_path"] == str(qpath)
    assert rep["quantized_size_kb"] == round(qpath.stat().st_size / 1024, 1)
    assert rep["quantized_int8_ops"] > 0
    assert 0 < rep["quantized_max_rel_change"] < 0.1
    assert rep["quantized_mae_vs_float"] >= 0 and rep["quantized_mae_vs_float_rel"] < 0.05
    q = OnnxPredictor.from_onnx(qpath)
    assert q.metadata["quantized"].startswith("int8")
    assert q.ids == OnnxPredictor.from_onnx(tmp_path / "m.onnx").ids
    onnx.checker.check_model(str(qpath), full_check=True)


def test_lstm_int8_is_smaller(tmp_path):
    model_dir = tiny_model_dir(tmp_path / "m", cell="lstm", layers=2, hidden=64)
    rep = export_onnx(model_dir, tmp_path / "m.onnx", quantize="int8")
    assert rep["quantized_size_kb"] < 0.5 * rep["size_kb"]


def test_parity_windows_are_real_rotated_context_windows():
    values = np.arange(6, dtype=np.float64).reshape(2, 3)
    x, idx = parity_windows(values, 5)
    assert idx.tolist() == [0, 1, 0, 1, 0]
    assert x.tolist() == [[0, 1, 2], [3, 4, 5], [2, 0, 1], [5, 3, 4], [1, 2, 0]]


def test_cli_export_json(tmp_path, runner):
    from forecastr.cli import app

    model_dir = tiny_model_dir(tmp_path / "m")
    result = runner.invoke(
        app, ["export", str(model_dir), "--onnx", str(tmp_path / "x.onnx"), "--json"]
    )
    assert result.exit_code == 0, result.output
    rep = json.loads(result.stdout)
    for key in ("path", "exporter", "opset", "size_kb", "max_rel_error", "batches_checked"):
        assert key in rep
    assert (rep["series"], rep["window"], rep["horizon"]) == (1, 12, 4)
    assert "Warning" not in result.output
