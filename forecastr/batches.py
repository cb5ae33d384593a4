"""The training loop's windows, on the training device: start indices, the bounds each window
may read, batches gathered by index, and the loss over the points a batch may score.

A window of a short series starts before its series (its first value repeats, as in
``windows.split_panel``) and a target may run past the part its window belongs to (the points
past it are masked out of the loss, never read).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from forecastr.windows import Split, clamp_positions, window_series


@dataclass(frozen=True)
class DeviceWindows:
    """Window start indices with the bounds each may read, on the training device."""

    starts: torch.Tensor  # (n,) global index of each window's first input point
    firsts: torch.Tensor  # (n,) first point of its series (padded starts lie before it)
    lasts: torch.Tensor  # (n,) last point its part may read (targets of short series stop here)
    partial: bool  # whether any target runs past its part (then the loss is masked)
    weight: torch.Tensor | None  # (n,) loss weight of each window's series, or None (all 1)

    @classmethod
    def of(
        cls,
        split: Split,
        starts: np.ndarray,
        part_end: np.ndarray,
        device: torch.device,
        series_weight: np.ndarray | None = None,
    ) -> DeviceWindows:
        series = window_series(split, starts) if len(starts) else starts
        firsts, lasts = split.start[series], part_end[series] - 1
        partial = bool(np.any(starts + split.window + split.horizon - 1 > lasts))
        as_tensor = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(device)  # noqa: E731
        weight = None
        if series_weight is not None:
            weight = as_tensor(series_weight[series].astype(np.float32))
        return cls(as_tensor(starts), as_tensor(firsts), as_tensor(lasts), partial, weight)

    def loss(self, loss_fn, point_fn, pred, y, idx, mask) -> torch.Tensor:
        """Mean loss of windows ``idx``: over readable target points, weighted per series."""
        if mask is None and self.weight is None:
            return loss_fn(pred, y)
        per_point = point_fn(pred, y)  # (B, H), the same loss unreduced
        if self.weight is not None:
            per_point = per_point * self.weight[idx][:, None]
        if mask is None:
            return per_point.mean()
        return (per_point * mask).sum() / mask.sum().clamp_min(1)

    def __len__(self) -> int:
        return len(self.starts)

    def block(self, z: torch.Tensor, idx: torch.Tensor | slice, span: torch.Tensor):
        """(B, W + H) values of windows ``idx`` (padded windows repeat the first value; points
        past a part's end are never read), and the (B, W + H) mask of readable points, or None
        when every window is whole."""
        pos = self.starts[idx][:, None] + span
        last = self.lasts[idx][:, None]
        gathered = z[clamp_positions(pos, self.firsts[idx][:, None], last)]
        return gathered, (pos <= last) if self.partial else None
