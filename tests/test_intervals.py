"""The interval vocabulary and the split-conformal arithmetic (forecastr/intervals.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr.errors import InputError
from forecastr.intervals import (
    Calibration,
    conformal_fit,
    conformal_rank,
    level_bounds,
    needed_residuals,
    network_quantiles,
    output_columns,
    outward_monotone,
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


def _fixed_width(n: int, h: int, half: float) -> tuple[np.ndarray, np.ndarray]:
    """A point forecast of 0 and raw 0.1/0.9 quantiles at -half/+half, (n, h) and (n, h, 2)."""
    q = np.stack([np.full((n, h), -half), np.full((n, h), half)], axis=-1)
    return np.zeros((n, h)), q


@pytest.mark.parametrize("half", [0.2, 5.0])
def test_calibration_reaches_the_promised_coverage_on_data_with_known_noise(half):
    """Raw 80% intervals far too narrow (+-0.2 for N(0, 1) noise) are widened to cover 80%
    of new points, and ones far too wide (+-5) narrowed to 80%; each end holds its 10%."""
    rng = np.random.default_rng(0)
    point, q = _fixed_width(2000, 3, half)
    cal = conformal_fit(rng.normal(size=(2000, 3)), point, q, (0.1, 0.9))
    assert cal.guaranteed and (cal.count == 2000).all() and (cal.shift == 0).all()
    lo, hi = -half * cal.factor[:, 0], half * cal.factor[:, 1]
    y_new = rng.normal(size=(20000, 3))
    covered = ((y_new >= lo) & (y_new <= hi)).mean()
    assert abs(covered - 0.8) < 0.02, covered
    assert abs((y_new < lo).mean() - 0.1) < 0.015


def test_calibration_keeps_heteroscedastic_widths():
    """Windows whose raw interval is twice as wide (noise twice as large) keep twice the
    width: the factor scales each window's own offsets."""
    rng = np.random.default_rng(2)
    sd = np.where(np.arange(4000) % 2 == 0, 1.0, 2.0)[:, None]  # (N, 1)
    q = np.stack([-0.3 * sd * np.ones((1, 2)), 0.3 * sd * np.ones((1, 2))], axis=-1)
    cal = conformal_fit(rng.normal(size=(4000, 2)) * sd, np.zeros((4000, 2)), q, (0.1, 0.9))
    y_new = rng.normal(size=(4000, 2)) * sd
    inside = (y_new >= q[..., 0] * cal.factor[:, 0]) & (y_new <= q[..., 1] * cal.factor[:, 1])
    calm, wild = inside[sd[:, 0] == 1].mean(), inside[sd[:, 0] == 2].mean()
    assert abs(calm - 0.8) < 0.03 and abs(wild - 0.8) < 0.03


def test_a_centre_quantile_moves_and_the_others_follow_it():
    rng = np.random.default_rng(3)
    y = rng.normal(loc=1.0, size=(3000, 1))  # the raw median (0) is 1 too low
    q = np.stack([np.full((3000, 1), v) for v in (-1.0, 0.0, 1.0)], axis=-1)
    cal = conformal_fit(y, np.zeros((3000, 1)), q, (0.1, 0.5, 0.9))
    assert abs(cal.shift[0] - 1.0) < 0.1
    assert cal.factor[0, 1] == 1.0  # the centre's own factor is unused
    new = rng.normal(loc=1.0, size=20000)
    centre = cal.shift[0]
    lo, hi = centre - cal.factor[0, 0], centre + cal.factor[0, 2]
    assert abs(((new >= lo) & (new <= hi)).mean() - 0.8) < 0.03


def test_steps_with_few_scores_borrow_their_neighbours():
    rng = np.random.default_rng(1)
    y = np.full((10, 4), np.nan)
    y[:, 3] = rng.normal(size=10)  # only the last step is observed everywhere
    y[:5, 2] = rng.normal(size=5)
    point, q = _fixed_width(10, 4, 1.0)
    cal = conformal_fit(y, point, q, (0.1, 0.9))
    assert cal.count.tolist() == [15, 15, 15, 10]  # step 0 reaches out to steps 2 and 3
    assert cal.guaranteed
    point, q = _fixed_width(10, 4, 1.0)
    q95 = q * np.array([2.0, 2.0])
    cal = conformal_fit(y, point, q95, (0.025, 0.975))  # 39 scores needed, 15 exist
    assert not cal.guaranteed and cal.count.tolist() == [15, 15, 15, 15]


def test_no_scores_leave_the_quantiles_as_they_are_without_a_guarantee():
    point, q = _fixed_width(3, 2, 1.0)
    cal = conformal_fit(np.full((3, 2), np.nan), point, q, (0.1, 0.9))
    assert not cal.guaranteed and (cal.factor == 1).all() and (cal.count == 0).all()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.lists(st.floats(0, 5, allow_nan=False), min_size=2, max_size=7),
    st.integers(1, 6),
)
def test_outward_monotone_factors_only_grow_and_keep_quantiles_in_order(values, h):
    taus = (0.01, 0.05, 0.2, 0.5, 0.7, 0.95, 0.99)[: len(values)]
    factor = np.tile(np.asarray(values), (h, 1))
    out = outward_monotone(factor, taus)
    assert (out >= factor).all()
    # offsets from the centre: negative below 0.5, positive above, growing outwards
    offsets = np.array([t - 0.5 for t in taus]) * 3
    calibrated = np.where(np.array(taus) == 0.5, 0.0, offsets * out)
    assert (np.diff(calibrated, axis=1) >= 0).all()


def test_calibration_round_trips_as_plain_numbers():
    cal = Calibration(np.array([[0.5, 1.25]]), np.array([0.1]), np.array([12]), True, 3, 2)
    d = cal.to_dict()
    assert d["factor"] == [[0.5, 1.25]] and d["count"] == [12] and d["guaranteed"] is True
    back = Calibration.from_dict(d)
    assert np.array_equal(back.factor, cal.factor) and back.windows == 3
