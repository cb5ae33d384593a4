"""Fuzzing the loaders: random mutations of a valid config.json and of an ONNX file's
metadata, each taken through loading and one forecast (and, for a model directory that
loads, a backtest). The only acceptable outcomes are a ForecastrError or finite forecasts;
any other exception, or an example running past its time limit, fails.

The mutations are plain functions of a ``random.Random`` so that ``bench/fuzz_models.py``
can run many more of them and count the outcomes; here hypothesis drives (and shrinks) them.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import random
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_modelcheck import make_model, reseal, weights_of
from timelimit import time_limit

from forecastr import api
from forecastr.errors import ForecastrError
from forecastr.modelcheck import MODEL_FIELDS

TIME_LIMIT_S = 10  # per example: the slowest clean refusal or forecast takes well under 1 s
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- random JSON, biased towards the values that broke loaders before ----------------------

INTS = [0, 1, -1, 2, 3, 4, 12, 64, 4096, 4097, 15000, 10**6, 10**9, 2**31, 2**63 - 1, 2**63, 2**70]
FLOATS = [math.nan, math.inf, -math.inf, 0.0, -0.0, 0.5, 1.5, 12.0, 1e9, 1e308, -1e308]
STRINGS = ["", "x", "12", "1", "gru", "lstm", "seq2seq", "MS", "h", "-1D", "0h", "nan"]
STRINGS += ["2024-01-01", "3000-01-01", "not a date", "id0", "\n", "x" * 5000]
KEYS = [*MODEL_FIELDS, "ids", "freq", "step", "loc", "scale", "kind", "period", "zzz"]


def random_value(rnd: random.Random, depth: int = 0):
    """A JSON value: mostly scalars from the lists above, sometimes a small list or object."""
    kind = rnd.randrange(9 if depth < 2 else 7)
    if kind == 0:
        return rnd.choice([None, True, False])
    if kind in (1, 2):
        return rnd.choice(INTS) if kind == 1 else rnd.randint(-100, 100)
    if kind in (3, 4):
        return rnd.choice(FLOATS) if kind == 3 else rnd.uniform(-1e3, 1e3)
    if kind in (5, 6):
        return rnd.choice(STRINGS)
    if kind == 7:
        return [random_value(rnd, depth + 1) for _ in range(rnd.randrange(4))]
    return {rnd.choice(KEYS): random_value(rnd, depth + 1) for _ in range(rnd.randrange(4))}


def _positions(node, path=()):
    """Every (path) to a value inside ``node``, the root's own path () first."""
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _positions(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:16]):  # long lists (histories): their head is enough
            yield from _positions(v, (*path, i))


def _at(node, path):
    for key in path:
        node = node[key]
    return node


def mutate(tree, rnd: random.Random, protected: tuple[str, ...] = ()):
    """1-3 of: replace, delete, insert or nudge a value anywhere in ``tree`` (a copy).

    A top-level key is chosen first (so the small sections the loaders read are hit as
    often as the long training history), then any position under it.
    """
    tree = copy.deepcopy(tree)
    for _ in range(rnd.randint(1, 3)):
        tops = [k for k in tree if k not in protected] if isinstance(tree, dict) else []
        if not tops:
            return random_value(rnd)
        top = rnd.choice(tops)
        path = rnd.choice(list(_positions(tree[top], (top,))))
        parent, key = _at(tree, path[:-1]), path[-1]
        op = rnd.choice(["replace", "replace", "delete", "insert", "nudge"])
        value = parent[key]
        if op == "delete":
            del parent[key]
        elif op == "insert" and isinstance(value, dict):
            value[rnd.choice(KEYS)] = random_value(rnd)
        elif op == "insert" and isinstance(value, list):
            value.insert(rnd.randint(0, len(value)), random_value(rnd))
        elif op == "nudge" and type(value) in (int, float) and math.isfinite(value):
            parent[key] = rnd.choice([0, -value, value + 1, value - 1, value * 1000, value + 0.5])
        else:
            parent[key] = random_value(rnd)
    return tree


# -- running one case ----------------------------------------------------------------------


def run_model(path: Path, csv: Path) -> str:
    """'refused' (a ForecastrError) or 'accepted' (finite forecasts) for a model directory or
    an ONNX file; anything else raises."""
    with time_limit(TIME_LIMIT_S):
        try:
            frame = api.predict(str(path))
            assert np.isfinite(frame["forecast"].to_numpy()).all(), "non-finite forecast"
        except ForecastrError:
            return "refused"
        # It loads: a backtest reads the rest (train_end, seasons, season_length).
        with contextlib.suppress(ForecastrError):
            api.evaluate(str(csv), str(path))
    return "accepted"


