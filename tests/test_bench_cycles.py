"""bench/cycles.py: the two kinds without a cycle that a line cannot detrend are what they
say (one step down; a line that turns), and every kind's series has the length asked for."""

from __future__ import annotations

import numpy as np
from conftest import bench_fixture

cycles = bench_fixture("cycles.py", "cycles")


def test_a_level_shift_steps_down_once_by_a_sixth_to_a_third(cycles):
    rng = np.random.default_rng(0)
    for n in (50, 120, 300):
        y = cycles._level_shift(rng, n)
        assert y.shape == (n,)
        before, after = y[: n // 6].mean(), y[n // 2 :].mean()
        assert 0.55 < after / before < 0.95  # 15-35% down, plus noise of the means


def test_a_bent_line_rises_then_falls(cycles):
    rng = np.random.default_rng(1)
    y = cycles._bent_line(rng, 300)
    t = np.arange(300)
    early, late = slice(0, 70), slice(230, 300)
    assert np.polyfit(t[early], y[early], 1)[0] > 0 > np.polyfit(t[late], y[late], 1)[0]


def test_every_kind_gives_the_length_asked_for(cycles):
    rng = np.random.default_rng(2)
    for name, (make, _period) in cycles.KINDS.items():
        y = make(rng, 77)
        assert y.shape == (77,) and np.isfinite(y).all(), name
