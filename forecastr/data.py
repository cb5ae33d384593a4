"""CSV ingest: read a file into a validated, regular, gap-free :class:`Panel`.

Five layouts are understood, detected from the header (flags override):

* **long**: one row per (series, time): an id column, a time column and a value column.
  Recognised by an id column named like ``unique_id``/``id``/``series``, forced by ``id_col``,
  or, failing both, by the one column besides the time column that holds text.
* **wide**: a time column and one numeric column per series. Leading and trailing empty cells
  mean a series starts later / ends earlier (ragged starts).
* **single**: a time column and one value column (or ``target`` names the value column).
* **matrix**: a column of years and one column per month (or quarter), read month by month
  (:mod:`forecastr.ingest.matrix`); an id column makes one series per id.
* **pivot**: one row per series and one column per date or year (:mod:`forecastr.ingest.pivot`).

The time column is the one named ``ds``/``date``/``time``/``timestamp``/... or else the first
column, or a timestamp split over ``year``/``month``/``day``/``hour`` columns
(:mod:`forecastr.ingest.timeparts`), or in a file of one column the row number. It may hold
dates (ISO 8601 or any format pandas parses; zone-aware stamps become naive UTC) or a plain
integer step index. Dates like ``01/02/2020`` are ambiguous: the order
(day/month or month/day) that makes every field valid wins; if both are valid, the order that
gives the more regular series wins, then month/day for ``/`` and day/month for ``.``; the
choice is recorded in ``Panel.notes``.

Reading is done by pyarrow (multi-threaded, values straight to float64, ids dictionary-encoded)
where it is installed, else by pandas' C parser, with the same results and messages. The
separator (``,``, ``;``, tab or ``|``), a UTF-8 BOM, UTF-16, Windows-1252 text, gzip, bz2 and
xz compression (known by the first bytes, whatever the name), decimal commas in
``;``-separated files, spaces around numbers, blank lines and fully empty rows are handled.
Every problem is an :class:`InputError` whose one-line message names the file, the line and
column at fault, and the fix.

This module holds the entry points and the orchestration; the steps live in
:mod:`forecastr.ingest` (one module per step, in the order a file meets them).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd

from forecastr.config import INGEST, FillMethod, Layout
from forecastr.errors import InputError, SeriesKeyError, shown
from forecastr.ingest import parquetin, sentinels
from forecastr.ingest.aggregate import aggregate as aggregate_rows
from forecastr.ingest.aggregate import filled_cells
from forecastr.ingest.arrowread import release_arrow_memory
from forecastr.ingest.badlines import LineFinder
from forecastr.ingest.cells import NULL_VALUES
from forecastr.ingest.clock import is_pair
from forecastr.ingest.csvread import read_columns
from forecastr.ingest.eventlog import ROWS
from forecastr.ingest.gaps import (
    MAX_INFERRED_FILL,
    check_gaps,
    check_no_empty_values,
    fill_missing,
    full_stamps,
    grid_lengths,
    spread,
)
from forecastr.ingest.keys import is_key_name
from forecastr.ingest.layout import (
    ID_NAMES,
    TARGET_NAMES,
    TIME_NAMES,
    ColumnRoles,
    detect_layout,
)
from forecastr.ingest.matrix import MATRIX_SERIES
from forecastr.ingest.monthly import monthly_rows
from forecastr.ingest.options import IngestOptions
from forecastr.ingest.pivot import pivot_dates
from forecastr.ingest.repeats import drop_copies, merge_clock_changes
from forecastr.ingest.rows import read_rows
from forecastr.ingest.sniff import Source, open_source
from forecastr.ingest.spelling import cycle_times, spelled
from forecastr.ingest.stack import melt, melt_pivot, stack_long, stack_wide
from forecastr.ingest.textcols import constant_columns
from forecastr.ingest.timeaxis import Grid, check_duplicates, place_on_grid
from forecastr.ingest.timeparts import JOIN, split_name
from forecastr.ingest.timerange import stamp_pattern
from forecastr.ingest.values import (
    MAX_VALUE,
    MIN_SERIES_SIZE,
    check_not_tiny,
    check_series_have_values,
)
from forecastr.ingest.where import LineOf, Where
from forecastr.ingest.zeros import placeholder_zeros
from forecastr.panel import Panel

__all__ = [
    "ID_NAMES",
    "MAX_INFERRED_FILL",
    "MAX_VALUE",
    "MIN_SERIES_SIZE",
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


def load_csv(path: str | os.PathLike, options: IngestOptions | None = None) -> Panel:
    """Read ``path`` into a :class:`Panel` (a CSV file, or a Parquet file read as the CSV
    table it holds: :mod:`~forecastr.ingest.parquetin`).

    Raises:
        InputError: for any problem with the file, with a one-line message.
    """
    options = options or IngestOptions()
    path = os.fspath(path)
    if parquetin.is_parquet(path):
        with parquetin.as_csv(path) as csv:
            try:
                return replace(load_csv(csv, options), source=path)
            except InputError as err:
                raise InputError(parquetin.message(str(err), csv, path)) from None
    src = open_source(path)
    roles = _layout(src, options)
    where = Where(path, LineFinder(src))

    def build(used: ColumnRoles) -> Panel:
        read_notes: list[str] = []  # on the reading itself (rows shorter than the header)

        def read() -> dict[str, pd.Series]:
            counted = options.aggregate == "count"  # any column's filled cells are counted
            alone = used.targets == (ROWS,) and ROWS not in src.header  # a file of times alone
            columns, notes = _file_columns(
                src, replace(used, targets=()) if alone else used, counted
            )
            if alone:  # each row one event
                columns[ROWS] = pd.Series(np.ones(len(columns[used.time_col])))
            read_notes.extend(notes)
            if counted:
                columns = filled_cells(columns, used.targets)
            if used.layout in ("long", "wide", "single") and options.fill_method != "error":
                read_notes.extend(sentinels.read_missing(columns, used.targets))
            return columns

        panel = _build_panel(
            read, used, options.freq, options.fill_method, where, aggregate=options.aggregate
        )
        release_arrow_memory()
        notes = (*src.notes, *read_notes)
        return replace(panel, notes=(*notes, *panel.notes)) if notes else panel

    try:
        return build(roles)
    except SeriesKeyError as err:  # the id read does not tell the series apart
        release_arrow_memory()
        for keyed in _rekeyed(src, roles, options, err):
            try:
                return build(keyed)
            except SeriesKeyError:
                release_arrow_memory()
        raise err from None


def _layout(src: Source, options: IngestOptions) -> ColumnRoles:
    """:func:`detect_layout`; a log counted with no column named to count says how to name
    one."""
    try:
        return detect_layout(src, options)
    except InputError as err:
        if options.aggregate != "count" or options.target is not None or len(src.header) == 1:
            raise  # a file of one column has no other column to name
        raise InputError(
            f"{err}; with --aggregate count, --target names the column whose filled cells are "
            "counted (any column, text too)"
        ) from None


def _rekeyed(
    src: Source, roles: ColumnRoles, options: IngestOptions, err: SeriesKeyError
) -> list[ColumnRoles]:
    """The roles to try, in turn, after ``err`` showed that the id read does not tell the
    series apart: the columns named like keys (:func:`~forecastr.ingest.keys.is_key_name`) as
    the series id; else the text the file's first series fills in every row (a file sorted by
    series), its first such column alone first (a country's name before its code, which may
    be blank for a region: ``Entity,Code,Day,cases``), then all of them. Nothing to try when
    the user named the id (or a layout without one) or no such column is left."""
    if options.id_col or options.layout not in ("auto", "long"):
        return []
    kept = [] if err.single else roles.id_cols  # a row number is no part of a key
    taken = {*kept, *roles.time_cols, options.target}
    found = [h for h in src.header if h not in taken and is_key_name(h)]
    if found:
        return [_keyed(src, roles, options, err, [*kept, *found])]
    rest = [h for h in src.header if h not in taken]
    found = constant_columns(src.sample, rest)
    tries = [found[:1], found] if len(found) > 1 else [found] if found else []
    return [_keyed(src, roles, options, err, [*kept, *cols]) for cols in tries]


def _keyed(
    src: Source, roles: ColumnRoles, options: IngestOptions, err: SeriesKeyError, parts: list
) -> ColumnRoles:
    """The roles with ``parts`` as the series id, and a note saying why."""
    keyed = detect_layout(src, replace(options, id_col=JOIN.join(parts), layout="long"))
    why = "one point per series" if err.single else "timestamps repeat within a series"
    note = (
        f"series told apart by {' and '.join(shown(p) for p in parts)} ({why} otherwise); "
        f"--id-col {shown(JOIN.join(parts), quote=False)} names them"
    )
    return replace(keyed, notes=(*keyed.notes, note))


def _file_columns(
    src: Source, roles: ColumnRoles, counted: bool = False
) -> tuple[dict[str, pd.Series], tuple[str, ...]]:
    """The used columns of the file (the values as text where ``counted``), and notes on
    reading them; a header with no rows below it is refused."""
    columns, notes = read_columns(src, roles, counted)
    if len(columns[roles.used[0]]) == 0:
        raise InputError(
            f"{src.path}: has a header but no data rows; add rows of data below the header"
        )
    return columns, notes


def frame_to_panel(
    frame: pd.DataFrame,
    *,
    layout: Layout,
    id_col: str | None,
    time_col: str,
    targets: list[str],
    freq: str | None = None,
    fill: FillMethod | None = None,
    source: str = "<data>",
    line_of: LineOf | None = None,
    aggregate: str | None = None,
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
        fill: how to fill missing timestamps and empty values (``"error"`` refuses them);
            None: the default (``config.INGEST.fill_for(aggregate)``).
        source: the file name used in messages.
        line_of: maps 0-based row numbers of ``frame`` to line numbers for messages
            (default: row + 2, as in a CSV with one header line).
        aggregate: how the rows of one period (``freq``) of a series become one value
            (``sum``, ``count``, ``mean``, ``min``, ``max``, ``last``); None: each row is one.
    """
    if len(frame) == 0:
        raise InputError(f"{source}: has no data rows")
    names = [str(c) for c in frame.columns]
    parts = split_name(time_col, names) or ()
    id_parts = (split_name(id_col, names) or ()) if id_col else ()
    of_day = is_pair(parts, frame.head(200))  # a date and its time of day (Date+Time)
    roles = ColumnRoles(layout, id_col, time_col, tuple(targets), parts, (), id_parts, of_day)
    where = Where(source, line_of or _frame_lines)

    def read() -> dict[str, pd.Series]:
        columns = {c: frame[c] for c in roles.used}
        return filled_cells(columns, roles.targets) if aggregate == "count" else columns

    fill = fill if fill is not None else INGEST.fill_for(aggregate)
    return _build_panel(read, roles, freq, fill, where, aggregate=aggregate)


