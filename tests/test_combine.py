"""The network averaged with the Theta method (forecastr.combine): the weight chosen on
validation, stored, checked on load, and applied alike by torch and the ONNX runtime."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_modelcheck import write_config

from forecastr import api
from forecastr.combine import (
    NETWORK_MARGIN,
    Combined,
    ThetaMix,
    blended_quantiles,
    check_mix,
    choose,
    context_length,
    margin,
    revision_note,
    theta_context,
    theta_part,
    unpadded,
)
from forecastr.config import TrainConfig
from forecastr.errors import ArtifactError, ForecastrWarning
from forecastr.export import export_onnx
from forecastr.holdout import early_stopped
from forecastr.jsonfields import Where
from forecastr.theta import REVISION

NAN = np.nan


def test_unpadded_keeps_the_last_of_the_leading_repeats():
    rows = np.array(
        [[5.0, 5.0, 5.0, 6.0, 5.0], [1.0, 2.0, 1.0, 1.0, 1.0], [3.0, 3.0, 3.0, 3.0, 3.0]]
    )
    out = unpadded(rows)
    np.testing.assert_array_equal(out[0], [NAN, NAN, 5.0, 6.0, 5.0])
    np.testing.assert_array_equal(out[1], rows[1])  # no padding
    np.testing.assert_array_equal(out[2], [NAN, NAN, NAN, NAN, 3.0])
    # a padded window forecasts as its unpadded series does
    series = np.array([2.0, 4.0, 5.0, 7.0, 8.0])
    padded = np.concatenate([np.full(7, 2.0), series])[None]
    np.testing.assert_allclose(theta_part(padded, 3, 1), theta_part(series[None], 3, 1))


def test_choose_keeps_the_network_alone_only_when_clearly_better():
    truth = np.array([[1.0, 2.0], [3.0, 4.0]])
    actual = np.where([[True, True], [True, False]], truth, NAN)  # one step not observed
    net, th = truth + 1.0, truth - 1.0  # 1 too high, 1 too low: their average is exact
    weight, scores = choose(net, th, actual, np.array([1.0, 2.0]))
    assert weight == 0.5
    assert scores["0"] == pytest.approx((1.0 + 0.5) / 2) and scores["0.5"] == 0.0
    assert scores["series"] == 2
    # a series without a usable scale does not count
    weight, scores = choose(net, th, actual, np.array([0.0, NAN]))
    assert weight == 0.0 and scores["series"] == 0


@pytest.mark.parametrize(
    ("series", "ratio", "expected"),
    [
        (400, 0.95, 0.5),  # many series: 5% lower is not enough
        (400, 0.86, 0.0),  # 14% is (the margin is 0.9 - 0.3 / 20 = 0.885)
        (1, 0.86, 0.5),  # one series' window says little: 14% is not enough
        (1, 0.55, 0.0),  # 45% is (0.9 - 0.3 = 0.6)
        (4, 0.8, 0.5),  # four series: 0.75 needed
        (4, 0.7, 0.0),
    ],
)
def test_the_network_alone_must_win_by_more_on_fewer_series(series, ratio, expected):
    """Every series' network errs by ``ratio`` times what the average does: kept alone only
    below combine.margin(series)."""
    actual = np.zeros((series, 2))
    theta_fc = np.full((series, 2), 2.0 - ratio)  # the average errs by 1, the network by ratio
    weight, scores = choose(np.full((series, 2), ratio), theta_fc, actual, np.ones(series))
    assert scores["0"] == pytest.approx(ratio) and scores["0.5"] == pytest.approx(1.0)
    assert scores["1"] == pytest.approx(2.0 - ratio)  # Theta alone: under 3 times the network's
    assert weight == expected
    assert margin(1) == pytest.approx(0.6) and margin(10**6) == pytest.approx(0.9, abs=1e-3)


@pytest.mark.parametrize(("stopped", "expected"), [(True, 0.5), (False, 0.0)])
def test_a_lead_the_epoch_was_not_chosen_on_is_enough(stopped, expected):
    """414 series, the network 9.4% below the average on validation (bench/hourly_panel.py):
    under the flat margin the average is served; when no member stopped early, validation
    chose nothing for the network and only the noise term stands in its way."""
    series, ratio = 414, 0.906
    actual = np.zeros((series, 2))
    theta_fc = np.full((series, 2), 2.0 - ratio)  # the average errs by 1, the network by ratio
    weight, _ = choose(np.full((series, 2), ratio), theta_fc, actual, np.ones(series), stopped)
    assert weight == expected
    assert margin(series, early_stopped=True) < ratio < margin(series, early_stopped=False)
    # the noise term stays: a lead of 1% on 414 series is not enough either way
    weight, _ = choose(np.full((series, 2), 0.99), np.full((series, 2), 1.01), actual,
                       np.ones(series), False)  # fmt: skip
    assert weight == 0.5


def test_early_stopped_reads_whether_a_member_stopped_before_its_last_epoch():
    def run(epochs_run, epochs=100):
        return SimpleNamespace(
            train_cfg=TrainConfig(epochs=epochs), summary={"epochs_run": epochs_run}
        )

    assert not early_stopped(run([100, 100, 100]))
    assert early_stopped(run([100, 64, 100]))
    assert not early_stopped(run([2, 2], epochs=2))


def test_the_network_stays_alone_when_theta_alone_is_far_worse():
    """The average would win on validation (0.9 against the network's 1.0), but Theta alone
    errs 3 times as much as the network: its model misses something the network sees."""
    actual = np.zeros((400, 2))
    network = np.full((400, 2), 1.0)
    weight, scores = choose(network, np.full((400, 2), -2.8), actual, np.ones(400))
    assert scores["0.5"] == pytest.approx(0.9) and scores["1"] == pytest.approx(2.8)
    assert weight == 0.5  # 2.8 times: the average
    weight, scores = choose(network, np.full((400, 2), -3.0), actual, np.ones(400))
    assert scores["0.5"] == pytest.approx(1.0) and weight == 0.0
    weight, scores = choose(network, np.full((400, 2), -3.2), actual, np.ones(400))
    assert scores["0.5"] == pytest.approx(1.1) and scores["1"] == pytest.approx(3.2)
    assert weight == 0.0


class StandIn:
    """A network predictor: window 4, horizon 2, forecasts its window's last value; its
    quantiles 1 below and above."""

    name, window, horizon, ids = "NET", 4, 2, ["a", "b"]
    seen: ClassVar[list] = []

    def forecast(self, windows, ids):
        self.seen.append(np.array(windows))
        return np.repeat(windows[:, -1:], 2, axis=1)

    def forecast_quantiles(self, windows, ids):
        point = self.forecast(windows, ids)
        return point, np.stack([point - 1, point + 1], axis=-1)


def test_combined_averages_the_network_with_theta_on_the_longer_history():
    mix = ThetaMix(weight=0.5, season_length=1, context=10, scores={})
    fc = Combined(StandIn(), mix)
    assert fc.window == 10 and fc.horizon == 2 and fc.ids == ["a", "b"]
    assert fc.name == "NET + Theta"
    rows = np.vstack([np.arange(10.0), np.r_[np.full(4, 3.0), 3.0, 5.0, 4.0, 6.0, 5.0, 7.0]])
    out = fc.forecast(rows, ["a", "b"])
    assert StandIn.seen[-1].shape == (2, 4)  # the network reads its own window only
    expected = 0.5 * np.repeat(rows[:, -1:], 2, axis=1) + 0.5 * theta_part(rows, 2, 1)
    np.testing.assert_allclose(out, expected)
    point, q = fc.forecast_quantiles(rows, ["a", "b"])
    np.testing.assert_allclose(point, out)
    np.testing.assert_allclose(q[..., 0], out - 1)  # intervals move with the point forecast
    np.testing.assert_allclose(q[..., 1], out + 1)


class QuantileStandIn(StandIn):
    """The stand-in with the quantiles a network predictor names (0.1 and 0.9)."""

    network_quantiles = (0.1, 0.9)


def test_blended_widths_average_the_network_and_the_theta_method_offsets():
    from forecastr.baseline_intervals import theta_quantiles

    rows = np.vstack([np.arange(10.0) + np.r_[0, 1, 0, 1, 0, 1, 0, 1, 0, 1], np.full(10, 4.0)])
    rows[1, 4:] += np.array([1.0, -1.0, 2.0, -2.0, 1.0, 0.0])
    plain = Combined(QuantileStandIn(), ThetaMix(0.5, 1, 10, {}))
    blend = Combined(QuantileStandIn(), ThetaMix(0.5, 1, 10, {}, blend=True))
    point, q = blend.forecast_quantiles(rows, ["a", "b"])
    np.testing.assert_allclose(point, plain.forecast(rows, ["a", "b"]))  # the same forecast
    th = theta_part(rows, 2, 1)
    own = theta_quantiles(unpadded(rows), th, (0.1, 0.9), 1) - th[..., None]
    want = point[..., None] + 0.5 * np.stack([-np.ones((2, 2)), np.ones((2, 2))], -1) + 0.5 * own
    np.testing.assert_allclose(q, want)
    assert (q[..., 0] <= point).all() and (point <= q[..., 1]).all()
    assert not np.allclose(q, plain.forecast_quantiles(rows, ["a", "b"])[1])


def test_blended_widths_keep_the_networks_where_theta_has_none(monkeypatch):
    import forecastr.combine as combine

    point, th = np.zeros((2, 2)), np.ones((2, 2))
    net = np.stack([-np.ones((2, 2)), np.ones((2, 2))], -1)  # the network's offsets
    own = np.stack([th - 2, th + 2], -1)
    own[1] = np.nan  # the Theta method gave the second row no quantiles
    monkeypatch.setattr(combine, "theta_quantiles", lambda *a, **k: own)
    mix = ThetaMix(0.5, 1, 4, {})
    out = blended_quantiles(0.5 * point + 0.5 * th, net, th, np.ones((2, 4)), (0.1, 0.9), mix)
    np.testing.assert_allclose(out[0], np.stack([np.full(2, -1.0), np.full(2, 2.0)], -1))
    np.testing.assert_allclose(out[1], np.stack([np.full(2, -0.5), np.full(2, 1.5)], -1))


def test_the_blend_is_stored_only_when_set():
    w = Where("config.json", "train again")
    assert "blend_widths" not in ThetaMix(0.5, 1, 10, {}).to_dict()
    stored = ThetaMix(0.5, 1, 10, {}, blend=True).to_dict()
    assert stored["blend_widths"] is True
    assert check_mix(w, {"theta": stored}, 4).blend
    assert not check_mix(w, {"theta": ThetaMix(0.5, 1, 10, {}).to_dict()}, 4).blend


def _trend_csv(path: Path, series: int = 6) -> Path:
    """Noisy straight lines (six by default): the Theta method's home ground."""
    rng = np.random.default_rng(0)
    frames = []
    for i in range(series):
        t = np.arange(48)
        y = 50 + 20 * i + (1 + i) * 0.8 * t + rng.normal(0, 0.5, t.size)
        ds = pd.date_range("2000-01-01", periods=t.size, freq="YS")
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y.round(3)}))
    pd.concat(frames).to_csv(path, index=False)
    return path


