"""The optimised Theta method (forecastr.theta) and its baseline (baselines.theta)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr.baselines import THETA_HISTORY, theta, theta_history
from forecastr.theta import (
    MIN_INDEX,
    Z90,
    is_seasonal,
    seasonal_indices,
    short_indices,
    theta_forecast,
    theta_spread,
)

NAN = np.nan


def _row(values, width):
    row = np.full((1, width), NAN)
    row[0, width - len(values) :] = values
    return row


def test_constant_series_forecasts_its_value():
    out = theta_forecast(np.full((1, 20), 5.0), 4)
    np.testing.assert_allclose(out, 5.0)


def test_short_and_empty_rows():
    rows = np.array([[NAN, NAN, NAN], [NAN, 2.0, 3.0], [NAN, NAN, 4.0]])
    out = theta_forecast(rows, 2)
    assert np.isnan(out[0]).all()
    np.testing.assert_array_equal(out[1:], [[3.0, 3.0], [4.0, 4.0]])


def test_a_noisy_trend_is_extrapolated():
    rng = np.random.default_rng(0)
    t = np.arange(60.0)
    y = 10.0 + 0.5 * t + rng.normal(0, 0.3, t.size)
    f = theta_forecast(y[None], 6)[0]
    truth = 10.0 + 0.5 * np.arange(60.0, 66.0)
    assert np.abs(f - truth).max() < 1.5  # the naive forecast is off by 0.5 to 3
    assert np.all(np.diff(f) > 0.3)  # rises at most of the fitted slope


def test_season_found_and_removed():
    rng = np.random.default_rng(1)
    pattern = np.array([0.8, 1.0, 1.3, 0.9])
    n = 48
    y = (100.0 + np.arange(n)) * pattern[np.arange(n) % 4] * rng.normal(1, 0.01, n)
    assert is_seasonal(y, 4)
    np.testing.assert_allclose(seasonal_indices(y, 4), pattern / pattern.mean(), atol=0.03)
    f = theta_forecast(y[None], 8, season=4)[0]
    expected = (100.0 + np.arange(n, n + 8)) * pattern[np.arange(n, n + 8) % 4]
    np.testing.assert_allclose(f, expected, rtol=0.05)


def test_a_long_season_reads_eight_of_them():
    assert theta_history(1) == theta_history(144) == theta_history(256) == THETA_HISTORY
    assert theta_history(257) == 8 * 257  # 256 points: less than one season
    assert theta_history(288) == 8 * 288


def test_a_day_of_five_minute_steps_is_adjusted_for():
    """A day of 288 steps does not fit in the 256 points read for shorter seasons: with eight
    of them read, the forecast follows the daily shape, as seasonal naive does."""
    rng = np.random.default_rng(3)
    m, n = 288, 288 * 12
    t = np.arange(n + m)
    y = 20.0 + 8.0 * np.sin(2 * np.pi * t / m) + rng.normal(0, 0.3, t.size)
    f = theta(y[None, :n], m, season_length=m)[0]
    future = y[n:]
    seasonal_naive_mae = np.abs(y[n - m : n] - future).mean()
    assert np.abs(f - future).mean() < 1.2 * seasonal_naive_mae
    assert np.abs(f - future).mean() < 0.2 * np.abs(future - future.mean()).mean()


def test_no_season_in_white_noise():
    y = np.random.default_rng(2).normal(10, 1, 200)
    assert not is_seasonal(y, 12)
    # nothing to adjust: with and without the season the forecast is the same
    np.testing.assert_allclose(theta_forecast(y[None], 5, 12), theta_forecast(y[None], 5, 1))


def _seasonal(n, pattern, seed, slope=1.0, noise=0.02):
    rng = np.random.default_rng(seed)
    m = len(pattern)
    return (
        (100.0 + slope * np.arange(n))
        * np.asarray(pattern)[np.arange(n) % m]
        * rng.normal(1, noise, n)
    )


MONTHS = [0.6, 0.7, 0.9, 1.0, 1.2, 1.5, 1.7, 1.6, 1.2, 0.9, 0.7, 0.6]


def test_a_strong_season_in_two_years_passes_the_test_bartletts_bound_would_fail():
    """26 months of a strong season: Bartlett's standard error (thetaf's) grows with every
    lower-lag autocorrelation and rejects it; the plain bound 1.645 / sqrt(n) does not."""
    y = _seasonal(26, MONTHS, seed=4)
    assert is_seasonal(y, 12)
    xc = y - y.mean()
    r = np.array([xc[k:] @ xc[: y.size - k] for k in range(1, 13)]) / (xc @ xc)
    bartlett = Z90 * np.sqrt((1.0 + 2.0 * np.sum(r[:-1] ** 2)) / y.size)
    assert abs(r[-1]) < bartlett  # the old test missed this season


def test_a_season_and_a_half_is_adjusted_by_its_ratios_to_the_line():
    pattern = np.asarray(MONTHS) / np.mean(MONTHS)
    y = _seasonal(18, MONTHS, seed=5, noise=0.0)
    np.testing.assert_allclose(short_indices(y, 12), pattern, rtol=0.08)
    f = theta_forecast(y[None], 12, season=12)[0]
    truth = (100.0 + np.arange(18, 30)) * np.asarray(MONTHS)[np.arange(18, 30) % 12]
    flat = theta_forecast(y[None], 12, season=1)[0]
    assert np.abs(f - truth).mean() < 0.3 * np.abs(flat - truth).mean()


def test_eight_quarters_too_few_to_test_are_decomposed_untested():
    """|r_4| of 8 points is at most about (8 - 4) / 8 = 0.5, under the bound 1.645 / sqrt(8):
    the file's season stands in for the test."""
    q = [0.7, 1.2, 1.4, 0.7]
    y = _seasonal(8, q, seed=6, noise=0.0)
    assert not is_seasonal(y, 4)
    f = theta_forecast(y[None], 4, season=4)[0]
    assert np.corrcoef(f, np.asarray(q))[0, 1] > 0.95  # the forecast follows the season


