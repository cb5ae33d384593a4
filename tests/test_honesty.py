"""Evaluation windows are sacred: nothing fitted by scaling or training sees a test point."""

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from conftest import make_panel

from forecastr import api
from forecastr.config import CHOSEN_IN_TRAINING
from forecastr.models import ModelConfig
from forecastr.train import TrainConfig, fit

CFG = ModelConfig(window=12, horizon=4, cell="gru", hidden=8, layers=1, season_length=6)
TRAIN = TrainConfig(epochs=4, batch_size=16, max_batches=4, seed=3, patience=100)


def _perturbed_test_part(panel, horizon):
    """The same panel with every test point (last ``horizon`` of each series) wrecked."""
    y = panel.y.copy()
    for end in panel.offsets[1:]:
        y[end - horizon : end] = y[end - horizon : end] * -50.0 + 1e4
    return replace(panel, y=y)


def test_test_points_reach_no_fitted_statistic():
    panel = make_panel([60, 75, 52])
    wrecked = _perturbed_test_part(panel, CFG.horizon)
    a = fit(panel, CFG, TRAIN)
    b = fit(wrecked, CFG, TRAIN)
    np.testing.assert_array_equal(a.scaler.loc, b.scaler.loc)
    np.testing.assert_array_equal(a.scaler.scale, b.scaler.scale)
    for (k, va), (_, vb) in zip(
        a.model.state_dict().items(), b.model.state_dict().items(), strict=True
    ):
        assert torch.equal(va, vb), f"{k} changed when only test points changed"
    assert a.history["val_loss"] == b.history["val_loss"]


def test_validation_points_do_reach_early_stopping():
    """The check above can fail: wrecking validation points does change what training sees."""
    panel = make_panel([60, 75, 52])
    y = panel.y.copy()
    for end in panel.offsets[1:]:
        y[end - 2 * CFG.horizon : end - CFG.horizon] += 1e4
    a = fit(panel, CFG, TRAIN)
    b = fit(replace(panel, y=y), CFG, TRAIN)
    assert a.history["val_loss"] != b.history["val_loss"]


def _options(tc) -> dict:
    return {k: v for k, v in tc.to_dict().items() if k not in CHOSEN_IN_TRAINING}


def test_reported_test_score_is_on_unseen_points(tmp_path):
    panel = make_panel([60, 75, 52])
    opts = {"cell": "gru", "hidden": 8, "layers": 1, "window": 12, "horizon": 4, "ensemble": 1}
    outcome = api.train(panel, **opts, **_options(TRAIN), out=str(tmp_path / "m"), refit=False)
    assert outcome.report.folds == 1
    # train_end (last point training or early stopping saw) precedes every test point
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    for i, sid in enumerate(panel.ids):
        seen_until = np.datetime64(cfg["train_end"][sid])
        first_test = panel.timestamps(i)[-CFG.horizon]
        assert seen_until < first_test
        assert seen_until == panel.timestamps(i)[-CFG.horizon - 1]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU message")
def test_cuda_requested_without_gpu_is_a_clear_error():
    from forecastr.errors import InputError

    with pytest.raises(InputError, match="no CUDA GPU"):
        fit(make_panel([60]), CFG, replace(TRAIN, device="cuda"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_training_matches_shapes():
    res = fit(make_panel([60, 70]), CFG, replace(TRAIN, device="cuda"))
    assert res.summary["device"].startswith("cuda")
