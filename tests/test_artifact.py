"""The model bundle: round trip, refusal of tampered / truncated / foreign bundles in one line,
atomic saves that survive an interrupt, and no pickle anywhere."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from forecastr import api, artifact
from forecastr.artifact import CONFIG, load
from forecastr.errors import ArtifactError
from forecastr.modeldir import WEIGHTS_RE, config_digest, sha256_file
from forecastr.panel import Panel
from forecastr.torch_predictor import TorchPredictor

W, H = 12, 4
OPTS = {"cell": "gru", "hidden": 8, "layers": 1, "window": W, "horizon": H, "ensemble": 1}


def month_starts(start: str, n: int, unit: str = "ns") -> np.ndarray:
    return pd.date_range(start, periods=n, freq="MS").values.astype(f"datetime64[{unit}]")


def two_series(seed: int = 0, unit: str = "ns") -> Panel:
    rng = np.random.default_rng(seed)
    n = 60
    t = np.arange(n)
    ys = [10 + 3 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.2, n), 200 + 5 * t]
    return Panel(
        ids=["north", "south"],
        y=np.concatenate(ys).astype(np.float64),
        ds=np.concatenate([month_starts("2010-01-01", n, unit)] * 2),
        offsets=np.array([0, n, 2 * n], dtype=np.int64),
        freq="MS",
    )


def train_tiny(out: Path, seed: int = 0, **model):
    return api.train(
        two_series(),
        **{**OPTS, **model},
        epochs=2,
        batch_size=32,
        seed=seed,
        out=str(out),
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(outcome, model dir) of one tiny model, trained once for the module."""
    out = tmp_path_factory.mktemp("artifact") / "model"
    return train_tiny(out), out


@pytest.fixture
def model_dir(trained, tmp_path) -> Path:
    """A private copy of the trained model directory, free to damage."""
    dst = tmp_path / "model"
    shutil.copytree(trained[1], dst)
    return dst


def windows_of(panel: Panel, width: int = W) -> np.ndarray:
    ends = panel.offsets[1:]
    return panel.y[ends[:, None] - width + np.arange(width)]


def weights_of(model_dir: Path) -> Path:
    """The weights file the model's config.json names (format 1: weights.safetensors)."""
    cfg = json.loads((Path(model_dir) / CONFIG).read_text())
    return Path(model_dir) / cfg.get("weights", artifact.WEIGHTS)


def reseal(model_dir: Path, edit=None) -> None:
    """Apply ``edit`` to config.json, then recompute both digests as a save would: what a
    test needs to reach the checks behind them."""
    cfg = json.loads((model_dir / CONFIG).read_text())
    if edit is not None:
        edit(cfg)
    cfg["weights_sha256"] = sha256_file(str(weights_of(model_dir)))
    cfg["config_sha256"] = config_digest(cfg)
    (model_dir / CONFIG).write_text(json.dumps(cfg))


def refused(path, *fragments) -> str:
    with pytest.raises(ArtifactError) as info:
        load(path).predictor()
    msg = str(info.value)
    assert "\n" not in msg and msg.strip() == msg
    for f in fragments:
        assert f in msg, (f, msg)
    return msg


# ------------------------------------------------------------------------------------------
# round trip


def test_round_trip_gives_identical_predictions(trained):
    outcome, path = trained
    bundle = load(path)
    loaded = bundle.predictor()
    cfg = outcome.result.model_cfg
    in_memory = TorchPredictor(outcome.result.model, ["north", "south"], cfg, train_end=None)
    x = windows_of(two_series())
    ids = ["north", "south"]
    assert np.array_equal(loaded.forecast(x, ids), in_memory.forecast(x, ids))
    # Many random windows too, for both series.
    rng = np.random.default_rng(1)
    xs = rng.normal(50, 30, (64, W))
    sid = list(rng.choice(ids, 64))
    assert np.array_equal(loaded.forecast(xs, sid), in_memory.forecast(xs, sid))
    saved = outcome.result.model.state_dict()
    restored = loaded.module.state_dict()
    assert saved.keys() == restored.keys()
    assert all(torch.equal(saved[k], restored[k]) for k in saved)


def test_bundle_records_what_inference_needs(trained):
    outcome, path = trained
    bundle = load(path)
    cfg = bundle.config
    assert cfg["format"] == artifact.FORMAT and cfg["format_version"] == artifact.FORMAT_VERSION
    assert cfg["model"] == outcome.result.model_cfg.to_dict()
    assert bundle.schema.ids == ["north", "south"] and bundle.schema.freq == "MS"
    assert np.allclose(bundle.scaler.loc, outcome.result.scaler.loc)
    values, _ = bundle.context()
    # the network's window, or the Theta combination's longer context when it was chosen
    width = cfg["theta"]["context"] if cfg.get("theta") else W
    assert np.array_equal(values, windows_of(two_series(), width))
    assert [str(pd.Timestamp(t).date()) for t in bundle.last_stamps()] == ["2014-12-01"] * 2
    keys = ("training", "history", "summary", "evaluation", "versions", "weights_sha256")
    for key in (*keys, "weights", "config_sha256"):
        assert key in cfg
    assert WEIGHTS_RE.fullmatch(cfg["weights"]) and cfg["weights_sha256"].startswith(
        cfg["weights"][len("weights-") : -len(".safetensors")]
    )
    assert cfg["config_sha256"] == config_digest(cfg)


