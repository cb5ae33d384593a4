"""Benchmark: R's and forecasting textbooks' series under the competition protocol.

The CSV copies of the time series in R's ``datasets`` package and in the ``fpp2`` and
``forecast`` packages (Hyndman and Athanasopoulos, *Forecasting: Principles and Practice*),
as the ``vincentarelbundock/Rdatasets`` GitHub repository publishes them: a ``rownames``
counter, a ``time`` column of decimal years (``1956.25``) and one column per series. None is
bundled with pmdarima or statsmodels; the series those two bundle (lynx, Nile, CO2, the
sunspots, austres, the airline passengers, taylor, wineind, woolyrnq, gasoline, elecequip)
are left out, as are other copies of them. Not shipped here: download the files into a
folder as ``<package>__<name>.csv`` (``fpp2__ausbeer.csv``) and pass it as ``--data``.

Each file less its last horizon (M4's: 6 years, 8 quarters, 18 months, 13 weeks, 14 days, 48
hours) goes to ``forecastr train FILE --horizon H --seed S`` and ``forecastr predict`` exactly
as downloaded, as a user would hand it over; the held-out rows are scored per series column
(MASE scaled by the history's seasonal-naive MAE at M4's lag: 1 for yearly, weekly and daily
data, 4, 12, 24) beside naive, seasonal naive, drift, forecastr's Theta method and
statsforecast's AutoETS and AutoTheta fitted on the same history. A file the tool refuses is
a row with its one-line error. In the bench venv::

    python bench/textbook_series.py --data DIR --seeds 0,100,200
    python bench/textbook_series.py --report
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C

from forecastr.baselines import drift, naive, seasonal_naive, theta

DEFAULT_RESULTS = C.ROOT / "bench" / "results" / "textbook_series.jsonl"
Y, Q, M, W, D = (6, 1), (8, 4), (18, 12), (13, 1), (14, 1)  # (horizon, MASE lag)
FILES = {  # file name: (horizon, MASE lag); season for the references = the lag
    "datasets__BJsales.csv": (10, 1),
    "datasets__JohnsonJohnson.csv": Q,
    "datasets__LakeHuron.csv": Y,
    "datasets__UKgas.csv": Q,
    "datasets__USAccDeaths.csv": (12, 12),
    "datasets__WWWusage.csv": (10, 1),
    "datasets__airmiles.csv": Y,
    "datasets__discoveries.csv": Y,
    "datasets__ldeaths.csv": (12, 12),
    "datasets__mdeaths.csv": (12, 12),
    "datasets__fdeaths.csv": (12, 12),
    "datasets__nhtemp.csv": Y,
    "datasets__nottem.csv": M,
    "datasets__presidents.csv": Q,
    "datasets__treering.csv": Y,
    "datasets__uspop.csv": (3, 1),
    "datasets__EuStockMarkets.csv": D,
    "forecast__gas.csv": M,
    "forecast__gold.csv": D,
    "fpp2__arrivals.csv": Q,
    "fpp2__ausair.csv": Y,
    "fpp2__ausbeer.csv": Q,
    "fpp2__auscafe.csv": M,
    "fpp2__austa.csv": Y,
    "fpp2__austourists.csv": Q,
    "fpp2__calls.csv": (169, 169),
    "fpp2__debitcards.csv": M,
    "fpp2__departures.csv": M,
    "fpp2__elecdaily.csv": D,
    "fpp2__elecdemand.csv": (48, 48),
    "fpp2__elecsales.csv": Y,
    "fpp2__euretail.csv": Q,
    "fpp2__goog200.csv": D,
    "fpp2__guinearice.csv": Y,
    "fpp2__h02.csv": M,
    "fpp2__hyndsight.csv": D,
    "fpp2__insurance.csv": (12, 12),
    "fpp2__livestock.csv": Y,
    "fpp2__marathon.csv": Y,
    "fpp2__maxtemp.csv": Y,
    "fpp2__melsyd.csv": W,
    "fpp2__mens400.csv": (3, 1),
    "fpp2__oil.csv": Y,
    "fpp2__qauselec.csv": Q,
    "fpp2__qcement.csv": Q,
    "fpp2__qgas.csv": Q,
    "fpp2__uschange.csv": Q,
    "fpp2__usmelec.csv": M,
    "fpp2__visnights.csv": Q,
    "fpp2__wmurders.csv": Y,
}
NOT_SERIES = {"rownames", "time", "Unnamed: 0"}  # R's row names: headed "rownames" or ""


def series_columns(raw: pd.DataFrame) -> list[str]:
    return [c for c in raw.columns if c not in NOT_SERIES]


def references(x: np.ndarray, horizon: int, m: int) -> dict[str, np.ndarray]:
    """The baselines' and statsforecast's forecasts of one history (no missing values)."""
    h = x[None, :]
    out = {
        "naive": naive(h, horizon)[0],
        "seasonal naive": seasonal_naive(h, horizon, season_length=m)[0],
        "drift": drift(h, horizon)[0],
        "theta": theta(h, horizon, season_length=m)[0],
    }
    try:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS, AutoTheta
    except ImportError:
        return out
    frame = pd.DataFrame({"unique_id": "s", "ds": np.arange(len(x)), "y": x})
    models = [AutoETS(season_length=m), AutoTheta(season_length=m)]
    fc = StatsForecast(models=models, freq=1, n_jobs=1).forecast(df=frame, h=horizon)
    return {**out, "AutoETS": fc["AutoETS"].to_numpy(), "AutoTheta": fc["AutoTheta"].to_numpy()}


def served(
    history: Path, horizon: int, seed: int, work: Path, env: dict | None = None
) -> tuple[pd.DataFrame, float]:
    """``forecastr train`` then ``forecastr predict`` on ``history``, as a user runs them (in
    the environment ``env``, default this one's)."""
    exe = C.forecastr_exe()
    start = time.perf_counter()
    for cmd in (
        [exe, "train", history, "--horizon", str(horizon), "--seed", str(seed), "-o",
         work / "m", "--quiet"],
        [exe, "predict", work / "m", history, "-o", work / "fc.csv"],
    ):  # fmt: skip
        res = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env)
        if res.returncode:
            raise RuntimeError(C.error_line(res.stderr))
    return pd.read_csv(work / "fc.csv"), time.perf_counter() - start


