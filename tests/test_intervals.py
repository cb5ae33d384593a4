"""The interval vocabulary and the split-conformal arithmetic (forecastr/intervals.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr.errors import InputError
from forecastr.intervals import (
    Calibration,
    Nesting,
    apply_calibration,
    conformal_fit,
    conformal_rank,
    level_bounds,
    needed_residuals,
    network_quantiles,
    output_columns,
    parse_levels,
    parse_quantiles,
    tau_index,
)


def test_levels_and_quantiles_parse_sort_and_refuse_in_one_line():
    assert parse_levels("95,80") == (80.0, 95.0)
    assert parse_levels([80, 80, 99.5]) == (80.0, 99.5)
    assert parse_levels(None) == () and parse_levels("") == ()
    assert parse_quantiles("0.9, 0.1,0.5") == (0.1, 0.5, 0.9)
    for bad in ("0", "100", "120", "-5", "abc", "nan", "inf"):
        with pytest.raises(InputError, match="--level") as err:
            parse_levels(bad)
        assert "\n" not in str(err.value)
    for bad in ("0", "1", "1.5", "x"):
        with pytest.raises(InputError, match="--quantiles"):
            parse_quantiles(bad)
    with pytest.raises(InputError, match="--level"):
        parse_levels([True])


def test_levels_map_to_their_bounds_and_columns_follow_the_issue_order():
    assert level_bounds(80) == (0.1, 0.9)
    assert level_bounds(95) == (0.025, 0.975)
    taus = network_quantiles((80.0, 95.0), (0.5, 0.9))
    assert taus == (0.025, 0.1, 0.5, 0.9, 0.975)
    cols = output_columns((80.0, 95.0), (0.5,))
    assert [c for c, _ in cols] == ["lo-80", "hi-80", "lo-95", "hi-95", "q-0.5"]
    assert [tau_index(taus, t) for _, t in cols] == [1, 3, 0, 4, 2]
    assert output_columns((99.5,), ())[0] == ("lo-99.5", 0.0025)
    with pytest.raises(InputError, match="at most 99"):
        network_quantiles((), [i / 200 for i in range(1, 200)])


def test_conformal_ranks_are_the_finite_sample_ones():
    # n = 19: the upper 0.9 quantile is the ceil(20 * 0.9) = 18th score; a lower 0.1 one,
    # whose negative offset flips the order, the ceil(20 * 0.9) = 18th too; 0.975 needs
    # n >= 39 scores to stay inside the sample.
    assert conformal_rank(19, 0.9) == 18
    assert conformal_rank(19, 0.1) == 18
    assert conformal_rank(19, 0.975) == 20  # past n: too few scores for a guarantee
    assert needed_residuals((0.025, 0.975)) == 39
    assert needed_residuals((0.1, 0.9)) == 9


def _fixed_width(n: int, h: int, half: float) -> np.ndarray:
    """Outputs (n, h, 3): a point forecast of 0 and raw 0.1/0.9 quantiles at -half/+half."""
    return np.stack([np.zeros((n, h)), np.full((n, h), -half), np.full((n, h), half)], axis=-1)


@pytest.mark.parametrize("half", [0.2, 5.0])
def test_calibration_reaches_the_promised_coverage_on_data_with_known_noise(half):
    """Raw 80% intervals far too narrow (+-0.2 for N(0, 1) noise) are widened to cover 80%
    of new points, and ones far too wide (+-5) narrowed to 80%; each end holds its 10%."""
    rng = np.random.default_rng(0)
    cal = conformal_fit(rng.normal(size=(2000, 3)), _fixed_width(2000, 3, half), (0.1, 0.9))
    assert cal.guaranteed and (cal.count == 2000).all() and (cal.shift == 0).all()
    q = apply_calibration(_fixed_width(1, 3, half), cal, (0.1, 0.9))[0]  # (H, 2)
    y_new = rng.normal(size=(20000, 3))
    covered = ((y_new >= q[:, 0]) & (y_new <= q[:, 1])).mean()
    assert abs(covered - 0.8) < 0.02, covered
    assert abs((y_new < q[:, 0]).mean() - 0.1) < 0.015


def test_calibration_keeps_heteroscedastic_widths():
    """Windows whose raw interval is twice as wide (noise twice as large) keep a wider one:
    a factor scales each window's own increment (plus a margin common to all windows), and
    the coverage over all windows is the level's."""
    rng = np.random.default_rng(2)
    sd = np.where(np.arange(4000) % 2 == 0, 1.0, 2.0)[:, None]  # (N, 1)
    v = np.stack([np.zeros((4000, 2)), -0.3 * sd * np.ones((1, 2)), 0.3 * sd * np.ones((1, 2))], -1)
    cal = conformal_fit(rng.normal(size=(4000, 2)) * sd, v, (0.1, 0.9))
    q = apply_calibration(v, cal, (0.1, 0.9))
    y_new = rng.normal(size=(4000, 2)) * sd
    inside = (y_new >= q[..., 0]) & (y_new <= q[..., 1])
    assert abs(inside.mean() - 0.8) < 0.02
    width = q[..., 1] - q[..., 0]
    calm, wild = sd[:, 0] == 1, sd[:, 0] == 2
    assert width[wild].mean() > 1.4 * width[calm].mean()
    assert 0.7 < inside[wild].mean() < 0.8 < inside[calm].mean() < 0.9