def _frame_lines(rows: Sequence[int]) -> list[int]:
    """Default line numbers for a DataFrame: as if written by ``to_csv(index=False)``."""
    return [int(r) + 2 for r in rows]


def _build_panel(
    read: Callable[[], Mapping[str, pd.Series]],
    roles: ColumnRoles,
    freq: str | None,
    fill: FillMethod,
    where: Where,
    aggregate: str | None = None,
) -> Panel:
    """Validate columns and turn them into a regular, gap-free :class:`Panel`.

    Each step returns new arrays, and this function, the only holder of the big ones, lets go
    of each input as soon as its successor exists: ``read`` makes the columns here for that
    reason, and the series' arrays are rebound or deleted step by step. The peak memory of a
    load stays a few copies of the data (see ``bench/ingest.py``).

    Args:
        read: makes the columns (each used one at least); called once.
        roles: what each column holds.
        freq: pandas offset alias, or a whole-number step; None infers it.
        fill: how to fill missing timestamps and empty values.
        where: the file, and the line of each row ``read`` gives.
        aggregate: rows of one period reduced to one point (:mod:`~forecastr.ingest.aggregate`).
    """
    rows = read_rows(read(), roles, where)  # the raw columns are gone once it returns
    release_arrow_memory()
    names = rows.names  # a wide file's empty columns are left out
    if roles.layout == "matrix":  # a year-by-month table: one series per row key
        rows, names = melt(rows, roles.targets), (MATRIX_SERIES,)
    elif roles.layout == "pivot":  # one row per series, one column per date
        rows = melt_pivot(rows, *pivot_dates(roles.targets, where.file))
    notes, spelling = (*roles.notes, *rows.notes), rows.spelling
    y, ds, ids, offsets, where = (
        stack_long(rows, roles.id_col) if rows.ids is not None else stack_wide(rows, names)
    )
    del rows  # the rows in file order; `where` now gives the line of each point
    release_arrow_memory()
    if is_long := roles.layout == "long" or roles.id_col is not None:
        check_series_have_values(y, offsets, ids, roles.targets[0], where)
    check_not_tiny(y, offsets, ids, where)
    if is_long and freq is None:
        _check_not_numbered(offsets, ids, roles.id_col, where)
    y, ds, offsets, where, kept = _read_not_refused(y, ds, offsets, where, ids, aggregate, freq)
    notes = (*notes, *kept)
    check_duplicates(
        y, ds, offsets, ids, where, time_col=roles.time_col, suggest_id_col=not is_long
    )
    grid, pos = _on_grid(ds, offsets, ids, where, freq, fill, roles.time_col, aggregate)
    check_no_empty_values(y, offsets, ids, where, fill)
    full_len = grid_lengths(pos, offsets)
    full_offsets = np.concatenate([[0], np.cumsum(full_len)]).astype(np.int64)
    gaps = bool(full_offsets[-1] != offsets[-1])
    if gaps:  # spread onto the full grid, dropping each input once its successor exists
        y = spread(y, pos, offsets, full_offsets)
        del pos
        release_arrow_memory()
        ds = full_stamps(ds, offsets, full_len, grid)
    else:
        del pos
    y, filled_points, filled_series = fill_missing(y, full_offsets, fill, in_place=gaps)
    return Panel(
        ids=ids,
        y=np.ascontiguousarray(y, dtype=np.float64),
        ds=ds,
        offsets=full_offsets,
        freq=grid.freq,
        step=grid.step,
        layout=roles.layout,
        columns=roles.as_dict(names),
        filled_points=filled_points,
        filled_series=filled_series,
        source=where.file,
        fill=fill,
        notes=notes,
        spelling=spelling,
        aggregate=aggregate,
    )


