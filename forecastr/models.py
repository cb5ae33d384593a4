"""The networks: one recurrent encoder (RNN, LSTM or GRU) and a direct or seq2seq head.

Pure ``nn.Module`` code, no I/O. Shapes: B batch, W input window, H horizon, D hidden size.

Every network works in the per-series scaled space and adds two things that make small
recurrent forecasters steady in practice (measured in ``bench/accuracy.py``):

* **per-window normalisation**: each input window is shifted by its mean and divided by its
  standard deviation before the RNN sees it, and the output is mapped back; a series whose
  level drifts out of the training range is then still in familiar territory.
* **a seasonal-naive base**: the network predicts the correction to the seasonal-naive
  forecast (the value one season earlier), in normalised units, rather than the value.

A model asked for intervals (``cfg.levels`` / ``cfg.quantiles``) also has a **quantile head**:
a linear layer on the encoder's final state, trained with the pinball loss, whose outputs are
offsets from the point forecast, in units of the input window's own seasonal-naive MAE (a
noisy window starts wide, a calm one narrow). It reads the encoder state and the point
forecast detached, so asking for intervals leaves the point forecast exactly as it was (its
gradients, clipping and early stopping see the point loss alone). Its quantiles cannot
cross, and lie on the point forecast's side of 0.5: each one's offset adds (above 0.5) or
subtracts (below) a softplus, which is positive, to its inner neighbour's. Such a network
returns (B, H, 1 + K): the point forecast, then the K network quantiles ascending.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from torch import Tensor, nn

from forecastr.config import BASES, CELL_CHOICES, CELLS, DECODERS, ModelConfig, choices_text
from forecastr.fastgru import FastGRU
from forecastr.intervals import TREND_TINY, Calibration, Nesting, network_quantiles, signed

__all__ = [
    "CELLS",
    "DECODERS",
    "Ensemble",
    "ForecastNet",
    "ModelConfig",
    "QuantileHead",
    "Scaled",
    "Seq2SeqDecoder",
    "build",
    "head_taus",
    "model_name",
    "validate_config",
]

# Windows per no-grad forward pass on the CPU (validation, calibration, forecasts): blocks of a
# few hundred stay in the cache and run a 2-layer GRU about 1.3-1.6x faster than blocks of
# 4,096 (bench/inference_chunk.py); each row's output is the same either way.
INFERENCE_CHUNK = 512

# The torch module of each cell (config.CELLS names them).
RNN_MODULES: dict[str, type[nn.RNN] | type[nn.LSTM] | type[nn.GRU]] = {
    "rnn": nn.RNN,
    "lstm": nn.LSTM,
    "gru": nn.GRU,
}


def validate_config(cfg: ModelConfig) -> None:
    """Raise ValueError with a one-line reason for an impossible configuration."""
    if cfg.cell not in CELLS:
        # Named as --model takes it: auto (the default, chosen in training) or a cell.
        raise ValueError(f"unknown model {cfg.cell!r}; choose {choices_text(CELL_CHOICES)}")
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


def head_taus(cfg: ModelConfig) -> tuple[float, ...]:
    """The quantiles a network of ``cfg`` forecasts, ascending (() for a point model)."""
    return network_quantiles(cfg.levels, cfg.quantiles)


def model_name(cfg: ModelConfig, cell: str | None = None) -> str:
    """The network's name in tables and files: e.g. 'GRU', 'BiLSTM seq2seq+attn', 'GRU x3';
    ``cell`` names the cell otherwise (e.g. 'auto' when each run chooses its own)."""
    name = ("Bi" if cfg.bidirectional else "") + (cell or cfg.cell).upper()
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
        taus = head_taus(cfg)
        self.quantile_head: QuantileHead | None = None
        if taus:
            # Built last, from a forked random state: the point network's initial weights (and
            # every random draw of its training) are those of the same model without intervals.
            with torch.random.fork_rng(devices=[]):
                self.quantile_head = QuantileHead(enc_out, cfg.horizon, taus)

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
        """(B, W) -> (B, H), or (B, H, 1 + K) with the quantiles (see the module's doc)."""
        z, loc, scale = self.normalise(x)  # (B, W), (B, 1), (B, 1)
        out, state = self.encode(z)
        base = self._base(z)
        if self.cfg.decoder == "direct":
            delta = self.head(out[:, -1])  # (B, H)
        else:
            delta = self.decoder(out, state, z, base)
        return self._output(base + delta, out, z, loc, scale)

    def forward_teacher(self, x: Tensor, target: Tensor, ratio: float) -> Tensor:
        """Training forward for seq2seq: feed the true previous value with probability ``ratio``."""
        if self.cfg.decoder == "direct":
            return self.forward(x)
        z, loc, scale = self.normalise(x)
        out, state = self.encode(z)
        base = self._base(z)
        truth = (target - loc) / scale  # (B, H) normalised
        delta = self.decoder(out, state, z, base, truth=truth, ratio=ratio)
        return self._output(base + delta, out, z, loc, scale)

    def _output(self, point: Tensor, out: Tensor, z: Tensor, loc: Tensor, scale: Tensor) -> Tensor:
        """The normalised point forecast (B, H), and the quantiles when the model has them,
        mapped back to the input's units (a positive scale keeps the quantiles in order)."""
        if self.quantile_head is None:
            return point * scale + loc
        q = self.quantile_head(out[:, -1].detach(), point.detach(), self._roughness(z))
        # Each part mapped back on its own, then joined: the point's gradient reaches the
        # network as a fresh contiguous tensor, so its sums (the head's bias) add up in the
        # same order, to the last bit, as in the same network without quantiles.
        mapped = q * scale.unsqueeze(-1) + loc.unsqueeze(-1)  # (B, H, K)
        return torch.cat([(point * scale + loc).unsqueeze(-1), mapped], dim=-1)

    def _roughness(self, z: Tensor) -> Tensor:
        """(B, 1) the window's own seasonal-naive MAE (lag: the base's season when a window
        holds two, else 1), in normalised units: the unit of the quantile head's offsets, so
        intervals widen with each window's noise as MASE's scale does."""
        m = self.cfg.season_length if 2 * self.cfg.season_length <= self.cfg.window else 1
        return (z[:, m:] - z[:, :-m]).abs().mean(dim=1, keepdim=True).clamp_min(1e-3)

    def point_parameters(self) -> list[nn.Parameter]:
        """The point network's parameters (all but the quantile head's)."""
        return [p for n, p in self.named_parameters() if not n.startswith("quantile_head.")]

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


class QuantileHead(nn.Module):
    """Non-crossing quantiles as offsets from the point forecast, in normalised units.

    ``forward(state (B, D), point (B, H)) -> (B, H, K)``: a linear map of the encoder state
    gives K raw values per step. The quantiles above 0.5 lie above the point forecast and
    those below it under it: each one's offset is its inner neighbour's (the point's, 0, for
    the innermost) plus (above) or minus (below) a softplus of its raw value, which is
    positive. A 0.5 quantile asked for is the centre instead, at a free offset from the point.
    One constant (K, K) matrix does the sums, so the ONNX graph is a MatMul, not a loop.
    """

    anchor: Tensor  # (K,) 1 at the 0.5 quantile (free offset), else 0
    sums: Tensor  # (K, K) offsets = values @ sums

    def __init__(self, enc_out: int, horizon: int, taus: tuple[float, ...]):
        super().__init__()
        self.horizon, self.k, self.taus = horizon, len(taus), tuple(taus)
        self.linear = nn.Linear(enc_out, horizon * self.k)
        t = np.asarray(taus)
        below, above = np.flatnonzero(t < 0.5), np.flatnonzero(t > 0.5)
        centre = np.flatnonzero(t == 0.5)
        sums = np.zeros((self.k, self.k), dtype=np.float32)
        anchor = np.zeros(self.k, dtype=np.float32)
        if len(centre):
            anchor[centre[0]] = 1.0
            sums[centre[0], :] = 1.0  # every offset starts from the centre's
        for k in above:
            sums[above[0] : k + 1, k] = 1.0  # the softplus of each quantile out to k
        for k in below:
            sums[k : below[-1] + 1, k] = -1.0
        self.register_buffer("anchor", torch.from_numpy(anchor), persistent=False)
        self.register_buffer("sums", torch.from_numpy(sums), persistent=False)

    def forward(self, state: Tensor, point: Tensor, unit: Tensor) -> Tensor:
        """``unit`` (B, 1): the scale of the offsets (the window's roughness)."""
        raw = self.linear(state).reshape(state.shape[0], self.horizon, self.k)  # (B, H, K)
        values = raw * self.anchor + nn.functional.softplus(raw) * (1.0 - self.anchor)
        return point.unsqueeze(-1) + (values @ self.sums) * unit.unsqueeze(-1)


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


def trendiness(x: Tensor) -> Tensor:
    """(B,) how steadily each window (B, W) moves one way, as ``intervals.trendiness``."""
    steps = x[:, 1:] - x[:, :-1]
    size = steps.abs().mean(dim=1).clamp_min(TREND_TINY)
    return steps.mean(dim=1).abs() / size


def narrowed(model: nn.Module, horizon: int) -> nn.Module:
    """``model`` (a direct network, or an ensemble of them) trained for a longer horizon, as
    the network of ``horizon`` steps made of its first outputs: the same weights, the output
    heads' rows of the later steps left out (``TrainConfig.train_horizon``)."""
    if isinstance(model, Ensemble):
        return Ensemble([narrowed(m, horizon) for m in model.members])  # type: ignore[misc]
    assert isinstance(model, ForecastNet) and model.cfg.decoder == "direct"
    keep = {"head": horizon, "quantile_head.linear": horizon * len(head_taus(model.cfg))}
    state = {
        k: v[: keep[k.rsplit(".", 1)[0]]] if k.rsplit(".", 1)[0] in keep else v
        for k, v in model.state_dict().items()
    }
    with torch.random.fork_rng(devices=[]):  # built only to be overwritten
        out = ForecastNet(replace(model.cfg, horizon=horizon))
    out.load_state_dict(state)
    return out.to(next(model.parameters()).device).train(model.training)


def build(cfg: ModelConfig) -> nn.Module:
    """The module for ``cfg``: one network, or an ensemble of ``cfg.ensemble``."""
    members = [ForecastNet(cfg) for _ in range(cfg.ensemble)]
    return members[0] if cfg.ensemble == 1 else Ensemble(members)


# The calibration's constants on Scaled (left out of the state dict; see Scaled).
CALIBRATION_BUFFERS = (
    "factor", "margin", "centre_shift", "diff", "path", "trend_cut", "trend_factor",
    "trend_margin", "trend_shift",
)  # fmt: skip


class Scaled(nn.Module):
    """Raw values in, original units out: per-series scaling around a network.

    ``forward(x (B, W) raw, series (B,) int64) -> (B, H) raw``. The per-series ``loc`` and
    ``scale`` tables are buffers, so the ONNX graph carries them as constants and a device
    feeds raw values with the index of their series.

    A network with quantiles returns (B, H, 1 + K), its quantiles calibrated
    (:class:`forecastr.intervals.Calibration`) from the centre outwards, in the series' scaled
    units: ``q' = centre + shift + (factor * (increments + margin)) @ path``, the increments
    being each quantile's raw distance from its inner neighbour (``intervals.Nesting``). The
    constants are buffers left out of the state dict: config.json stores the calibration as
    plain numbers, and the ONNX graph carries them as constants (two small MatMuls).
    """

    loc: Tensor  # (S,) per-series location
    scale: Tensor  # (S,) per-series scale
    factor: Tensor  # (H, K) conformal factor of each quantile's increment; (0, 0): none
    margin: Tensor  # (H, K) added to each increment, signed by its side
    centre_shift: Tensor  # (H,) the centre's conformal move
    diff: Tensor  # (1 + K, K) increments = outputs @ diff
    path: Tensor  # (K, K) which increments add up to each quantile
    trend_cut: Tensor  # (1,) trendiness above which a window uses the trend_* ones; (0,): none
    trend_factor: Tensor  # (H, K) the trending windows' factor, margin and shift
    trend_margin: Tensor
    trend_shift: Tensor

    def __init__(self, model: nn.Module, loc: Tensor, scale: Tensor):
        super().__init__()
        self.model = model
        self.register_buffer("loc", loc.to(torch.float32))
        self.register_buffer("scale", scale.to(torch.float32))
        for name in CALIBRATION_BUFFERS:
            self.register_buffer(name, torch.zeros(0), persistent=False)
        self.centre = 0  # the centre's column in the outputs: the point, or the 0.5 quantile

    def calibrate(self, cal: Calibration | None, taus: tuple[float, ...]) -> None:
        """Apply ``cal`` to the quantiles ``taus`` from now on (None: raw quantiles)."""
        if cal is None:
            for name in CALIBRATION_BUFFERS:
                setattr(self, name, torch.zeros(0))
            return
        nest = Nesting.of(taus)
        diff, path = nest.matrices()
        as_f32 = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32).clone()  # noqa: E731
        self.factor, self.centre_shift = as_f32(cal.factor), as_f32(cal.shift)
        self.margin = as_f32(signed(cal.margin, taus))
        self.diff, self.path, self.centre = as_f32(diff), as_f32(path), nest.centre
        steep = cal.trending  # two strata: the trending windows' own numbers; else empty
        self.trend_cut = as_f32([cal.cut] if steep is not None else [])
        self.trend_factor = as_f32(steep.factor if steep is not None else [])
        self.trend_margin = as_f32(signed(steep.margin, taus) if steep is not None else [])
        self.trend_shift = as_f32(steep.shift if steep is not None else [])

    def forward(self, x: Tensor, series: Tensor) -> Tensor:
        loc = self.loc[series].unsqueeze(1)  # (B, 1)
        scale = self.scale[series].unsqueeze(1)
        out = self.model((x - loc) / scale)
        if out.dim() == 2:
            return out * scale + loc
        if self.factor.numel():
            factor, margin, shift = self.factor, self.margin, self.centre_shift
            if self.trend_cut.numel():  # two strata: each window's by its trendiness
                up = (trendiness(x) > self.trend_cut).view(-1, 1, 1)  # (B, 1, 1)
                factor = torch.where(up, self.trend_factor, factor)  # (B, H, K)
                margin = torch.where(up, self.trend_margin, margin)
                shift = torch.where(up[..., 0], self.trend_shift, shift)  # (B, H)
            centre = out[..., self.centre : self.centre + 1] + shift.unsqueeze(-1)
            increments = out @ self.diff + margin  # (B, H, K)
            moved = centre + (factor * increments) @ self.path
            out = torch.cat([out[..., :1], moved], dim=-1)
        return out * scale.unsqueeze(-1) + loc.unsqueeze(-1)
