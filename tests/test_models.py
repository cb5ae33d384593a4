"""The networks: shapes of every variant, attention, teacher forcing, learning a sine."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import torch

from forecastr import windows
from forecastr.errors import InputError
from forecastr.models import CELLS, Ensemble, ForecastNet, ModelConfig, Scaled, build
from forecastr.panel import Panel
from forecastr.train import TrainConfig, fit

W, H, B = 12, 4, 5
HEADS = [("direct", False), ("seq2seq", False), ("seq2seq", True)]


def tiny(cell="gru", decoder="direct", attention=False, bidirectional=False, **kw) -> ModelConfig:
    return ModelConfig(
        window=W,
        horizon=H,
        cell=cell,
        hidden=8,
        layers=kw.pop("layers", 1),
        decoder=decoder,
        attention=attention,
        bidirectional=bidirectional,
        **kw,
    )


def sine_panel(n: int = 240, period: int = 12, noise: float = 0.0, freq="MS") -> Panel:
    t = np.arange(n)
    y = 10 + 3 * np.sin(2 * np.pi * t / period)
    y = y + np.random.default_rng(0).normal(0, noise, n)
    return Panel(
        ids=["sine"],
        y=y,
        ds=pd.date_range("2000-01-01", periods=n, freq=freq).values,
        offsets=np.array([0, n], dtype=np.int64),
        freq=freq,
    )


@pytest.mark.parametrize(
    "cell,head,bidirectional,layers",
    [
        (c, h, b, layers)
        for (c, h, b), layers in zip(
            itertools.product(CELLS, HEADS, [False, True]), itertools.cycle([1, 2]), strict=False
        )
    ],
)
def test_every_variant_maps_window_to_horizon(cell, head, bidirectional, layers):
    torch.manual_seed(0)
    decoder, attention = head
    cfg = tiny(cell, decoder, attention, bidirectional, layers=layers)
    model = ForecastNet(cfg)
    x = torch.randn(B, W) * 5 + 100
    y = model(x)
    assert y.shape == (B, H)
    assert torch.isfinite(y).all()
    teach = model.forward_teacher(x, torch.randn(B, H), 0.5)
    assert teach.shape == (B, H)
    # Gradients reach every parameter (no dead branch in any variant).
    teach.abs().mean().backward()
    dead = [n for n, p in model.named_parameters() if p.grad is None]
    assert not dead


@pytest.mark.parametrize("cell", list(CELLS))
def test_ensemble_and_scaled_shapes(cell):
    torch.manual_seed(0)
    cfg = tiny(cell, ensemble=3)
    ens = build(cfg)
    assert isinstance(ens, Ensemble) and len(ens.members) == 3
    x = torch.randn(B, W)
    assert ens(x).shape == (B, H)
    expected = torch.stack([m(x) for m in ens.members]).mean(0)
    assert torch.allclose(ens(x), expected)
    scaled = Scaled(ens, torch.tensor([0.0, 100.0]), torch.tensor([1.0, 10.0]))
    series = torch.tensor([0, 1, 1, 0, 1])
    assert scaled(x, series).shape == (B, H)
    # Scaled is exactly "scale in, model, scale out" per series.
    loc = torch.tensor([0.0, 100.0])[series, None]
    scale = torch.tensor([1.0, 10.0])[series, None]
    assert torch.allclose(scaled(x, series), ens((x - loc) / scale) * scale + loc)


@pytest.mark.parametrize(
    "change,fragment",
    [
        ({"cell": "xyz"}, "unknown model 'xyz'; choose auto, rnn, lstm or gru"),
        ({"decoder": "tcn"}, "unknown decoder"),
        ({"attention": True}, "--attention needs --decoder seq2seq"),
        ({"window": 1}, "--window"),
        ({"hidden": 0}, "--hidden"),
        ({"dropout": 1.0}, "--dropout"),
        ({"ensemble": 0}, "--ensemble"),
    ],
)
def test_impossible_configs_are_refused_in_one_line(change, fragment):
    cfg = ModelConfig(**{**tiny().to_dict(), **change})
    with pytest.raises(ValueError, match=fragment) as info:
        ForecastNet(cfg)
    assert "\n" not in str(info.value)
    # Through the training entry point it is a user error, not a crash.
    with pytest.raises(InputError, match=fragment):
        fit(sine_panel(60), cfg, TrainConfig(epochs=1))


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_attention_weights_sum_to_one_over_encoder_steps(cell, bidirectional):
    torch.manual_seed(0)
    model = ForecastNet(tiny(cell, "seq2seq", True, bidirectional)).eval()
    x = torch.randn(B, W)
    with torch.no_grad():
        weights = model.attention_weights(x)
    steps = W // getattr(model.cfg, "patch", 1)
    assert weights.shape == (B, H, steps)
    assert (weights >= 0).all()
    assert torch.allclose(weights.sum(-1), torch.ones(B, H), atol=1e-6)


def test_attention_weights_need_attention():
    with pytest.raises(ValueError, match="no attention"):
        ForecastNet(tiny("gru", "seq2seq")).attention_weights(torch.randn(2, W))


def record_decoder_inputs(model: ForecastNet, monkeypatch) -> list[torch.Tensor]:
    """Wrap the decoder cell's forward: every step's input (B, 1, features) is recorded."""
    cell = model.decoder.cell
    inputs: list[torch.Tensor] = []
    original = cell.forward

    def recording(inp, hx=None):
        inputs.append(inp.detach().clone())
        return original(inp, hx)

    monkeypatch.setattr(cell, "forward", recording)
    return inputs


def fed_values(inputs: list[torch.Tensor]) -> torch.Tensor:
    """The previous-value feature of each decoder step, (B, H), normalised units."""
    return torch.stack([inp[:, 0, 0] for inp in inputs], dim=1)


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("attention", [False, True])
def test_teacher_forcing_ratio_one_feeds_exactly_the_targets(cell, attention, monkeypatch):
    torch.manual_seed(0)
    model = ForecastNet(tiny(cell, "seq2seq", attention))
    inputs = record_decoder_inputs(model, monkeypatch)
    x, target = torch.randn(B, W) * 3 + 7, torch.randn(B, H) * 3 + 7
    model.forward_teacher(x, target, ratio=1.0)
    assert len(inputs) == H
    z, loc, scale = model.normalise(x)
    fed = fed_values(inputs)
    assert torch.equal(fed[:, 0], z[:, -1])  # step 0: the last observed value
    assert torch.allclose(fed[:, 1:], ((target - loc) / scale)[:, :-1], atol=1e-6)


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("attention", [False, True])
def test_teacher_forcing_ratio_zero_feeds_exactly_the_predictions(cell, attention, monkeypatch):
    torch.manual_seed(0)
    model = ForecastNet(tiny(cell, "seq2seq", attention))
    inputs = record_decoder_inputs(model, monkeypatch)
    x, target = torch.randn(B, W) * 3 + 7, torch.randn(B, H) * 3 + 7
    pred = model.forward_teacher(x, target, ratio=0.0)
    z, loc, scale = model.normalise(x)
    fed = fed_values(inputs)
    assert torch.equal(fed[:, 0], z[:, -1])
    assert torch.allclose(fed[:, 1:], ((pred - loc) / scale)[:, :-1], atol=1e-5)
    # Without teacher forcing, training and inference run the same computation.
    with torch.no_grad():
        assert torch.allclose(model(x), pred, atol=1e-6)


def test_teacher_forcing_mixes_targets_and_predictions_elementwise(monkeypatch):
    torch.manual_seed(0)
    model = ForecastNet(tiny("gru", "seq2seq"))
    inputs = record_decoder_inputs(model, monkeypatch)
    x, target = torch.randn(64, W), torch.randn(64, H) * 10
    model.forward_teacher(x, target, ratio=0.5)
    _, loc, scale = model.normalise(x)
    fed = fed_values(inputs)[:, 1:]
    truth = ((target - loc) / scale)[:, :-1]
    is_truth = torch.isclose(fed, truth, atol=1e-6)
    share = is_truth.float().mean().item()
    assert 0.3 < share < 0.7, share  # about half the steps got the target


def test_direct_head_ignores_teacher_forcing():
    torch.manual_seed(0)
    model = ForecastNet(tiny("lstm"))
    x = torch.randn(B, W)
    assert torch.equal(model.forward_teacher(x, torch.randn(B, H), 1.0), model(x))


def test_seasonal_base_is_exact_on_a_pure_season_before_training():
    """With the correction near zero, a seasonal series is forecast by its last season."""
    torch.manual_seed(0)
    cfg = tiny(season_length=4)
    model = ForecastNet(cfg)
    for p in model.head.parameters():
        torch.nn.init.zeros_(p)
    x = torch.tensor([[1.0, 5.0, 2.0, 8.0] * 3])
    assert torch.allclose(model(x), torch.tensor([[1.0, 5.0, 2.0, 8.0]]), atol=1e-5)


@pytest.mark.parametrize("cell", list(CELLS))
def test_loss_decreases_on_a_sine_for_each_backbone(cell):
    """No seasonal base: the network itself must learn the sine."""
    cfg = tiny(cell, base="none")
    result = fit(sine_panel(), cfg, TrainConfig(epochs=30, patience=30, batch_size=32, seed=0))
    losses = result.history["train_loss"]
    assert np.mean(losses[-3:]) < 0.4 * np.mean(losses[:3]), losses
    assert result.history["best_val_loss"] < 0.5 * result.history["val_loss"][0]


@pytest.mark.parametrize("attention", [False, True])
def test_tiny_seq2seq_learns_a_sine(attention):
    """The naive base (season 1) is the last value: the decoder must learn the sine's shape."""
    panel = sine_panel(noise=0.05)
    cfg = tiny("gru", "seq2seq", attention, season_length=1)
    result = fit(panel, cfg, TrainConfig(epochs=40, patience=40, batch_size=32, seed=0))
    # Score on the held-out test part: the last H points, never seen in training.
    starts = result.split.val_end - W  # the window before each test part
    x, y = windows.gather(panel.y, starts, W, H)
    with torch.no_grad():
        pred = result.model(torch.tensor(x, dtype=torch.float32), torch.tensor([0])).numpy()
    mae = np.abs(pred - y).mean()
    naive = np.abs(x[:, -1:] - y).mean()
    assert mae < 0.3, mae  # amplitude 3: the shape is learned
    assert mae < 0.2 * naive, (mae, naive)


@pytest.mark.parametrize("attention", [False, True])
def test_seq2seq_runs_without_a_base(attention, monkeypatch):
    """base='none': the decoder's base is zeros for every step, so it feeds its own values."""
    torch.manual_seed(0)
    model = ForecastNet(tiny("gru", "seq2seq", attention, base="none"))
    x = torch.randn(B, W)
    assert model(x).shape == (B, H)
    inputs = record_decoder_inputs(model, monkeypatch)
    pred = model.forward_teacher(x, torch.randn(B, H), 0.0)
    _, loc, scale = model.normalise(x)
    assert torch.allclose(fed_values(inputs)[:, 1:], ((pred - loc) / scale)[:, :-1], atol=1e-5)
