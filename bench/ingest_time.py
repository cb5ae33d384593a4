"""Benchmark: wall time of ``data.load_csv`` on given files, this tree against a baseline
commit, side by side in one run.

Each file is loaded by both trees in fresh processes that alternate (baseline, current,
baseline, ...), so load on this shared machine hits both alike; the table gives the median
seconds of each and the ratio current / baseline. The baseline's files come from
``git archive`` (as ``bench/train_time.py`` does) and are imported through ``PYTHONPATH``.
Each process loads the file once untimed (imports, the page cache), then once timed.

    .venv/bin/python bench/ingest_time.py --baseline 23cfe37 --files a.csv,b.csv --repeat 5
    .venv/bin/python bench/ingest_time.py --baseline HEAD~1 --generate   # four large shapes
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

from train_time import ROOT, check_imports_from, extract

TIMED = (
    "import sys, time\n"
    "from forecastr.data import load_csv\n"
    "load_csv(sys.argv[1])\n"
    "t = time.perf_counter(); load_csv(sys.argv[1]); print(time.perf_counter() - t)\n"
)


def load_seconds(tree: str, path: str) -> float:
    """Seconds of one timed ``load_csv`` of ``path`` in a process importing ``tree``."""
    env = {**os.environ, "PYTHONPATH": tree}
    res = subprocess.run(
        [sys.executable, "-c", TIMED, path], env=env, capture_output=True, text=True, check=False
    )
    if res.returncode != 0:
        line = (res.stderr.strip().splitlines() or ["?"])[-1]
        raise SystemExit(f"{tree}: load_csv {path} failed: {line}")
    return float(res.stdout.strip().splitlines()[-1])


def generate(folder: str) -> list[str]:
    """Four large shapes: 2M minutely rows with ISO stamps; 2M rows of 100 series with
    day/month text stamps; a 5,000-column wide file; a 10,000 x 500 pivot."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    paths = {
        name: os.path.join(folder, f"{name}.csv") for name in ("plain", "long", "wide", "pivot")
    }
    n = 2_000_000
    stamps = pd.date_range("2000-01-01", periods=n, freq="min").strftime("%Y-%m-%d %H:%M:%S")
    pd.DataFrame({"ds": stamps, "y": rng.normal(size=n).round(3)}).to_csv(
        paths["plain"], index=False
    )
    days = pd.date_range("2000-01-01", periods=20_000, freq="h").strftime("%d/%m/%Y %H:%M")
    ids = np.repeat([f"s{i}" for i in range(100)], len(days))
    frame = pd.DataFrame({"id": ids, "ds": np.tile(days, 100), "y": rng.normal(size=n).round(3)})
    frame.to_csv(paths["long"], index=False)
    wide = pd.DataFrame(
        rng.normal(size=(300, 5000)).round(2), columns=[f"s{i}" for i in range(5000)]
    )
    wide.insert(0, "date", pd.date_range("2020-01-01", periods=300, freq="D").strftime("%Y-%m-%d"))
    wide.to_csv(paths["wide"], index=False)
    months = pd.date_range("1990-01-01", periods=500, freq="MS").strftime("%Y-%m")
    pivot = pd.DataFrame(rng.normal(size=(10_000, 500)).round(2), columns=months)
    pivot.insert(0, "sku", [f"p{i}" for i in range(10_000)])
    pivot.to_csv(paths["pivot"], index=False)
    return list(paths.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="commit to compare with")
    parser.add_argument("--files", default="", help="comma-separated CSV paths")
    parser.add_argument("--generate", action="store_true", help="time four generated shapes")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="forecastr-ingest-") as tmp:
        base = os.path.join(tmp, "baseline")
        extract(args.baseline, base)
        for tree in (base, ROOT):
            check_imports_from(tree)
        files = [f for f in args.files.split(",") if f]
        if args.generate:
            files += generate(tmp)
        print(f"| file | baseline {args.baseline} s | this tree s | ratio |")
        print("| --- | ---: | ---: | ---: |")
        for path in files:
            times: dict[str, list[float]] = {base: [], ROOT: []}
            for _ in range(args.repeat):
                for tree in (base, ROOT):
                    times[tree].append(load_seconds(tree, os.path.abspath(path)))
            old, new = statistics.median(times[base]), statistics.median(times[ROOT])
            print(f"| {os.path.basename(path)} | {old:.2f} | {new:.2f} | {new / old:.2f} |")


if __name__ == "__main__":
    main()
