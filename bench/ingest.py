"""Ingest and windowing benchmark: load time and peak memory of ``data.load_csv``.

Generates long CSVs (1,000 and 10,000 hourly series of 1,000 points, about 0.1% of rows
dropped as gaps) in a temporary directory, then measures each reader in a fresh subprocess:

* ``forecastr``: ``forecastr.data.load_csv`` (validate, infer the frequency, sort, fill gaps);
* ``pandas``: ``pandas.read_csv`` (default C engine, ``parse_dates=["ds"]``) then a sort by
  (series, time), the usual hand-written ingest, which does not validate or fill.

Peak memory is the process's peak RSS (``VmHWM``) minus its RSS after imports, shown as a
multiple of the data's in-memory size N x (8 + 8 + 4) bytes (timestamp, value, series code).
Windowing is measured on one 10M-point series with window 336: ``windows.split_panel`` and
the window start arrays, against the O(N x window) matrix a materialised window tensor would
need.

Usage (from the repository root)::

    .venv/bin/python bench/ingest.py            # 1M and 10M rows, a few minutes
    .venv/bin/python bench/ingest.py --quick    # 100k and 1M rows
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

BYTES_PER_POINT = 8 + 8 + 4  # datetime64 + float64 + int32 series code
LENGTH = 1000  # points per series
WINDOW, HORIZON = 336, 24


def generate(
    path: str, n_series: int, length: int = LENGTH, seed: int = 0, shuffle: bool = False
) -> int:
    """Write a long CSV (unique_id, ds, y) of hourly series with ~0.1% rows missing.

    Rows are grouped by series in time order, as most exports are; ``shuffle`` writes them in
    random order instead (ingest then has to sort).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    n = n_series * length
    codes = np.repeat(np.arange(n_series, dtype=np.int32), length)
    step = np.tile(np.arange(length, dtype=np.int64), n_series)
    keep = rng.random(n) > 0.001
    keep[(step == 0) | (step == length - 1)] = True  # gaps inside series only
    names = pa.array([f"s{i:05d}" for i in range(n_series)])
    ids = pa.DictionaryArray.from_arrays(pa.array(codes[keep]), names).cast(pa.string())
    ds = np.datetime64("2020-01-01T00:00:00", "s") + step[keep].astype("timedelta64[h]")
    y = np.round(rng.normal(100, 10, int(keep.sum())), 3)
    table = pa.table({"unique_id": ids, "ds": pa.array(ds), "y": y})
    if shuffle:
        table = table.take(pa.array(rng.permutation(table.num_rows)))
    options = pacsv.WriteOptions(quoting_style="none")
    pacsv.write_csv(table, path, write_options=options)
    return int(keep.sum())


def generate_wide(path: str, n_rows: int, n_cols: int, seed: int = 0) -> int:
    """Write a wide CSV (ds, c0, c1, ...): hourly rows, one column per series, ragged starts."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    ds = np.datetime64("2020-01-01T00:00:00", "s") + np.arange(n_rows).astype("timedelta64[h]")
    columns = {"ds": pa.array(ds)}
    for j in range(n_cols):
        y = np.round(rng.normal(100, 10, n_rows), 3)
        lead = int(rng.integers(0, n_rows // 10))  # the series starts later: empty cells
        columns[f"c{j}"] = pa.array(y, mask=np.arange(n_rows) < lead)
    options = pacsv.WriteOptions(quoting_style="none")
    pacsv.write_csv(pa.table(columns), path, write_options=options)
    return n_rows * n_cols


# ---------------------------------------------------------------------------------------------
# one measurement per subprocess


def _rss_now() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss() -> int:
    """Peak RSS of this process image (VmHWM). Not ``ru_maxrss``: Linux carries that over
    from the parent through fork and exec, so it would report the benchmark driver's size."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # pragma: no cover


def measure(kind: str, arg: str) -> dict:
    """Run one reader (``forecastr``/``pandas``) on a file, or the windowing (``windows``)."""
    import pandas as pd
    import pyarrow  # noqa: F401  (imported up front so its RSS counts as the baseline)

    from forecastr import data, windows
    from forecastr.panel import Panel

    base = _rss_now()
    t0 = time.perf_counter()
    if kind == "forecastr":
        panel = data.load_csv(arg)
        points, extra = len(panel.y), {"filled": panel.filled_points, "freq": panel.freq}
    elif kind == "pandas":
        frame = pd.read_csv(arg, parse_dates=["ds"])
        frame = frame.sort_values(["unique_id", "ds"], kind="stable")
        points, extra = len(frame), {}
    elif kind == "windows":
        import tracemalloc

        n = int(arg)
        panel = Panel(
            ids=["s0"],
            y=np.zeros(n),
            ds=np.arange(n, dtype=np.int64),
            offsets=np.array([0, n], dtype=np.int64),
            freq=None,
        )
        base = _rss_now()
        tracemalloc.start()
        t0 = time.perf_counter()
        split = windows.split_panel(panel, WINDOW, HORIZON)
        train = windows.train_window_starts(split)
        val = windows.val_window_starts(split)
        x, y = windows.gather(panel.y, train[:1024], WINDOW, HORIZON)  # one batch
        seconds = time.perf_counter() - t0
        _, traced = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        n_windows = len(train) + len(val)
        return {
            "seconds": seconds,
            "traced_peak": traced,
            "peak_extra": _peak_rss() - base,
            "points": n,
            "windows": n_windows,
            "matrix_f32": n_windows * (WINDOW + HORIZON) * 4,
            "matrix_f64": n_windows * (WINDOW + HORIZON) * 8,
            "batch_shape": [list(x.shape), list(y.shape)],
        }
    else:
        raise SystemExit(f"unknown measurement {kind!r}")
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_extra": _peak_rss() - base, "points": points, **extra}