TINY = {"cell": "gru", "hidden": 8, "layers": 1, "ensemble": 1, "epochs": 1, "batch_size": 32}


@pytest.fixture(scope="module")
def combined_model(tmp_path_factory):
    """(csv, model dir, onnx file) of a one-epoch network that validation pairs with Theta."""
    tmp = tmp_path_factory.mktemp("combine")
    csv = _trend_csv(tmp / "trend.csv")
    outcome = api.train(str(csv), **TINY, horizon=4, out=str(tmp / "m"))
    assert outcome.name.endswith("+ Theta")
    export_onnx(tmp / "m", tmp / "m.onnx")
    return csv, tmp / "m", tmp / "m.onnx"


def test_the_chosen_combination_is_stored_and_reported(combined_model):
    _, model_dir, _ = combined_model
    cfg = json.loads((model_dir / "config.json").read_text())
    mix = cfg["theta"]
    assert mix["weight"] == 0.5 and mix["season_length"] == 1
    assert mix["context"] == 48  # the longest series, under baselines.theta_history(1)
    assert mix["validation"]["0.5"] < mix["validation"]["0"]
    assert cfg["summary"]["theta"]["weight"] == 0.5
    assert cfg["evaluation"]["model"].endswith("+ Theta")  # the report scored the average


def test_torch_and_onnx_forecast_the_same_combination(combined_model):
    csv, model_dir, onnx_path = combined_model
    stored = api.predict(str(model_dir))  # from the stored context
    from_data = api.predict(str(model_dir), str(csv))
    from_onnx = api.predict(str(onnx_path), str(csv))
    np.testing.assert_allclose(stored["forecast"], from_data["forecast"], rtol=1e-6)
    np.testing.assert_allclose(from_onnx["forecast"], from_data["forecast"], rtol=1e-4)
    # and it is not the network alone
    fc, _, _ = api.load_predictor(str(model_dir))
    assert isinstance(fc, Combined) and fc.window == 48 and fc.inner.window < 48
    rows = np.linspace(0.0, 30.0, fc.window)[None]
    network = fc.inner.forecast(rows[:, -fc.inner.window :], ["s0"])
    assert not np.allclose(fc.forecast(rows, ["s0"]), network)


