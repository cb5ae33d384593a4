"""Prediction intervals through ONNX: the graph's second output (calibrated quantiles), parity
on every output, the torch-free runtime's intervals against the torch model's, int8, and
files whose interval metadata disagrees with their graph."""

from __future__ import annotations

import copy
import io
import json

import numpy as np
import onnx
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnxedit import with_metadata
from test_export import tiny_model_dir
from test_runtime import write_long_csv

from forecastr import api, export
from forecastr.artifact import load
from forecastr.cli import app
from forecastr.errors import ArtifactError, ExportError
from forecastr.export import export_onnx
from forecastr.intervals import level_bounds, tau_index
from forecastr.runtime import OnnxPredictor, quantiles_cross

TOL = 1e-4
LEVELS, ASKED = (80.0, 95.0), (0.5,)
TAUS = [0.025, 0.1, 0.5, 0.9, 0.975]  # network quantiles of LEVELS and ASKED
WINDOW, HORIZON, K = 12, 4, len(TAUS)

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny trained and calibrated 3-series model with intervals, exported with int8:
    (csv, model dir, onnx path, export report)."""
    tmp = tmp_path_factory.mktemp("intervals")
    csv = write_long_csv(tmp / "data.csv", n=60)
    model_dir = tmp / "m"
    api.train(
        str(csv),
        out=str(model_dir),
        **dict(epochs=2, ensemble=1, hidden=8, layers=1, window=WINDOW, horizon=HORIZON),
        levels=LEVELS,
        quantiles=ASKED,
    )
    report = export_onnx(model_dir, tmp / "m.onnx", quantize="int8")
    return csv, model_dir, tmp / "m.onnx", report


@pytest.fixture(scope="module")
def fc(trained):
    return OnnxPredictor.from_onnx(trained[2])


@pytest.fixture(scope="module")
def torch_fc(trained):
    return load(trained[1]).predictor()


def random_windows(torch_fc, batch: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Raw windows around each series' own level, and their series indices."""
    loc, scale = torch_fc.module.loc.numpy(), torch_fc.module.scale.numpy()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(torch_fc.ids), batch)
    x = loc[idx, None] + scale[idx, None] * rng.normal(0, 1, (batch, WINDOW))
    return x.astype(np.float32), idx.astype(np.int64)


# -- the export ---------------------------------------------------------------------------


def test_graph_has_forecast_and_quantiles_outputs(trained):
    graph = onnx.load(str(trained[2])).graph
    dims = {
        o.name: [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim]
        for o in graph.output
    }
    assert list(dims) == ["forecast", "quantiles"]
    assert isinstance(dims["forecast"][0], str) and dims["forecast"][1:] == [HORIZON]
    assert dims["quantiles"] == [dims["forecast"][0], HORIZON, K]


def test_report_checks_every_output(trained):
    rep = trained[3]
    assert rep["network_quantiles"] == TAUS
    by_output = rep["max_rel_error_by_output"]
    assert set(by_output) == {"forecast", "quantiles"}
    assert rep["max_rel_error"] == max(by_output.values()) <= TOL


def test_metadata_names_the_quantiles_and_summarises_the_calibration(trained, fc):
    config = json.loads((trained[1] / "config.json").read_text())
    assert json.loads(fc.metadata["network_quantiles"]) == TAUS
    assert "quantiles: (batch, horizon, 5)" in fc.metadata["outputs"]
    cal = json.loads(fc.metadata["calibration"])
    for key in ("count", "guaranteed", "windows", "series"):
        assert cal[key] == config["calibration"][key]
    # The factors and shifts are constants in the graph: a reader must not apply them again.
    assert not {"factor", "shift"} & set(cal)
    assert fc.calibration == cal
    assert (fc.levels, fc.quantiles, fc.network_quantiles) == (LEVELS, ASKED, tuple(TAUS))


@pytest.mark.parametrize("batch", [1, 7, 256])
def test_runtime_intervals_equal_the_torch_models(fc, torch_fc, batch):
    x, idx = random_windows(torch_fc, batch, seed=batch)  # windows the export did not see
    ids = [fc.ids[i] for i in idx]
    ref_point, ref_q = torch_fc.forecast_quantiles(x, ids)
    point, q = fc.predict_quantiles(x, idx)
    assert point.shape == (batch, HORIZON) and q.shape == (batch, HORIZON, K)
    assert point.dtype == q.dtype == np.float32
    atol = TOL * np.abs(ref_q).max()
    np.testing.assert_allclose(point, ref_point, rtol=TOL, atol=atol)
    np.testing.assert_allclose(q, ref_q, rtol=TOL, atol=atol)
    f_point, f_q = fc.forecast_quantiles(x, ids)  # the Predictor contract: float64
    assert f_point.dtype == f_q.dtype == np.float64
    np.testing.assert_allclose(f_q, ref_q, rtol=TOL, atol=atol)
    np.testing.assert_array_equal(fc.predict(x, idx), point)


