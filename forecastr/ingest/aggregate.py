"""Rows summed (or averaged, counted ...) per period: a log of transactions read as series.

A sales export, an order book or a sensor's event log has a row per event, several to a day
and none on some days; each series needs one value per period. With ``--aggregate HOW``
(:data:`forecastr.config.AGGREGATES`), the rows of each series are grouped by the period of
``--freq`` they fall in, or by their exact timestamp where no ``--freq`` is given (dates
without a time of day), and each group becomes one point:

* ``sum``: the total of the group's values; ``count``: how many rows hold a value, in a
  column of numbers or of text (a log of page views or calls, ``--target user``:
  :func:`filled_cells`). A period with no rows is zero by default
  (``config.INGEST.fill_for``): no sales that day.
* ``mean``, ``min``, ``max``, ``last`` (the latest row's value, a closing price): a period
  with no rows is a gap, filled as any other.

Each period is labelled by a stamp on the ``--freq`` grid, as pandas' ``resample`` labels its
bins: a period of a day or a fixed span (``D``, ``h``, ``15min``) by its start, a week by its
last day (``W`` is the week ending on Sunday), a month, quarter or year by its first day for
``MS``/``QS``/``YS`` and by its last for ``ME``/``QE``/``YE``. Times of day are dropped for
periods of a day or more.

**Partial periods.** A file exported on 9 December holds nine days of December: its sum is
no month's sales, and a model would read it as a collapse. Where sums or counts are asked for
periods of a day or more, the file's first and last periods are left out (with a note) when
its rows start after the first period's first day or end before the last period's last day
by more days than the file goes without rows elsewhere (the 99th percentile of its runs of
empty days: a shop closed on Sundays keeps a week ending on a Sunday it had no sales).

An integer index is grouped by equal steps, or by blocks of ``--freq`` steps counted from the
file's first step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecastr.errors import InputError, shown
from forecastr.ingest.cells import NULL_VALUES
from forecastr.ingest.repeats import Arrays
from forecastr.ingest.timeaxis import check_alias, infer_int_step
from forecastr.ingest.timerange import DATE_RANGE, stamp_text
from forecastr.ingest.values import MAX_VALUE
from forecastr.ingest.where import Where

DAY_NS = 86_400_000_000_000
# How a label's period is found: ("fixed", its width in ns) or ("anchored", its offset)
Span = tuple[str, Any]
TOTALS = ("sum", "count")  # an empty period is zero, and a partial one is no period's total


def filled_cells(columns: dict[str, pd.Series], targets: tuple[str, ...]) -> dict:
    """``columns`` with each target column of text as 1.0 where a cell is filled and NaN where
    it is empty (:data:`~forecastr.ingest.cells.NULL_VALUES`), for ``--aggregate count``; a
    column of numbers is left as it is (its empty and unreadable cells are not counted)."""
    out = dict(columns)
    for name in targets:
        col = columns[name]
        if pd.api.types.is_numeric_dtype(col.dtype):  # a frame's numbers (frame_to_panel)
            continue
        text = col.astype("string").str.strip()
        empty = (text.isna() | text.isin(NULL_VALUES)).to_numpy(dtype=bool)
        out[name] = pd.Series(np.where(empty, np.nan, 1.0), index=col.index)
    return out


def aggregate(
    y: np.ndarray,
    ds: np.ndarray,
    offsets: np.ndarray,
    where: Where,
    *,
    how: str,
    freq: str | None,
) -> Arrays:
    """The rows of each series grouped by period and reduced by ``how`` (module doc), with a
    note saying what was done. ``ds`` is sorted within each series (``offsets``)."""
    try:
        return _aggregate(y, ds, offsets, where, how, freq)
    except (OverflowError, pd.errors.OutOfBoundsDatetime, pd.errors.OutOfBoundsTimedelta):
        raise InputError(
            f"{where.file}: its timestamps lie too near the ends of the dates forecastr can "
            f"hold ({DATE_RANGE}) to group them by {shown(freq)} periods; pass a shorter "
            "--freq, or fix the dates"
        ) from None


def _aggregate(
    y: np.ndarray, ds: np.ndarray, offsets: np.ndarray, where: Where, how: str, freq: str | None
) -> Arrays:
    labels, span = _labels(ds, freq, where)
    starts = _run_starts(labels, offsets)  # each point's first row: its line in messages
    values = _reduce(y, starts, how)
    points = labels[starts]
    _check_size(values, points, starts, where, how)
    new_offsets = np.searchsorted(starts, offsets).astype(np.int64)
    notes = [
        f"{len(ds):,} values {_verb(how)} per {_period(freq, ds)} of each series into "
        f"{len(points):,} points (--aggregate {how})"
    ]
    if how in TOTALS and span is not None:
        values, points, new_offsets, kept, note = _partial_edges(
            values, points, new_offsets, ds, span
        )
        starts = starts[kept]
        notes.extend(note)
    return values, points, new_offsets, where.via(lambda k: int(starts[k])), tuple(notes)


VERBS = {"sum": "summed", "count": "counted", "mean": "averaged", "last": "reduced to the last"}


def _verb(how: str) -> str:
    return VERBS.get(how, f"reduced to their {how}")


def _period(freq: str | None, ds: np.ndarray) -> str:
    if freq is None:
        return "step" if ds.dtype.kind == "i" else "timestamp"
    return f"{shown(freq)} period"


def _labels(ds: np.ndarray, freq: str | None, where: Where) -> tuple[np.ndarray, Span | None]:
    """(N,) each row's period label, and what :func:`_bounds` needs to find a label's period
    (None: no partial periods are looked for)."""
    if freq is None:
        return ds, None
    if ds.dtype.kind == "i":  # an integer index: blocks of `freq` steps
        step = infer_int_step(ds, np.array([0, len(ds)]), freq, where)
        return ds - (ds - int(ds.min())) % step, None
    offset = pd.tseries.frequencies.to_offset(check_alias(freq, where))
    t = ds.view(np.int64)
    if isinstance(offset, pd.offsets.Day | pd.offsets.Tick):  # a fixed span
        width = int(offset.n) * DAY_NS if isinstance(offset, pd.offsets.Day) else offset.nanos
        floored = _floor(t, width).view(ds.dtype)
        return floored, (("fixed", width) if width % DAY_NS == 0 else None)  # partial: a day+
    days = ds.astype("datetime64[D]")
    unique, inverse = np.unique(days, return_inverse=True)
    roll = offset.rollforward if _labelled_by_end(offset) else offset.rollback
    rolled = np.array([roll(pd.Timestamp(d)).to_datetime64() for d in unique])
    return rolled.astype(ds.dtype)[inverse.ravel()], ("anchored", offset)


def _floor(t: np.ndarray, width: int) -> np.ndarray:
    """``t`` (int64 ns) floored to a multiple of ``width``; an OverflowError where that falls
    before the first time int64 holds (or on NaT)."""
    if width <= 0:
        raise InputError(f"--freq must be a positive span (got {width} ns)")
    floored = t - np.mod(t, width)
    if np.any(floored > t) or np.any(floored == np.iinfo(np.int64).min):  # wrapped, or NaT
        raise OverflowError("floored past int64")
    return floored


def _labelled_by_end(offset) -> bool:
    """Whether pandas labels ``offset``'s bins by their last day: weeks and the ``...End``
    offsets (``ME``, ``QE``, ``YE``, ``BME`` ...)."""
    return isinstance(offset, pd.offsets.Week) or type(offset).__name__.endswith("End")


def _run_starts(labels: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Indexes where a new (series, label) group starts."""
    new = np.ones(len(labels), dtype=bool)
    new[1:] = labels[1:] != labels[:-1]
    new[offsets[:-1][offsets[:-1] < len(labels)]] = True
    return np.flatnonzero(new)


