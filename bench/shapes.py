"""Benchmark: the defaults on series shapes the competition corpus lacks (synthetic).

M3 and Tourism hold only yearly, quarterly, monthly and "other" series. A user also hands the
tool daily sales with a weekly pattern, business-day prices, a cycle the calendar does not
name, or sparse counts. This script generates such series (seeded, so every run sees the same
data; nothing is downloaded), writes each as its own CSV cut at two origins (the end and three
horizons before it), runs ``forecastr train one.csv --horizon H --seed S`` and ``forecastr
predict`` as a user would, and scores the held-out horizon. Beside it, on the same history:
naive, seasonal naive at the shape's period, drift and forecastr's Theta method at that
period. The data are synthetic, so these are checks of behaviour, not accuracy claims.

Shapes (``--shapes``):

* ``daily-weekly``: daily, multiplicative day-of-week profile, a yearly swing, a trend and a
  slowly wandering level; 730 to 1,200 days; horizon 14; period 7.
* ``business-walk``: business-day prices, a geometric random walk (nothing beats naive in
  expectation); 400 to 1,000 days; horizon 10; period 1.
* ``yearly-cycle``: yearly, a skewed non-negative 11-year cycle of wandering amplitude (a
  sunspot-like shape); 200 to 300 years; horizon 6; period 1 (the calendar's).
* ``integer-cycle``: an integer index, a log-scale cycle of 9.6 steps (not an integer; a
  lynx-like shape); 100 to 140 points; horizon 8; period 1.
* ``sparse-daily``: daily counts, Poisson with a rate of 0.4 to 2, higher at weekends;
  2 years; horizon 14; period 7.

MASE is scaled by the in-sample MAE of seasonal naive at the shape's period (M4), sMAPE as in
M4 (a step with actual and forecast both 0 scores 0). ``--parts`` also scores the saved
model's network alone and its equal average with the Theta method, so that other choices
between the two can be scored offline on the same trained models (``choice_rules.py``).
Rows go to ``--results`` (JSON lines, default ``bench/results/shapes.jsonl``), keyed by
(shape, series, origin, seed, tag); keys already there are skipped unless ``--force``. Runs
in the project venv::

    .venv/bin/python bench/shapes.py --seeds 0
    .venv/bin/python bench/shapes.py --report
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C

from forecastr.baselines import drift, naive, seasonal_naive, theta
from forecastr.metrics import mase, mase_scale, smape

DEFAULT_RESULTS = C.ROOT / "bench" / "results" / "shapes.jsonl"
METHODS = ("forecastr", "naive", "seasonal naive", "drift", "theta", "cycle naive")


@dataclass(frozen=True)
class Shape:
    name: str
    horizon: int
    period: int  # seasonal naive's and MASE's period
    make: Callable[[np.random.Generator], pd.DataFrame]  # one series: time column, value
    cycle: int = 0  # a cycle the calendar does not name: seasonal naive at it is scored too


def _daily_weekly(rng: np.random.Generator) -> pd.DataFrame:
    n = int(rng.integers(730, 1200))
    t = np.arange(n)
    week = np.exp(rng.normal(0, 0.25, 7))
    week /= week.mean()
    year = 1 + rng.uniform(0, 0.3) * np.sin(2 * np.pi * t / 365.25 + rng.uniform(0, 6))
    trend = 1 + rng.uniform(-0.3, 0.6) * t / n
    wander = np.exp(np.cumsum(rng.normal(0, rng.uniform(0.002, 0.01), n)))
    noise = 1 + rng.normal(0, rng.uniform(0.03, 0.15), n)
    y = rng.uniform(50, 500) * week[t % 7] * year * trend * wander * noise
    return pd.DataFrame({"date": pd.date_range("2019-03-01", periods=n, freq="D"), "y": y})


def _business_walk(rng: np.random.Generator) -> pd.DataFrame:
    n = int(rng.integers(400, 1000))
    y = 50 * np.exp(np.cumsum(rng.normal(0.0003, 0.015, n)))
    return pd.DataFrame({"date": pd.bdate_range("2018-01-02", periods=n), "y": y})


def _yearly_cycle(rng: np.random.Generator) -> pd.DataFrame:
    n = int(rng.integers(200, 300))
    t = np.arange(n)
    amplitude = 80 + 40 * np.sin(2 * np.pi * t / rng.uniform(60, 120) + rng.uniform(0, 6))
    phase = np.pi * t / 11.0 + rng.uniform(0, np.pi)
    y = np.maximum(0, amplitude * np.abs(np.sin(phase)) ** 1.6 + rng.normal(0, 8, n))
    return pd.DataFrame({"year": pd.date_range("1700", periods=n, freq="YS"), "y": y})


def _integer_cycle(rng: np.random.Generator) -> pd.DataFrame:
    n = int(rng.integers(100, 140))
    t = np.arange(n)
    y = np.exp(6.5 + 1.3 * np.sin(2 * np.pi * t / 9.6 + rng.uniform(0, 6)) + rng.normal(0, 0.3, n))
    return pd.DataFrame({"t": t, "y": y})


def _sparse_daily(rng: np.random.Generator) -> pd.DataFrame:
    n = 730
    weekend = (np.arange(n) % 7 >= 5).astype(float)
    y = rng.poisson(rng.uniform(0.4, 2.0) * (1 + 0.5 * weekend)).astype(float)
    return pd.DataFrame({"date": pd.date_range("2020-01-01", periods=n, freq="D"), "y": y})


def _weekly_yearly(rng: np.random.Generator) -> pd.DataFrame:
    """Weekly measurements over 10 to 44 years with a smooth yearly swing of 52.18 weeks (not
    a whole number of them), a trend that bends, and persistent noise: atmospheric or energy
    readings, or a retail line, kept weekly."""
    n = int(rng.integers(520, 2300))
    t = np.arange(n)
    year = 2 * np.pi * t / (365.25 / 7)
    swing = rng.uniform(2, 6) * np.sin(year + rng.uniform(0, 6))
    swing += rng.uniform(0.5, 2) * np.sin(2 * year + rng.uniform(0, 6))
    trend = rng.uniform(0.01, 0.05) * t + rng.uniform(0, 8) * (t / n) ** 2
    noise = np.zeros(n)
    phi, sd = rng.uniform(0.3, 0.8), rng.uniform(0.3, 1.0)
    for i in range(1, n):
        noise[i] = phi * noise[i - 1] + rng.normal(0, sd)
    y = rng.uniform(100, 400) + trend + swing + noise
    return pd.DataFrame({"week": pd.date_range("1975-01-04", periods=n, freq="W-SAT"), "y": y})


def _level_shift(rng: np.random.Generator) -> pd.DataFrame:
    """A century of yearly flows that step down once (a dam, a new gauge, a drier climate)
    and are otherwise noise around their level: nothing to extrapolate but the last level."""
    n = int(rng.integers(80, 130))
    shift = int(rng.integers(n // 6, n // 2))
    level = np.where(np.arange(n) < shift, 1.0, 1.0 - rng.uniform(0.15, 0.35))
    y = rng.uniform(500, 2000) * (level + rng.normal(0, rng.uniform(0.08, 0.15), n))
    return pd.DataFrame({"year": pd.date_range("1871", periods=n, freq="YS"), "y": y})


SHAPES = {
    s.name: s
    for s in (
        Shape("daily-weekly", 14, 7, _daily_weekly),
        Shape("business-walk", 10, 1, _business_walk),
        Shape("yearly-cycle", 6, 1, _yearly_cycle, cycle=11),
        Shape("integer-cycle", 8, 1, _integer_cycle, cycle=10),
        Shape("sparse-daily", 14, 7, _sparse_daily),
        Shape("weekly-yearly", 13, 52, _weekly_yearly),
        Shape("level-shift", 6, 1, _level_shift),
    )
}


def series_of(shape: Shape, index: int) -> pd.DataFrame:
    """The ``index``-th series of a shape (the same on every run)."""
    seed = 1000 * list(SHAPES).index(shape.name) + index
    df = shape.make(np.random.default_rng(seed))
    df["y"] = df["y"].round(3)
    return df


def scores(history: np.ndarray, actual: np.ndarray, forecast: np.ndarray, m: int) -> dict:
    """M4 sMAPE and MASE at period ``m`` (``forecastr.metrics``, as every report scores)."""
    a, f = actual[None, :], forecast[None, :]
    scale = mase_scale(history[None, :], m)
    return {"smape": float(smape(a, f)[0]), "mase": float(mase(a, f, scale)[0])}


def baselines(history: np.ndarray, shape: Shape) -> dict[str, np.ndarray]:
    row, h, m = history[None, :], shape.horizon, shape.period
    out = {
        "naive": naive(row, h)[0],
        "seasonal naive": seasonal_naive(row, h, season_length=m)[0],
        "drift": drift(row, h)[0],
        "theta": theta(row, h, season_length=m)[0],
    }
    if shape.cycle > 1:
        out["cycle naive"] = seasonal_naive(row, h, season_length=shape.cycle)[0]
    return out


def run_one(
    shape: Shape, df: pd.DataFrame, end: int, seed: int, extra: list[str], parts: bool = False
) -> dict:
    """Train on ``df[:end - h]`` through the CLI, forecast ``df[end - h:end]``; the row. With
    ``parts``, also the saved model's network alone and its equal average with the Theta
    method ("network", "average"), so other choices between them can be scored offline."""
    h, m = shape.horizon, shape.period
    train, test = df.iloc[: end - h], df.iloc[end - h : end]
    history, actual = train["y"].to_numpy(float), test["y"].to_numpy(float)
    with tempfile.TemporaryDirectory() as tmp:
        row, report, fc = C.train_and_predict(train, "one.csv", h, seed, extra, Path(tmp))
        net = C.network_parts(Path(tmp) / "model") if parts and fc is not None else None
    row = {"points": len(train), **row}
    if report is not None:
        row |= C.model_fields(report)
        row["theta_weight"] = (report["summary"].get("theta") or {}).get("weight")
        row["theta"] = report["summary"].get("theta")  # the validation scores it chose by
    if fc is None:
        return row
    forecast = fc["forecast"].to_numpy(float)
    forecasts = {"forecastr": forecast, **baselines(history, shape)}
    if net is not None:
        forecasts |= average_parts(next(iter(net.values())), forecast, history, row)
    row["scores"] = {k: scores(history, actual, f, m) for k, f in forecasts.items()}
    return {**row, "status": "ok"}


def average_parts(net: np.ndarray, served: np.ndarray, history: np.ndarray, row: dict) -> dict:
    """The network alone and its equal average with the Theta method: the served forecast
    where the model is that average, else the network with the Theta method at the model's
    season (what the model would have served, up to the padding of its stored context)."""
    if row["theta_weight"]:
        return {"network": net, "average": served}
    season = int(row["model"]["season_length"] or 1)
    alone = theta(history[None], len(net), season_length=season)[0]
    return {"network": net, "average": (net + alone) / 2}


def key(r: dict) -> tuple:
    return (r["shape"], r["series"], r["origin"], r["seed"], r.get("tag", ""))


def report(rows: list[dict], tag: str) -> None:
    """Per shape: forecastr's mean MASE over the windows of each seed, as median [min, max]
    over seeds; the baselines' (which no seed changes); and on how many seeds forecastr's
    mean beat the best baseline's."""
    ok = [r for r in rows if r.get("tag", "") == tag and r["status"] == "ok"]
    head = ["shape", "windows", "seeds", *(f"{m} MASE" for m in METHODS)]
    head += ["forecastr sMAPE", "beats best baseline (seeds)", "train s"]
    print("| " + " | ".join(head) + " |")
    print("| --- | " + " | ".join("---:" for _ in head[1:]) + " |")
    for name in SHAPES:
        rs = [r for r in ok if r["shape"] == name]
        if not rs:
            continue
        seeds = sorted({r["seed"] for r in rs})
        first = [r for r in rs if r["seed"] == seeds[0]]
        have = [m for m in METHODS if m in first[0]["scores"]]
        base = {m: float(np.mean([r["scores"][m]["mase"] for r in first])) for m in have[1:]}
        best = min(base, key=lambda m: base[m])
        per_seed = [[r for r in rs if r["seed"] == s] for s in seeds]
        ours = [float(np.mean([r["scores"]["forecastr"]["mase"] for r in g])) for g in per_seed]
        smapes = [float(np.mean([r["scores"]["forecastr"]["smape"] for r in g])) for g in per_seed]
        cells = [name, str(len(first)), str(len(seeds)), spread(ours)]
        cells += [f"{base[m]:.3f}" if m in base else "" for m in METHODS[1:]]
        cells += [f"{np.median(smapes):.2f}"]
        cells += [f"{sum(v < base[best] for v in ours)}/{len(ours)} ({best} {base[best]:.3f})"]
        cells += [f"{np.median([r['train_s'] for r in rs]):.0f}"]
        print("| " + " | ".join(cells) + " |")
    failed = [r for r in rows if r.get("tag", "") == tag and r["status"] != "ok"]
    print(
        "\nMASE: mean over a seed's windows (each series at two origins); forecastr: median "
        f"[min, max] over seeds. {len(failed)} runs failed."
    )


def spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{np.median(values):.3f} [{min(values):.3f}, {max(values):.3f}]"


def main(argv: list[str] | None = None) -> None:
    C.stop_children_on_term()
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated")
    ap.add_argument("--per", type=int, default=6, help="series per shape")
    ap.add_argument("--seeds", default="0", help="comma-separated training seeds")
    ap.add_argument(
        "--parts", action="store_true", help="also score the network alone and the average"
    )
    C.add_record_options(ap, DEFAULT_RESULTS)
    args = ap.parse_args(argv)
    tag = args.tag or args.extra
    rows = C.load_results(args.results)
    done = {key(r) for r in rows}
    for name in [] if args.report else args.shapes.split(","):
        shape = SHAPES[name]
        for i in range(args.per):
            df = series_of(shape, i)
            for origin in (0, 3):  # the end, and three horizons before it
                for seed in (int(v) for v in args.seeds.split(",")):
                    k = (name, i, origin, seed, tag)
                    if k in done and not args.force:
                        continue
                    end = len(df) - origin * shape.horizon
                    row = {"shape": name, "series": i, "origin": origin, "seed": seed, "tag": tag}
                    row |= run_one(shape, df, end, seed, args.extra.split(), args.parts)
                    row["time"] = C.now()
                    C.append(args.results, row)
                    print(f"{name} #{i} origin -{origin}h seed {seed}: {row['status']}", flush=True)
    # read again: rows another process appended while this one ran belong in the table too
    report(C.load_results(args.results), tag)


if __name__ == "__main__":
    main()
