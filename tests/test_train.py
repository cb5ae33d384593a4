"""The training loop: teacher-forcing schedule, clipping statistics, early stopping with the
best weights restored, seeding, and refusing to produce a model from a NaN loss."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
import torch

from forecastr import api, train
from forecastr.config import CHOSEN_IN_TRAINING
from forecastr.errors import InputError, TrainingError
from forecastr.models import ModelConfig
from forecastr.panel import Panel
from forecastr.train import TrainConfig, _teacher_ratio, fit
from forecastr.windows import val_window_starts, window_series

W, H = 12, 4
OPTS = {"cell": "gru", "hidden": 8, "layers": 1, "window": W, "horizon": H, "ensemble": 1}


def tiny(cell="gru", decoder="direct", attention=False, **kw) -> ModelConfig:
    return ModelConfig(
        window=W, horizon=H, cell=cell, hidden=8, layers=1, decoder=decoder,
        attention=attention, season_length=kw.pop("season_length", 12), **kw,
    )  # fmt: skip


def panel_of(*series: np.ndarray, freq="MS") -> Panel:
    lengths = np.array([len(s) for s in series], dtype=np.int64)
    return Panel(
        ids=[f"s{i}" for i in range(len(series))],
        y=np.concatenate(series).astype(np.float64),
        ds=np.concatenate(
            [pd.date_range("2000-01-01", periods=n, freq=freq).values for n in lengths]
        ),
        offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        freq=freq,
    )


def sine(n=120, noise=0.1, seed=0) -> np.ndarray:
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    return 10 + 3 * np.sin(2 * np.pi * t / 12) + 0.05 * t + rng.normal(0, noise, n)


def fast(**kw) -> TrainConfig:
    return TrainConfig(**{"epochs": 3, "batch_size": 32, "seed": 0, **kw})


def options(tc: TrainConfig) -> dict:
    """``tc`` as ``api.train`` options (``--model`` says whether the cell is chosen)."""
    return {k: v for k, v in tc.to_dict().items() if k not in CHOSEN_IN_TRAINING}


# ------------------------------------------------------------------------------------------
# teacher forcing schedule


def test_teacher_ratio_decays_linearly_to_zero():
    tc = TrainConfig(epochs=5, teacher_forcing=0.8, teacher_forcing_decay=True)
    assert [_teacher_ratio(tc, e) for e in range(5)] == pytest.approx([0.8, 0.6, 0.4, 0.2, 0.0])


def test_teacher_ratio_is_constant_without_decay_or_with_one_epoch():
    tc = TrainConfig(epochs=5, teacher_forcing=0.3)
    assert [_teacher_ratio(tc, e) for e in range(5)] == [0.3] * 5
    one = TrainConfig(epochs=1, teacher_forcing=0.7, teacher_forcing_decay=True)
    assert _teacher_ratio(one, 0) == 0.7


def test_history_records_the_ratio_each_epoch_used():
    tc = fast(epochs=4, patience=10, teacher_forcing=0.6, teacher_forcing_decay=True)
    s2s = fit(panel_of(sine()), tiny(decoder="seq2seq"), tc)
    assert s2s.history["teacher_forcing"] == pytest.approx([0.6, 0.4, 0.2, 0.0])
    direct = fit(panel_of(sine()), tiny(), tc)
    assert direct.history["teacher_forcing"] == [0.0] * 4


# ------------------------------------------------------------------------------------------
# clipping statistics


def test_clipping_statistics_are_recorded():
    result = fit(panel_of(sine(), sine(seed=1) * 2), tiny(), fast(epochs=3, clip_norm=1.0))
    h, s = result.history, result.summary
    steps_per_epoch = -(-s["train_windows"] // 32)  # ceil: every window once per epoch
    assert len(h["grad_norm"]) == s["steps"] == 3 * steps_per_epoch
    assert all(np.isfinite(h["grad_norm"])) and min(h["grad_norm"]) > 0
    assert h["clipped_share"] == pytest.approx(np.mean(np.array(h["grad_norm"]) > 1.0))
    assert s["grad_norm_max"] == pytest.approx(max(h["grad_norm"]))
    assert s["grad_norm_median"] == pytest.approx(np.median(h["grad_norm"]))
    assert s["clip_norm"] == 1.0


def test_a_tiny_clip_norm_clips_every_step():
    result = fit(panel_of(sine()), tiny(), fast(clip_norm=1e-6))
    assert result.summary["clipped_share"] == 1.0
    assert result.history["clipped_share"] == 1.0
    # The norms recorded are the norms before clipping, so they say how much was clipped.
    assert min(result.history["grad_norm"]) > 1e-6


def test_clipping_off_clips_nothing():
    result = fit(panel_of(sine()), tiny(), fast(clip_norm=0.0))
    assert result.summary["clipped_share"] == 0.0
    assert result.summary["clip_norm"] == 0.0


def test_clipping_bounds_the_update_that_reaches_the_optimizer(monkeypatch):
    """The gradient the optimizer sees has norm <= clip_norm (checked at every step)."""
    seen: list[float] = []
    original = torch.optim.AdamW.step

    def step(self, *args, **kwargs):
        grads = [p.grad for g in self.param_groups for p in g["params"] if p.grad is not None]
        seen.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.AdamW, "step", step)
    fit(panel_of(sine()), tiny(), fast(epochs=2, clip_norm=0.01))
    assert seen and max(seen) <= 0.01 * (1 + 1e-4)


# ------------------------------------------------------------------------------------------
# early stopping


def noise_panel() -> Panel:
    rng = np.random.default_rng(3)
    return panel_of(rng.normal(0, 1, 150), rng.normal(5, 2, 150))


def val_loss_of(result, panel: Panel) -> float:
    """Mean L1 loss of the returned network on every validation window, recomputed here."""
    split = result.split
    z = result.scaler.transform_panel(panel.y, panel.offsets).astype(np.float32)
    starts = val_window_starts(split)
    block = torch.from_numpy(z)[torch.from_numpy(starts)[:, None] + torch.arange(W + H)]
    net = result.model.model.eval()
    with torch.no_grad():
        pred = net(block[:, :W])
    return float(torch.nn.functional.l1_loss(pred, block[:, W:]))


def test_early_stopping_triggers_after_patience_epochs():
    panel = noise_panel()
    result = fit(panel, tiny(), fast(epochs=60, patience=3, lr=1e-2))
    h = result.history
    assert h["epochs_run"] < 60
    assert h["epochs_run"] == h["best_epoch"] + 3  # stopped exactly `patience` epochs later
    assert len(h["val_loss"]) == h["epochs_run"]
    assert h["best_val_loss"] == min(h["val_loss"])
    assert h["val_loss"][h["best_epoch"] - 1] == h["best_val_loss"]


def test_early_stopping_restores_the_best_weights():
    panel = noise_panel()
    result = fit(panel, tiny(), fast(epochs=60, patience=3, lr=1e-2))
    h = result.history
    assert h["val_loss"][-1] > h["best_val_loss"]  # the last epoch was worse...
    assert val_loss_of(result, panel) == pytest.approx(h["best_val_loss"], rel=1e-5)  # ...not kept


def test_the_validation_loss_does_not_depend_on_the_forward_block_size(monkeypatch):
    # Validation forecasts are made a cache-sized block at a time and scored together: blocks
    # of 3 windows give the same losses, bit for bit, as one block of all of them.
    panel = noise_panel()
    whole = fit(panel, tiny(), fast(epochs=4, patience=100)).history["val_loss"]
    monkeypatch.setattr(train, "INFERENCE_CHUNK", 3)
    blocks = fit(panel, tiny(), fast(epochs=4, patience=100)).history["val_loss"]
    assert blocks == whole


def test_validation_windows_are_capped_evenly_over_the_series(monkeypatch):
    # Above the cap, the windows scored are spread over every series, not the first ones.
    monkeypatch.setattr(train, "MAX_VAL_WINDOWS", 6)
    panel = panel_of(*(sine(seed=k) for k in range(4)))
    split = fit(panel, tiny(), fast(epochs=1)).split
    _, val = train._window_starts(split, refit=False)
    assert len(val) == 6 and len(val_window_starts(split)) > 6
    assert set(window_series(split, val)) == {0, 1, 2, 3}


def test_without_improvement_stops_at_epochs():
    result = fit(panel_of(sine()), tiny(), fast(epochs=4, patience=100))
    assert result.history["epochs_run"] == 4
    assert result.summary["epochs_run"] == [4]


# ------------------------------------------------------------------------------------------
# seeding


@pytest.mark.parametrize(
    "cell,decoder,attention",
    [("gru", "direct", False), ("lstm", "direct", False), ("rnn", "seq2seq", True)],
)
def test_the_same_seed_gives_bit_identical_weights(cell, decoder, attention):
    panel = panel_of(sine(), sine(seed=1))
    cfg = tiny(cell, decoder, attention, dropout=0.0)
    a = fit(panel, cfg, fast(seed=7)).model.state_dict()
    b = fit(panel, cfg, fast(seed=7)).model.state_dict()
    c = fit(panel, cfg, fast(seed=8)).model.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_ensemble_members_use_consecutive_seeds():
    panel = panel_of(sine())
    ens = fit(panel, tiny(ensemble=2), fast(seed=5))
    second = fit(panel, tiny(), fast(seed=6))
    member = ens.model.model.members[1].state_dict()
    single = second.model.model.state_dict()
    assert all(torch.equal(member[k], single[k]) for k in single)
    assert len(ens.summary["epochs_run"]) == 2
    assert len(ens.history["members"]) == 2


# ------------------------------------------------------------------------------------------
# a NaN / inf loss stops training and writes nothing


def explosive_panel() -> Panel:
    return panel_of(1e30 * (1 + np.sin(np.arange(80) / 3)))


def test_a_diverging_run_raises_training_error():
    cfg = tiny(window_norm=False, base="none")
    with pytest.raises(TrainingError, match="loss became") as info:
        fit(explosive_panel(), cfg, fast(lr=1e6, clip_norm=0.0, loss="mse", scaler="none"))
    assert "\n" not in str(info.value)
    assert "--lr" in str(info.value)


def test_a_nan_loss_writes_no_model(tmp_path, monkeypatch):
    def nan_loss(name):
        l1 = torch.nn.L1Loss()
        return lambda pred, y: l1(pred, y) * float("nan")

    monkeypatch.setattr(train, "_loss_fn", nan_loss)
    out = tmp_path / "model"
    with pytest.raises(TrainingError, match="no model written"):
        api.train(panel_of(sine()), **OPTS, **options(fast()), out=str(out))
    assert not out.exists()
    assert os.listdir(tmp_path) == []


def test_a_diverged_validation_loss_raises_training_error(monkeypatch):
    monkeypatch.setattr(train, "_evaluate", lambda *args, **kwargs: float("inf"))
    with pytest.raises(TrainingError, match="validation loss became inf"):
        fit(panel_of(sine()), tiny(), fast())


def test_an_earlier_model_survives_a_failed_retrain(tmp_path, monkeypatch):
    out = tmp_path / "model"
    api.train(panel_of(sine()), **OPTS, **options(fast(epochs=1)), out=str(out))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(train, "_loss_fn", lambda name: lambda p, y: (p - y).sum() * np.inf)
    with pytest.raises(TrainingError):
        api.train(panel_of(sine()), **OPTS, **options(fast()), out=str(out))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# ------------------------------------------------------------------------------------------
# configuration and progress


@pytest.mark.parametrize(
    "change,fragment",
    [
        ({"loss": "foo"}, "--loss"),
        ({"scaler": "log"}, "--scaler"),
        ({"epochs": 0}, "--epochs"),
        ({"lr": -1.0}, "--lr"),
        ({"lr": float("nan")}, "--lr"),
        ({"clip_norm": -1.0}, "--clip-norm"),
        ({"teacher_forcing": 1.5}, "--teacher-forcing"),
        ({"device": "tpu"}, "--device"),
        ({"val_size": 0}, "--val-size"),
    ],
)
def test_bad_training_settings_are_input_errors(change, fragment):
    with pytest.raises(InputError, match=fragment):
        fit(panel_of(sine()), tiny(), fast(**change))


def test_the_test_part_is_cut_before_training():
    panel = panel_of(sine(100))
    result = fit(panel, tiny(), fast(epochs=1))
    split = result.split
    assert int(split.end[0] - split.val_end[0]) == H  # test part: the last horizon
    assert int(split.val_end[0] - split.train_end[0]) == H
    # The scaler saw the training part only.
    train_part = panel.y[: split.train_end[0]]
    assert result.scaler.loc[0] == pytest.approx(train_part.mean())


def test_progress_reports_every_epoch():
    events: list[dict] = []
    fit(panel_of(sine()), tiny(ensemble=2), fast(epochs=2, patience=10), progress=events.append)
    assert [(e["member"], e["epoch"]) for e in events] == [(0, 1), (0, 2), (1, 1), (1, 2)]
    for e in events:
        assert {"train_loss", "val_loss", "grad_norm", "best_epoch", "members"} <= e.keys()
        assert e["members"] == 2 and e["epochs"] == 2
