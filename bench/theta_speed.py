"""Benchmark: the Theta fit's wall time, this tree against a baseline commit, side by side in
one run, with its forecasts and spreads checked to be the same to the bit.

``theta.theta_forecast`` and ``theta.theta_spread`` (the fit behind the Theta baseline, the
combination's Theta part and the Theta-only model) on generated rows of the shapes they
meet: many long series of 5-minute data (2,304 points each, eight days: what a season of 288
reads, ``baselines.theta_history``), an hourly panel (256 points), and a monthly file of
ragged lengths (NaN before each series' first value). Each tree runs in its own process
(``PYTHONPATH``, the baseline extracted with ``git archive`` as ``bench/train_time.py``
does), alternating, one thread; the table gives the median seconds and the ratio.

    .venv/bin/python bench/theta_speed.py --baseline HEAD~1 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_time import ROOT, check_imports_from, extract

# name: (series, points, season, horizon, ragged)
SHAPES = {
    "5-minute, 2,000 series x 2,304 points, season 288": (2000, 2304, 288, 288, False),
    "hourly, 414 series x 256 points, season 24": (414, 256, 24, 48, False),
    "monthly, 1,428 series of 48 to 126 points, season 12": (1428, 126, 12, 18, True),
}

# One process: time the fit on every shape, save its outputs (the rows are generated from a
# fixed seed, so both trees see the same numbers).
CHILD = """
import sys, time
import numpy as np
from forecastr.theta import theta_forecast, theta_spread
shapes, out = eval(sys.argv[1]), sys.argv[2]
seconds, arrays = [], []
for s, n, m, h, ragged in shapes:
    rng = np.random.default_rng(0)
    t = np.arange(n)
    rows = 10 + 3 * np.sin(2 * np.pi * t / m)[None, :] + rng.normal(size=(s, n)).cumsum(1) / 9
    if ragged:
        for i, k in enumerate(rng.integers(n - 78, n + 1, size=s)):
            rows[i, : n - k] = np.nan
    t0 = time.perf_counter()
    f, sd = theta_forecast(rows, h, m), theta_spread(rows, h, m)
    seconds.append(time.perf_counter() - t0)
    arrays += [f, sd]
np.savez(out, *arrays)
print(seconds)
"""


def run(tree: str, out: str) -> list[float]:
    env = {**os.environ, "PYTHONPATH": tree, "OMP_NUM_THREADS": "1"}
    shapes = repr(list(SHAPES.values()))
    res = subprocess.run(  # not in the repository: ``-c`` puts the working folder first
        [sys.executable, "-c", CHILD, shapes, out],
        env=env,
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    if res.returncode != 0:
        raise SystemExit(f"{tree}: {(res.stderr.strip().splitlines() or ['?'])[-1]}")
    return [float(v) for v in res.stdout.strip()[1:-1].split(",")]


def same(a: str, b: str) -> bool:
    x, y = np.load(a), np.load(b)
    return all(np.array_equal(x[k], y[k], equal_nan=True) for k in x.files)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="HEAD~1", help="git ref to compare with")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        base = os.path.join(work, "baseline")
        extract(args.baseline, base)
        for tree in (base, ROOT):
            check_imports_from(tree)
        times: dict[str, list[list[float]]] = {"baseline": [], "current": []}
        for _ in range(args.repeat):
            for name, tree in (("baseline", base), ("current", ROOT)):
                times[name].append(run(tree, os.path.join(work, f"{name}.npz")))
        identical = same(*(os.path.join(work, f"{n}.npz") for n in times))
    print(f"baseline {args.baseline}, {args.repeat} run(s) each, load {os.getloadavg()[0]:.1f}")
    print("| rows | baseline s | current s | current / baseline |")
    print("| --- | ---: | ---: | ---: |")
    for i, label in enumerate(SHAPES):
        b = statistics.median(r[i] for r in times["baseline"])
        c = statistics.median(r[i] for r in times["current"])
        print(f"| {label} | {b:.2f} | {c:.2f} | {c / b:.2f} |")
    print(f"forecasts and spreads identical to the bit: {'yes' if identical else 'NO'}")


if __name__ == "__main__":
    main()
