"""The validated long panel every stage consumes: series concatenated in one float array."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from forecastr.config import INGEST
from forecastr.errors import InputError, shown
from forecastr.ingest.spelling import Spelling
from forecastr.ingest.timerange import DATE_RANGE, LAST_DATE, outside_ns, stamp_text


@dataclass(frozen=True)
class Panel:
    """Regular, gap-free series stored back to back.

    Series ``i`` is ``y[offsets[i]:offsets[i + 1]]`` with timestamps
    ``ds[offsets[i]:offsets[i + 1]]``. Every series is sorted by time, lies on the ``freq`` grid
    and has no missing values.

    Attributes:
        ids: series identifiers, in storage order.
        y: float64 values, shape (N,).
        ds: timestamps aligned with ``y``: datetime64[ns] for dated data, int64 for a step index.
        offsets: int64, shape (n_series + 1,).
        freq: pandas offset alias (``"MS"``, ``"h"``, ``"30min"``...), ``None`` for an integer
            index.
        step: grid step of an integer index (1 when ``freq`` is set).
        layout: how the CSV was read: ``"long"``, ``"wide"`` or ``"single"``.
        columns: the source columns used: ``{"id": ..., "time": ..., "target": [...]}``.
        filled_points: points created or filled by gap filling.
        filled_series: series that needed any filling.
        source: the file the panel came from (for messages).
        fill: the gap-filling method used: ``"interpolate"``, ``"ffill"``, ``"zero"``, ``"error"``.
        notes: what ingest decided on the user's behalf (e.g. how ambiguous dates were read).
        spelling: how the file wrote its timestamps (a period template, a UTC offset), which
            forecasts written as text keep (:mod:`forecastr.ingest.spelling`); None: ISO.
        aggregate: how the rows of each period were reduced to one point (``--aggregate``;
            :mod:`forecastr.ingest.aggregate`); None: a row per point.
    """

    ids: list[str]
    y: np.ndarray
    ds: np.ndarray
    offsets: np.ndarray
    freq: str | None
    step: int = 1
    layout: str = "long"
    columns: dict = field(default_factory=dict)
    filled_points: int = 0
    filled_series: int = 0
    source: str = ""
    fill: str = INGEST.fill
    notes: tuple[str, ...] = ()
    spelling: Spelling | None = None
    aggregate: str | None = None

    def __post_init__(self) -> None:
        # Hold the documented dtypes whoever builds the panel: pandas 3 makes datetime64[us]
        # by default, and code downstream reads ``ds`` as nanoseconds. No copy when already so.
        ds = np.asarray(self.ds)
        if np.issubdtype(ds.dtype, np.datetime64) and ds.dtype != np.dtype("datetime64[ns]"):
            if outside_ns(ds).any():  # the cast would wrap them silently
                raise ValueError(f"panel timestamps outside {DATE_RANGE} cannot be held in ns")
            object.__setattr__(self, "ds", ds.astype("datetime64[ns]"))
        object.__setattr__(self, "y", np.asarray(self.y, dtype=np.float64))
        object.__setattr__(self, "offsets", np.asarray(self.offsets, dtype=np.int64))
        if len(self.offsets) != len(self.ids) + 1 or self.offsets[-1] != len(self.y):
            raise ValueError(
                f"inconsistent panel: {len(self.ids)} ids, {len(self.offsets)} offsets ending "
                f"at {self.offsets[-1] if len(self.offsets) else None}, {len(self.y)} values"
            )

    @property
    def n_series(self) -> int:
        return len(self.ids)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def series(self, i: int) -> np.ndarray:
        """Values of series ``i`` (a view, not a copy)."""
        return self.y[self.offsets[i] : self.offsets[i + 1]]

    def timestamps(self, i: int) -> np.ndarray:
        return self.ds[self.offsets[i] : self.offsets[i + 1]]

    @cached_property
    def _position(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.ids)}

    def index_of(self, series_id: str) -> int:
        """Storage position of ``series_id`` (KeyError if unknown); O(1)."""
        try:
            return self._position[series_id]
        except KeyError:
            raise KeyError(series_id) from None

    def subset(self, ids: Sequence[str]) -> Panel:
        """A new panel holding only ``ids`` (in that order)."""
        idx = np.array([self.index_of(s) for s in ids], dtype=np.int64)
        lengths = self.lengths[idx]
        keep = concat_ranges(self.offsets[:-1][idx], lengths)
        return _replace(
            self,
            ids=list(ids),
            y=self.y[keep],
            ds=self.ds[keep],
            offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        )

    def truncate(self, ends: np.ndarray) -> Panel:
        """A new panel with series ``i`` cut to its first ``ends[i]`` points (relative index).

        Raises:
            ValueError: if an end is below 1 or beyond its series (it would reach into the
                next series).
        """
        ends = np.asarray(ends, dtype=np.int64)
        if ends.shape != (self.n_series,):
            raise ValueError(f"need one end per series ({self.n_series}), got shape {ends.shape}")
        if np.any(ends < 1) or np.any(ends > self.lengths):
            raise ValueError("every end must lie within its series (1 <= end <= length)")
        keep = concat_ranges(self.offsets[:-1], ends)
        return _replace(
            self,
            y=self.y[keep],
            ds=self.ds[keep],
            offsets=np.concatenate([[0], np.cumsum(ends)]).astype(np.int64),
        )

    def future_timestamps(self, i: int, horizon: int) -> np.ndarray:
        """The ``horizon`` timestamps that follow the end of series ``i``.

        Raises:
            InputError: they would run past the last date (or step) forecastr can hold.
        """
        last = self.ds[self.offsets[i + 1] - 1]
        try:
            return future_timestamps(last, horizon, self.freq, self.step)
        except InputError as err:
            raise InputError(f"{self.source}: series {shown(self.ids[i])}: {err}") from None

    def check_future(self, horizon: int) -> None:
        """Refuse a ``horizon`` that runs past the last date (or step) forecastr can hold,
        naming the series that ends last; cheap, so callers check before training.

        Raises:
            InputError: one line, with the longest horizon that fits.
        """
        if self.n_series and horizon > 0:
            last = self.ds[self.offsets[1:] - 1]
            self.future_timestamps(int(np.argmax(last)), horizon)


def future_timestamps(last, horizon: int, freq: str | None, step: int = 1) -> np.ndarray:
    """Timestamps of the ``horizon`` steps after ``last`` on the ``freq`` grid.

    Raises:
        InputError: they would run past 2262-04-11 (int64 nanoseconds) or, for a step index,
            past the largest int64; the message gives the longest horizon that fits.
    """
    if freq is None:
        top = 2**63 - 1
        if int(last) + step * horizon > top:  # Python ints: the check itself cannot wrap
            fits = (top - int(last)) // step
            raise InputError(
                f"forecasting {horizon} steps of {step} after step {int(last)} runs past "
                f"{top}, the largest step forecastr can hold; use --horizon {fits} or less, or "
                "subtract a common offset from the time column"
            )
        return int(last) + step * np.arange(1, horizon + 1, dtype=np.int64)
    start = pd.Timestamp(last)
    # In microseconds (a range of 290,000 years): the steps cannot overflow while counted.
    rng = pd.date_range(start.as_unit("us"), periods=horizon + 1, freq=freq)[1:]
    if len(rng) and rng[-1] > pd.Timestamp.max:
        fits = int((rng <= pd.Timestamp.max).sum())
        fix = f"use --horizon {fits} or less" if fits else "no step after it can be forecast"
        raise InputError(
            f"forecasting {horizon} steps of {freq!r} after {stamp_text(start)} runs past "
            f"{LAST_DATE.date()}, the last date forecastr can hold; {fix}"
        )
    return rng.values.astype("datetime64[ns]")


def _replace(panel: Panel, **changes) -> Panel:
    from dataclasses import replace

    return replace(panel, **changes)


def mean_abs_change(y: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """(S,) mean absolute one-step change of each segment ``y[start[i]:end[i]]`` of a panel's
    concatenated values (the in-sample naive MAE, MASE's scale for season 1); NaN for a
    segment of fewer than two points. Segments may be any sub-ranges of their series."""
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    csum = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(y)))])  # csum[k]: |changes| < k
    last = np.maximum(end - 1, start)  # changes start..end-1 lie between the segment's points
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(end - start >= 2, (csum[last] - csum[start]) / (end - start - 1), np.nan)


def concat_ranges(first: np.ndarray, counts: np.ndarray, step: int = 1) -> np.ndarray:
    """Concatenate ``first[i] + step * arange(counts[i])`` for all i, without a Python loop.

    The output (int64) is the only large allocation: a running sum of ``step``s with a jump
    where each range starts.
    """
    first = np.asarray(first, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    nonempty = counts > 0
    first, counts = first[nonempty], counts[nonempty]
    out = np.full(int(counts.sum()), step, dtype=np.int64)
    if len(out) == 0:
        return out
    begin = np.cumsum(counts) - counts  # where each range starts in the output
    out[0] = first[0]
    # jump from the last value of range i - 1 to the first of range i
    out[begin[1:]] = first[1:] - (first[:-1] + step * (counts[:-1] - 1))
    np.cumsum(out, out=out)
    return out
