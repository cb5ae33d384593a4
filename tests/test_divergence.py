"""Divergence is an error and never replaces a good model; the save says when it replaced one;
names the file system cannot hold are refused before any work."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from forecastr import api
from forecastr.cli import app
from forecastr.errors import OutputError, TrainingError
from forecastr.forecast import PLAUSIBLE_SPANS, find_implausible
from forecastr.outputs import check_file, check_model_dir
from tests.conftest import make_panel
from tests.test_cli_train import TINY, monthly_csv


class Echo:
    """A forecaster whose forecast is a fixed function of the window, for the plausibility rule."""

    def __init__(self, fn, window: int = 4, horizon: int = 3):
        self.fn, self.window, self.horizon, self.name = fn, window, horizon, "echo"

    def forecast(self, windows, series_ids):
        return np.stack([self.fn(w) for w in np.asarray(windows)])


def test_a_forecast_inside_the_history_band_is_plausible():
    panel = make_panel([30, 30])
    assert find_implausible(Echo(lambda w: np.full(3, w[-1] + 5.0)), panel) is None


def test_a_runaway_forecast_names_the_series_and_its_range():
    panel = make_panel([30, 30])  # s1 spans about 1000..1029
    far = 1029 + 30 * (PLAUSIBLE_SPANS + 1)

    def fn(w):
        return np.full(3, far if w[0] > 500 else w[-1])

    bad = find_implausible(Echo(fn), panel)
    assert bad is not None and bad.series == "s1" and bad.value == pytest.approx(far)
    assert "s1" in bad.describe() and "spans" in bad.describe()


def test_a_nan_forecast_is_implausible():
    bad = find_implausible(Echo(lambda w: np.full(3, np.nan)), make_panel([20]))
    assert bad is not None and np.isnan(bad.value)


def test_a_flat_series_still_has_a_band():
    panel = make_panel([20])
    panel.y[:] = 50.0
    assert find_implausible(Echo(lambda w: np.full(3, 52.0)), panel) is None
    assert find_implausible(Echo(lambda w: np.full(3, 50.0 + 6.0 * 11)), panel) is not None


def test_a_series_of_zeros_has_a_band_in_its_scalers_unit():
    # A stock file's OpenInt column is all zeros; the network's float32 output for it is
    # 1e-5 or so, which is not divergence (a runaway model is thousands of units off).
    panel = make_panel([20])
    panel.y[:] = 0.0
    assert find_implausible(Echo(lambda w: np.full(3, 2.3e-5)), panel) is None
    assert find_implausible(Echo(lambda w: np.full(3, -0.05)), panel) is None
    assert find_implausible(Echo(lambda w: np.full(3, 0.2)), panel) is not None


@pytest.fixture
def data(tmp_path, monkeypatch) -> str:
    monkeypatch.chdir(tmp_path)
    return monthly_csv(tmp_path / "data.csv")


def _forecast_of(runner, model) -> str:
    result = runner.invoke(app, ["predict", str(model)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_runaway_learning_rate_is_a_training_error_and_the_good_model_stays(
    runner, data, tmp_path
):
    model = tmp_path / "model"
    ok = runner.invoke(app, ["train", data, *TINY, "-o", str(model)])
    assert ok.exit_code == 0, ok.output
    before = _forecast_of(runner, model)
    bad = runner.invoke(
        app, ["train", data, *TINY, "--epochs", "5", "--lr", "1e6", "-o", str(model)]
    )
    assert bad.exit_code == TrainingError.exit_code, bad.output
    line = bad.stderr.strip().splitlines()[-1]
    assert "diverged" in line and "--lr" in line and "no model written" in line
    assert "Traceback" not in bad.output
    assert _forecast_of(runner, model) == before  # the earlier model is untouched


def test_a_diverged_refit_is_refused_with_the_no_refit_advice(data, tmp_path, monkeypatch):
    from forecastr import forecast

    real = forecast.find_implausible
    calls = []

    def second_call_diverges(fc, panel):  # the holdout run passes, the refit does not
        calls.append(fc)
        if len(calls) == 2:
            return forecast.Implausible("a", 1e12, 0.0, 1.0)
        return real(fc, panel)

    monkeypatch.setattr(forecast, "find_implausible", second_call_diverges)

    out = tmp_path / "m"
    with pytest.raises(TrainingError, match=r"refit on every point diverged.*--no-refit"):
        api.train(
            data,
            hidden=8,
            layers=1,
            ensemble=1,
            epochs=2,
            out=str(out),
        )
    assert not out.exists()


def test_the_output_says_when_an_existing_model_was_replaced(runner, data, tmp_path):
    model = tmp_path / "model"
    first = runner.invoke(app, ["train", data, *TINY[:-1], "-o", str(model)])
    assert first.exit_code == 0 and "replaced" not in first.stdout
    second = runner.invoke(app, ["train", data, *TINY[:-1], "-o", str(model)])
    assert second.exit_code == 0 and "replaced the model that was there" in second.stdout
    js = runner.invoke(app, ["train", data, *TINY[:-1], "--json", "-o", str(model)])
    assert json.loads(js.stdout)["replaced"] is True


def test_a_name_too_long_for_the_file_system_is_refused_before_any_work(tmp_path):
    long = "x" * 300
    with pytest.raises(OutputError, match="too long"):
        check_file(tmp_path / f"{long}.csv", flag="-o", create_parents=False)
    with pytest.raises(OutputError, match="too long"):
        check_model_dir(tmp_path / long)
    with pytest.raises(OutputError, match="path is too long"):
        check_model_dir(tmp_path / os.sep.join(["d" * 200] * 25))
    check_model_dir(tmp_path / ("y" * 150))  # long but fine


def test_ten_optimiser_steps_train_without_a_scheduler_error():
    import torch

    from forecastr.train import _schedule

    for total in (1, 9, 10, 11, 25):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        sched = _schedule(opt, 0.1, total)
        for _ in range(total):
            opt.step()
            sched.step()
