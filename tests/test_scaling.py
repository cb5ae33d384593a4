"""Per-series scalers: fitted on the training part only, exact inverses, plain-number params."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import make_panel
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr.scaling import SCALERS, ScalerParams, fit_scaler
from forecastr.windows import split_panel


def concat(series: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(y, start, end) of series stored back to back."""
    lengths = np.array([len(s) for s in series], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return np.concatenate(series).astype(np.float64), offsets[:-1], offsets[1:]


def test_standard_matches_numpy():
    y, start, end = concat([np.array([1.0, 2, 3, 4]), np.array([10.0, 30])])
    p = fit_scaler("standard", y, start, end)
    np.testing.assert_allclose(p.loc, [2.5, 20])
    np.testing.assert_allclose(p.scale, [np.std([1, 2, 3, 4]), 10])


def test_minmax_maps_training_range_to_unit_interval():
    y, start, end = concat([np.array([3.0, 5, 9]), np.array([-2.0, 2])])
    p = fit_scaler("minmax", y, start, end)
    np.testing.assert_allclose(p.loc, [3, -2])
    np.testing.assert_allclose(p.scale, [6, 4])
    z = p.transform_panel(y, np.array([0, 3, 5]))
    np.testing.assert_allclose(z, [0, 1 / 3, 1, 0, 1])


def test_robust_uses_median_and_iqr():
    series = np.array([1.0, 2, 3, 4, 100])
    y, start, end = concat([series])
    p = fit_scaler("robust", y, start, end)
    q1, med, q3 = np.percentile(series, [25, 50, 75])
    np.testing.assert_allclose(p.loc, [med])
    np.testing.assert_allclose(p.scale, [q3 - q1])


def test_none_is_identity():
    y, start, end = concat([np.array([1.0, 2]), np.array([5.0, 6, 7])])
    p = fit_scaler("none", y, start, end)
    np.testing.assert_array_equal(p.transform_panel(y, np.array([0, 2, 5])), y)


@pytest.mark.parametrize("kind", SCALERS)
def test_constant_series_gets_scale_one(kind):
    y, start, end = concat([np.full(20, 7.5), np.array([1.0, 2.0, 3.0])])
    with np.errstate(all="raise"):  # no division by zero anywhere
        p = fit_scaler(kind, y, start, end)
        z = p.transform_panel(y, np.append(start, end[-1]))[:20]  # the constant series
    assert p.scale[0] == 1.0
    assert np.all(np.isfinite(z))
    if kind != "none":
        np.testing.assert_allclose(z, 0.0)


@pytest.mark.parametrize("kind", SCALERS)
def test_fitted_only_on_the_training_part(kind):
    panel = make_panel([60, 45, 52], seed=3)
    split = split_panel(panel, window=8, horizon=4)
    before = fit_scaler(kind, panel.y, split.start, split.train_end)
    y = panel.y.copy()
    rng = np.random.default_rng(0)
    for i in range(panel.n_series):  # wreck validation and test: nothing fitted may change
        y[split.train_end[i] : split.end[i]] = rng.normal(
            1e6, 1e5, split.end[i] - split.train_end[i]
        )
    after = fit_scaler(kind, y, split.start, split.train_end)
    np.testing.assert_array_equal(before.loc, after.loc)
    np.testing.assert_array_equal(before.scale, after.scale)


@pytest.mark.parametrize("kind", SCALERS)
def test_padded_and_per_series_fits_agree(kind):
    """Very unequal lengths switch from one padded matrix to a per-series loop."""
    rng = np.random.default_rng(5)
    y, start, end = concat([rng.normal(3, 2, n) for n in (500, 3, 40, 7)])
    matrix = fit_scaler(kind, y, start, end, max_padding=1e9)
    loop = fit_scaler(kind, y, start, end, max_padding=0)
    np.testing.assert_allclose(matrix.loc, loop.loc, rtol=1e-12)
    np.testing.assert_allclose(matrix.scale, loop.scale, rtol=1e-12)


def test_to_dict_from_dict_json_round_trip():
    p = fit_scaler("robust", *concat([np.array([0.1, 0.7, 0.3, 1e-9]), np.array([5.0, 5.0])]))
    text = json.dumps(p.to_dict())
    q = ScalerParams.from_dict(json.loads(text))
    assert q.kind == p.kind
    np.testing.assert_array_equal(q.loc, p.loc)  # exact: JSON floats round-trip bit for bit
    np.testing.assert_array_equal(q.scale, p.scale)
    assert q.loc.dtype == np.float64
    assert all(isinstance(v, float) for v in p.to_dict()["loc"])


def test_unknown_kind():
    with pytest.raises(ValueError, match="unknown scaler 'zscore'"):
        fit_scaler("zscore", np.ones(3), np.array([0]), np.array([3]))


def test_empty_training_part_is_refused():
    with pytest.raises(ValueError, match="at least one training point"):
        fit_scaler("standard", np.ones(3), np.array([0, 2]), np.array([2, 2]))


values = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(
    kind=st.sampled_from(SCALERS),
    series=st.lists(st.lists(values, min_size=1, max_size=30), min_size=1, max_size=5),
)
def test_round_trip(kind, series):
    y, start, end = concat([np.asarray(s) for s in series])
    p = fit_scaler(kind, y, start, end)
    assert np.all(np.isfinite(p.loc)) and np.all(p.scale > 0)
    offsets = np.append(start, end[-1])
    z = p.transform_panel(y, offsets)
    which = np.repeat(np.arange(len(series)), np.diff(offsets))
    np.testing.assert_allclose(z, (y - p.loc[which]) / p.scale[which])
    # the inverse, as the model's Scaled wrapper applies it to forecasts
    np.testing.assert_allclose(z * p.scale[which] + p.loc[which], y, rtol=1e-9, atol=1e-6)
    q = ScalerParams.from_dict(json.loads(json.dumps(p.to_dict())))
    np.testing.assert_array_equal(q.transform_panel(y, offsets), z)
