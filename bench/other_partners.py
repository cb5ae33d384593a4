"""Offline, nothing trained: other partners for the network than the Theta method's plain fit.

The tool serves the equal average of its network and its Theta method (``combine.py``). Three
ways to give that average a better second half, scored on the seed-0 forecasts that
``bench/competitions.py --keep`` kept (the network recovered from the served average and the
Theta method's forecast of the same training part, as ``bench/theta_by_length.py`` does):

* ``bagged``: the Theta method bagged as Bergmeir, Hyndman and Benitez (2016) bag exponential
  smoothing: each training part in logs (where positive), split by STL (seasonal) or a
  lowess trend into a smooth part and a remainder, the remainder resampled in moving blocks
  (2 seasons, or 8 points), :data:`BOOTSTRAPS` series rebuilt, and the median of the Theta
  method's forecasts of them and of the series itself. It narrows the Theta method's
  variance on short, noisy series, if anything does.
* ``third``: a third member in the average, ``(network + Theta + X) / 3``, for X statsforecast's
  damped AutoETS and AutoARIMA (M4's combinations of statistical methods averaged several).
* ``steps``: the Theta weight by thirds of the horizon (0, 0.25, 0.5, 0.75, 1), to see
  whether the network's edge lies at the early steps and the Theta method's at the late ones
  (then a weight rising with the step would beat one weight).

Run in the bench venv (statsforecast and the statsmodels it brings)::

    python bench/competitions.py --seeds 0 --no-refs --keep /tmp/keep0 --results /tmp/keep0.jsonl
    python bench/other_partners.py /tmp/keep0 /tmp/keep0.jsonl --probes bagged,third,steps
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C
from intervals import padded_history
from theta_by_length import network_forecasts, theta_forecasts, trusted

from forecastr.baselines import theta

BOOTSTRAPS = 20
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
PROBES = ("bagged", "third", "steps")


def block_bootstrap(r: np.ndarray, block: int, rng: np.random.Generator) -> np.ndarray:
    """A moving-block bootstrap of ``r`` (same length): blocks of ``block`` points (at most
    half the series) from random starts, joined, cut at a random offset."""
    n = len(r)
    block = max(1, min(block, n // 2))
    starts = rng.integers(0, n - block + 1, n // block + 2)
    joined = np.concatenate([r[a : a + block] for a in starts])
    off = int(rng.integers(0, block))
    return joined[off : off + n]


def smooth_part(z: np.ndarray, period: int) -> np.ndarray:
    """Trend plus season of ``z``: STL (robust) with two seasons or more, else a lowess trend
    (a third of the points, or six, whichever is more)."""
    from statsmodels.nonparametric.smoothers_lowess import lowess
    from statsmodels.tsa.seasonal import STL

    if period > 1 and len(z) >= 2 * period + 1:
        return z - STL(z, period=period, robust=True).fit().resid
    frac = min(1.0, max(6.0 / len(z), 1 / 3))
    return lowess(z, np.arange(len(z), dtype=float), frac=frac, return_sorted=False)


def bagged_theta(cat: C.Category, th: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(S, h) the median over the series and its :data:`BOOTSTRAPS` rebuilt copies of the
    Theta method's forecast (``th``: the series' own, the benchmark's Theta part,
    :func:`theta_forecasts`)."""
    copies = []
    for s in cat.series:
        positive = bool(s.x.min() > 0)
        z = np.log(s.x) if positive else s.x.astype(np.float64)
        smooth = smooth_part(z, cat.period)
        block = 2 * cat.period if cat.period > 1 else 8
        for _ in range(BOOTSTRAPS):
            zb = smooth + block_bootstrap(z - smooth, block, rng)
            copies.append(np.exp(zb) if positive else zb)
    boot = theta(padded_history(copies), cat.h, season_length=cat.period, trusted=trusted(cat))
    boot = boot.reshape(len(cat.series), BOOTSTRAPS, cat.h)
    allf = np.concatenate([th[:, None], boot], axis=1)
    return np.median(allf, axis=1)


def statistical(cat: C.Category) -> dict[str, np.ndarray]:
    """(S, h) forecasts of statsforecast's damped AutoETS and AutoARIMA (naive where a series
    is too short for them)."""
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, Naive

    df = pd.concat(
        pd.DataFrame({"unique_id": s.sn, "ds": np.arange(len(s.x)), "y": s.x}) for s in cat.series
    )
    models = [
        AutoETS(season_length=cat.period, damped=True, alias="ETS damped"),
        AutoARIMA(season_length=cat.period, alias="ARIMA"),
    ]
    fc = StatsForecast(models=models, freq=1, n_jobs=1, fallback_model=Naive()).forecast(
        df=df, h=cat.h
    )
    fc = fc.set_index("unique_id") if "unique_id" in fc.columns else fc
    return {
        m: np.stack([fc.loc[s.sn, m].to_numpy(dtype=np.float64) for s in cat.series])
        for m in ("ETS damped", "ARIMA")
    }