def test_the_calibration_is_in_the_graph(fc, torch_fc):
    """The file's quantiles are the calibrated ones, not the network's raw quantiles (the
    inner network's output mapped back by hand)."""
    x, idx = random_windows(torch_fc, 64)
    loc = torch_fc.module.loc.numpy()[idx, None, None]
    scale = torch_fc.module.scale.numpy()[idx, None, None]
    with torch.inference_mode():
        z = (x - loc[..., 0]) / scale[..., 0]
        raw = torch_fc.module.model(torch.from_numpy(z.astype(np.float32))).numpy()
    raw_q = raw[..., 1:] * scale + loc
    point, q = fc.predict_quantiles(x, idx)
    # the calibration moves the quantiles by more than 1% of the raw intervals' widths
    width = np.abs(raw_q - point[..., None]).max()
    assert np.abs(q - raw_q).max() > 0.01 * width


@SETTINGS
@given(
    batch=st.integers(1, 12),
    level=st.floats(-1e4, 1e4),
    spread=st.floats(1e-3, 1e3),
    seed=st.integers(0, 2**16),
)
def test_quantiles_never_cross_and_match_torch(fc, torch_fc, batch, level, spread, seed):
    rng = np.random.default_rng(seed)
    x = (level + spread * rng.normal(0, 1, (batch, WINDOW))).astype(np.float32)
    idx = rng.integers(0, len(fc.ids), batch)
    _, q = fc.predict_quantiles(x, idx)
    assert np.isfinite(q).all() and not quantiles_cross(q)
    _, ref_q = torch_fc.forecast_quantiles(x, [fc.ids[i] for i in idx])
    # float32 rounding scales with the largest value of a row's computation, not with each
    # quantile: a quantile near 0 beside intervals of +-3 differs by ~1e-5 (seed 0, spread 1/16)
    row = np.maximum(np.abs(ref_q).max(axis=(1, 2)), np.abs(x).max(axis=1))[:, None, None]
    assert (np.abs(q - ref_q) <= TOL * row).all()


def test_predict_quantiles_input_forms(fc):
    values, _ = fc.context
    values = values[:, -WINDOW:]  # the network's window (a Theta mix stores a longer context)
    point, q = fc.predict_quantiles(values[1], "id1")  # a 1-D window
    assert point.shape == (1, HORIZON) and q.shape == (1, HORIZON, K)
    both = fc.predict_quantiles(values, fc.ids)
    np.testing.assert_array_equal(both[1][1], q[0])
    empty = fc.predict_quantiles(np.zeros((0, WINDOW)), [])
    assert empty[0].shape == (0, HORIZON) and empty[1].shape == (0, HORIZON, K)
    f_empty = fc.forecast_quantiles(np.zeros((0, WINDOW)), [])
    assert f_empty[0].shape == (0, HORIZON) and f_empty[1].shape == (0, HORIZON, K)
    lo, hi = (tau_index(fc.network_quantiles, t) for t in level_bounds(80))
    assert (q[..., lo] <= q[..., hi]).all()


def test_point_model_has_no_quantiles(tmp_path):
    tiny_model_dir(tmp_path / "m", n_series=2)
    rep = export_onnx(tmp_path / "m", tmp_path / "m.onnx")
    assert "network_quantiles" not in rep and "max_rel_error_by_output" not in rep
    fc = OnnxPredictor.from_onnx(tmp_path / "m.onnx")
    assert (fc.levels, fc.quantiles, fc.network_quantiles, fc.calibration) == ((), (), (), None)
    assert not {"network_quantiles", "calibration"} & set(fc.metadata)
    assert [o.name for o in fc.session.get_outputs()] == ["forecast"]
    point, q = fc.predict_quantiles(np.ones((3, WINDOW)), [0, 1, 0])
    assert point.shape == (3, HORIZON) and q.shape == (3, HORIZON, 0)
    assert fc.forecast_quantiles(np.ones((3, WINDOW)), ["s0"] * 3)[1].shape == (3, HORIZON, 0)


