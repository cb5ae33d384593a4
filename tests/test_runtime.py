"""The torch-free runtime: predict/forecast, the Predictor attributes, refusal of bad
files and inputs, and `forecastr predict|evaluate m.onnx` matching the torch model's CLI."""

from __future__ import annotations

import io

import numpy as np
import onnx
import pandas as pd
import pytest
from test_export import tiny_model_dir

from forecastr.artifact import load
from forecastr.cli import app
from forecastr.data import load_csv
from forecastr.errors import ArtifactError, InputError
from forecastr.export import export_onnx
from forecastr.runtime import OnnxPredictor

N, WINDOW, HORIZON = 30, 12, 4


def write_long_csv(path, n_series: int = 3, n: int = N):
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n_series):
        t = np.arange(n)
        y = 100 * (i + 1) + 10 * np.sin(2 * np.pi * t / 4) + t + rng.normal(0, 1, n)
        ds = pd.date_range("2020-01-01", periods=n, freq="MS")
        rows.append(pd.DataFrame({"unique_id": f"id{i}", "ds": ds, "y": y.round(3)}))
    pd.concat(rows).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(csv, model dir, onnx path) of a 3-series 2-layer GRU built from the CSV's panel."""
    tmp = tmp_path_factory.mktemp("runtime")
    csv = write_long_csv(tmp / "data.csv")
    model_dir = tiny_model_dir(tmp / "m", panel=load_csv(csv), cell="gru", layers=2)
    export_onnx(model_dir, tmp / "m.onnx")
    return csv, model_dir, tmp / "m.onnx"


@pytest.fixture(scope="module")
def fc(exported):
    return OnnxPredictor.from_onnx(exported[2])


def test_attributes_match_the_model_directory(exported, fc):
    bundle = load(exported[1])
    assert (fc.name, fc.window, fc.horizon) == ("GRU", WINDOW, HORIZON)
    assert fc.ids == ["id0", "id1", "id2"] == bundle.schema.ids
    assert fc.schema == bundle.schema
    assert fc.train_end == bundle.config["train_end"]
    values, last = fc.context
    np.testing.assert_array_equal(values, bundle.context()[0])
    assert last == bundle.last_stamps()
    # What only a model directory records of its training: an ONNX file says nothing of it.
    assert (fc.training_config, fc.refit, fc.seasons, fc.evaluation) == ({}, False, [], {})


def test_predict_shapes_and_series_forms(exported, fc):
    torch_fc = load(exported[1]).predictor()
    values, _ = fc.context
    ref = torch_fc.forecast(values, fc.ids)  # (3, H)
    np.testing.assert_allclose(fc.predict(values, fc.ids), ref, rtol=1e-5)
    np.testing.assert_allclose(fc.predict(values, [0, 1, 2]), ref, rtol=1e-5)
    np.testing.assert_allclose(fc.predict(values, np.array([0, 1, 2])), ref, rtol=1e-5)
    one = fc.predict(values[1], "id1")  # a 1-D window
    assert one.shape == (1, HORIZON) and one.dtype == np.float32
    np.testing.assert_allclose(one[0], ref[1], rtol=1e-5)
    same = fc.predict(np.repeat(values[2:3], 5, axis=0), 2)  # one index for every row
    np.testing.assert_allclose(same, np.repeat(ref[2:3], 5, axis=0), rtol=1e-5)
    np.testing.assert_allclose(fc.predict(values.tolist(), fc.ids), ref, rtol=1e-5)


def test_forecast_protocol(exported, fc):
    values, _ = fc.context
    out = fc.forecast(values, ["id2", "id0", "id1"])
    assert out.dtype == np.float64 and out.shape == (3, HORIZON)
    np.testing.assert_allclose(out, fc.predict(values, [2, 0, 1]), rtol=1e-6)
    assert fc.forecast(np.zeros((0, WINDOW)), []).shape == (0, HORIZON)


