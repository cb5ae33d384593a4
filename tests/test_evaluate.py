"""Backtests: fold boundaries, same windows for every method, honesty checks, the report."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr.baselines import BASELINES
from forecastr.errors import ForecastrError, InputError, SeriesTooShortError
from forecastr.evaluate import backtest
from forecastr.folds import fold_origins
from forecastr.metrics import mae, mase, mase_scale
from forecastr.panel import Panel
from forecastr.report import per_series_table


def make_panel(series: dict[str, np.ndarray], start: str = "2015-01-01") -> Panel:
    """A monthly panel; every series starts at ``start``."""
    ids = list(series)
    ys = [np.asarray(series[s], dtype=np.float64) for s in ids]
    ds = [pd.date_range(start, periods=len(y), freq="MS").values for y in ys]
    lengths = np.array([len(y) for y in ys], dtype=np.int64)
    return Panel(
        ids=ids,
        y=np.concatenate(ys),
        ds=np.concatenate(ds),
        offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        freq="MS",
    )


def seasonal(n: int, slope: float = 0.0, level: float = 10.0) -> np.ndarray:
    t = np.arange(n)
    return level + 3 * np.sin(2 * np.pi * t / 12) + slope * t


class RecordingModel:
    """Forecasts the last window value; remembers every window it was given."""

    def __init__(self, window=6, horizon=4, name="GRU", train_end=None):
        self.name, self.window, self.horizon, self.train_end = name, window, horizon, train_end
        self.calls: list[tuple[np.ndarray, list[str]]] = []

    def forecast(self, windows, series_ids):
        self.calls.append((windows.copy(), list(series_ids)))
        return np.repeat(windows[:, -1:], self.horizon, axis=1)


class TrendSeasonOracle:
    """Exact for ``seasonal(n, slope)``: last season plus one season of trend."""

    name, window, horizon, train_end = "Oracle", 12, 4, None

    def __init__(self, slope):
        self.slope = slope

    def forecast(self, windows, series_ids):
        return windows[:, : self.horizon] + 12 * self.slope


# ---- fold origins ---------------------------------------------------------------------------


def test_fold_origins_hand_computed():
    origins = fold_origins(np.array([10, 20]), horizon=3, folds=3, step=2)
    np.testing.assert_array_equal(origins, [[3, 5, 7], [13, 15, 17]])
    # the last fold ends at the series end
    np.testing.assert_array_equal(origins[:, -1] + 3, [10, 20])


def test_fold_origins_too_short_names_series_and_minimum():
    with pytest.raises(SeriesTooShortError, match=r"'short'.*has 8 points.*at least 9"):
        fold_origins(np.array([20, 8]), 3, 3, 2, min_history=2, ids=["long", "short"])


def test_fold_origins_rejects_bad_arguments():
    with pytest.raises(InputError, match="folds"):
        fold_origins(np.array([20]), 3, 0, 2)


@settings(max_examples=80, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 200), min_size=1, max_size=6),
    horizon=st.integers(1, 20),
    folds=st.integers(1, 6),
    step=st.integers(1, 20),
    min_history=st.integers(1, 20),
)
def test_fold_origins_within_bounds(lengths, horizon, folds, step, min_history):
    lengths = np.array(lengths)
    try:
        origins = fold_origins(lengths, horizon, folds, step, min_history=min_history)
    except SeriesTooShortError:
        assert (lengths < min_history + horizon + (folds - 1) * step).any()
        return
    assert origins.shape == (len(lengths), folds)
    assert (origins >= min_history).all()
    assert (origins + horizon <= lengths[:, None]).all()
    np.testing.assert_array_equal(origins[:, -1] + horizon, lengths)
    np.testing.assert_array_equal(np.diff(origins, axis=1), step)


# ---- backtest -------------------------------------------------------------------------------


def test_every_method_is_scored_on_the_same_windows():
    panel = make_panel({"a": seasonal(40, 0.2), "b": seasonal(30, -0.1, level=50)})
    model = RecordingModel(window=6, horizon=4)
    report = backtest(panel, horizon=4, season_length=12, folds=3, step=2, model=model)

    assert report.methods == ["GRU", *BASELINES]
    assert list(report.summary["method"]) == report.methods
    assert len(report.per_series) == len(report.methods) * 3 * 2
    assert list(report.per_series.columns) == [
        "method", "fold", "unique_id", "mae", "rmse", "smape", "mase",
    ]  # fmt: skip
    np.testing.assert_array_equal(report.origins, [[32, 34, 36], [22, 24, 26]])
    assert len(model.calls) == 3 and model.calls[0][1] == ["a", "b"]

    for k in range(3):
        windows, _ = model.calls[k]
        for i, sid in enumerate(["a", "b"]):
            y = panel.series(i)
            o = report.origins[i, k]
            history, actual = y[None, :o], y[None, o : o + 4]
            # the model read the last `window` points before the origin
            np.testing.assert_array_equal(windows[i], y[o - 6 : o])
            scale = mase_scale(history, 12)
            rows = report.per_series[
                (report.per_series["fold"] == k) & (report.per_series["unique_id"] == sid)
            ].set_index("method")
            for name, fn in BASELINES.items():
                forecast = fn(history, 4, season_length=12, window=report.window)
                assert rows.loc[name, "mae"] == pytest.approx(mae(actual, forecast)[0])
                assert rows.loc[name, "mase"] == pytest.approx(mase(actual, forecast, scale)[0])
            model_forecast = np.repeat(y[o - 1], 4)[None]
            assert rows.loc["GRU", "mae"] == pytest.approx(mae(actual, model_forecast)[0])

    # the last fold's forecasts, actuals and timestamps are kept for plotting
    np.testing.assert_array_equal(report.actuals[0], panel.series(0)[36:40])
    assert report.future_ds[1, 0] == panel.timestamps(1)[26]
    assert report.forecasts["naive"].shape == (2, 4)
    assert report.refit is False


def test_summary_is_mean_over_series_and_folds():
    panel = make_panel({"a": seasonal(40, 0.2), "b": seasonal(40, -0.3)})
    report = backtest(panel, horizon=4, season_length=12, folds=2, baselines=["naive", "drift"])
    per = report.per_series
    expected = per[per["method"] == "drift"]["mase"].mean()
    assert report.score("drift", "mase") == pytest.approx(expected)
    assert report.model is None
    assert report.skill_sentence().startswith("No model evaluated; best baseline:")


def test_skill_sentence_lower_and_higher():
    panel = make_panel({"a": seasonal(48, 0.5), "b": seasonal(40, 0.5, level=30)})
    good = backtest(panel, horizon=4, season_length=12, model=TrendSeasonOracle(0.5))
    assert good.score("Oracle", "mase") == pytest.approx(0.0, abs=1e-9)
    assert good.skill_sentence().startswith("Oracle: MASE 0.00, 100% lower than seasonal naive")
    rng = np.random.default_rng(0)
    noisy = make_panel({"a": seasonal(48) + rng.normal(0, 0.1, 48)})
    bad = backtest(noisy, horizon=4, season_length=12, model=RecordingModel(horizon=4))
    assert "higher than seasonal naive" in bad.skill_sentence()
    # the best baseline is Theta: it adjusts for the season and smooths the noise that
    # seasonal naive copies from last year
    assert bad.best["mase"] == "theta"
    assert bad.score("theta", "mase") < bad.score("seasonal_naive", "mase")


def test_without_a_season_the_model_is_compared_with_naive_once():
    """At a season of 1 seasonal naive is naive: the report lists it once, as naive, and
    compares the model with it."""
    panel = make_panel({"a": seasonal(48, 0.5), "b": seasonal(40, 0.5, level=30)})
    report = backtest(panel, horizon=4, season_length=1, model=TrendSeasonOracle(0.5))
    assert "seasonal_naive" not in report.methods and "naive" in report.methods
    assert report.skill_sentence().startswith("Oracle: MASE 0.00, 100% lower than naive (")
    assert any("in-sample MAE of the naive forecast" in n for n in report.notes)
    given = backtest(panel, horizon=4, season_length=1, baselines=["seasonal_naive", "drift"])
    assert "seasonal_naive" in given.methods  # asked for without naive: kept


def test_zero_scale_series_is_nan_and_reported():
    panel = make_panel({"flat": np.full(30, 5.0), "a": seasonal(30, 0.1)})
    report = backtest(panel, horizon=4, season_length=12)
    flat = report.per_series[report.per_series["unique_id"] == "flat"]
    assert flat["mase"].isna().all()
    assert report.zero_scale_series == ["flat"]
    assert np.isfinite(report.summary["mase"]).all()  # the mean leaves the NaN out
    assert any("zero or undefined MASE scale" in note for note in report.notes)


def test_short_series_falls_back_and_is_reported():
    panel = make_panel({"short": seasonal(10), "long": seasonal(40)})
    report = backtest(panel, horizon=4, season_length=12)
    assert report.fallback_series == ["short"]
    np.testing.assert_array_equal(
        report.forecasts["seasonal_naive"][0], report.forecasts["naive"][0]
    )


def test_overlap_with_training_data_is_refused():
    panel = make_panel({"a": seasonal(40), "b": seasonal(40)})
    # trained up to point 33 of "b": fold 1 of 2 (origin 32) overlaps, fold 2 (36) does not
    model = RecordingModel(train_end={"a": panel.timestamps(0)[20], "b": panel.timestamps(1)[33]})
    with pytest.raises(ForecastrError, match=r"fold 1 of series 'b' overlaps .*up to 2017-10-01"):
        backtest(panel, horizon=4, season_length=12, folds=2, model=model)
    # one fold after the training end is fine
    report = backtest(panel, horizon=4, season_length=12, folds=1, model=model)
    assert report.model == "GRU"


def test_refit_is_called_once_per_fold_on_data_before_the_origin():
    panel = make_panel({"a": seasonal(40), "b": seasonal(34)})
    trained = RecordingModel(train_end={"a": panel.timestamps(0)[-1], "b": panel.timestamps(1)[-1]})
    calls = []

    def refit(train_panel, fold):
        calls.append((fold, train_panel))
        return RecordingModel(train_end=None)

    report = backtest(panel, horizon=4, season_length=12, folds=3, model=trained, refit=refit)
    assert [fold for fold, _ in calls] == [0, 1, 2]
    for fold, train_panel in calls:
        origins = report.origins[:, fold]
        np.testing.assert_array_equal(train_panel.lengths, origins)
        for i in range(panel.n_series):
            first_forecast = panel.timestamps(i)[origins[i]]
            assert (train_panel.timestamps(i) < first_forecast).all()
    assert report.refit is True
    assert not trained.calls  # the original model never forecast


def test_refit_returning_a_model_trained_past_the_origin_is_refused():
    panel = make_panel({"a": seasonal(40)})

    def leaky_refit(train_panel, fold):
        return RecordingModel(train_end={"a": panel.timestamps(0)[-1]})

    with pytest.raises(ForecastrError, match="refit"):
        backtest(panel, horizon=4, season_length=12, model=RecordingModel(), refit=leaky_refit)


def test_model_window_longer_than_history_is_padded_with_the_first_value():
    y = seasonal(20)
    panel = make_panel({"a": y})
    model = RecordingModel(window=24)
    backtest(panel, horizon=4, season_length=12, model=model)
    (windows,) = [w for w, _ in model.calls]
    history = y[:16]  # the 16 points before the held-out horizon
    np.testing.assert_array_equal(windows[0, -16:], history)
    np.testing.assert_array_equal(windows[0, :8], np.full(8, history[0]))


def test_argument_errors():
    panel = make_panel({"a": seasonal(30)})
    with pytest.raises(InputError, match="unknown baseline 'arima'"):
        backtest(panel, horizon=4, season_length=12, baselines=["arima"])
    with pytest.raises(InputError, match="--horizon 4 or less"):
        backtest(panel, horizon=6, season_length=12, model=RecordingModel(horizon=4))


def test_to_dict_is_json_without_nan():
    panel = make_panel({"flat": np.full(30, 5.0), "a": seasonal(30, 0.1)})
    report = backtest(panel, horizon=4, season_length=12, folds=2, model=RecordingModel())
    data = report.to_dict(per_series=True)
    text = json.dumps(data, allow_nan=False)
    for key in ("horizon", "season_length", "folds", "step", "refit", "summary", "best", "skill"):
        assert key in data
    assert data["summary"][0]["method"] == "GRU"
    assert data["per_series"][0]["mase"] is None  # "flat" first: no scale
    assert "mean over series and folds" in text


def test_per_series_table_best_and_worst():
    rng = np.random.default_rng(1)
    series = {f"s{i:02d}": seasonal(30) + rng.normal(0, 0.1 + i * 0.05, 30) for i in range(25)}
    report = backtest(make_panel(series), horizon=4, season_length=12, folds=2)
    table = per_series_table(report, metric="mase", top=3)
    assert list(table["group"]) == ["best"] * 3 + ["worst"] * 3
    assert list(table.columns[:3]) == ["group", "rank", "unique_id"]
    ranked = table[report.best["mase"]].to_numpy()
    assert (np.diff(ranked) >= 0).all()
    small = per_series_table(report, top=20)
    assert (small["group"] == "all").all() and len(small) == 25


def test_refit_without_a_model_is_named_after_the_refit_model():
    panel = make_panel({"a": seasonal(40)})
    folds_seen = []

    def refit(train_panel, fold):
        folds_seen.append(fold)
        return RecordingModel(name="LSTM")

    report = backtest(panel, horizon=4, season_length=12, folds=2, refit=refit)
    assert folds_seen == [0, 1]
    assert report.methods[0] == "LSTM" and report.refit is True
