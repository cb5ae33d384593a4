"""Baseline intervals from in-sample residuals: exact on known data, never crossing, finite on
awkward histories, bounded in cost."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr import baseline_intervals as bi
from forecastr.baselines import BASELINES, naive, seasonal_naive
from forecastr.intervals import network_quantiles
from forecastr.metrics import mase_scale

NAN = np.nan
TAUS = network_quantiles((80, 95), (0.5,))  # 0.025, 0.1, 0.5, 0.9, 0.975
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None)


def quantiles_of(history, method=naive, horizon=3, taus=TAUS, season_length=1, window=1):
    point = method(history, horizon, season_length=season_length, window=window)
    scale = mase_scale(history, season_length)
    q = bi.baseline_quantiles(
        history, point, method, horizon, taus, scale, season_length=season_length, window=window
    )
    return point, q


def test_naive_on_a_line_knows_its_error_exactly():
    # y = 2t: every h-step naive residual is 2(h + 1), the scale is 2, so every quantile of
    # step h lies exactly on the true future value 2(T + h). (Levels that need few residuals,
    # so that no step borrows its neighbours' pool.)
    history = 2.0 * np.arange(20.0)[None, :]
    taus = (0.25, 0.5, 0.75)
    point, q = quantiles_of(history, taus=taus)
    truth = 2.0 * (20 + np.arange(3))  # (H,)
    np.testing.assert_allclose(q[0], np.repeat(truth[:, None], len(taus), axis=1))
    np.testing.assert_allclose(point[0], [38.0, 38.0, 38.0])


def test_hand_computed_quantiles_from_a_small_pool():
    # naive on [0, 1, 0, 1, 0, 1] (scale 1, point 1): the 1-step residuals from the 4 past
    # origins (span 3 * 1 + 1) are +1, -1, +1, -1; numpy's linear quantiles of that pool are
    # -1 at 0.1 (position 0.3), 0 at 0.5 (halfway) and 1 at 0.9 (position 2.7).
    history = np.array([[0.0, 1, 0, 1, 0, 1]])
    _, q = quantiles_of(history, horizon=1, taus=(0.1, 0.5, 0.9))
    np.testing.assert_allclose(q[0, 0], [1.0 - 1.0, 1.0 + 0.0, 1.0 + 1.0])


def test_wider_noise_gives_wider_intervals_and_levels_nest():
    rng = np.random.default_rng(0)
    t = np.arange(120)
    base = 10 + 3 * np.sin(2 * np.pi * t / 12)
    calm = base + rng.normal(0, 0.2, (8, 120))
    wild = base + rng.normal(0, 2.0, (8, 120))
    widths = []
    for history in (calm, wild):
        _, q = quantiles_of(history, seasonal_naive, horizon=6, season_length=12)
        assert (np.diff(q, axis=-1) >= 0).all()
        widths.append(float(np.mean(q[..., -1] - q[..., 0])))
    assert widths[1] > 5 * widths[0]


def test_seasonal_naive_covers_about_its_level_on_iid_noise():
    rng = np.random.default_rng(3)
    S, T, H = 200, 96, 6
    t = np.arange(T + H)
    y = 50 + 5 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1.0, (S, T + H))
    history, future = y[:, :T], y[:, T:]
    _, q = quantiles_of(history, seasonal_naive, horizon=H, taus=(0.1, 0.9), season_length=12)
    covered = float(np.mean((q[..., 0] <= future) & (future <= q[..., 1])))
    assert 0.74 <= covered <= 0.86


@pytest.mark.parametrize("name", list(BASELINES))
def test_awkward_histories_give_finite_output(name):
    history = np.array(
        [
            [NAN, NAN, NAN, NAN, NAN, 7.0],  # one point: no scale, zero width
            [5.0, 5, 5, 5, 5, 5],  # constant: scale 0, zero width
            [NAN, NAN, 1.0, 3.0, 2.0, 4.0],  # NaN prefix
            [1.0, 2, 4, 3, 5, 6],
        ]
    )
    point, q = quantiles_of(history, BASELINES[name], horizon=4, season_length=2, window=3)
    assert np.isfinite(q).all()
    np.testing.assert_array_equal(q[0], np.repeat(point[0][:, None], len(TAUS), axis=1))
    np.testing.assert_array_equal(q[1], np.repeat(point[1][:, None], len(TAUS), axis=1))
    assert (q[3, :, -1] > q[3, :, 0]).all()  # a real series gets a real interval


def test_no_history_to_learn_from_gives_zero_width():
    for history in (np.array([[3.0]]), np.array([[NAN, 3.0], [NAN, 4.0]])):
        point, q = quantiles_of(history, horizon=2)
        np.testing.assert_array_equal(q, np.repeat(point[..., None], len(TAUS), axis=-1))


def test_a_finite_point_is_never_turned_into_nan():
    history = np.array([[NAN, NAN, NAN], [1.0, 2.0, 4.0]])  # row 0: nothing at all
    point = np.array([[9.0, 9.0], [4.0, 4.0]])  # a point given for it anyway
    scale = mase_scale(history, 1)
    q = bi.baseline_quantiles(history, point, naive, 2, TAUS, scale)
    assert np.isfinite(q).all()
    np.testing.assert_array_equal(q[0], 9.0)


@st.composite
def histories(draw):
    """Right-aligned histories: random lengths (NaN prefix), values, constant rows."""
    S, T = draw(st.integers(1, 5)), draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    history = rng.normal(0, draw(st.sampled_from([1e-3, 1.0, 1e4])), (S, T)).cumsum(axis=1)
    for i in range(S):
        n = draw(st.integers(1, T))
        history[i, : T - n] = NAN
        if draw(st.booleans()):
            history[i, T - n :] = history[i, -1]
    return history


@SETTINGS
@given(
    histories(),
    st.sampled_from(list(BASELINES)),
    st.integers(1, 8),
    st.lists(st.floats(0.01, 0.99), min_size=1, max_size=6),
)
def test_quantiles_never_cross_and_stay_finite(history, name, horizon, taus):
    taus = tuple(sorted(set(taus)))
    point, q = quantiles_of(history, BASELINES[name], horizon, taus, season_length=3, window=2)
    assert q.shape == (*point.shape, len(taus))
    assert np.isfinite(q).all()
    assert (np.diff(q, axis=-1) >= 0).all()


def test_origins_are_capped_and_inside_the_history():
    offsets = bi.origin_offsets(100_000, horizon=24, season_length=168)
    assert 1 <= len(offsets) <= bi.MAX_ORIGINS
    assert offsets.min() == 1 and offsets.max() == 3 * 24 + 168
    assert (np.diff(offsets) > 0).all()
    np.testing.assert_array_equal(bi.origin_offsets(5, 4, 1), [1, 2, 3, 4])
    assert len(bi.origin_offsets(1, 4, 1)) == 0


def test_pool_rows_are_capped_and_spread():
    rows = bi.pool_rows(10 * bi.MAX_POOL_SERIES)
    assert len(rows) == bi.MAX_POOL_SERIES and rows[0] == 0
    assert rows[-1] == 10 * bi.MAX_POOL_SERIES - 1
    np.testing.assert_array_equal(bi.pool_rows(3), [0, 1, 2])


def test_a_step_with_too_few_residuals_borrows_its_neighbours():
    residuals = np.full((40, 3), NAN)
    residuals[:, 0] = np.linspace(-1, 1, 40)  # step 0: 40 residuals
    residuals[:2, 2] = 100.0  # step 2: two, too few for the 0.025 quantile
    q = bi.pooled_quantiles(residuals, (0.025, 0.975))
    np.testing.assert_allclose(q[0], np.quantile(residuals[:, 0], [0.025, 0.975]))
    # step 2 borrows step 1 (empty), then step 0; step 1 borrows both its neighbours
    pool = np.concatenate([residuals[:2, 2], residuals[:, 0]])
    np.testing.assert_allclose(q[2], np.quantile(pool, [0.025, 0.975]))
    np.testing.assert_allclose(q[1], np.quantile(pool, [0.025, 0.975]))
    np.testing.assert_array_equal(bi.pooled_quantiles(np.full((4, 2), NAN), (0.1, 0.9)), 0.0)


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_cost_stays_bounded_on_long_series(name):
    """Each past origin costs one call of the baseline: at most MAX_ORIGINS of them however
    long the series, all within the last few horizons. Counted, not timed: timings flake on a
    shared machine, and speed is measured in bench/."""
    history = np.random.default_rng(0).normal(size=(3, 50_000)).cumsum(axis=1)
    cuts: list[int] = []

    def counted(h, horizon, **kw):
        cuts.append(h.shape[1])
        return BASELINES[name](h, horizon, **kw)

    point = BASELINES[name](history, 24, season_length=24, window=24)
    bi.baseline_quantiles(
        history, point, counted, 24, TAUS, mase_scale(history, 24), season_length=24, window=24
    )
    assert 0 < len(cuts) <= bi.MAX_ORIGINS
    assert min(cuts) >= 50_000 - (3 * 24 + 24)


def test_shapes_are_checked():
    with pytest.raises(ValueError, match="point"):
        bi.baseline_quantiles(np.zeros((2, 5)), np.zeros((2, 4)), naive, 3, TAUS, np.ones(2))
    with pytest.raises(ValueError, match="taus"):
        bi.baseline_quantiles(np.zeros((1, 5)), np.zeros((1, 3)), naive, 3, (0.9, 0.1), np.ones(1))


def test_origins_with_too_little_history_are_left_out():
    """min_history 6 of a 10-point row: only the cuts that keep 6 points or more (1 to 4 points
    cut) give residuals; a row of 4 points keeps its longest origin (all but one point)."""
    history = np.vstack([np.arange(10.0) ** 1.5, np.r_[np.full(6, NAN), 1.0, 3.0, 2.0, 5.0]])
    offsets = np.arange(1, 10)
    scale = np.ones(2)
    out = bi.scaled_residuals(history, naive, 1, scale, offsets, min_history=6).reshape(9, 2)
    kept = np.isfinite(out)
    np.testing.assert_array_equal(kept[:, 0], offsets <= 4)
    np.testing.assert_array_equal(kept[:, 1], offsets == 1)
    every = bi.scaled_residuals(history, naive, 1, scale, offsets).reshape(9, 2)
    np.testing.assert_array_equal(np.isfinite(every[:, 0]), np.ones(9, bool))  # default: all


def test_theta_intervals_of_short_seasonal_series_read_origins_it_can_adjust(monkeypatch):
    """Two years and two months of a strong monthly season: from origins under 18 points the
    Theta method cannot adjust for the season, and their errors made the 95% intervals about
    ten times as wide as from the origins it can (the Theta-only model's intervals)."""
    from forecastr.baselines import history_needed, theta

    rng = np.random.default_rng(0)
    season = np.array([0.6, 0.7, 0.9, 1.0, 1.2, 1.5, 1.7, 1.6, 1.2, 0.9, 0.7, 0.6])
    t = np.arange(26)
    history = np.stack(
        [(100 + 2 * t) * season[(t + k) % 12] * rng.normal(1, 0.03, 26) for k in range(5)]
    )
    taus = (0.025, 0.1, 0.9, 0.975)
    point = theta(history, 12, season_length=12)
    scale = mase_scale(history, 12)
    need = history_needed(theta, 12)
    assert need == 18
    kept = bi.baseline_quantiles(history, point, theta, 12, taus, scale, season_length=12)
    monkeypatch.setattr(bi, "history_needed", lambda method, m: 1)  # every origin, as before
    every = bi.baseline_quantiles(history, point, theta, 12, taus, scale, season_length=12)
    width = kept[..., 3] - kept[..., 0]
    assert (width > 0).all() and (np.diff(kept, axis=-1) >= 0).all()
    assert width.mean() < 0.2 * (every[..., 3] - every[..., 0]).mean()
