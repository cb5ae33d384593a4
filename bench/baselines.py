"""Benchmark: all baselines and metrics in a rolling-origin backtest over many series.

Times each stage of a 10-fold backtest on 10,000 synthetic hourly series of 500 points, once
vectorised over series (what ``forecastr.evaluate.backtest`` does) and once as a plain Python
loop over series on a subset, scaled up to the full panel. The ratio column is loop / vectorised.

    .venv/bin/python bench/baselines.py [--series 10000 --length 500 --folds 10 --horizon 24]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections import defaultdict

import numpy as np
import pandas as pd

from forecastr.baselines import BASELINES
from forecastr.evaluate import backtest
from forecastr.folds import fold_origins
from forecastr.metrics import mae, mase, mase_scale, rmse, smape
from forecastr.panel import Panel
from forecastr.windows import LeadPadded

# CPU time of this process: numpy runs these kernels on one thread, and CPU time is not
# inflated when other work shares the machine (wall time is, a lot).
clock = time.process_time

STAGES = ["gather windows", *BASELINES, "MASE scale", "metrics (4 x 5 methods)"]


def synthetic_panel(n_series: int, length: int, seed: int = 0) -> Panel:
    """Hourly series with a daily cycle, a trend and noise; lengths vary from length/2 up."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(length // 2, length + 1, n_series)
    lengths[0] = length
    t = np.arange(length)
    level = rng.uniform(10, 100, (n_series, 1))
    amp = rng.uniform(1, 10, (n_series, 1))
    slope = rng.normal(0, 0.02, (n_series, 1))
    full = (
        level + amp * np.sin(2 * np.pi * t / 24) + slope * t + rng.normal(0, 1, (n_series, length))
    )
    y = np.concatenate([row[:n] for row, n in zip(full, lengths, strict=True)])
    stamps = pd.date_range("2024-01-01", periods=length, freq="h").values
    ds = np.concatenate([stamps[:n] for n in lengths])
    return Panel(
        ids=[f"s{i}" for i in range(n_series)],
        y=y,
        ds=ds,
        offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        freq="h",
    )


def vectorised(panel: Panel, origins: np.ndarray, horizon: int, m: int, window: int) -> dict:
    """Seconds per stage, all series at once (the backtest's inner loop)."""
    times: dict[str, float] = defaultdict(float)
    starts = panel.offsets[:-1]
    t0 = clock()
    values = LeadPadded.of(panel.y, int(origins.max()))  # once per backtest
    times["gather windows"] += clock() - t0
    for k in range(origins.shape[1]):
        ends = starts + origins[:, k]
        t0 = clock()
        history = values.right_aligned(starts, ends, int(origins[:, k].max()))  # (S, T)
        actual = values.take(ends[:, None] + np.arange(horizon))  # (S, H)
        times["gather windows"] += clock() - t0
        forecasts = {}
        for name, fn in BASELINES.items():
            t0 = clock()
            forecasts[name] = fn(history, horizon, season_length=m, window=window)
            times[name] += clock() - t0
        t0 = clock()
        scale = mase_scale(history, m)
        times["MASE scale"] += clock() - t0
        t0 = clock()
        for f in forecasts.values():
            mae(actual, f), rmse(actual, f), smape(actual, f), mase(actual, f, scale)
        times["metrics (4 x 5 methods)"] += clock() - t0
    return times


