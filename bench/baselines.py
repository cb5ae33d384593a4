"""Benchmark: all baselines and metrics in a rolling-origin backtest over many series.

Times each stage of a 10-fold backtest on 10,000 synthetic hourly series of 500 points, once
vectorised over series (what ``forecastr.evaluate.backtest`` does) and once as a plain Python
loop over series on a subset, scaled up to the full panel. The ratio column is loop / vectorised.

    .venv/bin/python bench/baselines.py [--series 10000 --length 500 --folds 10 --horizon 24]
"""

from __future__ import annotations

import argparse
import platform
import time
from collections import defaultdict

import numpy as np
import pandas as pd

from forecastr.baselines import BASELINES
from forecastr.evaluate import _right_aligned, backtest, fold_origins
from forecastr.metrics import mae, mase, mase_scale, rmse, smape
from forecastr.panel import Panel

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
    for k in range(origins.shape[1]):
        ends = starts + origins[:, k]
        t0 = time.perf_counter()
        history = _right_aligned(panel.y, starts, ends, int(origins[:, k].max()))  # (S, T)
        actual = panel.y[ends[:, None] + np.arange(horizon)]  # (S, H)
        times["gather windows"] += time.perf_counter() - t0
        forecasts = {}
        for name, fn in BASELINES.items():
            t0 = time.perf_counter()
            forecasts[name] = fn(history, horizon, season_length=m, window=window)
            times[name] += time.perf_counter() - t0
        t0 = time.perf_counter()
        scale = mase_scale(history, m)
        times["MASE scale"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        for f in forecasts.values():
            mae(actual, f), rmse(actual, f), smape(actual, f), mase(actual, f, scale)
        times["metrics (4 x 5 methods)"] += time.perf_counter() - t0
    return times


def per_series_loop(panel: Panel, origins: np.ndarray, horizon: int, m: int, window: int):
    """Seconds per stage, one series at a time (numpy on 1-D arrays), and the forecasts."""
    times: dict[str, float] = defaultdict(float)
    steps = np.arange(horizon)
    out = []
    clock = time.perf_counter
    for i in range(panel.n_series):
        for k in range(origins.shape[1]):
            t0 = clock()
            full = panel.series(i)
            o = origins[i, k]
            y, actual = full[:o], full[o : o + horizon]
            t1 = clock()
            f = {"naive": np.full(horizon, y[-1])}
            t2 = clock()
            f["seasonal_naive"] = y[len(y) - m + steps % m] if len(y) >= m else f["naive"]
            t3 = clock()
            slope = (y[-1] - y[0]) / (len(y) - 1) if len(y) > 1 else 0.0
            f["drift"] = y[-1] + slope * (steps + 1)
            t4 = clock()
            f["mean"] = np.full(horizon, y.mean())
            t5 = clock()
            f["window_mean"] = np.full(horizon, y[-window:].mean())
            t6 = clock()
            lag = m if len(y) > m else 1
            scale = np.mean(np.abs(y[lag:] - y[:-lag]))
            t7 = clock()
            for fc in f.values():
                err = actual - fc
                np.mean(np.abs(err)), np.sqrt(np.mean(err**2))
                denom = np.abs(actual) + np.abs(fc)
                np.mean(
                    np.where(denom == 0, 0.0, 200 * np.abs(err) / np.where(denom == 0, 1, denom))
                )
                np.mean(np.abs(err)) / scale if scale > 0 else np.nan
            t8 = clock()
            for stage, a, b in zip(
                STAGES,
                (t0, t1, t2, t3, t4, t5, t6, t7),
                (t1, t2, t3, t4, t5, t6, t7, t8),
                strict=True,
            ):
                times[stage] += b - a
            out.append(f)
    return times, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--length", type=int, default=500)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--season", type=int, default=24)
    parser.add_argument("--loop-series", type=int, default=300, help="subset for the loop")
    args = parser.parse_args()
    h, m, window = args.horizon, args.season, max(args.season, args.horizon)

    t0 = time.perf_counter()
    panel = synthetic_panel(args.series, args.length)
    t_data = time.perf_counter() - t0
    origins = fold_origins(panel.lengths, h, args.folds, h, ids=panel.ids)  # (S, folds)

    fast = vectorised(panel, origins, h, m, window)
    t0 = time.perf_counter()
    report = backtest(panel, horizon=h, season_length=m, folds=args.folds)
    t_backtest = time.perf_counter() - t0

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
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.processor()}")
    print(f"synthetic data generation (not timed below): {t_data:.2f} s")
    print()
    print(
        f"| stage | vectorised (s) | per-series loop (s, {n_loop} series x{scale_up:g}) | ratio |"
    )
    print("| --- | ---: | ---: | ---: |")
    for stage in STAGES:
        loop = slow[stage] * scale_up
        print(f"| {stage} | {fast[stage]:.3f} | {loop:.2f} | {loop / fast[stage]:.0f}x |")
    fast_total, loop_total = sum(fast.values()), sum(slow.values()) * scale_up
    print(
        f"| **all stages** | {fast_total:.3f} | {loop_total:.2f} | {loop_total / fast_total:.0f}x |"
    )
    print(
        f"| `backtest()` end to end (incl. report tables, {len(report.per_series):,} rows) "
        f"| {t_backtest:.3f} | {loop_total:.2f} | {loop_total / t_backtest:.0f}x |"
    )
    print()
    print(report.skill_sentence())


def _check_same(panel: Panel, origins, h: int, m: int, window: int, loop_forecasts) -> None:
    """The loop and the vectorised baselines agree (a benchmark of a wrong answer is useless)."""
    starts = panel.offsets[:-1]
    folds = origins.shape[1]
    for k in range(folds):
        ends = starts + origins[:, k]
        history = _right_aligned(panel.y, starts, ends, int(origins[:, k].max()))
        for name, fn in BASELINES.items():
            got = fn(history, h, season_length=m, window=window)
            want = np.stack([loop_forecasts[i * folds + k][name] for i in range(panel.n_series)])
            np.testing.assert_allclose(got, want, rtol=1e-10, err_msg=name)


if __name__ == "__main__":
    main()