def run_measure(kind: str, arg: str, repeat: int = 3) -> dict:
    """Best time and highest peak of ``repeat`` fresh subprocesses (the machine is shared)."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--measure", kind, arg],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = dict(runs[0])
    best["seconds"] = min(r["seconds"] for r in runs)
    best["peak_extra"] = max(r["peak_extra"] for r in runs)
    if "traced_peak" in best:
        best["traced_peak"] = max(r["traced_peak"] for r in runs)
    return best


# ---------------------------------------------------------------------------------------------
# report


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k and 1M rows instead")
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "ARG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return

    series_counts = [100, 1000] if args.quick else [1000, 10000]
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    rows = []
    cases = [(n, False) for n in series_counts] + [(series_counts[-1], True)]
    with tempfile.TemporaryDirectory() as tmp:
        for n_series, shuffle in cases:
            path = os.path.join(tmp, f"long_{n_series}.csv")
            t0 = time.perf_counter()
            n_rows = generate(path, n_series, shuffle=shuffle)
            size = os.path.getsize(path)
            print(
                f"generated {n_rows:,} rows ({n_series:,} series, {size / 2**20:,.0f} MiB CSV"
                f"{', shuffled' if shuffle else ''}) in {time.perf_counter() - t0:.1f} s"
            )
            ours = run_measure("forecastr", path)
            theirs = run_measure("pandas", path)
            data_bytes = ours["points"] * BYTES_PER_POINT
            label = f"{n_rows:,} long" + (", shuffled" if shuffle else "")
            rows.append((label, size, data_bytes, ours, theirs))
            os.remove(path)

        n_cols = series_counts[-1] // 2
        path = os.path.join(tmp, "wide.csv")
        generate_wide(path, 2000, n_cols)
        wide_size = os.path.getsize(path)
        wide = run_measure("forecastr", path)
        os.remove(path)

        win = run_measure("windows", str(10_000_000))

    print()
    print(
        "| rows | CSV | data N x 20 B | load_csv time | load_csv peak (x data) "
        "| pandas read+sort time | pandas peak (x data) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, size, data_bytes, ours, theirs in rows:
        print(
            f"| {label} | {mib(size)} | {mib(data_bytes)} | {ours['seconds']:.1f} s "
            f"| {mib(ours['peak_extra'])} ({ours['peak_extra'] / data_bytes:.1f}x) "
            f"| {theirs['seconds']:.1f} s "
            f"| {mib(theirs['peak_extra'])} ({theirs['peak_extra'] / data_bytes:.1f}x) |"
        )
    wide_bytes = wide["points"] * BYTES_PER_POINT
    print(
        f"| {wide['points']:,} points wide (2,000 rows x {n_cols:,} columns) | {mib(wide_size)} "
        f"| {mib(wide_bytes)} | {wide['seconds']:.1f} s "
        f"| {mib(wide['peak_extra'])} ({wide['peak_extra'] / wide_bytes:.1f}x) | | |"
    )
    print()
    filled = [r[3]["filled"] for r in rows]
    print(f"load_csv filled {filled} points (the dropped rows); frequency {rows[0][3]['freq']}")
    print()
    print(f"Windowing one series of {win['points']:,} points, window {WINDOW}, horizon {HORIZON}:")
    print("| | memory |")
    print("| --- | ---: |")
    print(
        f"| split_panel + train/val window starts ({win['windows']:,} windows) + one batch "
        f"of 1,024 | {mib(win['traced_peak'])} (numpy peak, tracemalloc), "
        f"{win['seconds']:.2f} s |"
    )
    print(f"| materialised window matrix, float32 | {mib(win['matrix_f32'])} |")
    print(f"| materialised window matrix, float64 | {mib(win['matrix_f64'])} |")
    print(f"ratio float32 matrix / starts: {win['matrix_f32'] / win['traced_peak']:.0f}x")


if __name__ == "__main__":
    main()