def per_series_loop(panel: Panel, origins: np.ndarray, horizon: int, m: int, window: int):
    """Seconds per stage, one series and fold at a time (numpy on 1-D arrays), and the
    forecasts, as ``forecasts[i * folds + k][method]``. Each stage is one timed loop."""
    times: dict[str, float] = {}
    steps = np.arange(horizon)

    def seasonal(y):
        return y[len(y) - m + steps % m] if len(y) >= m else np.full(horizon, y[-1])

    def drift(y):
        slope = (y[-1] - y[0]) / (len(y) - 1) if len(y) > 1 else 0.0
        return y[-1] + slope * (steps + 1)

    methods = {
        "naive": lambda y: np.full(horizon, y[-1]),
        "seasonal_naive": seasonal,
        "drift": drift,
        "mean": lambda y: np.full(horizon, y.mean()),
        "window_mean": lambda y: np.full(horizon, y[-window:].mean()),
    }
    t0 = clock()
    pairs = []
    for i in range(panel.n_series):
        full = panel.series(i)
        for o in origins[i]:
            pairs.append((full[:o], full[o : o + horizon]))
    times["gather windows"] = clock() - t0
    forecasts: list[dict[str, np.ndarray]] = [{} for _ in pairs]
    for name, fn in methods.items():
        t0 = clock()
        for (y, _), out in zip(pairs, forecasts, strict=True):
            out[name] = fn(y)
        times[name] = clock() - t0
    t0 = clock()
    scales = []
    for y, _ in pairs:
        lag = m if len(y) > m else 1
        scales.append(np.mean(np.abs(y[lag:] - y[:-lag])))
    times["MASE scale"] = clock() - t0
    t0 = clock()
    for (_, actual), scale, out in zip(pairs, scales, forecasts, strict=True):
        for fc in out.values():
            err = actual - fc
            np.mean(np.abs(err)), np.sqrt(np.mean(err**2))
            denom = np.abs(actual) + np.abs(fc)
            np.mean(np.where(denom == 0, 0.0, 200 * np.abs(err) / np.where(denom == 0, 1, denom)))
            np.mean(np.abs(err)) / scale if scale > 0 else np.nan
    times["metrics (4 x 5 methods)"] = clock() - t0
    return times, forecasts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--length", type=int, default=500)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--season", type=int, default=24)
    parser.add_argument("--loop-series", type=int, default=300, help="subset for the loop")
    parser.add_argument("--repeat", type=int, default=3, help="best of N for vectorised runs")
    args = parser.parse_args()
    h, m, window = args.horizon, args.season, max(args.season, args.horizon)

    t0 = clock()
    panel = synthetic_panel(args.series, args.length)
    t_data = clock() - t0
    origins = fold_origins(panel.lengths, h, args.folds, h, ids=panel.ids)  # (S, folds)

    # Best of N: the vectorised stages are short enough for a busy machine to blur them.
    runs = [vectorised(panel, origins, h, m, window) for _ in range(args.repeat)]
    fast = {stage: min(run[stage] for run in runs) for stage in STAGES}
    t_backtest, wall = float("inf"), float("inf")
    for _ in range(args.repeat):
        t0, w0 = clock(), time.perf_counter()
        report = backtest(panel, horizon=h, season_length=m, folds=args.folds)
        t_backtest, wall = min(t_backtest, clock() - t0), min(wall, time.perf_counter() - w0)

    n_loop = min(args.loop_series, args.series)
    sub = panel.subset(panel.ids[:n_loop])
    slow, loop_forecasts = per_series_loop(sub, origins[:n_loop], h, m, window)
    scale_up = args.series / n_loop
    _check_same(sub, origins[:n_loop], h, m, window, loop_forecasts)

    print(
        f"{args.series:,} series x up to {args.length} points (hourly, lengths "
        f"{int(panel.lengths.min())}-{int(panel.lengths.max())}), {args.folds} folds x horizon "
        f"{h}, season {m}: {args.series * args.folds:,} forecasts per method"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs "
        f"({platform.machine()}), load average {load:.1f}; times are CPU seconds "
        f"(best of {args.repeat} for vectorised runs)"
    )
    print(f"synthetic data generation (not timed below): {t_data:.2f} s")
    print()
    loop_head = f"per-series loop (s; {n_loop} series, scaled to {args.series:,})"
    print(f"| stage | vectorised (s) | {loop_head} | loop / vectorised |")
    print("| --- | ---: | ---: | ---: |")
    for stage in STAGES:
        loop = slow[stage] * scale_up
        print(f"| {stage} | {fast[stage]:.3f} | {loop:.2f} | {_ratio(loop, fast[stage])} |")
    fast_total, loop_total = sum(fast.values()), sum(slow.values()) * scale_up
    total_ratio = _ratio(loop_total, fast_total)
    print(f"| **all stages** | {fast_total:.3f} | {loop_total:.2f} | {total_ratio} |")
    print(
        f"| `backtest()` end to end (incl. report tables, {len(report.per_series):,} rows) "
        f"| {t_backtest:.3f} | {loop_total:.2f} | {_ratio(loop_total, t_backtest)} |"
    )
    print(f"\nbacktest() wall clock: {wall:.2f} s. {report.skill_sentence()}")


def _ratio(slow: float, fast: float) -> str:
    ratio = slow / fast if fast > 0 else float("inf")
    return f"{ratio:.1f}x" if ratio < 10 else f"{ratio:.0f}x"


def _check_same(panel: Panel, origins, h: int, m: int, window: int, loop_forecasts) -> None:
    """The loop and the vectorised baselines agree (a benchmark of a wrong answer is useless)."""
    starts = panel.offsets[:-1]
    folds = origins.shape[1]
    values = LeadPadded.of(panel.y, int(origins.max()))
    for k in range(folds):
        ends = starts + origins[:, k]
        history = values.right_aligned(starts, ends, int(origins[:, k].max()))
        for name, fn in BASELINES.items():
            got = fn(history, h, season_length=m, window=window)
            want = np.stack([loop_forecasts[i * folds + k][name] for i in range(panel.n_series)])
            np.testing.assert_allclose(got, want, rtol=1e-10, err_msg=name)


if __name__ == "__main__":
    main()
