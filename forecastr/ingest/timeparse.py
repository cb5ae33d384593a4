"""Parsing the time column: dates of many formats, or an integer step index, to one array.

:func:`parse_time` reads ISO 8601 (weeks too), day/month or month/day, quarters, months
written ``2024M01`` or ``01.2024``, ``20240131`` integers, zone-aware stamps (as naive UTC)
and whole-number steps; and the spellings of :mod:`forecastr.ingest.datespell` (``Jan-24``,
``Q1 2024``, ``2023-24``, ``FY24``, ``202401``, R's decimal years). Dates like ``01/02/2020``
are ambiguous: the order that makes every field valid wins; if both are valid, the order that
gives the more regular series, then month/day for ``/`` and day/month for ``.``; the choice
is returned as a note for the user.
"""

from __future__ import annotations

import re
import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd

from forecastr.errors import InputError, shown
from forecastr.ingest.datespell import (
    counted_years,
    decimal_years,
    excel_days,
    financial_years,
    julian_years,
    named_months,
    named_years,
    quarters_first,
    ts_cycles,
    unix_times,
    yyyymm,
)
from forecastr.ingest.frequency import pandas_infer
from forecastr.ingest.spelling import (
    Spelling,
    has_zone,
    offset_text,
    text_template,
    zone_of,
)
from forecastr.ingest.timerange import check_steps, float_steps, int_text, to_ns
from forecastr.ingest.where import Where


class ParsedTime(NamedTuple):
    """The time column, parsed."""

    ds: np.ndarray  # (rows,) datetime64[ns] (naive; UTC if zone-aware), or int64 steps
    notes: list[str]  # what was decided for the user (e.g. day/month order)
    spelling: Spelling | None = None  # how the cells were written, for the output


def parse_time(col: pd.Series, name: str, where: Where) -> ParsedTime:
    """Timestamps as datetime64[ns] (naive; UTC if zone-aware) or int64 for a step index
    (the dtype tells which from then on).

    ``where`` gives the line of each row of ``col``.
    """
    if col.isna().any():
        k = int(np.flatnonzero(col.isna().to_numpy())[0])
        raise InputError(
            f"{where.file}: empty timestamp in column {shown(name)} at line {where.line(k)}; "
            "every row needs one"
        )
    if pd.api.types.is_bool_dtype(col.dtype):
        raise InputError(f"{where.file}: column {shown(name)} holds true/false values, not times")
    typed = _parse_typed(col, name, where)
    return typed if typed is not None else _parse_text(col, name, where)


def _parse_typed(col: pd.Series, name: str, where: Where) -> ParsedTime | None:
    """A column the reader already typed (integers, floats, datetimes); None for text."""
    if pd.api.types.is_integer_dtype(col.dtype):
        arr = col.to_numpy(dtype=np.int64)
        dated = _integer_dates(arr, name)
        if dated is not None:
            return ParsedTime(to_ns(dated.ds, name, where), dated.notes, dated.spelling)
        return ParsedTime(check_steps(arr, name, where), [])
    if pd.api.types.is_float_dtype(col.dtype):
        arr = col.to_numpy()
        if np.all(arr == np.round(arr)):
            return ParsedTime(float_steps(arr, name, where), [])
        decimal = decimal_years(arr)
        if decimal is not None:
            return ParsedTime(to_ns(decimal[0], name, where), [decimal[1]])
        cycles = ts_cycles(arr)
        if cycles is not None:  # R's ts of frequency 7, 24, 52 ...: steps, written back so
            steps, f, note = cycles
            return ParsedTime(check_steps(steps, name, where), [note], Spelling(cycle=f))
        julian = julian_years(arr)  # R's ts of frequency 52.18 or 365.25: days
        if julian is not None:
            return ParsedTime(to_ns(julian[0], name, where), [julian[1]])
        raise InputError(
            f"{where.file}: column {shown(name)} holds fractional numbers; the time column must "
            "be dates or whole-number steps (or pass --time-col)"
        )
    if isinstance(col.dtype, pd.DatetimeTZDtype):  # a frame's zone-aware column
        naive = col.dt.tz_convert("UTC").dt.tz_localize(None)
        zone = offset_text(col.max().utcoffset())  # written back at the last stamp's offset
        return ParsedTime(to_ns(naive.to_numpy(), name, where), [], Spelling(zone=zone))
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return ParsedTime(to_ns(col.to_numpy(), name, where), [])
    return None


