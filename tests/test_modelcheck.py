"""Every field of a model file and of ONNX metadata is checked before anything is built: a
regression corpus of the crafted files that once crashed, hung or allocated gigabytes, each
refused in one ArtifactError line naming the file and the field, through the real loaders
and the CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import onnx
import onnxedit
import pytest
from test_export import BACKBONES
from test_runtime import write_long_csv

from forecastr import api, artifact, jsonfields, modelcheck, weightcheck
from forecastr.artifact import CONFIG
from forecastr.cli import app
from forecastr.errors import ArtifactError
from forecastr.modeldir import DIGEST_KEY, config_digest, sha256_file
from forecastr.runtime import OnnxPredictor

OPTS = {"cell": "gru", "hidden": 8, "layers": 1, "window": 12, "horizon": 4, "ensemble": 1}
INT64_MAX = 2**63 - 1


# ------------------------------------------------------------------------------------------
# one tiny trained model and its ONNX export, copied into tmp dirs to be damaged


def make_model(tmp: Path) -> tuple[Path, Path, Path]:
    """(csv, model dir, onnx file) of one tiny GRU trained for one epoch on 3 series."""
    from forecastr.export import export_onnx

    csv = write_long_csv(tmp / "data.csv", n_series=3, n=60)
    api.train(str(csv), **OPTS, epochs=1, batch_size=32, out=str(tmp / "m"))
    export_onnx(tmp / "m", tmp / "m.onnx")
    return csv, tmp / "m", tmp / "m.onnx"


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path, Path]:
    return make_model(tmp_path_factory.mktemp("modelcheck"))


def weights_of(model_dir: Path) -> Path:
    """The weights file config.json names (format 1: weights.safetensors)."""
    cfg = json.loads((model_dir / CONFIG).read_text())
    return model_dir / cfg.get("weights", artifact.WEIGHTS)


def reseal(model_dir: Path) -> None:
    """Recompute the digests the loader checks (the weights' SHA-256 and config.json's own,
    as artifact.save writes them), so a damaged field reaches the checks behind them."""
    cfg = json.loads((model_dir / CONFIG).read_text())
    cfg["weights_sha256"] = sha256_file(str(weights_of(model_dir)))
    cfg[DIGEST_KEY] = config_digest(cfg)
    (model_dir / CONFIG).write_text(json.dumps(cfg))


def copy_model(trained, tmp_path: Path) -> Path:
    import shutil

    dst = tmp_path / "model"
    shutil.copytree(trained[1], dst)
    return dst


def write_config(model_dir: Path, edit) -> None:
    cfg = json.loads((model_dir / CONFIG).read_text())
    edit(cfg)
    (model_dir / CONFIG).write_text(json.dumps(cfg))  # NaN is written as NaN, as an editor may
    reseal(model_dir)


def edit_weights(model_dir: Path, edit) -> None:
    """Rewrite the weights file (same name) after ``edit(tensors)``, then reseal."""
    from safetensors.numpy import load_file, save_file

    path = weights_of(model_dir)
    tensors = load_file(str(path))
    edit(tensors)
    save_file(tensors, str(path), metadata={"format": artifact.FORMAT})
    reseal(model_dir)


def refused(model_dir: Path, *fragments: str) -> str:
    """Load, build and forecast: an ArtifactError in one line holding every fragment."""
    with pytest.raises(ArtifactError) as info:
        api.predict(str(model_dir))
    msg = str(info.value)
    assert "\n" not in msg and msg.strip() == msg, msg
    for f in fragments:
        assert f in msg, (f, msg)
    return msg


# ------------------------------------------------------------------------------------------
# the regression corpus: config.json fields


def setter(*path_and_value):
    *path, value = path_and_value

    def edit(cfg):
        node = cfg
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def deleter(*path):
    def edit(cfg):
        node = cfg
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return edit


CONFIG_CASES = {
    # window: zero, one, negative, a string, a float, null, a list, huge, NaN
    "window-0": (setter("model", "window", 0), "model.window is 0"),
    "window-1": (setter("model", "window", 1), "model.window is 1"),
    "window-negative": (setter("model", "window", -12), "model.window is -12"),
    "window-string": (setter("model", "window", "12"), "model.window is '12' (a string)"),
    "window-float": (setter("model", "window", 12.0), "model.window is 12.0"),
    "window-null": (setter("model", "window", None), "model.window is null"),
    "window-list": (setter("model", "window", [12]), "model.window is a list"),
    "window-2**70": (setter("model", "window", 2**70), "model.window is about 1.18e+21"),
    "window-nan": (setter("model", "window", math.nan), "model.window is NaN"),
    "window-missing": (deleter("model", "window"), "model.window is missing"),
    "horizon-0": (setter("model", "horizon", 0), "model.horizon is 0"),
    "horizon-1e9": (setter("model", "horizon", 10**9), "model.horizon is 1000000000"),
    "hidden-15000": (setter("model", "hidden", 15000), "model.hidden is 15000", "1 to 4096"),
    "hidden-0": (setter("model", "hidden", 0), "model.hidden is 0"),
    "hidden-bool": (setter("model", "hidden", True), "model.hidden is true"),
    "layers-1e6": (setter("model", "layers", 1_000_000), "model.layers is 1000000"),
    "layers-0": (setter("model", "layers", 0), "model.layers is 0"),
    "params": (setter("model", "hidden", 4096), "parameters", "model.hidden (4096)"),
    "patch-not-divisor": (setter("model", "patch", 5), "model.patch is 5", "divisor"),
    "patch-0": (setter("model", "patch", 0), "model.patch is 0"),
    "cell": (setter("model", "cell", "transformer"), "model.cell is 'transformer'"),
    "decoder": (setter("model", "decoder", "magic"), "model.decoder is 'magic'"),
    "attention-direct": (setter("model", "attention", True), "model.attention is true"),
    "dropout-1.5": (setter("model", "dropout", 1.5), "model.dropout is 1.5"),
    "dropout-nan": (setter("model", "dropout", math.nan), "model.dropout is NaN"),
    "bidirectional-string": (setter("model", "bidirectional", "yes"), "model.bidirectional"),
    "season-length-0": (setter("model", "season_length", 0), "model.season_length is 0"),
    "base": (setter("model", "base", "arima"), "model.base"),
    "window-norm-int": (setter("model", "window_norm", 1), "model.window_norm is 1"),
    "ensemble-1e9": (setter("model", "ensemble", 1_000_000_000), "model.ensemble is 1000000000"),
    "ensemble-1e9-float": (setter("model", "ensemble", 1e9), "model.ensemble is 1000000000.0"),
    "model-unknown-field": (setter("model", "heads", 8), "model.heads is not a forecastr"),
    "model-missing": (deleter("model"), "'model' section is missing"),
    "model-not-object": (setter("model", 5), "field model is 5"),
    "model-list": (setter("model", [1, 2]), "field model is a list"),
    # data schema
    "ids-string": (setter("data", "ids", "id0"), "data.ids is 'id0' (a string)"),
    "ids-numbers": (setter("data", "ids", [0, 1, 2]), "data.ids[0] is 0"),
    "ids-duplicate": (setter("data", "ids", ["id0", "id0", "id1"]), "'id0' appears twice"),
    "ids-empty": (setter("data", "ids", []), "data.ids is a list of 0 items"),
    "freq-bad": (setter("data", "freq", "fortnightly"), "data.freq is 'fortnightly'"),
    "freq-negative": (setter("data", "freq", "-1D"), "data.freq is '-1D'"),
    "freq-number": (setter("data", "freq", 5), "data.freq is 5"),
    "step-0": (setter("data", "step", 0), "data.step is 0"),
    "floor-5": (setter("data", "floor", 5), "data.floor is 5", "null or 0"),
    "floor-string": (setter("data", "floor", "0"), "data.floor is '0' (a string)"),
    "floor-nan": (setter("data", "floor", math.nan), "data.floor is NaN"),
    "layout": (setter("data", "layout", "sideways"), "data.layout"),
    # a stored spelling of stamps is formatted: only its own bare fields may run
    "spelling-attribute": (
        setter("data", "spelling", {"template": "{Y.__class__}Q{q}", "zone": None}),
        "data.spelling.template",
        "a period template",
    ),
    "spelling-index": (
        setter("data", "spelling", {"template": "{0}-{m}"}),
        "data.spelling.template",
    ),
    "spelling-spec": (
        setter("data", "spelling", {"template": "{m:>999999999}"}),
        "data.spelling.template",
    ),
    "spelling-no-field": (setter("data", "spelling", {"template": "2020"}), "data.spelling"),
    "spelling-control": (
        setter("data", "spelling", {"template": "\x00{Y}Q{q}"}),
        "data.spelling.template",
    ),
    "spelling-zone": (setter("data", "spelling", {"zone": "+99:00"}), "data.spelling.zone"),
    "spelling-zone-text": (setter("data", "spelling", {"zone": 2}), "data.spelling.zone is 2"),
    "spelling-both": (setter("data", "spelling", {"template": "{Y}Q{q}", "zone": "Z"}), "not both"),
    "spelling-key": (setter("data", "spelling", {"font": "x"}), "data.spelling"),
    "spelling-cycle-1": (setter("data", "spelling", {"cycle": 1}), "data.spelling.cycle is 1"),
    "spelling-cycle-bool": (setter("data", "spelling", {"cycle": True}), "data.spelling.cycle"),
    "spelling-cycle-float": (setter("data", "spelling", {"cycle": 7.5}), "data.spelling.cycle"),
    "spelling-cycle-and-zone": (
        setter("data", "spelling", {"cycle": 7, "zone": "Z"}),
        "a cycle alone",
    ),
    "spelling-list": (setter("data", "spelling", ["{Y}"]), "data.spelling"),
    "columns-target": (setter("data", "columns", "target", "y"), "data.columns.target"),
    "columns-null": (setter("data", "columns", None), "data.columns is null"),
    "columns-target-empty": (
        setter("data", "columns", "target", [""]),
        "data.columns.target[0] is '' (a string)",
    ),
    # scaler tables
    "scaler-kind": (setter("scaler", "kind", "log"), "scaler.kind is 'log'"),
    "scaler-loc-string": (setter("scaler", "loc", ["a", 1, 2]), "scaler.loc[0] is 'a'"),
    "scaler-scale-zero": (setter("scaler", "scale", [0, 1, 1]), "scaler.scale[0] is 0"),
    "scaler-loc-nan": (setter("scaler", "loc", [math.nan, 1, 2]), "scaler.loc[0] is NaN"),
    "scaler-short": (setter("scaler", "loc", [1.0]), "scaler.loc is a list of 1 items"),
    "scaler-missing": (deleter("scaler"), "'scaler' section is missing"),
    # train_end, refit, seasons, training, evaluation
    "train-end-not-date": (setter("train_end", "id0", "not a date"), "train_end['id0']"),
    "train-end-list": (setter("train_end", "id0", [1]), "train_end['id0'] is a list"),
    "train-end-unknown-id": (setter("train_end", "nobody", "2020-01-01"), "train_end['nobody']"),
    "train-end-number": (setter("train_end", 5), "train_end is 5"),
    "train-end-year-3000": (setter("train_end", "id0", "3000-01-01"), "train_end['id0']"),
    "refit-string": (setter("refit", "yes"), "field refit is 'yes'"),
    "seasons-period-0": (setter("seasons", [{"period": 0}]), "seasons[0].period is 0"),
    "seasons-string": (setter("seasons", "12"), "field seasons is '12'"),
    "seasons-periodogram": (
        setter("seasons", [{"period": 10, "periodogram": "all"}]),
        "seasons[0].periodogram is 'all'",
    ),
    "training-epochs": (setter("training", "epochs", "10"), "training.epochs is '10'"),
    "training-lr-nan": (setter("training", "lr", math.nan), "training.lr is NaN"),
    "training-not-object": (setter("training", [1]), "field training is a list"),
    "train-horizon-0": (setter("training", "train_horizon", 0), "training.train_horizon is 0"),
    "train-horizon-string": (
        setter("training", "train_horizon", "6"),
        "training.train_horizon is '6' (a string)",
    ),
    "evaluation-summary": (setter("evaluation", "summary", "x"), "evaluation.summary"),
    "evaluation-row": (setter("evaluation", "summary", [5]), "evaluation.summary[0] is 5"),
    "evaluation-model": (setter("evaluation", "model", ["GRU"]), "evaluation.model"),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_a_crafted_config_is_refused_naming_the_field(trained, tmp_path, case):
    edit, *fragments = CONFIG_CASES[case]
    model_dir = copy_model(trained, tmp_path)
    write_config(model_dir, edit)
    refused(model_dir, CONFIG, *fragments)


def test_format_version_as_a_string_shows_its_type(trained, tmp_path):
    model_dir = copy_model(trained, tmp_path)
    write_config(model_dir, setter("format_version", "2"))
    msg = refused(model_dir, "'2'")
    assert "version 2 but" not in msg  # never "version 2 but ... reads version 2"


def test_deeply_nested_json_is_corrupt_not_a_crash(trained, tmp_path):
    model_dir = copy_model(trained, tmp_path)
    text = (model_dir / CONFIG).read_text()
    deep = "[" * 200_000 + "]" * 200_000
    (model_dir / CONFIG).write_text(text.replace('"refit": ', f'"deep": {deep}, "refit": ', 1))
    refused(model_dir, "corrupt JSON")


def test_a_valid_copy_still_loads(trained, tmp_path):
    """The corpus' control: the untouched copy, resealed, forecasts."""
    model_dir = copy_model(trained, tmp_path)
    write_config(model_dir, lambda cfg: None)
    frame = api.predict(str(model_dir))
    assert len(frame) == 3 * OPTS["horizon"] and np.isfinite(frame["forecast"]).all()


