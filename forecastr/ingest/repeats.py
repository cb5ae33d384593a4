"""Timestamps that repeat within a series, and the two readings of them that are kept as one.

Two kinds are read; any other repeat is refused by
:func:`~forecastr.ingest.timeaxis.check_duplicates`, naming its lines:

* **Copies** (:func:`drop_copies`): every repeated timestamp of the file holds the same value
  as the point before it. A reading written once per label of its time (the Metro Interstate
  traffic file has a row per weather label of an hour) or a file appended to itself. Each
  point is kept once.
* **The night the clocks go back** (:func:`merge_clock_changes`): stamps in local time, at
  an hourly or finer step, repeat the hour the clocks go back once a year: PJM's hourly load
  files list 2014-11-02 02:00 twice. Where every repeat of the file is such an hour (from
  23:00 to 03:59, at most one such hour per series and year, each stamp twice), the two
  readings of each stamp are averaged: a level (a load in MW, a temperature) or a count per
  hour, the mean is the hour's typical value. The hour the clocks skip in spring is then a
  gap, filled like any other.

Each comes with a note naming the first line concerned.
"""

from __future__ import annotations

import numpy as np

from forecastr.ingest.frequency import within_series_diffs
from forecastr.ingest.where import Where

HOUR = np.timedelta64(1, "h")
HOUR_NS = 3_600_000_000_000  # the stamps are datetime64[ns]
# The hours a clock change's repeated hour can start at: 02:00 in Europe, 01:00 in North
# America, 23:00 where the clocks go back at midnight (Chile, Paraguay)
NIGHT = (23, 0, 1, 2, 3)
Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, Where, tuple[str, ...]]


def repeats(ds: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(N - 1,) whether point k + 1 repeats point k's timestamp within its series."""
    same = ds[1:] == ds[:-1]
    if len(offsets) > 2:
        same[offsets[1:-1] - 1] = False  # the last point of one series vs the next's first
    return same


def differs(y: np.ndarray) -> np.ndarray:
    """(N - 1,) whether point k + 1's value differs from point k's (two empty cells agree)."""
    a, b = y[:-1], y[1:]
    return ~((a == b) | (np.isnan(a) & np.isnan(b)))


def drop_copies(y: np.ndarray, ds: np.ndarray, offsets: np.ndarray, where: Where) -> Arrays:
    """Keep once each point that repeats the timestamp and the value of the one before it in
    its series, with a note; only when every repeated timestamp of the file is such a copy."""
    same = repeats(ds, offsets)
    if not same.any() or (same & differs(y)).any():
        return y, ds, offsets, where, ()
    later = np.flatnonzero(same) + 1
    note = (
        f"{len(later):,} points repeat the timestamp and the value of the point before them "
        f"(the first at line {where.line(int(later[0]))}): each kept once"
    )
    return (*without(y, ds, offsets, where, later), (note,))


def merge_clock_changes(y: np.ndarray, ds: np.ndarray, offsets: np.ndarray, where: Where) -> Arrays:
    """The two readings of each stamp repeated in the night the clocks went back, averaged
    into one point, with a note; unchanged unless every repeat of the file is such a stamp
    (module doc)."""
    if ds.dtype.kind != "M":
        return y, ds, offsets, where, ()
    same = repeats(ds, offsets)
    first = np.flatnonzero(same)
    if not first.size or not _clock_changes(ds, offsets, first):
        return y, ds, offsets, where, ()
    y = y.copy()
    pair = np.stack([y[first], y[first + 1]])
    filled = np.isfinite(pair).sum(axis=0)
    y[first] = np.where(filled > 0, np.nansum(pair, axis=0) / np.maximum(filled, 1), np.nan)
    a, b = where.line(int(first[0])), where.line(int(first[0] + 1))
    stamp = str(ds[first[0]].astype("datetime64[m]")).replace("T", " ")
    note = (
        f"{len(first):,} timestamps repeat in the night the clocks went back (the first "
        f"{stamp}, lines {min(a, b)} and {max(a, b)}): the two readings of each are averaged"
    )
    return (*without(y, ds, offsets, where, first + 1), (note,))


def _clock_changes(ds: np.ndarray, offsets: np.ndarray, first: np.ndarray) -> bool:
    """Whether the repeats ``first`` (the index of each repeat's first point) are all clock
    changes: each stamp twice, at an hourly or finer step, in an hour of :data:`NIGHT`, one
    night of at most an hour per series and year."""
    if np.any(np.diff(first) == 1):  # a stamp three times
        return False
    step = within_series_diffs(ds, offsets)
    step = step[step > 0]  # the repeats' own zero spacings left out
    if not step.size or np.median(step) > HOUR_NS:
        return False
    stamps = ds[first]
    hour = (stamps - stamps.astype("datetime64[D]")) // HOUR
    if not np.isin(hour, NIGHT).all():
        return False
    series = np.searchsorted(offsets, first, side="right") - 1
    year = stamps.astype("datetime64[Y]").astype(np.int64)
    group = np.flatnonzero(np.r_[True, (series[1:] != series[:-1]) | (year[1:] != year[:-1])])
    span = np.maximum.reduceat(stamps, group) - np.minimum.reduceat(stamps, group)
    return bool(np.all(span < HOUR))


def without(
    y: np.ndarray, ds: np.ndarray, offsets: np.ndarray, where: Where, drop: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Where]:
    """The arrays without the points ``drop``, each series' offset moved up by those before
    it, and the lines of what is left."""
    keep = np.ones(len(ds), dtype=bool)
    keep[drop] = False
    kept = np.flatnonzero(keep)
    gone = np.concatenate([[0], np.cumsum(~keep)])[offsets]
    return y[kept], ds[kept], offsets - gone, where.via(lambda k: int(kept[k]))
