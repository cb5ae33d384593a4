"""The networks: one recurrent encoder (RNN, LSTM or GRU) and a direct or seq2seq head.

Pure ``nn.Module`` code, no I/O. Shapes: B batch, W input window, H horizon, D hidden size.

Every network works in the per-series scaled space and adds two things that make small
recurrent forecasters steady in practice (measured in ``bench/accuracy.py``):

* **per-window normalisation**: each input window is shifted by its mean and divided by its
  standard deviation before the RNN sees it, and the output is mapped back; a series whose
  level drifts out of the training range is then still in familiar territory.
* **a seasonal-naive base**: the network predicts the correction to the seasonal-naive
  forecast (the value one season earlier), in normalised units, rather than the value.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from forecastr.config import BASES, CELLS, DECODERS, ModelConfig, choices_text
from forecastr.fastgru import FastGRU

__all__ = [
    "CELLS",
    "DECODERS",
    "Ensemble",
    "ForecastNet",
    "ModelConfig",
    "Scaled",
    "Seq2SeqDecoder",
    "build",
    "model_name",
    "validate_config",
]

# The torch module of each cell (config.CELLS names them).
RNN_MODULES: dict[str, type[nn.RNN] | type[nn.LSTM] | type[nn.GRU]] = {
    "rnn": nn.RNN,
    "lstm": nn.LSTM,
    "gru": nn.GRU,
}


def validate_config(cfg: ModelConfig) -> None:
    """Raise ValueError with a one-line reason for an impossible configuration."""
    if cfg.cell not in CELLS:
        raise ValueError(f"unknown model {cfg.cell!r}; choose {choices_text(CELLS)}")
    if cfg.decoder not in DECODERS:
        raise ValueError(f"unknown decoder {cfg.decoder!r}; choose {choices_text(DECODERS)}")
    if cfg.attention and cfg.decoder != "seq2seq":
        raise ValueError("--attention needs --decoder seq2seq")
    if cfg.window < 2 or cfg.horizon < 1:
        raise ValueError("--window must be at least 2 and --horizon at least 1")
    if cfg.hidden < 1 or cfg.layers < 1:
        raise ValueError("--hidden and --layers must be at least 1")
    if not 0.0 <= cfg.dropout < 1.0:
        raise ValueError("--dropout must be in [0, 1)")
    if cfg.ensemble < 1:
        raise ValueError("--ensemble must be at least 1")
    if cfg.base not in BASES:
        raise ValueError(f"unknown base {cfg.base!r}; choose {', '.join(BASES)}")
    if cfg.patch < 1 or cfg.window % cfg.patch:
        raise ValueError(f"--patch {cfg.patch} must divide --window {cfg.window}")


def model_name(cfg: ModelConfig) -> str:
    """The network's name in tables and files: e.g. 'GRU', 'BiLSTM seq2seq+attn', 'GRU x3'."""
    name = ("Bi" if cfg.bidirectional else "") + cfg.cell.upper()
    if cfg.decoder == "seq2seq":
        name += " seq2seq" + ("+attn" if cfg.attention else "")
    if cfg.ensemble > 1:
        name += f" x{cfg.ensemble}"
    return name