def _on_grid(
    ds: np.ndarray,
    offsets: np.ndarray,
    ids: list[str],
    where: Where,
    freq: str | None,
    fill: FillMethod,
    time_col: str,
    aggregate: str | None,
) -> tuple[Grid, np.ndarray]:
    """:func:`place_on_grid`, and the gaps checked (:func:`check_gaps`); where rows were
    aggregated at each timestamp (no ``freq``) and the stamps fit no grid, the refusal says
    that ``--freq`` names the period."""
    try:
        grid, pos = place_on_grid(ds, offsets, ids, where, freq=freq, time_col=time_col)
        check_gaps(ds, pos, offsets, ids, where, grid=grid, fill=fill)
        return grid, pos
    except InputError as err:
        if aggregate is None or freq is not None:
            raise
        raise InputError(
            f"{err}; with --aggregate, --freq names the period each value adds up "
            "(D for days, W for weeks, MS for months, h for hours)"
        ) from None


def _check_not_numbered(offsets: np.ndarray, ids: list[str], id_col: str | None, where: Where):
    """Refuse a long file whose every series has a single point: its id numbers the rows."""
    if len(ids) > 1 and int(np.diff(offsets).max()) == 1:
        raise SeriesKeyError(
            f"{where.file}: every series of {shown(id_col)} has a single point (does it "
            "number the rows?); name the series id with --id-col (a store and an item: "
            "--id-col store+item), or pass --freq",
            single=True,
        )


