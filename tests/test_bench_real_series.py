"""bench/real_series.py: the origins of each kind of file and the interval scores it records,
against hand computations (nothing trained, no data file read)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bench_fixture

from forecastr import metrics

rs = bench_fixture("real_series.py", "rs")


def test_monthly_origins_are_a_year_apart_and_hourly_ones_spread_over_a_year(rs):
    monthly = rs.FILES["sunspots-monash"]
    assert rs.origins(monthly, 2820) == [0, 12, 24, 36, 48, 60]  # test years never overlap
    assert rs.origins(monthly, 100) == [0, 8, 16, 24, 32, 40]  # a short file: its last half
    assert rs.origins(rs.FILES["solar"], 8760) == [0, 730, 1460, 2190, 2920, 3650]


def test_band_scores_by_hand(rs):
    history = np.array([1.0, 3.0, 2.0, 4.0, 3.0])  # naive MAE: (2 + 1 + 2 + 1) / 4 = 1.5
    actual = np.array([3.0, 5.0, 1.0])
    bands = {
        "lo-80": np.array([2.0, 2.0, 2.0]),  # the last point is 1 below
        "hi-80": np.array([4.0, 4.0, 4.0]),  # the second is 1 above
        "lo-95": np.array([0.0, 0.0, 0.0]),
        "hi-95": np.array([6.0, 6.0, 6.0]),
    }
    out = rs.band_scores(history, actual, bands, 1)
    assert out["coverage_80"] == pytest.approx(100 / 3)
    assert out["coverage_95"] == 100.0
    # M4's MSIS: mean width plus 2 / a times each miss, over the naive MAE
    assert out["msis_80"] == pytest.approx((2.0 + 10.0 * 2 / 3) / 1.5)
    assert out["msis_95"] == pytest.approx(6.0 / 1.5)
    scale = metrics.mase_scale(history[None, :], 1)[0]
    assert scale == pytest.approx(1.5)


def test_snaive_bands_are_ordered_around_the_forecast(rs):
    rng = np.random.default_rng(0)
    t = np.arange(120)
    y = 10 + 3 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.5, t.size)
    bands = rs.snaive_bands(y, rs.FILES["housing-supply"])  # season 12, horizon 12
    point = y[-12:]
    assert all(bands[k].shape == (12,) for k in bands)
    assert (bands["lo-95"] <= bands["lo-80"]).all() and (bands["lo-80"] <= point).all()
    assert (point <= bands["hi-80"]).all() and (bands["hi-80"] <= bands["hi-95"]).all()
    assert (bands["hi-95"] - bands["lo-95"] > 0).all()
