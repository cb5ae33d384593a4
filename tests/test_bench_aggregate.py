"""bench/aggregate.py's check: forecastr's --aggregate against pandas' groupby recipe on a
synthetic sales log, every period both keep, for each case the benchmark times."""

from __future__ import annotations

import pytest
from conftest import bench_fixture

aggregate_bench = bench_fixture("aggregate.py", "aggregate_bench")


@pytest.mark.parametrize(
    ("how", "freq"), [("sum", "D"), ("sum", "W"), ("sum", "MS"), ("mean", "D")]
)
def test_forecastr_agrees_with_pandas_groupby(aggregate_bench, tmp_path, how, freq):
    path = str(tmp_path / "sales.csv")
    aggregate_bench.write_log(path, rows=4000, stores=3)
    assert aggregate_bench.check_same(path, how, freq) > 0
