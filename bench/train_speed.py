"""Benchmark: the CPU training step of each recurrent cell, and the training loop's overhead.

For rnn, lstm, gru (plain ``nn.GRU``) and gru (``forecastr.fastgru.FastGRU``, what the
forecaster uses) at batch 32, window 96, 2 layers x 64 hidden, horizon 24, direct head:

* **step**: one optimizer step on pre-built tensors — forward, L1 loss, backward,
  ``clip_grad_norm_``, AdamW step — in milliseconds, and windows per second;
* **loop**: ``forecastr.train._train_one`` (our training loop, unchanged: batches gathered by
  index from the series through ``batches.DeviceWindows``, one-cycle schedule, loss
  bookkeeping, one validation pass and the best-weights copy per epoch) for one epoch of
  ``--steps`` batches, per step;
* **overhead**: the loop's share of time outside the step, ``1 - step / loop``.

Rounds are interleaved (every variant once per round) and medians are taken over rounds, so
a burst of load from other processes hits all variants alike. Times are wall-clock and CPU
(``time.process_time``, all threads of this process); on a shared machine the CPU time is the
steadier of the two. A second table times the step on 1 and 2 threads. Before timing, the
script checks that FastGRU's outputs and gradients match nn.GRU's.

    .venv/bin/python bench/train_speed.py [--rounds 5 --steps 30 --threads 1,2]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import time

import torch
from torch import nn

import forecastr.models as models
from forecastr import train
from forecastr.batches import DeviceWindows
from forecastr.fastgru import FastGRU
from forecastr.models import ForecastNet, ModelConfig

BATCH, WINDOW, HORIZON, HIDDEN, LAYERS = 32, 96, 24, 64, 2
VARIANTS = {  # label -> (cell, use FastGRU for the gru encoder)
    "rnn": ("rnn", False),
    "lstm": ("lstm", False),
    "gru (nn.GRU)": ("gru", False),
    "gru (FastGRU)": ("gru", True),
}


@contextlib.contextmanager
def encoder_class(fast: bool):
    """Build forecasters with FastGRU (the default) or with plain nn.GRU as the gru encoder."""
    saved = models.FastGRU
    models.FastGRU = FastGRU if fast else nn.GRU  # type: ignore[misc]
    try:
        yield
    finally:
        models.FastGRU = saved  # type: ignore[misc]


def model_config(cell: str) -> ModelConfig:
    return ModelConfig(window=WINDOW, horizon=HORIZON, cell=cell, hidden=HIDDEN, layers=LAYERS)


def check_parity() -> float:
    """Largest difference between FastGRU and nn.GRU in outputs and parameter gradients."""
    torch.manual_seed(0)
    ref = nn.GRU(1, HIDDEN, LAYERS, batch_first=True)
    fast = FastGRU(1, HIDDEN, LAYERS, batch_first=True)
    fast.load_state_dict(ref.state_dict())
    x = torch.randn(BATCH, WINDOW, 1)
    worst = 0.0
    results = []
    for module in (ref, fast):
        out, _ = module(x)
        out[:, -1].sum().backward()
        results.append([out.detach()] + [p.grad for p in module.parameters()])
    for a, b in zip(*results, strict=True):
        worst = max(worst, float((a - b).abs().max()))
    if worst > 1e-4:
        raise SystemExit(f"FastGRU differs from nn.GRU by {worst:g}; not timing it")
    return worst


def make_step(cell: str, fast: bool):
    """A closure doing one optimizer step on fixed tensors, as the training loop does."""
    torch.manual_seed(0)
    with encoder_class(fast):
        model = ForecastNet(model_config(cell)).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    loss_fn = nn.L1Loss()
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(BATCH, WINDOW, generator=gen).cumsum(1)
    y = x[:, -HORIZON:] + torch.randn(BATCH, HORIZON, generator=gen)

    def step() -> None:
        loss = loss_fn(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    return step


def time_steps(step, n: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``n`` calls (after two warm-up calls)."""
    step()
    step()
    wall, cpu = [], []
    for _ in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def loop_data(seed: int = 0):
    """A long synthetic series (scaled units) with training and validation windows, as the
    training loop takes them (``batches.DeviceWindows``: starts and the bounds each may read)."""
    gen = torch.Generator().manual_seed(seed)
    n = 20_000
    t = torch.arange(n, dtype=torch.float32)
    z = torch.sin(2 * torch.pi * t / 24) + 0.01 * torch.randn(n, generator=gen).cumsum(0)
    span = WINDOW + HORIZON
    train_starts = torch.arange(0, n - 2_000 - span)
    val_starts = torch.arange(n - 2_000, n - span, 7)[:256]
    return z, windows(train_starts, n - 2_000 - 1), windows(val_starts, n - 1)


