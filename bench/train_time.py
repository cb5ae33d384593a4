"""Benchmark: wall time of `forecastr train` with its defaults, this tree against a baseline
commit, side by side in one run.

Each sample file (or any CSV given with ``--files``) is trained by both trees as a user runs
it: ``python -m forecastr train FILE -o TMP --quiet``, one torch thread (the CLI default),
everything included (reading, season detection, the holdout run, the report, the refit and
saving). The two trees alternate (baseline, current, baseline, current, ...) so that load on
this shared machine hits both alike; the table gives the median seconds of each and the ratio
current / baseline. The baseline's files are extracted with ``git archive`` into a temporary
folder (read only for the repository: no worktree, index or ref changes) and imported through
``PYTHONPATH``, so both run in the same virtual environment; each tree is checked to be the one
its processes import before anything is timed.

    .venv/bin/python bench/train_time.py                          # against d83f39d, 1 repeat
    .venv/bin/python bench/train_time.py --baseline HEAD~3 --repeat 3
    .venv/bin/python bench/train_time.py --files sample_data/uk_drivers_monthly.csv --repeat 3
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = [
    "sample_data/uk_drivers_monthly.csv",
    "sample_data/us_employment_monthly_wide.csv",
    "sample_data/iowa_electricity_yearly_long.csv",
    "sample_data/seattle_temperature_hourly.csv",
]
BASELINE = "d83f39d"  # the tree before issue 9's accuracy work


def train_seconds(tree: str, path: str, extra: list[str], out: str) -> float:
    """Wall seconds of one `forecastr train` process importing forecastr from ``tree``."""
    env = {**os.environ, "PYTHONPATH": tree, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "forecastr", "train", path, "-o", out, "--quiet", *extra]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tempfile.gettempdir())
    seconds = time.perf_counter() - t0
    if res.returncode != 0:
        line = (res.stderr.strip().splitlines() or ["?"])[-1]
        raise SystemExit(f"{tree}: train {path} failed: {line}")
    return seconds


def extract(ref: str, dest: str) -> None:
    """The files of ``ref`` into ``dest`` (``git archive``: the repository is only read)."""
    os.makedirs(dest)
    archive = subprocess.run(
        ["git", "-C", ROOT, "archive", "--format=tar", ref], capture_output=True, check=False
    )
    if archive.returncode != 0:
        raise SystemExit(f"git archive {ref} failed: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", dest], input=archive.stdout, check=True)


def check_imports_from(tree: str) -> None:
    """Refuse to time a tree whose processes would import forecastr from elsewhere (the venv's
    editable install must not shadow ``PYTHONPATH``)."""
    env = {**os.environ, "PYTHONPATH": tree}
    code = "import forecastr, os; print(os.path.realpath(forecastr.__file__))"
    res = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    where = res.stdout.strip()
    if res.returncode != 0 or not where.startswith(os.path.realpath(tree) + os.sep):
        raise SystemExit(f"{tree}: its processes import forecastr from {where or res.stderr!r}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", default=BASELINE, help="git ref to compare with")
    ap.add_argument("--files", default=",".join(SAMPLES), help="comma-separated CSV paths")
    ap.add_argument("--repeat", type=int, default=1, help="runs per tree and file")
    ap.add_argument("--extra", default="", help="extra train flags for both trees")
    args = ap.parse_args(argv)

    work = tempfile.mkdtemp(prefix="forecastr-train-time-")
    base_tree = os.path.join(work, "baseline")
    extra = shlex.split(args.extra)
    rows = []
    try:
        extract(args.baseline, base_tree)
        for tree in (base_tree, ROOT):
            check_imports_from(tree)
        for rel in [f for f in args.files.split(",") if f]:
            path = os.path.join(ROOT, rel) if not os.path.isabs(rel) else rel
            times: dict[str, list[float]] = {"baseline": [], "current": []}
            for k in range(args.repeat):
                for name, tree in (("baseline", base_tree), ("current", ROOT)):
                    out = os.path.join(work, f"{name}-{k}")
                    times[name].append(train_seconds(tree, path, extra, out))
                    shutil.rmtree(out, ignore_errors=True)
            b, c = statistics.median(times["baseline"]), statistics.median(times["current"])
            rows.append((os.path.basename(rel), b, c))
            print(f"{rel}: baseline {b:.1f} s, current {c:.1f} s, ratio {c / b:.2f}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nbaseline {args.baseline}, {args.repeat} run(s) each, load {os.getloadavg()[0]:.1f}")
    print("| file | baseline s | current s | current / baseline |")
    print("| --- | ---: | ---: | ---: |")
    for name, b, c in rows:
        print(f"| {name} | {b:.1f} | {c:.1f} | {c / b:.2f} |")


if __name__ == "__main__":
    main()
