"""How far healthy default models' forecasts leave their series' history range.

Calibrates the divergence rule (``forecast.PLAUSIBLE_SPANS``): trains the default model on
each competition category's training parts (``api.train`` with the competition horizon and
``--seed``, as ``bench/competitions.py`` writes them), and for the holdout run and the refit
prints the largest excess over all series, in spans of each series' history range, and how
many series pass 1, 3 and 10 spans. A run the rule refuses is printed with its message.

    .venv/bin/python bench/plausibility.py m3-yearly m3-other        # a few categories
    .venv/bin/python bench/plausibility.py                            # all seven (~20 min)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions

from forecastr import api, forecast
from forecastr.data import IngestOptions
from forecastr.errors import ForecastrError


def measure(name: str, seed: int) -> list[str]:
    """One category: a table row per run (holdout, refit)."""
    seen: list[np.ndarray] = []
    real = forecast.excess_spans

    def spy(fc, panel):
        values, excess = real(fc, panel)
        seen.append(excess.max(axis=1))  # (S,) worst step of each series
        return values, excess

    cat = competitions.load_category(name)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        csv = competitions.write_training_csv(
            cat, competitions.index_used(cat, "dates"), tmp + "/t.csv"
        )
        forecast.excess_spans = spy
        t0 = time.perf_counter()
        try:
            api.train(
                str(csv),
                IngestOptions(),
                horizon=cat.h,
                seed=seed,
                save_model=False,
            )
            note = ""
        except ForecastrError as err:
            note = f"refused: {err}"
        finally:
            forecast.excess_spans = real
    for run, worst in zip(("holdout", "refit"), seen, strict=False):
        counts = " | ".join(str(int((worst > k).sum())) for k in (1, 3, 10))
        rows.append(f"| {name} | {run} | {len(worst)} | {worst.max():.2f} | {counts} | {note} |")
    rows.append(f"<!-- {name}: {time.perf_counter() - t0:.0f} s -->")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("categories", nargs="*", default=list(competitions.DEFAULT_CATEGORIES))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print("| category | run | series | max excess (spans) | > 1 | > 3 | > 10 | note |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.categories:
        for row in measure(name, args.seed):
            print(row, flush=True)


if __name__ == "__main__":
    main()
