"""Member trainings side by side: this process and spawned workers (``--jobs``).

Why: a run trains several networks that do not depend on each other: the cell choice's
pairs (``cellchoice.py``), the ensemble's other members, and the refit's members. Each trains
fastest on one thread (docs/benchmarks.md, "Training speed"), so a second core sat idle while
they ran one after another. Now this process trains some of them and worker processes the
others, as many processes in all as the machine has cores for (``TrainConfig.jobs``; 0, the
default, asks the machine).

The result is the same to the bit: a member's training depends only on its seed, its
windows and its thread count, all of which the worker gets, and its trained weights come
back exactly, as arrays (``tests/test_parallel.py`` compares whole saved models). Workers are
spawned, not forked (forking a process that holds a thread pool can hang), so each pays an
interpreter and torch import of about two seconds, while this process trains its first job:
trainings of fewer than :data:`MIN_STEPS` steps stay in this process, as do runs on a GPU.

Torch-free at import: ``cellchoice.py`` imports :class:`Job`.
"""

from __future__ import annotations

import os
import queue as queue_module
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

from forecastr.config import ModelConfig
from forecastr.errors import TrainingError

MIN_STEPS = 1000  # a member's step budget (epochs x batches) below which no worker is spawned
POLL_S = 0.2  # how often progress events from the workers are passed on


@dataclass(frozen=True)
class Job:
    """One member's training: member ``k`` (seed + k) of ``cfg`` (a ModelConfig), shown as
    training number ``index`` of ``total``. A ``rival`` cell's divergence is an outcome (it
    loses the cell choice), anyone else's ends the run."""

    cfg: ModelConfig
    k: int
    index: int
    total: int
    rival: bool = False
    cost: float = 0  # expected length (a refit's epochs): the longest start first


# train(context, job, progress) -> (network, history): a top-level function, so that a
# worker can import it by name (train.train_member).
TrainFn = Callable[[Any, Job, Callable[[dict], None] | None], tuple[Any, dict]]
Outcome = tuple[Any, dict] | TrainingError
# run(jobs) -> their outcomes, in order
Run = Callable[[list[Job]], list[Outcome]]


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the system reports it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def workers_for(jobs: int, threads: int, device: str, step_budget: int) -> int:
    """How many worker processes a fit starts beside this one, which trains too; 0 trains
    every member here. ``jobs`` counts this process: 0 means one per ``threads`` of the
    usable cores."""
    if device != "cpu" or step_budget < MIN_STEPS:
        return 0
    n = jobs if jobs > 0 else usable_cores() // max(1, threads)
    return max(0, n - 1)


@contextmanager
def runner(
    train: TrainFn,
    context: Any,
    workers: int,
    threads: int,
    progress: Callable[[dict], None] | None,
) -> Iterator[Run]:
    """A function that trains a list of jobs and returns their outcomes in order. With
    ``workers``, a pool of that many processes (started at the first list of two or more
    jobs, kept for the ``with`` block) takes some of each list while this process trains
    the rest: the longest first, each to whichever side has the least work so far.
    ``context`` (the data every job shares) goes to each worker once, when it starts."""

    def here(jobs: list[Job], told: Callable[[dict], None] | None = progress) -> list[Outcome]:
        out: list[Outcome] = []
        for job in jobs:
            try:
                out.append(train(context, job, told))
            except TrainingError as err:
                if not job.rival:
                    raise
                out.append(err)
        return out

    if workers < 1:
        yield here
        return
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    events = None
    try:
        events = ctx.Queue() if progress is not None else None
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_start_worker,
            initargs=(train, _plain(context), threads, events),
        )
    except (OSError, NotImplementedError):  # no semaphores or processes here: one process
        pool = None
    if pool is None:
        if events is not None:
            events.close()
        yield here
        return
    there = _Split(pool, events, progress, workers, here)

    finished = False
    try:
        yield there
        finished = True
    finally:
        _close(pool, events, progress, finished)


@dataclass
class _Split:
    """``run`` with workers: a list of jobs split between this process and the pool."""

    pool: ProcessPoolExecutor
    events: Any  # the workers' progress events, or None without a progress callback
    progress: Callable[[dict], None] | None
    workers: int
    here: Callable[..., list[Outcome]]  # here(jobs, progress): train jobs in this process

    def relay(self, ev: dict) -> None:
        """This process's progress event, after the workers' since the last."""
        _drain(self.events, self.progress)
        if self.progress is not None:
            self.progress(ev)

    def __call__(self, jobs: list[Job]) -> list[Outcome]:
        if len(jobs) < 2:
            return self.here(jobs)
        _, theirs = _assign(jobs, self.workers)
        futures: dict[int, Future] = {}
        with _main_hidden():  # workers start on submit
            for i in theirs:
                try:
                    futures[i] = self.pool.submit(_work, jobs[i])
                except OSError:  # no worker could start: this process trains the rest
                    break
        mine = sorted(set(range(len(jobs))) - set(futures))
        outcomes: dict[int, Any] = dict(
            zip(mine, self.here([jobs[i] for i in mine], self.relay), strict=True)
        )
        try:
            _wait(list(futures.values()), self.events, self.progress)
            outcomes |= {i: f.result() for i, f in futures.items()}
        except BrokenProcessPool:
            raise TrainingError(
                "a training worker process ended unexpectedly (killed, or out of memory); "
                "train with --jobs 1 to keep every member in one process"
            ) from None
        for i in futures:
            if isinstance(outcomes[i], TrainingError) and not jobs[i].rival:
                raise outcomes[i]
        return [
            outcomes[i] if i in mine or isinstance(outcomes[i], TrainingError)
            else _rebuilt(jobs[i], outcomes[i])
            for i in range(len(jobs))
        ]  # fmt: skip


