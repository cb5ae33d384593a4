"""The saved model is refit on every point; the report still comes from the holdout run.
Also: series the model never saw, and files with short series."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import make_panel

from forecastr import api, autoconfig
from forecastr.errors import ForecastrError

OPTS = {"cell": "gru", "hidden": 8, "layers": 1, "window": 12, "horizon": 4, "ensemble": 1}
TRAIN = {"epochs": 4, "batch_size": 16, "max_batches": 4, "seed": 3, "patience": 100}
H = OPTS["horizon"]


def _wreck_test_part(panel):
    y = panel.y.copy()
    for end in panel.offsets[1:]:
        y[end - H : end] = y[end - H : end] * -50.0 + 1e4
    return replace(panel, y=y)


def _same_weights(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return all(torch.equal(sa[k], sb[k]) for k in sa)


def test_report_model_never_sees_the_test_part_and_the_refit_model_sees_every_point(tmp_path):
    panel = make_panel([60, 75, 52])
    a = api.train(panel, **OPTS, **TRAIN, out=str(tmp_path / "a"))
    b = api.train(_wreck_test_part(panel), **OPTS, **TRAIN, out=str(tmp_path / "b"))
    # The holdout model (the one the report scores) is blind to the test part ...
    assert _same_weights(a.holdout.model, b.holdout.model)
    np.testing.assert_array_equal(a.holdout.split.val_end, panel.offsets[1:] - H)
    # ... the saved, refit model trained on every point, test part included.
    assert a.refit and a.result is not a.holdout
    np.testing.assert_array_equal(a.result.split.train_end, panel.offsets[1:])
    assert not _same_weights(a.result.model, b.result.model)
    # It ran the epochs early stopping chose, with no validation.
    assert a.result.summary["epochs_run"] == a.holdout.summary["best_epoch"]
    cfg = json.loads((tmp_path / "a" / "config.json").read_text())
    assert cfg["refit"] is True
    for i, sid in enumerate(panel.ids):
        assert np.datetime64(cfg["train_end"][sid]) == panel.timestamps(i)[-1]
    # The stored evaluation is the holdout report.
    assert cfg["evaluation"]["summary"] == a.report.to_dict()["summary"]


def test_no_refit_saves_the_evaluated_model(tmp_path):
    panel = make_panel([60, 75])
    out = api.train(panel, **OPTS, **TRAIN, out=str(tmp_path / "m"), refit=False)
    assert not out.refit and out.result is out.holdout
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    assert cfg["refit"] is False


def _frame(panel) -> pd.DataFrame:
    """Long frame ``unique_id, ds, y`` of a panel."""
    ids = np.repeat(np.asarray(panel.ids, dtype=object), panel.lengths)
    return pd.DataFrame({"unique_id": ids, "ds": panel.ds, "y": panel.y})


def _csv(panel, path):
    _frame(panel).to_csv(path, index=False)
    return str(path)


def test_evaluate_on_the_training_file_of_a_refit_model_stays_honest(tmp_path):
    panel = make_panel([60, 75])
    data = _csv(panel, tmp_path / "d.csv")
    api.train(data, **OPTS, **TRAIN, out=str(tmp_path / "m"))
    with pytest.raises(ForecastrError, match="refit on every point"):
        api.evaluate(data, str(tmp_path / "m"))
    report, _, _ = api.evaluate(data, str(tmp_path / "m"), refit=True)  # retrains per fold
    assert report.refit and report.model


def test_evaluate_scores_at_the_season_train_reported(tmp_path):
    # Monthly lines with noise: no season is found, so validation gives the network the last
    # value as its base (season 1), while train's report scores at the calendar's 12 (M4's
    # MASE). evaluate used the base, so the same model's MASE meant another thing there.
    panel = make_panel([60, 72], freq="MS")
    data = _csv(panel, tmp_path / "d.csv")
    out = api.train(data, **OPTS, **TRAIN, out=str(tmp_path / "m"), refit=False)
    assert out.holdout is not None and out.holdout.model_cfg.season_length == 1  # the case
    assert out.report.season_length == 12
    report, _, _ = api.evaluate(data, str(tmp_path / "m"))
    assert report.season_length == 12
    assert "seasonal_naive" in report.methods
    rows = {r["method"]: r for r in report.to_dict()["summary"]}
    stored = {r["method"]: r for r in out.report.to_dict()["summary"]}
    # the holdout fold is train's test part, scored by the same model: the same MASE
    for method in ("seasonal_naive", "naive", out.report.model):
        assert rows[method]["mase"] == pytest.approx(stored[method]["mase"])
    # given by hand, the season still wins
    assert api.evaluate(data, str(tmp_path / "m"), season_length=3)[0].season_length == 3


def test_new_series_are_forecast_from_their_own_scale(tmp_path):
    panel = make_panel([60, 75, 52])
    api.train(panel, **OPTS, **TRAIN, out=str(tmp_path / "m"))
    frame = _frame(panel)
    s0 = frame[frame.unique_id == "s0"]
    new = s0.assign(unique_id="fresh", y=3.0 * s0["y"] + 500.0)
    path = tmp_path / "new.csv"
    pd.concat([s0, new]).to_csv(path, index=False)
    fc = api.predict(str(tmp_path / "m"), str(path))
    assert fc.attrs["new_series"] == ["fresh"]
    known = fc.loc[fc.unique_id == "s0", "forecast"].to_numpy()
    fresh = fc.loc[fc.unique_id == "fresh", "forecast"].to_numpy()
    # A window-normalising model follows an affine change of its input exactly.
    np.testing.assert_allclose(fresh, 3.0 * known + 500.0, rtol=1e-4)


def test_new_series_through_onnx_and_the_cli(tmp_path, runner):
    from forecastr.cli import app

    panel = make_panel([60, 75])
    api.train(panel, **OPTS, **TRAIN, out=str(tmp_path / "m"))
    onnx = tmp_path / "m.onnx"
    assert runner.invoke(app, ["export", str(tmp_path / "m"), "--onnx", str(onnx)]).exit_code == 0
    frame = _frame(panel)
    s1 = frame[frame.unique_id == "s1"]
    pd.concat([s1, s1.assign(unique_id="brand-new", y=s1["y"] * 0.5)]).to_csv(
        tmp_path / "n.csv", index=False
    )
    res = runner.invoke(app, ["predict", str(onnx), str(tmp_path / "n.csv")])
    assert res.exit_code == 0, res.stderr
    assert "1 series the model never saw" in res.stderr
    fc = pd.read_csv(__import__("io").StringIO(res.stdout))
    known = fc.loc[fc.unique_id == "s1", "forecast"].to_numpy()
    fresh = fc.loc[fc.unique_id == "brand-new", "forecast"].to_numpy()
    np.testing.assert_allclose(fresh, 0.5 * known, rtol=1e-3)


def test_a_file_with_short_series_trains_and_forecasts_all_of_them(tmp_path, runner):
    from forecastr.cli import app

    panel = make_panel([80, 90, 20, 7, 3])  # window 12 + 3 x 4: 20, 7 and 3 are short
    data = _csv(panel, tmp_path / "d.csv")
    res = runner.invoke(
        app,
        ["train", data, "--window", "12", "--horizon", "4", "--hidden", "8", "--layers", "1",
         "--epochs", "3", "--ensemble", "1", "-o", str(tmp_path / "m"), "--quiet", "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["short_series"]["padded"] == 3
    assert out["short_series"]["unscorable"] == 1  # 3 points: nothing before its horizon
    assert "'s4'" in res.stderr  # named in a warning
    assert out["evaluation"]["n_series"] == 4
    fc = api.predict(str(tmp_path / "m"))
    assert sorted(set(fc.unique_id)) == panel.ids
    assert np.isfinite(fc.forecast).all()


def _panel_of(series: list[np.ndarray]):
    from forecastr.panel import Panel

    lens = [len(y) for y in series]
    return Panel(
        ids=[f"s{i}" for i in range(len(series))],
        y=np.concatenate(series),
        ds=np.concatenate([np.arange(n, dtype=np.int64) for n in lens]),
        offsets=np.concatenate([[0], np.cumsum(lens)]).astype(np.int64),
        freq=None,
    )


def test_the_base_is_chosen_on_the_training_part():
    rng = np.random.default_rng(0)
    t = np.arange(120)
    seasonal = [10 + 5 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.3, 120) for _ in range(5)]
    walks = [np.cumsum(rng.normal(0, 1, 120)) for _ in range(5)]
    assert autoconfig.choose_base(_panel_of(seasonal), 6, 6, 24, [12]) == 12
    assert (
        autoconfig.choose_base(_panel_of(walks), 6, 6, 24, [12]) == 1
    )  # a season that isn't there
    assert (
        autoconfig.choose_base(_panel_of(seasonal), 6, 6, 8, [12]) == 1
    )  # 12 doesn't fit the window


class _NanModel:
    name, window, horizon, ids, train_end = "broken", 4, 2, ["s0", "s1"], None

    def forecast(self, windows, series_ids):
        out = np.ones((len(windows), self.horizon))
        out[-1, 0] = np.nan
        return out


def test_non_finite_forecasts_are_an_error_naming_the_series():
    from forecastr.evaluate import backtest
    from forecastr.forecast import forecast_frame

    with pytest.raises(ForecastrError, match="NaN or infinite forecasts for series 's1'"):
        forecast_frame(_NanModel(), np.ones((2, 4)), ["s0", "s1"], [10, 20], None)
    with pytest.raises(ForecastrError, match="'s1'"):
        backtest(make_panel([30, 30], freq=None), horizon=2, season_length=1, model=_NanModel())
