"""Peak memory of training on one long series: windows are index ranges, so it stays O(N).

Each size runs in its own subprocess (a fresh peak RSS) with a 2-layer GRU-64, window 336,
horizon 48, two short epochs: the point is memory, not accuracy. Prints peak RSS against the
series' own size and against what a materialised (windows x (window + horizon)) float32
matrix would need.

    .venv/bin/python bench/train_memory.py [--points 1000000 10000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
from forecastr.panel import Panel
from forecastr.models import ModelConfig
from forecastr.train import TrainConfig, fit
n = int(sys.argv[1])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = np.arange(n)
y = 10 + np.sin(2 * np.pi * t / 48) + 0.1 * np.random.default_rng(0).standard_normal(n)
# 10M half-hours span 570 years: start early enough that they fit datetime64[ns] (1677-2262),
# and build them in ns, as load_csv does (a Panel casts other units, a copy the peak would count)
ds = pd.date_range("1680-01-01", periods=n, freq="30min", unit="ns").values
panel = Panel(ids=["s"], y=y, ds=ds, offsets=np.array([0, n]), freq="30min")
cfg = ModelConfig(
    window=336, horizon=48, cell="gru", hidden=64, layers=2, patch=8, season_length=48
)
t0 = time.perf_counter()
fit(panel, cfg, TrainConfig(epochs=2, max_batches=2, batch_size=64, val_size=2000))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"n": n, "base_mb": base / 1024, "peak_mb": peak / 1024,
                  "seconds": time.perf_counter() - t0}))
"""


def measure(n: int) -> dict:
    """Peak RSS of training on one series of ``n`` points, in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(n)], capture_output=True, text=True)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise SystemExit(f"the child for {n:,} points failed (exit {out.returncode}): {last}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--points",
        type=int,
        nargs="+",
        default=[1_000_000, 10_000_000],
        help="series lengths, one subprocess each (at least 384: window + horizon)",
    )
    args = ap.parse_args()
    rows = [measure(n) for n in args.points]
    print(f"{'points':>12} {'data MB':>8} {'peak MB':>8} {'peak/data':>9} {'matrix MB':>10}")
    for r in rows:
        data = r["n"] * 16 / 2**20  # y float64 + ds int64
        matrix = (r["n"] - 384) * 384 * 4 / 2**20
        extra = r["peak_mb"] - r["base_mb"]
        print(
            f"{r['n']:>12,} {data:>8.0f} {r['peak_mb']:>8.0f} {extra / data:>8.1f}x "
            f"{matrix:>10,.0f}"
        )
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        growth = (b["peak_mb"] - b["base_mb"]) / (a["peak_mb"] - a["base_mb"])
        more = b["n"] / a["n"]
        print(
            f"peak above the interpreter grows {growth:.1f}x for {more:g}x the points "
            f"(O(N) => ~{more:g}x)"
        )


if __name__ == "__main__":
    main()
