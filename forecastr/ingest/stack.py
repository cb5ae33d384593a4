"""From rows to series: every series' points back to back, in time order within each.

A long file gives each row's series by its id: :func:`stack_long` encodes the ids and sorts
the rows by (series, time). A wide file gives one series per column: :func:`stack_wide` sorts
the rows by time and stacks the columns, each trimmed of its leading and trailing empty cells
(the series starts later / ends earlier). Either way the result's :class:`Where` gives the line
of each point. A year-by-month table's rows are first melted (:func:`melt`) into one value per
row and month, then stacked as a long file (a column names the rows) or a single series.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from forecastr.errors import InputError, shown
from forecastr.ingest.matrix import HOURS, hour_offsets
from forecastr.ingest.rows import Rows
from forecastr.ingest.spelling import Spelling
from forecastr.ingest.where import Where

PERIOD_TEMPLATES = {12: "{Y}-{m02}", 4: "{Y}Q{q}"}  # a year-by-period table's forecast stamps


class Stacked(NamedTuple):
    """Every point of every series, series after series, each sorted by time."""

    y: np.ndarray  # (N,) float64 values; NaN: an empty cell
    ds: np.ndarray  # (N,) datetime64[ns], or int64 steps
    ids: list[str]  # (S,) series ids
    offsets: np.ndarray  # (S + 1,) int64: series i is [offsets[i], offsets[i + 1])
    where: Where  # the line of each point


def stack_long(rows: Rows, id_col: str | None) -> Stacked:
    """A long file's rows as series: ids encoded, rows sorted by (series, time)."""
    assert rows.ids is not None  # the caller stacks rows without ids as a wide file
    if rows.ids.isna().any():
        k = int(np.flatnonzero(rows.ids.isna().to_numpy())[0])
        raise InputError(
            f"{rows.where.file}: empty series id in column {shown(id_col)} at line "
            f"{rows.where.line(k)}; every row needs one"
        )
    codes, ids = _encode_ids(rows.ids)
    y, ds = rows.values[0], rows.ds
    # Sort by (series, time), unless the file already is (the common case: no copy then).
    order = _sort_order(codes, ds)
    where = rows.where
    if order is not None:
        codes, ds, y = codes[order], ds[order], y[order]
        where = where.via(lambda k: int(order[k]))
    ids, offsets = _offsets(codes, ids)
    return Stacked(y, ds, ids, offsets, where)


def stack_wide(rows: Rows, targets: tuple[str, ...]) -> Stacked:
    """A wide (or single) file's columns as series, each trimmed of its leading and trailing
    empty cells (the series starts later / ends earlier)."""
    values, row_order = rows.values, _time_order(rows.ds)  # e.g. newest first: sorted once
    ds = rows.ds if row_order is None else rows.ds[row_order]
    keep = _ragged_keep(values, row_order)  # (S, rows) in time order
    offsets = np.concatenate([[0], np.cumsum(keep.sum(axis=1))]).astype(np.int64)
    if row_order is None and keep.all():  # the common case: one series is not even copied
        y = np.concatenate(values) if len(values) > 1 else values[0]
    else:  # series by series: one sorted column at a time besides the result
        y = np.empty(int(offsets[-1]))
        for i, v in enumerate(values):
            y[offsets[i] : offsets[i + 1]] = (v if row_order is None else v[row_order])[keep[i]]
    if keep.all():
        ds = np.tile(ds, len(values)) if len(values) > 1 else ds
    else:
        ds = np.concatenate([ds[m] for m in keep])

    def row(k: int) -> int:  # k: index into the stacked series -> row of the file
        i = int(np.searchsorted(offsets, k, side="right") - 1)
        r = int(np.flatnonzero(keep[i])[k - offsets[i]])
        return r if row_order is None else int(row_order[r])

    return Stacked(y, ds, list(targets), offsets, rows.where.via(row))


def _ragged_keep(values: list[np.ndarray], row_order: np.ndarray | None) -> np.ndarray:
    """(S, rows) bool, in time order: the cells from each series' first value to its last."""
    valid = np.stack([~np.isnan(v) for v in values])  # (S, rows) in file order
    if row_order is not None:
        valid = valid[:, row_order]
    keep = np.logical_or.accumulate(valid, axis=1)
    keep &= np.logical_or.accumulate(valid[:, ::-1], axis=1)[:, ::-1]
    return keep


def _time_order(ds: np.ndarray) -> np.ndarray | None:
    """The permutation that sorts ``ds`` (stable); None if it already is sorted."""
    t = ds.view(np.int64)
    if len(t) > 1 and not (t[1:] >= t[:-1]).all():
        return np.argsort(t, kind="stable")
    return None


