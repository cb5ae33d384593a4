"""Benchmark: `forecastr train` with its members trained side by side (``--jobs 0``, the
default: one process per core) against all in one process (``--jobs 1``), in one run.

Each file is trained as a user runs it, ``python -m forecastr train FILE -o TMP --quiet
--seed 0`` (whole processes, everything included), the two settings alternating so that load
on this shared machine hits both alike. The table gives the median seconds of each, the ratio
and whether the two saved models are the same: the weights file byte for byte and config.json
but for its times and the ``jobs`` setting itself. Competition categories (``--categories``)
are written as ``bench/competitions.py`` writes them, so run it in the bench venv::

    .venv-bench/bin/python bench/parallel_members.py --categories tourism-yearly,m3-monthly
    .venv/bin/python bench/parallel_members.py --files sample_data/seattle_temperature_hourly.csv
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOLATILE = {"created", "seconds", "config_sha256", "jobs"}


def train(csv: str, extra: list[str], jobs: int, out: str) -> float:
    """Wall seconds of one `forecastr train` process of this tree."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "forecastr", "train", csv, "-o", out, "--quiet", "--seed", "0"]
    cmd += ["--jobs", str(jobs), *extra]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tempfile.gettempdir())
    if res.returncode != 0:
        raise SystemExit(f"train {csv} --jobs {jobs} failed: {res.stderr.strip()[-300:]}")
    return time.perf_counter() - t0


def stable(d):
    """config.json without its times and the jobs setting."""
    if isinstance(d, dict):
        return {k: stable(v) for k, v in d.items() if k not in VOLATILE}
    if isinstance(d, list):
        return [stable(v) for v in d]
    return d


def same_model(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    if names != sorted(p.name for p in b.iterdir()):
        return False
    for name in names:
        if name == "config.json":
            if stable(json.loads((a / name).read_text())) != stable(
                json.loads((b / name).read_text())
            ):
                return False
        elif (a / name).read_bytes() != (b / name).read_bytes():
            return False
    return True


def category_files(names: list[str], work: Path) -> list[tuple[str, str, list[str]]]:
    sys.path.insert(0, str(ROOT / "bench"))
    import competitions as C

    out = []
    for name in names:
        cat = C.load_category(name)
        csv = work / f"{name}.csv"
        C.write_training_csv(cat, "dates", csv)
        out.append((name, str(csv), ["--horizon", str(cat.h)]))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--files", default="", help="comma-separated CSV paths")
    ap.add_argument("--categories", default="", help="comma-separated competition categories")
    ap.add_argument("--repeat", type=int, default=1, help="runs per setting and file")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cases = [(Path(f).name, str(Path(f).resolve()), []) for f in args.files.split(",") if f]
        cats = [c for c in args.categories.split(",") if c]
        cases += category_files(cats, work) if cats else []
        rows = []
        for name, csv, extra in cases:
            times: dict[int, list[float]] = {1: [], 0: []}
            for r in range(args.repeat):
                for jobs in (1, 0):
                    times[jobs].append(train(csv, extra, jobs, str(work / f"m{jobs}-{r}")))
                    print(f"{name} --jobs {jobs}: {times[jobs][-1]:.1f} s", file=sys.stderr)
            same = all(same_model(work / f"m1-{r}", work / f"m0-{r}") for r in range(args.repeat))
            one, side = statistics.median(times[1]), statistics.median(times[0])
            rows.append((name, one, side, side / one, same))
    print(f"usable cores: {len(os.sched_getaffinity(0))}, repeats: {args.repeat}\n")
    print("| file | --jobs 1 (s) | --jobs 0 (s) | ratio | same model |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, one, side, ratio, same in rows:
        print(f"| {name} | {one:.1f} | {side:.1f} | {ratio:.2f} | {'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()
