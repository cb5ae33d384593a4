"""The validated long panel every stage consumes: series concatenated in one float array."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Panel:
    """Regular, gap-free series stored back to back.

    Series ``i`` is ``y[offsets[i]:offsets[i + 1]]`` with timestamps ``ds[offsets[i]:offsets[i + 1]]``.
    Every series is sorted by time, lies on the ``freq`` grid and has no missing values.

    Attributes:
        ids: series identifiers, in storage order.
        y: float64 values, shape (N,).
        ds: timestamps aligned with ``y``: datetime64[ns] for dated data, int64 for a step index.
        offsets: int64, shape (n_series + 1,).
        freq: pandas offset alias (``"MS"``, ``"h"``, ``"30min"``...) or ``None`` for an integer index.
        step: grid step of an integer index (1 when ``freq`` is set).
        layout: how the CSV was read: ``"long"``, ``"wide"`` or ``"single"``.
        columns: the source columns used: ``{"id": ..., "time": ..., "target": [...]}``.
        filled_points: points created or filled by gap filling.
        filled_series: series that needed any filling.
        source: the file the panel came from (for messages).
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

    def index_of(self, series_id: str) -> int:
        try:
            return self.ids.index(series_id)
        except ValueError:
            raise KeyError(series_id) from None

    def subset(self, ids: Sequence[str]) -> Panel:
        """A new panel holding only ``ids`` (in that order)."""
        idx = [self.index_of(s) for s in ids]
        parts_y = [self.series(i) for i in idx]
        parts_ds = [self.timestamps(i) for i in idx]
        lengths = np.array([len(p) for p in parts_y], dtype=np.int64)
        return _replace(
            self,
            ids=list(ids),
            y=np.concatenate(parts_y) if parts_y else self.y[:0],
            ds=np.concatenate(parts_ds) if parts_ds else self.ds[:0],
            offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        )

    def truncate(self, ends: np.ndarray) -> Panel:
        """A new panel with series ``i`` cut to its first ``ends[i]`` points (relative index)."""
        ends = np.asarray(ends, dtype=np.int64)
        keep = np.concatenate(
            [np.arange(self.offsets[i], self.offsets[i] + ends[i]) for i in range(self.n_series)]
        ) if self.n_series else np.zeros(0, dtype=np.int64)
        return _replace(
            self,
            y=self.y[keep],
            ds=self.ds[keep],
            offsets=np.concatenate([[0], np.cumsum(ends)]).astype(np.int64),
        )

    def future_timestamps(self, i: int, horizon: int) -> np.ndarray:
        """The ``horizon`` timestamps that follow the end of series ``i``."""
        last = self.ds[self.offsets[i + 1] - 1]
        return future_timestamps(last, horizon, self.freq, self.step)

    def to_frame(self) -> pd.DataFrame:
        """Long DataFrame with columns ``unique_id``, ``ds``, ``y``."""
        codes = np.repeat(np.arange(self.n_series), self.lengths)
        return pd.DataFrame(
            {
                "unique_id": pd.Categorical.from_codes(codes, categories=self.ids),
                "ds": self.ds,
                "y": self.y,
            }
        )


def future_timestamps(last, horizon: int, freq: str | None, step: int = 1) -> np.ndarray:
    """Timestamps of the ``horizon`` steps after ``last`` on the ``freq`` grid."""
    if freq is None:
        return int(last) + step * np.arange(1, horizon + 1, dtype=np.int64)
    rng = pd.date_range(pd.Timestamp(last), periods=horizon + 1, freq=freq)
    return rng[1:].values


def _replace(panel: Panel, **changes) -> Panel:
    from dataclasses import replace

    return replace(panel, **changes)
