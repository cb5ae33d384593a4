"""Peak memory of training on one long series: windows are index ranges, so it stays O(N).

Each size runs in its own subprocess (a fresh peak RSS) with a 2-layer GRU-64, window 336,
horizon 48, two short epochs: the point is memory, not accuracy. Prints peak RSS against the
series' own size and against what a materialised (windows x (window + horizon)) float32
matrix would need.

    .venv/bin/python bench/train_memory.py
"""

from __future__ import annotations

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
ds = pd.date_range("2000-01-01", periods=n, freq="30min").values
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


def main() -> None:
    rows = []
    for n in (1_000_000, 10_000_000):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(n)], capture_output=True, text=True, check=True
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"{'points':>12} {'data MB':>8} {'peak MB':>8} {'peak/data':>9} {'matrix MB':>10}")
    for r in rows:
        data = r["n"] * 16 / 2**20  # y float64 + ds int64
        matrix = (r["n"] - 384) * 384 * 4 / 2**20
        extra = r["peak_mb"] - r["base_mb"]
        print(
            f"{r['n']:>12,} {data:>8.0f} {r['peak_mb']:>8.0f} {extra / data:>8.1f}x "
            f"{matrix:>10,.0f}"
        )
    a, b = rows
    growth = (b["peak_mb"] - b["base_mb"]) / (a["peak_mb"] - a["base_mb"])
    print(f"peak above the interpreter grows {growth:.1f}x for 10x the points (O(N) => ~10x)")


if __name__ == "__main__":
    main()