def write_mutated_config(model_dir: Path, config: dict, rnd: random.Random) -> None:
    """config.json mutated (digests excluded: they are recomputed, as a forger would)."""
    mutated = mutate(config, rnd, protected=("config_sha256", "weights_sha256"))
    (model_dir / "config.json").write_text(json.dumps(mutated))
    if isinstance(mutated, dict):
        with contextlib.suppress(Exception):  # an unsealable config is refused all the same
            reseal(model_dir)


def write_mutated_header(model_dir: Path, weights: bytes, rnd: random.Random) -> None:
    """The weights file with its safetensors header (names, dtypes, shapes, offsets)
    mutated and its data kept, resealed."""
    length = int.from_bytes(weights[:8], "little")
    header = mutate(json.loads(weights[8 : 8 + length]), rnd)
    text = json.dumps(header).encode("utf-8")
    path = weights_of(model_dir)
    path.write_bytes(len(text).to_bytes(8, "little") + text + weights[8 + length :])
    reseal(model_dir)


JSON_META = ("model", "schema", "series_ids", "train_end", "context", "reference_scaling")


def mutate_metadata(meta: dict[str, str], rnd: random.Random) -> dict[str, str]:
    """Delete, add or replace a metadata key; JSON values are mostly mutated as trees."""
    meta = dict(meta)
    key = rnd.choice([*meta, "zzz"])
    op = rnd.randrange(6)
    if op == 0 and key in meta:
        del meta[key]
    elif op <= 3 and key in JSON_META and key in meta:
        wrapped = mutate({"v": json.loads(meta[key])}, rnd)  # "v" itself may go too
        meta[key] = json.dumps(wrapped.get("v") if isinstance(wrapped, dict) else wrapped)
    elif op == 4:
        meta[key] = json.dumps(random_value(rnd))
    else:
        meta[key] = str(rnd.choice([*STRINGS, *INTS]))
    return meta


def write_onnx(model: onnx.ModelProto, meta: dict[str, str], path: Path) -> None:
    model = copy.deepcopy(model)
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, meta)
    onnx.save(model, str(path))


# -- the tests -----------------------------------------------------------------------------


def fuzz_inputs(tmp):
    """A tiny trained model under ``tmp`` and what the fuzzers mutate (also bench/fuzz_models)."""
    csv, model_dir, onnx_path = make_model(tmp)
    work = tmp / "work"
    shutil.copytree(model_dir, work)
    config = json.loads((model_dir / "config.json").read_text())
    model = onnx.load(str(onnx_path))
    meta = {p.key: p.value for p in model.metadata_props}
    weights = weights_of(model_dir).read_bytes()
    return {
        "csv": csv,
        "work": work,
        "config": config,
        "weights": weights,
        "onnx": model,
        "meta": meta,
        "tmp": tmp,
        "model_dir": model_dir,
    }


@pytest.fixture(scope="module")
def fuzz_setup(tmp_path_factory):
    return fuzz_inputs(tmp_path_factory.mktemp("fuzz"))


@SETTINGS
@given(rnd=st.randoms(use_true_random=False))
def test_fuzzed_configs_are_refused_cleanly_or_forecast(fuzz_setup, rnd):
    write_mutated_config(fuzz_setup["work"], fuzz_setup["config"], rnd)
    run_model(fuzz_setup["work"], fuzz_setup["csv"])


@SETTINGS
@given(rnd=st.randoms(use_true_random=False))
def test_fuzzed_onnx_metadata_is_refused_cleanly_or_forecasts(fuzz_setup, rnd):
    path = fuzz_setup["tmp"] / "fuzzed.onnx"
    write_onnx(fuzz_setup["onnx"], mutate_metadata(fuzz_setup["meta"], rnd), path)
    run_model(path, fuzz_setup["csv"])


@SETTINGS
@given(rnd=st.randoms(use_true_random=False))
def test_fuzzed_weights_headers_are_refused_cleanly_or_forecast(fuzz_setup, rnd):
    # the intact config first: the config fuzz may have left one naming no weights file (a
    # replayed example of hypothesis' database ran it last)
    (fuzz_setup["work"] / "config.json").write_text(json.dumps(fuzz_setup["config"]))
    write_mutated_header(fuzz_setup["work"], fuzz_setup["weights"], rnd)
    try:
        run_model(fuzz_setup["work"], fuzz_setup["csv"])
    finally:  # the config fuzz starts from the intact weights
        weights_of(fuzz_setup["work"]).write_bytes(fuzz_setup["weights"])


def test_the_mutations_reach_the_model_section():
    """Guard against a fuzzer that only ever touches the training history."""
    config = {"model": {"window": 12, "hidden": 8}, "history": {"loss": [1.0] * 50}}
    rnd = random.Random(0)
    touched = sum(mutate(config, rnd).get("model") != config["model"] for _ in range(200))
    assert touched > 40
