"""Metrics against hand-computed values."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecastr.errors import InputError
from forecastr.metrics import (
    aggregate,
    coverage,
    interval_metrics,
    mae,
    mase,
    mase_scale,
    msis,
    nominal_coverage,
    rmse,
    scaled_pinball,
    smape,
    undefined_scale,
)

NAN = np.nan


def test_mae_and_rmse():
    actual = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    forecast = np.array([[2.0, 2.0, 5.0], [1.0, 1.0, 1.0]])  # errors 1, 0, 2 and 1, 1, 1
    np.testing.assert_allclose(mae(actual, forecast), [1.0, 1.0])
    np.testing.assert_allclose(rmse(actual, forecast), [np.sqrt(5 / 3), 1.0])


def test_smape_m4_definition_with_zero_over_zero():
    actual = np.array([[0.0, 1.0, 2.0]])
    forecast = np.array([[0.0, 3.0, 2.0]])  # 0 (0/0), 200 * 2 / 4 = 100, 0
    np.testing.assert_allclose(smape(actual, forecast), [100 / 3])
    np.testing.assert_allclose(smape(np.array([[1.0]]), np.array([[-1.0]])), [200.0])


def test_nan_in_a_series_makes_its_metric_nan():
    actual = np.array([[1.0, NAN], [1.0, 1.0]])
    forecast = np.ones((2, 2))
    for fn in (mae, rmse, smape):
        out = fn(actual, forecast)
        assert np.isnan(out[0]) and out[1] == 0


def test_mase_scale_hand_computed():
    history = np.array([[1.0, 3.0, 2.0, 5.0], [NAN, NAN, 1.0, 4.0]])
    # m=1: |3-1|, |2-3|, |5-2| -> 2; series 1: |4-1| -> 3
    np.testing.assert_allclose(mase_scale(history, 1), [2.0, 3.0])
    # m=2: |2-1|, |5-3| -> 1.5; series 1 has 2 < m+1 points: falls back to m=1 -> 3
    np.testing.assert_allclose(mase_scale(history, 2), [1.5, 3.0])


def test_mase_scale_ignores_padding():
    padded = np.array([[NAN, NAN, 1.0, 3.0, 2.0, 5.0]])
    np.testing.assert_allclose(mase_scale(padded, 2), [1.5])


def test_mase_of_in_sample_seasonal_naive_is_one():
    rng = np.random.default_rng(0)
    y = rng.normal(size=50).cumsum()
    m = 7
    # the in-sample seasonal naive forecast of y[t] is y[t - m]
    value = mase(y[None, m:], y[None, :-m], mase_scale(y[None], m))
    np.testing.assert_allclose(value, [1.0])


def test_zero_scale_gives_nan_and_is_reported():
    history = np.array([[5.0, 5.0, 5.0, 5.0], [1.0, 2.0, 3.0, 4.0]])
    scale = mase_scale(history, 1)
    np.testing.assert_array_equal(undefined_scale(scale), [True, False])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division-by-zero warning either
        value = mase(np.full((2, 2), 6.0), np.full((2, 2), 5.0), scale)
    assert np.isnan(value[0]) and value[1] == 1.0


def test_too_short_for_any_scale_is_nan():
    scale = mase_scale(np.array([[NAN, 3.0]]), 4)
    assert np.isnan(scale[0]) and undefined_scale(scale)[0]


def test_aggregate_is_mean_ignoring_nan():
    assert aggregate(np.array([1.0, NAN, 3.0])) == 2.0
    assert np.isnan(aggregate(np.array([NAN, NAN])))


def test_bad_season_length():
    with pytest.raises(InputError, match="season_length"):
        mase_scale(np.ones((1, 4)), 0)


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, (3, 4), elements=st.floats(-1e6, 1e6)),
    arrays(np.float64, (3, 4), elements=st.floats(-1e6, 1e6)),
)
def test_smape_is_between_0_and_200(actual, forecast):
    value = smape(actual, forecast)
    assert ((value >= 0) & (value <= 200)).all()


# ---- interval metrics ----------------------------------------------------------------------


def test_coverage_hand_computed_bounds_inclusive():
    actual = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, NAN, 1.0, 1.0]])
    lo = np.array([[0.0, 2.5, 3.0, 5.0], [0.0, 0.0, 0.0, 0.0]])
    hi = np.array([[2.0, 3.0, 3.0, 6.0], [2.0, 2.0, 2.0, 2.0]])
    # 1 in [0, 2] yes; 2 in [2.5, 3] no; 3 in [3, 3] yes (bounds count); 4 in [5, 6] no
    out = coverage(actual, lo, hi)
    assert out[0] == 0.5 and np.isnan(out[1])


def test_msis_hand_computed_m4_definition():
    # level 80: a = 0.2, 2/a = 10. Steps: inside, width 2 -> 2; above by 2, width 3 -> 23;
    # below by 1, width 1 -> 11. Mean 12, divided by the scale 2 -> 6. Scale 0 -> NaN.
    actual = np.array([[1.0, 5.0, 0.0], [1.0, 5.0, 0.0]])
    lo = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    hi = np.array([[2.0, 3.0, 2.0], [2.0, 3.0, 2.0]])
    out = msis(actual, lo, hi, np.array([2.0, 0.0]), 80)
    assert out[0] == pytest.approx(6.0) and np.isnan(out[1])
    # at 95% the same misses cost 2/0.05 = 40 each: (2 + 3 + 80 + 1 + 40) / 3 / 2
    assert msis(actual[:1], lo[:1], hi[:1], np.array([2.0]), 95)[0] == pytest.approx(21.0)


def test_msis_refuses_a_level_outside_0_100():
    with pytest.raises(InputError, match="level"):
        msis(np.ones((1, 2)), np.ones((1, 2)), np.ones((1, 2)), np.ones(1), 100)


def test_scaled_pinball_hand_computed():
    # y = 2: q 1 (tau .1) -> .1 * 1 = .1; q 3 (tau .9) -> (.9 - 1) * -1 = .1
    # y = 0: q 1 (tau .1) -> (.1 - 1) * -1 = .9; q 3 (tau .9) -> (.9 - 1) * -3 = .3
    actual = np.array([[2.0, 0.0], [2.0, 0.0], [2.0, 0.0]])
    quantiles = np.tile(np.array([[1.0, 3.0], [1.0, 3.0]]), (3, 1, 1))  # (S, H, K)
    out = scaled_pinball(actual, quantiles, (0.1, 0.9), np.array([1.0, 0.5, NAN]))
    np.testing.assert_allclose(out[:2], [0.35, 0.7])
    assert np.isnan(out[2])


def test_pinball_of_a_point_at_the_median_is_half_its_mae():
    rng = np.random.default_rng(0)
    actual, forecast = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    scale = np.full(4, 2.0)
    out = scaled_pinball(actual, forecast[..., None], (0.5,), scale)
    np.testing.assert_allclose(out, mase(actual, forecast, scale) / 2)


def test_interval_metric_names_and_nominal_coverage():
    assert interval_metrics((95, 80), (0.025, 0.1, 0.9, 0.975)) == (
        "coverage-80",
        "coverage-95",
        "msis-80",
        "msis-95",
        "pinball",
    )
    assert interval_metrics((), (0.5,)) == ("pinball",)
    assert interval_metrics((80,), ()) == ()
    assert nominal_coverage("coverage-99.5") == pytest.approx(0.995)
    assert nominal_coverage("msis-80") is None


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, (3, 4), elements=st.floats(-1e3, 1e3)),
    arrays(np.float64, (3, 4), elements=st.floats(-1e3, 1e3)),
    arrays(np.float64, (3, 4), elements=st.floats(0, 1e3)),
)
def test_interval_metrics_bounds(actual, lo, width):
    hi = lo + width
    cov = coverage(actual, lo, hi)
    assert ((cov >= 0) & (cov <= 1)).all()
    scale = np.ones(3)
    # MSIS is at least the mean width, and exactly it when every point is inside
    width = (hi - lo).mean(axis=1)
    assert (msis(actual, lo, hi, scale, 90) >= width - 1e-9).all()
    np.testing.assert_allclose(msis(lo, lo, hi, scale, 90), width)
    assert (coverage(lo, lo, hi) == 1).all()
