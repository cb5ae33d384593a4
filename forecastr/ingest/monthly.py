"""Months stamped on a day of their own: one row per month, dated its last (or first) trading
day, as markets' monthly closes are (``1990-03-30``, March's last Friday; ``1991-03-28``,
before Good Friday).

No calendar grid holds such stamps: month ends, business month ends and month starts each
miss some of them, so the file was refused as irregular, whatever ``--freq`` was given. When
every series holds at most one stamp per calendar month, its months follow one another (nine
steps of ten at least), its stamps fall at midnight and no month end or start fits them all,
each stamp is read as its month: the month's end where the stamps lie in the months' second
halves (the median day 15 or later), else its first day, with a note. Forecasts are then
written at month ends (or starts).
"""

from __future__ import annotations

import numpy as np

from forecastr.ingest.frequency import pandas_infer, within_series_diffs
from forecastr.ingest.repeats import Arrays
from forecastr.ingest.where import Where

MIN_FOLLOWING = 0.9  # share of steps that must be one month
MIN_POINTS = 3


def monthly_rows(y: np.ndarray, ds: np.ndarray, offsets: np.ndarray, where: Where) -> Arrays:
    """``ds`` with each stamp moved to its month's end (or first day) where the file holds a
    row per month on days of their own (module doc), and a note; else unchanged."""
    if ds.dtype.kind != "M" or len(ds) < MIN_POINTS:
        return y, ds, offsets, where, ()
    lengths = np.diff(offsets)
    longest = int(np.argmax(lengths))
    if lengths[longest] < MIN_POINTS:
        return y, ds, offsets, where, ()
    inferred = pandas_infer(ds[offsets[longest] : offsets[longest + 1]][:400])  # sampled
    if inferred is not None and not inferred.startswith(("M", "BM", "SM", "CBM")):
        return y, ds, offsets, where, ()  # another grid (hours, days, weeks) holds them
    days = ds.astype("datetime64[D]")
    if (ds != days.astype(ds.dtype)).any():
        return y, ds, offsets, where, ()  # a time of day: not a monthly stamp
    months = days.astype("datetime64[M]")
    firsts = months.astype(days.dtype)
    ends = (months + 1).astype(days.dtype) - 1
    if (days == firsts).all() or (days == ends).all():
        return y, ds, offsets, where, ()  # a calendar grid holds them
    step = within_series_diffs(months.astype(np.int64), offsets).astype(np.int64)  # sorted
    if step.size == 0 or (step < 1).any() or (step == 1).mean() < MIN_FOLLOWING:
        return y, ds, offsets, where, ()
    late = np.median((days - firsts).astype(np.int64) + 1) >= 15
    moved = (ends if late else firsts).astype(ds.dtype)
    k = int(np.flatnonzero(moved != ds)[0])
    at = "end" if late else "first day"
    note = (
        f"one row per month on days of their own (such as {days[k]!s} at line "
        f"{where.line(k)}): each read as its month, stamped at the month's {at}"
    )
    return y, moved, offsets, where, (note,)
