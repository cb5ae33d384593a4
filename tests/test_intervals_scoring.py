"""Interval scoring in the backtest: the model's and the baselines' quantiles scored on the
same folds, the report's columns, JSON, best, skill sentence and notes; a point-only backtest
unchanged."""

import json
import re
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from forecastr.errors import ForecastrError, InputError
from forecastr.evaluate import backtest
from forecastr.intervals import network_quantiles, tau_index
from forecastr.metrics import METRICS, coverage, mase_scale, msis, scaled_pinball
from forecastr.panel import Panel
from forecastr.present import print_report
from forecastr.report import best_methods

INTERVAL_COLUMNS = ["coverage-80", "coverage-95", "msis-80", "msis-95", "pinball"]


def make_panel(n_series: int = 6, n: int = 72, noise: float = 1.0, seed: int = 0) -> Panel:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    ys = [
        10 + i + 3 * np.sin(2 * np.pi * t / 12) + rng.normal(0, noise, n) for i in range(n_series)
    ]
    ds = [pd.date_range("2015-01-01", periods=n, freq="MS").values for _ in ys]
    return Panel(
        ids=[f"s{i}" for i in range(n_series)],
        y=np.concatenate(ys),
        ds=np.concatenate(ds),
        offsets=np.arange(n_series + 1, dtype=np.int64) * n,
        freq="MS",
    )


class QuantileModel:
    """Point: the last season (the window's first ``horizon`` values); quantiles: the point
    plus ``spread`` times the normal quantile of each tau. Counts its calls."""

    name, window, horizon, train_end = "GRU", 12, 6, None

    def __init__(self, levels=(80, 95), quantiles=(), spread=1.0, name="GRU"):
        self.name, self.spread = name, spread
        self.levels, self.quantiles = tuple(levels), tuple(quantiles)
        self.network_quantiles = network_quantiles(levels, quantiles)
        self.calls = {"forecast": 0, "forecast_quantiles": 0}
        self.bad = None  # "nan" or "shape": answer wrongly

    def forecast(self, windows, series_ids):
        self.calls["forecast"] += 1
        return windows[:, : self.horizon]

    def forecast_quantiles(self, windows, series_ids):
        self.calls["forecast_quantiles"] += 1
        point = windows[:, : self.horizon]
        z = np.array([NormalDist().inv_cdf(t) for t in self.network_quantiles])
        q = point[..., None] + self.spread * z
        if self.bad == "nan":
            q[0, 0, 0] = np.nan
        if self.bad == "shape":
            q = q[..., 1:]
        return point, q


class PointModel:
    name, window, horizon, train_end = "GRU", 12, 6, None

    def forecast(self, windows, series_ids):
        return windows[:, : self.horizon]


def test_every_method_gets_interval_columns_and_json():
    panel = make_panel()
    model = QuantileModel()
    report = backtest(panel, horizon=6, season_length=12, folds=2, model=model)
    assert list(report.summary.columns) == ["method", *METRICS, *INTERVAL_COLUMNS]
    assert list(report.per_series.columns[3:]) == [*METRICS, *INTERVAL_COLUMNS]
    assert report.levels == (80.0, 95.0) and report.taus == (0.025, 0.1, 0.9, 0.975)
    assert set(report.quantile_forecasts) == set(report.methods)
    for q in report.quantile_forecasts.values():
        assert q.shape == (6, 6, 4) and np.isfinite(q).all()
    assert np.isfinite(report.summary[INTERVAL_COLUMNS].to_numpy()).all()
    data = report.to_dict(per_series=True)
    json.dumps(data, allow_nan=False)
    assert data["levels"] == [80.0, 95.0] and data["quantiles"] == [0.025, 0.1, 0.9, 0.975]
    assert set(INTERVAL_COLUMNS) <= set(data["summary"][0]) and "pinball" in data["best"]
    assert "coverage-95" in data["per_series"][0]


def test_the_model_is_called_once_per_fold_for_point_and_quantiles():
    model = QuantileModel()
    backtest(make_panel(), horizon=6, season_length=12, folds=3, model=model)
    assert model.calls == {"forecast": 0, "forecast_quantiles": 3}


