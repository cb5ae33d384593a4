"""Dates spreadsheets and other tools write in ways pandas does not read as intended.

* **A month's name and a two-digit year** (``Jan-15``, ``Jan 15``, ``Jan15``, ``January-15``,
  ``Jan'15``): Excel's ``mmm-yy``, exported as the text it shows. pandas read ``Jan-15`` as
  the year 15.
* **A month's number and a two-digit year** (``01/15``: Excel's ``mm/yy``).
* **Quarters written quarter first** (``Q1 2015``, ``Q1-2015``, ``Q1/15``).
* **Financial years** (``1990-91``, ``1990/91``, ``1990-1991``: the year each starts in) and
  ``FY2015`` (``FY15``): the year named. ``2001-02`` ... ``2010-11`` are financial years, not
  months, when every cell's second year follows its first.
* **Months as six-digit integers** (``201501``: YYYYMM), which a reader types as numbers; an
  integer step index they are not (``201512`` is followed by ``201601``).
* **Excel's day numbers** (``43831``: 2020-01-01), what a spreadsheet exports from a date
  column left in the General format; read so only in a column named like a date, with whole
  numbers of 20000 to 73050 (1954 to 2099).
* **Unix time** (``1577836800``: 2020-01-01 00:00 UTC; milliseconds too), what logs, meters
  and exchanges' APIs export; read so only in a column named like a time, with values from
  2000 to 2100.
* **Decimal years** (``1949.0833``: February 1949), what R's ``time()`` of a monthly or
  quarterly ``ts`` writes: the year plus the month's (quarter's) fraction of it.
* **Months of counted years** (``1-01`` ... ``3-12``: year 1 of the data, January), how the
  Time Series Data Library's exports (shampoo and writing-paper sales, and the tutorials'
  copies of them) number months with no calendar year. pandas read ``1-01`` as 1 January of
  the year 1, and ``13-01`` not at all. Year ``n`` is held as the calendar year
  ``spelling.COUNTED_BASE + n`` (its months and season are a calendar's), and forecasts are
  written counted again (``4-01``). Only with no leading zero, months ``01`` to ``12``, a
  count that starts at 31 or below (``95-01`` stays January 1995) and ends by
  :data:`COUNTED_MAX`.

And a column listing a series' years, then its quarters, then its months (``1989``,
``1989 Q1``, ``1989 JAN``: the UK's ONS publishes a series so) is read at its finest periods
(:func:`finest_periods`).

A two-digit year is put in this century unless that lies more than a year ahead of today,
then in the last one: a file's history is not in the future (``Jan-49`` is January 1949,
``Jan-15`` January 2015). Every reading returns a note that says what was decided.
"""

from __future__ import annotations

import calendar
import re

import numpy as np
import pandas as pd

from forecastr.errors import shown
from forecastr.ingest.spelling import COUNTED_BASE, MAX_CYCLE

# Month names (English), full and abbreviated, and "Sept": their numbers.
MONTH_NUMBERS: dict[str, int] = {
    **{calendar.month_name[m].lower(): m for m in range(1, 13)},
    **{calendar.month_abbr[m].lower(): m for m in range(1, 13)},
    "sept": 9,
}
NAMED_MONTH_YY = re.compile(r"([A-Za-z]{3,9})\.?[- /']?(\d{2})")
NUMBERED_MONTH_YY = re.compile(r"(0?[1-9]|1[0-2])/(\d{2})")  # "/" only: 1-01 is no such month
QUARTER_FIRST = re.compile(r"Q([1-4])[- /']?(\d{4}|\d{2})", re.IGNORECASE)
FINANCIAL_YEAR = re.compile(r"(\d{4})[-/](\d{4}|\d{2})")
NAMED_YEAR = re.compile(r"FY ?(\d{4}|\d{2})", re.IGNORECASE)
COUNTED_MONTH = re.compile(r"([1-9]\d{0,2})-(0[1-9]|1[0-2])")  # 1-01: year 1, January
COUNTED_MAX = 250  # the last counted year held: COUNTED_BASE + 250 and a forecast fit pandas
_COUNTED_FIRST = 31  # a count starts at or below this (95-01 .. 99-12 are two-digit years)
# Six-digit YYYYMM integers: years this close to today only, so a counter is never a month.
_YYYYMM_YEARS = (1800, 2199)
# A decimal year's fraction is a whole number of months (quarters) within this much.
_FRACTION_TOLERANCE = 1e-3


