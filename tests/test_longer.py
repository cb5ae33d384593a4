"""A longer training horizon for many series with no season (``forecastr/longer.py``): the
rule, the network cut to the steps asked for, the parts ``fit`` cuts, and ``train`` end to
end (the artifact, ``predict`` and ONNX see a network of the asked horizon)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import make_panel

from forecastr import api
from forecastr.config import ModelConfig, TrainConfig
from forecastr.errors import InputError
from forecastr.longer import MIN_SERIES, trained_for, training_horizon, widened
from forecastr.models import Ensemble, ForecastNet, narrowed
from forecastr.train import fit

YEARLY = ModelConfig(window=8, horizon=4)


class Season:
    def __init__(self, period: int):
        self.period = period


def test_the_rule_holds_for_many_yearly_series_asked_for_fewer_steps():
    many = make_panel([30] * MIN_SERIES, freq="YS")
    assert training_horizon(many, YEARLY, []) == 6  # the yearly default horizon
    assert training_horizon(make_panel([30] * MIN_SERIES, freq=None), YEARLY, []) == 10


@pytest.mark.parametrize(
    "case",
    [
        "few series",
        "default horizon asked",
        "longer asked",
        "monthly",
        "every 3 days",
        "season found",
        "seq2seq",
    ],
)
def test_the_rule_leaves_everything_else_alone(case):
    panel = make_panel([30] * MIN_SERIES, freq="YS")
    cfg, seasons = YEARLY, []
    if case == "few series":
        panel = make_panel([30] * (MIN_SERIES - 1), freq="YS")
    elif case == "default horizon asked":
        cfg = replace(cfg, horizon=6)
    elif case == "longer asked":
        cfg = replace(cfg, horizon=9, window=18)
    elif case == "monthly":
        panel = make_panel([60] * MIN_SERIES, freq="MS")
    elif case == "every 3 days":  # no season named, but never measured: left as asked
        panel = make_panel([60] * MIN_SERIES, freq="3D")
    elif case == "season found":
        panel, seasons = make_panel([60] * MIN_SERIES, freq=None), [Season(7)]
    else:
        cfg = replace(cfg, decoder="seq2seq")
    assert training_horizon(panel, cfg, seasons) is None


def test_widened_sizes_the_window_for_the_longer_horizon():
    panel = make_panel([40] * MIN_SERIES, freq="YS")
    mcfg, tcfg = widened(panel, YEARLY, TrainConfig(), [])
    assert (mcfg.horizon, mcfg.window, tcfg.train_horizon) == (4, 12, 6)
    assert widened(make_panel([40] * 3, freq="YS"), YEARLY, TrainConfig(), []) is None


def test_trained_for_keeps_the_asked_test_part_and_lets_a_refit_see_everything():
    net, tc = trained_for(YEARLY, TrainConfig(train_horizon=6))
    assert (net.horizon, tc.test_size, tc.val_size) == (6, 4, None)  # validation: 6 points
    _, tc = trained_for(YEARLY, TrainConfig(train_horizon=6, val_size=3))
    assert tc.val_size == 6  # whole validation windows of the trained horizon
    _, tc = trained_for(YEARLY, TrainConfig(train_horizon=6, val_size=0, test_size=0))
    assert (tc.val_size, tc.test_size) == (0, 0)  # a refit's: it sees every point
    assert trained_for(YEARLY, TrainConfig(train_horizon=3)) == (
        YEARLY,
        TrainConfig(train_horizon=3),
    )
    with pytest.raises(InputError, match="direct decoder"):
        trained_for(replace(YEARLY, decoder="seq2seq"), TrainConfig(train_horizon=6))


@pytest.mark.parametrize("quantiles", [(), (0.1, 0.5, 0.9)])
@pytest.mark.parametrize("members", [1, 2])
def test_the_narrowed_network_forecasts_the_first_steps_of_the_trained_one(quantiles, members):
    torch.manual_seed(0)
    cfg = ModelConfig(window=12, horizon=6, hidden=8, layers=1, quantiles=quantiles)
    wide = ForecastNet(cfg) if members == 1 else Ensemble([ForecastNet(cfg) for _ in range(2)])
    wide.eval()
    x = torch.randn(5, 12).cumsum(dim=1)
    cut = narrowed(wide, 4).eval()
    with torch.no_grad():
        full, first = wide(x), cut(x)
    assert first.shape[1] == 4 and full.shape[1] == 6
    torch.testing.assert_close(first, full[:, :4])
    assert not torch.equal(full[:, 4:], full[:, :2])  # the later steps were really there


def test_fit_trains_longer_and_serves_the_asked_horizon():
    panel = make_panel([30, 26, 40, 35], freq="YS")
    tc = TrainConfig(epochs=2, train_horizon=6, jobs=1)
    cfg = ModelConfig(window=8, horizon=4, hidden=8, layers=1)
    res = fit(panel, cfg, tc)
    assert res.model_cfg.horizon == 4 and res.split.horizon == 4
    assert res.summary["train_horizon"] == 6 and res.train_cfg.train_horizon == 6
    ends = panel.offsets[1:]
    assert np.array_equal(res.split.val_end, ends - 4)  # the test part: the asked horizon
    assert np.array_equal(res.split.train_end, ends - 10)  # validation: the trained one
    with torch.no_grad():
        out = res.model(torch.ones(2, 8), torch.tensor([0, 1]))
    assert out.shape == (2, 4)
    refit = fit(panel, cfg, tc, epochs=[1])
    assert np.array_equal(refit.split.train_end, ends)  # the refit trains on every point
    means = [panel.y[a:b].mean() for a, b in zip(panel.offsets[:-1], ends, strict=True)]
    np.testing.assert_allclose(refit.scaler.loc, means)  # its scaler, too


def test_train_end_to_end_on_many_yearly_series(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    rows = [
        (f"s{i}", f"{1980 + t}-01-01", v)
        for i in range(MIN_SERIES)
        for t, v in enumerate(100 + np.cumsum(rng.normal(1, 3, 20 + i % 7)))
    ]
    csv = tmp_path / "yearly.csv"
    pd.DataFrame(rows, columns=["id", "ds", "y"]).to_csv(csv, index=False)
    out = api.train(str(csv), horizon=4, epochs=2, hidden=8, ensemble=1, jobs=1,
                    levels=[80], out=str(tmp_path / "m"))  # fmt: skip
    assert out.result.model_cfg.horizon == 4 and out.result.model_cfg.window == 12
    saved = json.loads((tmp_path / "m" / "config.json").read_text())
    assert saved["training"]["train_horizon"] == 6 and saved["model"]["horizon"] == 4
    fc = api.predict(str(tmp_path / "m"))
    assert len(fc) == 4 * MIN_SERIES and np.isfinite(fc[["forecast", "lo-80", "hi-80"]]).all().all()
    # evaluate --refit retrains each fold the same way (the stored training settings).
    seen = []

    def spy(panel, cfg, tcfg, *args, **kwargs):
        seen.append((cfg.horizon, tcfg.train_horizon))
        return fit(panel, cfg, tcfg, *args, **kwargs)

    monkeypatch.setattr("forecastr.train.fit", spy)
    report, _, _ = api.evaluate(str(csv), str(tmp_path / "m"), refit=True, folds=2)
    assert seen == [(4, 6), (4, 6)] and report.to_dict()
    monkeypatch.undo()
    # A window of the user's keeps the horizon asked for.
    own = api.train(str(csv), horizon=4, window=8, epochs=1, hidden=8, ensemble=1, jobs=1,
                    save_model=False)  # fmt: skip
    assert own.result.train_cfg.train_horizon is None and "train_horizon" not in own.result.summary


def test_the_training_summary_says_when_the_rule_applied(tmp_path, runner):
    from forecastr.cli import app

    rng = np.random.default_rng(1)
    rows = [
        (f"s{i}", f"{1990 + t}-01-01", v)
        for i in range(MIN_SERIES)
        for t, v in enumerate(50 + np.cumsum(rng.normal(0.5, 2, 24)))
    ]
    csv = tmp_path / "yearly.csv"
    pd.DataFrame(rows, columns=["id", "ds", "y"]).to_csv(csv, index=False)
    args = ["train", str(csv), "-o", str(tmp_path / "m"), "--epochs", "1", "--hidden", "8"]
    res = runner.invoke(app, [*args, "--ensemble", "1", "--jobs", "1", "--horizon", "3"])
    assert res.exit_code == 0, res.output
    assert "trained horizon" in res.output and "6 steps, the first 3 served" in res.output
    res = runner.invoke(app, [*args, "--ensemble", "1", "--jobs", "1", "--horizon", "6"])
    assert res.exit_code == 0, res.output
    assert "trained horizon" not in res.output  # the default horizon asked: trained as asked


def test_info_says_a_shorter_horizon_trains_longer(tmp_path, runner):
    from forecastr.cli import app

    for n, expected in ((MIN_SERIES, 6), (MIN_SERIES - 1, None)):
        rows = [(f"s{i}", f"{1990 + t}-01-01", 10.0 + i + t) for i in range(n) for t in range(25)]
        csv = tmp_path / f"yearly{n}.csv"
        pd.DataFrame(rows, columns=["id", "ds", "y"]).to_csv(csv, index=False)
        d, _ = api.info(str(csv))
        assert d["short_horizons_train_for"] == expected
        res = runner.invoke(app, ["info", str(csv)])
        assert res.exit_code == 0, res.output
        assert ("a shorter --horizon still trains for 6 steps" in res.output) == bool(expected)
