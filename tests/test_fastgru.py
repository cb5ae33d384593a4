"""FastGRU against nn.GRU, number for number: outputs, final states and every gradient."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from forecastr.fastgru import FastGRU
from forecastr.models import ForecastNet, ModelConfig

TOL = {"rtol": 1e-4, "atol": 1e-5}


def _pair(input_size, hidden, layers, bidirectional=False, batch_first=True, seed=0):
    torch.manual_seed(seed)
    ref = nn.GRU(input_size, hidden, layers, batch_first=batch_first, bidirectional=bidirectional)
    fast = FastGRU(input_size, hidden, layers, batch_first=batch_first, bidirectional=bidirectional)
    fast.load_state_dict(ref.state_dict())
    return ref, fast


def _run(module, x, h0, out_weight, h_weight):
    """Outputs, final state and the gradients of a loss that uses both."""
    x = x.detach().clone().requires_grad_()
    h0 = None if h0 is None else h0.detach().clone().requires_grad_()
    out, h_n = module(x, h0)
    loss = (out * out_weight).sum() + (h_n * h_weight).sum()
    loss.backward()
    grads = {name: p.grad for name, p in module.named_parameters()}
    return out, h_n, x.grad, None if h0 is None else h0.grad, grads


@pytest.mark.parametrize(
    "input_size, hidden, layers, bidirectional, batch_first, with_h0",
    [
        (1, 16, 2, False, True, False),  # the forecaster's encoder
        (3, 8, 1, False, False, True),  # time-major, given initial state
        (2, 8, 3, True, True, True),  # stacked bidirectional
        (1, 64, 2, False, True, False),  # benchmark size (window 96 below)
    ],
)
def test_matches_nn_gru(input_size, hidden, layers, bidirectional, batch_first, with_h0):
    ref, fast = _pair(input_size, hidden, layers, bidirectional, batch_first)
    dirs = 2 if bidirectional else 1
    steps, batch = (96, 32) if hidden == 64 else (11, 5)
    gen = torch.Generator().manual_seed(1)
    shape = (batch, steps, input_size) if batch_first else (steps, batch, input_size)
    x = torch.randn(shape, generator=gen)
    h0 = torch.randn(layers * dirs, batch, hidden, generator=gen) if with_h0 else None
    out_shape = (*shape[:2], hidden * dirs)
    out_weight = torch.randn(out_shape, generator=gen)
    h_weight = torch.randn(layers * dirs, batch, hidden, generator=gen)

    got = _run(fast, x, h0, out_weight, h_weight)
    want = _run(ref, x, h0, out_weight, h_weight)
    torch.testing.assert_close(got[0], want[0], **TOL)  # outputs
    torch.testing.assert_close(got[1], want[1], **TOL)  # final hidden states
    torch.testing.assert_close(got[2], want[2], **TOL)  # input gradient
    if with_h0:
        torch.testing.assert_close(got[3], want[3], **TOL)
    assert got[4].keys() == want[4].keys()
    for name in want[4]:
        torch.testing.assert_close(got[4][name], want[4][name], **TOL, msg=name)


def test_last_step_loss_like_the_forecaster():
    """Only the last output feeds the head: gradients flow back through all 96 steps."""
    ref, fast = _pair(1, 64, 2)
    x = torch.randn(32, 96, 1, generator=torch.Generator().manual_seed(2))
    for module in (ref, fast):
        out, _ = module(x)
        out[:, -1].pow(2).sum().backward()
    for (name, p_ref), p_fast in zip(ref.named_parameters(), fast.parameters(), strict=True):
        torch.testing.assert_close(p_fast.grad, p_ref.grad, **TOL, msg=name)


def test_state_dict_keys_are_nn_grus():
    ref, fast = _pair(1, 8, 2, bidirectional=True)
    assert list(fast.state_dict()) == list(ref.state_dict())
    assert "weight_hh_l1_reverse" in fast.state_dict()
    assert isinstance(fast, nn.GRU)


def test_inference_is_nn_gru_bit_for_bit():
    """eval(), no_grad() and other dtypes run nn.GRU.forward itself (what ONNX export sees)."""
    ref, fast = _pair(1, 8, 2)
    x = torch.randn(4, 10, 1)
    ref.eval()
    fast.eval()
    assert torch.equal(fast(x)[0], ref(x)[0])
    fast.train()
    ref.train()
    with torch.no_grad():
        assert torch.equal(fast(x)[0], ref(x)[0])
    ref64, fast64 = ref.double(), fast.double()
    assert torch.equal(fast64(x.double())[0], ref64(x.double())[0])


def test_fast_path_taken_only_when_training(monkeypatch):
    calls = []
    real = nn.GRU.forward
    monkeypatch.setattr(nn.GRU, "forward", lambda self, *a: calls.append(1) or real(self, *a))
    _, fast = _pair(1, 8, 1)
    fast(torch.randn(2, 5, 1))
    assert calls == []  # training with grad: the fast path
    fast.eval()
    fast(torch.randn(2, 5, 1))
    assert calls == [1]


def test_dropout_between_layers_trains():
    torch.manual_seed(0)
    fast = FastGRU(1, 8, 2, dropout=0.5, batch_first=True)
    out, h_n = fast(torch.randn(4, 7, 1))
    out.sum().backward()
    assert out.shape == (4, 7, 8) and h_n.shape == (2, 4, 8)
    assert all(p.grad is not None for p in fast.parameters())


def test_forecaster_uses_fast_gru_for_gru_only():
    gru = ForecastNet(ModelConfig(window=12, horizon=3, cell="gru"))
    lstm = ForecastNet(ModelConfig(window=12, horizon=3, cell="lstm"))
    assert type(gru.encoder) is FastGRU
    assert type(lstm.encoder) is nn.LSTM
    # Saved weights load into a plain nn.GRU encoder and back.
    plain = nn.GRU(1, 64, 2, batch_first=True)
    plain.load_state_dict(gru.encoder.state_dict())
    gru.encoder.load_state_dict(plain.state_dict())