def test_single_series_model_needs_no_series(tmp_path):
    tiny_model_dir(tmp_path / "m", n_series=1)
    export_onnx(tmp_path / "m", tmp_path / "m.onnx")
    fc = OnnxPredictor.from_onnx(tmp_path / "m.onnx")
    x = np.linspace(0, 1, WINDOW * 7).reshape(7, WINDOW)
    assert fc.predict(x).shape == (7, HORIZON)
    np.testing.assert_array_equal(fc.predict(x), fc.predict(x, 0))


def test_empty_batch(fc):
    assert fc.predict(np.zeros((0, WINDOW)), []).shape == (0, HORIZON)


def test_integer_index_data_round_trips(tmp_path):
    """A step-indexed panel (no dates): stored last steps come back as ints."""
    from conftest import make_panel

    from forecastr import api

    panel = make_panel([40, 50], freq=None)
    tiny_model_dir(tmp_path / "m", panel=panel, cell="rnn")
    export_onnx(tmp_path / "m", tmp_path / "m.onnx")
    fc = OnnxPredictor.from_onnx(tmp_path / "m.onnx")
    assert fc.schema.freq is None and fc.context[1] == [39, 49]
    by_onnx = api.predict(str(tmp_path / "m.onnx"))
    by_torch = api.predict(str(tmp_path / "m"))
    assert by_onnx["ds"].tolist() == by_torch["ds"].tolist() == [40, 41, 42, 43, 50, 51, 52, 53]
    np.testing.assert_allclose(by_onnx["forecast"], by_torch["forecast"], rtol=1e-5)


def test_threads(exported, fc):
    values, _ = fc.context
    fc2 = OnnxPredictor.from_onnx(exported[2], threads=2)
    np.testing.assert_allclose(fc2.predict(values, fc.ids), fc.predict(values, fc.ids), rtol=1e-6)
    with pytest.raises(InputError, match="threads"):
        OnnxPredictor.from_onnx(exported[2], threads=0)


@pytest.mark.parametrize("shape", [(WINDOW - 1,), (3, WINDOW + 1), (2, 3, WINDOW), ()])
def test_wrong_window_is_an_input_error_naming_the_window(fc, shape):
    with pytest.raises(InputError, match=f"expected windows of {WINDOW} values"):
        fc.predict(np.ones(shape), 0)


@pytest.mark.parametrize(
    "series, match",
    [
        (None, "forecasts 3 series; pass series="),
        ("nope", "'nope' is not known"),
        (3, "index 3 is out of range"),
        (-1, "index -1 is out of range"),
        (["id0"], "got 1 series for 2 windows"),
    ],
)
def test_bad_series_is_an_input_error(fc, series, match):
    with pytest.raises(InputError, match=match):
        fc.predict(np.ones((2, WINDOW)), series)


def test_non_finite_window_is_refused(fc):
    x = np.ones((2, WINDOW))
    x[1, 3] = np.nan
    with pytest.raises(InputError, match="NaN"):
        fc.predict(x, 0)


# -- refusing files that are not ours -------------------------------------------------------


def assert_artifact_error(path, *fragments):
    with pytest.raises(ArtifactError) as info:
        OnnxPredictor.from_onnx(path)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg
    for f in fragments:
        assert f in msg
    return msg


def test_missing_file_and_folder(tmp_path):
    assert_artifact_error(tmp_path / "none.onnx", "no such ONNX file")
    assert_artifact_error(tmp_path, "not a file")


@pytest.mark.parametrize(
    "content",
    [b"", b"definitely not protobuf \x00\xff" * 50, b"ir_version: 8\ngraph { }\n"],
    ids=["empty", "garbage", "text"],
)
def test_not_onnx_is_refused(tmp_path, content):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    assert_artifact_error(path)


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.999])
def test_truncated_file_is_refused(tmp_path, exported, keep):
    data = exported[2].read_bytes()
    path = tmp_path / "cut.onnx"
    path.write_bytes(data[: int(len(data) * keep)])
    assert_artifact_error(path)