def test_scores_are_the_metrics_of_the_kept_quantiles():
    panel = make_panel(n_series=4, n=60)
    report = backtest(panel, horizon=6, season_length=12, folds=1, model=QuantileModel())
    history = panel.y.reshape(4, 60)[:, :54]
    scale = mase_scale(history, 12)
    for method in ("GRU", "seasonal_naive", "drift"):
        q = report.quantile_forecasts[method]
        lo, hi = q[..., tau_index(report.taus, 0.025)], q[..., tau_index(report.taus, 0.975)]
        rows = report.per_series[report.per_series["method"] == method]
        np.testing.assert_allclose(rows["coverage-95"], coverage(report.actuals, lo, hi))
        np.testing.assert_allclose(rows["msis-95"], msis(report.actuals, lo, hi, scale, 95))
        pinball = scaled_pinball(report.actuals, q, report.taus, scale)
        np.testing.assert_allclose(rows["pinball"], pinball)
    # the model's kept quantiles are its own answer on the last fold's windows
    gru = report.quantile_forecasts["GRU"]
    np.testing.assert_allclose(gru[..., 1], report.forecasts["GRU"] + NormalDist().inv_cdf(0.1))


def test_a_point_only_backtest_is_unchanged():
    panel = make_panel()
    report = backtest(panel, horizon=6, season_length=12, folds=2, model=PointModel())
    assert list(report.summary.columns) == ["method", *METRICS]
    assert list(report.per_series.columns) == ["method", "fold", "unique_id", *METRICS]
    assert set(report.best) == set(METRICS)
    assert report.levels == () and report.taus == () and report.quantile_forecasts == {}
    assert set(report.to_dict(per_series=True)) == {
        "horizon", "season_length", "folds", "step", "window", "refit", "model", "n_series",
        "aggregation", "summary", "best", "skill", "zero_scale_series", "fallback_series",
        "notes", "per_series",
    }  # fmt: skip
    assert not any("interval" in n for n in report.notes)
    assert "intervals" not in report.skill_sentence()


def test_baselines_only_with_levels():
    report = backtest(make_panel(), horizon=6, season_length=12, levels=[90], seasons=[6])
    assert report.model is None and report.taus == (0.05, 0.95)
    assert list(report.summary.columns[5:]) == ["coverage-90", "msis-90", "pinball"]
    assert set(report.quantile_forecasts) == set(report.methods)
    assert "seasonal_naive_6" in report.quantile_forecasts
    assert any(n.startswith("baseline intervals") for n in report.notes)
    assert report.skill_sentence().startswith("No model evaluated")


def test_a_point_model_with_levels_has_empty_interval_columns():
    report = backtest(make_panel(), horizon=6, season_length=12, model=PointModel(), levels=[80])
    row = report.summary.set_index("method")
    assert row.loc["GRU", ["coverage-80", "msis-80", "pinball"]].isna().all()
    assert row.loc["naive", ["coverage-80", "msis-80", "pinball"]].notna().all()
    assert "GRU" not in report.quantile_forecasts
    assert any("forecasts no quantiles" in n for n in report.notes)
    assert "intervals" not in report.skill_sentence()
    json.dumps(report.to_dict(per_series=True), allow_nan=False)


def test_levels_must_be_the_models():
    with pytest.raises(InputError, match=r"--level 90 is not an interval the model forecasts"):
        backtest(make_panel(), horizon=6, season_length=12, model=QuantileModel(), levels=[90])
    report = backtest(make_panel(), horizon=6, season_length=12, model=QuantileModel(), levels=[95])
    assert list(report.summary.columns[5:]) == ["coverage-95", "msis-95", "pinball"]
    with pytest.raises(InputError, match="--level"):
        backtest(make_panel(), horizon=6, season_length=12, levels=[100])


@pytest.mark.parametrize("bad", ["nan", "shape"])
def test_bad_quantiles_from_the_model_are_refused(bad):
    model = QuantileModel()
    model.bad = bad
    with pytest.raises(ForecastrError, match="model 'GRU'"):
        backtest(make_panel(), horizon=6, season_length=12, model=model)


def test_a_refit_with_other_quantiles_is_refused():
    def refit(train_panel, fold):
        return QuantileModel(levels=(80, 95) if fold == 0 else (90,))

    with pytest.raises(ForecastrError, match="same --level"):
        backtest(make_panel(), horizon=6, season_length=12, folds=2, refit=refit)