@pytest.mark.parametrize("n", [12, 16])
def test_a_quarterly_season_the_test_misses_under_a_trend_is_adjusted(n):
    """A steep trend hides a plain quarterly season from the autocorrelation test; a season
    of four is adjusted for untested (theta.UNTESTED_SEASON), so the forecast follows it."""
    q = np.array([0.9, 1.05, 1.15, 0.9])
    y = (100.0 + 10.0 * np.arange(n)) * q[np.arange(n) % 4]
    assert not is_seasonal(y, 4)
    truth = (100.0 + 10.0 * np.arange(n, n + 4)) * q[np.arange(n, n + 4) % 4]
    f = theta_forecast(y[None], 4, season=4)[0]
    flat = theta_forecast(y[None], 4, season=1)[0]
    assert np.abs(f - truth).mean() < 0.2 * np.abs(flat - truth).mean()


@pytest.mark.parametrize("n", [10, 17])
def test_too_short_is_not_adjusted(n):
    """Under one and a half seasons (or m + 2 points) the forecast is the unadjusted one."""
    y = _seasonal(n, MONTHS, seed=7)
    np.testing.assert_allclose(theta_forecast(y[None], 6, 12), theta_forecast(y[None], 6, 1))


ADDITIVE = np.array([-30.0, -10.0, 5.0, 35.0])  # a season of four, mean 0


def _additive(n, seed, level=10.0, noise=1.0):
    rng = np.random.default_rng(seed)
    return level + 0.2 * np.arange(n) + ADDITIVE[np.arange(n) % 4] + rng.normal(0, noise, n)


@pytest.mark.parametrize("n", [7, 40])  # a season and a half; ten seasons
def test_a_series_that_crosses_zero_is_adjusted_additively(n):
    """A value <= 0 rules out ratios: the season is subtracted and added back, as in
    statsforecast's Theta models. Before, such a series was forecast as if flat."""
    y = _additive(n, seed=9)
    assert (y <= 0).any()
    make = seasonal_indices if n >= 8 else short_indices
    idx = make(y, 4, additive=True)
    assert idx is not None and abs(idx.mean()) < 1e-9
    np.testing.assert_allclose(idx, ADDITIVE[np.arange(4)], atol=4.0)
    assert short_indices(y, 4) is None  # no ratios for a series that is not positive
    f = theta_forecast(y[None], 8, season=4)[0]
    truth = 10.0 + 0.2 * np.arange(n, n + 8) + ADDITIVE[np.arange(n, n + 8) % 4]
    flat = theta_forecast(y[None], 8, season=1)[0]
    assert np.abs(f - truth).mean() < 0.3 * np.abs(flat - truth).mean()