def _starts(text: pd.Series, *patterns: re.Pattern) -> bool:
    """Whether the first cell matches one of ``patterns`` whole (every cell must, so a column
    whose first cell does not is settled without a pass over the others)."""
    return bool(len(text)) and any(p.fullmatch(str(text.iloc[0])) for p in patterns)


def full_years(two_digit: np.ndarray, this_year: int | None = None) -> np.ndarray:
    """Two-digit years as four: in this century unless that is more than a year ahead of
    ``this_year`` (today's), then in the last."""
    now = pd.Timestamp.now().year if this_year is None else this_year
    years = 2000 + np.asarray(two_digit, dtype=np.int64)
    return np.where(years > now + 1, years - 100, years)


def _first_of_month(years: np.ndarray, months: np.ndarray) -> pd.Series:
    """The first day of each (year, month), as datetime64 (NaT never: both are valid)."""
    stamps = (np.asarray(years) - 1970) * 12 + (np.asarray(months) - 1)
    return pd.Series(stamps.astype("datetime64[M]").astype("datetime64[ns]"))


def named_months(text: pd.Series) -> tuple[pd.Series, str] | None:
    """``Jan-15``-like cells (every one a month's name, or ``01/15``-like ones a month's
    number, and a two-digit year) as dates, with a note; None when they are not all such."""
    if not _starts(text, NAMED_MONTH_YY, NUMBERED_MONTH_YY):
        return None  # the first cell decides most columns: no pass over the others
    if text.str.fullmatch(NAMED_MONTH_YY.pattern).all():
        parts = text.str.extract(NAMED_MONTH_YY.pattern)
        months = parts[0].str.lower().map(MONTH_NUMBERS)
    elif text.str.fullmatch(NUMBERED_MONTH_YY.pattern).all():
        parts = text.str.extract(NUMBERED_MONTH_YY.pattern)
        months = parts[0].astype(int)
    else:
        return None
    if months.isna().any():  # a code such as "SKU15": no month's name
        return None
    years = full_years(parts[1].astype(int).to_numpy())
    dates = _first_of_month(years, months.astype(int).to_numpy())
    dates.index = text.index
    return dates, _two_digit_note(text, years)


def counted_years(text: pd.Series) -> tuple[pd.Series, str] | None:
    """``1-01``-like cells (months of counted years, no calendar year) as the first day of
    each month of the years ``COUNTED_BASE + n``, with a note; None when they are not all
    such, or the count does not start by 31 or runs past :data:`COUNTED_MAX`."""
    if not _starts(text, COUNTED_MONTH) or not text.str.fullmatch(COUNTED_MONTH.pattern).all():
        return None
    parts = text.str.extract(COUNTED_MONTH.pattern)
    years, months = parts[0].astype(int).to_numpy(), parts[1].astype(int).to_numpy()
    if years.min() > _COUNTED_FIRST or years.max() > COUNTED_MAX:
        return None
    dates = _first_of_month(COUNTED_BASE + years, months)
    dates.index = text.index
    first = int(np.argmin(years * 12 + months))
    note = (
        f"months written like {shown(text.iloc[first])} read as month {months[first]} of year "
        f"{years[first]} of a count of years (no calendar year): a monthly series, whose "
        "forecasts are written the same way"
    )
    return dates, note


def quarters_first(text: pd.Series) -> tuple[pd.Series, str | None] | None:
    """``Q1 2015``-like cells as the first day of each quarter (a note when years have two
    digits); None when they are not all such cells."""
    if (
        not _starts(text, QUARTER_FIRST)
        or not text.str.fullmatch(QUARTER_FIRST.pattern, case=False).all()
    ):
        return None
    parts = text.str.extract(QUARTER_FIRST.pattern, flags=re.IGNORECASE)
    years = parts[1].astype(int).to_numpy()
    short = parts[1].str.len().to_numpy() == 2
    years = np.where(short, full_years(years), years)
    dates = _first_of_month(years, (parts[0].astype(int).to_numpy() - 1) * 3 + 1)
    dates.index = text.index
    return dates, (_two_digit_note(text, years) if short.any() else None)