@pytest.mark.parametrize(
    "cfg",
    [
        dict(cell="lstm", decoder="seq2seq", attention=True, n_series=3),
        dict(cell="gru", bidirectional=True, ensemble=2, n_series=2),
        dict(cell="rnn", layers=2, patch=4),
    ],
    ids=["seq2seq-attention", "bigru-ensemble", "rnn-patch"],
)
def test_every_backbone_exports_its_quantiles(tmp_path, cfg):
    model_dir = tiny_model_dir(tmp_path / "m", levels=LEVELS, quantiles=ASKED, **cfg)
    rep = export_onnx(model_dir, tmp_path / "m.onnx")
    assert rep["max_rel_error"] <= TOL and set(rep["max_rel_error_by_output"]) == {
        "forecast",
        "quantiles",
    }
    torch_fc = load(model_dir).predictor()
    x, idx = random_windows(torch_fc, 9)
    _, q = OnnxPredictor.from_onnx(tmp_path / "m.onnx").predict_quantiles(x, idx)
    _, ref_q = torch_fc.forecast_quantiles(x, [torch_fc.ids[i] for i in idx])
    np.testing.assert_allclose(q, ref_q, rtol=TOL, atol=TOL * np.abs(ref_q).max())


def test_quantile_parity_failure_writes_nothing(tmp_path, monkeypatch):
    model_dir = tiny_model_dir(tmp_path / "m", levels=LEVELS, quantiles=ASKED)
    real = export._reference

    def off_quantiles(*args):
        out = real(*args).copy()
        out[..., -1] *= 1.01  # the point forecast stays exact
        return out

    monkeypatch.setattr(export, "_reference", off_quantiles)
    with pytest.raises(ExportError, match=r"max relative error \S+ of quantiles"):
        export_onnx(model_dir, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_int8_reports_every_output(trained, fc):
    rep = trained[3]
    change = rep["quantized_max_rel_change_by_output"]
    assert set(change) == {"forecast", "quantiles"}
    assert rep["quantized_max_rel_change"] == max(change.values()) < 0.1
    assert rep["quantized_quantiles_mae_vs_float"] > 0
    q8 = OnnxPredictor.from_onnx(rep["quantized_path"])
    assert q8.network_quantiles == fc.network_quantiles
    values = fc.context[0][:, -WINDOW:]  # the network's window
    _, q = q8.predict_quantiles(values, fc.ids)
    assert not quantiles_cross(q)
    np.testing.assert_allclose(q, fc.predict_quantiles(values, fc.ids)[1], rtol=0.1)


# -- the CLI ------------------------------------------------------------------------------


def test_cli_predict_onnx_intervals_equal_torch(runner, trained):
    csv, model_dir, onnx_path, _ = trained
    frames = []
    for model in (model_dir, onnx_path):
        result = runner.invoke(app, ["predict", str(model), str(csv)])
        assert result.exit_code == 0, result.output
        frames.append(pd.read_csv(io.StringIO(result.stdout)))
    by_torch, by_onnx = frames
    columns = ["unique_id", "ds", "forecast", "lo-80", "hi-80", "lo-95", "hi-95", "q-0.5"]
    assert list(by_onnx.columns) == list(by_torch.columns) == columns
    np.testing.assert_allclose(by_onnx[columns[2:]], by_torch[columns[2:]], rtol=1e-5)
    assert (by_onnx["lo-95"] <= by_onnx["lo-80"]).all()
    assert (by_onnx["hi-80"] <= by_onnx["hi-95"]).all()


# -- damaged files: refused in one line naming what disagrees, before any forecast ---------


def edited(source: onnx.ModelProto, path, /, **changes: str | None):
    """``source`` saved at ``path`` with metadata keys replaced (None: removed)."""
    return with_metadata(source, path, **changes)


def model_json(model: onnx.ModelProto, **fields) -> str:
    meta = {p.key: p.value for p in model.metadata_props}
    return json.dumps(json.loads(meta["model"]) | fields)


def refused(path, *fragments: str) -> str:
    with pytest.raises(ArtifactError) as info:
        OnnxPredictor.from_onnx(path)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg
    for f in fragments:
        assert f in msg, msg
    return msg


@pytest.fixture(scope="module")
def proto(trained):
    return onnx.load(str(trained[2]))


def test_levels_that_do_not_match_the_quantiles_are_refused(tmp_path, proto):
    path = edited(proto, tmp_path / "x.onnx", model=model_json(proto, levels=[80.0]))
    refused(path, "metadata network_quantiles is a list of 5 items", "[0.1, 0.5, 0.9]")


def test_fewer_quantiles_than_the_graph_gives_are_refused(tmp_path, proto):
    """Metadata edited consistently (levels and network quantiles) still disagrees with the
    graph's quantiles output."""
    model = model_json(proto, levels=[80.0])
    path = edited(proto, tmp_path / "x.onnx", model=model, network_quantiles="[0.1, 0.5, 0.9]")
    refused(path, "quantiles output has shape", "network_quantiles")


@pytest.mark.parametrize(
    "value, fragment",
    [
        (None, "network_quantiles is missing"),
        ("[0.975, 0.9, 0.5, 0.1, 0.025]", "ascending numbers"),
        ("[0.0, 0.1, 0.5, 0.9, 0.975]", "ascending numbers in [0.0001, 0.9999]"),
        ('["0.025", 0.1, 0.5, 0.9, 0.975]', "ascending numbers"),
        ("[0.05, 0.1, 0.5, 0.9, 0.975]", "network_quantiles is a list of 5 items"),
        ("{", "network_quantiles is not JSON"),
    ],
    ids=["missing", "descending", "out-of-range", "string", "other-taus", "not-json"],
)
def test_bad_network_quantiles_are_refused(tmp_path, proto, value, fragment):
    refused(edited(proto, tmp_path / "x.onnx", network_quantiles=value), fragment)


@pytest.mark.parametrize(
    "value, fragment",
    [
        ('{"count": [1, 2], "guaranteed": true}', "calibration.count"),
        ('{"count": [1, 2, 3, -4], "guaranteed": true}', "calibration.count"),
        ('{"count": [1, 2, 3, 4], "guaranteed": "yes"}', "calibration.guaranteed"),
        ("[1, 2]", "metadata calibration is a list"),
    ],
)
def test_bad_calibration_summary_is_refused(tmp_path, proto, value, fragment):
    refused(edited(proto, tmp_path / "x.onnx", calibration=value), fragment)


def test_point_metadata_on_a_quantile_graph_is_refused(tmp_path, proto):
    model = model_json(proto, levels=[], quantiles=[])
    path = edited(proto, tmp_path / "x.onnx", model=model, network_quantiles=None, calibration=None)
    refused(path, "has a quantiles output", "model.levels")


def test_quantile_metadata_on_a_point_graph_is_refused(tmp_path, proto):
    """A point model's graph (no quantiles output) under a quantile model's metadata."""
    point = tiny_model_dir(tmp_path / "p", n_series=3)
    export_onnx(point, tmp_path / "p.onnx")
    point_proto = onnx.load(str(tmp_path / "p.onnx"))
    meta = {p.key: p.value for p in proto.metadata_props}
    path = edited(
        point_proto,
        tmp_path / "x.onnx",
        model=model_json(point_proto, levels=list(LEVELS), quantiles=list(ASKED)),
        network_quantiles=meta["network_quantiles"],
    )
    refused(path, "network_quantiles names 5 quantiles", "no quantiles output")


def rewired(model: onnx.ModelProto, op: str) -> onnx.ModelProto:
    """``model`` whose quantiles output passes through one more node ``op`` (Neg: descending
    quantiles; Log of Neg: NaN)."""
    model = copy.deepcopy(model)
    graph = model.graph
    producer = next(n for n in graph.node if "quantiles" in n.output)
    producer.output[list(producer.output).index("quantiles")] = "quantiles.raw"
    if op == "Neg":
        graph.node.append(onnx.helper.make_node("Neg", ["quantiles.raw"], ["quantiles"]))
    else:
        graph.node.append(onnx.helper.make_node("Neg", ["quantiles.raw"], ["quantiles.neg"]))
        graph.node.append(onnx.helper.make_node("Log", ["quantiles.neg"], ["quantiles"]))
    return model


@pytest.mark.parametrize(
    "op, fragment", [("Neg", "quantiles cross"), ("Log", "NaN or infinite")], ids=["cross", "nan"]
)
def test_a_graph_whose_quantiles_cross_or_are_nan_is_refused_at_load(tmp_path, proto, op, fragment):
    path = tmp_path / "x.onnx"
    onnx.save(rewired(proto, op), str(path))
    refused(path, fragment, "damaged")
