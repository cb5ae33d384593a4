"""The Theta method alone as the saved model, where every series is too short for the network
(forecastr/thetaonly.py): trained, reported, saved, checked on load, forecast, evaluated,
and refused by export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_modelcheck import edit_weights, refused, setter, write_config

from forecastr import api
from forecastr.artifact import CONFIG, load
from forecastr.baselines import theta
from forecastr.cli import app
from forecastr.errors import ArtifactError
from forecastr.theta import REVISION
from forecastr.thetaonly import KIND, ThetaPredictor

# Yearly, 14 points, horizon 6: validation and test keep 12, leaving 2 for training, and the
# default window (two horizons) fits no series. (The M3 yearly case: 7 of 30 single series.)
N, H = 14, 6


def yearly(k: int, n: int = N) -> np.ndarray:
    t = np.arange(n, dtype=np.float64)
    return 1000.0 + 40.0 * t + 25.0 * np.sin(1.3 * t + k) + 10.0 * k


def write_yearly(path: Path, n_series: int = 1, n: int = N) -> Path:
    rows = [
        {"unique_id": f"s{k}", "ds": pd.Timestamp(1990 + t, 1, 1), "y": v}
        for k in range(n_series)
        for t, v in enumerate(yearly(k, n))
    ]
    frame = pd.DataFrame(rows)
    if n_series == 1:
        frame = frame.drop(columns="unique_id")
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Path, Path]:
    """(csv, model dir) of one short yearly series trained with intervals."""
    tmp = tmp_path_factory.mktemp("thetaonly")
    csv = write_yearly(tmp / "y.csv")
    api.train(str(csv), horizon=H, levels="80,95", out=str(tmp / "m"))
    return csv, tmp / "m"


def test_train_warns_and_saves_the_theta_method_alone(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_yearly(tmp_path / "y.csv")
    res = runner.invoke(app, ["train", "y.csv", "--horizon", str(H), "-o", "m"])
    assert res.exit_code == 0, res.output
    assert "no network trained" in res.stderr and "holds 2 points" in res.stderr
    assert "Theta method alone" in res.stderr and "Traceback" not in res.output
    assert "Theta: MASE" in res.stdout  # the skill sentence names the model served
    assert "retrained on each fold's history" in res.stdout
    cfg = json.loads((tmp_path / "m" / CONFIG).read_text())
    assert cfg["model"]["kind"] == KIND and cfg["model"]["horizon"] == H
    assert cfg["model"]["window"] == N  # the whole history: the Theta fit reads up to 256
    assert not {"scaler", "training", "theta", "calibration"} & set(cfg)
    assert cfg["model"]["theta_revision"] == REVISION
    assert set(load(tmp_path / "m").tensors) == {"context.values", "context.last"}


def test_the_holdout_report_scores_theta_on_points_it_never_saw(saved):
    model = saved[1]
    cfg = json.loads((model / CONFIG).read_text())
    rows = {r["method"]: r for r in cfg["evaluation"]["summary"]}
    y = yearly(0)
    hand = theta(y[None, : N - H], H)[0]  # fitted on the points before the test part only
    mae = float(np.mean(np.abs(y[N - H :] - hand)))
    assert rows["Theta"]["mae"] == pytest.approx(mae, rel=1e-9)
    assert rows["theta"]["mae"] == pytest.approx(mae, rel=1e-9)  # the same method


def test_predict_forecasts_theta_on_the_whole_history_with_intervals(saved):
    csv, model = saved
    frame = api.predict(str(model))
    bands = ["lo-80", "hi-80", "lo-95", "hi-95"]
    assert list(frame.columns) == ["unique_id", "ds", "forecast", *bands]
    assert len(frame) == H and str(frame["ds"].iloc[0]).startswith(str(1990 + N))
    np.testing.assert_allclose(frame["forecast"], theta(yearly(0)[None], H)[0], rtol=1e-12)
    lo95, lo80, hi80, hi95 = (frame[c].to_numpy() for c in ("lo-95", "lo-80", "hi-80", "hi-95"))
    assert np.isfinite(frame.select_dtypes("number").to_numpy()).all()
    assert (lo95 <= lo80).all() and (lo80 <= hi80).all() and (hi80 <= hi95).all()
    assert (hi95 > lo95).any()  # widths from the method's own past errors, not zero
    again = api.predict(str(model), str(csv))  # from the CSV: the same forecast
    np.testing.assert_allclose(again["forecast"], frame["forecast"], rtol=1e-12)


def test_evaluate_scores_every_fold_with_or_without_refit(saved):
    csv, model = saved
    for refit in (False, True):
        report, _, fc = api.evaluate(str(csv), str(model), horizon=3, folds=2, refit=refit)
        assert report.model == "Theta" and report.refit and report.folds == 2
        assert isinstance(fc, ThetaPredictor)
        assert np.isfinite(report.summary.set_index("method").loc["Theta", "mase"])


def test_export_refuses_in_one_line(runner, saved, tmp_path):
    res = runner.invoke(app, ["export", str(saved[1]), "--onnx", str(tmp_path / "m.onnx")])
    assert res.exit_code != 0 and "Traceback" not in res.output
    line = res.stderr.strip()
    assert "\n" not in line and "Theta method alone" in line and "forecastr predict" in line
    assert not (tmp_path / "m.onnx").exists()


def test_a_file_of_short_series_forecasts_each_and_new_ones(tmp_path):
    csv = write_yearly(tmp_path / "many.csv", n_series=4, n=12)
    out = api.train(str(csv), horizon=H, out=str(tmp_path / "m"))
    assert out.theta_only is not None and out.result is None and out.name == "Theta"
    assert out.to_dict()["config"]["kind"] == KIND
    frame = api.predict(str(tmp_path / "m"))
    assert frame["unique_id"].nunique() == 4 and np.isfinite(frame["forecast"]).all()
    other = tmp_path / "other.csv"
    df = pd.read_csv(csv)
    df["unique_id"] = df["unique_id"].str.replace("s", "new")
    df.to_csv(other, index=False)
    new = api.predict(str(tmp_path / "m"), str(other))
    assert sorted(new.attrs["new_series"]) == ["new0", "new1", "new2", "new3"]
    np.testing.assert_allclose(new["forecast"], frame["forecast"], rtol=1e-12)  # per series


def test_the_stored_context_fits_what_loading_allows_for_many_series(tmp_path, monkeypatch):
    """With more series than the stored context has room for at the longest series' length,
    the saved window shrinks to the room (``combine.theta_context``), so the model loads and
    forecasts instead of being refused by its own size check."""
    monkeypatch.setattr("forecastr.modelcheck.MAX_CONTEXT_VALUES", 40)  # 4 series: 10 each
    csv = write_yearly(tmp_path / "many.csv", n_series=4, n=12)
    api.train(str(csv), horizon=H, out=str(tmp_path / "m"))
    config = json.loads((tmp_path / "m" / CONFIG).read_text())
    assert config["model"]["window"] == 10  # not the 12 points of the longest series
    frame = api.predict(str(tmp_path / "m"))
    assert frame["unique_id"].nunique() == 4 and np.isfinite(frame["forecast"]).all()


def test_short_quarterly_series_keep_their_season(tmp_path):
    """Seven quarters per series (a season and three quarters): too short for the network and
    for a seasonal test, so the file's calendar season stands in, and the forecast follows the
    season instead of a flat line."""
    pattern = np.array([0.7, 1.2, 1.4, 0.7])
    rows = [
        {"unique_id": f"s{k}", "ds": pd.Timestamp("2020-01-01") + pd.DateOffset(months=3 * t),
         "y": (200.0 + 5.0 * t + 20.0 * k) * pattern[t % 4]}
        for k in range(3)
        for t in range(7)
    ]  # fmt: skip
    csv = tmp_path / "q.csv"
    pd.DataFrame(rows).to_csv(csv, index=False)
    out = api.train(str(csv), horizon=4, out=str(tmp_path / "m"))
    assert out.theta_only is not None and out.theta_only.model_config["season_length"] == 4
    frame = api.predict(str(tmp_path / "m"))
    for _, g in frame.groupby("unique_id"):
        f = g["forecast"].to_numpy()
        phase = pattern[(7 + np.arange(4)) % 4]  # the quarters that follow
        assert np.corrcoef(f, phase)[0, 1] > 0.95


@pytest.mark.parametrize(
    "flags", [["--window", "12"], ["--no-theta"]], ids=["window-given", "no-theta"]
)
def test_a_window_given_or_no_theta_keeps_the_refusal(runner, tmp_path, monkeypatch, flags):
    monkeypatch.chdir(tmp_path)
    write_yearly(tmp_path / "y.csv")
    res = runner.invoke(app, ["train", "y.csv", "--horizon", str(H), "-o", "m", *flags])
    assert res.exit_code == 2 and "longer than every series" in res.stderr
    assert not (tmp_path / "m").exists()


def test_long_series_still_train_a_network(tmp_path):
    csv = write_yearly(tmp_path / "y.csv", n=40)
    out = api.train(str(csv), horizon=H, epochs=1, hidden=8, ensemble=1, save_model=False)
    assert out.theta_only is None and out.result is not None


@pytest.mark.parametrize(
    "edit, field",
    [
        (setter("model", "kind", "ets"), "model.kind"),
        (setter("model", "window", 0), "model.window"),
        (setter("model", "window", 10**6), "model.window"),
        (setter("model", "horizon", -1), "model.horizon"),
        (setter("model", "season_length", 1.5), "model.season_length"),
        (setter("model", "levels", [95, 80]), "model.levels"),
        (setter("model", "theta_revision", 0), "model.theta_revision"),
        (setter("model", "theta_revision", "5"), "model.theta_revision"),
        (setter("model", "hidden", 8), "model.hidden"),
        (setter("scaler", {"kind": "standard"}), "scaler"),
        (setter("theta", {"weight": 1}), "theta"),
        (setter("data", "ids", ["a", "a"]), "data.ids"),
    ],
)
def test_a_crafted_config_is_refused_naming_the_field(saved, tmp_path, edit, field):
    model = tmp_path / "m"
    shutil.copytree(saved[1], model)
    write_config(model, edit)
    refused(model, CONFIG, field)


def test_another_theta_revision_warns_and_still_forecasts(saved, tmp_path, runner):
    model = tmp_path / "m"
    shutil.copytree(saved[1], model)
    write_config(model, setter("model", "theta_revision", REVISION - 2))
    res = runner.invoke(app, ["predict", str(model)])
    assert res.exit_code == 0, res.stderr
    assert f"warning: {model}: its Theta part was scored with revision {REVISION - 2}" in (
        res.stderr
    )
    assert res.stdout == runner.invoke(app, ["predict", str(saved[1])]).stdout


def test_a_network_tensor_in_its_weights_is_refused(saved, tmp_path):
    model = tmp_path / "m"
    shutil.copytree(saved[1], model)

    def add(tensors):
        tensors["model.loc"] = np.zeros(1, dtype=np.float32)

    edit_weights(model, add)
    refused(model, "model.loc")


def test_a_shorter_stored_context_is_refused(saved, tmp_path):
    model = tmp_path / "m"
    shutil.copytree(saved[1], model)

    def cut(tensors):
        tensors["context.values"] = np.ascontiguousarray(tensors["context.values"][:, 1:])

    edit_weights(model, cut)
    with pytest.raises(ArtifactError, match=r"context\.values"):
        load(model)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=1, max_size=20
    ),
    horizon=st.integers(1, 8),
    season=st.sampled_from([1, 4, 12]),
)
def test_forecasts_are_finite_and_quantiles_never_cross(values, horizon, season):
    window = 20
    row = np.array(values)
    padded = np.concatenate([np.full(window - row.size, row[0]), row])[None]
    m = {"kind": KIND, "window": window, "horizon": horizon, "season_length": season}
    fc = ThetaPredictor(["a"], {**m, "levels": [80.0, 95.0], "quantiles": [0.5]})
    point, q = fc.forecast_quantiles(padded, ["a"])
    assert point.shape == (1, horizon) and q.shape == (1, horizon, 5)
    assert np.isfinite(point).all() and np.isfinite(q).all()
    assert (np.diff(q, axis=-1) >= 0).all()


def test_info_says_when_no_series_fills_the_window(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_yearly(tmp_path / "short.csv")
    write_yearly(tmp_path / "long.csv", n=40)
    for name, fits in (("short.csv", False), ("long.csv", True)):
        res = runner.invoke(app, ["info", name, "--json"])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["short_series"]["network_fits"] is fits
    res = runner.invoke(app, ["info", "short.csv"])
    assert "train saves the Theta method alone" in " ".join(res.stdout.split())