def _reduce(y: np.ndarray, starts: np.ndarray, how: str) -> np.ndarray:
    """(G,) each group's value: NaN where a group has no value (but a count of 0)."""
    has = np.isfinite(y)
    count = np.add.reduceat(has.astype(np.float64), starts)
    if how == "count":
        return count
    if how in ("sum", "mean"):
        total = np.add.reduceat(np.where(has, y, 0.0), starts)
        out = total if how == "sum" else total / np.maximum(count, 1.0)
    elif how in ("min", "max"):
        ufunc = np.fmin if how == "min" else np.fmax
        out = ufunc.reduceat(y, starts)
    else:  # last: the latest row that holds a value
        index = np.where(has, np.arange(len(y)), -1)
        latest = np.maximum.reduceat(index, starts)
        out = y[np.maximum(latest, 0)]
    return np.where(count > 0, out, np.nan)


def _check_size(
    values: np.ndarray, points: np.ndarray, starts: np.ndarray, where: Where, how: str
) -> None:
    """Refuse a period whose value is past ``MAX_VALUE`` in size (a sum of many large rows),
    as a cell of that size is refused: models cannot hold it."""
    big = np.abs(values) > MAX_VALUE  # NaN compares False
    if big.any():
        g = int(np.flatnonzero(big)[0])
        stamp = points[g] if points.dtype.kind == "i" else stamp_text(points[g])
        raise InputError(
            f"{where.file}: the {how} of the rows of period {stamp} (from line "
            f"{where.line(int(starts[g]))}) is {values[g]:.3g}, past {MAX_VALUE:.0e} in size; "
            "divide the column by a power of ten (thousands, millions)"
        )


