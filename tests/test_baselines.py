"""Baselines against hand-computed forecasts on tiny series."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr.baselines import (
    BASELINES,
    drift,
    mean,
    naive,
    seasonal_fallback,
    seasonal_naive,
    window_mean,
)
from forecastr.errors import InputError

NAN = np.nan


def test_naive_repeats_last_value():
    history = np.array([[1.0, 2.0, 3.0], [NAN, 5.0, 4.0]])
    np.testing.assert_array_equal(naive(history, 2), [[3, 3], [4, 4]])


def test_seasonal_naive_season_longer_than_horizon():
    history = np.arange(1.0, 9.0)[None]  # (1, 8): 1..8, m=4 -> last season is 5, 6, 7, 8
    np.testing.assert_array_equal(seasonal_naive(history, 2, season_length=4), [[5, 6]])


def test_seasonal_naive_season_shorter_than_horizon_wraps():
    history = np.arange(1.0, 7.0)[None]  # 1..6, m=3 -> 4, 5, 6 repeated
    np.testing.assert_array_equal(
        seasonal_naive(history, 7, season_length=3), [[4, 5, 6, 4, 5, 6, 4]]
    )


def test_seasonal_naive_falls_back_to_naive_for_short_padded_series():
    history = np.array([[1.0, 2, 3, 4, 5, 6], [NAN, NAN, NAN, NAN, 7, 8]])
    forecast = seasonal_naive(history, 4, season_length=3)
    np.testing.assert_array_equal(forecast, [[4, 5, 6, 4], [8, 8, 8, 8]])
    np.testing.assert_array_equal(seasonal_fallback(history, 3), [False, True])


def test_seasonal_naive_exactly_one_season_does_not_fall_back():
    history = np.array([[NAN, 1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(seasonal_naive(history, 3, season_length=3), [[1, 2, 3]])
    assert not seasonal_fallback(history, 3).any()


def test_seasonal_naive_season_longer_than_every_history():
    history = np.array([[1.0, 2.0], [NAN, 3.0]])
    np.testing.assert_array_equal(seasonal_naive(history, 2, season_length=5), [[2, 2], [3, 3]])
    assert seasonal_fallback(history, 5).all()


def test_seasonal_naive_with_season_one_is_naive():
    history = np.array([[1.0, 5.0, 2.0]])
    np.testing.assert_array_equal(seasonal_naive(history, 3, season_length=1), naive(history, 3))


def test_drift_is_exact_on_a_straight_line():
    t = np.arange(10.0)
    history = (2 + 3 * t)[None]
    np.testing.assert_allclose(drift(history, 3), [2 + 3 * np.arange(10.0, 13.0)])


def test_drift_uses_first_non_nan_value_of_padded_series():
    history = np.array([[NAN, NAN, 5.0, 7.0, 9.0], [1.0, 1.0, 1.0, 1.0, 3.0]])
    # series 0: first 5, last 9, n=3 -> slope 2; series 1: slope (3 - 1) / 4 = 0.5
    np.testing.assert_allclose(drift(history, 2), [[11, 13], [3.5, 4.0]])


def test_drift_single_point_is_naive():
    np.testing.assert_array_equal(drift(np.array([[NAN, NAN, 4.0]]), 2), [[4, 4]])


def test_mean_ignores_padding():
    history = np.array([[1.0, 2.0, 3.0, 6.0], [NAN, NAN, 2.0, 4.0]])
    np.testing.assert_array_equal(mean(history, 2), [[3, 3], [3, 3]])


def test_window_mean_uses_last_window_values():
    history = np.array([[1.0, 2.0, 3.0, 6.0], [NAN, NAN, NAN, 4.0]])
    np.testing.assert_array_equal(window_mean(history, 1, window=2), [[4.5], [4.0]])
    np.testing.assert_array_equal(window_mean(history, 1, window=10), [[3.0], [4.0]])


def test_all_nan_series_gives_nan_without_crashing():
    history = np.array([[NAN, NAN], [1.0, 2.0]])
    for fn in BASELINES.values():
        out = fn(history, 2, season_length=2, window=2)
        assert out.shape == (2, 2)
        assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()


def test_baselines_are_in_display_order():
    assert list(BASELINES) == ["naive", "seasonal_naive", "drift", "mean", "window_mean", "theta"]


def test_bad_horizon_is_an_input_error():
    with pytest.raises(InputError, match="horizon"):
        naive(np.ones((1, 3)), 0)
    with pytest.raises(InputError, match="season_length"):
        seasonal_naive(np.ones((1, 3)), 2, season_length=0)


@st.composite
def padded_histories(draw):
    lengths = draw(st.lists(st.integers(1, 30), min_size=1, max_size=5))
    values = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
    arrays = [np.array(draw(st.lists(values, min_size=n, max_size=n))) for n in lengths]
    history = np.full((len(arrays), max(lengths)), NAN)  # right-aligned, NaN-left-padded
    for row, a in zip(history, arrays, strict=True):
        row[len(row) - len(a) :] = a
    return history


@settings(max_examples=60, deadline=None)
@given(
    history=padded_histories(),
    horizon=st.integers(1, 15),
    season_length=st.integers(1, 12),
    window=st.integers(1, 10),
)
def test_every_baseline_returns_finite_s_by_h(history, horizon, season_length, window):
    for name, fn in BASELINES.items():
        out = fn(history, horizon, season_length=season_length, window=window)
        assert out.shape == (history.shape[0], horizon), name
        assert np.isfinite(out).all(), name