def _parse_text(col: pd.Series, name: str, where: Where) -> ParsedTime:
    """Text cells: each distinct value parsed once (a long file repeats every timestamp per
    series)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = np.asarray(col.array.codes)
        text = pd.Series(col.array.categories.astype(str), dtype=object).str.strip()
    else:
        codes, uniques = pd.factorize(col.astype(str).str.strip())
        text = pd.Series(uniques, dtype=object)
    if text.str.fullmatch(r"[+-]?\d+").all():
        arr = int_text(text, codes, name, where)
        dated = _integer_dates(arr, name)
        if dated is not None:
            return ParsedTime(
                to_ns(dated.ds, name, where, codes, text), dated.notes, dated.spelling
            )
        return ParsedTime(check_steps(arr, name, where, codes)[codes], [])
    parsed, note = parse_date_text(text)
    bad = parsed.isna().to_numpy()[codes]
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{where.file}: cannot read {shown(text.iloc[codes[k]])} in column {shown(name)} at "
            f"line {where.line(k)} as a date; use one date format throughout (e.g. 2024-01-31 "
            "or 2024-01-31 13:00), or name the time column with --time-col"
        )
    notes = [note] if note else []
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        zone = zone_of(text, parsed)
        spelling = Spelling(zone=zone) if zone else None
        if zone:
            notes.append(
                f"stamps with a UTC offset read as UTC instants; forecasts are written at the "
                f"offset of the file's last stamp ({zone})"
            )
    else:
        template = text_template(text, parsed)
        spelling = Spelling(template=template) if template else None
    ds = to_ns(parsed.to_numpy(), name, where, codes, text)
    return ParsedTime(ds, notes, spelling)


def _integer_dates(arr: np.ndarray, name: str) -> ParsedTime | None:
    """Integers that are dates, 20240131, 202401, or Excel's day numbers or Unix times in a
    column named like a date or a time (datetime64 of each value, and a note), or None for a
    step index."""
    stamps = _yyyymmdd(arr)
    if stamps is not None:  # written back as such (20240201)
        return ParsedTime(stamps, [], Spelling(template="{Y}{m02}{d02}"))
    months = yyyymm(arr)  # written back as such (202402), not as ISO dates
    if months is not None:
        return ParsedTime(months[0], [months[1]], Spelling(template="{Y}{m02}"))
    found = excel_days(arr, name)
    if found is not None:
        return ParsedTime(found[0], [found[1]])
    unix = unix_times(arr, name)  # written back as such, in the file's unit
    if unix is None:
        return None
    seconds = int(unix[0][:1].astype("datetime64[s]").astype(np.int64)[0]) == int(arr[0])
    unit = "{U}" if seconds else "{Ums}"
    return ParsedTime(unix[0], [unix[1]], Spelling(template=unit))


def _yyyymmdd(arr: np.ndarray) -> np.ndarray | None:
    """Dates written as 8-digit integers (20240131), or None if they are not all valid dates."""
    if len(arr) == 0 or arr.min() < 1000_01_01 or arr.max() > 2999_12_31:
        return None
    uniq, inv = np.unique(arr, return_inverse=True)
    parsed = pd.to_datetime(pd.Series(uniq.astype(str)), format="%Y%m%d", errors="coerce")
    if parsed.isna().any():
        return None
    return parsed.to_numpy()[inv.reshape(-1)]  # in pandas' unit: _to_ns checks the range


_SLASH = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})(?:[ T].*)?$")
_CODE = re.compile(r"[A-Za-z]{1,2}\d+")  # an id such as M4's "M1" or "Y23", never a date
_QUARTER = re.compile(r"(\d{4})[-/ ]?Q([1-4])", re.IGNORECASE)
# Statistical agencies' months (Eurostat, IMF: 2020M01) and ISO 8601 weeks (2020-W05, 2020W05-3;
# R's tsibble writes 2020 W05).
_MONTH = re.compile(r"(\d{4}) ?M(\d{1,2})", re.IGNORECASE)
# Months written MM.YYYY (German-language exports: 01.2020), which a reader takes for numbers.
_MONTH_DOT = re.compile(r"(0?[1-9]|1[0-2])\.(1[7-9]\d\d|2[01]\d\d)")
_WEEK = re.compile(r"(\d{4})[- ]?W(\d{1,2})(?:-?([1-7]))?", re.IGNORECASE)
# Each spelling, the ISO text its regex groups give, and that text's format.
_SPELLED = (
    (_MONTH, lambda m: m[0] + "-" + m[1].str.zfill(2) + "-01", "%Y-%m-%d"),
    (_MONTH_DOT, lambda m: m[1] + "-" + m[0].str.zfill(2) + "-01", "%Y-%m-%d"),
    (_WEEK, lambda m: m[0] + "-W" + m[1].str.zfill(2) + "-" + m[2].fillna("1"), "%G-W%V-%u"),
)  # the week's Monday, or the day given


def month_dot_year(cells: pd.Series) -> bool:
    """Whether a column's first rows are months written MM.YYYY (01.2020): a reader must keep
    them as text, not read them as the numbers 1.202."""
    text = cells.astype(str).str.strip()
    text = text[text != ""]
    return bool(len(text) and text.str.fullmatch(_MONTH_DOT.pattern).all())


def reads_as_dates(cells: pd.Series) -> bool:
    """Whether text cells (a column's first rows) are dates: some are filled, not all of those
    are plain numbers (an integer index is not sniffed as dates), and every one parses."""
    text = cells.astype(str).str.strip()
    text = text[text != ""]
    if month_dot_year(text):  # 01.2020: months, though they read as numbers
        return True
    commas = text.str.replace(",", ".", regex=False)  # 1,5: a decimal comma, not a date
    if text.empty or pd.to_numeric(commas, errors="coerce").notna().all():
        return False
    if text.str.fullmatch(_CODE.pattern).any():  # dateutil reads "M1" as year 1, 00:01
        return False
    return bool(parse_date_text(text)[0].notna().all())


# A stamp at 24:00, the end of its day (grid operators' hours ending: ERCOT's 01/01/2020 24:00)
_MIDNIGHT_24 = re.compile(r"(.*\d[ T])24:00(?::00(?:\.0+)?)?")
DAY = np.timedelta64(1, "D")
# An interval, start - end, as ENTSO-E writes its market time units (``01.01.2024 00:00 -
# 01.01.2024 01:00 (CET/CEST)``, the zone label optional): read by its start, which holds a
# day or a month of a year, six digits or more (bands such as ``10 - 14`` or ``1000 - 2000``
# are no interval of time)
_INTERVAL = re.compile(r"^\s*(\d.*?\d)\s+[-\u2013]\s+\d.*\d\s*(?:\([^()]*\))?\s*$")


def parse_date_text(text: pd.Series) -> tuple[pd.Series, str | None]:
    """Parse distinct date strings. Returns (datetimes with NaT where unreadable, note).
    Intervals ``start - end`` are read by their start, and stamps at 24:00, which no parser
    reads, are 00:00 of the next day: each looked for only when some stamp is unreadable (a
    regex over millions of stamps is not free)."""
    parsed, note = _parse_dates(text)
    if not parsed.isna().any():
        return parsed, note
    starts = text.str.extract(_INTERVAL)[0]
    if starts.notna().all() and (starts.str.count(r"\d") >= 6).all():
        parsed, note = parse_date_text(starts)
        also = f"times written as intervals ({shown(text.iloc[0])}) read by their start"
        return parsed, also if note is None else f"{note}; {also}"
    ending = text.str.fullmatch(_MIDNIGHT_24.pattern)
    if not ending.any():
        return parsed, note
    parsed, note = _parse_dates(text.str.replace(_MIDNIGHT_24, r"\g<1>00:00", regex=True))
    also = "stamps at 24:00 (the end of the day: hours ending) read as 00:00 of the next day"
    return parsed.where(~ending, parsed + DAY), also if note is None else f"{note}; {also}"


def _parse_dates(text: pd.Series) -> tuple[pd.Series, str | None]:
    """:func:`parse_date_text` for stamps of any spelling but 24:00."""
    financial = financial_years(text)  # before ISO 8601, which reads 2001-02 as a month
    if financial is not None:
        return financial
    counted = counted_years(text)  # 1-01: year 1, January (ISO and dateutil misread it)
    if counted is not None:
        return counted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=has_zone(text))
        except (ValueError, TypeError, OverflowError):
            parsed = pd.Series(pd.NaT, index=text.index)
        if not parsed.isna().any():
            return parsed, None
        quarter = text.str.fullmatch(_QUARTER.pattern, case=False)
        if quarter.all():
            m = text.str.extract(_QUARTER.pattern, flags=re.IGNORECASE)
            periods = pd.PeriodIndex.from_fields(
                year=m[0].astype(int).to_numpy(), quarter=m[1].astype(int).to_numpy(), freq="Q"
            )
            return pd.Series(periods.to_timestamp(), index=text.index), None
        for spelled in (quarters_first, named_months, named_years):  # Q1 2020, Jan-20, FY20
            found = spelled(text)
            if found is not None:
                return found
        for pattern, iso, fmt in _SPELLED:  # 2020M01, 01.2020, 2020-W05: as ISO text first
            if text.str.fullmatch(pattern).all():
                stamps = iso(text.str.extract(pattern))
                return pd.to_datetime(stamps, format=fmt, errors="coerce"), None
        m = text.str.extract(_SLASH.pattern)
        if m[0].notna().all():
            return _parse_day_month(text, m)
        return _parse_leniently(text), None


def _parse_day_month(text: pd.Series, m: pd.DataFrame) -> tuple[pd.Series, str | None]:
    """Dates like 01/02/2020: decide between day/month and month/day order."""
    first, sep, second = m[0].astype(int), m[1].iloc[0], m[2].astype(int)

    def parse(dayfirst: bool) -> pd.Series:
        return pd.to_datetime(text, errors="coerce", dayfirst=dayfirst)

    if (first > 12).any():
        return parse(True), None
    if (second > 12).any():
        return parse(False), None
    # Both orders are valid dates: prefer the one that makes the more regular series.
    by_day, by_month = parse(True), parse(False)
    irregular_day, irregular_month = _irregularity(by_day), _irregularity(by_month)
    if irregular_day != irregular_month:
        dayfirst = irregular_day < irregular_month
        why = "it gives the more regular series"
    else:
        dayfirst = sep == "."
        why = "the usual order for '.'" if dayfirst else "the usual order for '/' and '-'"
    order = "day/month" if dayfirst else "month/day"
    note = (
        f"dates like {shown(text.iloc[0])} could be day/month or month/day; read as {order} "
        f"({why}); write dates as YYYY-MM-DD to be sure"
    )
    return (by_day if dayfirst else by_month), note


def _irregularity(parsed: pd.Series) -> tuple[int, int]:
    """(no pandas frequency fits, distinct spacings) of the sorted distinct dates; lower wins."""
    if parsed.isna().any():
        return (2, 0)
    t = np.unique(parsed.to_numpy())  # pandas' unit: a cast to ns could wrap
    if pandas_infer(t) is not None:
        return (0, 0)  # a regular series: equally good whatever the spacing
    return (1, len(np.unique(np.diff(t))))


def _parse_leniently(text: pd.Series) -> pd.Series:
    utc = has_zone(text)
    try:
        parsed = pd.to_datetime(text, errors="coerce", utc=utc)
    except (ValueError, TypeError, OverflowError):
        parsed = pd.Series(pd.NaT, index=text.index)
    if parsed.isna().any():
        try:
            mixed = pd.to_datetime(text, errors="coerce", format="mixed", utc=utc)
            if mixed.isna().sum() < parsed.isna().sum():
                parsed = mixed
        except (ValueError, TypeError, OverflowError):
            pass
    return parsed
