"""An integer index names no season: its default horizon follows the shortest season found in
the data, in ``info``, ``train`` and a baselines-only ``evaluate`` alike, whose report then has
seasonal naive at each season found (forecastr.autoconfig.horizon_and_seasons)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecastr import api
from forecastr.autoconfig import horizon_and_seasons, resolve_model_config
from forecastr.cli import app
from forecastr.frequency import horizon_for_season


@pytest.mark.parametrize(
    ("season", "horizon"),
    [(48, 48), (24, 24), (12, 12), (4, 8), (7, 14), (52, 13), (1440, 60), (37, 37), (3, 10),
     (500, 10)],
)  # fmt: skip
def test_the_horizon_of_a_season_is_the_calendars_with_it(season, horizon):
    assert horizon_for_season(season) == horizon


def half_hourly_steps(n: int, seed: int = 0) -> pd.DataFrame:
    """A half-hourly load curve (a day of 48 steps) with its timestamps dropped."""
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    y = 10 + 3 * np.sin(2 * np.pi * t / 48) + rng.normal(0, 0.3, n)
    return pd.DataFrame({"t": t, "load": y.round(4)})


def test_a_found_season_of_48_steps_gives_a_horizon_of_48_everywhere(tmp_path):
    path = tmp_path / "steps.csv"
    half_hourly_steps(1200).to_csv(path, index=False)
    described, panel = api.info(str(path))
    assert panel.freq is None and 48 in [s["period"] for s in described["seasons"]]
    assert described["default_horizon"] == 48
    cfg, seasons = resolve_model_config(panel, {}, None)
    assert cfg.horizon == 48 and 48 in [int(e.period) for e in seasons]
    # the horizon a user names stands, and so does the one a calendar gives
    assert resolve_model_config(panel, {"horizon": 7}, None)[0].horizon == 7
    report = api.evaluate(str(path))[0]
    assert report.horizon == 48 and report.season_length == 48


def test_series_too_short_for_two_such_horizons_keep_the_usual_ten(tmp_path):
    path = tmp_path / "short.csv"
    half_hourly_steps(180).to_csv(path, index=False)  # under 2 x (48 + 48) points
    _, panel = api.info(str(path))
    horizon, _ = horizon_and_seasons(panel, None)
    assert horizon == 10


def test_dates_keep_their_calendar_horizon(tmp_path):
    frame = half_hourly_steps(1200)
    frame["t"] = pd.date_range("2024-01-01", periods=1200, freq="30min")
    path = tmp_path / "dated.csv"
    frame.to_csv(path, index=False)
    described, _ = api.info(str(path))
    assert described["default_horizon"] == 48


def test_a_baselines_only_evaluate_scores_seasonal_naive_at_the_found_season(tmp_path):
    path = tmp_path / "steps.csv"
    half_hourly_steps(1200).to_csv(path, index=False)
    result = CliRunner().invoke(app, ["evaluate", str(path)])
    assert result.exit_code == 0, result.output
    assert "m=48" in result.output  # the MASE scale: seasonal naive at the day, not m=1
