"""Benchmark: logs of events (a row per purchase) forecast as totals per period, under the
competition protocol.

A log file not shipped here (e.g. CDNOW's purchases, ``CDNOW_master.txt`` of the
``lifetimes`` wheel written as CSV: 69,659 rows, 1997-01-01 to 1998-06-30) is read whole with
``--aggregate sum --freq F``; its last ``--horizon`` periods are the test part. The rows
before the first test period go to ``forecastr train --aggregate sum --freq F --horizon H
--seed S`` and ``forecastr predict`` as a user runs them, and the forecasts are scored (MASE,
scaled by the history's seasonal-naive MAE at lag ``--m``; sMAPE) beside naive, seasonal
naive at the tool's season, drift, forecastr's Theta method and statsforecast's AutoETS and
AutoTheta fitted on the same totals. In the bench venv::

    python bench/event_logs.py --data cdnow.csv --time-col date --time-format %Y%m%d \\
        --target dollar_value --freq W --horizon 8 --m 1 --seeds 0,100,200
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C
import tutorial_series as T

from forecastr.data import load_csv
from forecastr.ingest.options import IngestOptions


def test_start(stamps: np.ndarray, horizon: int, freq: str) -> pd.Timestamp:
    """The first day of the first test period: periods labelled by their last day (weeks,
    ``...E``) start the day after the last training label, others on their label."""
    by_end = freq.upper().startswith("W") or freq.upper().endswith("E")
    if by_end:
        return pd.Timestamp(stamps[-horizon - 1]) + pd.Timedelta(days=1)
    return pd.Timestamp(stamps[-horizon])


def served(history: Path, args: argparse.Namespace, seed: int, work: Path) -> np.ndarray:
    """``forecastr train`` then ``predict`` on the rows before the test part."""
    exe = C.forecastr_exe()
    flags = ["--target", args.target, "--aggregate", "sum", "--freq", args.freq]
    for cmd in (
        [exe, "train", history, *flags, "--horizon", str(args.horizon), "--seed", str(seed),
         "-o", work / "m", "--quiet"],
        [exe, "predict", work / "m", history, "-o", work / "fc.csv"],
    ):  # fmt: skip
        res = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
        if res.returncode:
            raise SystemExit(f"{history.name}: {C.error_line(res.stderr)}")
    return pd.read_csv(work / "fc.csv")["forecast"].to_numpy(dtype=float)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="the log, as CSV")
    ap.add_argument("--time-col", required=True)
    ap.add_argument("--time-format", default=None, help="strftime format of the time column")
    ap.add_argument("--target", required=True)
    ap.add_argument("--freq", default="W")
    ap.add_argument("--horizon", type=int, default=8)
    ap.add_argument("--m", type=int, default=1, help="MASE's seasonal lag")
    ap.add_argument("--seeds", default="0,100,200")
    args = ap.parse_args()
    opts = IngestOptions(target=args.target, aggregate="sum", freq=args.freq)
    full = load_csv(args.data, opts)
    if full.n_series != 1:
        raise SystemExit("one series (a log of one shop) is what this benchmark scores")
    start = test_start(full.ds, args.horizon, args.freq)
    raw = pd.read_csv(args.data, dtype=str)
    when = pd.to_datetime(raw[args.time_col], format=args.time_format)
    y = full.y[-args.horizon :]
    with tempfile.TemporaryDirectory() as tmp:
        history = Path(tmp) / Path(args.data).name
        raw[when < start].to_csv(history, index=False)
        x = load_csv(history, opts).y
        if len(x) != len(full.y) - args.horizon:
            raise SystemExit(f"the history holds {len(x)} periods, not {len(full.y)} - H")
        scores = []
        for seed in [int(s) for s in args.seeds.split(",")]:
            fc = served(history, args, seed, Path(tmp))
            scores.append((C.mase(y, fc, x, args.m), C.smape(y, fc)))
    season = 52 if args.freq.upper().startswith("W") else 7 if args.freq == "D" else 12
    refs = T.references(x, args.horizon, season if len(x) > 2 * season else 1)
    row = {
        "file": Path(args.data).name,
        "freq": args.freq,
        "periods": len(full.y),
        "horizon": args.horizon,
        "mase": [round(m, 3) for m, _ in scores],
        "median mase": round(statistics.median(m for m, _ in scores), 3),
        "median smape": round(statistics.median(s for _, s in scores), 2),
        **{k: round(C.mase(y, f, x, args.m), 3) for k, f in refs.items()},
    }
    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
