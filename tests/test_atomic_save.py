"""Saving a model is atomic with no gap, loading reads only the model directory's own files,
and one digest covers config.json and the weights.

"Kill at every save step": a save is stopped at each named step of ``modeldir.STEPS``, by an
exception (the save's own cleanup runs) and by ``os._exit`` in a forked child (a real kill: no
cleanup at all). The path must then load as exactly the old model or exactly the new one, and
the next save must sweep whatever the kill left behind.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr import artifact, modeldir
from forecastr.artifact import CONFIG, load
from forecastr.errors import ArtifactError, OutputError
from forecastr.forecast import Schema
from forecastr.models import ModelConfig, Scaled, build

STEPS = modeldir.STEPS
BEFORE_SWAP = STEPS[: STEPS.index("swapped")]
KILLED = 17  # the exit code of a child killed at its step
IDS = ["a", "b"]


def model_parts(seed: int) -> tuple[dict, dict, dict]:
    """(config, state, context) of a tiny valid model with random weights: no training."""
    torch.manual_seed(seed)
    mcfg = ModelConfig(window=6, horizon=2, hidden=4, layers=1)
    loc, scale = np.array([10.0, 200.0]), np.array([2.0, 30.0])
    module = Scaled(build(mcfg), torch.tensor(loc), torch.tensor(scale))
    schema = Schema(ids=IDS, freq="MS", step=1, columns={}, layout="long")
    config = {
        "model": mcfg.to_dict(),
        "data": schema.to_dict(),
        "scaler": {"kind": "standard", "loc": loc.tolist(), "scale": scale.tolist()},
        "train_end": {s: "2024-06-01 00:00:00" for s in IDS},
        "seed": seed,
    }
    values = loc[:, None] + scale[:, None] * np.sin(np.arange(6) + seed)[None, :]
    last = np.full(2, pd.Timestamp("2024-12-01").value, dtype=np.int64)
    return config, module.state_dict(), {"values": values, "last": last}


def save_model(path: Path, seed: int) -> artifact.SavedPath:
    return artifact.save(path, *model_parts(seed))


def which(path: Path) -> int | None:
    """The seed of the model at ``path`` (after a full verified load), None when there is none."""
    if not path.exists():
        return None
    bundle = load(path)
    x = np.tile(np.linspace(0, 50, 6), (2, 1))
    bundle.predictor().forecast(x, IDS)  # the weights fit and predict
    return int(bundle.config["seed"])


def dot_entries(parent: Path) -> list[str]:
    return sorted(n for n in os.listdir(parent) if n.startswith("."))


def extra_files(model: Path) -> list[str]:
    """What the model directory holds besides config.json and the weights it names."""
    if not model.exists():
        return []
    named = json.loads((model / CONFIG).read_text())["weights"]
    return sorted(set(os.listdir(model)) - {CONFIG, named})


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def assert_clean(path: Path) -> None:
    assert dot_entries(path.parent) == []
    assert extra_files(path) == []


@pytest.fixture
def old(tmp_path) -> Path:
    """A model (seed 0) at tmp_path/m."""
    save_model(tmp_path / "m", 0)
    return tmp_path / "m"


def expected_after(route: str, step: str) -> int | None:
    """The model a save of seed 1 killed at ``step`` must leave: old before the swap."""
    if step in BEFORE_SWAP:
        return 0 if route == "replace" else None
    return 1


# ------------------------------------------------------------------------------------------
# kill at every step: an exception (the save cleans up after itself)


@pytest.mark.parametrize("route", ["replace", "fresh"])
@pytest.mark.parametrize("step", STEPS)
def test_an_interrupt_at_every_step_leaves_the_old_or_the_new_model(
    tmp_path, monkeypatch, route, step
):
    path = tmp_path / "m"
    if route == "replace":
        save_model(path, 0)

    def stop(at: str) -> None:
        if at == step:
            raise KeyboardInterrupt

    monkeypatch.setattr(modeldir, "_on_step", stop)
    with pytest.raises(KeyboardInterrupt):
        save_model(path, 1)
    monkeypatch.setattr(modeldir, "_on_step", None)
    assert which(path) == expected_after(route, step)
    assert dot_entries(tmp_path) == []  # its temporary files and the lock are gone
    if step != "swapped":  # interrupted before it removed the old weights: swept next time
        assert extra_files(path) == []
    was_there = path.exists()
    saved = save_model(path, 2)
    assert which(path) == 2 and saved.replaced == was_there
    assert_clean(path)


# ------------------------------------------------------------------------------------------
# kill at every step: os._exit in a forked child (no cleanup at all)

# One interpreter for every child (torch imports once): first the kills, one forked child per
# (route, step); then three forked children saving and loading one path at the same time.
CHILDREN = """
import os, sys
sys.path.insert(0, {tests!r})
import torch
torch.set_num_threads(1)  # no thread pool in the parent: forking is safe
from forecastr import artifact, modeldir
from test_atomic_save import model_parts
parts = [model_parts(seed) for seed in (1, 2, 3)]