# ------------------------------------------------------------------------------------------
# the weights file against the config


def add_series(cfg):
    """A fourth series in the config only: the weights still hold three."""
    cfg["data"]["ids"].append("id3")
    cfg["scaler"]["loc"].append(0.0)
    cfg["scaler"]["scale"].append(1.0)


WEIGHT_CASES = {
    "ids-vs-weights": (add_series, None, "[3] but config.json implies"),
    "hidden-vs-weights": (setter("model", "hidden", 16), None, "do not fit"),
    "ensemble-vs-weights": (setter("model", "ensemble", 2), None, "do not fit the config"),
    "extra-tensor": (
        None,
        lambda t: t.update({"model.model.extra": np.zeros(3, np.float32)}),
        "unexpected tensor 'model.model.extra'",
    ),
    "context-rows": (
        None,
        lambda t: t.update({"context.values": t["context.values"][:2]}),
        "context.values is F64 [2, ",  # the window, or the Theta combination's context
    ),
    "context-half": (None, lambda t: t.pop("context.last"), "context.last is missing"),
    "context-dtype": (
        None,
        lambda t: t.update({"context.last": t["context.last"].astype(np.float64)}),
        "context.last is F64",
    ),
    "context-nan": (
        None,
        lambda t: t["context.values"].__setitem__((0, 0), np.nan),
        "context.values holds NaN",
    ),
    "last-int64-max": (
        None,
        lambda t: t["context.last"].__setitem__(0, INT64_MAX),
        "context.last holds 2262-04-11",
    ),
    "last-nat": (
        None,
        lambda t: t["context.last"].__setitem__(0, -(2**63)),
        "missing timestamp (NaT)",
    ),
}


