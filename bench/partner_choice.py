"""Offline: which partner each competition category's validation windows give the network.

``train`` averages the network with the Theta method, or with seasonal naive at one of the
file's seasons where that scores clearly lower alone on the validation windows
(``combine.choose_partner``). Neither partner is trained, so the choice can be replayed
without the network: each series' validation window is the horizon before the holdout test
part of its training part (as ``train`` cuts it; one window per series, since every category
has 7 or more series), forecast from the 256 points before it (``combine.MAX_CONTEXT``) at
the category's calendar season (the main season ``train`` uses; yearly and M3 "other": 1,
where no seasonal naive is tried). It prints both partners' scores alone, the bound seasonal
naive had to beat and the partner chosen. Run it in the bench venv::

    python bench/partner_choice.py
    python bench/partner_choice.py --categories m1-yearly,m1-quarterly,m1-monthly
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C

from forecastr.combine import (
    MAX_CONTEXT,
    NOISE_MARGIN,
    PARTNER_MARGIN,
    choose_partner,
    partner_part,
    partner_seasons,
    theta_part,
)
from forecastr.metrics import mase_scale


def windows(cat: C.Category) -> tuple[np.ndarray, np.ndarray]:
    """(S, MAX_CONTEXT) NaN-padded histories before each series' validation window, and the
    (S, h) window itself; series without 3 points before it are left out."""
    rows, actual = [], []
    for s in cat.series:
        origin = len(s.x) - 2 * cat.h  # validation, then the holdout test part
        if origin < 3:
            continue
        past = s.x[:origin][-MAX_CONTEXT:]
        rows.append(np.r_[np.full(MAX_CONTEXT - past.size, np.nan), past])
        actual.append(s.x[origin : origin + cat.h])
    return np.array(rows), np.array(actual)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--categories", default=",".join(C.DEFAULT_CATEGORIES), help="comma-separated")
    args = ap.parse_args(argv)
    head = ["category", "series", "season", "Theta alone", "seasonal naive alone"]
    head += ["bound", "partner"]
    print("| " + " | ".join(head) + " |")
    print("| --- | " + " | ".join("---:" for _ in head[1:]) + " |")
    for name in args.categories.split(","):
        cat = C.load_category(name)
        rows, actual = windows(cat)
        m = cat.period
        tried = partner_seasons([], m, MAX_CONTEXT)
        naive = {s: partner_part(rows, cat.h, "seasonal_naive", s) for s in tried}
        theta_fc = theta_part(rows, cat.h, m)
        found, alone = choose_partner(naive, theta_fc, actual, mase_scale(rows, m))
        bound = PARTNER_MARGIN - NOISE_MARGIN / np.sqrt(len(rows))
        sn = alone.get(f"seasonal naive {m}")
        cells = [name, str(len(rows)), str(m), f"{alone['theta']:.3f}"]
        cells += ["(none tried)" if sn is None else f"{sn:.3f} ({sn / alone['theta']:.3f}x)"]
        cells += [f"{bound:.3f}x", "Theta" if found is None else f"seasonal naive {found}"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
