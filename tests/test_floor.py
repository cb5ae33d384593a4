"""The floor at zero: a model trained on values that are never negative never forecasts a
negative value, a point or a quantile, through torch and ONNX alike; a series that went
below zero keeps its forecast; the holdout model's floor never reads its test part."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import make_panel
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecastr import api
from forecastr.artifact import CONFIG
from forecastr.export import export_onnx
from forecastr.forecast import (
    apply_floor,
    data_floor,
    forecast_windows,
    forecast_windows_quantiles,
    panel_floor,
    row_floors,
)


def test_data_floor_is_zero_only_for_values_never_negative():
    assert data_floor(np.array([0.0, 3.0, 5.5])) == 0.0
    assert data_floor(np.array([2.0, np.nan, 7.0])) == 0.0  # a blank is no value
    assert data_floor(np.array([2.0, -0.001, 7.0])) is None
    assert data_floor(np.array([np.nan, np.nan])) is None
    assert data_floor(np.zeros(0)) is None


def test_apply_floor_raises_the_rows_whose_window_is_never_negative():
    windows = np.array([[1.0, 0.0, 2.0], [1.0, -1.0, 2.0], [np.nan, 3.0, 4.0]])
    values = np.array([[-2.0, 5.0], [-2.0, 5.0], [-0.5, 1.0]])
    out = apply_floor(values, windows, 0.0)
    np.testing.assert_array_equal(out, [[0.0, 5.0], [-2.0, 5.0], [0.0, 1.0]])
    np.testing.assert_array_equal(values[1], [-2.0, 5.0])  # the input is not changed
    assert apply_floor(values, windows, None) is values


def test_row_floors_give_each_row_the_floor_it_is_served_at():
    windows = np.array([[1.0, 0.0, 2.0], [1.0, -1.0, 2.0], [np.nan, np.nan, np.nan]])
    np.testing.assert_array_equal(row_floors(windows, 0.0), [0.0, -np.inf, -np.inf])
    np.testing.assert_array_equal(row_floors(windows, None), [-np.inf] * 3)


def test_the_theta_choice_scores_each_weight_as_it_is_served():
    """A network below zero on counts of zero: unfloored, the average with Theta scores
    better (0.5 against 1); served with the floor, the network alone is exact (0 against
    0.5)."""
    from forecastr.combine import choose

    actual, scale = np.zeros((7, 4)), np.ones(7)
    network, theta_fc = np.full((7, 4), -1.0), np.full((7, 4), 2.0)
    assert choose(network, theta_fc, actual, scale)[0] == 0.5
    weight, scores = choose(network, theta_fc, actual, scale, lower=np.zeros(7))
    assert weight == 0.0 and scores["0"] == 0.0 and scores["0.5"] == 0.5


def test_a_window_of_no_finite_value_is_not_floored():
    out = apply_floor(np.array([[-1.0]]), np.array([[np.nan, np.nan]]), 0.0)
    np.testing.assert_array_equal(out, [[-1.0]])


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (4, 3, 5), elements=st.floats(-50, 50)),
    arrays(np.float64, (4, 6), elements=st.floats(-5, 50)),
)
def test_floored_quantiles_stay_in_order_and_never_go_below_zero(q, windows):
    q = np.sort(q, axis=-1)
    out = apply_floor(q, windows, 0.0)
    assert (np.diff(out, axis=-1) >= 0).all()
    kept = windows.min(axis=1) >= 0
    assert (out[kept] >= 0).all()
    np.testing.assert_array_equal(out[~kept], q[~kept])
    np.testing.assert_array_equal(out[kept], np.maximum(q[kept], 0.0))


def test_the_holdout_floor_never_reads_the_test_part():
    panel = make_panel([30, 30])  # every value positive
    panel.y[panel.offsets[1] - 1] = -5.0  # series 0's last point, in its test part
    ends = panel.offsets[1:] - 4  # one past each series' last point before a 4-step test part
    assert panel_floor(panel, ends) == 0.0
    assert panel_floor(panel) is None
    panel.y[panel.offsets[1] - 10] = -5.0  # now also before the test part
    assert panel_floor(panel, ends) is None


class Falling:
    """A stand-in predictor that forecasts the last value minus 10 per step."""

    window, horizon, name = 3, 2, "falling"
    ids = ("a",)
    network_quantiles = (0.1, 0.9)
    levels = (80.0,)

    def __init__(self, floor):
        self.floor = floor

    def forecast(self, windows, series_ids):
        return windows[:, -1:] - 10.0 * np.arange(1, self.horizon + 1)

    def forecast_quantiles(self, windows, series_ids):
        point = self.forecast(windows, series_ids)
        return point, np.stack([point - 3.0, point + 3.0], axis=-1)

    def series_scaling(self, i):
        return 0.0, 1.0


def test_forecast_windows_floors_known_and_new_series_by_their_own_history():
    fc = Falling(0.0)
    windows = np.array([[9.0, 8.0, 5.0], [9.0, -8.0, 5.0], [1.0, 2.0, 12.0], [-1.0, 2.0, 12.0]])
    ids = ["a", "a", "new", "new2"]  # new series: mapped into "a"'s scale and back
    point = forecast_windows(fc, windows, ids)
    np.testing.assert_array_equal(point[[0, 2]], 0.0)  # floored after the mapping back
    np.testing.assert_array_equal(point[1], [-5.0, -15.0])
    assert (point[3] < 0).all()  # a new series that went below zero keeps its forecast
    point_q, q = forecast_windows_quantiles(fc, windows, ids)
    np.testing.assert_allclose(point_q, point, atol=1e-12)
    assert (q[[0, 2]] >= 0).all() and (q[[1, 3], :, 0] < 0).all()
    np.testing.assert_array_equal(forecast_windows(Falling(None), windows[:1], ["a"]), [[-5, -15]])


def falling_csv(path, negative: bool = False):
    """Three monthly series falling to zero (one dips below it with ``negative``)."""
    t = np.arange(48)
    rows = []
    for i in range(3):
        y = np.maximum(60.0 - (1.5 + 0.2 * i) * t, 0.0) + (t % 4 == 0) * 2.0
        if negative and i == 0:
            y[5] = -1.0
        ds = pd.date_range("2020-01-01", periods=len(t), freq="MS")
        rows.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y}))
    pd.concat(rows).to_csv(path, index=False)
    return path


OPTS = {"cell": "gru", "hidden": 8, "window": 12, "horizon": 6, "ensemble": 1, "epochs": 2}


@pytest.fixture(scope="module")
def falling(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("floor")
    csv = falling_csv(tmp / "falling.csv")
    outcome = api.train(str(csv), **OPTS, levels=[80.0], out=str(tmp / "m"))
    export_onnx(tmp / "m", tmp / "m.onnx")
    return csv, tmp, outcome


def test_a_model_of_values_never_negative_forecasts_none(falling):
    csv, tmp, outcome = falling
    assert outcome.to_dict()["floor"] == 0.0
    assert json.loads((tmp / "m" / CONFIG).read_text())["data"]["floor"] == 0.0
    by_dir = api.predict(str(tmp / "m"), str(csv))
    by_onnx = api.predict(str(tmp / "m.onnx"), str(csv))
    for frame in (by_dir, by_onnx):
        assert (frame[["forecast", "lo-80", "hi-80"]].to_numpy() >= 0).all()
    np.testing.assert_allclose(by_dir["forecast"], by_onnx["forecast"], rtol=1e-4, atol=1e-4)


def test_a_file_with_a_negative_value_has_no_floor(tmp_path):
    csv = falling_csv(tmp_path / "dips.csv", negative=True)
    outcome = api.train(str(csv), **OPTS, out=str(tmp_path / "m"))
    assert outcome.to_dict()["floor"] is None
    assert "floor" not in json.loads((tmp_path / "m" / CONFIG).read_text())["data"]