@pytest.mark.parametrize("case", list(WEIGHT_CASES))
def test_weights_that_do_not_fit_are_refused_before_loading(trained, tmp_path, case):
    cfg_edit, tensor_edit, fragment = WEIGHT_CASES[case]
    model_dir = copy_model(trained, tmp_path)
    if tensor_edit is not None:
        edit_weights(model_dir, tensor_edit)
    if cfg_edit is not None:
        write_config(model_dir, cfg_edit)
    refused(model_dir, fragment)


def test_integer_steps_at_int64_max_are_refused(trained, tmp_path):
    model_dir = copy_model(trained, tmp_path)
    edit_weights(model_dir, lambda t: t["context.last"].__setitem__(0, INT64_MAX - 2))

    def integer_axis(cfg):
        cfg["data"]["freq"] = None
        cfg["train_end"] = {}

    write_config(model_dir, integer_axis)
    refused(model_dir, "context.last holds step 9223372036854775805", "64-bit")


@pytest.mark.parametrize(
    "header",
    [(2**40).to_bytes(8, "little"), (5).to_bytes(8, "little") + b"[1,2]", b"\x01"],
    ids=["huge-length", "not-an-object", "short"],
)
def test_a_crafted_safetensors_header_is_refused_unparsed(trained, tmp_path, header):
    model_dir = copy_model(trained, tmp_path)
    weights_of(model_dir).write_bytes(header)
    reseal(model_dir)
    refused(model_dir, "corrupt weights file")


