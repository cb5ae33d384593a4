"""CSV ingest: read a file into a validated, regular, gap-free :class:`Panel`.

Three layouts are understood, detected from the header (flags override):

* **long**: one row per (series, time): an id column, a time column and a value column.
  Recognised by an id column named like ``unique_id``/``id``/``series``, forced by ``id_col``,
  or, failing both, by the one column besides the time column that holds text.
* **wide**: a time column and one numeric column per series. Leading and trailing empty cells
  mean a series starts later / ends earlier (ragged starts).
* **single**: a time column and one value column (or ``target`` names the value column).

The time column is the one named ``ds``/``date``/``time``/``timestamp``/... or else the first
column. It may hold dates (ISO 8601 or any format pandas parses; zone-aware stamps become naive
UTC) or a plain integer step index. Dates like ``01/02/2020`` are ambiguous: the order
(day/month or month/day) that makes every field valid wins; if both are valid, the order that
gives the more regular series wins, then month/day for ``/`` and day/month for ``.``; the
choice is recorded in ``Panel.notes``.

Reading is done by pyarrow (multi-threaded, values straight to float64, ids dictionary-encoded)
where it is installed, else by pandas' C parser, with the same results and messages. The
separator (``,``, ``;``, tab or ``|``), a UTF-8 BOM, UTF-16, Windows-1252 text, ``.gz`` and
``.bz2`` compression, decimal commas in ``;``-separated files, spaces around numbers, blank
lines and fully empty rows are handled. Every problem is an :class:`InputError` whose one-line
message names the file, the line and column at fault, and the fix.

This module holds the entry points and the frame-to-panel orchestration; the steps live in
:mod:`forecastr.csvread` (file checks, sniffing, reading, bad-line locating),
:mod:`forecastr.layout` (which column is what), :mod:`forecastr.timeaxis` (time parsing and
frequency grids) and :mod:`forecastr.gaps` (the full grid and gap filling).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from forecastr.csvread import (
    NULL_VALUES,
    LineFinder,
    LineOf,
    open_source,
    read_columns,
    release_arrow_memory,
    to_float,
)
from forecastr.errors import InputError, shown
from forecastr.gaps import MAX_INFERRED_FILL, fill_panel
from forecastr.layout import ID_NAMES, TARGET_NAMES, TIME_NAMES, detect_layout
from forecastr.panel import Panel
from forecastr.timeaxis import (
    check_alias,
    check_duplicates,
    grid_positions,
    infer_freq,
    infer_int_step,
    int_positions,
    parse_time,
)

__all__ = [
    "ID_NAMES",
    "MAX_INFERRED_FILL",
    "NULL_VALUES",
    "TARGET_NAMES",
    "TIME_NAMES",
    "FillMethod",
    "IngestOptions",
    "Layout",
    "LineOf",
    "describe",
    "fill_warning",
    "frame_to_panel",
    "load_csv",
]

FillMethod = Literal["interpolate", "ffill", "zero", "error"]
Layout = Literal["auto", "long", "wide", "single"]


@dataclass(frozen=True)
class IngestOptions:
    """How to read a CSV. Every field defaults to automatic detection."""

    id_col: str | None = None  # long format: the series id column
    time_col: str | None = None  # the timestamp / step column
    target: str | None = None  # the value column (long or single); wide: all other columns
    freq: str | None = None  # pandas offset alias; None: inferred
    fill: FillMethod = "interpolate"  # what to do with missing timestamps and empty values
    layout: Layout = "auto"


def load_csv(path: str | os.PathLike, options: IngestOptions | None = None) -> Panel:
    """Read ``path`` into a :class:`Panel`.

    Raises:
        InputError: for any problem with the file, with a one-line message.
    """
    options = options or IngestOptions()
    path = os.fspath(path)
    src = open_source(path)
    layout, id_col, time_col, targets = detect_layout(src, options)
    columns = read_columns(src, id_col, time_col, targets)
    if len(columns[time_col]) == 0:
        raise InputError(
            f"{path}: has a header but no data rows; add rows of data below the header"
        )
    # The callee empties the dict as it converts each column, so no second copy of the data
    # stays alive here.
    panel = _columns_to_panel(
        columns,
        layout=layout,
        id_col=id_col,
        time_col=time_col,
        targets=targets,
        freq=options.freq,
        fill=options.fill,
        source=path,
        line_of=LineFinder(src),
    )
    release_arrow_memory()
    return panel


def _frame_lines(rows: Sequence[int]) -> list[int]:
    """Default line numbers for a DataFrame: as if written by ``to_csv(index=False)``."""
    return [int(r) + 2 for r in rows]


# ---------------------------------------------------------------------------------------------
# frame -> panel


def frame_to_panel(
    frame: pd.DataFrame,
    *,
    layout: str,
    id_col: str | None,
    time_col: str,
    targets: list[str],
    freq: str | None = None,
    fill: FillMethod = "interpolate",
    source: str = "<data>",
    line_of: LineOf | None = None,
) -> Panel:
    """Validate a DataFrame and turn it into a regular, gap-free :class:`Panel`.

    Works on frames from :func:`load_csv` and on frames built in Python (a notebook); the frame
    is not modified.

    Args:
        frame: the data, one row per CSV row.
        layout: ``"long"``, ``"wide"`` or ``"single"``.
        id_col: the series id column (long layout only).
        time_col: the time column (dates or whole-number steps).
        targets: the value column (long/single) or one column per series (wide).
        freq: pandas offset alias, or a whole-number step for an integer index; None infers it.
        fill: how to fill missing timestamps and empty values (``"error"`` refuses them).
        source: the file name used in messages.
        line_of: maps 0-based row numbers of ``frame`` to line numbers for messages
            (default: row + 2, as in a CSV with one header line).
    """
    if len(frame) == 0:
        raise InputError(f"{source}: has no data rows")
    used = [id_col if layout == "long" else None, time_col, *targets]
    return _columns_to_panel(
        {c: frame[c] for c in dict.fromkeys(used) if c is not None},
        layout=layout,
        id_col=id_col,
        time_col=time_col,
        targets=targets,
        freq=freq,
        fill=fill,
        source=source,
        line_of=line_of,
    )


def _columns_to_panel(
    data: dict[str, pd.Series],
    *,
    layout: str,
    id_col: str | None,
    time_col: str,
    targets: list[str],
    freq: str | None,
    fill: FillMethod,
    source: str,
    line_of: LineOf | None,
) -> Panel:
    """:func:`frame_to_panel` on a dict of columns, which it empties as it goes."""
    line_of = line_of or _frame_lines
    columns = {"id": id_col, "time": time_col, "target": list(targets)}
    values = [_numeric(data.pop(c), c, source, line_of) for c in targets]
    time = data.pop(time_col)
    ids_raw = data.pop(id_col) if layout == "long" and id_col is not None else None
    data.clear()

    # Rows with every used cell empty (a trailing ",,," line from a spreadsheet) are skipped.
    blank = time.isna().to_numpy() & np.logical_and.reduce([np.isnan(v) for v in values])
    if ids_raw is not None:
        blank &= ids_raw.isna().to_numpy()
    rows: np.ndarray | None = None  # original row of each kept row; None: all rows, in order
    if blank.any():
        rows = np.flatnonzero(~blank)
        if len(rows) == 0:
            raise InputError(f"{source}: has a header but no data rows")
        values = [v[rows] for v in values]
        time = time.iloc[rows]
        ids_raw = ids_raw.iloc[rows] if ids_raw is not None else None

    def row_line(k: int) -> int:  # k: index into the kept rows
        return line_of([k if rows is None else int(rows[k])])[0]

    for col, arr in zip(targets, values, strict=True):
        if np.isnan(arr).all():
            raise InputError(
                f"{source}: column {shown(col)} is entirely empty; drop it or choose another "
                "column with --target"
            )
        inf = np.isinf(arr)
        if inf.any():
            raise InputError(
                f"{source}: infinite value in column {shown(col)} at line "
                f"{row_line(int(np.flatnonzero(inf)[0]))}; replace it with a number or leave "
                "the cell empty"
            )
        _check_not_huge(arr, col, source, row_line)

    ds, is_int, notes = parse_time(time, time_col, source, row_line)
    del time
    release_arrow_memory()

    if ids_raw is not None:
        if ids_raw.isna().any():
            k = int(np.flatnonzero(ids_raw.isna().to_numpy())[0])
            raise InputError(
                f"{source}: empty series id in column {shown(id_col)} at line {row_line(k)}; "
                "every row needs one"
            )
        codes, ids = _encode_ids(ids_raw)
        del ids_raw
        y = values[0]
        del values
        # Sort by (series, time), unless the file already is (the common case: no copy then).
        order = _sort_order(codes, ds)
        if order is not None:
            codes, ds, y = codes[order], ds[order], y[order]

        def point_line(k: int) -> int:  # k: index into the sorted points
            return row_line(k if order is None else int(order[k]))

    else:
        ids = list(targets)
        row_order = None
        t = ds.view(np.int64)
        if len(t) > 1 and not (t[1:] >= t[:-1]).all():  # e.g. newest first: sort the rows once
            row_order = np.argsort(t, kind="stable")
            ds = ds[row_order]
            values = [v[row_order] for v in values]
        # Leading and trailing empty cells: the series starts later / ends earlier (ragged).
        valid = np.stack([~np.isnan(v) for v in values])  # (S, rows)
        keep = np.logical_or.accumulate(valid, axis=1)
        keep &= np.logical_or.accumulate(valid[:, ::-1], axis=1)[:, ::-1]
        del valid
        if keep.all():
            y = np.concatenate(values) if len(values) > 1 else values[0]
            ds = np.tile(ds, len(values)) if len(values) > 1 else ds
        else:
            y = np.concatenate([v[m] for v, m in zip(values, keep, strict=True)])
            ds = np.concatenate([ds[m] for m in keep])
        del values
        codes = np.repeat(np.arange(len(ids), dtype=np.int32), keep.sum(axis=1))
        wide_offsets = np.concatenate([[0], np.cumsum(keep.sum(axis=1))])

        def point_line(k: int) -> int:  # k: index into the concatenated series
            i = int(np.searchsorted(wide_offsets, k, side="right") - 1)
            r = int(np.flatnonzero(keep[i])[k - wide_offsets[i]])
            return row_line(r if row_order is None else int(row_order[r]))

    counts = np.bincount(codes, minlength=len(ids))
    present_mask = counts > 0
    if not present_mask.all():  # categories with no rows (only possible for categorical input)
        remap = np.cumsum(present_mask) - 1
        codes = remap[codes]
        ids = [s for s, p in zip(ids, present_mask, strict=True) if p]
        counts = counts[present_mask]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    del codes
    release_arrow_memory()

    if layout == "long":
        valid = np.add.reduceat(~np.isnan(y), offsets[:-1]) if len(y) else np.zeros(0)
        if (valid == 0).any():
            i = int(np.flatnonzero(valid == 0)[0])
            raise InputError(
                f"{source}: series {shown(ids[i])} has no values (every {shown(targets[0])} cell "
                f"is empty, e.g. line {point_line(int(offsets[i]))}); drop its rows"
            )

    _check_not_tiny(y, offsets, ids, source, point_line)
    check_duplicates(ds, offsets, point_line, ids, is_int, source, time_col, layout)

    step = 1
    inferred = freq is None
    if is_int:
        step = infer_int_step(ds, offsets, freq, source)
        freq_alias = None
        pos = int_positions(ds, offsets, step, source, point_line, time_col)
    elif freq is None:
        freq_alias, pos = infer_freq(ds, offsets, source, point_line)
    else:
        freq_alias = check_alias(freq, source)
        pos = grid_positions(ds, offsets, freq_alias, source, ids, point_line)

    # Handed over in a dict that fill_panel empties, so the inputs are freed once the full grid
    # is built (no extra copy of the data at the peak).
    arrays = {"y": y, "ds": ds, "pos": pos}
    del y, ds, pos
    return fill_panel(
        arrays,
        ids=ids,
        offsets=offsets,
        freq=freq_alias,
        step=step,
        fill=fill,
        layout=layout,
        columns=columns,
        source=source,
        is_int=is_int,
        inferred=inferred,
        point_line=point_line,
        notes=tuple(notes),
    )


# The model computes in 32-bit floats (largest 3.4e38, smallest normal 1.2e-38): values must
# fit with room to spare for forecasts beyond the history and for the scaling, or they would
# overflow to inf or vanish to 0 there. Beyond these sizes ingest refuses them, naming the
# power of ten to rescale by.
MAX_VALUE = 1e30
MIN_SERIES_SIZE = 1e-30


def _check_not_huge(arr: np.ndarray, col: str, source: str, row_line) -> None:
    """Refuse a value column whose values reach past :data:`MAX_VALUE` in size."""
    with np.errstate(invalid="ignore"):
        big = np.abs(arr) > MAX_VALUE  # NaN (an empty cell) compares False
    if big.any():
        k = int(np.flatnonzero(big)[0])
        top = float(np.nanmax(np.abs(arr)))
        raise InputError(
            f"{source}: value {arr[k]:.3g} in column {shown(col)} at line {row_line(k)} is too "
            f"large: forecastr computes in 32-bit floats and takes values up to {MAX_VALUE:.0e} "
            f"in size (here up to {top:.3g}); divide the column by 1e+{_decade(top)} and "
            "multiply the forecasts back"
        )


def _check_not_tiny(y: np.ndarray, offsets: np.ndarray, ids, source: str, point_line) -> None:
    """Refuse a series whose values are all below :data:`MIN_SERIES_SIZE` in size (zeros
    aside): in 32-bit floats they would all be 0."""
    top = np.fmax.reduceat(np.abs(y), offsets[:-1])  # (S,) NaN for a series of empty cells
    tiny = (top > 0) & (top < MIN_SERIES_SIZE)
    if tiny.any():
        i = int(np.flatnonzero(tiny)[0])
        seg = np.abs(y[offsets[i] : offsets[i + 1]])
        k = int(offsets[i]) + int(np.nanargmax(seg))
        raise InputError(
            f"{source}: series {shown(ids[i])} holds only values below {MIN_SERIES_SIZE:.0e} in "
            f"size (the largest is {top[i]:.3g}, line {point_line(k)}): forecastr computes in "
            f"32-bit floats, where they would be 0; multiply the values by "
            f"1e+{-_decade(float(top[i]))} and divide the forecasts back"
        )


def _decade(value: float) -> int:
    """The power of ten of ``value``: 3 for 1234.5, -300 for 2e-300."""
    return int(np.floor(np.log10(value)))


def _numeric(col: pd.Series, name: str, source: str, line_of: LineOf) -> np.ndarray:
    """A value column as float64 (a new array when conversion is needed; never in place)."""
    if pd.api.types.is_bool_dtype(col.dtype):
        raise InputError(f"{source}: column {shown(name)} holds true/false values, not numbers")
    if col.dtype == np.float64:
        return col.to_numpy()  # NaN already marks empty cells: no copy
    if pd.api.types.is_numeric_dtype(col.dtype):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    return to_float(col, name, source, line_of, allow_decimal_comma=False)


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


def describe(panel: Panel) -> dict:
    """What ingest understood, as a JSON-ready dict (the ``info`` command)."""
    lengths = panel.lengths
    is_int = panel.freq is None
    first = panel.ds[panel.offsets[:-1]]
    last = panel.ds[panel.offsets[1:] - 1]
    fmt = (lambda v: int(v)) if is_int else (lambda v: str(pd.Timestamp(v)))
    return {
        "file": panel.source,
        "layout": panel.layout,
        "columns": panel.columns,
        "series": panel.n_series,
        "points": int(lengths.sum()),
        "length": {
            "min": int(lengths.min()),
            "median": float(np.median(lengths)),
            "max": int(lengths.max()),
        },
        "frequency": panel.freq if not is_int else f"integer step {panel.step}",
        "start": fmt(first.min()),
        "end": fmt(last.max()),
        "filled_points": panel.filled_points,
        "filled_series": panel.filled_series,
        "ids_sample": panel.ids[:10],
        "notes": list(panel.notes),
    }


def fill_warning(panel: Panel) -> str | None:
    """The one warning line about gap filling, or None when nothing was filled."""
    if not panel.filled_points:
        return None
    how = _FILL_WORDS.get(panel.fill, panel.fill)
    return (
        f"filled {panel.filled_points} missing point(s) in {panel.filled_series} series "
        f"{how} (--fill {panel.fill}); use --fill error to refuse gaps"
    )


_FILL_WORDS = {
    "interpolate": "by linear interpolation",
    "ffill": "with the last value before each gap",
    "zero": "with zeros",
}