def test_a_near_zero_multiplicative_index_is_adjusted_additively():
    """A positive series whose quietest phase is ~0: dividing by an index under MIN_INDEX
    would multiply its noise a hundredfold, so the additive adjustment serves it; a positive
    series with ordinary indices keeps the multiplicative one."""
    rng = np.random.default_rng(11)
    n = 48
    pattern = np.array([1e-4, 1.0, 1.5, 1.5])
    y = 100.0 * pattern[np.arange(n) % 4] + rng.uniform(0.01, 0.5, n)
    assert (y > 0).all() and seasonal_indices(y, 4).min() < MIN_INDEX
    f = theta_forecast(y[None], 4, season=4)[0]
    assert np.isfinite(f).all()
    np.testing.assert_allclose(f, 100.0 * pattern + 0.25, atol=3.0)
    additive = seasonal_indices(y, 4, additive=True)
    expected = theta_forecast((y - additive[np.arange(n) % 4])[None], 4)[0] + additive
    np.testing.assert_allclose(f, expected, rtol=1e-12)
    z = _seasonal(48, MONTHS, seed=12)  # ordinary indices: ratios, as before
    idx = seasonal_indices(z, 12)
    expected = theta_forecast((z / idx[np.arange(48) % 12])[None], 4)[0] * idx[:4]
    np.testing.assert_allclose(theta_forecast(z[None], 4, season=12)[0], expected, rtol=1e-12)


def test_tied_weights_are_chosen_the_same_alone_and_in_a_batch():
    """Three values fit every smoothing weight equally well; the choice among the ties must
    not depend on rounding, which changes with the batch (this row gave 358 alone and 317
    beside two constant rows)."""
    r = [998.9999999999999, 160.921875, 327.9189858023133]
    batch = np.vstack([_row([1.0, 1.0, 1.0], 6), _row([1.0, 1.0, 1.0], 6), _row(r, 6)])
    alone = theta_forecast(np.asarray(r)[None], 1, season=2)
    np.testing.assert_allclose(theta_forecast(batch, 1, season=2)[2], alone[0], rtol=1e-12)


series = st.lists(
    st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False), min_size=1, max_size=40
)


@settings(max_examples=60, deadline=None)
@given(st.lists(series, min_size=1, max_size=5), st.integers(1, 6))
def test_rows_are_forecast_independently_of_padding_and_batch(rows, horizon):
    width = max(len(r) for r in rows) + 3
    batch = np.vstack([_row(r, width) for r in rows])
    together = theta_forecast(batch, horizon)
    for i, r in enumerate(rows):
        alone = theta_forecast(np.asarray(r, dtype=np.float64)[None], horizon)
        np.testing.assert_allclose(together[i], alone[0], rtol=1e-9, atol=1e-9)


