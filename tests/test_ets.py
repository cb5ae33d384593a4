"""Exponential smoothing with a season (forecastr.ets) and its place as the third member of
the average for a file of one short seasonal series (combine.ThetaMix.ets): fitted forms,
rows that do not fit, the rule, storage, checks on load, and torch and ONNX alike."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_combine import TINY, StandIn
from test_modelcheck import write_config

from forecastr import api
from forecastr.combine import (
    ETS_SHARE,
    Combined,
    ThetaMix,
    check_mix,
    ets_member,
    theta_part,
)
from forecastr.errors import ArtifactError
from forecastr.ets import MAX_POINTS, REVISION, ets_forecast
from forecastr.export import export_onnx
from forecastr.jsonfields import Where

NAN = np.nan
PROFILE = np.array([0.0, 3.0, 5.0, 2.0, -1.0, -4.0, -6.0, -3.0, 0.0, 2.0, 4.0, -2.0])


def test_a_repeating_season_is_forecast_as_it_repeats():
    x = np.tile(PROFILE, 6) + 50.0
    out = ets_forecast(x[None], 18, 12)[0]
    np.testing.assert_allclose(out, np.tile(PROFILE, 3)[:18] + 50.0, atol=1e-6)


def test_a_growing_multiplicative_season_keeps_growing():
    t = np.arange(96, dtype=np.float64)
    level = 100.0 * 1.01**t
    x = level * (1.0 + 0.02 * PROFILE[t.astype(int) % 12])
    out = ets_forecast(x[None], 12, 12)[0]
    future = 100.0 * 1.01 ** (96 + np.arange(12)) * (1.0 + 0.02 * PROFILE)
    assert np.abs(out / future - 1.0).max() < 0.02  # within 2% of the continued pattern
    assert out[11] > x[-1]  # the trend is carried on


def test_a_straight_line_is_continued():
    x = 10.0 + 2.0 * np.arange(40) + np.tile([0.5, -0.5], 20)
    out = ets_forecast(x[None], 4, 2)[0]
    np.testing.assert_allclose(out, 10.0 + 2.0 * np.arange(40, 44), atol=1.0)


def test_rows_that_cannot_fit_are_nan_and_padding_is_ignored():
    season = np.tile(PROFILE, 3) + 20.0
    rows = np.vstack(
        [
            np.r_[np.full(12, NAN), season],  # right-aligned: the same as alone
            np.r_[np.full(13, NAN), season[:35]],  # under three seasons
            np.full(48, NAN),  # no values
            np.r_[np.full(12, NAN), np.zeros(36)],  # no scale
        ]
    )
    out = ets_forecast(rows, 5, 12)
    np.testing.assert_allclose(out[0], ets_forecast(season[None], 5, 12)[0])
    assert np.isnan(out[1:]).all()
    assert np.isnan(ets_forecast(season[None], 5, 1)).all()  # no season: not this model


@pytest.mark.parametrize(
    "x",
    [
        np.full(48, 1.7e308 / 4),  # near the float limit: the mean of the values overflows
        np.r_[np.full(47, 1.0), 1.7e308],  # one value at it
        1e-300 * (2.0 + np.sin(np.arange(48))),  # near the smallest
        np.full(48, 5.0),  # constant: every form fits exactly
    ],
)
def test_extreme_values_give_finite_forecasts_or_none_and_no_warning(x):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ets_forecast(x[None], 6, 4)[0]
    assert np.isfinite(out).all() or np.isnan(out).all()


def test_a_long_row_or_season_is_read_within_bounds():
    x = np.tile(PROFILE, 200) + 50.0  # 2,400 points: the last MAX_POINTS are read
    np.testing.assert_allclose(
        ets_forecast(x[None], 6, 12), ets_forecast(x[None, -MAX_POINTS:], 6, 12)
    )
    # a season whose three seasons exceed what is read (a crafted model's): nothing is fitted
    assert np.isnan(ets_forecast(np.ones((1, 4000)), 6, MAX_POINTS // 3 + 1)).all()


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(
    values=st.lists(
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=8, max_size=40
    ),
    m=st.integers(2, 4),
    scale=st.sampled_from([1e-3, 7.0, 1e4]),
)
def test_forecasts_are_finite_or_nan_and_follow_the_scale(values, m, scale):
    x = np.asarray(values)
    out = ets_forecast(x[None], 3, m)[0]
    assert np.isfinite(out).all() or np.isnan(out).all()
    scaled = ets_forecast(scale * x[None], 3, m)[0]
    np.testing.assert_allclose(
        scaled, scale * out, rtol=1e-6, atol=1e-6 * scale * (1 + abs(x).max())
    )


def test_the_member_joins_one_short_seasonal_series_only():
    assert ets_member(np.array([100]), 12, 100) == REVISION
    assert ets_member(np.array([MAX_POINTS]), 4, 256) == REVISION
    assert ets_member(np.array([100, 100]), 12, 100) is None  # more series: the network learns
    assert ets_member(np.array([MAX_POINTS + 1]), 4, 256) is None  # a long one, too
    assert ets_member(np.array([100]), 1, 100) is None  # no season
    assert ets_member(np.array([36]), 12, 36) == REVISION  # three seasons
    assert ets_member(np.array([35]), 12, 35) is None  # under three seasons long
    assert ets_member(np.array([900]), 168, 256) is None  # the forecasts read under three


def test_combined_serves_the_three_in_equal_shares():
    season = np.tile([1.0, 3.0, 2.0], 5) + np.arange(15) * 0.1
    rows = np.vstack([season, np.r_[np.full(8, 5.0), 6.0, 5.0, 6.0, 4.0, 5.0, 6.0, 4.0]])
    mix = ThetaMix(0.5, 3, 15, {}, ets=REVISION)
    fc = Combined(StandIn(), mix)
    assert fc.name == "NET + Theta + ETS"
    out = fc.forecast(rows, ["a", "b"])
    net = np.repeat(rows[:, -1:], 2, axis=1)
    th = theta_part(rows, 2, 3)
    es = ets_forecast(rows[:1], 2, 3)[0]
    np.testing.assert_allclose(out[0], (net[0] + th[0] + es) / 3)
    assert pytest.approx(1 / 3) == ETS_SHARE
    # the second row holds under three seasons once its padding is left out: two members
    np.testing.assert_allclose(out[1], 0.5 * net[1] + 0.5 * th[1])
    point, q = fc.forecast_quantiles(rows, ["a", "b"])
    np.testing.assert_allclose(point, out)
    np.testing.assert_allclose(q[..., 0], out - 1)  # intervals move with the point forecast
    assert "moved with the Theta and ETS average" in fc.interval_method


def test_the_member_is_stored_only_when_set_and_checked_on_load():
    w = Where("config.json", "train again")
    assert "ets_revision" not in ThetaMix(0.5, 12, 30, {}).to_dict()
    stored = ThetaMix(0.5, 12, 30, {}, ets=REVISION).to_dict()
    assert stored["ets_revision"] == REVISION
    assert check_mix(w, {"theta": stored}, 4).ets == REVISION
    assert check_mix(w, {"theta": ThetaMix(0.5, 12, 30, {}).to_dict()}, 4).ets is None


def _seasonal_csv(path, series: int = 1):
    rng = np.random.default_rng(3)
    frames = []
    for i in range(series):
        t = np.arange(96)
        y = 200 + 10 * i + 0.5 * t + 8 * PROFILE[t % 12] + rng.normal(0, 1.0, t.size)
        ds = pd.date_range("2010-01-01", periods=t.size, freq="MS")
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y.round(3)}))
    pd.concat(frames).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def ets_model(tmp_path_factory):
    """(csv, model dir, onnx file) of one seasonal monthly series, served with the member."""
    tmp = tmp_path_factory.mktemp("ets")
    csv = _seasonal_csv(tmp / "one.csv")
    outcome = api.train(str(csv), **TINY, horizon=6, levels=(80.0,), out=str(tmp / "m"))
    assert outcome.name.endswith("+ Theta + ETS")
    export_onnx(tmp / "m", tmp / "m.onnx")
    return csv, tmp / "m", tmp / "m.onnx"


def test_one_seasonal_series_stores_and_reports_the_member(ets_model):
    _, model_dir, _ = ets_model
    cfg = json.loads((model_dir / "config.json").read_text())
    assert cfg["theta"]["ets_revision"] == REVISION and cfg["theta"]["season_length"] == 12
    assert cfg["evaluation"]["model"].endswith("+ Theta + ETS")  # the report scored all three
    assert cfg["summary"]["theta"]["ets_revision"] == REVISION
    # one validation horizon: the widths are blended, the member's own among them
    assert cfg["theta"]["blend_widths"] is True and cfg["theta"]["ets_widths"] is True


def test_the_summary_says_the_member_joined():
    from forecastr.present import theta_text

    scores = {"0": 0.912, "0.5": 0.874, "1": 0.95, "series": 1}
    assert theta_text({"weight": 0.5, "validation": scores, "ets_revision": 1}).startswith(
        "weight 0.5, in equal thirds with exponential smoothing (validation scaled MAE:"
    )
    assert theta_text({"weight": 0.5, "validation": scores}).startswith("weight 0.5 (")


def test_torch_and_the_torch_free_runtime_serve_the_same_three(ets_model):
    from test_torch_free import run_cli

    csv, model_dir, onnx_path = ets_model
    torch_frame = api.predict(str(model_dir), str(csv))
    proc = run_cli(onnx_path.parent, "predict", onnx_path.name, csv.name, "-o", "out.csv")
    assert proc.returncode == 0, proc.stderr
    assert "torch-free: checked" in proc.stderr
    onnx_frame = pd.read_csv(onnx_path.parent / "out.csv")
    for col in ("forecast", "lo-80", "hi-80"):
        np.testing.assert_allclose(onnx_frame[col], torch_frame[col], rtol=1e-4)
    fc, _, _ = api.load_predictor(str(model_dir))
    two = Combined(fc.inner, ThetaMix(**{**vars(fc.mix), "ets": None}))
    rows = (200 + 8 * PROFILE[np.arange(fc.window) % 12] + np.arange(fc.window))[None]
    assert not np.allclose(fc.forecast(rows, ["s0"]), two.forecast(rows, ["s0"]))


def test_two_series_keep_two_members_and_refuse_a_crafted_one(tmp_path):
    csv = _seasonal_csv(tmp_path / "two.csv", series=2)
    outcome = api.train(str(csv), **TINY, horizon=6, out=str(tmp_path / "m"))
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    assert "ets_revision" not in cfg.get("theta", {})
    assert not outcome.name.endswith("+ ETS")
    assert cfg["theta"]["weight"] == 0.5  # the average of two was served
    export_onnx(tmp_path / "m", tmp_path / "m.onnx")
    # the member is fitted per series at every forecast: a file naming it for more than one
    # series is not one forecastr wrote
    write_config(tmp_path / "m", lambda c: c["theta"].update(ets_revision=1))
    with pytest.raises(ArtifactError, match=r"theta\.ets_revision is 1; expected absent for a"):
        api.predict(str(tmp_path / "m"))
    import onnx
    from onnxedit import with_metadata

    from forecastr.runtime import OnnxPredictor

    proto = onnx.load(str(tmp_path / "m.onnx"))
    mix = {**json.loads({p.key: p.value for p in proto.metadata_props}["theta"]), "ets_revision": 1}
    crafted = with_metadata(proto, tmp_path / "crafted.onnx", theta=json.dumps(mix))
    with pytest.raises(ArtifactError, match="absent for a model of 2 series"):
        OnnxPredictor.from_onnx(crafted)


def test_the_member_is_refused_for_more_than_one_stored_series():
    w = Where("config.json", "train again")
    stored = {"theta": ThetaMix(0.5, 12, 30, {}, ets=REVISION).to_dict()}
    assert check_mix(w, stored, 4, series=1).ets == REVISION
    with pytest.raises(ArtifactError, match="absent for a model of 3 series"):
        check_mix(w, stored, 4, series=3)


@pytest.mark.parametrize(
    "value, fragment",
    [(0, "theta.ets_revision is 0"), (True, "theta.ets_revision is true"), ("1", "'1'")],
)
def test_a_damaged_member_is_refused_naming_the_field(ets_model, tmp_path, value, fragment):
    dst = tmp_path / "m"
    shutil.copytree(ets_model[1], dst)
    write_config(dst, lambda c: c["theta"].update(ets_revision=value))
    with pytest.raises(ArtifactError, match="theta") as err:
        api.predict(str(dst))
    assert fragment in str(err.value)
