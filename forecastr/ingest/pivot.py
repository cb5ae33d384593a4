"""A pivot table: one row per series, one column per date (``sku,2024-01,2024-02,...``).

Spreadsheet exports of many short series (a product per row, a month per column), the World
Bank's and OECD's downloads (a country per row, a year per column) and some public data sets
(web traffic: a page per row, a day per column) come this way. :func:`date_columns`
recognises such a header (most of its names are dates or years) and parses those names;
:func:`forecastr.ingest.stack.melt_pivot` turns each row into one series. The time of such a
file lives in its header, which the rest of ingest calls :data:`HEADER_TIME`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from forecastr.errors import InputError, shown
from forecastr.ingest.cells import NULL_VALUES
from forecastr.ingest.spelling import Spelling, text_template
from forecastr.ingest.textcols import text_columns
from forecastr.ingest.timeparse import parse_date_text

HEADER_TIME = "(header)"  # the time column's name when the dates are the header's names
MAX_NAME = 64  # longer names are neither dates nor column numbers (never parsed)
_NUMBERED = re.compile(r"([A-Za-z_]+)(\d+)")  # V1, V2, ...: columns numbered in time order
_YEAR = re.compile(r"[12]\d{3}")  # a column named by its year alone (1000 to 2999)
# A name shaped like a date that names its year (month names alone are not dates): only such
# names are parsed, so a wide file's thousands of names (s0001, ...) cost a regex, not a parse.
_DATE_LIKE = re.compile(
    r"\d{4}[-/. ]?(?:\d{1,2}|[QMW]\d{1,2}|[A-Za-z]{3,9})(?:[-/. T].*)?"
    r"|\d{1,2}[-/. ]\d{1,2}[-/. ]\d{2,4}.*"
    r"|(?:\d{1,2}[-/. ])?[A-Za-z]{3,9}[-/. ]+\d{4}"
    r"|(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?[- /']?\d{2}"  # Jan-15
    r"|Q[1-4][- /']?(?:\d{4}|\d{2})"  # Q1 2015
)


def date_columns(header: list[str]) -> tuple[list[str], np.ndarray]:
    """The header's date columns and their dates (datetime64[ns], column order; int64 steps
    for numbered columns), when they are most of it (at least 3, and at least half the
    columns) and some column is left for the series id; else ([], empty). A header numbered
    throughout (the M4 competition's ``V1,V2,...``) keeps its first column for the ids."""
    dated, stamps = _dated_names(header)
    if dated.all() and stamps.dtype == np.int64 and len(header) > 3:
        dated[0] = False
    if dated.sum() < max(3, len(header) // 2) or dated.all():
        return [], stamps[:0]
    return [header[k] for k in np.flatnonzero(dated)], stamps[dated]


def pivot_dates(names: tuple[str, ...], path: str) -> tuple[np.ndarray, Spelling | None]:
    """The dates the columns ``names`` are named by, in their order, and how the names spell
    them (``2024-01``, ``2024Q1``: forecasts are written so; None for ISO)."""
    dated, stamps = _dated_names(list(names))
    if not dated.all():
        bad = names[int(np.flatnonzero(~dated)[0])]
        raise InputError(
            f"{path}: column {shown(bad)} of a file with one row per series is not a date like "
            "the other columns; rename or remove it"
        )
    if stamps.dtype != np.dtype("datetime64[ns]"):
        return stamps, None  # numbered columns: steps
    text = pd.Series([n.strip() for n in names], dtype=object)
    if text.str.fullmatch(_YEAR.pattern).all():
        return stamps, Spelling("{Y}")  # countries by year: the forecast's years, 2025
    template = text_template(text, pd.Series(stamps))
    return stamps, None if template is None else Spelling(template)


def _dated_names(header: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Which names are dates, and their dates (NaT for the others). Names that are years alone
    (1990, 1991, ...) are dates when most names are, else names that hold a year and parse as
    dates (2024-01, 2024M01, Jan 2024, 2024Q1 ...); numbers and month names alone never are."""
    names = pd.Series([h.strip() for h in header], dtype=object)
    years = names.str.fullmatch(_YEAR.pattern).to_numpy(dtype=bool)
    stamps = np.full(len(names), np.datetime64("NaT"), dtype="datetime64[ns]")
    if years.sum() >= max(1, len(header) // 2):  # the first of each year
        stamps[years] = (names[years].astype(int).to_numpy() - 1970).astype("datetime64[Y]")
        return years, stamps
    maybe = names.str.fullmatch(_DATE_LIKE.pattern).to_numpy(dtype=bool).copy()
    maybe &= names.str.len().to_numpy() <= MAX_NAME
    maybe &= pd.to_numeric(names, errors="coerce").isna().to_numpy()
    if maybe.sum() < max(1, len(header) // 2):  # too few to make a pivot: nothing parsed
        return _numbered(names)
    parsed, _ = parse_date_text(names[maybe].reset_index(drop=True))
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    ok = parsed.notna().to_numpy()
    idx = np.flatnonzero(maybe)[ok]
    stamps[idx] = parsed[ok].to_numpy(dtype="datetime64[ns]")
    dated = np.zeros(len(names), dtype=bool)
    dated[idx] = True
    return dated, stamps


def blank_led_ids(sample: pd.DataFrame, keys: list[str], first: str) -> tuple[str, ...]:
    """The columns a pivot's series id is joined from when its id column ``first`` is blank
    in some rows: every column of text among ``keys`` (JHU's ``Province/State`` is blank
    where a row is a whole country: ``Province/State+Country/Region``, a blank part left
    out of the id); () when ``first`` has no blank, or no other column of text joins it."""
    cells = sample[first].fillna("").astype(str).str.strip()
    if not (cells.isin(NULL_VALUES) | (cells == "")).any():
        return ()
    text = text_columns(sample, keys)
    parts = tuple(k for k in keys if k in text)
    return parts if first in parts and len(parts) > 1 else ()


def pivot_note(id_col: str, left_out: list[str], numbered: bool = False) -> str:
    """What ``info`` and ``train`` say about a pivot table they read."""
    per = "time step, in column order" if numbered else "date"
    note = f"read with one row per series (id {shown(id_col)}) and one column per {per}"
    if left_out:
        s = "s" if len(left_out) > 1 else ""
        note += f"; column{s} {', '.join(shown(c) for c in left_out[:5])} left out"
    return note


def _numbered(names: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Names that number the columns, one prefix and consecutive numbers (``V1, V2, ...``,
    ``t1, t2, ...``): the numbers as int64 steps; nothing when they are not most names."""
    none = np.zeros(len(names), dtype=bool), np.zeros(len(names), dtype=np.int64)
    short = names.str.len().to_numpy() <= MAX_NAME  # a 3 MB name is no column number
    numbered = short & names.str.fullmatch(_NUMBERED.pattern).to_numpy(dtype=bool)
    # At least 6: Q1..Q4 beside a year are a quarter table (ingest.matrix), not time steps.
    if numbered.sum() < max(6, len(names) // 2):
        return none
    parts = names[numbered].str.extract("^" + _NUMBERED.pattern + "$")
    if parts[0].nunique() != 1:
        return none
    steps = parts[1].astype(np.int64).to_numpy()
    if not (np.diff(steps) == 1).all():
        return none
    out = np.zeros(len(names), dtype=np.int64)
    out[numbered] = steps
    return numbered, out
