"""A timestamp split into a date column and a time-of-day column (``Date;Time``).

Logs from meters and sensors often write the day and the time of day apart: the UCI household
power file has ``16/12/2006;17:24:00``, and grid operators' files the hour of the day as a
number (Ontario's IESO: ``Date,Hour,Market Demand`` with hours 1 to 24, each the hour ending
then: hour 24 is 00:00 of the next day, as a time of ``24:00`` is). :func:`pair` finds such a
time-of-day column beside the file's date column, :func:`is_pair` checks one the user named
(``--time-col Date+Time``), and :func:`add_clock` adds each row's time of day to its parsed
date. The joined column is known, like any split timestamp
(:mod:`~forecastr.ingest.timeparts`), by the two names joined with ``+``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from forecastr.errors import InputError, shown
from forecastr.ingest import periods
from forecastr.ingest.timeparse import reads_as_dates
from forecastr.ingest.where import Where

# 17:24, 17:24:00, 17:24:00.250, 5:24 PM, 5:24:00 p.m.
CLOCK = re.compile(r"(\d{1,2}):([0-5]\d)(?::([0-5]\d(?:\.\d+)?))?\s*(?:([AaPp])\.?[Mm]\.?)?")
# 18.00.00: hours, minutes and seconds after dots, as Italian and German exports write them
# (UCI's air-quality file); never two parts, which would read 12.30 as half past twelve
DOTTED = re.compile(r"(\d{1,2})\.([0-5]\d)\.([0-5]\d)()")
SAMPLE_ROWS = 200  # the rows judged, as the layout judged the file's first rows
NS = {"hour": 3_600_000_000_000, "minute": 60_000_000_000, "second": 1_000_000_000}


# A column of the hour of each row's date, as whole numbers: ``Date,Hour,Demand`` with hours
# 1 to 24 (Ontario's IESO, CAISO's OPR_HR: hours ending) or 0 to 23
HOUR_NAMES = re.compile(
    r"(?:hour|hr|he|opr[ _]?hr|hour[ _-]?(?:ending|beginning|of[ _-]?day))", re.IGNORECASE
)
HOUR_NUMBER = re.compile(r"(?:[01]?\d|2[0-4])")


def hour_numbers(name: str, cells: pd.Series) -> bool:
    """Whether a column named like an hour (:data:`HOUR_NAMES`) holds whole hours of the day,
    0 to 24, in its first rows: two or more filled, most of them hours (as
    :func:`looks_like_clock`: a stray bad cell is named by :func:`add_clock`)."""
    text = _filled(cells)
    return (
        HOUR_NAMES.fullmatch(name.strip()) is not None
        and len(text) >= 2
        and bool(text.str.fullmatch(HOUR_NUMBER.pattern).mean() > 0.5)
    )


def looks_like_clock(cells: pd.Series) -> bool:
    """Whether a column's first rows are times of day: two or more filled, most of them clocks
    (a stray bad cell is named by :func:`add_clock`)."""
    text = _filled(cells)
    return len(text) >= 2 and bool(text.map(_clock_ns).notna().mean() > 0.5)


def is_pair(parts: tuple[str, ...], sample: pd.DataFrame) -> bool:
    """Whether ``parts`` name a date column and a time-of-day column, in that order (what
    ``--time-col Date+Time`` names; ``sample``: the first rows, as text or as read)."""
    if len(parts) != 2 or any(p not in sample for p in parts):
        return False
    times = sample[parts[1]]
    of_day = (
        looks_like_clock(times)
        or hour_numbers(parts[1], times)
        or periods.period_numbers(parts[1], times)
    )
    return of_day and not looks_like_clock(sample[parts[0]])


def pair(time_col: str, header: list[str], sample: pd.DataFrame, skip: tuple) -> tuple[str, ...]:
    """``(time_col, clock)`` when another column holds the times of day of ``time_col``'s
    dates, else (). The dates (without a time of day) must repeat in the first rows and the
    times tell those rows apart: a daily file with an hour of some event beside each date keeps
    its dates."""
    days = _filled(sample[time_col]) if time_col in sample else pd.Series([], dtype=str)
    if days.is_unique or days.str.contains(":").any() or not reads_as_dates(days):
        return ()
    for col in header:
        if col in (time_col, *skip) or col not in sample:
            continue
        if is_pair((time_col, col), sample):
            stamps = sample[time_col].astype(str) + " " + sample[col].astype(str)
            if stamps.nunique() > days.nunique():
                return (time_col, col)
    return ()


def joined_text(sample: pd.DataFrame, parts: tuple[str, ...]) -> pd.Series:
    """The first rows' date and time of day (or hour) as one stamp of text each, for checks
    that read the sample (its helper columns); empty where the time is neither."""
    days = sample[parts[0]].astype(str).str.strip()
    cells = sample[parts[1]].astype(str).str.strip()
    cells = cells.where(~cells.str.fullmatch(DOTTED.pattern), cells.str.replace(".", ":"))
    hours = cells.where(cells.str.fullmatch(HOUR_NUMBER.pattern)).str.zfill(2) + ":00"
    of_day = cells.where(cells.str.fullmatch(CLOCK.pattern), hours)
    return (days + " " + of_day).fillna("")


def beside_days(time_col: str, names: list[str], sample: pd.DataFrame) -> list[str]:
    """The columns of ``names`` (columns of text: a wide file's thousands of columns of numbers
    are never read cell by cell here) that hold times of day beside ``time_col``'s dates when
    :func:`pair` joined none (the dates do not repeat: a daily file's hour of some event, or
    midnight): neither a series nor a series id, so they are left out."""
    if time_col not in sample:
        return []
    clocks = [n for n in names if n != time_col and n in sample and looks_like_clock(sample[n])]
    return clocks if clocks and reads_as_dates(_filled(sample[time_col])) else []


def note(columns: list[str], time_col: str) -> str:
    """What :func:`beside_days`' columns being left out means, for the user."""
    which = "it holds" if len(columns) == 1 else "they hold"
    return (
        f"{'column' if len(columns) == 1 else 'columns'} "
        f"{', '.join(shown(c) for c in columns)} left out: {which} times of day beside "
        f"dates in {shown(time_col)} that do not repeat (to join them: --time-col "
        f"{shown(time_col + '+' + columns[0], quote=False)})"
    )