positive = st.lists(st.floats(0.1, 1e3, allow_nan=False), min_size=1, max_size=40)
signed = st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(positive, signed), min_size=1, max_size=5),
    st.integers(1, 6),
    st.sampled_from([2, 4, 7]),
)
def test_seasonal_rows_are_finite_and_independent_of_padding_and_batch(rows, horizon, m):
    """Rows of every length around the season's thresholds (1.5 and 2 seasons), positive
    (ratios) or not (differences): each forecast is finite and the same alone as in a padded
    batch."""
    width = max(len(r) for r in rows) + 3
    batch = np.vstack([_row(r, width) for r in rows])
    together = theta_forecast(batch, horizon, season=m)
    assert np.isfinite(together).all()
    for i, r in enumerate(rows):
        alone = theta_forecast(np.asarray(r, dtype=np.float64)[None], horizon, season=m)
        np.testing.assert_allclose(together[i], alone[0], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", range(8))
def test_affine_equivariance(seed):
    """Smoothing and least squares follow any positive affine change, and so does the fit's
    choice (every squared error scales by a^2). Random walks with drift: no exact ties
    between grid values, which rounding could break either way."""
    rng = np.random.default_rng(seed)
    y = np.cumsum(rng.normal(rng.uniform(-1, 1), 1, int(rng.integers(5, 80))))[None]
    a, b = float(rng.uniform(0.01, 100)), float(rng.uniform(-1e3, 1e3))
    base = theta_forecast(y, 4)
    np.testing.assert_allclose(theta_forecast(a * y + b, 4), a * base + b, rtol=1e-7, atol=1e-6)


def test_baseline_is_finite_at_the_float_limits_and_padded():
    history = np.array([[1e308, -1e308, 1e308, 1e308], [NAN, NAN, 1.0, 2.0]])
    out = theta(history, 3, season_length=2)
    assert out.shape == (2, 3) and np.isfinite(out).all()
    np.testing.assert_array_equal(out[1], [2.0, 2.0, 2.0])  # two points: naive


def test_spread_matches_ses_with_drift_and_grows_with_the_step():
    """sigma^2 (1 + (h - 1) a^2) plus the drift's error carried h steps: on a long series the
    drift is well estimated, so the state-space part decides (a from the first two steps),
    and sigma^2 is the one-step squared error over n - 3."""
    rng = np.random.default_rng(3)
    y = 50.0 + 0.5 * np.arange(60) + rng.normal(0, 2.0, 60)
    sd = theta_spread(y[None], 6)[0]
    assert np.isfinite(sd).all() and (np.diff(sd) > 0).all()
    a2 = (sd[1] / sd[0]) ** 2 - 1.0
    assert 0.0 < a2 <= 1.0
    assert np.allclose(sd[1:] ** 2, sd[0] ** 2 * (1.0 + np.arange(1, 6) * a2), rtol=0.05)
    assert 1.0 < sd[0] < 4.0  # the noise's 2, from 57 errors


def test_spread_carries_the_drift_error_of_a_short_series():
    """Eight points of a noisy line: the slope is uncertain, and its error grows with the
    step; the state-space part alone (the slope taken as known) is narrower, the more so the
    further ahead. The drift part is exactly lead^2 * var(slope)."""
    from forecastr.theta import _dotm, _slope_variance

    rng = np.random.default_rng(8)
    y = 10.0 + 1.0 * np.arange(8) + rng.normal(0, 2.0, 8)
    sd = theta_spread(y[None], 6)[0]
    _, a, sse, lead = _dotm(y[None], np.array([8]), 6)
    state = np.sqrt(sse[0] / 5 * (1.0 + np.arange(6) * a[0] ** 2))
    t = np.arange(8) - 3.5
    resid = y - np.polyval(np.polyfit(t, y, 1), t)
    var_slope = (resid**2).sum() / 6 / (t**2).sum()
    assert _slope_variance(y[None], np.array([8]))[0] == pytest.approx(var_slope)
    padded = np.r_[np.nan, np.nan, y][None]  # right-aligned rows read only their own values
    assert _slope_variance(padded, np.array([8]))[0] == pytest.approx(var_slope)
    assert np.allclose(sd**2, state**2 + lead[0] ** 2 * var_slope)
    assert lead[0, -1] > 0  # a trend was extrapolated: its error widens the late steps most
    assert (sd / state)[-1] > (sd / state)[0] > 1.0


def test_spread_needs_four_values_and_follows_the_forecasts_scale():
    rows = np.array([[np.nan, 1.0, 2.0, 4.0], [3.0, 1.0, 4.0, 1.5]])
    sd = theta_spread(rows, 3)
    assert np.isnan(sd[0]).all() and np.isfinite(sd[1]).all()
    assert np.allclose(theta_spread(10.0 * rows, 3)[1], 10.0 * sd[1])


def test_theta_only_quantiles_are_at_least_as_wide_as_either_estimate():
    from statistics import NormalDist

    from forecastr.baseline_intervals import baseline_quantiles, theta_quantiles
    from forecastr.metrics import mase_scale

    rng = np.random.default_rng(5)
    hist = 100.0 + np.cumsum(rng.normal(1.0, 3.0, (4, 14)), axis=1)
    taus = (0.025, 0.1, 0.9, 0.975)
    point = theta(hist, 6)
    q = theta_quantiles(hist, point, taus, 1)
    emp = baseline_quantiles(hist, point, theta, 6, taus, mase_scale(hist, 1))
    par = point[:, :, None] + theta_spread(hist, 6)[:, :, None] * np.array(
        [NormalDist().inv_cdf(t) for t in taus]
    )
    assert (q[..., :2] <= np.minimum(emp, par)[..., :2] + 1e-9).all()
    assert (q[..., 2:] >= np.maximum(emp, par)[..., 2:] - 1e-9).all()
    assert (np.diff(q, axis=-1) >= 0).all()