@pytest.mark.parametrize("name", list(BACKBONES))
def test_expected_tensors_match_the_real_network(name):
    """The torch-free shapes equal models.build's state_dict for every backbone."""
    import torch

    from forecastr.models import ModelConfig, Scaled, build

    cfg = {k: v for k, v in BACKBONES[name].items() if k != "n_series"}
    mcfg = ModelConfig(**{"window": 12, "horizon": 4, "hidden": 8, "layers": 1, **cfg})
    state = Scaled(build(mcfg), torch.zeros(3), torch.ones(3)).state_dict()
    real = {f"model.{k}": (tuple(v.shape), "F32") for k, v in state.items()}
    m = modelcheck.check_model(jsonfields.Where("x", "fix"), mcfg.to_dict())
    assert modelcheck.expected_tensors(m, 3) == real


def test_the_checks_follow_the_config():
    """modelcheck is torch-free, like config.py: it reads the model's fields, defaults and
    choices from there, and knows the gate count of every cell."""
    from forecastr import config, models

    assert tuple(modelcheck.GATES) == config.CELLS
    fields = models.ModelConfig.__dataclass_fields__
    assert tuple(fields) == modelcheck.MODEL_FIELDS
    defaults = {k: f.default for k, f in fields.items() if k not in ("window", "horizon")}
    assert defaults == modelcheck.MODEL_DEFAULTS


