"""Tried, not kept: the tool trained on the logarithm of each competition category.

Why: M3 and Tourism series are mostly multiplicative (tourist arrivals, sales), and many
forecasters model them in logs, where a season and a trend act as shares of the level. The
tool reads each window scaled by its own level, not in logs. This script checks whether logs
would help, without changing the tool: each category's training parts go through
``log1p`` (defined at the zeros some Tourism series hold), `forecastr train` and `predict`
run on that file exactly as in ``bench/competitions.py`` (``--horizon``, ``--seed``, nothing
else but ``--jobs 1``), the forecasts go back through ``expm1``, and the official test parts
are scored with the M4 definitions. The forecast in logs is then the median of a
multiplicative error around it, which MAE-trained networks aim at anyway::

    python bench/log_target.py --categories tourism-yearly,m3-yearly --seed 0   # bench venv
    python bench/log_target.py --report      # beside the stored default rows of each seed

Rows go to ``bench/results/log_target.jsonl``; the report reads the default rows of
``bench/results/competitions.jsonl`` (tag ``""`` or ``head``, the full category) of the same
seed beside them (their train times are not compared: they ran on other days, other loads).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C

RESULTS = C.ROOT / "bench" / "results" / "log_target.jsonl"
DEFAULT_TAGS = ("", None, "head")  # the defaults' rows in competitions.jsonl


def log_frame(cat: C.Category):
    """The category's training frame (dated as the benchmark dates it) with ``log1p`` values.
    Raises ValueError for a negative value, where ``log1p`` is not the transform to try."""
    frame = C.training_frame(cat, "dates")
    if (frame["y"] < 0).any():
        raise ValueError(f"{cat.name}: negative values; log1p does not apply")
    frame["y"] = np.log1p(frame["y"])
    return frame


def back_transformed(path: Path, cat: C.Category) -> dict[str, np.ndarray]:
    """``predict``'s file on the log scale (checked by ``competitions.read_forecasts``) ->
    id -> (h,) forecasts on the data's scale; ValueError where ``expm1`` overflows."""
    out = {}
    for sn, f in C.read_forecasts(path, cat).items():
        with np.errstate(over="ignore"):  # an overflow is refused just below
            out[sn] = np.expm1(f)
        if not np.isfinite(out[sn]).all():
            raise ValueError(f"{cat.name}: series {sn}: a forecast overflows expm1")
    return out


def run(name: str, seed: int) -> dict:
    """Train and predict on the logs of one category; the scored row."""
    cat = C.load_category(name)
    out = {"category": name, "seed": seed, "time": C.now(), "env": C.environment()}
    with tempfile.TemporaryDirectory() as tmp:
        row, report, fc = C.train_and_predict(
            log_frame(cat), f"{name}.csv", cat.h, seed, ["--jobs", "1"], Path(tmp)
        )
        if fc is None:
            return {**out, **row, "status": row.get("status", "failed")}
        scores = C.score(cat, back_transformed(Path(tmp) / "fc.csv", cat))
    theta = (report or {}).get("summary", {}).get("theta")
    return {**out, **row, "theta": theta, **scores, "status": "ok"}


def defaults(rows: list[dict]) -> dict[tuple, dict]:
    """(category, seed) -> the last default row of ``bench/results/competitions.jsonl``'s
    ``rows`` (the full category, tag ``""`` or ``head``)."""
    kept = [
        r
        for r in rows
        if r.get("kind", "forecastr") == "forecastr"
        and r.get("tag") in DEFAULT_TAGS
        and r.get("subset") is None
        and r.get("status") == "ok"
    ]
    return C.latest(kept, lambda r: (r["category"], r["seed"]))


def report(rows: list[dict], default_rows: list[dict]) -> str:
    """Markdown: each category's log row beside the default row of its seed."""
    lines = [
        "| category | seed | defaults: sMAPE / MASE | in logs |",
        "| --- | ---: | --- | --- |",
    ]
    base = defaults(default_rows)
    logs = C.latest(
        [r for r in rows if r.get("status") == "ok"], lambda r: (r["category"], r["seed"])
    )
    order = list(C.CATEGORIES)
    for key in sorted(logs, key=lambda k: (order.index(k[0]), k[1])):
        r, d = logs[key], base.get(key)
        cell = f"{d['smape']:.2f} / {d['mase']:.3f}" if d else "-"
        lines.append(f"| {key[0]} | {key[1]} | {cell} | {r['smape']:.2f} / {r['mase']:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--categories", default=",".join(C.CATEGORIES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--report", action="store_true", help="print the table and exit")
    args = ap.parse_args(argv)
    if not args.report:
        for name in args.categories.split(","):
            row = run(name, args.seed)
            C.append(args.results, row)
            print(name, row.get("status"), row.get("smape"), row.get("mase"), flush=True)
    print(report(C.load_results(args.results), C.load_results(C.DEFAULT_RESULTS)))


if __name__ == "__main__":
    main()