def mean_scores(cat: C.Category, forecasts: np.ndarray) -> str:
    """'sMAPE / MASE' of (S, h) forecasts, means over the category."""
    got = C.score(cat, {s.sn: forecasts[i] for i, s in enumerate(cat.series)})
    return f"{got['smape']:.2f} / {got['mase']:.3f}"


def step_errors(cat: C.Category, net: np.ndarray, th: np.ndarray) -> np.ndarray:
    """(len(WEIGHTS), h) mean scaled absolute error per step of each Theta weight (series
    with a zero MASE scale left out)."""
    err = np.zeros((len(WEIGHTS), cat.h))
    n = 0
    for i, s in enumerate(cat.series):
        scale = C.mase_scale(s.x, cat.period)
        if not (np.isfinite(scale) and scale > 0):
            continue
        n += 1
        for j, w in enumerate(WEIGHTS):
            err[j] += np.abs(s.xx - ((1 - w) * net[i] + w * th[i])) / scale
    return err / max(n, 1)


def steps_row(cat: C.Category, net: np.ndarray, th: np.ndarray) -> str:
    """Markdown row: per third of the horizon, each weight's mean scaled error; best bold."""
    err = step_errors(cat, net, th)
    cells = []
    for part in np.array_split(np.arange(cat.h), 3):
        e = err[:, part].mean(axis=1)
        best = int(np.argmin(e))
        text = " / ".join(f"**{v:.3f}**" if j == best else f"{v:.3f}" for j, v in enumerate(e))
        cells.append(f"{part[0] + 1}-{part[-1] + 1}: {text}")
    return f"| {cat.name} | " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("keep", type=Path, help="the --keep folder of bench/competitions.py")
    ap.add_argument("results", type=Path, help="the --results file of the same runs")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--categories", default=",".join(C.CATEGORIES))
    ap.add_argument("--probes", default=",".join(PROBES))
    args = ap.parse_args(argv)
    probes = args.probes.split(",")
    runs = {}
    for line in args.results.read_text().splitlines():
        r = json.loads(line)
        if r.get("kind", "forecastr") == "forecastr" and r.get("seed") == args.seed:
            runs[r["category"]] = r
    mixes, steps = [], []
    for name in args.categories.split(","):
        path = args.keep / name / f"fc-{args.seed}.csv"
        if name not in runs or not path.exists():
            continue
        cat = C.load_category(name)
        weight = float((runs[name].get("theta") or {}).get("weight") or 0.0)
        th = theta_forecasts(cat)
        net = network_forecasts(cat, C.read_forecasts(path, cat), weight, th)
        cells = [mean_scores(cat, 0.5 * net + 0.5 * th), mean_scores(cat, th)]
        if "bagged" in probes:
            bag = bagged_theta(cat, th, np.random.default_rng(args.seed))
            cells += [mean_scores(cat, bag), mean_scores(cat, 0.5 * net + 0.5 * bag)]
        if "third" in probes:
            for x in statistical(cat).values():
                cells += [mean_scores(cat, x), mean_scores(cat, (net + th + x) / 3)]
        mixes.append(f"| {name} | " + " | ".join(cells) + " |")
        if "steps" in probes:
            steps.append(steps_row(cat, net, th))
        print(mixes[-1], flush=True)
    head = ["category", "network + Theta (served)", "Theta alone"]
    if "bagged" in probes:
        head += ["bagged Theta alone", "network + bagged Theta"]
    if "third" in probes:
        head += ["damped ETS alone", "3-way with damped ETS", "ARIMA alone", "3-way with ARIMA"]
    print("\n| " + " | ".join(head) + " |\n|" + " --- |" * len(head))
    print("\n".join(mixes))
    if steps:
        print("\n| category | Theta weight " + " / ".join(f"{w:g}" for w in WEIGHTS)
              + ": steps of the first third | second third | last third |")  # fmt: skip
        print("| --- | --- | --- | --- |")
        print("\n".join(steps))
    print("\nsMAPE / MASE on the official test parts (means over series); per-step tables: "
          "mean scaled absolute error, the best weight bold.")  # fmt: skip


if __name__ == "__main__":
    main()