class ForecastNet(nn.Module):
    """Recurrent forecaster: ``forward(x (B, W)) -> (B, H)``, both in per-series scaled units."""

    base_index: Tensor  # (H,) input position copied by the seasonal-naive base

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        validate_config(cfg)
        self.cfg = cfg
        # Fast GRU (forecastr/fastgru.py): an nn.GRU with the same weights and state_dict keys,
        # whose CPU *training* step is ~1.6x faster; eval, no_grad and export run nn.GRU itself.
        encoder_cls = FastGRU if cfg.cell == "gru" else RNN_MODULES[cfg.cell]
        self.encoder = encoder_cls(
            input_size=cfg.patch,
            hidden_size=cfg.hidden,
            num_layers=cfg.layers,
            dropout=cfg.dropout if cfg.layers > 1 else 0.0,
            bidirectional=cfg.bidirectional,
            batch_first=True,
        )
        dirs = 2 if cfg.bidirectional else 1
        enc_out = cfg.hidden * dirs
        if cfg.decoder == "direct":
            self.head = nn.Linear(enc_out, cfg.horizon)
        else:
            self.decoder = Seq2SeqDecoder(cfg, enc_out)
        # Seasonal-naive base: step h copies input position W - m + (h mod m).
        m = cfg.season_length if cfg.base == "seasonal" and cfg.season_length <= cfg.window else 1
        idx = torch.tensor([cfg.window - m + (h % m) for h in range(cfg.horizon)])
        self.register_buffer("base_index", idx, persistent=False)

    def normalise(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Per-window location and scale, (B, 1) each, and the normalised window (B, W)."""
        if not self.cfg.window_norm:
            ones = torch.ones_like(x[:, :1])
            return x, torch.zeros_like(ones), ones
        loc = x.mean(dim=1, keepdim=True)
        scale = x.std(dim=1, keepdim=True).clamp_min(1e-4)
        return (x - loc) / scale, loc, scale

    def _base(self, z: Tensor) -> Tensor:
        """What the network corrects, (B, H): the seasonal-naive forecast, or zeros."""
        if self.cfg.base == "none":
            return z.new_zeros(z.shape[0], self.cfg.horizon)
        return z[:, self.base_index]

    def encode(self, z: Tensor) -> tuple[Tensor, Tensor | tuple[Tensor, Tensor]]:
        # Segments of `patch` points per step: (B, W) -> (B, W / patch, patch). A long window
        # (a week of half-hourly data) then costs a few dozen recurrent steps, not hundreds.
        seq = z.reshape(z.shape[0], self.cfg.window // self.cfg.patch, self.cfg.patch)
        out, state = self.encoder(seq)  # out: (B, W / patch, D*dirs)
        return out, state

    def forward(self, x: Tensor) -> Tensor:
        z, loc, scale = self.normalise(x)  # (B, W), (B, 1), (B, 1)
        out, state = self.encode(z)
        base = self._base(z)
        if self.cfg.decoder == "direct":
            delta = self.head(out[:, -1])  # (B, H)
        else:
            delta = self.decoder(out, state, z, base)
        return (base + delta) * scale + loc

    def forward_teacher(self, x: Tensor, target: Tensor, ratio: float) -> Tensor:
        """Training forward for seq2seq: feed the true previous value with probability ``ratio``."""
        if self.cfg.decoder == "direct":
            return self.forward(x)
        z, loc, scale = self.normalise(x)
        out, state = self.encode(z)
        base = self._base(z)
        truth = (target - loc) / scale  # (B, H) normalised
        delta = self.decoder(out, state, z, base, truth=truth, ratio=ratio)
        return (base + delta) * scale + loc

    def attention_weights(self, x: Tensor) -> Tensor:
        """Attention of each decoder step over the encoder steps, (B, H, W)."""
        if not self.cfg.attention:
            raise ValueError("this model has no attention")
        z, _, _ = self.normalise(x)
        out, state = self.encode(z)
        base = self._base(z)
        weights: list[Tensor] = []
        self.decoder(out, state, z, base, record=weights)
        return torch.stack(weights, dim=1)


class Seq2SeqDecoder(nn.Module):
    """A decoder RNN of the encoder's cell, unrolled over the horizon.

    Each step's input is the previous value (normalised) and the step's position ``h / H``;
    with attention, also a context vector: Luong's "general" score ``s_t^T W e_j`` — one
    matrix product per step, cheap on a CPU and a small static ONNX graph, and as accurate
    as the additive form on windows of this length.
    """

    position: Tensor  # (H,) step position fed to the decoder, h / H

    def __init__(self, cfg: ModelConfig, enc_out: int):
        super().__init__()
        self.cfg = cfg
        self.is_lstm = cfg.cell == "lstm"
        dirs = 2 if cfg.bidirectional else 1
        self.bridge = nn.Linear(cfg.hidden * dirs, cfg.hidden) if dirs == 2 else None
        ctx = enc_out if cfg.attention else 0
        self.cell = RNN_MODULES[cfg.cell](
            input_size=2 + ctx,
            hidden_size=cfg.hidden,
            num_layers=cfg.layers,
            dropout=cfg.dropout if cfg.layers > 1 else 0.0,
            batch_first=True,
        )
        if cfg.attention:
            self.score = nn.Linear(enc_out, cfg.hidden, bias=False)
        self.out = nn.Linear(cfg.hidden + ctx, 1)
        pos = torch.arange(cfg.horizon, dtype=torch.float32) / max(cfg.horizon, 1)
        self.register_buffer("position", pos, persistent=False)

    def _init_state(self, state):
        """Encoder final state (layers*dirs, B, D) -> decoder initial state (layers, B, D)."""

        def merge(h: Tensor) -> Tensor:
            if self.bridge is None:
                return h
            layers = self.cfg.layers
            h = h.view(layers, 2, h.shape[1], h.shape[2])  # (L, 2, B, D)
            h = torch.cat([h[:, 0], h[:, 1]], dim=-1)  # (L, B, 2D)
            return torch.tanh(self.bridge(h))

        if self.is_lstm:
            return (merge(state[0]), merge(state[1]))
        return merge(state)

    def forward(
        self,
        enc_out: Tensor,
        state,
        z: Tensor,
        base: Tensor,
        truth: Tensor | None = None,
        ratio: float = 0.0,
        record: list[Tensor] | None = None,
    ) -> Tensor:
        """Unroll over the horizon; returns the corrections to ``base``, (B, H)."""
        hidden = self._init_state(state)
        keys = self.score(enc_out) if self.cfg.attention else None  # (B, W, D)
        prev = z[:, -1:]  # (B, 1): the last observed value
        steps: list[Tensor] = []
        batch = z.shape[0]
        for t in range(self.cfg.horizon):
            pos = self.position[t].expand(batch, 1)
            parts = [prev, pos]
            top = (hidden[0] if self.is_lstm else hidden)[-1]  # (B, D)
            ctx = None
            if keys is not None:
                scores = torch.bmm(keys, top.unsqueeze(-1)).squeeze(-1)  # (B, W)
                weights = torch.softmax(scores, dim=-1)
                if record is not None:
                    record.append(weights)
                ctx = torch.bmm(weights.unsqueeze(1), enc_out).squeeze(1)  # (B, D*dirs)
                parts.append(ctx)
            out, hidden = self.cell(torch.cat(parts, dim=-1).unsqueeze(1), hidden)
            feat = out[:, 0] if ctx is None else torch.cat([out[:, 0], ctx], dim=-1)
            delta = self.out(feat)  # (B, 1)
            steps.append(delta)
            pred = base[:, t : t + 1] + delta  # normalised forecast of step t
            if truth is not None and ratio > 0.0:
                use_truth = torch.rand(batch, 1, device=z.device) < ratio
                prev = torch.where(use_truth, truth[:, t : t + 1], pred)
            else:
                prev = pred
        return torch.cat(steps, dim=1)


class Ensemble(nn.Module):
    """The mean of several networks trained from different seeds."""

    def __init__(self, members: list[ForecastNet]):
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: Tensor) -> Tensor:
        return torch.stack([m(x) for m in self.members], dim=0).mean(dim=0)


def build(cfg: ModelConfig) -> nn.Module:
    """The module for ``cfg``: one network, or an ensemble of ``cfg.ensemble``."""
    members = [ForecastNet(cfg) for _ in range(cfg.ensemble)]
    return members[0] if cfg.ensemble == 1 else Ensemble(members)


class Scaled(nn.Module):
    """Raw values in, original units out: per-series scaling around a network.

    ``forward(x (B, W) raw, series (B,) int64) -> (B, H) raw``. The per-series ``loc`` and
    ``scale`` tables are buffers, so the ONNX graph carries them as constants and a device
    feeds raw values with the index of their series.
    """

    loc: Tensor  # (S,) per-series location
    scale: Tensor  # (S,) per-series scale

    def __init__(self, model: nn.Module, loc: Tensor, scale: Tensor):
        super().__init__()
        self.model = model
        self.register_buffer("loc", loc.to(torch.float32))
        self.register_buffer("scale", scale.to(torch.float32))

    def forward(self, x: Tensor, series: Tensor) -> Tensor:
        loc = self.loc[series].unsqueeze(1)  # (B, 1)
        scale = self.scale[series].unsqueeze(1)
        return self.model((x - loc) / scale) * scale + loc
