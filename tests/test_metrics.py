"""Metrics against hand-computed values."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecastr.errors import InputError
from forecastr.metrics import aggregate, mae, mase, mase_scale, rmse, smape, undefined_scale

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
