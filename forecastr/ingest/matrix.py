"""A year-by-period table: one row per year, one column per month (or quarter); or a
day-by-hour table, one row per day, one column per hour (utilities' ``Date,HE1,...,HE24``).

Statistical offices publish monthly series this way (``Year, Jan, Feb, ..., Dec``, often with
an ``Annual`` column beside them), and read as a wide file it would be twelve yearly series.
:func:`period_columns` recognises the table from its header and its time column (whole years),
and :func:`forecastr.ingest.stack.melt` turns its rows into one monthly (or quarterly) series
per row key: the rows'
years and the columns' months give each value its date. Columns besides the periods (a
yearly total or mean) are left out and named in a note.
"""

from __future__ import annotations

import calendar
import re

import numpy as np
import pandas as pd

from forecastr.errors import shown
from forecastr.ingest.timeparse import reads_as_dates

MONTH_KEYS = tuple(
    frozenset({calendar.month_abbr[m].lower(), calendar.month_name[m].lower()})
    | ({"sept"} if m == 9 else set())
    for m in range(1, 13)
)
QUARTER_RE = re.compile(r"^(?:q|qtr|quarter)[ _]?([1-4])$")
# Hour columns of a day-by-hour table (utilities' Date,HE1,...,HE24; H0 ... H23; Hour 1 ...)
HOUR_RE = re.compile(r"^(?:he|h|hr|hour|hour[ _]?ending|hour[ _]?beginning)[ _]?(\d{1,2})$")
HOURS = 24
YEARS = (1000, 2999)  # what a time column of whole years holds
MATRIX_SERIES = "value"  # the id of a table's one series when no column names its rows


def _key(name: str) -> str:
    return name.strip().lower().rstrip(".")


def period_columns(header: list[str], skip: tuple, sample: pd.DataFrame, time_col: str):
    """The month (or quarter) columns in calendar order, and the columns left out, when the
    header holds all twelve months (or all four quarters) once each and the time column's
    first rows are whole years; None otherwise."""
    rest = [h for h in header if h not in skip]
    months = [[h for h in rest if _key(h) in keys] for keys in MONTH_KEYS]
    quarters = [[h for h in rest if (m := QUARTER_RE.match(_key(h))) and m[1] == str(q)]
                for q in range(1, 5)]  # fmt: skip
    for found in (months, quarters):
        if all(len(f) == 1 for f in found):
            periods = [f[0] for f in found]
            if not _whole_years(sample, time_col):
                return None
            return periods, [h for h in rest if h not in periods]
    hours = hour_columns(rest)
    if hours is None or time_col not in sample or not reads_as_dates(sample[time_col]):
        return None
    return hours, [h for h in rest if h not in hours]


def hour_columns(names: list[str]) -> list[str] | None:
    """The 24 hour columns of a day-by-hour table in time order (hours 0 to 23, or 1 to 24:
    hours ending), each once; None otherwise."""
    by_hour: dict[int, list[str]] = {}
    for name in names:
        m = HOUR_RE.match(_key(name))
        if m is not None:
            by_hour.setdefault(int(m[1]), []).append(name)
    for first in (0, 1):
        want = range(first, first + HOURS)
        if all(len(by_hour.get(h, [])) == 1 for h in want):
            return [by_hour[h][0] for h in want]
    return None


def hour_offsets(names: tuple[str, ...] | list[str]) -> np.ndarray:
    """(24,) each hour column's hours after its row's midnight (hour 24, ending at
    midnight, is the next day's 00:00)."""
    return np.array([int(m[1]) for n in names if (m := HOUR_RE.match(_key(n)))], dtype=np.int64)


def table_note(columns: list[str], left_out: list[str]) -> str:
    """What ``info`` and ``train`` say about a table they read (``columns``: its periods')."""
    periods = len(columns)
    kind = {12: "month", 4: "quarter", HOURS: "hour"}[periods]
    table = "day-by-hour" if periods == HOURS else f"year-by-{kind}"
    note = f"read as a {table} table: each row's {periods} {kind} columns in time order"
    if periods == HOURS and hour_offsets(columns)[-1] == HOURS:
        note += f" (hours ending: {shown(columns[-1])} is 00:00 of the next day)"
    if left_out:
        s = "s" if len(left_out) > 1 else ""
        names = ", ".join(shown(c) for c in left_out[:5])
        note += f"; column{s} {names} left out (not a {kind})"
    return note


def _whole_years(sample: pd.DataFrame, col: str) -> bool:
    if col not in sample:
        return False
    cells = sample[col].astype(str).str.strip()
    nums = pd.to_numeric(cells[cells != ""], errors="coerce")
    return bool(len(nums) and nums.notna().all() and nums.between(*YEARS).all()
                and (nums == nums.round()).all())  # fmt: skip
