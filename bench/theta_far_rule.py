"""Offline: the network alone where the Theta method is far worse *and* adds nothing on
validation, scored on every stored row that keeps both parts.

Why: on a lynx-like series (a 9.6-year cycle, 114 years) `train` served the equal average
with the Theta method although, on validation, the Theta method alone scored 1.9 times the
network and the average no better than the network (0.8727 against 0.8715): the network
alone needs the one-series margin (``combine.margin``), and Theta alone must score
``combine.THETA_FAR`` (3) times the network before it is set aside. The candidate rule here
serves the network alone when Theta alone scores at least ``T`` times the network *and* the
average scores no better than the network on validation.

Each row of ``bench/real_series.py --parts``, ``bench/shapes.py --parts`` and
``bench/single_series.py`` keeps the validation scores of the choice (``theta.validation``:
weights 0, 0.5 and 1) and the held-out MASE of the network alone, of the average and of
what was served; the choice changes nothing else, so each rule's score is known without
training. Prints how many choices each ``T`` switches (better / worse than served) and the
mean MASE of every group (file, tag, seed) that changes::

    python bench/theta_far_rule.py          # bench venv or project venv
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C

RESULTS = C.ROOT / "bench" / "results"
RATIOS = (1.25, 1.5, 2.0)


def _rows(name: str) -> list[dict]:
    return C.load_results(RESULTS / f"{name}.jsonl")


def choices() -> list[tuple[tuple, dict, float, float]]:
    """(group, the choice's summary, served MASE, the network alone's MASE) per scored
    series and origin, from every stored row that keeps both."""
    out = []
    for r in _rows("real_series"):
        if r.get("status") == "ok" and "validation" in (r.get("theta") or {}):
            for sc in r["scores"].values():
                if {"network", "average", "forecastr"} <= sc.keys():
                    group = ("real", r["file"], r["tag"], r["seed"])
                    out.append((group, r["theta"], sc["forecastr"]["mase"], sc["network"]["mase"]))
    for r in _rows("shapes"):
        sc = r.get("scores") or {}
        if r.get("status") == "ok" and "validation" in (r.get("theta") or {}) and "network" in sc:
            group = ("shape", r["shape"], r["tag"], r["seed"])
            out.append((group, r["theta"], sc["forecastr"]["mase"], sc["network"]["mase"]))
    for r in _rows("single_series"):
        sc = r.get("scores") or {}
        kept = {"network", "served"} <= sc.keys()
        if r.get("status") == "ok" and "validation" in (r.get("theta") or {}) and kept:
            group = ("single", r["category"], r.get("tag", ""), r["seed"])
            out.append((group, r["theta"], sc["served"]["mase"], sc["network"]["mase"]))
    return out


def switches(theta: dict, ratio: float) -> bool:
    """Whether the rule at ``ratio`` serves the network alone where the average was served."""
    v = theta["validation"]
    net, avg, alone = v.get("0"), v.get("0.5"), v.get("1")
    if theta.get("weight", 0) == 0 or None in (net, avg, alone) or not net > 0:
        return False
    return alone / net >= ratio and avg >= net


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args(argv)
    rows = choices()
    means: dict[tuple, dict] = defaultdict(lambda: defaultdict(list))
    for ratio in RATIOS:
        better = worse = 0
        for group, theta, served, net in rows:
            new = net if switches(theta, ratio) else served
            better += new < served - 1e-9
            worse += new > served + 1e-9
            means[group][ratio].append(new)
            if ratio == RATIOS[0]:
                means[group]["served"].append(served)
        print(f"T = {ratio}: {better + worse} choices change, {better} better, {worse} worse")
    print(f"\n{len(rows)} choices; mean MASE where a group changes:\n")
    print("| group | choices | served | " + " | ".join(f"T = {t}" for t in RATIOS) + " |")
    print("| --- | ---: | ---: | " + " | ".join("---:" for _ in RATIOS) + " |")
    for group, m in sorted(means.items(), key=lambda kv: str(kv[0])):
        served = float(np.mean(m["served"]))
        new = [float(np.mean(m[t])) for t in RATIOS]
        if any(abs(v - served) > 1e-9 for v in new):
            cells = " | ".join(f"{v:.3f}" for v in new)
            print(f"| {' '.join(map(str, group))} | {len(m['served'])} | {served:.3f} | {cells} |")


if __name__ == "__main__":
    main()