def _offsets(codes: np.ndarray, ids: list[str]) -> tuple[list[str], np.ndarray]:
    """(ids of the series that have points, their (S + 1,) offsets) for points sorted by
    series code."""
    counts = np.bincount(codes, minlength=len(ids))
    present = counts > 0
    if not present.all():  # categories with no rows (only possible for categorical input)
        ids = [s for s, p in zip(ids, present, strict=True) if p]
        counts = counts[present]
    return ids, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def _encode_ids(ids_raw: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes (the narrowest int type) and id strings; first appearance order for CSV."""
    if isinstance(ids_raw.dtype, pd.CategoricalDtype):
        cat = ids_raw.array
        codes = np.asarray(cat.codes)
        ids = [str(c) for c in cat.categories]
    else:
        codes, uniques = pd.factorize(ids_raw, sort=False)
        ids = [str(c) for c in uniques]
    if len(set(ids)) != len(ids):  # e.g. 1 and "1" in a notebook frame
        codes, uniq = pd.factorize(np.asarray(ids, dtype=object)[codes], sort=False)
        ids = [str(c) for c in uniq]
    return codes, ids


def _sort_order(codes: np.ndarray, ds: np.ndarray) -> np.ndarray | None:
    """Permutation sorting by (series, time), stable; None if already sorted."""
    if len(codes) < 2:
        return None
    t = ds.view(np.int64)
    if _is_sorted(codes, t):
        return None
    # One int64 key (series * span + time step) sorts faster than a two-key lexsort.
    lo = int(t.min())
    if int(t.max()) - lo >= 2**62:  # dates centuries apart: t - lo would not fit int64
        return np.lexsort((t, codes))
    rel = t - lo
    g = int(np.gcd.reduce(rel)) or 1
    span = int(rel.max()) // g + 1
    n_codes = int(codes.max()) + 1
    if span * n_codes < 2**62:
        key = codes.astype(np.int64) * span + rel // g
        del rel
        return np.argsort(key, kind="stable")
    return np.lexsort((t, codes))


def _is_sorted(codes: np.ndarray, t: np.ndarray, chunk: int = 1 << 20) -> bool:
    """(codes, t) lexicographically non-decreasing; in chunks, so temporaries stay small."""
    for a in range(0, len(codes) - 1, chunk):
        c = codes[a : a + chunk + 1]
        u = t[a : a + chunk + 1]  # compared, not subtracted: differences may overflow int64
        if not ((c[1:] > c[:-1]) | ((c[1:] == c[:-1]) & (u[1:] >= u[:-1]))).all():
            return False
    return True


def melt(rows: Rows, names: tuple[str, ...]) -> Rows:
    """One value per (row, period column ``names``), in time order within each row: a row's
    year and the period's position give its date (the first of the month or quarter), or a
    day-by-hour table's row date and the hour column its hour. Each series (each id's rows;
    all rows without ids) keeps its cells from its first value to its last, as a wide file's
    columns do: the months of a year not yet published are not filled in. A year's months
    (quarters) are forecast as ``2020-01`` (``2020Q1``), periods as the table names them."""
    periods = len(names)
    n = len(rows.ds)
    y = np.stack(rows.values, axis=1).ravel()  # row by row: Jan .. Dec of each year
    if periods == HOURS:  # hours since 1970 of each value
        days = rows.ds.astype("datetime64[D]").astype(np.int64) * 24
        months, unit = (days[:, None] + hour_offsets(names)[None, :]).ravel(), "datetime64[h]"
    else:
        month = np.tile(np.arange(periods) * (12 // periods), n)  # 0-based month of each value
        months = (np.repeat(_years(rows.ds), periods) - 1970) * 12 + month
        unit = "datetime64[M]"
    row_of = np.repeat(np.arange(n), periods)
    group = pd.factorize(rows.ids)[0][row_of] if rows.ids is not None else np.zeros_like(row_of)
    order = np.lexsort((months, group))
    keep = np.empty(len(y), dtype=bool)
    keep[order] = _first_to_last(~np.isnan(y[order]), group[order])
    row_of = row_of[keep]
    ids = rows.ids.iloc[row_of].reset_index(drop=True) if rows.ids is not None else None
    where = rows.where.via(lambda k: int(row_of[k]))
    ds = months[keep].astype(unit).astype("datetime64[ns]")
    spelling = None if periods == HOURS else Spelling(PERIOD_TEMPLATES[periods])
    return rows._replace(values=[y[keep]], ds=ds, ids=ids, where=where, spelling=spelling)


def _years(ds: np.ndarray) -> np.ndarray:
    """The year of each row: whole-number steps are years, dates give theirs."""
    if np.issubdtype(ds.dtype, np.datetime64):
        return ds.astype("datetime64[Y]").astype(np.int64) + 1970
    return ds.astype(np.int64)


def melt_pivot(rows: Rows, dates: np.ndarray, spelling: Spelling | None = None) -> Rows:
    """A pivot table's rows as long rows: each row's cells from its first value to its last
    (in date order; the empty cells between them are gaps), each with its column's date. Rows
    without any value are left out, with a note. ``spelling``: how the columns' names wrote
    their dates."""
    order = np.argsort(dates, kind="stable")
    mat = np.stack(rows.values, axis=1)[:, order]  # (rows, dates), in date order
    group = np.repeat(np.arange(len(mat)), mat.shape[1])
    keep = _first_to_last(~np.isnan(mat).ravel(), group).reshape(mat.shape)
    if not keep.any():
        raise InputError(f"{rows.where.file}: no row holds a value; fill in the table")
    row_of, col_of = np.nonzero(keep)  # row-major: each row's dates in order
    ids = rows.ids.iloc[row_of].reset_index(drop=True) if rows.ids is not None else None
    notes = list(rows.notes)
    empty = int((~keep.any(axis=1)).sum())
    if empty:
        notes.append(f"{empty} row{'s' if empty > 1 else ''} without any value left out")
    where = rows.where.via(lambda k: int(row_of[k]))
    ds = dates[order][col_of]  # datetime64[ns], or int64 steps for numbered columns
    return rows._replace(
        values=[mat[keep]], ds=ds, notes=notes, ids=ids, where=where, spelling=spelling
    )


def _first_to_last(filled: np.ndarray, group: np.ndarray) -> np.ndarray:
    """(N,) bool for points sorted by group, then time: the points from each group's first
    filled one to its last (none for a group with no value)."""
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.r_[starts, len(group)])
    upto = np.cumsum(filled)  # filled points up to each one, itself included
    seen = upto - np.repeat(upto[starts] - filled[starts], sizes)  # ... within its group
    total = np.repeat(seen[starts + sizes - 1], sizes)
    return (seen > 0) & (total - seen + filled > 0)