def test_stored_timestamps_survive_a_microsecond_panel(tmp_path):
    """pandas 3 makes datetime64[us] by default; the stored context must still say 2014."""
    api.train(two_series(unit="us"), **OPTS, epochs=1, out=str(tmp_path / "m"))
    stamps = load(tmp_path / "m").last_stamps()
    assert [str(pd.Timestamp(t).date()) for t in stamps] == ["2014-12-01"] * 2


def test_ensemble_round_trip(tmp_path):
    outcome = train_tiny(tmp_path / "ens", cell="lstm", ensemble=2, decoder="seq2seq")
    loaded = load(tmp_path / "ens").predictor()
    x = windows_of(two_series())
    ids = ["north", "south"]
    mem = TorchPredictor(outcome.result.model, ids, outcome.result.model_cfg, train_end=None)
    assert np.array_equal(loaded.forecast(x, ids), mem.forecast(x, ids))
    assert loaded.name == "LSTM seq2seq x2"


# ------------------------------------------------------------------------------------------
# refusals: each is one ArtifactError line


def test_tampered_weights_are_refused(model_dir):
    w = weights_of(model_dir)
    data = bytearray(w.read_bytes())
    data[-5] ^= 0xFF  # one bit pattern of one weight changed
    w.write_bytes(bytes(data))
    refused(model_dir, "checksum", w.name)