def test_outer_quantiles_calibrate_on_their_own_increments():
    """Raw 0.025/0.975 bounds too wide and 0.1/0.9 ones too narrow are each put right: the
    outer factor scales only the increment beyond the inner quantile."""
    rng = np.random.default_rng(4)
    taus = (0.025, 0.1, 0.9, 0.975)
    raw = np.array([0.0, -6.0, -0.5, 0.5, 6.0])  # point, then the four quantiles
    v = np.broadcast_to(raw, (5000, 1, 5))
    cal = conformal_fit(rng.normal(size=(5000, 1)), v, taus)
    q = apply_calibration(v[:1], cal, taus)[0, 0]
    np.testing.assert_allclose(q, [-1.96, -1.28, 1.28, 1.96], atol=0.12)


def test_a_centre_quantile_moves_and_the_others_follow_it():
    rng = np.random.default_rng(3)
    y = rng.normal(loc=1.0, size=(3000, 1))  # the raw median (0) is 1 too low
    v = np.broadcast_to(np.array([0.0, -1.0, 0.0, 1.0]), (3000, 1, 4))
    taus = (0.1, 0.5, 0.9)
    cal = conformal_fit(y, v, taus)
    assert abs(cal.shift[0] - 1.0) < 0.1
    q = apply_calibration(v[:1], cal, taus)[0, 0]
    assert q[1] == pytest.approx(cal.shift[0])
    new = rng.normal(loc=1.0, size=20000)
    assert abs(((new >= q[0]) & (new <= q[2])).mean() - 0.8) < 0.03


def test_steps_with_few_scores_borrow_their_neighbours():
    rng = np.random.default_rng(1)
    y = np.full((10, 4), np.nan)
    y[:, 3] = rng.normal(size=10)  # only the last step is observed everywhere
    y[:5, 2] = rng.normal(size=5)
    cal = conformal_fit(y, _fixed_width(10, 4, 1.0), (0.1, 0.9))
    assert cal.count.tolist() == [15, 15, 15, 10]  # step 0 reaches out to steps 2 and 3
    assert cal.guaranteed
    cal = conformal_fit(y, _fixed_width(10, 4, 2.0), (0.025, 0.975))  # 39 needed, 15 exist
    assert not cal.guaranteed and cal.count.tolist() == [15, 15, 15, 15]