def wait(pid):
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

for step, path in {cases!r}:
    pid = os.fork()
    if pid == 0:
        modeldir._on_step = lambda at: os._exit({killed}) if at == step else None
        try:
            artifact.save(path, *parts[0])
        finally:
            os._exit(3)  # never reached the step: the parent's check fails
    assert wait(pid) == {killed}, (step, path)

pids = []
for k in range(3):
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            for _ in range(6):
                artifact.save({race!r}, *parts[k])
                artifact.load({race!r})
            code = 0
        finally:
            os._exit(code)
    pids.append(pid)
assert [wait(p) for p in pids] == [0, 0, 0]
"""


@pytest.fixture(scope="module")
def children(tmp_path_factory) -> dict:
    """Runs CHILDREN: (route, step) -> the path a child saving seed 1 was killed at, and
    "race" -> the path three children saved seeds 1, 2, 3 to, six times each."""
    root = tmp_path_factory.mktemp("children")
    paths: dict = {}
    for route in ("replace", "fresh"):
        for step in STEPS:
            path = root / f"{route}-{step}" / "m"
            path.parent.mkdir()
            if route == "replace":
                save_model(path, 0)
            paths[route, step] = path
    paths["race"] = root / "race" / "m"
    save_model(paths["race"], 0)
    code = CHILDREN.format(
        tests=str(Path(__file__).parent),
        cases=[(key[1], str(p)) for key, p in paths.items() if key != "race"],
        killed=KILLED,
        race=str(paths["race"]),
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    return paths


@pytest.mark.parametrize("route", ["replace", "fresh"])
@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_every_step_leaves_the_old_or_the_new_model(children, route, step):
    path = children[route, step]
    assert which(path) == expected_after(route, step)
    left = dot_entries(path.parent) + extra_files(path)
    assert f".{path.name}.lock" in left  # the kill left its lock file (unlocked by the kernel)
    saved = save_model(path, 2)  # the next save: not blocked, and it sweeps everything
    assert which(path) == 2 and saved.replaced == (expected_after(route, step) is not None)
    assert_clean(path)


# ------------------------------------------------------------------------------------------
# leftovers: what is ours is swept, safely; nothing else is touched


def test_the_next_save_sweeps_leftovers_and_only_ours(old, tmp_path):
    parent, gone, me = tmp_path, dead_pid(), os.getpid()
    long_ago = time.time() - 2 * modeldir.STALE_S
    ours = {
        "dead temp dir": parent / f".m.tmp-{gone}-abcdefgh",
        "legacy temp dir": parent / ".m.tmp-abcd_123",
        "legacy old dir": parent / ".m.old-zyxw9876",
    }
    for d in ours.values():
        d.mkdir()
        (d / CONFIG).write_text("{}")
        os.utime(d, (long_ago, long_ago))
    inside = {
        "dead weights temp": old / f".weights.tmp-{gone}-abcdefgh",
        "dead config temp": old / f".config.json.tmp-{gone}-abcdefgh",
        "orphan weights": old / "weights-0123456789abcdef.safetensors",
        "format-1 weights": old / artifact.WEIGHTS,
    }
    for f in inside.values():
        f.write_bytes(b"x")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.safetensors"
    outside.write_bytes(b"keep me")
    kept = {
        "a live writer's temp dir": parent / f".m.tmp-{me}-abcdefgh",
        "a recent legacy temp dir": parent / ".m.tmp-recent12",
        "another model's temp dir": parent / f".other.tmp-{gone}-abcdefgh",
        "a live writer's weights temp": old / f".weights.tmp-{me}-abcdefgh",
        "a user's file": old / "notes.txt",
        "a user's safetensors": old / "weights-backup.safetensors",
        "a link named like weights": old / "weights-fedcba9876543210.safetensors",
    }
    for name, p in kept.items():
        if name.endswith("dir"):
            p.mkdir()
        elif "link" in name:
            p.symlink_to(outside)
        else:
            p.write_bytes(b"mine")
    save_model(old, 1)
    assert which(old) == 1
    assert [k for k, p in {**ours, **inside}.items() if os.path.lexists(p)] == []
    assert [k for k, p in kept.items() if not os.path.lexists(p)] == []
    assert outside.read_bytes() == b"keep me"


def test_saves_wait_for_each_other(old):
    """A second save waits for the lock: it cannot sweep the first one's weights file while
    that file is named by no config.json yet (between "weights-named" and "swapped")."""
    import threading

    events: list[str] = []
    second = threading.Thread(target=save_model, args=(old, 2), name="second")

    def hook(at: str) -> None:
        events.append(f"{threading.current_thread().name} {at}")
        if at == "weights-named" and threading.current_thread().name == "first":
            second.start()
            time.sleep(0.3)  # ample time for the second save to sweep, were it not blocked

    old_hook = modeldir._on_step
    modeldir._on_step = hook
    try:
        first = threading.Thread(target=save_model, args=(old, 1), name="first")
        first.start()
        first.join(30)
        second.join(30)
    finally:
        modeldir._on_step = old_hook
    assert events == [f"first {s}" for s in STEPS] + [f"second {s}" for s in STEPS]
    assert which(old) == 2
    assert_clean(old)


def test_concurrent_saves_and_loads_from_three_processes(children):
    path = children["race"]
    assert which(path) in {1, 2, 3}
    assert_clean(path)


# ------------------------------------------------------------------------------------------
# no symlinks, no foreign files, bounded reads


def weights_of(model: Path) -> Path:
    return model / json.loads((model / CONFIG).read_text())["weights"]


def reseal(model: Path, edit) -> None:
    """Edit config.json and recompute its digest, as a save would (to reach later checks)."""
    cfg = json.loads((model / CONFIG).read_text())
    edit(cfg)
    cfg[modeldir.DIGEST_KEY] = modeldir.config_digest(cfg)
    (model / CONFIG).write_text(json.dumps(cfg))


def refused(path: Path, *fragments: str) -> str:
    with pytest.raises(ArtifactError) as info:
        load(path)
    msg = str(info.value)
    assert "\n" not in msg
    for f in fragments:
        assert f in msg, (f, msg)
    return msg


def test_a_symlinked_weights_file_is_refused_even_with_the_right_digest(old, tmp_path):
    w = weights_of(old)
    moved = tmp_path / "elsewhere.safetensors"
    w.rename(moved)
    w.symlink_to(moved)  # same bytes, same digest: still outside the directory
    refused(old, w.name, "symbolic link")
    w.unlink()
    w.symlink_to("/etc/passwd")
    refused(old, "symbolic link")


def test_a_symlinked_config_is_refused(old, tmp_path):
    real = tmp_path / "config-elsewhere.json"
    (old / CONFIG).rename(real)
    (old / CONFIG).symlink_to(real)
    refused(old, CONFIG, "symbolic link")


def test_a_fifo_is_refused_without_blocking(old):
    w = weights_of(old)
    w.unlink()
    os.mkfifo(w)
    refused(old, "not a regular file")
    (old / CONFIG).unlink()
    os.mkfifo(old / CONFIG)
    refused(old, "not a regular file")


def test_the_model_path_itself_may_be_a_symlink(old, tmp_path):
    link = tmp_path / "current"
    link.symlink_to(old, target_is_directory=True)
    assert which(link) == 0


def test_an_oversized_config_is_refused_before_it_is_read(old):
    with open(old / CONFIG, "r+b") as fh:  # sparse: 300 MB on paper, nothing on disk
        fh.truncate(modeldir.MAX_CONFIG_BYTES + 1)
    refused(old, CONFIG, "more than")


def test_an_oversized_weights_file_is_refused_before_it_is_read(old):
    import json

    name = json.loads((old / CONFIG).read_text())["weights"]
    with open(old / name, "r+b") as fh:  # sparse, like the config above
        fh.truncate(modeldir.MAX_WEIGHTS_BYTES + 1)
    refused(old, name, "more than")


def test_the_weights_limit_holds_every_model_the_config_checks_admit():
    from forecastr.modelcheck import MAX_CONTEXT_VALUES, MAX_PARAMS

    assert modeldir.MAX_WEIGHTS_BYTES > 4 * MAX_PARAMS + 8 * MAX_CONTEXT_VALUES + (16 << 20)


@pytest.mark.parametrize(
    "name",
    [
        "../weights-0123456789abcdef.safetensors",
        "/etc/passwd",
        "sub/weights-0123456789abcdef.safetensors",
        "weights-0123456789abcdef.safetensors/../../x",
        "weights.safetensors",  # format 1's name is not a format-2 name
        "WEIGHTS-0123456789ABCDEF.safetensors",
        123,
        None,
    ],
)
def test_a_weights_name_other_than_a_plain_content_name_is_refused(old, name):
    reseal(old, lambda cfg: cfg.update(weights=name))
    refused(old, "'weights' must name a weights-<16 hex>.safetensors file")


# ------------------------------------------------------------------------------------------
# one digest covers config.json and the weights


def test_a_changed_config_is_refused_and_a_reformatted_one_is_not(old):
    cfg = json.loads((old / CONFIG).read_text())
    (old / CONFIG).write_text(json.dumps(cfg, indent=4, sort_keys=True))
    assert which(old) == 0  # whitespace and key order are not changes
    cfg["scaler"]["loc"][0] += 1.0
    (old / CONFIG).write_text(json.dumps(cfg))
    refused(old, str(old / CONFIG), "config.json was changed after saving", "restore it")
    del cfg[modeldir.DIGEST_KEY]
    (old / CONFIG).write_text(json.dumps(cfg))
    refused(old, "changed after saving")  # dropping the digest is no way around it


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=4), kids, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    config=st.dictionaries(st.text(max_size=6), JSON, min_size=1, max_size=6),
    indent=st.integers(0, 3),
)
def test_the_config_digest_ignores_layout_and_sees_every_value(config, indent):
    digest = modeldir.config_digest(config)
    text = json.dumps({**config, modeldir.DIGEST_KEY: "x"}, indent=indent, sort_keys=True)
    assert modeldir.config_digest(json.loads(text)) == digest
    key = next(iter(config))
    changed = {**config, key: [config[key]]}
    assert modeldir.config_digest(changed) != digest


# ------------------------------------------------------------------------------------------
# format 1 (weights.safetensors, no config digest) still loads


def as_format_1(model: Path) -> None:
    """Rewrite a model as the previous release wrote it."""
    cfg = json.loads((model / CONFIG).read_text())
    weights_of(model).rename(model / artifact.WEIGHTS)
    for key in ("weights", modeldir.DIGEST_KEY):
        del cfg[key]
    cfg["format_version"] = 1
    with open(model / CONFIG, "w") as fh:
        json.dump(cfg, fh, indent=1)


def test_a_format_1_model_still_loads_and_a_save_over_it_upgrades_it(old):
    x = np.tile(np.linspace(0, 50, 6), (2, 1))
    before = load(old).predictor().forecast(x, IDS)
    as_format_1(old)
    assert sorted(os.listdir(old)) == [CONFIG, artifact.WEIGHTS]
    assert np.array_equal(load(old).predictor().forecast(x, IDS), before)
    w = old / artifact.WEIGHTS
    w.write_bytes(w.read_bytes()[:-8])
    refused(old, "checksum")  # its weights digest is still checked
    assert save_model(old, 1).replaced
    assert which(old) == 1 and load(old).config["format_version"] == artifact.FORMAT_VERSION
    assert_clean(old)  # weights.safetensors, no longer named, was removed


# ------------------------------------------------------------------------------------------
# a save meeting a load, a full disk, what save returns


def test_a_load_that_meets_a_save_reads_the_new_model(old, monkeypatch):
    real = artifact.read_file
    raced = []

    def read_then_save(path, **kw):
        if path.endswith(".safetensors") and not raced:
            raced.append(path)
            save_model(old, 1)  # lands between reading config.json and the weights
        return real(path, **kw)

    monkeypatch.setattr(artifact, "read_file", read_then_save)
    assert load(old).config["seed"] == 1 and raced


@pytest.mark.parametrize("route", ["replace", "fresh"])
@pytest.mark.parametrize("step", ["weights-written", "weights-named", "config-written"])
def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, route, step):
    path = tmp_path / "m"
    if route == "replace":
        save_model(path, 0)
    listing = {p.name: p.read_bytes() for p in path.iterdir()} if path.exists() else None

    def full(at: str) -> None:
        if at == step:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(modeldir, "_on_step", full)
    with pytest.raises(OutputError) as info:
        save_model(path, 1)
    msg = str(info.value)
    assert "\n" not in msg and "No space left on device" in msg and "free some space" in msg
    assert os.listdir(tmp_path) == (["m"] if listing else [])
    if listing:
        assert {p.name: p.read_bytes() for p in path.iterdir()} == listing


def test_save_says_whether_it_replaced_a_model(tmp_path):
    first = save_model(tmp_path / "m", 0)
    assert isinstance(first, str) and first == str(tmp_path / "m") and not first.replaced
    assert save_model(tmp_path / "m", 1).replaced
    (tmp_path / "empty").mkdir()
    assert not save_model(tmp_path / "empty", 0).replaced and which(tmp_path / "empty") == 0


def test_a_resave_of_identical_weights_keeps_the_file(old):
    name = weights_of(old).name
    save_model(old, 0)
    assert weights_of(old).name == name and which(old) == 0
    assert_clean(old)


def test_an_unwritable_model_folder_is_refused_before_any_work(old, monkeypatch):
    """Saving over a model writes inside it: that is checked up front, like the parent."""
    from forecastr import outputs

    real = outputs.probe_writable

    def probe(directory: str) -> None:
        if os.path.samefile(directory, old):
            raise PermissionError(errno.EACCES, "Permission denied")
        real(directory)

    monkeypatch.setattr(outputs, "probe_writable", probe)
    monkeypatch.setattr(artifact, "write_model", lambda *a: pytest.fail("work started"))
    with pytest.raises(OutputError) as info:
        save_model(old, 1)
    assert f"cannot write to the folder {old} (Permission denied)" in str(info.value)
    assert which(old) == 0
