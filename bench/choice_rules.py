"""Offline: what each rule for the Theta choice would have served, from benchmark rows.

A row of ``bench/real_series.py --parts`` or ``bench/shapes.py --parts`` keeps the validation
scores the choice was made on (the ``theta`` summary of ``train --json``: the last window's
and, for a file of few long series, every window's) and the held-out scores of the saved
model's network alone and of its equal average with the Theta method. The choice changes
nothing else (the refit is trained before it is made), so each rule's forecast is one of the
two, and its score is known without training again. The rules:

* ``last``: the validation window alone (the rule before several origins were scored);
* ``either 0.787``: the network alone when the last window or every window keeps it, with the
  same margin for both (tree ed4b59a);
* ``either seen``: the same, the optimism term only for the windows early stopping read
  (``combine.margin(..., seen=1 / horizons)``, tree 57a7bd1).

Since trees after 2240e7a, a file of few long series validates on all of those windows, so
its rows are served by ``either 0.787`` (every window read by early stopping); the other
two columns say what the older rules would have chosen on the same validation scores.

The served forecast's score is printed beside them (it can differ from the rule it was made
by where the benchmark's own Theta forecast differs from the model's, e.g. a file with date
gaps). Runs in the bench venv::

    .venv-bench/bin/python bench/choice_rules.py bench/results/real_series.jsonl --tag seen
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from forecastr.combine import network_kept

RULES = ("last", "either 0.787", "either seen")


def keeps(v: dict, seen: float) -> bool:
    """Whether validation scores ``v`` (one ``choose`` call's) keep the network alone, by
    the package's own rule."""
    return network_kept(v["0"], v["0.5"], v["1"], v["series"], True, seen)


def picks(v: dict) -> dict[str, bool]:
    """Each rule's choice (True: the network alone) for a summary's ``validation`` scores.
    Runs where no member stopped early use another margin; they are not in these rows."""
    last = v.get("last_window", v)
    on_last = keeps(last, 1.0)
    if "last_window" not in v:
        return {r: on_last for r in RULES}
    return {
        "last": on_last,
        "either 0.787": on_last or keeps(v, 1.0),
        "either seen": on_last or keeps(v, 1.0 / v["origins"]),
    }


def tally(rows: list[dict], name: str) -> dict[str, dict[str, list[float]]]:
    """Per file (or shape): each rule's held-out MASE per scored series and origin."""
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        v = (r.get("theta") or {}).get("validation") or {}
        per_series = r["scores"] if name == "file" else {"y": r["scores"]}
        for sc in per_series.values():
            d = out[r[name]]
            d["served"].append(sc["forecastr"]["mase"])
            if "network" not in sc or "0.5" not in v:
                continue
            for rule, alone in picks(v).items():
                d[rule].append(sc["network" if alone else "average"]["mase"])
            d["network"].append(sc["network"]["mase"])
            d["average"].append(sc["average"]["mase"])
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("results", type=Path, help="JSON lines of real_series.py or shapes.py")
    ap.add_argument("--tag", default="", help="the rows' tag")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    rows = [json.loads(line) for line in args.results.read_text().splitlines() if line]
    rows = [
        r
        for r in rows
        if r.get("tag", "") == args.tag and r.get("seed") == args.seed and r.get("status") == "ok"
    ]
    name = "file" if rows and "file" in rows[0] else "shape"
    cols = ["served", *RULES, "network", "average"]
    print(f"| {name} | " + " | ".join(cols) + " |")
    print("| --- | " + " | ".join("---:" for _ in cols) + " |")
    for key, d in tally(rows, name).items():
        cells = [f"{np.mean(d[c]):.3f}" if d.get(c) else "" for c in cols]
        print(f"| {key} | " + " | ".join(cells) + " |")
    print("\nMASE, the mean over each file's series and origins.")


if __name__ == "__main__":
    main()
