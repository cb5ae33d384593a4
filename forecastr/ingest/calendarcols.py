"""Columns that repeat a part of each row's timestamp (its year, month, weekday ...).

Why: spreadsheet exports and feature-engineered files often carry helper columns beside a whole
timestamp: ``date,year,month,sales`` or ``timestamp,hour,weekday,load``. Read as values, each
became a series of its own, trained on and forecast (a file of one series gave three: ``year``,
``month`` and ``sales``), and in a long file (``date,store,year,month,sales``) they hid the
value column: ``train`` asked for ``--target``. Such a column is left out, with a note, when its
name says which part of the time it holds (:data:`PART_NAMES`, ignoring case, spaces and
punctuation) and every filled cell of the file's first rows equals that part of its row's
timestamp (weekdays counted from Monday or Sunday, from 0 or 1; months and weekdays also as
names; a ``date`` column the day of an hourly stamp). A column that is named so but holds
anything else stays a series, and ``--target`` still picks any column. A column of times of
day beside dates that do not repeat is left out too (the hour of some event of each day, or
midnight), and so is a column that numbers the rows (``instant``, ``No``: 0 or 1, then one
more on each row). R's row names as text labels (``X3.3.20031``) are left out
where they are the only column that could be the time: the rows are read in order. Torch-free.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from forecastr.errors import shown
from forecastr.ingest import clock
from forecastr.ingest.cells import NULL_VALUES
from forecastr.ingest.timeparse import parse_date_text, reads_as_dates

# normalised column name -> the part of the timestamp such a column holds
PART_NAMES: dict[str, str] = {
    **dict.fromkeys(("year", "yr", "yyyy"), "year"),
    **dict.fromkeys(("quarter", "qtr", "q", "quarterofyear"), "quarter"),
    **dict.fromkeys(("month", "mon", "mnth", "mm", "monthofyear", "monthname"), "month"),
    **dict.fromkeys(("week", "wk", "weekofyear", "isoweek", "weeknum", "weeknumber"), "week"),
    **dict.fromkeys(("day", "dd", "dayofmonth", "dateofmonth", "dom"), "day"),
    **dict.fromkeys(("dayofyear", "doy", "yday"), "dayofyear"),
    **dict.fromkeys(("weekday", "dayofweek", "dow", "wday", "dayname", "weekdayname"), "weekday"),
    **dict.fromkeys(("hour", "hr", "hh", "hourofday"), "hour"),
    **dict.fromkeys(("minute", "minuteofhour"), "minute"),
    **dict.fromkeys(("date", "dt", "calendardate"), "date"),  # the day of a finer stamp
    # the time as a decimal year (NOAA's "decimal date": 1958.2027 for March 1958)
    **dict.fromkeys(("decimaldate", "decimal", "decimalyear", "fractionalyear"), "decimal year"),
}
MIN_ROWS = 2  # filled cells a column needs before it is judged a copy of the time
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _key(name: str) -> str:
    """A column name as the name lists here hold it: lower case, letters only."""
    return re.sub(r"[^a-z]", "", name.lower())


def part_of(name: str) -> str | None:
    """The part of the timestamp a column named ``name`` would hold, or None."""
    return PART_NAMES.get(_key(name))


def calendar_columns(sample: pd.DataFrame, time_col: str, names: list[str]) -> list[str]:
    """The columns of ``names`` that repeat a part of ``time_col``'s timestamps in ``sample``
    (the file's first rows, as text), in ``names``' order; [] when the time is not dates."""
    named = {n: part for n in names if n in sample and n != time_col and (part := part_of(n))}
    if not named or time_col not in sample:
        return []
    text = sample[time_col].astype(str).str.strip()
    stamps = _stamps(text[text != ""])
    if stamps is None:
        return []
    return [n for n, part in named.items() if _repeats(sample[n].loc[stamps.index], stamps, part)]


def beside(
    sample: pd.DataFrame,
    time_col: str,
    header: list[str],
    id_parts: tuple[str, ...],
    parts: tuple[str, ...],
    text: list[str],
    of_day: bool = False,
) -> tuple[list[str], tuple[str, ...]]:
    """The columns of ``header`` besides the time, its ``parts`` and the ``id_parts`` left
    out as helpers of the timestamp (:func:`helpers`), and the notes that say so. ``parts``:
    a date and its time of day or hour (``of_day``), judged joined; or a split timestamp's
    columns: year, month and day (or year and month, or year and quarter) judged as the date
    of each row; beside other splits only a row counter is left out."""
    names = [h for h in header if h != time_col and h not in (*id_parts, *parts)]
    days = _split_days(sample, parts) if parts and not of_day else None
    if days is not None:  # year, month (or quarter) and day columns: judged as their date
        return helpers(sample.assign(**{time_col: days}), time_col, names, text)
    if parts and not of_day:
        counters = row_numbers(sample, names)
        return counters, (counter_note(counters),) if counters else ()
    if parts:
        sample = sample.assign(**{time_col: clock.joined_text(sample, parts)})
    return helpers(sample, time_col, names, text)


def _split_days(sample: pd.DataFrame, parts: tuple[str, ...]) -> pd.Series | None:
    """A timestamp split over year, month and day columns of whole numbers, or year and month,
    or year and quarter, as ISO dates of each period's first day (``1994-01-01``); None for
    other splits, or cells that are not such numbers."""
    kinds = [part_of(p) for p in parts]
    if kinds not in (["year", "month", "day"], ["year", "month"], ["year", "quarter"]):
        return None
    if any(p not in sample for p in parts):
        return None
    cols = [pd.to_numeric(sample[p], errors="coerce") for p in parts]
    if any(c.isna().any() or (c % 1 != 0).any() for c in cols):
        return None
    y, m, *d = (c.astype(int) for c in cols)
    if kinds[1] == "quarter":
        m = 3 * m - 2
    if not m.between(1, 12).all():
        return None
    day = d[0].map("{:02d}".format) if d else "01"
    return y.astype(str).str.zfill(4) + "-" + m.map("{:02d}".format) + "-" + day


def helpers(
    sample: pd.DataFrame, time_col: str, names: list[str], text: list[str]
) -> tuple[list[str], tuple[str, ...]]:
    """The columns of ``names`` left out beside ``time_col``, and the notes that say so: those
    repeating a part of each stamp (:func:`calendar_columns`), and the columns of ``text``
    holding times of day beside dates that do not repeat
    (:func:`forecastr.ingest.clock.beside_days`)."""
    parts = calendar_columns(sample, time_col, names)
    texts = set(text)  # times of day are text (ingest.textcols.text_columns)
    clocks = clock.beside_days(
        time_col, [n for n in names if n in texts and n not in parts], sample
    )
    records = record_times(sample, time_col, [n for n in names if n in texts and n not in clocks])
    counters = row_numbers(sample, [n for n in names if n not in (*parts, *clocks, *records)])
    flags = flag_columns(sample, [n for n in names if n not in (*parts, *counters)])
    notes = ((note(parts),) if parts else ()) + ((clock.note(clocks, time_col),) if clocks else ())
    if records:
        notes += (record_note(records, time_col),)
    if counters:
        notes += (counter_note(counters),)
    if flags:
        notes += (flag_note(flags),)
    return parts + clocks + records + counters + flags, notes


def record_note(columns: list[str], time_col: str) -> str:
    """What :func:`record_times`' columns being left out means, for the user."""
    which = ", ".join(shown(c) for c in columns)
    return (
        f"{'column' if len(columns) == 1 else 'columns'} {which} left out: the time each row "
        f"was recorded on its day of {shown(time_col)} (pass --time-col to read by it)"
    )


# Names of a column that numbers the rows (normalised as part_of does; "#" normalises to "")
COUNTER_NAMES = frozenset(
    ("", "no", "nr", "num", "number", "instant", "index", "idx", "row", "rownum", "rownumber",
     "rowid", "rowname", "rownames", "obs", "observation", "record", "recordno", "sno", "slno",
     "serial", "serialno", "unnamed", "level")
)  # fmt: skip


def row_numbers(sample: pd.DataFrame, names: list[str]) -> list[str]:
    """The columns of ``names`` that number the rows: named so (:data:`COUNTER_NAMES`), and
    whole numbers from 0 or 1, one more on each of the first rows (UCI's ``instant``, the
    Beijing file's ``No``, a saved index). A series that happens to count up stays one."""
    out = []
    for name in names:
        key = _key(name)
        if name not in sample or len(sample) < MIN_ROWS + 1 or key not in COUNTER_NAMES:
            continue
        cells = pd.to_numeric(sample[name].astype(str).str.strip(), errors="coerce")
        steps = np.diff(cells.to_numpy(dtype=float))
        if cells.iloc[0] in (0, 1) and len(steps) and bool((steps == 1).all()):
            out.append(name)
    return out


# The header R's write.csv gives its row names (normalised as above; pandas' "Unnamed: 0")
R_ROW_NAMES = frozenset(("", "rowname", "rownames", "unnamed"))


def row_labels(sample: pd.DataFrame, name: str) -> bool:
    """Whether ``name`` holds R's row names as labels: headed as ``write.csv`` heads them
    (``""``, ``rownames``), a different text on every row, none a number or a date (the
    ``X3.3.20031`` R gives the rows of a series of several seasons). Where it is the only
    column that could be the time, the rows are read in order instead."""
    key = _key(name)
    if key not in R_ROW_NAMES or name not in sample or len(sample) < MIN_ROWS + 1:
        return False
    cells = sample[name].astype(str).str.strip()
    if not cells.is_unique or bool((cells == "").any()):
        return False
    numbers = pd.to_numeric(cells, errors="coerce")
    return bool(numbers.isna().all()) and not reads_as_dates(sample[name])


def row_labels_note(name: str) -> str:
    """What :func:`row_labels`' column being left out means, for the user."""
    return (
        f"column {shown(name)} left out: R's row labels, not times; the rows are read in "
        "order as steps 0, 1, 2 ... (name a time column with --time-col if there is one)"
    )


# What a column flagging each row with 0 or 1 is named for (normalised as part_of does, after
# an "is" or "has" and a kind of holiday): the day's kind, a promotion, a shop being open
FLAG_NAMES = frozenset(
    ("holiday", "holidays", "workday", "workingday", "weekend", "promo", "promotion", "open",
     "closed", "flag", "dummy")
)  # fmt: skip


def flag_columns(sample: pd.DataFrame, names: list[str]) -> list[str]:
    """The columns of ``names`` that flag each row: named so (:data:`FLAG_NAMES`: fpp2's
    ``WorkDay``, the bike-sharing files' ``holiday`` and ``workingday``, Rossmann's ``Promo``)
    and holding only 0 and 1 in the first rows. Forecast beside the series they flag, they
    are no series, and they cost the others: fpp2's half-hourly demand beside its ``WorkDay``
    scored MASE 0.78, alone 0.18."""
    out = []
    for name in names:
        key = re.sub(r"^(is|has)", "", _key(name))
        key = re.sub(r"^(school|state|public|bank|national)(?=holiday)", "", key)
        if name not in sample or key not in FLAG_NAMES:
            continue
        cells = sample[name].astype(str).str.strip()
        cells = pd.to_numeric(cells[~cells.isin(NULL_VALUES)], errors="coerce")
        if len(cells) >= MIN_ROWS and bool(cells.isin((0, 1)).all()):
            out.append(name)
    return out


def flag_note(columns: list[str]) -> str:
    """What :func:`flag_columns`' columns being left out means, for the user."""
    s, they = ("s", "they flag") if len(columns) > 1 else ("", "it flags")
    return (
        f"column{s} {', '.join(shown(c) for c in columns)} left out: {they} each row with 0 or "
        "1, not a series (pass --target to forecast one)"
    )


def counter_note(columns: list[str]) -> str:
    """What :func:`row_numbers`' columns being left out means, for the user."""
    s, they = ("s", "they number") if len(columns) > 1 else ("", "it numbers")
    return (
        f"column{s} {', '.join(shown(c) for c in columns)} left out: {they} the rows (pass "
        "--target to forecast one)"
    )


def holds_days_of(days: pd.Series, stamps: pd.Series) -> bool:
    """Whether the text cells ``days`` are the calendar days of the text cells ``stamps``,
    row by row (a ``date`` column beside an hourly ``ts``), and the stamps are finer."""
    parsed = _stamps(stamps.astype(str).str.strip())
    if parsed is None or not parsed.is_unique:
        return False
    return _repeats(days, parsed, "date") and not _repeats(stamps, parsed, "date")


def record_day(named: str, rest: list[str], sample: pd.DataFrame) -> str | None:
    """The first column of ``rest`` holding the calendar days of ``named``'s stamps, row by
    row, one stamp to each day, where those stamps fall at times of day that differ from day
    to day: the times each day's rows were recorded (FiveThirtyEight's ``timestamp``,
    ``13:36:03 28 Jun 2020``, beside ``modeldate``, ``06/28/2020``). Those days are the
    file's time (read by the record times, the file was refused as irregular); None
    otherwise."""
    stamps = _stamps(sample[named].astype(str).str.strip()) if named in sample else None
    if stamps is None:
        return None
    days = stamps.dt.normalize()
    if stamps.nunique() != days.nunique() or (stamps - days).nunique() < 2:
        return None  # several stamps a day (finer times), or one time of day: a grid
    return next((h for h in rest if h != named and _same_days(sample, h, days)), None)


def _same_days(sample: pd.DataFrame, col: str, days: pd.Series) -> bool:
    """Whether ``col``'s cells are dates at midnight equal to ``days``, row by row."""
    own = _stamps(sample[col].astype(str).str.strip()) if col in sample else None
    if own is None or not (own == own.dt.normalize()).all():  # the same rows as ``days``'s
        return False
    return bool((own.to_numpy() == days.to_numpy()).all())


def record_times(sample: pd.DataFrame, time_col: str, names: list[str]) -> list[str]:
    """The columns of ``names`` whose stamps are the times each row was recorded on its
    row's day of ``time_col`` (:func:`record_day` in reverse): left out beside the days."""
    return [n for n in names if record_day(n, [time_col], sample) == time_col]


def _stamps(text: pd.Series) -> pd.Series | None:
    """Text cells parsed as timestamps (naive), or None when one is empty or unreadable."""
    if (text == "").any():
        return None
    stamps, _ = parse_date_text(text)
    if stamps.empty or stamps.isna().any():
        return None
    return pd.Series(pd.DatetimeIndex(stamps).tz_localize(None), index=stamps.index)


def note(columns: list[str]) -> str:
    """What :func:`calendar_columns`' columns being left out means, for the user."""
    parts = ", ".join(f"{shown(c)} ({part_of(c)})" for c in columns)
    which = "it repeats a part" if len(columns) == 1 else "they repeat parts"
    return (
        f"{'column' if len(columns) == 1 else 'columns'} {parts} left out: {which} of each "
        "row's time, not a series (pass --target to forecast one)"
    )


def _repeats(cells: pd.Series, stamps: pd.Series, part: str) -> bool:
    """Whether every filled cell equals ``part`` of its row's stamp (numbers, or names for
    months and weekdays)."""
    text = cells.astype(str).str.strip()
    filled = text != ""
    if int(filled.sum()) < MIN_ROWS:
        return False
    text, stamps = text[filled], stamps[filled]
    if part == "date":  # the day of each stamp, as a date
        days, _ = parse_date_text(text)
        if days.isna().any():
            return False
        days = pd.DatetimeIndex(days).tz_localize(None)
        return bool((days == pd.DatetimeIndex(stamps).normalize()).all())
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all() and part == "decimal year":  # at the period's start or middle
        dt = stamps.dt
        start = dt.year + (dt.day_of_year - 1) / (365 + dt.is_leap_year.astype(int))
        gap = numbers.to_numpy(dtype=np.float64) - start.to_numpy(dtype=np.float64)
        return bool(((gap > -1e-6) & (gap < 1 / 12)).all())
    if numbers.notna().all():
        values = numbers.to_numpy(dtype=np.float64)
        return any(np.array_equal(values, c) for c in _candidates(stamps, part))
    if part in ("month", "weekday"):
        words = _MONTHS if part == "month" else _DAYS
        index = stamps.dt.month - 1 if part == "month" else stamps.dt.day_of_week
        expected = np.array(words)[index.to_numpy()]
        return bool((text.str.lower().str[:3].to_numpy() == expected).all())
    return False


def _candidates(stamps: pd.Series, part: str) -> list[np.ndarray]:
    """The numbers a column holding ``part`` of ``stamps`` may show (weekdays: four ways)."""
    dt = stamps.dt
    if part == "weekday":
        monday0 = dt.day_of_week.to_numpy(dtype=np.float64)
        sunday0 = (monday0 + 1) % 7
        return [monday0, monday0 + 1, sunday0, sunday0 + 1]
    if part == "week":
        return [dt.isocalendar().week.to_numpy(dtype=np.float64)]
    value = {
        "year": dt.year,
        "quarter": dt.quarter,
        "month": dt.month,
        "day": dt.day,
        "dayofyear": dt.day_of_year,
        "hour": dt.hour,
        "minute": dt.minute,
    }[part]
    return [value.to_numpy(dtype=np.float64)]