def add_clock(
    ds: np.ndarray, clock: pd.Series, parts: tuple[str, ...], where: Where
) -> tuple[np.ndarray, list[str]]:
    """Each row's date (``ds``, parsed from ``parts[0]``) plus its time of day (``clock``,
    the cells of ``parts[1]``), and a note where a time closes its day (hour 24, ``24:00``);
    refuses an empty or unreadable time, or dates that already carry one, naming the line."""
    date_col, clock_col = parts
    if ds.dtype.kind != "M":
        raise InputError(
            f"{where.file}: column {shown(date_col)} holds steps, not dates, so the times of day "
            f"in {shown(clock_col)} cannot be added to it; name the time with --time-col"
        )
    days = ds.astype("datetime64[D]")
    if (ds != days).any():
        k = int(np.flatnonzero(ds != days)[0])
        raise InputError(
            f"{where.file}: line {where.line(k)}: column {shown(date_col)} already holds a time "
            f"of day; name it alone with --time-col {shown(date_col, quote=False)}"
        )
    if periods.period_numbers(clock_col, clock.head(SAMPLE_ROWS)):  # settlement periods 1-48
        return periods.add_periods(days, clock, parts, where)
    codes, uniques = pd.factorize(clock.astype(object).where(clock.notna(), ""), sort=False)
    hours = HOUR_NAMES.fullmatch(clock_col.strip()) is not None  # 1 to 24: whole hours
    offsets = np.array([_clock_ns(str(u).strip(), hours) for u in uniques], dtype=float)
    per_row = offsets[codes] if len(uniques) else np.zeros(len(ds))
    bad = np.isnan(per_row)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        cell = str(uniques[codes[k]]).strip()
        form = "an hour, 0 to 24" if hours else "hh:mm or hh:mm:ss"
        what = f"{shown(cell)} is not a time of day ({form})" if cell else "is empty"
        raise InputError(
            f"{where.file}: line {where.line(k)}: column {shown(clock_col)} {what}; every row "
            f"needs the time of day of its date in {shown(date_col)}"
        )
    stamps = ds.astype("datetime64[ns]") + per_row.astype(np.int64).astype("timedelta64[ns]")
    if not (offsets == 24 * NS["hour"]).any():
        return stamps, []
    return stamps, [
        f"times of day in {shown(clock_col)} run to {'24' if hours else '24:00'}, the end of "
        "the day (hours ending): each is stamped at its end, the last at 00:00 of the next day"
    ]


def _filled(cells: pd.Series) -> pd.Series:
    """The non-empty cells of a column, as stripped text."""
    text = cells.dropna().astype(str).str.strip()
    return text[text != ""]


def _clock_ns(text: str, hours: bool = False) -> float:
    """Nanoseconds since midnight of one time-of-day cell (:data:`CLOCK`, :data:`DOTTED`); NaN
    when it is not one. ``hours``: a whole number of hours is one too (a column named like an
    hour)."""
    if hours and HOUR_NUMBER.fullmatch(text):
        return float(int(text) * NS["hour"])  # hour 24 (ending at midnight) closes the day
    m = CLOCK.fullmatch(text) or DOTTED.fullmatch(text)
    if m is None:
        return float("nan")
    hour, minute = int(m.group(1)), int(m.group(2))
    second = float(m.group(3) or 0)
    if m.group(4):  # 12-hour clock: 12 AM is midnight, 12 PM noon
        if not 1 <= hour <= 12:
            return float("nan")
        hour = hour % 12 + (12 if m.group(4) in "Pp" else 0)
    if hour > 24 or (hour == 24 and (minute or second)):  # 24:00 closes a day
        return float("nan")
    return float(hour * NS["hour"] + minute * NS["minute"] + round(second * NS["second"]))
