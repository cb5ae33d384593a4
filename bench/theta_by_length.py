"""Benchmark: does the Theta method's best weight in the average depend on a series' length?

The combination (``forecastr/combine.py``) gives the Theta method one weight for a whole file.
Series of few points fit the Theta method's trend on little data, while the network learns
from every series of the file; long series fit their own trend well. If that showed on the
test parts, a weight rising with each series' length would beat one weight per file. This
script checks it offline, nothing trained: it reads the forecasts ``bench/competitions.py
--keep DIR`` kept (``DIR/<category>/fc-<seed>.csv``) and the weight each run served (its
``--results`` rows), recovers the network's forecast from the served average and the Theta
method's forecast of the same training part, and scores each weight of :data:`WEIGHTS` within
each quartile of series length (sMAPE and MASE, M4 definitions, on the official test parts).
Run it in the bench venv::

    python bench/competitions.py --seeds 0 --no-refs --keep /tmp/keep0 --results /tmp/keep0.jsonl
    python bench/theta_by_length.py /tmp/keep0 /tmp/keep0.jsonl
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

from forecastr.autoconfig import season_trusted
from forecastr.baselines import theta
from forecastr.seasons import season_evidence

WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # the Theta method's weight; 0: the network alone


def trusted(cat: C.Category) -> bool:
    """Whether the file vouches for its season as ``train`` judges it (pooled ACF of the
    training parts at the category's period; ``train`` reads them less validation and test,
    so this is close, not exact)."""
    if cat.period < 2:
        return False
    values = np.concatenate([s.x for s in cat.series])
    offsets = np.r_[0, np.cumsum([len(s.x) for s in cat.series])]
    return season_trusted(season_evidence(values, offsets, [cat.period]), cat.period)


def theta_forecasts(cat: C.Category) -> np.ndarray:
    """(S, h) the Theta part's forecast of every series from its whole training part."""
    history = padded_history([s.x for s in cat.series])
    return theta(history, cat.h, season_length=cat.period, trusted=trusted(cat))


def network_forecasts(
    cat: C.Category, served: dict[str, np.ndarray], weight: float, th: np.ndarray
) -> np.ndarray:
    """(S, h) the network's forecast: the served average less its Theta part ``th``
    (:func:`theta_forecasts`) at ``weight`` (< 1: a served forecast always holds the network)."""
    return np.stack([(served[s.sn] - weight * th[i]) / (1.0 - weight) for i, s in enumerate(
        cat.series)])  # fmt: skip


def table(cat: C.Category, served: dict[str, np.ndarray], weight: float) -> list[str]:
    """One row per length quartile (and one for all): each weight's sMAPE / MASE."""
    th = theta_forecasts(cat)
    nets = network_forecasts(cat, served, weight, th)
    lengths = np.array([len(s.x) for s in cat.series])
    scores = np.full((len(WEIGHTS), 2, len(cat.series)), np.nan)
    for i, s in enumerate(cat.series):
        net = nets[i]
        for j, w in enumerate(WEIGHTS):
            f = (1.0 - w) * net + w * th[i]
            scores[j, :, i] = C.smape(s.xx, f), C.mase(s.xx, f, s.x, cat.period)
    edges = np.unique(np.quantile(lengths, [0.25, 0.5, 0.75]))
    group = np.digitize(lengths, edges)
    rows = []
    for g in [*np.unique(group), None]:
        sel = np.ones(len(lengths), bool) if g is None else group == g
        part = scores[:, :, sel]
        best = int(np.nanargmin(np.nanmean(part[:, 1], axis=1)))
        span = "all" if g is None else f"{lengths[sel].min()}-{lengths[sel].max()}"
        cells = [
            f"{'**' if j == best else ''}{np.nanmean(part[j, 0]):.2f} / "
            f"{np.nanmean(part[j, 1]):.3f}{'**' if j == best else ''}"
            for j in range(len(WEIGHTS))
        ]
        rows.append(f"| {cat.name} | {span} | {int(sel.sum())} | " + " | ".join(cells) + " |")
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("keep", type=Path, help="the --keep folder of bench/competitions.py")
    ap.add_argument("results", type=Path, help="the --results file of the same runs")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    runs = {}
    for line in args.results.read_text().splitlines():
        r = json.loads(line)
        if r.get("kind", "forecastr") == "forecastr" and r.get("seed") == args.seed:
            runs[r["category"]] = r
    head = ["category", "length", "series", *[f"w = {w:g}" for w in WEIGHTS]]
    print("| " + " | ".join(head) + " |")
    print("| " + " | ".join(["---", "---"] + ["---:"] * (len(head) - 2)) + " |")
    for name in C.CATEGORIES:
        path = args.keep / name / f"fc-{args.seed}.csv"
        if name not in runs or not path.exists():
            continue
        cat = C.load_category(name)
        weight = float((runs[name].get("theta") or {}).get("weight") or 0.0)
        for row in table(cat, C.read_forecasts(path, cat), weight):
            print(row, flush=True)
    print(
        "\nsMAPE / MASE on the official test parts, mean over the series of each length "
        "quartile (training-part points); w: the Theta method's weight, 0 the network alone "
        "(recovered from the served average); bold: the lowest MASE of the row."
    )


if __name__ == "__main__":
    main()
