"""Members trained side by side (``--jobs``): the same saved model to the bit as one process,
the work split longest first, a worker's divergence treated as in one process, and the
caller's script never run again by a worker."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from forecastr import api, parallel
from forecastr.config import ModelConfig, TrainOptions
from forecastr.errors import InputError, TrainingError
from forecastr.models import build
from forecastr.parallel import Job

CFG = ModelConfig(window=8, horizon=2, hidden=4, layers=1, cell="gru")


def fake_train(context, job: Job, progress):
    """A top-level trainer a worker can import: an untrained network from seed ``job.k``,
    one progress event, and the divergence of member 1."""
    if progress is not None:
        progress({"event": "epoch", "member": job.index, "from": context})
    if job.k == 1:
        raise TrainingError("the training loss became nan in epoch 2")
    torch.manual_seed(job.k)
    return build(job.cfg), {"k": job.k}


def test_how_many_workers_a_fit_starts_beside_this_process(monkeypatch):
    big = parallel.MIN_STEPS
    monkeypatch.setattr(parallel, "usable_cores", lambda: 4)
    assert parallel.workers_for(0, 1, "cpu", big) == 3  # one per core, this one included
    assert parallel.workers_for(0, 2, "cpu", big) == 1  # two threads each
    assert parallel.workers_for(1, 1, "cpu", big) == 0  # --jobs 1: every member here
    assert parallel.workers_for(3, 1, "cpu", big) == 2
    assert parallel.workers_for(0, 1, "cuda", big) == 0  # a GPU run stays in one process
    assert parallel.workers_for(0, 1, "cpu", big - 1) == 0  # short trainings too
    monkeypatch.setattr(parallel, "usable_cores", lambda: 1)
    assert parallel.workers_for(0, 1, "cpu", big) == 0


@pytest.mark.parametrize(
    "costs, workers, mine",
    [
        ([17, 69, 44], 1, [1]),  # a refit's epochs: 69 here, 44 + 17 in the worker
        ([0, 0], 1, [0]),  # a cell pair: one each
        ([0, 0, 0], 1, [0, 2]),
        ([0, 0, 0, 0], 3, [0]),
        ([5, 5], 4, [0]),  # the workers always take at least one job of two
    ],
)
def test_the_work_is_split_longest_first(costs, workers, mine):
    jobs = [Job(CFG, k, k, len(costs), cost=c) for k, c in enumerate(costs)]
    got_mine, theirs = parallel._assign(jobs, workers)
    assert got_mine == mine and sorted(got_mine + theirs) == list(range(len(costs)))


def test_a_worker_trains_its_jobs_and_a_rival_that_diverges_there_is_an_outcome():
    events: list[dict] = []
    jobs = [Job(CFG, 0, 0, 2), Job(CFG, 1, 1, 2, rival=True)]  # the worker takes member 1
    with parallel.runner(fake_train, "ctx", 1, 1, events.append) as run:
        got = run(jobs)
        again = run([Job(CFG, 0, 0, 2), Job(CFG, 2, 1, 2)])  # the same pool, warm
    assert isinstance(got[1], TrainingError) and "became nan" in str(got[1])
    assert got[0][1] == {"k": 0}
    assert sorted(ev["member"] for ev in events) == [0, 0, 1, 1]  # the worker's are passed on
    assert all(ev["from"] == "ctx" for ev in events)  # the context reached the worker
    torch.manual_seed(2)
    want = build(CFG).state_dict()
    net, history = again[1]  # trained in the worker, rebuilt here from its weights
    assert history == {"k": 2}
    for name, value in net.state_dict().items():
        assert torch.equal(value, want[name]), name


def test_a_member_that_diverges_in_a_worker_ends_the_run():
    jobs = [Job(CFG, 0, 0, 2), Job(CFG, 1, 1, 2)]  # member 1, not a rival, in the worker
    with (
        pytest.raises(TrainingError, match="became nan"),
        parallel.runner(fake_train, None, 1, 1, None) as run,
    ):
        run(jobs)


def test_the_callers_script_is_hidden_from_workers_while_they_start():
    main = sys.modules["__main__"]
    before = (main.__dict__.get("__file__"), main.__dict__.get("__spec__"))
    with parallel._main_hidden():
        assert getattr(main, "__spec__", None) is None and not hasattr(main, "__file__")
    assert (main.__dict__.get("__file__"), main.__dict__.get("__spec__")) == before


def _csv(path: Path) -> str:
    """Six short hourly series with a daily cycle."""
    rng = np.random.default_rng(3)
    rows = []
    for s in range(6):
        t = np.arange(120)
        y = 50 + 10 * s + 5 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, t.size)
        stamps = pd.date_range("2024-01-01", periods=t.size, freq="h")
        rows.append(pd.DataFrame({"id": f"s{s}", "ds": stamps, "y": y}))
    pd.concat(rows).to_csv(path, index=False)
    return str(path)


VOLATILE = {"created", "seconds", "config_sha256", "jobs"}


def _stable(d):
    """A config.json without what differs from run to run (times) or by design (jobs)."""
    if isinstance(d, dict):
        return {k: _stable(v) for k, v in d.items() if k not in VOLATILE}
    if isinstance(d, list):
        return [_stable(v) for v in d]
    return d


def test_the_same_saved_model_side_by_side_as_in_one_process(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_STEPS", 0)  # workers even for this tiny training
    data = _csv(tmp_path / "d.csv")
    opts = dict(hidden=8, layers=1, ensemble=2, epochs=3, max_batches=4, levels=[80], seed=7)
    saved, events = {}, {}
    for jobs in (1, 2):
        events[jobs] = []
        out = tmp_path / f"m{jobs}"
        api.train(data, None, TrainOptions(jobs=jobs, **opts), out=str(out),
                  progress=events[jobs].append)  # fmt: skip
        saved[jobs] = {p.name: p.read_bytes() for p in out.iterdir()}
    assert saved[1].keys() == saved[2].keys()
    for name in saved[1]:
        if name == "config.json":
            one, two = (json.loads(saved[j][name]) for j in (1, 2))
            assert _stable(one) == _stable(two)
            assert (one["training"]["jobs"], two["training"]["jobs"]) == (1, 2)
        else:
            assert saved[1][name] == saved[2][name], name  # the weights, to the bit
    key = lambda ev: (ev["phase"], ev["member"], ev["epoch"])  # noqa: E731
    assert sorted(map(key, events[1])) == sorted(map(key, events[2]))  # every epoch shown


def test_a_negative_jobs_is_refused(tmp_path):
    with pytest.raises(InputError, match="--jobs"):
        api.train(_csv(tmp_path / "d.csv"), None, TrainOptions(jobs=-1, epochs=1))


def test_tensors_travel_to_workers_as_arrays_not_shared_memory():
    from forecastr.batches import DeviceWindows

    starts = torch.arange(5, dtype=torch.int64)
    windows = DeviceWindows(starts, starts - 1, starts + 9, False, torch.rand(5))
    context = {"z": torch.randn(3, 4).t(), "windows": windows, "epochs": [3, 4], "n": 2}
    plain = parallel._plain(context)

    def tensors(obj) -> int:  # tensors left anywhere in a plain object
        if isinstance(obj, torch.Tensor):
            return 1
        if isinstance(obj, dict):
            return sum(map(tensors, obj.values()))
        if isinstance(obj, list | tuple):
            return sum(map(tensors, obj))
        if hasattr(obj, "__dataclass_fields__"):
            return sum(tensors(getattr(obj, name)) for name in obj.__dataclass_fields__)
        return 0

    assert tensors(plain) == 0  # no torch storage for multiprocessing to put in /dev/shm
    back = parallel._restored(plain)
    assert torch.equal(back["z"], context["z"]) and back["z"].stride() == context["z"].stride()
    for name in ("starts", "firsts", "lasts", "weight"):
        assert torch.equal(getattr(back["windows"], name), getattr(windows, name))
    assert back["epochs"] == [3, 4] and back["n"] == 2 and not back["windows"].partial


def test_where_no_worker_can_start_this_process_trains_every_job(monkeypatch):
    jobs = [Job(CFG, 0, 0, 3), Job(CFG, 2, 1, 3), Job(CFG, 3, 2, 3)]

    def no_processes(*args, **kwargs):
        raise OSError(38, "Function not implemented")  # e.g. no semaphores in a sandbox

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", no_processes)
    with parallel.runner(fake_train, None, 1, 1, None) as run:
        assert [h for _, h in run(jobs)] == [{"k": 0}, {"k": 2}, {"k": 3}]
    monkeypatch.undo()

    def cannot_spawn(self, fn, *args):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(parallel.ProcessPoolExecutor, "submit", cannot_spawn)
    with parallel.runner(fake_train, None, 1, 1, None) as run:
        assert [h for _, h in run(jobs)] == [{"k": 0}, {"k": 2}, {"k": 3}]
