"""The training losses beyond torch's own: per-series weights (``--loss-scale mase``) and the
pinball loss of a quantile head."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from forecastr.panel import mean_abs_change
from forecastr.scaling import ScalerParams
from forecastr.windows import Split


def series_weights(y: np.ndarray, split: Split, scaler: ScalerParams) -> np.ndarray:
    """(S,) loss weight per series for ``loss_scale="mase"``: scaler scale / in-sample naive
    MAE of the training part (so scaled errors become MASE-like units), clipped to 10x the
    median and normalised to mean 1. Series without two training points weigh the median."""
    mad = mean_abs_change(y, split.start, split.train_end)  # (S,) NaN under two points
    with np.errstate(divide="ignore", invalid="ignore"):
        w = scaler.scale / mad
    ok = np.isfinite(w) & (w > 0)
    median = float(np.median(w[ok])) if ok.any() else 1.0
    w = np.clip(np.where(ok, w, median), 0.0, 10.0 * median)
    return w / w.mean() if w.mean() > 0 else np.ones_like(w)


class Pinball(nn.Module):
    """The pinball (quantile) loss of (B, H, K) quantiles against (B, H) targets, averaged over
    the K quantiles: ``max(tau (y - q), (tau - 1)(y - q))``. ``reduction="none"`` keeps (B, H)."""

    taus: torch.Tensor

    def __init__(self, taus: tuple[float, ...], reduction: str = "mean"):
        super().__init__()
        self.register_buffer("taus", torch.tensor(taus, dtype=torch.float32))
        self.reduction = reduction

    def forward(self, q: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        diff = y.unsqueeze(-1) - q  # (B, H, K)
        per_point = torch.maximum(self.taus * diff, (self.taus - 1.0) * diff).mean(dim=-1)
        return per_point if self.reduction == "none" else per_point.mean()