def test_quantiles_without_levels_score_pinball_only():
    model = QuantileModel(levels=(), quantiles=(0.1, 0.5, 0.9))
    report = backtest(make_panel(), horizon=6, season_length=12, model=model)
    assert list(report.summary.columns[5:]) == ["pinball"]
    assert re.search(r"; scaled pinball loss \d+% (lower|higher) than seasonal naive's\.$",
                     report.skill_sentence())  # fmt: skip


def test_skill_sentence_interval_clause_hand_made():
    report = backtest(make_panel(), horizon=6, season_length=12, model=QuantileModel())
    values = {"GRU": (0.71, 0.941, 0.88), "seasonal_naive": (0.87, 0.9, 1.0)}
    for method, (mase_v, cov, msis_v) in values.items():
        row = report.summary["method"] == method
        report.summary.loc[row, ["mase", "coverage-95", "msis-95"]] = [mase_v, cov, msis_v]
    assert report.skill_sentence() == (
        "GRU: MASE 0.71, 18% lower than seasonal naive (0.87); 95% intervals covered 94.1% of "
        "points, MSIS 12% lower than seasonal naive's."
    )


def test_wider_model_intervals_cover_more():
    panel = make_panel(n_series=10, noise=1.0)
    narrow = backtest(panel, horizon=6, season_length=12, model=QuantileModel(spread=0.3))
    wide = backtest(panel, horizon=6, season_length=12, model=QuantileModel(spread=3.0))
    assert wide.score("GRU", "coverage-80") > narrow.score("GRU", "coverage-80") + 0.3
    assert wide.score("GRU", "coverage-95") > 0.95
    # seasonal naive's errors have sd sqrt(2): spread 1.4 is about right, far better than 0.3
    right = backtest(panel, horizon=6, season_length=12, model=QuantileModel(spread=1.4))
    assert right.score("GRU", "msis-95") < narrow.score("GRU", "msis-95")
    assert abs(right.score("GRU", "coverage-80") - 0.8) < 0.1


def test_baseline_intervals_cover_about_their_level_on_iid_noise():
    report = backtest(make_panel(n_series=60, n=96, seed=5), horizon=6, season_length=12,
                      folds=2, levels=[80, 95])  # fmt: skip
    assert abs(report.score("seasonal_naive", "coverage-80") - 0.80) < 0.06
    assert abs(report.score("seasonal_naive", "coverage-95") - 0.95) < 0.04


def test_constant_and_short_series_stay_finite():
    series = [np.full(30, 5.0), 10 + np.sin(np.arange(30))]
    panel = Panel(
        ids=["flat", "wave"],
        y=np.concatenate(series),
        ds=np.concatenate([np.arange(30)] * 2),
        offsets=np.array([0, 30, 60]),
        freq=None,
    )
    report = backtest(panel, horizon=4, season_length=12, levels=[80])
    for q in report.quantile_forecasts.values():
        assert np.isfinite(q).all()
        np.testing.assert_array_equal(q[0], 5.0)  # the flat series: zero width
    flat = report.per_series[report.per_series["unique_id"] == "flat"]
    assert (flat["coverage-80"] == 1.0).all() and flat["msis-80"].isna().all()
    json.dumps(report.to_dict(per_series=True), allow_nan=False)


def test_best_coverage_is_the_nearest_to_its_level():
    summary = pd.DataFrame(
        {"method": ["a", "b", "c"], "coverage-95": [0.80, 0.99, 0.5], "msis-95": [3.0, 2.0, 9.0]}
    )
    assert best_methods(summary) == {"coverage-95": "b", "msis-95": "b"}
    summary["coverage-95"] = [0.93, 0.99, 0.5]
    assert best_methods(summary)["coverage-95"] == "a"


def test_print_report_shows_an_interval_table(capsys):
    report = backtest(make_panel(), horizon=6, season_length=12, model=QuantileModel())
    print_report(report, "test")
    text = capsys.readouterr().out
    assert "Intervals at 80%, 95%" in text and "cov 95%" in text and "MSIS 95" in text
    assert re.search(r"\d+\.\d%", text)  # coverage shown in percent
    assert "95% intervals covered" in text