def identity_model(metadata: dict | None = None):
    x = onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["b", WINDOW])
    y = onnx.helper.make_tensor_value_info("forecast", onnx.TensorProto.FLOAT, ["b", WINDOW])
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("Identity", ["x"], ["forecast"])], "g", [x], [y]
    )
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    model.ir_version = 8  # what onnxruntime >= 1.14 reads
    if metadata:
        onnx.helper.set_model_props(model, metadata)
    return model


def test_foreign_onnx_is_refused(tmp_path):
    path = tmp_path / "foreign.onnx"
    onnx.save(identity_model(), path)
    assert_artifact_error(path, "without forecastr metadata")


def test_other_format_version_is_refused(tmp_path):
    path = tmp_path / "future.onnx"
    onnx.save(identity_model({"format": "forecastr-onnx", "format_version": "99"}), path)
    assert_artifact_error(path, "version 99")


def test_incomplete_metadata_and_foreign_graph_are_refused(tmp_path, exported):
    meta = dict(OnnxPredictor.from_onnx(exported[2]).metadata)
    path = tmp_path / "edited.onnx"
    onnx.save(identity_model({k: v for k, v in meta.items() if k != "schema"}), path)
    assert_artifact_error(path, "missing schema")
    onnx.save(identity_model(meta), path)  # our metadata on someone else's graph
    assert_artifact_error(path, "inputs/outputs")
    meta["series_ids"] = "[not json"
    onnx.save(identity_model(meta), path)
    assert_artifact_error(path, "corrupt forecastr metadata")


# -- the CLI: the ONNX file forecasts what the model directory forecasts -------------------


def read_csv_output(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))


@pytest.mark.parametrize("with_csv", [True, False], ids=["data.csv", "stored-context"])
def test_cli_predict_onnx_equals_torch(runner, exported, with_csv):
    csv, model_dir, onnx_path = exported
    extra = [str(csv)] if with_csv else []
    by_torch = runner.invoke(app, ["predict", str(model_dir), *extra])
    by_onnx = runner.invoke(app, ["predict", str(onnx_path), *extra])
    assert by_torch.exit_code == 0 and by_onnx.exit_code == 0, (by_torch.output, by_onnx.output)
    a, b = read_csv_output(by_onnx.stdout), read_csv_output(by_torch.stdout)
    assert list(a.columns) == list(b.columns) == ["unique_id", "ds", "forecast"]
    assert a["unique_id"].tolist() == b["unique_id"].tolist()
    assert a["ds"].tolist() == b["ds"].tolist()
    assert len(a) == 3 * HORIZON and a["ds"].iloc[0] == "2022-07-01"
    np.testing.assert_allclose(a["forecast"], b["forecast"], rtol=1e-5)


def test_cli_evaluate_onnx_equals_torch(runner, exported):
    csv, model_dir, onnx_path = exported
    import json

    scores = []
    for model in (model_dir, onnx_path):
        result = runner.invoke(app, ["evaluate", str(model), str(csv), "--json"])
        assert result.exit_code == 0, result.output
        rows = {r["method"]: r for r in json.loads(result.stdout)["summary"]}
        scores.append(rows["GRU"]["mae"])
    assert scores[0] == pytest.approx(scores[1], rel=1e-5)


def test_cli_predict_refuses_a_foreign_onnx_in_one_line(runner, tmp_path, exported):
    path = tmp_path / "foreign.onnx"
    onnx.save(identity_model(), path)
    result = runner.invoke(app, ["predict", str(path), str(exported[0])])
    assert result.exit_code == ArtifactError.exit_code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "forecastr metadata" in lines[0]


def test_cli_predict_without_stored_context_needs_a_csv(runner, tmp_path, monkeypatch):
    from forecastr import onnxmeta

    monkeypatch.setattr(onnxmeta, "MAX_CONTEXT_VALUES", 1)
    tiny_model_dir(tmp_path / "m")
    export_onnx(tmp_path / "m", tmp_path / "m.onnx")
    result = runner.invoke(app, ["predict", str(tmp_path / "m.onnx")])
    assert result.exit_code == ArtifactError.exit_code
    assert "no stored context" in result.stderr