def financial_years(text: pd.Series) -> tuple[pd.Series, str] | None:
    """``1990-91``-like cells (distinct, at least two; each second year the one after its
    first) as the first day of the year each starts in, with a note; None otherwise."""
    if len(text) < 2 or not _starts(text, FINANCIAL_YEAR):
        return None
    if not text.str.fullmatch(FINANCIAL_YEAR.pattern).all():
        return None
    parts = text.str.extract(FINANCIAL_YEAR.pattern)
    first, second = parts[0].astype(int).to_numpy(), parts[1].astype(int).to_numpy()
    short = parts[1].str.len().to_numpy() == 2
    if not np.all(np.where(short, (first + 1) % 100, first + 1) == second):
        return None
    dates = _first_of_month(first, np.ones_like(first))
    dates.index = text.index
    return dates, (
        f"financial years (like {shown(text.iloc[0])}) read as the years they start in, "
        f"{first.min()} to {first.max()}"
    )


def named_years(text: pd.Series) -> tuple[pd.Series, str] | None:
    """``FY2015``-like cells as the first day of the year named, with a note; None
    otherwise."""
    if (
        not _starts(text, NAMED_YEAR)
        or not text.str.fullmatch(NAMED_YEAR.pattern, case=False).all()
    ):
        return None
    digits = text.str.extract(NAMED_YEAR.pattern, flags=re.IGNORECASE)[0]
    years = digits.astype(int).to_numpy()
    years = np.where(digits.str.len().to_numpy() == 2, full_years(years), years)
    dates = _first_of_month(years, np.ones_like(years))
    dates.index = text.index
    return dates, f"years written like {shown(text.iloc[0])} read as the years they name"


def _two_digit_note(text: pd.Series, years: np.ndarray) -> str:
    return (
        f"two-digit years (like {shown(text.iloc[0])}) read as {years.min()} to {years.max()}; "
        "write four-digit years to be sure"
    )


