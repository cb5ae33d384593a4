"""Sliding windows as index arithmetic, and chronological train / validation / test splits.

A window is identified by the global index of its first input point in ``Panel.y``; the
input is ``y[s : s + window]`` and the target ``y[s + window : s + window + horizon]``. Only
the start indices are stored (memory O(number of windows), one int64 each); batches are
gathered on demand, so nothing of size O(N x window) is ever built.

**Short series** (fewer points than window + horizon + validation + test) are padded, not
refused: their windows may start up to ``lead`` points *before* the series' first point, and
every index is clamped to that first point when gathered (:func:`clamped_index`), so the
missing past reads as a repetition of the first value. The target always lies in real data,
and the input holds at least :func:`min_real` real points; a gathered window never reads
across series or into the future.

Every window is counted and gathered here: training batches (:func:`clamp_positions`, on
the training device), a model's inputs right-aligned at an origin (:func:`right_aligned_padded`,
padded by repeating the first value, as in training) and the baselines' histories
(:class:`LeadPadded`, padded with NaN, which the baselines read as "no point").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

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
    lead: np.ndarray | None = None  # (S,) padded points a window may start before ``start``

    @property
    def n_series(self) -> int:
        return len(self.start)

    @property
    def leads(self) -> np.ndarray:
        return np.zeros(len(self.start), np.int64) if self.lead is None else self.lead

    @property
    def short(self) -> np.ndarray:
        """(S,) bool: series whose windows are padded (too short for a full window), or whose
        training part cannot hold one window and its whole target (a window of one or two
        points needs no padding, but its targets must still run past the part's end)."""
        part = self.train_end - self.start
        return (self.leads > 0) | (part < self.window + self.horizon)


def min_length(window: int, horizon: int, val_size: int, test_size: int) -> int:
    """Fewest points a series needs: one full training window plus validation and test."""
    return window + horizon + val_size + test_size


def min_real(window: int, horizon: int) -> int:
    """Fewest real (unpadded) points a padded window's input holds: half a horizon (at least
    two, to see a level and a slope), never more than the window."""
    return int(min(window, max(2, min(window, horizon) // 2)))


def split_panel(
    panel: Panel,
    window: int,
    horizon: int,
    val_size: int | None = None,
    test_size: int | None = None,
    *,
    pad: bool = False,
) -> Split:
    """Cut every series chronologically; ``val_size`` and ``test_size`` default to ``horizon``.

    With ``pad``, a series shorter than :func:`min_length` is kept: its windows are padded
    (``Split.lead``), its validation and test parts are cut as for every series (empty parts
    where it has fewer points), and the caller decides what a series without windows means.

    Raises:
        SeriesTooShortError: without ``pad``, naming the shortest series and the minimum length.
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
    if pad:
        start = panel.offsets[:-1].astype(np.int64)
        end = panel.offsets[1:].astype(np.int64)
        val_end = np.maximum(end - test_size, start)
        train_end = np.maximum(val_end - val_size, start)
        lead = np.where(lengths < need, window - min_real(window, horizon), 0).astype(np.int64)
        return Split(start, train_end, val_end, end, window, horizon, lead)
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
    return concat_ranges(seg_start, window_counts(seg_start, seg_end, window, horizon))


def window_counts(
    seg_start: np.ndarray, seg_end: np.ndarray, window: int, horizon: int
) -> np.ndarray:
    """(S,) int64: how many whole (input, target) windows fit in each ``[seg_start, seg_end)``,
    ``max(0, L - window - horizon + 1)``."""
    length = np.asarray(seg_end, dtype=np.int64) - np.asarray(seg_start, dtype=np.int64)
    return np.maximum(length - window - horizon + 1, 0)


def train_window_starts(split: Split) -> np.ndarray:
    """Windows whose input and target lie in the training part only.

    Short series get more: their inputs may start up to ``lead`` points early (in the
    padding), and their targets may run past the training part's end as long as the first
    target point is inside it; the points beyond are never read (gathering clamps indices to
    the part, :func:`clamped_index`) and are masked out of the loss.
    """
    reach = np.where(split.short, split.horizon - 1, 0)  # target points allowed past the end
    return window_starts(
        split.start - split.leads, split.train_end + reach, split.window, split.horizon
    )


def val_window_starts(split: Split) -> np.ndarray:
    """Windows whose target ends inside the validation part (inputs may reach back into train).

    One window per validation point; none of them touches the test part.
    """
    w, h = split.window, split.horizon
    lowest = split.start - split.leads
    first = np.maximum(split.train_end + 1 - h - w, lowest)  # target ends at train_end
    last = split.val_end - h - w  # target ends at val_end - 1
    return concat_ranges(first, np.maximum(last - first + 1, 0))


def window_series(split: Split, starts: np.ndarray) -> np.ndarray:
    """(B,) series of each window. A padded start may lie before its series, so the series is
    found from the window's *target* start, which is always a real point of it."""
    target = np.asarray(starts, dtype=np.int64) + split.window
    return np.searchsorted(split.end, target, side="right")  # (B,) first end[i] > target


def clamped_index(
    starts: np.ndarray, firsts: np.ndarray, length: int, lasts: np.ndarray | None = None
) -> np.ndarray:
    """(B, length) gather indices ``starts + arange(length)``, each clamped to its series'
    first point (a padded window repeats the first value and never reads the series before)
    and, with ``lasts``, to the last point its part may read (never the part after)."""
    idx = np.asarray(starts)[:, None] + np.arange(length)
    return clamp_positions(
        idx, np.asarray(firsts)[:, None], None if lasts is None else np.asarray(lasts)[:, None]
    )


def clamp_positions(positions: Any, firsts: Any, lasts: Any = None) -> Any:
    """Gather positions clamped to at least ``firsts`` and, with ``lasts``, at most ``lasts``
    (all broadcastable): a padded window repeats its series' first point, and a part's window
    never reads the points after it. For numpy arrays and torch tensors alike (training gathers
    on its device); integer positions, so the result is exact either way."""
    return positions.clip(min=firsts, max=lasts)


def right_aligned_padded(
    y: np.ndarray, first: np.ndarray, ends: np.ndarray, window: int
) -> np.ndarray:
    """(S, window): each series' ``window`` points before ``ends`` (absolute, exclusive), left-
    padded by repeating the series' first point when it has fewer. ``ends > first``."""
    first = np.asarray(first, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    return y[clamped_index(ends - window, first, window)]


@dataclass(frozen=True)
class LeadPadded:
    """A panel's values behind ``lead`` NaNs, so every window of up to ``lead`` points that
    ends inside them is a row of one strided view: gathering right-aligned histories copies
    rows, with no (B, T) index arrays. The backtest gathers its baselines' histories so."""

    values: np.ndarray  # (lead + N,)
    lead: int

    @classmethod
    def of(cls, y: np.ndarray, lead: int) -> LeadPadded:
        return cls(np.concatenate([np.full(lead, np.nan), y]), lead)

    def take(self, index: np.ndarray) -> np.ndarray:
        """``y[index]`` for absolute indices into the panel's values."""
        return self.values[self.lead + index]

    def right_aligned(self, starts: np.ndarray, ends: np.ndarray, length: int) -> np.ndarray:
        """Rows ``y[starts[i]:ends[i]]``, each cut to its last ``length`` points, as a
        right-aligned, NaN-left-padded (B, length) matrix; ``length <= lead``."""
        if length == 0:
            return np.empty((len(ends), 0))
        rows = sliding_window_view(self.values, length)  # row j = values[j : j + length]
        out = rows[self.lead + ends - length]  # (B, L) copy; may start in the previous series
        pad = length - (ends - starts)  # (B,) columns before the series' first point
        np.copyto(out, np.nan, where=np.arange(length) < pad[:, None])
        return out


def gather(y: np.ndarray, starts: np.ndarray, window: int, horizon: int):
    """Materialise a batch: inputs (B, window) and targets (B, horizon) from start indices."""
    idx = starts[:, None] + np.arange(window + horizon)
    block = y[idx]  # (B, window + horizon)
    return block[:, :window], block[:, window:]


def shortfall(split: Split) -> tuple[int, int] | None:
    """When no series' training part holds the window: (the longest part's points, the
    points held back after it for validation and test); None when some series fills it."""
    parts = split.train_end - split.start  # (S,)
    longest = int(parts.max()) if split.n_series else 0
    if longest >= split.window:
        return None
    i = int(np.argmax(parts)) if split.n_series else 0
    held = int(split.end[i] - split.train_end[i]) if split.n_series else 0
    return longest, held


def check_some_series_fills_the_window(split: Split) -> None:
    """Padding serves the short series of a file, not a window longer than all of them."""
    short = shortfall(split)
    if short is not None:
        # The window may be the user's or the default's: name every flag that makes room.
        longest, held = short
        raise SeriesTooShortError(
            f"the window ({split.window} points) is longer than every series' training part "
            f"(the longest holds {longest} points before its last {held}, kept for "
            "validation and test); use a smaller --window, --horizon or --val-size, "
            "or longer series"
        )