def windows(starts: torch.Tensor, last: int) -> DeviceWindows:
    """Whole windows of the one series (starting at point 0) that may read up to ``last``:
    no padding, no masked targets, every series weighted alike."""
    firsts = torch.zeros_like(starts)
    return DeviceWindows(starts, firsts, torch.full_like(starts, last), False, None)


def time_loop(cell: str, fast: bool, steps: int, data) -> tuple[float, float]:
    """Wall and CPU seconds per step of one epoch of our training loop."""
    z, train_w, val_w = data
    tc = train.TrainConfig(epochs=1, batch_size=BATCH, max_batches=steps, threads=1)
    w0, c0 = time.perf_counter(), time.process_time()
    with encoder_class(fast):
        train._train_one(
            model_config(cell),
            tc,
            z,
            train_w,
            val_w,
            seed=0,
            device=torch.device("cpu"),
            progress=None,
            member_index=0,
            members=1,
        )
    return (time.perf_counter() - w0) / steps, (time.process_time() - c0) / steps


def spread(values: list[float]) -> str:
    """Interquartile range, in ms."""
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return f"{1e3 * q[0]:.1f}-{1e3 * q[2]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--steps", type=int, default=30, help="steps timed per round")
    parser.add_argument("--threads", default="1,2", help="thread counts for the second table")
    args = parser.parse_args()

    torch.set_num_threads(1)
    worst = check_parity()
    data = loop_data()
    steps = {label: make_step(cell, fast) for label, (cell, fast) in VARIANTS.items()}
    rows: dict[str, dict[str, list[float]]] = {
        label: {k: [] for k in ("wall", "cpu", "loop_wall", "loop_cpu")} for label in VARIANTS
    }
    for _ in range(args.rounds):
        for label, (cell, fast) in VARIANTS.items():
            wall, cpu = time_steps(steps[label], args.steps)
            loop_wall, loop_cpu = time_loop(cell, fast, args.steps, data)
            for key, value in zip(rows[label], (wall, cpu, loop_wall, loop_cpu), strict=True):
                rows[label][key].append(value)

    med = {label: {k: statistics.median(v) for k, v in r.items()} for label, r in rows.items()}
    print(
        f"torch {torch.__version__}, python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
        f"batch {BATCH}, window {WINDOW}, {LAYERS} layers x {HIDDEN}, 1 thread; "
        f"median of {args.rounds} rounds x {args.steps} steps"
    )
    print(f"FastGRU vs nn.GRU, largest difference in outputs and gradients: {worst:.1e}\n")
    print(
        "| cell | step ms (wall) | step ms (CPU) | windows/s (CPU) | vs LSTM (CPU) "
        "| loop ms/step (CPU) | loop overhead (CPU) | loop overhead (wall) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    lstm = med["lstm"]["cpu"]
    for label, m in med.items():
        over_cpu = 1 - m["cpu"] / m["loop_cpu"]
        over_wall = 1 - m["wall"] / m["loop_wall"]
        print(
            f"| {label} | {1e3 * m['wall']:.1f} | {1e3 * m['cpu']:.1f} | "
            f"{BATCH / m['cpu']:,.0f} | {m['cpu'] / lstm:.2f}x | {1e3 * m['loop_cpu']:.1f} | "
            f"{over_cpu:.0%} | {over_wall:.0%} |"
        )
    fast, plain = med["gru (FastGRU)"], med["gru (nn.GRU)"]
    print(
        f"\nFastGRU step vs nn.GRU step: {plain['cpu'] / fast['cpu']:.2f}x faster (CPU), "
        f"{plain['wall'] / fast['wall']:.2f}x (wall)\n"
    )

    counts = [int(t) for t in args.threads.split(",")]
    by_threads: dict[tuple[str, int], list[float]] = {}
    for _ in range(args.rounds):
        for n_threads in counts:
            torch.set_num_threads(n_threads)
            for label in VARIANTS:
                wall, _ = time_steps(steps[label], args.steps // 2)
                by_threads.setdefault((label, n_threads), []).append(wall)
    torch.set_num_threads(1)
    header = " | ".join(f"{n} thread{'s' * (n > 1)}: median (IQR) ms" for n in counts)
    print(f"| cell (wall time per step) | {header} |")
    print("| --- |" + " ---: |" * len(counts))
    for label in VARIANTS:
        cells = [
            f"{1e3 * statistics.median(by_threads[label, n]):.1f} ({spread(by_threads[label, n])})"
            for n in counts
        ]
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