def test_no_scores_leave_the_quantiles_as_they_are_without_a_guarantee():
    cal = conformal_fit(np.full((3, 2), np.nan), _fixed_width(3, 2, 1.0), (0.1, 0.9))
    assert not cal.guaranteed and (cal.factor == 1).all() and (cal.count == 0).all()


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    st.lists(st.sampled_from([0.01, 0.05, 0.2, 0.5, 0.7, 0.95, 0.99]), min_size=1, unique=True),
    st.lists(st.floats(0, 50, allow_nan=False), min_size=7, max_size=7),
    st.lists(st.floats(0.0, 1e3, allow_nan=False), min_size=7, max_size=7),
    st.floats(-5, 5),
)
def test_calibrated_quantiles_never_cross_for_any_factors(taus, gaps, factors, shift):
    """Whatever the factors (>= 0) and the centre's shift, nested quantiles keep their order
    and the centre stays inside every interval."""
    taus = tuple(sorted(taus))
    t = np.array(taus)
    c = next((i for i, x in enumerate(taus) if x == 0.5), None)
    m = 0.3  # the centre: the 0.5 quantile if asked for, else the point
    raw = np.full(len(taus), m)
    upper, lower = np.flatnonzero(t > 0.5), np.flatnonzero(t < 0.5)[::-1]
    raw[upper] = m + np.cumsum(gaps[: len(upper)])
    raw[lower] = m - np.cumsum(gaps[len(upper) : len(upper) + len(lower)])
    point = m - 0.7 if c is not None else m
    v = np.concatenate([[point], raw])[None, None]  # (1, 1, 1 + K)
    shift = shift if c is not None else 0.0  # only a 0.5 quantile moves the centre
    k = len(taus)
    cal = Calibration(
        np.asarray(factors[:k])[None],
        np.full((1, k), 0.25),
        np.array([shift]),
        np.array([1]),
        True,
        1,
        1,
    )
    q = apply_calibration(v, cal, taus)[0, 0]
    assert (np.diff(q) >= -1e-9).all()
    assert (q[t < 0.5] <= m + shift + 1e-9).all() and (q[t > 0.5] >= m + shift - 1e-9).all()


def test_the_nesting_matrices_rebuild_each_quantile_from_the_centre():
    taus = (0.025, 0.1, 0.5, 0.9, 0.975)
    nest = Nesting.of(taus)
    assert nest.centre == 3 and nest.inner == (2, 3, -1, 3, 4)
    diff, path = nest.matrices()
    v = np.array([10.0, 1.0, 2.0, 4.0, 7.0, 11.0])  # point, then the quantiles
    inc = v @ diff
    np.testing.assert_allclose(inc, [-1.0, -2.0, 0.0, 3.0, 4.0])
    np.testing.assert_allclose(v[3] + inc @ path, v[1:])


def test_calibration_round_trips_as_plain_numbers():
    cal = Calibration(
        np.array([[0.5, 1.25]]), np.array([[0.1, 0.2]]), np.array([0.1]), np.array([12]), True, 3, 2
    )
    d = cal.to_dict()
    assert d["factor"] == [[0.5, 1.25]] and d["margin"] == [[0.1, 0.2]]
    assert d["count"] == [12] and d["guaranteed"] is True
    back = Calibration.from_dict(d)
    assert np.array_equal(back.factor, cal.factor) and back.windows == 3


def test_few_distinct_points_only_widen_and_void_the_guarantee():
    """Twelve held-out points each forecast from four origins are 48 scores but 12 points:
    too few for a 95% interval, so the calibration may not narrow the raw intervals."""
    rng = np.random.default_rng(5)
    y = np.repeat(rng.normal(scale=0.1, size=(12, 1)), 4, axis=1)  # (12, 4): tiny residuals
    targets = np.repeat(np.arange(12)[:, None], 4, axis=1)
    v = _fixed_width(12, 4, 3.0)  # raw 80% bounds at +-3: far too wide for this noise
    narrowed = conformal_fit(y, v, (0.1, 0.9))  # 48 scores, each its own point: narrows
    assert narrowed.guaranteed and (narrowed.factor < 0.5).all()
    cal = conformal_fit(y, _fixed_width(12, 4, 3.0), (0.025, 0.975), targets=targets)
    assert not cal.guaranteed and (cal.count == 12).all()
    assert (cal.factor >= 1.0).all()