def forecast_of(fc: pd.DataFrame, column: str, columns: list[str]) -> np.ndarray:
    """One series' forecast from ``predict``'s output (one series, or an id per column)."""
    ids = [c for c in fc.columns if c not in {"ds", "forecast"} and not c.startswith(("lo", "hi"))]
    if not ids:
        return fc["forecast"].to_numpy(dtype=np.float64)
    rows = fc[fc[ids[0]].astype(str) == column]
    return rows["forecast"].to_numpy(dtype=np.float64)


def run_file(path: Path, horizon: int, m: int, seed: int, refs: bool) -> dict:
    raw = pd.read_csv(path)
    columns = series_columns(raw)
    history, test = raw.iloc[:-horizon], raw.iloc[-horizon:]
    row: dict = {"file": path.name, "seed": seed, "horizon": horizon, "lag": m}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        hist = work / path.name
        lines = path.read_text().splitlines(keepends=True)
        hist.write_text("".join(lines[: len(lines) - horizon]))
        try:
            fc, secs = served(hist, horizon, seed, work)
        except RuntimeError as exc:
            return {**row, "error": str(exc)}
        network = C.network_parts(work / "m") or {}  # the network alone, where there is one
    row["seconds"] = round(secs, 1)
    per: dict[str, dict] = {}
    forecasts: dict[str, dict] = {}
    for col in columns:
        x = history[col].dropna().to_numpy(dtype=np.float64)
        y = test[col].to_numpy(dtype=np.float64)
        f = forecast_of(fc, col, columns)
        if len(f) != horizon:
            per[col] = {"error": f"{len(f)} forecasts for {horizon} test rows"}
            continue
        ok = ~np.isnan(y)
        kept = {"forecastr": f} | ({"network": network[col]} if col in network else {})
        if refs:
            kept |= references(x, horizon, m)
        scores = {k: C.mase(y[ok], g[ok], x, m) for k, g in kept.items() if k != "network"}
        per[col] = {k: round(v, 4) for k, v in scores.items()}
        forecasts[col] = {k: [round(float(v), 6) for v in g] for k, g in kept.items()}
    return {**row, "series": per, "forecasts": forecasts}


def mean_scores(row: dict) -> dict[str, float]:
    """Mean MASE over a row's series columns, per method (NaN scales left out)."""
    by: dict[str, list[float]] = {}
    for s in row.get("series", {}).values():
        for k, v in s.items():
            if k != "error" and v == v and math.isfinite(v):
                by.setdefault(k, []).append(v)
    return {k: statistics.fmean(v) for k, v in by.items()}


def report(rows: list[dict], tag: str) -> str:
    rows = [r for r in rows if r.get("tag") == tag]
    files = sorted({r["file"] for r in rows})
    head = ["file", "series", "seeds", "forecastr MASE median [min, max]", "naive",
            "seasonal naive", "drift", "theta", "AutoETS", "AutoTheta", "best other",
            "rank"]  # fmt: skip
    out = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name in files:
        mine = [r for r in rows if r["file"] == name]
        errors = [r["error"] for r in mine if "error" in r]
        if errors:
            out.append(f"| {name} | | {len(mine)} | refused: {errors[0]} |" + " |" * 8)
            continue
        means = [mean_scores(r) for r in mine]
        ours = sorted(m["forecastr"] for m in means)
        refs = {k: v for m in means for k, v in m.items() if k != "forecastr"}
        best = min(refs, key=refs.get) if refs else ""
        med = statistics.median(ours)
        rank = 1 + sum(v < med for v in refs.values())
        cells = [f"{refs[k]:.3f}" if k in refs else "" for k in head[4:10]]
        out.append(
            f"| {name} | {len(mine[0]['series'])} | {len(mine)} | {med:.3f} [{ours[0]:.3f}, "
            f"{ours[-1]:.3f}] | " + " | ".join(cells) + f" | {best} {refs.get(best, 0):.3f} | "
            f"{rank} |"
        )
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="folder holding the files of FILES")
    ap.add_argument("--seeds", default="0,100,200")
    ap.add_argument("--files", default=",".join(FILES))
    ap.add_argument("--tag", default="defaults")
    ap.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    ap.add_argument("--no-refs", action="store_true", help="score forecastr only")
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args()
    if args.report:
        rows = [json.loads(line) for line in args.results.read_text().splitlines()]
        print(report(rows, args.tag))
        return
    if not args.data:
        raise SystemExit("--data DIR is needed to run (or --report)")
    seeds = [int(s) for s in args.seeds.split(",")]
    for name in args.files.split(","):
        horizon, m = FILES[name]
        for seed in seeds:  # the references once per file: they do not depend on the seed
            refs = not args.no_refs and seed == seeds[0]
            row = run_file(Path(args.data) / name, horizon, m, seed, refs)
            row["tag"] = args.tag
            C.append(args.results, row)
            shown = {k: v for k, v in row.items() if k not in ("series", "forecasts")}
            print(json.dumps(shown), mean_scores(row), flush=True)


if __name__ == "__main__":
    main()
