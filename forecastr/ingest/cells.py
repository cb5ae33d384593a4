"""Cells to numbers: what counts as empty, decimal commas, and the bad cell's line.

:func:`to_float` turns a column of text cells into float64 (spaces stripped, :data:`NULL_VALUES`
empty, decimal commas where the column uses them, formatted numbers such as ``$1,234.5``,
``1 234,5``, ``(50.00)`` read) or refuses the first cell that is not a number, by line; both
CSV readers and frames built in Python go through it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from forecastr.errors import InputError, shown
from forecastr.ingest.where import Where

# Cell texts read as a missing value (after stripping spaces): the usual spellings, "?" (the
# UCI repository's files), "." (FRED's), ":" (Eurostat's) and pandas' own "<NA>".
NULL_VALUES = (
    *("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "#N/A", "-", "n/a", "na"),
    *("?", ".", ":", "<NA>", "#NA", "n/e", "N/E"),  # n/e: ENTSO-E's "not expected"
)
# Eurostat's missing value with a flag: ": c" (confidential), ": z" (not applicable).
FLAGGED_MISSING = r":\s*[a-z]{1,3}"
# Letters after a number: statistical agencies' flags ("100.5 p": provisional, "3.1 e":
# estimated), read as the number.
FLAG = r"(?:\s+[a-z]{1,3})?"


def to_float(col: pd.Series, name: str, where: Where, allow_decimal_comma: bool) -> np.ndarray:
    """Text cells to float64: spaces stripped, NULL_VALUES missing, else a number or an error.

    ``where`` gives the line of each row of ``col``.
    """
    text = col.astype(object).where(col.notna(), "").astype(str).str.strip()
    blank = text.isin(NULL_VALUES) | text.str.fullmatch(FLAGGED_MISSING)
    if allow_decimal_comma and _decimal_comma_column(text[~blank]):
        # "1.234,5" -> "1234.5": dots group thousands where commas mark the decimals
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    num = pd.to_numeric(text.where(~blank), errors="coerce")
    bad = num.isna() & ~blank
    if bad.any():
        num = _formatted(text, blank, num, allow_decimal_comma)
        bad = num.isna() & ~blank
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raw = str(col.iloc[row])
        hint = (
            "remove thousands separators (decimal commas need ; as the separator)"
            if re.fullmatch(r"\s*[+-]?[\d.,]+\s*", raw)
            else "leave the cell empty for a missing value"
        )
        raise InputError(
            f"{where.file}: non-numeric value {shown(raw)} in column {shown(name)} at line "
            f"{where.line(row)}; values must be numbers: {hint}"
        )
    return num.to_numpy(dtype=np.float64, na_value=np.nan)


def text_values(col: pd.Series, name: str, where: Where, allow_decimal_comma: bool) -> pd.Series:
    """:func:`to_float` of a value column read as text, as a Series carrying the note of
    :func:`marked_cells` (``attrs["marked"]``) for the load's note."""
    out = pd.Series(to_float(col, name, where, allow_decimal_comma))
    marked = marked_cells(col)
    if marked:
        out.attrs["marked"] = marked
    return out


# A spreadsheet's formatted number: a sign, a currency sign, thousands grouped (by commas, or
# by spaces, no-break spaces or apostrophes as French and Swiss locales write them), a percent
# sign ("$1,234.50", "-$5", "1 234,5" beside ";", "1'234.50", "5.1%"); a negative one may be
# written in parentheses ("(50.00)", accounting) or with the minus sign U+2212. Read without
# them, and only when every cell the plain reading refused is one: a column mixing "1,234"
# and "1,5" stays refused.
_SPACES = " \u00a0\u202f'\u2019"  # spaces, no-break spaces, apostrophes: thousands groups


def _number_pattern(point: str) -> str:
    """A formatted number whose decimals follow ``point`` ("." or ","); groups (sign, digits
    with their separators, decimals)."""
    group = f"[{_SPACES}{',' if point == '.' else '.'}]"
    return (
        rf"([+-]?)\s*[$€£¥]?\s*(\d{{1,3}}(?:{group}\d{{3}})+|\d+)"
        rf"((?:\{point}\d*)?)\s*%?{FLAG}"
    )


def formatted_numbers(cells: pd.Series) -> pd.Series:
    """Which text ``cells`` are numbers as spreadsheets format them (``1,9`` with a decimal
    comma, ``1.234,5``, ``$1,234.50``, ``5.1%``): numbers to judge a column by, though
    ``pd.to_numeric`` refuses them (:func:`to_float` reads them where the column allows)."""
    either = "|".join(f"(?:{_number_pattern(point)})" for point in (",", "."))
    return cells.str.fullmatch(either).fillna(False).astype(bool)


