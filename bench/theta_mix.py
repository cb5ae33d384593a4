"""Benchmark: forecastr's competition forecasts averaged with its own Theta baseline.

Measures what combining the network with the optimised Theta method (``forecastr/theta.py``,
the ``theta`` baseline of every report) would score on the M3 and Tourism test parts, before
the tool does it. Reads the forecasts ``bench/competitions.py --keep DIR`` kept
(``DIR/<category>/fc-<seed>.csv``), computes the Theta forecast of every series from its
training part, and scores, per category and seed: forecastr alone, Theta alone, and the
weighted averages ``(1 - w) * forecastr + w * theta`` (M4 definitions, as the competition
benchmark). Nothing is trained. Run it in the bench venv (``make bench-competitions``)::

    python bench/competitions.py --seeds 0 --no-refs --keep /tmp/keep
    python bench/theta_mix.py /tmp/keep
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C

from forecastr.baselines import theta

WEIGHTS = (0.25, 0.5, 0.75)


def theta_forecasts(cat: C.Category) -> dict[str, np.ndarray]:
    """The Theta baseline's forecast of every series from its whole training part."""
    width = max(len(s.x) for s in cat.series)
    history = np.full((len(cat.series), width), np.nan)
    for i, s in enumerate(cat.series):
        history[i, width - len(s.x) :] = s.x
    out = theta(history, cat.h, season_length=cat.period)
    return {s.sn: out[i] for i, s in enumerate(cat.series)}


def cell(scores: dict, metrics: tuple[str, ...]) -> str:
    return " / ".join(f"{scores[m]:.3f}" for m in metrics)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("keep", type=Path, help="the --keep folder of bench/competitions.py")
    args = ap.parse_args(argv)
    head = ["category", "seed", "forecastr", "Theta (forecastr.theta)"]
    head += [f"w = {w}" for w in WEIGHTS]
    print("| " + " | ".join(head) + " |")
    print("| " + " | ".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + " |")
    for name in C.CATEGORIES:
        files = sorted((args.keep / name).glob("fc-*.csv"))
        if not files:
            continue
        cat = C.load_category(name)
        metrics = ("smape", "mase", "mape") if cat.is_tourism else ("smape", "mase")
        th = theta_forecasts(cat)
        for path in files:
            own = C.read_forecasts(path, cat)
            row = [name, path.stem[3:], cell(C.score(cat, own), metrics)]
            row.append(cell(C.score(cat, th), metrics))
            for w in WEIGHTS:
                mix = {k: (1 - w) * own[k] + w * th[k] for k in own}
                row.append(cell(C.score(cat, mix), metrics))
            print("| " + " | ".join(row) + " |", flush=True)
    print(
        "\nsMAPE / MASE (/ MAPE for Tourism), M4 definitions, mean over series; w: Theta's "
        "weight in the average."
    )


if __name__ == "__main__":
    main()