def test_the_bounds_keep_loading_under_a_gigabyte():
    """What a model at every bound holds while loading: the weights file's bytes, the
    tensors read from them, the module built and the copies handed to load_state_dict (4x
    the parameters), the stored context (file bytes and tensor), the config text and parse."""
    weights = 4 * 4 * modelcheck.MAX_PARAMS
    context = 2 * 8 * modelcheck.MAX_CONTEXT_VALUES
    config = jsonfields.MAX_JSON_CHARS + 100 * jsonfields.MAX_JSON_VALUES
    assert weights + context + weightcheck.MAX_HEADER_BYTES < 2**30
    assert config < 2**30


# ------------------------------------------------------------------------------------------
# the CLI: one line, a non-zero exit, never an internal error


def cli_refuses(runner, args: list[str], *fragments: str) -> str:
    result = runner.invoke(app, args)
    err = result.stderr
    assert result.exit_code not in (0, 70), (result.exit_code, err)
    assert "internal error" not in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    flat = " ".join(err.split())
    for f in fragments:
        assert f in flat, (f, err)
    return err


CLI_CASES = {
    "hidden-15000": (setter("model", "hidden", 15000), "model.hidden"),
    "window-string": (setter("model", "window", "12"), "model.window"),
    "ensemble-1e9": (setter("model", "ensemble", 10**9), "model.ensemble"),
    "season-length-0": (setter("model", "season_length", 0), "model.season_length"),
}