def test_the_context_holds_eight_seasons_of_a_long_season():
    """The Theta part reads as much history as the Theta baseline does at its season
    (``baselines.theta_history``): 256 points, or eight seasons of a season over 256."""
    assert context_length(24, 100_000, 1, 24) == 256
    assert context_length(512, 100_000, 1, 288) == 8 * 288
    assert context_length(512, 1_000, 1, 288) == 1_000  # the longest series
    assert context_length(512, 100_000, 2**16, 288) == 512  # the window, past the room
    assert theta_context(100_000, 2**16, 288) == 2**24 // 2**16  # the room: 256
    assert theta_context(100_000, 2**25, 288) == 1  # never under one point
    w = Where("config.json", "train again")

    def mix(season, context):
        d = {"weight": 0.5, "season_length": season, "context": context}
        return check_mix(w, {"theta": d}, 512)

    assert mix(288, 2304).context == 2304
    with pytest.raises(ArtifactError, match=r"theta\.context is 2305"):
        mix(288, 2305)
    with pytest.raises(ArtifactError, match=r"theta\.context is 513"):
        mix(12, 513)  # 256 points of a monthly season, under the window of 512


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda c: c["theta"].update(weight=1.5), "theta.weight is 1.5"),
        (lambda c: c["theta"].update(weight=0), "theta.weight is 0"),
        (lambda c: c["theta"].update(weight=float("nan")), "theta.weight is NaN"),
        (lambda c: c["theta"].update(season_length=0), "theta.season_length is 0"),
        (lambda c: c["theta"].update(context=3), "theta.context is 3"),
        (lambda c: c["theta"].update(context=47), "context.values"),  # the tensor is 48 wide
        (lambda c: c.update(theta=[1]), "theta is a list"),
        (lambda c: c["theta"].update(revision=0), "theta.revision is 0"),
        (lambda c: c["theta"].update(revision=True), "theta.revision is true"),
        (lambda c: c["theta"].update(revision=4.0), "theta.revision is 4.0"),
        (lambda c: c["theta"].update(blend_widths="yes"), "theta.blend_widths is 'yes'"),
    ],
)
def test_a_damaged_combination_is_refused_naming_the_field(
    combined_model, tmp_path, edit, fragment
):
    dst = tmp_path / "m"
    shutil.copytree(combined_model[1], dst)
    write_config(dst, edit)
    with pytest.raises(ArtifactError, match=r"theta|context") as err:
        api.predict(str(dst))
    assert fragment in str(err.value)


