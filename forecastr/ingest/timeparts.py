"""A timestamp split over several columns: ``year, month, day, hour`` or ``year, quarter``.

A month may be written by its name (``January``, ``Jan``) and a quarter as ``Q1``.

Public data often stores the time that way (air-quality logs, statistical tables, exports from
spreadsheets). :func:`detect_parts` finds such columns from their names and first rows, and
:func:`compose` joins their cells into one datetime64 array, naming the line of a cell that is
not a valid part. The joined column is known everywhere else by its parts' names joined with
``+`` (``year+month+day+hour``): that is what ``info`` shows, what a model stores, and what
``--time-col`` accepts to name the parts by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecastr.errors import InputError, shown
from forecastr.ingest.datespell import MONTH_NUMBERS
from forecastr.ingest.where import Where

JOIN = "+"  # joins the parts' names into the time column's name

# Names each part goes by (compared ignoring case and surrounding spaces), and its valid range.
PART_NAMES: dict[str, tuple[str, ...]] = {
    "year": ("year", "yr", "yyyy"),
    "quarter": ("quarter", "qtr"),
    "month": ("month", "mon"),
    "day": ("day", "day_of_month", "dayofmonth", "date_of_month", "dom"),
    "hour": ("hour", "hr"),
    "minute": ("minute",),
}
RANGES = {
    "year": (1, 9999),
    "quarter": (1, 4),
    "month": (1, 12),
    "day": (1, 31),
    "hour": (0, 23),
    "minute": (0, 59),
}
# The chains a timestamp can be split into, longest first: the first complete one is taken.
CHAINS = (
    ("year", "month", "day", "hour", "minute"),
    ("year", "month", "day", "hour"),
    ("year", "month", "day"),
    ("year", "month"),
    ("year", "quarter"),
)
# A column named like a whole timestamp wins over parts (a file with both: the parts are extras).
WHOLE_TIME_NAMES = ("ds", "date", "datetime", "time", "timestamp", "period", "time_period")


def split_name(name: str, header: list[str]) -> tuple[str, ...] | None:
    """The parts a ``--time-col`` value names (``year+month``), or None for one column."""
    if name in header or JOIN not in name:
        return None
    return tuple(p.strip() for p in name.split(JOIN))


def detect_parts(header: list[str], sample: pd.DataFrame, skip: tuple) -> tuple[str, ...]:
    """The columns a split timestamp is read from, in chain order; empty when the file has
    none (or has a column named like a whole timestamp). ``skip``: columns taken already."""
    lower = {h.strip().lower(): h for h in header if h not in skip}
    if any(n in lower for n in WHOLE_TIME_NAMES):
        return ()
    found = {part: next((lower[n] for n in names if n in lower), None)
             for part, names in PART_NAMES.items()}  # fmt: skip
    for chain in CHAINS:
        cols = tuple(c for c in (found[p] for p in chain) if c is not None)
        if len(cols) == len(chain) and all(
            _looks_like(sample, c, p) for c, p in zip(cols, chain, strict=True)
        ):
            return cols
    return ()


def part_kinds(parts: tuple[str, ...]) -> tuple[str, ...]:
    """What each named column is (``year``, ``month`` ...): by name, else by position."""
    chain = next((c for c in CHAINS if len(c) == len(parts)), None)
    kinds = []
    for i, col in enumerate(parts):
        key = col.strip().lower()
        kind = next((p for p, names in PART_NAMES.items() if key in names), None)
        kinds.append(kind or (chain[i] if chain else "?"))
    if tuple(kinds) not in CHAINS:
        raise InputError(
            f"--time-col {shown(JOIN.join(parts))}: a split timestamp is read from columns "
            "year+month, year+month+day, year+month+day+hour(+minute) or year+quarter, in "
            "that order"
        )
    return tuple(kinds)


def part_numbers(
    cells: pd.Series, kind: str, col: str | None = None, where: Where | None = None
) -> pd.Series:
    """A month column's names (``January``, ``Jan``, ``SEP``) or a quarter column's ``Q1`` to
    ``Q4`` as their numbers (text); numbers and empty cells as they were. Given the column's
    name and ``where``, a cell that is neither a name nor a number is refused by line."""
    if kind not in ("month", "quarter") or pd.api.types.is_numeric_dtype(cells.dtype):
        return cells
    text = cells.astype(str).str.strip().str.lower()
    month = kind == "month"
    mapped = text.map(MONTH_NUMBERS) if month else text.str.extract(r"^q([1-4])$")[0]
    if mapped.isna().all():
        return cells
    other = mapped.isna() & cells.notna().to_numpy() & (text != "")
    other &= pd.to_numeric(text, errors="coerce").isna()
    if where is not None and other.any():
        k = int(np.flatnonzero(other.to_numpy())[0])
        names = "January or Jan" if month else "Q1"
        raise InputError(
            f"{where.file}: line {where.line(k)}: column {shown(col)} is "
            f"{shown(cells.iloc[k])}, not a {kind} (a name such as {names}, or a number)"
        )
    return cells.astype(object).where(mapped.isna(), mapped.astype(object).map(str))


def named_part(sample: pd.DataFrame, col: str) -> bool:
    """Whether a part's first rows hold names (``Jan``, ``Q1``), which are read as text."""
    if col not in sample:
        return False
    cells = sample[col].astype(str).str.strip()
    cells = cells[cells != ""]
    return bool(pd.to_numeric(cells, errors="coerce").isna().any())