@pytest.mark.parametrize("command", ["predict", "evaluate", "export"])
@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_refuses_a_crafted_model_in_one_line(runner, trained, tmp_path, command, case):
    edit, field = CLI_CASES[case]
    model_dir = copy_model(trained, tmp_path)
    write_config(model_dir, edit)
    args = {
        "predict": ["predict", str(model_dir)],
        "evaluate": ["evaluate", str(model_dir), str(trained[0])],
        "export": ["export", str(model_dir), "--onnx", str(tmp_path / "x.onnx")],
    }[command]
    cli_refuses(runner, args, field)
    assert not (tmp_path / "x.onnx").exists()


def test_cli_refuses_a_timestamp_at_the_end_of_time(runner, trained, tmp_path):
    model_dir = copy_model(trained, tmp_path)
    edit_weights(model_dir, lambda t: t["context.last"].__setitem__(0, INT64_MAX))
    cli_refuses(runner, ["predict", str(model_dir)], "context.last")


# ------------------------------------------------------------------------------------------
# ONNX metadata


def with_metadata(trained, tmp_path: Path, **changes) -> Path:
    """A copy of the exported file with metadata keys replaced (None deletes one)."""
    return onnxedit.with_metadata(onnx.load(str(trained[2])), tmp_path / "edited.onnx", **changes)


def model_meta(trained, **changes) -> str:
    meta = {p.key: p.value for p in onnx.load(str(trained[2])).metadata_props}
    return json.dumps({**json.loads(meta["model"]), **changes})


def schema_meta(trained, **changes) -> str:
    meta = {p.key: p.value for p in onnx.load(str(trained[2])).metadata_props}
    return json.dumps({**json.loads(meta["schema"]), **changes})


def context_meta(trained, last0: int | None = None, value0: float | None = None) -> str:
    meta = {p.key: p.value for p in onnx.load(str(trained[2])).metadata_props}
    ctx = json.loads(meta["context"])
    if last0 is not None:
        ctx["last"][0] = last0
    if value0 is not None:
        ctx["values"][0][0] = value0
    return json.dumps(ctx)


ONNX_CASES = {
    "window-0": (lambda t: {"window": "0"}, "metadata window is '0'"),
    "window-float": (lambda t: {"window": "12.0"}, "metadata window is '12.0'"),
    "window-unicode-digits": (lambda t: {"window": "١٢"}, "metadata window"),
    "horizon-1e9": (lambda t: {"horizon": "1000000000"}, "metadata horizon"),
    "model-hidden": (lambda t: {"model": model_meta(t, hidden=15000)}, "metadata model.hidden"),
    "model-window": (lambda t: {"model": model_meta(t, window=24)}, "metadata model.window"),
    "model-not-json": (lambda t: {"model": "{"}, "model is not JSON"),
    "model-deep": (lambda t: {"model": "[" * 100_000 + "]" * 100_000}, "nested too deeply"),
    "series-ids-string": (lambda t: {"series_ids": '"abc"'}, "metadata series_ids"),
    "schema-ids": (lambda t: {"schema": '{"ids": 5}'}, "metadata schema.ids is 5"),
    "schema-floor": (lambda t: {"schema": schema_meta(t, floor=7)}, "metadata schema.floor is 7"),
    "step-0": (lambda t: {"step": "0"}, "metadata step is '0'"),
    "scaler": (lambda t: {"scaler": "log"}, "metadata scaler is 'log'"),
    "name-long": (lambda t: {"name": "x" * 5000}, "metadata name"),
    "train-end": (lambda t: {"train_end": '{"id0": "nope"}'}, "metadata train_end['id0']"),
    "context-last-max": (
        lambda t: {"context": context_meta(t, INT64_MAX)},
        "metadata context.last holds 2262",
    ),
    "context-last-huge": (lambda t: {"context": context_meta(t, 2**64)}, "context.last[0]"),
    "context-beyond-float32": (
        lambda t: {"context": context_meta(t, value0=1e39)},
        "beyond the float32 range",
    ),
    "context-not-object": (lambda t: {"context": "[]"}, "metadata context is a list"),
    "reference-zero": (lambda t: {"reference_scaling": "[0, 0]"}, "reference_scaling"),
    "reference-deep": (
        lambda t: {"reference_scaling": "[" * 100_000 + "]" * 100_000},
        "nested too deeply",
    ),
    "freq-mismatch": (lambda t: {"freq": "h"}, "metadata freq is 'h'"),
    "too-much": (lambda t: {"exporter": "," * 9_000_000}, "more than a forecastr export"),
}