def test_the_theta_revision_is_stored_and_a_model_of_this_one_loads_quietly(combined_model):
    csv, model_dir, onnx_path = combined_model
    assert json.loads((model_dir / "config.json").read_text())["theta"]["revision"] == REVISION
    with warnings.catch_warnings():
        warnings.simplefilter("error", ForecastrWarning)
        api.predict(str(model_dir))
        api.predict(str(onnx_path), str(csv))


def _set_revision(stored: int | None):
    def edit(cfg: dict) -> None:
        if stored is None:
            del cfg["theta"]["revision"]  # as saved before revisions were recorded
        else:
            cfg["theta"]["revision"] = stored

    return edit


@pytest.mark.parametrize(
    ("stored", "said"),
    [(REVISION - 2, f"scored with revision {REVISION - 2} "), (None, "saved before forecastr")],
)
def test_another_theta_revision_warns_in_one_line_and_still_forecasts(
    combined_model, tmp_path, runner, stored, said
):
    from forecastr.cli import app

    dst = tmp_path / "m"
    shutil.copytree(combined_model[1], dst)
    write_config(dst, _set_revision(stored))
    result = runner.invoke(app, ["predict", str(dst), "-o", str(tmp_path / "f.csv")])
    assert result.exit_code == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1 and said in warned[0], result.stderr
    assert f"this forecastr computes revision {REVISION}" in warned[0]
    assert str(dst) in warned[0] and "train it again" in warned[0]
    fresh = api.predict(str(combined_model[1]))
    np.testing.assert_allclose(
        pd.read_csv(tmp_path / "f.csv")["forecast"], fresh["forecast"], rtol=1e-6
    )


