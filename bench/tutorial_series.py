"""Benchmark: single series of forecasting tutorials under the competition protocol.

Six series from the ``jbrownlee/Datasets`` GitHub repository (the Time Series Data Library's
copies; none is bundled with pmdarima or statsmodels), not shipped here: download them into a
folder under their names in that repository (``FILES``) and pass it as ``--data``. Each file
less its last horizon (the tool's default: 12 months, 10 years) goes to ``forecastr train
--horizon H --seed S`` and ``forecastr predict`` as a user would run them; the held-out points
are scored (MASE scaled by the history's seasonal-naive MAE: lag 12, 1 for a yearly file)
beside naive, seasonal naive, drift, forecastr's Theta method and statsforecast's AutoETS and
AutoTheta, and the forecast's stamps are checked against the file's own. In the bench venv::

    python bench/tutorial_series.py --data DIR --seeds 0,100,200
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C

from forecastr.baselines import drift, naive, seasonal_naive, theta

FILES = {  # name: (file in jbrownlee/Datasets, horizon, season)
    "shampoo": ("monthly-shampoo-sales.csv", 12, 12),
    "writing-paper": ("monthly-writing-paper-sales.csv", 12, 12),
    "car-sales": ("monthly-car-sales.csv", 12, 12),
    "champagne": ("monthly_champagne_sales.csv", 12, 12),
    "robberies": ("monthly-robberies.csv", 12, 12),
    "water-use": ("yearly-water-usage.csv", 10, 1),
}


def references(x: np.ndarray, horizon: int, m: int) -> dict[str, np.ndarray]:
    """The baselines' and statsforecast's forecasts of one history."""
    h = x[None, :]
    out = {
        "naive": naive(h, horizon)[0],
        "seasonal naive": seasonal_naive(h, horizon, season_length=m)[0],
        "drift": drift(h, horizon)[0],
        "theta": theta(h, horizon, season_length=m)[0],
    }
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, AutoTheta

    frame = pd.DataFrame({"unique_id": "s", "ds": np.arange(len(x)), "y": x})
    models = [AutoETS(season_length=m), AutoTheta(season_length=m)]
    fc = StatsForecast(models=models, freq=1, n_jobs=1).forecast(df=frame, h=horizon)
    return {**out, "AutoETS": fc["AutoETS"].to_numpy(), "AutoTheta": fc["AutoTheta"].to_numpy()}


def served(history: pd.DataFrame, name: str, horizon: int, seed: int) -> pd.DataFrame:
    """``forecastr train`` then ``forecastr predict`` on ``history``, as a user runs them."""
    exe = C.forecastr_exe()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / f"{name}.csv"
        history.to_csv(csv, index=False)
        for cmd in (
            [exe, "train", csv, "--horizon", str(horizon), "--seed", str(seed), "-o",
             f"{tmp}/m", "--quiet"],
            [exe, "predict", f"{tmp}/m", csv, "-o", f"{tmp}/fc.csv"],
        ):  # fmt: skip
            res = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
            if res.returncode:
                raise SystemExit(f"{name}: {C.error_line(res.stderr)}")
        return pd.read_csv(f"{tmp}/fc.csv", dtype=str)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="folder holding the files of FILES")
    ap.add_argument("--seeds", default="0,100,200")
    ap.add_argument("--files", default=",".join(FILES))
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    for name in args.files.split(","):
        path, horizon, m = FILES[name]
        raw = pd.read_csv(Path(args.data) / path, dtype=str)
        history, test = raw.iloc[:-horizon], raw.iloc[-horizon:]
        x = history.iloc[:, 1].astype(float).to_numpy()
        y = test.iloc[:, 1].astype(float).to_numpy()
        scores = []
        for seed in seeds:
            fc = served(history, name, horizon, seed)
            if fc["ds"].tolist() != test.iloc[:, 0].tolist():
                raise SystemExit(f"{name}: forecast stamps {fc['ds'].tolist()[:2]} ...")
            scores.append(C.mase(y, fc["forecast"].astype(float).to_numpy(), x, m))
        refs = {k: C.mase(y, f, x, m) for k, f in references(x, horizon, m).items()}
        row = {"file": name, "seeds": seeds, "mase": scores, "median": statistics.median(scores)}
        print(json.dumps({**row, **{k: round(v, 3) for k, v in refs.items()}}), flush=True)


if __name__ == "__main__":
    main()