@pytest.mark.parametrize("case", list(ONNX_CASES))
def test_crafted_onnx_metadata_is_refused_naming_the_key(trained, tmp_path, case):
    make, fragment = ONNX_CASES[case]
    path = with_metadata(trained, tmp_path, **make(trained))
    with pytest.raises(ArtifactError) as info:
        OnnxPredictor.from_onnx(path)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg, msg
    assert fragment in msg, (fragment, msg)


def test_cli_predict_refuses_crafted_onnx_in_one_line(runner, trained, tmp_path):
    path = with_metadata(trained, tmp_path, model=model_meta(trained, hidden=15000))
    cli_refuses(runner, ["predict", str(path)], "metadata model.hidden")


def test_a_graph_whose_series_table_is_shorter_than_its_ids_is_refused(trained, tmp_path):
    meta = {p.key: p.value for p in onnx.load(str(trained[2])).metadata_props}
    ids = [*json.loads(meta["series_ids"]), "id3"]
    schema = {**json.loads(meta["schema"]), "ids": ids}
    train_end = json.loads(meta["train_end"])
    path = with_metadata(
        trained,
        tmp_path,
        series_ids=json.dumps(ids),
        schema=json.dumps(schema),
        train_end=json.dumps(train_end),
        context=None,
    )
    with pytest.raises(ArtifactError, match="graph failed to run"):
        OnnxPredictor.from_onnx(path)


# ------------------------------------------------------------------------------------------
# memory: the worst crafted configs are refused before anything is allocated

# Peak RSS from VmHWM: getrusage's ru_maxrss survives exec, so a child forked from this
# (torch-laden) test process would report the parent's size.
PEAK_RSS = """
import json, sys
from forecastr.artifact import load
from forecastr.errors import ArtifactError
for path in sys.argv[1:]:
    try:
        load(path).predictor()
        print("accepted", path)
    except ArtifactError as err:
        pass
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")]
print(json.dumps({"maxrss_kb": int(hwm[0].split()[1]), "torch": "torch" in sys.modules}))
"""


def test_the_worst_crafted_configs_allocate_nothing(trained, tmp_path):
    dirs = []
    for i, (key, value) in enumerate(
        [("hidden", 15000), ("ensemble", 10**9), ("layers", 10**6), ("horizon", 10**9)]
    ):
        d = copy_model(trained, tmp_path / str(i))
        write_config(d, setter("model", key, value))
        dirs.append(str(d))
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PEAK_RSS), *dirs],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert "accepted" not in run.stdout
    assert not report["torch"]  # refused before the network's module was even imported
    print(f"peak RSS loading the worst crafted configs: {report['maxrss_kb'] / 1024:.0f} MiB")
    assert report["maxrss_kb"] < 300 * 1024  # imports (numpy, pandas, pyarrow) included