def compose(cells: list[np.ndarray], parts: tuple[str, ...], where: Where) -> pd.Series:
    """The timestamps of each row (datetime64[ns]; NaT where every part is empty), from the
    parts' cells as float64 (NaN: empty). Refuses a part that is empty, not a whole number,
    out of its range, or a day its month lacks, naming the line and the column."""
    kinds = part_kinds(parts)
    empty = np.logical_and.reduce([np.isnan(c) for c in cells])
    fields: dict[str, np.ndarray] = {}
    for arr, col, kind in zip(cells, parts, kinds, strict=True):
        lo, hi = RANGES[kind]
        bad = ~empty & ~((arr == np.round(arr)) & (arr >= lo) & (arr <= hi))  # NaN is bad too
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            cell = "empty" if np.isnan(arr[k]) else f"{arr[k]:g}"
            raise InputError(
                f"{where.file}: line {where.line(k)}: column {shown(col)} is {cell}, not a "
                f"{kind} ({lo} to {hi}); every row needs each part of its timestamp"
            )
        fields[kind] = np.where(empty, lo, arr).astype(np.int64)
    if "quarter" in fields:
        fields["month"] = 3 * fields.pop("quarter") - 2
    fields.setdefault("day", np.ones(len(empty), dtype=np.int64))
    stamps = pd.to_datetime(pd.DataFrame(fields), errors="coerce")
    invalid = stamps.isna().to_numpy() & ~empty
    if invalid.any():
        k = int(np.flatnonzero(invalid)[0])
        shown_parts = "-".join(str(int(fields[p][k])) for p in ("year", "month", "day"))
        raise InputError(
            f"{where.file}: line {where.line(k)}: {shown_parts} (columns "
            f"{', '.join(shown(p) for p in parts)}) is not a date"
        )
    return pd.Series(stamps.to_numpy(dtype="datetime64[ns]")).where(~empty)


def _looks_like(sample: pd.DataFrame, col: str, part: str) -> bool:
    """Whether most of the first rows' non-empty cells of ``col`` are whole numbers in
    ``part``'s range (a month column of ``2020-01`` stamps is a whole timestamp, not a part;
    a stray bad cell is named by :func:`compose`)."""
    if col not in sample:
        return False
    cells = part_numbers(sample[col], part).astype(str).str.strip()
    cells = cells[cells != ""]
    if len(cells) == 0:
        return False
    nums = pd.to_numeric(cells, errors="coerce")
    lo, hi = RANGES[part]
    return bool(((nums == nums.round()) & nums.between(lo, hi)).mean() > 0.5)
