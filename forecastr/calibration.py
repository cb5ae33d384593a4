"""Split-conformal calibration of a trained model's quantiles on its validation windows.

The holdout run's model is scored on windows whose targets lie in each series' validation
part: points it never trained on (early stopping watched them, through the point loss alone),
and before the test part, which nothing here reads. For series ``i`` and every origin ``o``
from ``horizon - 1`` points before its validation part to its last validation point, the
model forecasts from the ``window`` points before ``o``, and each step that lands inside the
validation part gives one score per quantile. So each horizon step gets the same number of
scores (the validation size) from every series. The calibration
(:func:`forecastr.intervals.conformal_fit`) is stored with the model and carried by its
refit, which has no held-out points left to calibrate on. Imports torch.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from forecastr.intervals import Calibration, conformal_fit
from forecastr.models import Scaled
from forecastr.scaling import ScalerParams
from forecastr.windows import Split, right_aligned_padded

# Calibration windows scored at most: beyond this, series are taken evenly spaced. 2**16
# windows give thousands of residuals per step, far more than any rank needs.
MAX_WINDOWS = 1 << 16
_CHUNK = 4096  # windows per forward pass
# Real points a calibration window reads at least (fewer when no series has that many). On
# the holdout parts of M3 yearly, Tourism yearly and M3 quarterly, 5 gave the lowest MSIS at
# both levels of 1, 2, 3 and 5; with 1, windows of two-point histories made M3 yearly's 95%
# intervals thousands of times too wide.
MIN_HISTORY = 5


def calibrate(
    model: Scaled,
    y: np.ndarray,
    split: Split,
    scaler: ScalerParams,
    taus: tuple[float, ...],
) -> Calibration:
    """The conformal calibration of ``model``'s quantiles on its validation windows, set on
    ``model`` and returned (no adjustment, not guaranteed, when no series has a validation
    part)."""
    horizon = split.horizon
    series = np.flatnonzero(split.val_end > split.train_end)
    origins_per = horizon - 1 + int((split.val_end - split.train_end).max(initial=0))
    if len(series) * max(origins_per, 1) > MAX_WINDOWS:
        keep = MAX_WINDOWS // max(origins_per, 1)
        series = series[np.linspace(0, len(series) - 1, keep).round().astype(np.int64)]
        series = np.unique(series)
    if len(series) == 0:
        cal = Calibration.identity(horizon, len(taus))
        model.calibrate(cal, taus)
        return cal
    rows, starts, ends, lo, hi = _origins(split, series)
    inputs = right_aligned_padded(y, starts, ends, split.window)  # (N, W)
    raw = scaled_outputs(model, inputs, rows)  # (N, H, 1 + K), uncalibrated
    steps = ends[:, None] + np.arange(horizon)  # (N, H) index of each step's target
    inside = (steps >= lo[:, None]) & (steps < hi[:, None])
    actual = np.where(inside, y[np.minimum(steps, len(y) - 1)], np.nan)  # test never read
    actual = (actual - scaler.loc[rows][:, None]) / scaler.scale[rows][:, None]
    fitted = conformal_fit(actual, raw, taus, targets=steps)
    cal = replace(fitted, windows=len(rows), series=len(series))
    model.calibrate(cal, taus)
    return cal


def _origins(split: Split, series: np.ndarray):
    """Every calibration window of ``series``: (series row, first point, origin, validation
    start, validation end), one entry per window, all (N,).

    A window reads at least :data:`MIN_HISTORY` real points (or the whole window, or, when no
    series has that many, the most any has): a forecast from one or two points of a short
    series is not what a forecast from its whole history looks like, and its scores (its
    network sure of itself, its error large) would swamp every other window's."""
    horizon = split.horizon
    longest = int((split.val_end[series] - 1 - split.start[series]).max(initial=1))
    history = max(1, min(split.window, MIN_HISTORY, longest))
    first = np.maximum(split.train_end[series] - (horizon - 1), split.start[series] + history)
    count = np.maximum(split.val_end[series] - first, 0)  # origins up to the last val point
    rows = np.repeat(series, count)
    offsets = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    ends = np.repeat(first, count) + offsets
    return (
        rows,
        split.start[rows],
        ends,
        split.train_end[rows],
        split.val_end[rows],
    )


@torch.no_grad()
def scaled_outputs(model: Scaled, inputs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The network's point and raw quantiles (N, H, 1 + K), uncalibrated, in the series'
    scaled units (what the calibration is fitted in), for raw (N, W) inputs of series
    ``rows``: the network inside ``model``, without its calibration."""
    loc = torch.from_numpy(np.asarray(model.loc.numpy()[rows], dtype=np.float32))[:, None]
    scale = torch.from_numpy(np.asarray(model.scale.numpy()[rows], dtype=np.float32))[:, None]
    x = (torch.from_numpy(inputs.astype(np.float32)) - loc) / scale
    out = [model.model(x[i : i + _CHUNK]).double().numpy() for i in range(0, len(x), _CHUNK)]
    return np.concatenate(out)