def yyyymm(arr: np.ndarray) -> tuple[np.ndarray, str] | None:
    """Six-digit integers that are all months written YYYYMM (201501), as datetime64 with a
    note; None otherwise."""
    if len(arr) == 0:
        return None
    years, months = arr // 100, arr % 100
    low, high = _YYYYMM_YEARS
    if years.min() < low or years.max() > high or months.min() < 1 or months.max() > 12:
        return None
    uniq, inv = np.unique(arr, return_inverse=True)
    stamps = _first_of_month(uniq // 100, uniq % 100).to_numpy()[inv.reshape(-1)]
    return stamps, f"six-digit numbers (like {arr[0]}) read as months written YYYYMM"


def decimal_years(arr: np.ndarray) -> tuple[np.ndarray, str] | None:
    """Decimal years whose fractions are whole quarters or months (R's ``time()``: 1949.0833
    is February 1949), as datetime64 with a note; None otherwise (whole numbers too: those
    are steps)."""
    if len(arr) == 0 or not np.isfinite(arr).all():
        return None
    years = np.floor(arr + _FRACTION_TOLERANCE / 12)
    if years.min() < _YYYYMM_YEARS[0] or years.max() > _YYYYMM_YEARS[1]:
        return None
    fraction = np.clip(arr - years, 0.0, None)
    tiny = _FRACTION_TOLERANCE / 12
    if not (fraction > tiny).any():
        return None
    for per_year, unit in ((4, "quarters"), (12, "months")):
        k = fraction * per_year
        steps = np.round(k)
        if np.all(np.abs(k - steps) < _FRACTION_TOLERANCE * per_year / 12):
            months = steps.astype(np.int64) * (12 // per_year) + 1
            stamps = _first_of_month(years.astype(np.int64), months).to_numpy()
            example = arr[np.argmax(fraction > tiny)]
            note = (
                f"decimal years (like {example:.6g}) read as {unit}: the year plus the "
                "fraction of it gone by, as R's time() writes them"
            )
            return stamps, note
    return None


# R's ts() times of other frequencies (``1.42857142857143``: cycle 1 plus 3 of 7 steps): the
# distinct values the frequency is first found on.
_CYCLE_SAMPLE = 2000


def _smallest_gap(arr: np.ndarray) -> float | None:
    """The smallest gap between the distinct values among the first :data:`_CYCLE_SAMPLE`
    (the step of a grid of R's times); None for fewer than two values or any not finite."""
    if len(arr) < 2 or not np.isfinite(arr).all():
        return None
    gaps = np.diff(np.unique(arr[:_CYCLE_SAMPLE]))
    return float(gaps.min()) if len(gaps) else None


def ts_cycles(arr: np.ndarray) -> tuple[np.ndarray, int, str] | None:
    """Fractional numbers on a grid of 1/f for a whole f from 2 (R's ``time()`` of a ts of
    frequency f: a cycle number plus the steps of it gone by, ``1.42857142857143`` for step 3
    of 7), with no step missing and every step of a cycle present, as int64 steps
    ``round(arr * f)`` with f and a note; None otherwise (``2000.1`` to ``2000.4``, a year and
    its quarters, covers 4 steps of 10; a rounded measurement leaves gaps)."""
    gap = _smallest_gap(arr)
    if gap is None:
        return None
    f = int(np.round(1.0 / gap))
    if not 2 <= f <= MAX_CYCLE or abs(1.0 / gap - f) > 1e-3 * f:
        return None
    scaled = arr * f
    steps = np.round(scaled)
    if np.abs(scaled - steps).max() > _FRACTION_TOLERANCE or np.abs(steps).max() > 2.0**62:
        return None
    distinct = np.unique(steps)  # R's times leave no gap and cover every step of a cycle
    if np.diff(distinct).max() != 1 or len(np.unique(distinct % f)) < f:
        return None
    first = arr[np.argmax(arr != np.round(arr))]
    note = (
        f"fractional times (like {first:.6g}) read as steps of 1/{f}: a cycle number plus the "
        f"steps of it gone by, as R's time() writes a series of frequency {f}; forecasts are "
        "written the same way"
    )
    return steps.astype(np.int64), f, note


JULIAN_YEAR_DAYS = 365.25  # R's ts() of frequency 365.25 (days) or 365.25 / 7 (weeks)


def julian_years(arr: np.ndarray) -> tuple[np.ndarray, str] | None:
    """Decimal years on a grid of whole days of a year of 365.25 days (R's ``time()`` of a
    ts of frequency 365.25 / 7 = 52.18, weekly, or 365.25, daily, which :func:`ts_cycles`
    cannot take: the frequency is not whole) as datetime64 days, with a note; None otherwise.
    The first time is the day ``(t - 1970) * 365.25`` days after 1970-01-01, rounded, and
    the others follow it by whole steps, so the grid stays exact."""
    gap = _smallest_gap(arr)
    if gap is None or arr.min() < _YYYYMM_YEARS[0] or arr.max() > _YYYYMM_YEARS[1]:
        return None
    step = gap * JULIAN_YEAR_DAYS  # days
    k = round(step)
    if not 1 <= k <= 31 or abs(step - k) > 1e-3:
        return None
    start = arr.min()
    offsets = (arr - start) * JULIAN_YEAR_DAYS / k  # whole steps of k days
    steps = np.round(offsets)
    if np.abs(offsets - steps).max() > 1e-2:
        return None
    first = np.datetime64("1970-01-01") + np.timedelta64(
        round((start - 1970.0) * JULIAN_YEAR_DAYS), "D"
    )
    days = first + (steps.astype(np.int64) * k).astype("timedelta64[D]")
    unit = "weeks" if k == 7 else "days" if k == 1 else f"steps of {k} days"
    note = (
        f"decimal years (like {start:.6g}) read as {unit} of a year of 365.25 days, as R's "
        f"time() writes a series of frequency {JULIAN_YEAR_DAYS / k:.6g}; forecasts are "
        "written as dates"
    )
    return days.astype("datetime64[ns]"), note


# Periods a statistical office may list in one column, coarsest first: the years, then the
# quarters, then the months of one series (the UK's ONS writes 1989, 1989 Q1, 1989 JAN).
_YEAR_ONLY = re.compile(r"\d{4}")
_QUARTER_ANY = re.compile(r"\d{4}\s*-?\s*Q[1-4]|Q[1-4]\s*-?\s*\d{4}", re.IGNORECASE)
_MONTH_ANY = re.compile(
    r"\d{4}\s*(?:M\d{1,2}|-\d{2}|[A-Za-z]{3,9})|[A-Za-z]{3,9}\s*-?\s*\d{4}", re.IGNORECASE
)
PERIOD_KINDS = (("yearly", _YEAR_ONLY), ("quarterly", _QUARTER_ANY), ("monthly", _MONTH_ANY))


def finest_periods(text: pd.Series) -> tuple[np.ndarray, str] | None:
    """For distinct time cells that mix years, quarters and months (each cell one of them,
    and at least two kinds present): which to keep (the finest kind) and a note; None for
    anything else."""
    if not _starts(text, *(pattern for _, pattern in PERIOD_KINDS)):
        return None
    kinds = np.full(len(text), -1)
    for k, (_, pattern) in enumerate(PERIOD_KINDS):
        hit = text.str.fullmatch(pattern.pattern, case=False).to_numpy(dtype=bool)
        kinds[hit & (kinds < 0)] = k
    if (kinds < 0).any() or len(set(kinds.tolist())) < 2:
        return None
    finest = int(kinds.max())
    left = " and ".join(
        f"{int((kinds == k).sum())} {PERIOD_KINDS[k][0]}"
        for k in range(finest)
        if (kinds == k).any()
    )
    note = (
        f"the time column lists {PERIOD_KINDS[finest][0]} periods after coarser ones (as "
        f"statistical offices publish a series): the {PERIOD_KINDS[finest][0]} rows are read, "
        f"the {left} rows left out"
    )
    return kinds == finest, note


# Excel's day numbers: day 1 is 1900-01-01, counted as if 1900 were a leap year, so serials
# from 61 on are days since 1899-12-30. Read so only in a column named like a date.
_EXCEL_EPOCH = np.datetime64("1899-12-30")
_EXCEL_RANGE = (20_000, 73_050)  # 1954-10-03 to 2099-12-31
_DATE_NAME = re.compile(r".*(?:date|datum|fecha|day).*|ds", re.IGNORECASE)


def excel_days(arr: np.ndarray, name: str) -> tuple[np.ndarray, str] | None:
    """Whole numbers in a column named like a date that are all Excel day numbers, as
    datetime64 with a note; None otherwise."""
    low, high = _EXCEL_RANGE
    if len(arr) == 0 or not _DATE_NAME.fullmatch(name) or arr.min() < low or arr.max() > high:
        return None
    stamps = _EXCEL_EPOCH + arr.astype("timedelta64[D]")
    first = pd.Timestamp(stamps[0]).date()
    note = (
        f"whole numbers in {shown(name)} read as Excel's day numbers ({arr[0]} is {first}); "
        "export dates as dates (YYYY-MM-DD) to be sure"
    )
    return stamps.astype("datetime64[ns]"), note


# Unix time: seconds (or milliseconds) since 1970-01-01 UTC. Read so only in a column named
# like a time, and only for values from 2000-01-01 to 2100-01-01 in either unit.
_UNIX_SECONDS = (946_684_800, 4_102_444_800)
_TIME_NAME = re.compile(r".*(?:time|date|stamp|epoch|unix).*|ts|ds|t", re.IGNORECASE)


def unix_times(arr: np.ndarray, name: str) -> tuple[np.ndarray, str] | None:
    """Whole numbers in a column named like a time that are all Unix times in seconds or
    milliseconds (2000 to 2100), as datetime64 (UTC, naive) with a note; None otherwise."""
    if len(arr) == 0 or not _TIME_NAME.fullmatch(name):
        return None
    low, high = _UNIX_SECONDS
    for unit, scale in (("s", 1), ("ms", 1000)):
        if arr.min() >= low * scale and arr.max() <= high * scale:
            stamps = arr.astype(f"datetime64[{unit}]").astype("datetime64[ns]")
            what = "seconds" if unit == "s" else "milliseconds"
            note = (
                f"whole numbers in {shown(name)} read as Unix time, {what} since 1970 UTC "
                f"({arr[0]} is {pd.Timestamp(stamps[0])}); forecasts are written the same way"
            )
            return stamps, note
    return None
