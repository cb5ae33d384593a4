"""The ETS member's own widths in the blended intervals of one short seasonal series: its
state-space spread against a hand computation and simulated noise, its quantiles, its share
of the blend, and the stored flag (combine.ThetaMix.ets_widths)."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest
from test_combine import QuantileStandIn

from forecastr.baseline_intervals import ets_quantiles
from forecastr.combine import (
    ETS_SHARE,
    Combined,
    ThetaMix,
    blended_quantiles,
    check_mix,
    unpadded,
)
from forecastr.errors import ArtifactError
from forecastr.ets import REVISION, ets_fit, ets_forecast, spread
from forecastr.jsonfields import Where

PROFILE = np.array([0.0, 3.0, 5.0, 2.0, -1.0, -4.0, -6.0, -3.0, 0.0, 2.0, 4.0, -2.0])


def test_the_spread_is_the_linear_forms_variance():
    # damped trend, season 2: c_j = alpha + beta (phi + ... + phi^j) + gamma [j even]
    alpha, beta, gamma, phi = 0.3, 0.1, 0.2, 0.9
    c = [
        alpha + beta * sum(phi**i for i in range(1, j + 1)) + gamma * (j % 2 == 0)
        for j in (1, 2, 3, 4)
    ]
    sigma2 = 20.0 / (24 - 4)
    want = np.sqrt(sigma2 * (1.0 + np.r_[0.0, np.cumsum(np.square(c))]))
    got = spread(20.0, 24, 4, 5, 2, (alpha, beta, gamma, phi), "Ad", True)
    np.testing.assert_allclose(got, want)
    # no trend, no season: simple exponential smoothing's sigma^2 (1 + (h - 1) alpha^2)
    plain = spread(20.0, 24, 4, 3, 2, (alpha, 0.0, 0.0, 1.0), "N", False)
    np.testing.assert_allclose(plain, np.sqrt(1.0 + np.arange(3) * alpha**2))
    # a linear trend: beta j
    linear = spread(20.0, 24, 4, 3, 12, (alpha, beta, 0.0, 1.0), "A", True)
    np.testing.assert_allclose(
        linear[2], np.sqrt(1 + (alpha + beta) ** 2 + (alpha + 2 * beta) ** 2)
    )


def test_the_spread_covers_simulated_noise_at_its_level():
    rng = np.random.default_rng(7)
    z = NormalDist().inv_cdf(0.975)
    inside = total = 0
    for _ in range(40):
        level, values = 100.0, []
        for t in range(84):  # a local level with a fixed season, unit noise
            e = rng.normal()
            values.append(level + 4.0 * PROFILE[t % 12] + e)
            level += 0.3 * e
        x = np.array(values)
        fc, sd = ets_fit(x[None, :72], 12, 12)
        assert np.isfinite(sd).all() and (np.diff(sd[0]) >= -1e-12).all()  # grows with h
        inside += int((np.abs(x[72:] - fc[0]) <= z * sd[0]).sum())
        total += 12
    assert 0.88 <= inside / total <= 0.99


def test_the_quantiles_are_ordered_and_nan_where_no_form_fits():
    t = np.arange(60)
    rows = np.vstack(
        [
            100 + 0.5 * t + 5 * PROFILE[t % 12] + np.sin(t),
            np.r_[np.full(30, np.nan), np.arange(30.0)],  # under three seasons
        ]
    )
    fc, sd = ets_fit(rows, 6, 12)
    taus = (0.025, 0.1, 0.9, 0.975)
    q = ets_quantiles(rows, fc, sd, taus, 12)
    assert np.isfinite(q[0]).all() and np.isnan(q[1]).all()
    assert (np.diff(q[0], axis=-1) >= 0).all()
    normal = fc[0, :, None] + sd[0, :, None] * np.array([NormalDist().inv_cdf(p) for p in taus])
    assert (q[0, :, 0] <= normal[:, 0] + 1e-9).all() and (q[0, :, -1] >= normal[:, -1] - 1e-9).all()


def _rows():
    season = np.tile([1.0, 3.0, 2.0], 6) + np.arange(18) * 0.1 + np.r_[0, 0.2, -0.1].repeat(6)
    return np.vstack([season, np.r_[np.full(12, 5.0), 6.0, 5.0, 6.0, 4.0, 5.0, 6.0]])


def test_the_blend_gives_the_member_its_share_of_the_widths():
    rows = _rows()
    two = Combined(QuantileStandIn(), ThetaMix(0.5, 3, 18, {}, blend=True, ets=REVISION))
    three = Combined(
        QuantileStandIn(), ThetaMix(0.5, 3, 18, {}, blend=True, ets=REVISION, ets_widths=True)
    )
    point, q3 = three.forecast_quantiles(rows, ["a", "b"])
    point2, q2 = two.forecast_quantiles(rows, ["a", "b"])
    np.testing.assert_allclose(point, point2)  # the same forecast
    np.testing.assert_allclose(point, three.forecast(rows, ["a", "b"]))
    member = ets_fit(unpadded(rows), 2, 3)
    own = ets_quantiles(unpadded(rows), *member, (0.1, 0.9), 3) - member[0][..., None]
    want = point[0, :, None] + (1 - ETS_SHARE) * (q2[0] - point2[0, :, None]) + ETS_SHARE * own[0]
    np.testing.assert_allclose(q3[0], want)
    # the second row is under three seasons long once its padding is left out: two members
    np.testing.assert_allclose(q3[1], q2[1])
    assert (q3[..., 0] <= point).all() and (point <= q3[..., 1]).all()
    assert not np.allclose(q3[0], q2[0])
    assert "the Theta method's and ETS's own" in three.interval_method
    assert "ETS's own" not in two.interval_method
    # blended_quantiles without the member is the two-member blend
    net = np.stack([-np.ones((2, 2)), np.ones((2, 2))], -1)
    th = np.asarray(ets_forecast(rows, 2, 3))
    th = np.where(np.isfinite(th), th, 5.0)
    mix = ThetaMix(0.5, 3, 18, {}, blend=True)
    np.testing.assert_allclose(
        blended_quantiles(th, net, th, unpadded(rows), (0.1, 0.9), mix, None),
        blended_quantiles(th, net, th, unpadded(rows), (0.1, 0.9), mix),
    )


def test_the_flag_is_stored_only_when_set_and_checked_on_load():
    w = Where("config.json", "train again")
    plain = ThetaMix(0.5, 12, 30, {}, blend=True, ets=REVISION)
    assert "ets_widths" not in plain.to_dict()
    assert not check_mix(w, {"theta": plain.to_dict()}, 4).ets_widths  # saved before: as then
    stored = ThetaMix(0.5, 12, 30, {}, blend=True, ets=REVISION, ets_widths=True).to_dict()
    assert stored["ets_widths"] is True
    assert check_mix(w, {"theta": stored}, 4).ets_widths
    with pytest.raises(ArtifactError, match=r"theta\.ets_widths is 'yes'"):
        check_mix(w, {"theta": {**stored, "ets_widths": "yes"}}, 4)