def test_a_revision_6_model_at_a_short_season_loads_quietly(combined_model, tmp_path):
    """Revision 7 changed only seasons over 256: a revision-6 model at a shorter season reads
    what it was scored on, so loading it says nothing (config.json and ONNX alike)."""
    import onnx
    from onnxedit import with_metadata

    from forecastr.runtime import OnnxPredictor

    dst = tmp_path / "m"
    shutil.copytree(combined_model[1], dst)
    write_config(dst, _set_revision(6))
    assert json.loads((dst / "config.json").read_text())["theta"]["season_length"] <= 64
    proto = onnx.load(str(combined_model[2]))
    meta = {p.key: p.value for p in proto.metadata_props}
    mix = {**json.loads(meta["theta"]), "revision": 6}
    path = with_metadata(proto, tmp_path / "six.onnx", theta=json.dumps(mix))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ForecastrWarning)
        api.predict(str(dst))
        OnnxPredictor.from_onnx(path)


def test_an_onnx_file_of_another_theta_revision_warns(combined_model, tmp_path):
    import onnx
    from onnxedit import with_metadata

    from forecastr.runtime import OnnxPredictor

    _, _, onnx_path = combined_model
    proto = onnx.load(str(onnx_path))
    meta = {p.key: p.value for p in proto.metadata_props}
    mix = {**json.loads(meta["theta"]), "revision": REVISION + 1}
    path = with_metadata(proto, tmp_path / "old.onnx", theta=json.dumps(mix))
    with pytest.warns(ForecastrWarning, match=f"revision {REVISION + 1} of the Theta method"):
        OnnxPredictor.from_onnx(path)


def test_the_revision_note_is_silent_only_where_the_forecasts_cannot_differ():
    assert revision_note(REVISION, "m") is None
    assert "revision 1 " in str(revision_note(1, "m"))
    # revision 7 reads eight seasons of a season over 256; a revision-6 model reads what it
    # stores, so only one that stores more than 256 points at such a season forecasts anew
    assert REVISION == 7
    assert revision_note(6, "m", season_length=12, context=512) is None
    assert revision_note(6, "m", season_length=288, context=256) is None
    assert "revision 6 " in str(revision_note(6, "m", season_length=288, context=512))
    assert "revision 6 " in str(revision_note(6, "m"))  # the season not given: not judged
    assert "revision 5 " in str(revision_note(5, "m", season_length=12, context=48))
    assert "saved before" in str(revision_note(None, "m", season_length=12, context=48))
    assert ThetaMix(0.5, 1, 10, {}).to_dict()["revision"] == REVISION
    assert "revision" not in ThetaMix(0.5, 1, 10, {}, revision=None).to_dict()


def test_intervals_move_with_the_combined_forecast(tmp_path):
    csv = _trend_csv(tmp_path / "trend.csv")
    api.train(str(csv), **TINY, horizon=4, levels=(80.0,), out=str(tmp_path / "m"))
    export_onnx(tmp_path / "m", tmp_path / "m.onnx")
    torch_frame = api.predict(str(tmp_path / "m"), str(csv))
    onnx_frame = api.predict(str(tmp_path / "m.onnx"), str(csv))
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    # enough held-out points for 80%: the calibrated widths are the network's own
    assert cfg["calibration"]["guaranteed"] is True and "blend_widths" not in cfg["theta"]
    assert any(n.endswith("moved with the Theta average") for n in cfg["evaluation"]["notes"])
    assert (torch_frame["lo-80"] <= torch_frame["forecast"]).all()
    assert (torch_frame["forecast"] <= torch_frame["hi-80"]).all()
    for col in ("forecast", "lo-80", "hi-80"):
        np.testing.assert_allclose(onnx_frame[col], torch_frame[col], rtol=1e-4)


