"""Which validation windows calibrate the intervals: as much history as the typical series'
forecast reads, never a point of the test part (calibration.history, calibration._origins)."""

from __future__ import annotations

import numpy as np
import pytest

from forecastr.calibration import MIN_HISTORY, _origins, history
from forecastr.windows import Split


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
