"""Fuzz CSV ingest at volume: N random files per kind through ``load_csv``, outcomes counted.

Uses the strategies and the harness of ``tests/test_fuzz_csv.py`` (random bytes, random CSV
structures, regular panels with odd cells; here also a small Parquet file with bytes changed
or cut short), but with fresh random seeds and many more files,
and instead of stopping at the first failure it counts every outcome:

* **refused**: a ForecastrError with one short printable line (the acceptable refusal);
* **accepted**: a valid Panel (finite values in range, increasing time, unique ids);
* **other**: anything else: another exception, a warning, a hang, a broken invariant. The
  first few are printed with their input, to be added to the regression corpus
  (``tests/test_extremes.py``) once fixed.

    .venv/bin/python bench/fuzz_csv.py [--n 500] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import test_fuzz_csv as fz

from forecastr.data import IngestOptions


def _parquet_base() -> bytes:
    """A small long table (two series, a date column, a value column) as Parquet bytes."""
    import io

    import numpy as np
    import pandas as pd

    days = pd.date_range("2020-01-01", periods=40, freq="D")
    frame = pd.DataFrame(
        {"id": np.repeat(["a", "b"], 40), "ds": np.tile(days, 2), "y": np.arange(80.0) % 7}
    )
    out = io.BytesIO()
    frame.to_parquet(out, index=False)
    return out.getvalue()


PARQUET = _parquet_base()


@st.composite
def mutated_parquet(draw) -> bytes:
    """The base Parquet file with a few bytes changed, or cut short (its magic kept at both
    ends, so it is read as Parquet)."""
    data = bytearray(PARQUET)
    for _ in range(draw(st.integers(1, 6))):
        data[draw(st.integers(4, len(data) - 5))] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(8, len(data)))] + b"PAR1"
    return bytes(data)


KINDS = {
    "random bytes": st.tuples(fz.random_bytes(), st.just(IngestOptions())),
    "random structures": st.tuples(fz.random_structures(), fz.OPTIONS),
    "regular panels": st.tuples(fz.regular_structures(), fz.OPTIONS),
    "mutated Parquet": st.tuples(mutated_parquet(), fz.OPTIONS),
}


def run(kind: str, n: int, seed_value: int, failures: list) -> tuple[Counter, float]:
    counts: Counter = Counter()

    @seed(seed_value)
    @settings(
        max_examples=n,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=KINDS[kind], engine=fz.ENGINES)
    def one(case, engine):
        data, options = case
        try:
            outcome, result = fz.try_load(data, options, engine)
            fz.check_outcome(outcome, result)
            counts[outcome] += 1
        except Exception as err:  # a bug: count it and keep going
            counts["other"] += 1
            if len(failures) < 10:
                failures.append((kind, engine, options, data[:300], f"{type(err).__name__}: {err}"))

    start = time.perf_counter()
    one()
    return counts, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500, help="files per kind")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    failures: list = []
    print(f"{'kind':<20}{'tried':>7}{'refused':>9}{'accepted':>10}{'other':>7}{'ms/file':>9}")
    total: Counter = Counter()
    for kind in KINDS:
        counts, seconds = run(kind, args.n, args.seed, failures)
        tried = sum(counts.values())
        total.update(counts)
        print(
            f"{kind:<20}{tried:>7}{counts['refused']:>9}{counts['accepted']:>10}"
            f"{counts['other']:>7}{1000 * seconds / max(tried, 1):>9.1f}"
        )
    print(
        f"{'all':<20}{sum(total.values()):>7}{total['refused']:>9}{total['accepted']:>10}"
        f"{total['other']:>7}"
    )
    for kind, engine, options, data, err in failures:
        print(f"\nOTHER ({kind}, {engine}, {options}):\n  {data!r}\n  {err}")
    sys.exit(1 if total["other"] else 0)


if __name__ == "__main__":
    main()
