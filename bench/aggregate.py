"""Benchmark: a log of events read as series (``--aggregate``), against pandas doing the same
by hand, side by side in one run.

A synthetic sales log: ``--rows`` rows over ``--stores`` stores and three years, a row per
sale at a time of day, sorted by time (as exports are), with an invoice number and an item
code beside the store and the amount. Each case reads it into daily, weekly or monthly series
of totals (or means) two ways:

* forecastr: ``data.load_csv(path, IngestOptions(id_col, target, aggregate, freq))``: the
  panel on a regular grid, empty days zero, partial first and last periods left out;
* pandas by hand, the usual recipe: ``read_csv(usecols, parse_dates)``, then
  ``groupby([store, Grouper(freq)]).sum()`` (or ``.mean()``), ``unstack``/``asfreq`` per store
  to put empty periods back as zeros.

Before timing, the script checks that the two agree: the same values on every period both
keep. The table gives the median seconds over ``--repeat`` runs (alternating) and the ratio
forecastr / pandas, and the peak memory of each process (``VmHWM``: ``ru_maxrss`` would
carry over the parent's through fork and exec).

    .venv/bin/python bench/aggregate.py                # 2,000,000 rows
    .venv/bin/python bench/aggregate.py --rows 200000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = (("sum", "D"), ("sum", "W"), ("sum", "MS"), ("mean", "D"))

OURS = """
import sys, time
t = time.perf_counter()
from forecastr.data import load_csv
from forecastr.ingest.options import IngestOptions
p = load_csv(sys.argv[1], IngestOptions(id_col="store", target="amount", aggregate=sys.argv[2],
                                          freq=sys.argv[3]))
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]
print(time.perf_counter() - t, int(hwm) / 1024)
"""
THEIRS = """
import sys, time
t = time.perf_counter()
import pandas as pd
df = pd.read_csv(sys.argv[1], usecols=["stamp", "store", "amount"], parse_dates=["stamp"])
g = df.groupby(["store", pd.Grouper(key="stamp", freq=sys.argv[3])])["amount"]
s = g.sum() if sys.argv[2] == "sum" else g.mean()
wide = s.unstack("store")
wide = wide.fillna(0.0) if sys.argv[2] == "sum" else wide.interpolate(limit_area="inside")
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]
print(time.perf_counter() - t, int(hwm) / 1024)
"""


def write_log(path: str, rows: int, stores: int, seed: int = 0) -> None:
    """The sales log (module doc)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2021-01-04T00:00")  # a Monday
    minutes = np.sort(rng.integers(0, 3 * 364 * 1440, rows))
    hour = (minutes % 1440) // 60
    minutes = np.where((hour < 8) | (hour > 20), minutes - (minutes % 1440) + 9 * 60, minutes)
    stamps = (start + minutes.astype("m8[m]")).astype(str)
    frame = pd.DataFrame(
        {
            "invoice": np.char.add("INV", np.arange(rows).astype(str)),
            "stamp": np.char.replace(stamps, "T", " "),
            "store": np.char.add("store", rng.integers(0, stores, rows).astype(str)),
            "item": rng.integers(10_000, 99_999, rows),
            "amount": rng.gamma(2.0, 12.0, rows).round(2),
        }
    )
    frame.to_csv(path, index=False)


def run(code: str, path: str, how: str, freq: str) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": ROOT, "OMP_NUM_THREADS": "1"}
    res = subprocess.run(
        [sys.executable, "-c", code, path, how, freq], env=env, capture_output=True, text=True
    )
    if res.returncode != 0:
        raise SystemExit(res.stderr.strip().splitlines()[-1])
    seconds, mib = res.stdout.split()
    return float(seconds), float(mib)


def check_same(path: str, how: str, freq: str) -> int:
    """Periods compared: forecastr's panel against the pandas recipe, on the periods both
    keep (forecastr leaves partial first and last periods of totals out)."""
    from forecastr.data import load_csv
    from forecastr.ingest.options import IngestOptions

    opts = IngestOptions(id_col="store", target="amount", aggregate=how, freq=freq)  # type: ignore[arg-type]
    panel = load_csv(path, opts)
    df = pd.read_csv(path, usecols=["stamp", "store", "amount"], parse_dates=["stamp"])
    g = df.groupby(["store", pd.Grouper(key="stamp", freq=freq)])["amount"]
    ref = (g.sum() if how == "sum" else g.mean()).unstack("store")
    ref = ref.fillna(0.0) if how == "sum" else ref
    compared = 0
    for i, sid in enumerate(panel.ids):
        lo, hi = panel.offsets[i], panel.offsets[i + 1]
        ours = pd.Series(panel.y[lo:hi], index=pd.DatetimeIndex(panel.ds[lo:hi]))
        theirs = ref[sid].reindex(ours.index).dropna()
        ours = ours.loc[theirs.index]
        if not np.allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-9, atol=1e-6):
            raise SystemExit(f"{how} {freq}: series {sid} differs from pandas")
        compared += len(theirs)
    return compared


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--stores", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "sales.csv")
        write_log(path, args.rows, args.stores)
        size = os.path.getsize(path) / 2**20
        print(f"sales log: {args.rows:,} rows, {args.stores} stores, {size:.0f} MiB\n")
        print(
            "| case | periods checked | forecastr s | pandas s | ratio | forecastr MiB "
            "| pandas MiB |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for how, freq in CASES:
            checked = check_same(path, how, freq)
            ours, theirs = [], []
            for _ in range(args.repeat):
                ours.append(run(OURS, path, how, freq))
                theirs.append(run(THEIRS, path, how, freq))
            a = statistics.median(t for t, _ in ours)
            b = statistics.median(t for t, _ in theirs)
            ma = statistics.median(m for _, m in ours)
            mb = statistics.median(m for _, m in theirs)
            print(
                f"| --aggregate {how} --freq {freq} | {checked:,} | {a:.2f} | {b:.2f} | "
                f"{a / b:.2f}x | {ma:.0f} | {mb:.0f} |"
            )


if __name__ == "__main__":
    main()
