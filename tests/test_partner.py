"""What the network is averaged with (forecastr.combine): the Theta method, or seasonal naive
at one of the file's seasons where validation shows it clearly better alone; chosen on the
same windows as the weight, stored, and applied alike from the model and the ONNX file."""

from __future__ import annotations

import shutil
import warnings
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
from test_combine import TINY, _trend_csv
from test_modelcheck import write_config
from test_train import panel_of, tiny

from forecastr import api
from forecastr.combine import (
    NOISE_MARGIN,
    PARTNER_MARGIN,
    Combined,
    ThetaMix,
    choose_partner,
    partner_part,
    partner_seasons,
)
from forecastr.config import TrainConfig
from forecastr.errors import ArtifactError, ForecastrWarning
from forecastr.export import export_onnx
from forecastr.holdout import choose_mix
from forecastr.present import theta_text
from forecastr.windows import split_panel

NAN = np.nan


def _windows(rows: int, theta_err: float, naive_err: float):
    """``rows`` windows of 4 steps with actual values 10, a scale of 1, and a Theta and a
    seasonal naive forecast (season 7) that miss them by the given errors."""
    actual = np.full((rows, 4), 10.0)
    return {7: actual + naive_err}, actual + theta_err, actual, np.ones(rows)


def test_seasonal_naive_replaces_theta_when_clearly_better_alone():
    season, scores = choose_partner(*_windows(400, theta_err=2.0, naive_err=1.0))
    assert season == 7
    assert scores == {"theta": 2.0, "seasonal naive 7": 1.0}


def test_theta_stays_when_seasonal_naive_is_only_a_little_better():
    # 400 windows: the bound is 0.9 - 0.3 / 20 = 0.885 times Theta's score
    bound = PARTNER_MARGIN - NOISE_MARGIN / 20
    assert choose_partner(*_windows(400, 2.0, 2.0 * bound * 1.01))[0] is None
    assert choose_partner(*_windows(400, 2.0, 2.0 * bound * 0.99))[0] == 7


@pytest.mark.parametrize(("rows", "ratio", "expected"), [(1, 0.65, None), (1, 0.55, 7)])
def test_one_window_needs_a_larger_lead(rows, ratio, expected):
    # one window: 0.9 - 0.3 = 0.6 times Theta's score or lower
    assert choose_partner(*_windows(rows, 1.0, ratio))[0] == expected


def test_the_best_season_is_the_one_tried_and_rows_not_all_scored_are_left_out():
    naive, theta_fc, actual, scale = _windows(3, theta_err=3.0, naive_err=2.0)
    naive[24] = actual + 0.5
    naive[24][0] = NAN  # a row one method cannot forecast is scored for none of them
    theta_fc[0] = actual[0]  # ... so Theta's exact row there does not count for it
    season, scores = choose_partner(naive, theta_fc, actual, scale)
    assert season == 24 and scores["theta"] == 3.0 and scores["seasonal naive 24"] == 0.5


def test_nothing_scored_keeps_theta():
    naive, theta_fc, actual, scale = _windows(2, 1.0, 0.0)
    assert choose_partner(naive, theta_fc, actual, np.zeros(2))[0] is None
    assert choose_partner({}, theta_fc, actual, scale)[0] is None


def test_the_seasons_tried_are_the_main_one_then_the_files_within_the_history():
    assert partner_seasons([168, 24], 24, 256) == [24, 168]
    assert partner_seasons([168, 24], 24, 100) == [24]  # a forecast reads 100 points
    assert partner_seasons([1], 1, 256) == []  # no season: the Theta method alone