def _partial_edges(
    values: np.ndarray, points: np.ndarray, offsets: np.ndarray, ds: np.ndarray, span: Span
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The points without the file's first and last periods where the rows do not cover them
    (module doc): the arrays, the indexes kept, and a note per period left out."""
    days = np.unique(ds.astype("datetime64[D]"))
    first_day, last_day = days[0], days[-1]
    quiet = _quiet_days(days)
    lo, hi = points.min(), points.max()
    drop: list = []
    notes: list[str] = []
    for label, edge in ((lo, "first"), (hi, "last")):
        start, end = _bounds(label, span)
        missed = first_day - start if edge == "first" else end - last_day
        short = int(missed.astype(np.int64)) > quiet
        if short and label not in drop:
            drop.append(label)
            covered = f"from {first_day}" if edge == "first" else f"to {last_day}"
            notes.append(
                f"the {edge} period ({stamp_text(label)}) is partial (rows {covered} only) and is "
                "left out: its total would not be a whole period's"
            )
    keep = ~np.isin(points, np.array(drop, dtype=points.dtype))
    counts = np.add.reduceat(keep.astype(np.int64), offsets[:-1])  # no series is empty here
    if not drop or np.any(counts == 0):
        return values, points, offsets, np.arange(len(points)), []  # a series would be empty
    kept = np.flatnonzero(keep)
    new_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return values[kept], points[kept], new_offsets, kept, notes


def _quiet_days(days: np.ndarray) -> int:
    """Days in a row without rows that the file shows elsewhere, at most (the 99th percentile
    of its runs of empty days between ``days``, the distinct days with rows): a shop closed on
    Sundays has runs of 1, so rows that end on a Saturday leave a week ending on Sunday whole."""
    empty = np.diff(days).astype(np.int64) - 1
    return int(np.quantile(empty, 0.99, method="lower")) if empty.size else 0


def _bounds(label: np.datetime64, span: Span) -> tuple[np.datetime64, np.datetime64]:
    """The first and last day of the period labelled ``label``."""
    kind, arg = span
    stamp = pd.Timestamp(label)
    if kind == "fixed":
        start, end = stamp, stamp + pd.Timedelta(int(arg)) - pd.Timedelta(days=1)
    elif _labelled_by_end(arg):
        start, end = stamp - arg + pd.Timedelta(days=1), stamp
    else:
        start, end = stamp, stamp + arg - pd.Timedelta(days=1)
    return np.datetime64(start.date(), "D"), np.datetime64(end.date(), "D")