def _read_not_refused(
    y: np.ndarray,
    ds: np.ndarray,
    offsets: np.ndarray,
    where: Where,
    ids: list[str],
    aggregate: str | None,
    freq: str | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Where, tuple[str, ...]]:
    """What is read, not refused, before the grid: the rows of each period reduced to one
    where ``aggregate`` asks (``--aggregate``), copies of a point kept once, the hour the
    clocks go back averaged, zeros that stand for no data left out, a row per month on days of
    its own read as months; the arrays after each, and the notes that say so."""
    notes: tuple[str, ...] = ()
    steps: list[Callable] = [drop_copies, merge_clock_changes, partial(placeholder_zeros, ids=ids)]
    steps.append(monthly_rows)
    if aggregate is not None:  # first: the rows of one period are one point for the rest
        steps.insert(0, partial(aggregate_rows, how=aggregate, freq=freq))
    for step in steps:
        y, ds, offsets, where, note = step(y, ds, offsets, where)
        notes = (*notes, *note)
    return y, ds, offsets, where, notes


def describe(panel: Panel) -> dict:
    """What ingest understood, as a JSON-ready dict (the ``info`` command)."""
    lengths = panel.lengths
    is_int = panel.freq is None
    first = panel.ds[panel.offsets[:-1]]
    last = panel.ds[panel.offsets[1:] - 1]
    pattern = None if is_int else stamp_pattern(panel.ds)  # one for the file's two ends

    def fmt(v):
        if pattern is None:
            cycle = None if panel.spelling is None else panel.spelling.cycle
            return int(v) if cycle is None else str(cycle_times(pd.Series([v]), cycle).iloc[0])
        text = spelled(pd.Series([v], dtype="datetime64[ns]"), panel.spelling)
        return pd.Timestamp(v).strftime(pattern) if text is None else str(text.iloc[0])

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
        "fill": panel.fill,
        "aggregate": panel.aggregate,  # --aggregate: rows reduced per period (None: not)
        "ids_sample": panel.ids[:10],
        "notes": list(panel.notes),
        # how forecasts write their stamps, when not as ISO (ingest.spelling)
        "spelling": None if panel.spelling is None else panel.spelling.to_dict(),
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