def _formatted(
    text: pd.Series, blank: pd.Series, num: pd.Series, decimal_comma: bool = False
) -> pd.Series:
    """``num`` with the formatted numbers of ``text`` read, when every refused cell is one
    (decimals after a comma first where the column may use them, else after a point)."""
    refused = num.isna() & ~blank
    cells = text[refused].str.replace("\u2212", "-", regex=False)  # the minus sign
    paren = cells.str.fullmatch(r"\(\s*[^()-]*\)")
    cells = cells.where(~paren, "-" + cells.str[1:-1].str.strip())
    below = cells.str.fullmatch(BELOW_LIMIT)  # "<1": half the limit (marked_note)
    queried = cells.str.fullmatch(QUERIED)  # "?0.2": the number, marked doubtful
    cells = cells.where(~(below | queried), cells.str[1:].str.strip())
    for point in (",", ".") if decimal_comma else (".",):
        m = cells.str.extract("^" + _number_pattern(point) + "$")
        if m[1].notna().all():
            digits = m[1].str.replace("[^0-9]", "", regex=True)
            values = pd.to_numeric(m[0] + digits + m[2].str.replace(",", ".", regex=False))
            out = num.copy()
            out[refused] = values.where(~below, values / 2)
            return out
    return num


# A value below a reporting limit: "<1" (Google Trends' exports), "<0.5" (a lab's detection
# limit). It is read as half the limit, the usual substitute, and the load says so.
BELOW_LIMIT = r"<\s*[^<>+\-\u2212(]+"
# A number its source marks as doubtful with a question mark before it ("?0.2": the daily
# minimum temperatures of Melbourne as the Time Series Data Library keeps them): the number.
QUERIED = r"\?\s*[+-]?\d[\d.,]*"


def marked_cells(col: pd.Series) -> dict[str, tuple[int, str]]:
    """In a text column, the values below a reporting limit (``<1``), the numbers with flags
    (``100.5 p``) and those marked doubtful (``?0.2``): ``{kind: (how many, the first)}``,
    for :func:`marked_note`."""
    if col.dtype != object and not isinstance(col.dtype, pd.StringDtype):
        return {}
    text = col.dropna().astype(str).str.strip()
    found = {}
    for kind, pattern in (
        ("below", BELOW_LIMIT),
        ("flagged", _FLAGGED_NUMBER),
        ("queried", QUERIED),
    ):
        cells = text[text.str.fullmatch(pattern)]
        if not cells.empty:
            found[kind] = (len(cells), str(cells.iloc[0]))
    return found


_FLAGGED_NUMBER = r"[^a-zA-Z]*\d[^a-zA-Z]*\s+[a-z]{1,3}"


def marked_note(found: list[dict[str, tuple[int, str]]]) -> list[str]:
    """One note for the marked cells of the value columns (:func:`marked_cells`), if any."""
    notes = []
    for kind, what in (
        ("below", "written below a limit (like {}) read as half the limit"),
        ("flagged", "with letters after them (like {}: flags) read as the numbers"),
        ("queried", "marked with a question mark (like {}: doubtful) read as the numbers"),
    ):
        hits = [f[kind] for f in found if kind in f]
        if hits:
            count = sum(n for n, _ in hits)
            notes.append(
                f"{count} value{'s' if count > 1 else ''} " + what.format(shown(hits[0][1]))
            )
    return ["; ".join(notes)] if notes else []


def _decimal_comma_column(text: pd.Series) -> bool:
    """Commas mark decimals: some "1,5"-like cells, and every dot groups thousands."""
    comma = text.str.fullmatch(r"[+-]?[\d.]*\d,\d+|[+-]?,\d+")
    dotted = text.str.contains(".", regex=False)
    grouped = text.str.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d*)?")
    return bool(comma.any() and (grouped | ~dotted).all())


def uses_decimal_comma(sample: pd.DataFrame, targets: list[str]) -> bool:
    """The value columns' first rows write decimals with a comma (``1,5``) and never a dot
    (no value column read as numbers: ``--aggregate count`` reads them as text)."""
    parts = [sample[c].str.strip() for c in targets if c in sample]
    if not parts:
        return False
    cells = pd.concat(parts, ignore_index=True)
    comma = cells.str.fullmatch(r"[+-]?\d*,\d+").sum()
    point = cells.str.fullmatch(r"[+-]?\d*\.\d+").sum()
    return bool(comma > 0 and point == 0)
