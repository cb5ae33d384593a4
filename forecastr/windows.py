"""Sliding windows as index arithmetic, and chronological train / validation / test splits.

A window is identified by the global index of its first input point in ``Panel.y``; the
input is ``y[s : s + window]`` and the target ``y[s + window : s + window + horizon]``. Only
the start indices are stored (memory O(number of windows), one int64 each); batches are
gathered on demand, so nothing of size O(N x window) is ever built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecastr.errors import SeriesTooShortError
from forecastr.panel import Panel, concat_ranges


@dataclass(frozen=True)
class Split:
    """Per-series boundaries, as global indices into ``Panel.y`` (all shape (S,)).

    Series ``i`` is cut into train ``[start[i], train_end[i])``, validation
    ``[train_end[i], val_end[i])`` and test ``[val_end[i], end[i])``. The cut is made before
    anything is fitted: scalers see only the train part, early stopping only the validation
    part, and the test part is for the final report alone.
    """

    start: np.ndarray
    train_end: np.ndarray
    val_end: np.ndarray
    end: np.ndarray
    window: int
    horizon: int

    @property
    def n_series(self) -> int:
        return len(self.start)


def min_length(window: int, horizon: int, val_size: int, test_size: int) -> int:
    """Fewest points a series needs: one full training window plus validation and test."""
    return window + horizon + val_size + test_size


def split_panel(
    panel: Panel,
    window: int,
    horizon: int,
    val_size: int | None = None,
    test_size: int | None = None,
) -> Split:
    """Cut every series chronologically; ``val_size`` and ``test_size`` default to ``horizon``.

    Raises:
        SeriesTooShortError: naming the shortest series and the minimum length.
    """
    if window < 1 or horizon < 1:
        raise ValueError("window and horizon must be positive")
    val_size = horizon if val_size is None else val_size
    test_size = horizon if test_size is None else test_size
    if val_size < 0 or test_size < 0:
        raise ValueError("val_size and test_size must not be negative")
    need = min_length(window, horizon, val_size, test_size)
    lengths = panel.lengths
    short = np.flatnonzero(lengths < need)
    if len(short):
        i = int(short[np.argmin(lengths[short])])
        raise SeriesTooShortError(
            f"series {panel.ids[i]!r} has {int(lengths[i])} points but window {window} + "
            f"horizon {horizon} + validation {val_size} + test {test_size} need at least {need}; "
            "use a smaller --window/--horizon or drop short series"
            + (f" ({len(short)} series are too short)" if len(short) > 1 else "")
        )
    start = panel.offsets[:-1].astype(np.int64)
    end = panel.offsets[1:].astype(np.int64)
    val_end = end - test_size
    train_end = val_end - val_size
    return Split(start, train_end, val_end, end, window, horizon)


def window_starts(
    seg_start: np.ndarray, seg_end: np.ndarray, window: int, horizon: int
) -> np.ndarray:
    """Start indices of every (input, target) window lying wholly inside ``[seg_start, seg_end)``.

    Series ``i`` contributes ``max(0, L_i - window - horizon + 1)`` windows, none crossing
    into another series. Returns int64, shape (n_windows,), grouped by series.
    """
    seg_start = np.asarray(seg_start, dtype=np.int64)
    counts = np.maximum(np.asarray(seg_end, dtype=np.int64) - seg_start - window - horizon + 1, 0)
    return concat_ranges(seg_start, counts)


def train_window_starts(split: Split) -> np.ndarray:
    """Windows whose input and target lie in the training part only."""
    return window_starts(split.start, split.train_end, split.window, split.horizon)


def val_window_starts(split: Split) -> np.ndarray:
    """Windows whose target ends inside the validation part (inputs may reach back into train).

    One window per validation point; none of them touches the test part.
    """
    w, h = split.window, split.horizon
    first = np.maximum(split.train_end + 1 - h - w, split.start)  # target ends at train_end
    last = split.val_end - h - w  # target ends at val_end - 1
    return concat_ranges(first, np.maximum(last - first + 1, 0))


def test_window_starts(split: Split) -> np.ndarray:
    """One window per series: the ``window`` points before the test part, predicting it."""
    return split.val_end - split.window


def gather(y: np.ndarray, starts: np.ndarray, window: int, horizon: int):
    """Materialise a batch: inputs (B, window) and targets (B, horizon) from start indices."""
    idx = starts[:, None] + np.arange(window + horizon)
    block = y[idx]  # (B, window + horizon)
    return block[:, :window], block[:, window:]


def series_of(starts: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Which series each window start belongs to, shape (B,)."""
    return np.searchsorted(offsets, starts, side="right") - 1
