"""Which validation windows calibrate the intervals: as much history as the typical series'
forecast reads, never a point of the test part (calibration.history, calibration._origins);
and a combined model's intervals are calibrated on the combined forecast."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from forecastr.calibration import MIN_HISTORY, _origins, calibrate, history
from forecastr.combine import ThetaMix, shift
from forecastr.models import Scaled
from forecastr.scaling import ScalerParams
from forecastr.windows import Split, right_aligned_padded


def split_of(lengths: list[int], window: int, horizon: int) -> Split:
    """Series of ``lengths`` back to back, each with a validation and a test part of
    ``horizon`` points."""
    n = np.asarray(lengths, dtype=np.int64)
    end = np.cumsum(n)
    start = end - n
    return Split(start, end - 2 * horizon, end - horizon, end, window, horizon)


@pytest.mark.parametrize(
    ("lengths", "window", "expected"),
    [
        ([40, 50, 200], 24, 24),  # the typical series holds a whole window
        # it does not: what the median series has before its last validation point, 15
        ([16, 18, 20, 200], 24, 15),
        ([6, 7, 12], 24, MIN_HISTORY),  # never fewer than MIN_HISTORY while a series has them
        ([6, 7], 24, 4),  # nor more than the longest series has (7 - 2 - 1)
    ],
)
def test_history_is_the_typical_series_window_within_bounds(lengths, window, expected):
    split = split_of(lengths, window, horizon=3 if lengths[0] > 10 else 2)
    assert history(split, np.arange(len(lengths))) == expected


def test_windows_read_that_history_and_score_only_validation_points():
    split = split_of([16, 18, 20, 30, 200], window=24, horizon=3)
    series = np.arange(5)
    need = history(split, series)
    rows, starts, ends, lo, hi = _origins(split, series)
    assert need == 16  # the median series (20 points) has 16 before its last validation point
    assert (ends - starts >= need).all()  # every window reads `need` real points
    assert (ends < hi).all() and (ends >= lo - (split.horizon - 1)).all()
    assert (hi == split.val_end[rows]).all()  # targets end where the test part begins
    # series too short for that history give no window; the rest give every origin from a
    # horizon before their validation part (or their first with `need` points) to its end
    per = np.bincount(rows, minlength=5)
    first = np.maximum(split.train_end - 2, split.start + need)
    np.testing.assert_array_equal(per, np.maximum(split.val_end - first, 0))
    assert per[0] == 0 and per[-1] == split.horizon - 1 + split.horizon


class Naive(torch.nn.Module):
    """A stand-in network: the last value for every step, quantiles one unit either side."""

    def __init__(self, horizon: int):
        super().__init__()
        self.horizon = horizon

    def forward(self, x):
        point = x[:, -1:].expand(-1, self.horizon)
        return torch.stack([point, point - 1.0, point + 1.0], dim=-1)


def _served_coverage(model, y, split, scaler, mix, taus):
    """80% coverage of the combined forecast's intervals on the calibration windows."""
    rows, starts, ends, lo, hi = _origins(split, np.arange(len(split.start)))
    inputs = right_aligned_padded(y, starts, ends, split.window)
    with torch.no_grad():
        out = model(torch.from_numpy(inputs).float(), torch.from_numpy(rows)).double().numpy()
    moved = shift(out[..., 0], right_aligned_padded(y, starts, ends, mix.context), mix)
    out = out + moved[..., None]
    steps = ends[:, None] + np.arange(split.horizon)
    inside = (steps >= lo[:, None]) & (steps < hi[:, None])
    actual = y[np.minimum(steps, len(y) - 1)]
    hit = (out[..., 1] <= actual) & (actual <= out[..., 2])
    return hit[inside].mean(), np.median((out[..., 2] - out[..., 1])[inside])


def test_a_combined_model_is_calibrated_on_the_forecast_it_serves():
    """Naive misses a steady trend that the Theta method follows: intervals fitted to naive's
    errors are five times wider than the served forecast needs for its 80%."""
    rng = np.random.default_rng(0)
    lengths, horizon, taus = [60] * 40, 6, (0.1, 0.9)
    t = np.arange(60.0)
    y = np.concatenate([10 + (1 + i % 5) * t + rng.normal(0, 1, 60) for i in range(40)])
    split = split_of(lengths, window=12, horizon=horizon)
    scaler = ScalerParams("none", np.zeros(40), np.ones(40))
    mix = ThetaMix(weight=1.0, season_length=1, context=48, scores={})
    model = Scaled(Naive(horizon), torch.zeros(40), torch.ones(40))
    calibrate(model, y, split, scaler, taus)
    _, network_width = _served_coverage(model, y, split, scaler, mix, taus)
    calibrate(model, y, split, scaler, taus, mix)
    served_cover, served_width = _served_coverage(model, y, split, scaler, mix, taus)
    assert 0.75 <= served_cover <= 0.88  # calibrated: about 80% of validation points
    assert served_width < network_width / 3  # and far narrower than naive's errors need
    assert served_width < network_width / 3
