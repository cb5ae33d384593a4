"""Benchmark: forecastr's Theta method (``forecastr/theta.py``) against statsforecast's four
Theta models on the M3 and Tourism test parts.

Why: forecastr averages its network with its own Theta method (``combine.py``), the dynamic
optimised model; statsforecast's AutoTheta picks one of four models per series by in-sample
error. This shows which model each category favours, so a gap to AutoTheta can be traced to
the model class or to the fit. Nothing is trained; every series' training part is read as
the competition benchmark writes it. Run it in the bench venv (``make bench-competitions``
builds it)::

    python bench/theta_models.py                     # every category
    python bench/theta_models.py --categories tourism-yearly,m3-yearly
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C
from theta_mix import theta_forecasts


def statsforecast_thetas(cat: C.Category) -> dict[str, dict[str, np.ndarray]]:
    """Model name -> series id -> (h,) forecasts of statsforecast's Theta models."""
    from statsforecast import StatsForecast
    from statsforecast.models import (
        AutoTheta,
        DynamicOptimizedTheta,
        DynamicTheta,
        OptimizedTheta,
        Theta,
    )

    m = cat.period
    models = [AutoTheta(season_length=m), DynamicOptimizedTheta(season_length=m)]
    models += [OptimizedTheta(season_length=m), Theta(season_length=m)]
    models += [DynamicTheta(season_length=m)]
    frame = pd.concat(
        pd.DataFrame({"unique_id": s.sn, "ds": np.arange(len(s.x)), "y": s.x}) for s in cat.series
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = StatsForecast(models=models, freq=1, n_jobs=1).forecast(df=frame, h=cat.h)
    groups = dict(tuple(fc.groupby("unique_id", sort=False)))
    names = [c for c in fc.columns if c not in ("unique_id", "ds")]
    return {n: {s.sn: groups[s.sn][n].to_numpy() for s in cat.series} for n in names}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--categories", default=",".join(C.DEFAULT_CATEGORIES), help="comma-separated")
    args = ap.parse_args(argv)
    rows = []
    for name in args.categories.split(","):
        cat = C.load_category(name)
        t0 = time.perf_counter()
        found = {"forecastr.theta": theta_forecasts(cat)}
        found.update(statsforecast_thetas(cat))
        scores = {n: C.score(cat, f) for n, f in found.items()}
        rows.append((name, scores))
        print(f"{name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    models = list(rows[0][1])
    print("| category | " + " | ".join(models) + " |")
    print("| --- | " + " | ".join("---:" for _ in models) + " |")
    for name, scores in rows:
        cells = [f"{scores[m]['smape']:.2f} / {scores[m]['mase']:.3f}" for m in models]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\nsMAPE / MASE, M4 definitions, mean over series (official test parts).")


if __name__ == "__main__":
    main()