def test_the_seasonal_naive_part_reads_each_row_from_its_first_real_point():
    rows = np.array([[5.0, 5.0, 5.0, 5.0, 1.0, 2.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    out = partner_part(rows, 3, "seasonal_naive", 3)
    # the first row holds 3 real points (the last leading repeat counts): one season
    np.testing.assert_array_equal(out, [[5.0, 1.0, 2.0], [4.0, 5.0, 6.0]])
    short = partner_part(rows[:1], 2, "seasonal_naive", 4)  # under a season: naive
    np.testing.assert_array_equal(short, [[2.0, 2.0]])


class _Net:
    name, window, horizon, ids = "NET", 4, 2, ["a"]

    def forecast(self, windows, ids):
        return np.repeat(windows[:, -1:], 2, axis=1)

    def forecast_quantiles(self, windows, ids):
        point = self.forecast(windows, ids)
        return point, np.stack([point - 1, point + 1], axis=-1)


def test_combined_averages_the_network_with_seasonal_naive():
    mix = ThetaMix(weight=0.5, season_length=3, context=6, scores={}, partner="seasonal_naive")
    fc = Combined(_Net(), mix)
    assert fc.name == "NET + seasonal naive 3"
    assert mix.to_dict()["partner"] == "seasonal_naive"
    rows = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    expected = 0.5 * np.array([[6.0, 6.0]]) + 0.5 * np.array([[4.0, 5.0]])
    np.testing.assert_allclose(fc.forecast(rows, ["a"]), expected)
    point, q = fc.forecast_quantiles(rows, ["a"])
    np.testing.assert_allclose(q[..., 1], point + 1)  # intervals move with the point forecast


# --- the choice in the holdout flow ---------------------------------------------------------

DAY, WEEK, HZ = 24, 168, 24


def _weekly(n: int = 1400, seed: int = 0) -> np.ndarray:
    """Hourly values whose weekend days sit far below the weekdays: the Theta method at the
    day's season carries Friday into Saturday, seasonal naive at the week does not."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    day = 10 + 3 * np.sin(2 * np.pi * t / DAY)
    weekend = (t // DAY) % 7 >= 5
    return day - 6 * weekend + rng.normal(0, 0.2, n)


def _trending(n: int = 1400, seed: int = 0) -> np.ndarray:
    """A noisy line: what the Theta method extrapolates and seasonal naive lags behind."""
    rng = np.random.default_rng(seed)
    return 10 + 0.05 * np.arange(n) + rng.normal(0, 0.3, n)


class _Scripted:
    """A network that misses every window by ``err`` (the validation window first)."""

    def __init__(self, y: np.ndarray, origins: list[int], err: float):
        self.outputs = [(y[o : o + HZ] + err)[None, :] for o in origins]

    def forecast(self, rows, ids):
        return self.outputs.pop(0)


def _choose(y: np.ndarray, horizons: int, net_err: float):
    panel = panel_of(y, freq="h")
    cfg = replace(tiny(season_length=1), window=48, horizon=HZ)
    split = split_panel(panel, cfg.window, HZ, val_size=horizons * HZ)
    origins = [int(split.val_end[0]) - (j + 1) * HZ for j in range(horizons)]
    run = SimpleNamespace(
        split=split, model_cfg=cfg, train_cfg=TrainConfig(epochs=10),
        summary={"epochs_run": [4]},
    )  # fmt: skip
    net = _Scripted(y, origins, net_err)
    mix = choose_mix(panel, run, net, DAY, horizons=horizons, seasons=[WEEK, DAY])
    return mix, run.summary["theta"]


def test_a_weekly_file_averages_the_network_with_seasonal_naive_at_the_week():
    mix, summary = _choose(_weekly(), horizons=7, net_err=3.0)
    assert mix is not None and mix.partner == "seasonal_naive" and mix.season_length == WEEK
    partner = summary["validation"]["partner"]
    assert partner["chosen"] == "seasonal naive 168"
    alone = partner["alone"]
    assert alone["seasonal naive 168"] < 0.5 * alone["theta"]
    assert alone["seasonal naive 168"] < alone["seasonal naive 24"]
    # the weight was scored with that partner: its alone score is weight 1's
    assert summary["validation"]["1"] == pytest.approx(alone["seasonal naive 168"])
    assert "with seasonal naive 168" in theta_text(summary)


def test_a_trending_file_keeps_the_theta_method():
    mix, summary = _choose(_trending(), horizons=7, net_err=3.0)
    assert mix is not None and mix.partner == "theta" and mix.season_length == DAY
    assert summary["validation"]["partner"]["chosen"] == "Theta"
    assert "with Theta" in theta_text(summary)


def test_the_network_alone_records_the_partner_it_was_compared_with():
    mix, summary = _choose(_weekly(), horizons=1, net_err=0.0)  # exact: kept alone
    assert mix is None and summary["weight"] == 0.0
    assert summary["validation"]["partner"]["chosen"] == "seasonal naive 168"


# --- stored, checked on load, applied by torch and the ONNX runtime -------------------------


@pytest.fixture(scope="module")
def naive_partner_model(tmp_path_factory):
    """(csv, model dir, onnx file): a combined model whose stored partner was edited to
    seasonal naive at 4, then exported."""

    tmp = tmp_path_factory.mktemp("partner")
    csv = _trend_csv(tmp / "trend.csv")
    api.train(str(csv), **TINY, horizon=4, out=str(tmp / "m"))
    write_config(tmp / "m", lambda c: c["theta"].update(partner="seasonal_naive", season_length=4))
    export_onnx(tmp / "m", tmp / "m.onnx")
    return csv, tmp / "m", tmp / "m.onnx"


def test_torch_and_onnx_average_with_the_stored_seasonal_naive(naive_partner_model):

    csv, model_dir, onnx_path = naive_partner_model
    fc, _, (values, _) = api.load_predictor(str(model_dir))
    assert isinstance(fc, Combined) and fc.name.endswith("+ seasonal naive 4")
    net = fc.inner.forecast(values[:, -fc.inner.window :], fc.ids)
    expected = 0.5 * net + 0.5 * partner_part(values, 4, "seasonal_naive", 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ForecastrWarning)  # no Theta, no revision to warn of
        stored = api.predict(str(model_dir))
        from_onnx = api.predict(str(onnx_path), str(csv))
    np.testing.assert_allclose(stored["forecast"].to_numpy(), expected.ravel(), rtol=1e-6)
    np.testing.assert_allclose(from_onnx["forecast"], stored["forecast"], rtol=1e-4)


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda c: c["theta"].update(partner="arima"), "theta.partner is 'arima'"),
        (lambda c: c["theta"].update(partner=1), "theta.partner is 1"),
        (lambda c: c["theta"].update(season_length=49), "theta.season_length is 49"),
    ],
)
def test_a_damaged_partner_is_refused_naming_the_field(
    naive_partner_model, tmp_path, edit, fragment
):

    dst = tmp_path / "m"
    shutil.copytree(naive_partner_model[1], dst)
    write_config(dst, edit)  # the context is 48: seasonal naive cannot read 49 back
    with pytest.raises(ArtifactError, match="theta") as err:
        api.predict(str(dst))
    assert fragment in str(err.value)


def test_a_model_saved_before_partners_averages_with_theta(naive_partner_model, tmp_path):

    dst = tmp_path / "m"
    shutil.copytree(naive_partner_model[1], dst)
    write_config(dst, lambda c: c["theta"].pop("partner"))
    fc, _, _ = api.load_predictor(str(dst))
    assert fc.mix.partner == "theta" and fc.name.endswith("+ Theta")
