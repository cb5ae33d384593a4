"""From columns to rows: the used columns as arrays, blank rows skipped, cells checked.

:func:`read_rows` is the first step of both layouts: value columns to float64, the time column
parsed, the id column (long files) kept as read; every refusal names the line of its row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from forecastr.errors import InputError, shown
from forecastr.ingest.cells import marked_cells, marked_note
from forecastr.ingest.clock import add_clock
from forecastr.ingest.datespell import finest_periods
from forecastr.ingest.layout import ColumnRoles
from forecastr.ingest.spelling import Spelling
from forecastr.ingest.timeparse import parse_time
from forecastr.ingest.timeparts import compose, part_kinds, part_numbers
from forecastr.ingest.values import check_column, numeric
from forecastr.ingest.where import Where


class Rows(NamedTuple):
    """The used columns of the rows kept (blank ones skipped), in file order."""

    values: list[np.ndarray]  # one (rows,) float64 array per value column; NaN: empty cell
    ds: np.ndarray  # (rows,) datetime64[ns], or int64 steps
    notes: list[str]  # what parsing the time decided for the user
    ids: pd.Series | None  # (rows,) the series id cells (long, matrix and pivot layouts)
    where: Where  # the line of each row
    names: tuple[str, ...] = ()  # a wide file's value columns kept (its empty ones left out)
    spelling: Spelling | None = None  # how the time cells were written (for the output)


def read_rows(columns: Mapping[str, pd.Series], roles: ColumnRoles, where: Where) -> Rows:
    """The used columns as arrays: values checked, time parsed, blank rows skipped.

    Args:
        columns: the columns read (at least those ``roles`` uses); not modified.
        roles: what each column holds.
        where: the line of each row of ``columns``.
    """
    taken = dict(columns)  # each column is taken once, from a copy: the caller's is left whole
    below = _marked_notes([taken[c] for c in roles.targets])
    values = [numeric(taken.pop(c), c, where) for c in roles.targets]
    # a date's time of day, added once the date is parsed
    clock = taken.pop(roles.time_parts[1]) if roles.time_of_day else None
    if roles.time_parts and clock is None:  # a split timestamp: its parts' cells joined here
        kinds = part_kinds(roles.time_parts)
        cells = [numeric(part_numbers(taken.pop(c), k, c, where), c, where)
                 for c, k in zip(roles.time_parts, kinds, strict=True)]  # fmt: skip
        time = compose(cells, roles.time_parts, where)
        del cells
    elif not roles.time_cols:  # rows numbered from 0 (one column; a pivot's dates: its header)
        time = pd.Series(np.arange(len(values[0]), dtype=np.int64))
    else:
        time = taken.pop(roles.time_cols[0])
    keyed = roles.layout in ("long", "matrix", "pivot")
    pivot = roles.layout == "pivot"  # a blank part of a pivot's joined id is left out of it
    ids = (
        _joined_ids([taken.pop(c) for c in roles.id_cols], pivot)
        if keyed and roles.id_cols
        else None
    )
    del taken
    rows = _kept_rows(values, time, ids, where)
    finest: np.ndarray | None = None
    mixed: list[str] = []
    if roles.time_cols and not roles.time_parts:  # 1989, 1989 Q1, 1989 JAN: the months
        finest, mixed = _finest_rows(time)
    if finest is not None:
        rows = finest if rows is None else np.intersect1d(rows, finest)
    if rows is not None:
        values = [v[rows] for v in values]
        time = time.iloc[rows]
        if finest is not None and isinstance(time.dtype, pd.CategoricalDtype):
            time = time.cat.remove_unused_categories()  # parsed by category: not the years
        ids = ids.iloc[rows] if ids is not None else None
        clock = clock.iloc[rows] if clock is not None else None
        where = where.via(lambda k: int(rows[k]))
    names, values, empty = _filled_columns(roles, values)
    for col, arr in zip(names, values, strict=True):
        check_column(arr, col, where, may_be_empty=roles.layout == "pivot")
    spelling = None
    if clock is None:
        ds, notes, spelling = parse_time(time, roles.time_col, where)
    else:
        days, notes, _ = parse_time(time, roles.time_parts[0], where)
        ds, ending = add_clock(days, clock, roles.time_parts, where)
        notes = [*notes, *ending]
    return Rows(values, ds, [*notes, *mixed, *below, *empty], ids, where, names, spelling)


def _filled_columns(
    roles: ColumnRoles, values: list[np.ndarray]
) -> tuple[tuple[str, ...], list[np.ndarray], list[str]]:
    """The value columns with a value, and a note naming those left out: a wide file's
    columns that are entirely empty (a weather export's snow depth where it never snowed)
    hold no series. A file of nothing else keeps them, to be refused by name."""
    names = tuple(roles.targets)
    empty = [bool(np.isnan(v).all()) for v in values]
    if roles.layout != "wide" or not any(empty) or all(empty):
        return names, values, []
    gone = [n for n, e in zip(names, empty, strict=True) if e]
    s, they = ("s", "they are") if len(gone) > 1 else ("", "it is")
    shown_names = ", ".join(shown(n) for n in gone[:6]) + (" ..." if len(gone) > 6 else "")
    note = f"column{s} {shown_names} left out: {they} entirely empty"
    kept = [k for k, e in enumerate(empty) if not e]
    return tuple(names[k] for k in kept), [values[k] for k in kept], [note]


def _kept_rows(
    values: list[np.ndarray], time: pd.Series, ids: pd.Series | None, where: Where
) -> np.ndarray | None:
    """The rows that are not blank; None when every row is kept (the common case: no copy).

    A row with every used cell empty (a trailing ",,," line from a spreadsheet) is skipped.
    """
    blank = time.isna().to_numpy() & np.logical_and.reduce([np.isnan(v) for v in values])
    if ids is not None:
        blank &= ids.isna().to_numpy()
    if not blank.any():
        return None
    rows = np.flatnonzero(~blank)
    if len(rows) == 0:
        raise InputError(f"{where.file}: has a header but no data rows")
    return rows


def _finest_rows(time: pd.Series) -> tuple[np.ndarray | None, list[str]]:
    """The rows of the finest periods of a time column that lists years, quarters and months
    (:func:`~forecastr.ingest.datespell.finest_periods`), and its note; (None, []) else."""
    if pd.api.types.is_numeric_dtype(time.dtype) or pd.api.types.is_datetime64_any_dtype(
        time.dtype
    ):
        return None, []
    if isinstance(time.dtype, pd.CategoricalDtype):  # distinct cells once: no pass per row
        codes, uniques = np.asarray(time.array.codes), time.array.categories
    else:
        codes, uniques = pd.factorize(time.astype(object))  # NaN: code -1
    found = finest_periods(pd.Series(uniques, dtype=object).astype(str).str.strip())
    if found is None:
        return None, []
    keep, note = found
    # a row without a time is kept, to be refused (or skipped as blank) as before
    return np.flatnonzero(np.append(keep, True)[codes]), [note]


ID_JOIN = "/"  # joins the cells of several id columns into one series id: "2/101"


def _marked_notes(columns: list[pd.Series]) -> list[str]:
    """One note for the value columns' cells below a limit (``<1``) or with flags."""
    return marked_note([col.attrs.get("marked") or marked_cells(col) for col in columns])


def _joined_ids(parts: list[pd.Series], skip_blank: bool = False) -> pd.Series:
    """The series id of each row: one column's cells, or several columns' joined by
    :data:`ID_JOIN` (empty where any of them is empty; with ``skip_blank``, the filled ones
    joined, empty where all are)."""
    if len(parts) == 1:
        return parts[0]
    text = [p.astype(object).where(p.notna(), None) for p in parts]
    if skip_blank:
        cells = pd.concat([t.astype(str).str.strip().where(t.notna(), "") for t in text], axis=1)
        joined = cells.apply(lambda row: ID_JOIN.join(c for c in row if c), axis=1)
        return joined.where(joined != "", None)
    empty = np.logical_or.reduce([t.isna().to_numpy() for t in text])
    joined = (
        text[0]
        .astype(str)
        .str.strip()
        .str.cat([t.astype(str).str.strip() for t in text[1:]], sep=ID_JOIN)
    )
    return joined.where(~empty, None)