def test_truncated_weights_are_refused(model_dir):
    w = weights_of(model_dir)
    w.write_bytes(w.read_bytes()[: w.stat().st_size // 2])
    refused(model_dir, "checksum")


def test_truncated_weights_with_a_matching_checksum_are_refused(model_dir):
    """Even if someone also rewrites the checksum, safetensors' own header check refuses."""
    w = weights_of(model_dir)
    w.write_bytes(w.read_bytes()[:-16])
    reseal(model_dir)
    refused(model_dir, "corrupt weights")


def test_truncated_config_is_refused(model_dir):
    c = model_dir / CONFIG
    c.write_text(c.read_text()[:100])
    refused(model_dir, "corrupt JSON")


@pytest.mark.parametrize(
    "config",
    [{"hello": "world"}, [1, 2, 3], {"format": "sklearn-pipeline", "format_version": 1}],
)
def test_foreign_config_is_refused(model_dir, config):
    (model_dir / CONFIG).write_text(json.dumps(config))
    refused(model_dir, "not a forecastr model")


def test_another_format_version_is_refused(model_dir):
    cfg = json.loads((model_dir / CONFIG).read_text())
    cfg["format_version"] = artifact.FORMAT_VERSION + 1
    (model_dir / CONFIG).write_text(json.dumps(cfg))
    refused(model_dir, f"format version {artifact.FORMAT_VERSION + 1}", "retrain")


def test_missing_weights_or_config_are_refused(model_dir, tmp_path):
    weights_of(model_dir).unlink()
    refused(model_dir, "missing")
    refused(tmp_path / "nowhere", "no model here")
    (tmp_path / "file.bin").write_bytes(b"x")
    refused(tmp_path / "file.bin", "is a file")
    (tmp_path / "empty").mkdir()
    refused(tmp_path / "empty", "not a forecastr model directory")


def test_weights_gone_for_a_moment_are_read_again_even_under_the_same_config_file(
    model_dir, monkeypatch
):
    """A concurrent save can remove the weights config.json names and put them back, its new
    config.json under the old one's inode number: the read is tried again, not refused."""
    real, gone = artifact.read_file, {"left": 2}

    def flaky(path, **kw):
        if WEIGHTS_RE.fullmatch(os.path.basename(path)) and gone["left"]:
            gone["left"] -= 1
            raise FileNotFoundError(path)
        return real(path, **kw)

    monkeypatch.setattr(artifact, "read_file", flaky)
    assert load(model_dir).tensors and gone["left"] == 0
    gone["left"] = artifact.READS  # gone at every read: the model is incomplete
    refused(model_dir, "missing")


def test_weights_that_do_not_fit_the_config_are_refused(model_dir):
    reseal(model_dir, lambda cfg: cfg["model"].update(hidden=16))
    refused(model_dir, "do not fit")


def test_missing_section_is_refused(model_dir):
    reseal(model_dir, lambda cfg: cfg.pop("scaler"))
    refused(model_dir, "'scaler' section is missing")


def test_an_edited_config_is_refused(model_dir):
    cfg = json.loads((model_dir / CONFIG).read_text())
    cfg["model"]["hidden"] = 16  # edited by hand: the digest no longer matches
    (model_dir / CONFIG).write_text(json.dumps(cfg))
    refused(model_dir, str(model_dir / CONFIG), "changed after saving", "restore it or retrain")


def test_weights_without_the_stored_context_are_refused_for_predict(model_dir):
    from safetensors.numpy import load_file, save_file

    w = str(weights_of(model_dir))
    save_file({k: v for k, v in load_file(w).items() if k.startswith("model.")}, w)
    reseal(model_dir)
    with pytest.raises(ArtifactError, match="no stored context") as info:
        api.predict(str(model_dir))
    assert "\n" not in str(info.value)
    # The network itself still loads: forecasting from a CSV does not need the context.
    load(model_dir).predictor()


# ------------------------------------------------------------------------------------------
# no pickle


class _Trap:
    """Unpickling this creates ``path``: proof that a loader ran pickle."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_model_holds_no_pickle(trained):
    _, path = trained
    names = sorted(os.listdir(path))
    assert names == sorted([CONFIG, weights_of(path).name])
    assert not any(n.endswith((".pt", ".pth", ".pkl", ".pickle", ".bin")) for n in names)
    head = weights_of(path).read_bytes()[:16]
    assert not head.startswith(b"\x80") and not head.startswith(b"PK")  # not pickle, not zip


def test_loading_never_unpickles(trained, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("pickle / torch.load used while loading a model")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    monkeypatch.setattr(torch, "load", forbidden)
    load(trained[1]).predictor().forecast(windows_of(two_series()), ["north", "south"])


@pytest.mark.parametrize("fix_checksum", [False, True])
def test_a_pickle_renamed_to_safetensors_is_refused_and_never_run(
    model_dir, tmp_path, fix_checksum
):
    marker = tmp_path / "pickle-was-run"
    state = {k: v.numpy() for k, v in torch.nn.Linear(2, 2).state_dict().items()}
    payload = pickle.dumps({"state": state, "trap": _Trap(str(marker))})
    weights_of(model_dir).write_bytes(payload)
    if fix_checksum:
        reseal(model_dir)
    refused(model_dir, "checksum" if not fix_checksum else "corrupt weights")
    assert not marker.exists()
    # The same file really is a working pickle: loading it the unsafe way would run it.
    pickle.loads(payload)
    assert marker.exists()


def test_a_torch_save_file_renamed_to_safetensors_is_refused(model_dir):
    torch.save(torch.nn.Linear(2, 2).state_dict(), weights_of(model_dir))
    reseal(model_dir)
    refused(model_dir, "corrupt weights")


# ------------------------------------------------------------------------------------------
# atomic saves


def snapshot(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def leftovers(parent: Path) -> list[str]:
    return [n for n in os.listdir(parent) if n.startswith(".")]


def resave(path: Path, outcome) -> None:
    """Save a second, different model over ``path`` (what a retrain does)."""
    artifact.save_bundle(str(path), two_series(), outcome.result, outcome.report, {})


@pytest.fixture(scope="module")
def other(tmp_path_factory):
    return train_tiny(tmp_path_factory.mktemp("other") / "model", seed=1)


def interrupt_after(n: int):
    """A side effect that raises KeyboardInterrupt on its n-th call (1-based)."""
    calls = {"n": 0}

    def hit():
        calls["n"] += 1
        if calls["n"] == n:
            raise KeyboardInterrupt

    return hit


@pytest.mark.parametrize("where", ["weights", "config-replace"])
def test_an_interrupted_save_leaves_the_old_model_intact(model_dir, other, monkeypatch, where):
    """(Every named step of a save, and real kills, are in test_atomic_save.py.)"""
    before = snapshot(model_dir)
    x = windows_of(two_series())
    expected = load(model_dir).predictor().forecast(x, ["north", "south"])
    if where == "weights":  # while the new weights file is being written
        real_save = __import__("safetensors.torch", fromlist=["save_file"]).save_file

        def half_save(tensors, filename, metadata=None):
            real_save(tensors, filename, metadata=metadata)
            with open(filename, "r+b") as fh:
                fh.truncate(10)
            raise KeyboardInterrupt

        monkeypatch.setattr("safetensors.torch.save_file", half_save)
    else:  # while the new config.json is being swapped in (the one rename)

        def interrupted(src, dst):
            raise KeyboardInterrupt

        monkeypatch.setattr(os, "replace", interrupted)

    with pytest.raises(KeyboardInterrupt):
        resave(model_dir, other)
    monkeypatch.undo()
    assert snapshot(model_dir) == before
    assert np.array_equal(load(model_dir).predictor().forecast(x, ["north", "south"]), expected)
    assert leftovers(model_dir.parent) == []


def test_a_completed_save_replaces_the_model(model_dir, other):
    x = windows_of(two_series())
    first = load(model_dir).predictor().forecast(x, ["north", "south"])
    resave(model_dir, other)
    second = load(model_dir).predictor().forecast(x, ["north", "south"])
    assert not np.array_equal(first, second)
    assert leftovers(model_dir.parent) == []


def test_save_refuses_to_overwrite_a_folder_that_is_not_a_model(tmp_path, trained):
    from forecastr.errors import InputError

    precious = tmp_path / "photos"
    precious.mkdir()
    (precious / "cat.jpg").write_bytes(b"meow")
    with pytest.raises(InputError, match="not a forecastr model"):
        resave(precious, trained[0])
    assert (precious / "cat.jpg").read_bytes() == b"meow"