def test_one_series_blends_its_widths_in_torch_and_onnx_alike(tmp_path):
    from test_torch_free import run_cli

    csv = _trend_csv(tmp_path / "one.csv", series=1)
    out = api.train(str(csv), **TINY, horizon=4, levels=(80.0, 95.0), out=str(tmp_path / "m"))
    assert any("widths averaged with the Theta method's own" in n for n in out.report.notes)
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    # one validation horizon: too few held-out points for the guarantee, so the widths are
    # blended with the Theta method's own
    assert cfg["calibration"]["guaranteed"] is False and cfg["theta"]["blend_widths"] is True
    export_onnx(tmp_path / "m", tmp_path / "m.onnx")
    torch_frame = api.predict(str(tmp_path / "m"), str(csv))
    proc = run_cli(tmp_path, "predict", "m.onnx", csv.name, "-o", "out.csv", block=True)
    assert proc.returncode == 0, proc.stderr
    assert "torch-free: checked" in proc.stderr
    onnx_frame = pd.read_csv(tmp_path / "out.csv")
    for col in ("forecast", "lo-80", "hi-80", "lo-95", "hi-95"):
        np.testing.assert_allclose(onnx_frame[col], torch_frame[col], rtol=1e-4)
    assert (torch_frame["lo-95"] <= torch_frame["lo-80"]).all()
    assert (torch_frame["hi-80"] <= torch_frame["hi-95"]).all()
    fc, _, _ = api.load_predictor(str(tmp_path / "m"))
    plain = Combined(fc.inner, ThetaMix(**{**vars(fc.mix), "blend": False}))
    rows = (np.linspace(50.0, 90.0, fc.window) + np.sin(np.arange(fc.window)))[None]
    blended_q = fc.forecast_quantiles(rows, ["s0"])[1]
    assert not np.allclose(blended_q, plain.forecast_quantiles(rows, ["s0"])[1])


def test_no_theta_keeps_the_network_alone(tmp_path, runner):
    from forecastr.cli import app

    csv = _trend_csv(tmp_path / "trend.csv")
    flags = ["--model", "gru", "--hidden", "8", "--layers", "1", "--ensemble", "1"]
    flags += ["--epochs", "1", "--horizon", "4", "--no-theta", "-o", str(tmp_path / "m")]
    result = runner.invoke(app, ["train", str(csv), *flags])
    assert result.exit_code == 0, result.output
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    assert "theta" not in cfg and "theta" not in cfg["summary"]
    assert not cfg["evaluation"]["model"].endswith("+ Theta")
    fc, _, _ = api.load_predictor(str(tmp_path / "m"))
    assert not isinstance(fc, Combined) and fc.window == cfg["model"]["window"]


def test_the_combined_onnx_forecast_needs_no_torch(combined_model):
    from test_torch_free import run_cli

    csv, _, onnx_path = combined_model
    proc = run_cli(
        onnx_path.parent, "predict", onnx_path.name, csv.name, "-o", "out.csv", block=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "torch-free: checked" in proc.stderr
    torch_frame = api.predict(str(combined_model[1]), str(csv))
    onnx_frame = pd.read_csv(onnx_path.parent / "out.csv")
    np.testing.assert_allclose(onnx_frame["forecast"], torch_frame["forecast"], rtol=1e-4)


def test_the_summary_shows_every_validation_score_it_has():
    from forecastr.present import theta_text

    scores = {"0": 0.092, "0.5": 0.183, "1": 0.372, "series": 1}
    text = theta_text({"weight": 0.0, "validation": scores})
    assert text == (
        "not used (validation scaled MAE: network 0.092, with Theta 0.183, Theta alone 0.372; "
        "1 series)"
    )
    older = {"0": 0.912, "0.5": 0.874, "series": 645}  # a model saved before Theta alone's
    assert theta_text({"weight": 0.5, "validation": older}) == (
        "weight 0.5 (validation scaled MAE: network 0.912, with Theta 0.874; 645 series)"
    )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 50),
    st.integers(1, 4),
    st.floats(0.0, 5.0),
    st.floats(-5.0, 5.0),
    st.integers(0, 2**16),
)
def test_more_series_never_make_the_network_alone_rarer(series, steps, spread, bias, seed):
    """The same per-series errors, repeated over more series: the margin only loosens
    (combine.margin grows with the count), so once the network is kept alone it stays."""
    rng = np.random.default_rng(seed)
    actual = rng.normal(0, 1, (series, steps))
    network = actual + rng.normal(0, 0.5, (series, steps))
    theta_fc = actual + bias + rng.normal(0, spread, (series, steps))
    scale = np.ones(series)
    few, _ = choose(network, theta_fc, actual, scale)
    many, _ = choose(
        *(np.tile(a, (9, 1)) for a in (network, theta_fc, actual)), np.ones(9 * series)
    )
    assert few in (0.0, 0.5) and many in (0.0, 0.5)
    assert not (few == 0.0 and many == 0.5)
    assert margin(series) <= margin(9 * series) < NETWORK_MARGIN
    assert margin(series) < margin(series, early_stopped=False) < 1.0