def _close(pool: ProcessPoolExecutor, events: Any, progress: Any, finished: bool) -> None:
    """Shut the pool down; after an error or Ctrl-C, without waiting for the workers'
    trainings, which are not wanted."""
    if not finished:
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)  # quick once they are stopped
    if events is not None:
        _drain(events, progress)
        events.close()


def _assign(jobs: list[Job], workers: int) -> tuple[list[int], list[int]]:
    """Which jobs this process trains and which go to the workers: longest first, each to
    the side with the least work so far (this process first on a tie), the workers' side
    counting ``workers`` at once."""
    load = [0.0, 0.0]  # this process; each worker's share of the rest
    mine: list[int] = []
    theirs: list[int] = []
    for i in sorted(range(len(jobs)), key=lambda i: -jobs[i].cost):
        size = max(jobs[i].cost, 1.0)
        if load[0] <= load[1]:
            mine.append(i)
            load[0] += size
        else:
            theirs.append(i)
            load[1] += size / workers
    if not theirs:  # two or more jobs: the workers take at least one
        theirs.append(mine.pop())
    return sorted(mine), theirs


@contextmanager
def _main_hidden() -> Iterator[None]:
    """While workers start: ``__main__`` names no file or module, so a spawned worker does
    not run the caller's script again (a script that calls ``api.train`` without an ``if
    __name__ == "__main__"`` guard would otherwise train again in every worker, or fail).
    The workers need nothing from it: what they run is imported from forecastr."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved: dict[str, Any] = {
        k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__
    }
    main.__dict__.pop("__file__", None)
    main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


def _wait(futures: list[Future], events: Any, progress: Callable[[dict], None] | None) -> None:
    """Block until every future is done, passing the workers' progress events on."""
    pending = set(futures)
    while pending:
        _, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
        _drain(events, progress)
    _drain(events, progress)


def _drain(events: Any, progress: Callable[[dict], None] | None) -> None:
    if events is None:
        return
    while True:
        try:
            ev = events.get_nowait()
        except (queue_module.Empty, OSError, ValueError):
            return
        if progress is not None:
            progress(ev)


def _rebuilt(job: Job, got: tuple[dict, dict]) -> tuple[Any, dict]:
    """The network a worker trained, from its weights: built as the worker built it (under a
    forked random state, so this process's draws are untouched) and loaded."""
    import torch

    from forecastr.models import build

    weights, history = got
    with torch.random.fork_rng(devices=[]):
        model = build(job.cfg)
    model.load_state_dict(_restored(weights))
    return model, history


@dataclass(frozen=True)
class _Array:
    """A tensor on its way to or from a worker, as a numpy array: pickled into the pipe by
    value. A tensor itself would go through torch's shared-memory files, which a container's
    small ``/dev/shm`` (64 MB by default in Docker) cannot hold for a large file's windows."""

    values: Any


def _plain(obj: Any) -> Any:
    """``obj`` with every tensor in it (in dataclasses, dicts, lists, tuples) as an
    :class:`_Array`; :func:`_restored` undoes it, bit for bit."""
    import torch

    def leaf(x: Any) -> Any:
        return _Array(x.detach().cpu().numpy()) if isinstance(x, torch.Tensor) else x

    return _walk(obj, leaf)


def _restored(obj: Any) -> Any:
    import torch

    return _walk(obj, lambda x: torch.from_numpy(x.values) if isinstance(x, _Array) else x)


def _walk(obj: Any, leaf: Callable[[Any], Any]) -> Any:
    """``obj`` rebuilt with ``leaf`` applied to everything that is not a dataclass, dict,
    list or tuple (an :class:`_Array` is a leaf)."""
    if isinstance(obj, _Array):
        return leaf(obj)
    if is_dataclass(obj) and not isinstance(obj, type):
        return replace(
            obj, **{f.name: _walk(getattr(obj, f.name), leaf) for f in fields(obj) if f.init}
        )
    if isinstance(obj, dict):
        return {k: _walk(v, leaf) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_walk(v, leaf) for v in obj)
    return leaf(obj)


# -- in the worker --------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _start_worker(train: TrainFn, context: Any, threads: int, events: Any) -> None:
    """A worker's start: the training function, the shared data, the thread count."""
    import torch

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    torch.set_num_threads(max(1, threads))
    _WORKER.update(train=train, context=_restored(context), events=events)


def _work(job: Job) -> tuple[dict, dict] | TrainingError:
    """Train one job; its weights and history, or the TrainingError that ended it."""
    events = _WORKER["events"]
    try:
        told = None if events is None else events.put
        model, history = _WORKER["train"](_WORKER["context"], job, told)
    except TrainingError as err:
        return err
    return _plain(dict(model.state_dict())), history
