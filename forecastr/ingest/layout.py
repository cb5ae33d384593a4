"""Layout detection: which columns hold the series id, the time and the values.

Decides between the long, wide and single layouts from the header, a sample of the first
rows and the user's flags (see :mod:`forecastr.data` for what each layout means).
:func:`detect_layout` applies the rules below in order; each decides one thing, and refuses
what it cannot decide with a message that names the flag to pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

import numpy as np
import pandas as pd

from forecastr.config import Layout, LayoutChoice
from forecastr.errors import InputError, shown
from forecastr.ingest import calendarcols, clock, keys
from forecastr.ingest.eventlog import ROWS, times_alone
from forecastr.ingest.matrix import hour_columns, period_columns, table_note
from forecastr.ingest.options import IngestOptions
from forecastr.ingest.pivot import HEADER_TIME, blank_led_ids, date_columns, pivot_note
from forecastr.ingest.sniff import Source
from forecastr.ingest.textcols import (
    described_twice,
    labels_note,
    looks_like_ids,
    quiet_columns,
    quiet_note,
    same_series,
    separates_rows,
    series_labels,
    text_columns,
)
from forecastr.ingest.timecol import TIME_NAMES, find_name, time_column
from forecastr.ingest.timeparse import reads_as_dates
from forecastr.ingest.timeparts import JOIN, detect_parts, part_kinds, split_name

ID_NAMES = ("unique_id", "id", "series", "series_id", "item_id", "item", "key")
TARGET_NAMES = ("y", "value", "target", "values", "obs_value")  # SDMX's OBS_VALUE
# The time of a file of one column (or ``--time-col "(row)"``): each row's number, from 0.
ROW_NUMBER = "(row)"


@dataclass(frozen=True)
class ColumnRoles:
    """What each used column holds: the layout's decision.

    Attributes:
        layout: ``"long"``, ``"wide"``, ``"single"``, ``"matrix"`` (a year-by-month table) or
            ``"pivot"`` (a row per series, a column per date).
        id_col: the series id column (read for the long, matrix and pivot layouts only);
            several columns joining one id are named by their names joined with ``+``.
        time_col: the time column (dates or whole-number steps); a timestamp split over
            several columns is named by their names joined with ``+``.
        targets: the value column (long/single), one column per series (wide), the period
            columns in calendar order (matrix), or the date columns (pivot).
        time_parts: the columns of a split timestamp (:mod:`~forecastr.ingest.timeparts`).
        id_parts: the columns a series id is joined from (``--id-col store+item``), or ().
        notes: what the layout's decision means for the user (columns left out).
        time_of_day: ``time_parts`` are a date and its time of day (:mod:`.clock`).
    """

    layout: Layout
    id_col: str | None
    time_col: str
    targets: tuple[str, ...]
    time_parts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    id_parts: tuple[str, ...] = ()
    time_of_day: bool = False

    @property
    def id_cols(self) -> list[str]:
        """The columns the series id is read from: none, one, or several joined."""
        return list(self.id_parts) or ([self.id_col] if self.id_col else [])

    @property
    def time_cols(self) -> list[str]:
        """The columns the time is read from: one, a split timestamp's parts, or none (the
        rows are numbered: :data:`ROW_NUMBER`)."""
        if self.time_col in (ROW_NUMBER, HEADER_TIME):
            return []
        return list(self.time_parts) or [self.time_col]

    @property
    def used(self) -> list[str]:
        """The columns to read, each once: id (long, matrix, pivot), time, values."""
        keyed = self.layout in ("long", "matrix", "pivot")
        used = [*(self.id_cols if keyed else []), *self.time_cols, *self.targets]
        return [c for c in dict.fromkeys(used) if c is not None]

    def as_dict(self, kept: tuple[str, ...] = ()) -> dict:
        """The columns as :attr:`forecastr.panel.Panel.columns` records them; ``kept``: a wide
        file's value columns read (its entirely empty ones left out)."""
        targets = kept if self.layout == "wide" and kept else self.targets
        return {"id": self.id_col, "time": self.time_col, "target": list(targets)}


def detect_layout(src: Source, options: IngestOptions) -> ColumnRoles:
    """Decide the layout and each column's role from the header, the first rows and flags."""
    header, path = src.header, src.path
    id_parts = joined_flag(options.id_col, header, path, "--id-col")
    id_col = (
        JOIN.join(id_parts) if id_parts else flag_column(options.id_col, header, path, "--id-col")
    )
    if (
        len(header) == 1
        or options.time_col == ROW_NUMBER
        or (src.numbered and not options.time_col)
    ):
        alone = counted_times(header, src.sample, options, path)  # a log of times alone
        return alone or numbered_rows(header, options, path)
    pivot = dated_header(header, src.sample, options, path)
    if pivot is not None:
        return pivot
    parts = time_parts_flag(options.time_col, header, path, src.sample)
    time_col = (
        JOIN.join(parts) if parts else flag_column(options.time_col, header, path, "--time-col")
    )
    target = flag_column(options.target, header, path, "--target")
    layout = options.layout
    refuse_id_outside_long(id_col, layout, path)
    may_have_id = layout in ("auto", "long", "matrix")
    if id_col is None and may_have_id:
        id_col = named_id_column(header, time_col, target)
    if time_col is None:
        parts = detect_parts(header, src.sample, (id_col, target))
        time_col = JOIN.join(parts) if parts else time_column(header, id_col, src.sample)
        if not parts:  # a date column beside its times of day (Date;Time)
            parts = clock.pair(time_col, header, src.sample, (id_col, target))
            time_col = JOIN.join(parts) if parts else time_col
        if id_col is None and not parts and calendarcols.row_labels(src.sample, time_col):
            note = calendarcols.row_labels_note(time_col)  # R's, not times: rows in order
            return numbered_rows([h for h in header if h != time_col], options, path, note)
    of_day = clock.is_pair(parts, src.sample)
    time_cols = list(parts) or [time_col]
    for key in id_parts or (id_col,):
        refuse_time_as_id(time_cols, key, path)
    # The columns of text, found once: the id rule and the wide file's label rule read them.
    text = text_columns(src.sample, _candidates(header, time_cols, target))
    if id_col is None and may_have_id:
        id_col = text_id_column(src, time_cols, target, layout, text)
    matrix = None if parts or target else table_periods(src, id_col, time_col, layout)
    if matrix is not None:
        periods, left_out = matrix
        note = table_note(periods, left_out)
        return ColumnRoles("matrix", id_col, time_col, tuple(periods), (), (note,))
    # Helper columns repeating the timestamp's year, month ... (none when --target names it)
    helpers, notes = (
        ([], ())
        if target
        else calendarcols.beside(src.sample, time_col, header, id_parts, parts, text, of_day)
    )
    # SDMX's unit, freq, flags ... beside other text: left out, not refused as text
    quiet = quiet_columns(src.sample, text) if len(text) > 1 and not target else []
    quiet = [t for t in quiet if t not in (id_col, *id_parts)]
    if quiet:
        helpers, notes = [*helpers, *quiet], (*notes, quiet_note(quiet))
    if layout == "long" or (layout == "auto" and id_col is not None):
        assert id_col is not None  # text_id_column refuses a long file without one
        # A country's code beside its name: one label per series, no values (none when named)
        labels = [] if target else series_labels(src.sample, list(id_parts) or [id_col], text)
        labels = [c for c in labels if c not in helpers]
        if labels:
            helpers, notes = [*helpers, *labels], (*notes, labels_note(labels, id_col))
        rest = [h for h in header if h not in helpers]
        value = long_target(rest, id_col, [*time_cols, *id_parts], target, path, text)
        if target is None:  # the value judged from the names: say what else there was
            notes += keys.others_note(rest, value, [id_col, *id_parts, *time_cols, *text])
        return ColumnRoles("long", id_col, time_col, (value,), parts, notes, id_parts, of_day)
    values = value_columns(header, time_cols, target, path)
    kept = [v for v in values if v not in helpers]
    if not kept:  # a file of nothing else keeps them
        kept, notes = values, ()
    values, dropped = drop_text(kept, target, text, path, counted=options.aggregate == "count")
    kind = wide_or_single(values, layout, path)
    notes = (*notes, *dropped)
    return ColumnRoles(kind, None, time_col, tuple(values), parts, notes, time_of_day=of_day)


# ---------------------------------------------------------------------------------------------
# the rules, in the order detect_layout applies them


def flag_column(name: str | None, header: list[str], path: str, flag: str) -> str | None:
    """The header column a flag names: exact, else the one that matches ignoring case and
    spaces; None when the flag is not given."""
    if not name:
        return name
    if name in header:
        return name
    matches = [h for h in header if h.lower() == name.strip().lower()]
    if len(matches) == 1:
        return matches[0]
    raise InputError(
        f"{path}: no column named {shown(name)} (given by {flag}); the columns are: "
        f"{names_text(header)}"
    )


def joined_flag(name: str | None, header: list[str], path: str, flag: str) -> tuple[str, ...]:
    """The columns a flag names joined with ``+`` (``--id-col store+item``), each checked; ()
    for one column."""
    parts = split_name(name, header) if name else None
    return tuple(flag_column(p, header, path, flag) or p for p in parts) if parts else ()


def time_parts_flag(
    name: str | None, header: list[str], path: str, sample: pd.DataFrame
) -> tuple[str, ...]:
    """The columns ``--time-col year+month`` (or ``Date+Time``) names, each checked; () for
    one column."""
    cols = joined_flag(name, header, path, "--time-col")
    if cols and not clock.is_pair(cols, sample):
        part_kinds(cols)  # refuses an order no timestamp is split in
    return cols


def counted_times(
    header: list[str], sample: pd.DataFrame, options: IngestOptions, path: str
) -> ColumnRoles | None:
    """The roles of a file of times alone counted by its rows (:func:`.eventlog.times_alone`:
    one series, ``ROWS``), or None for any other file."""
    note = times_alone(header, sample, options, path)
    return None if note is None else ColumnRoles("single", None, header[0], (ROWS,), (), (note,))


def numbered_rows(
    header: list[str], options: IngestOptions, path: str, note: str = ""
) -> ColumnRoles:
    """A file of one column (or ``--time-col "(row)"``, R's row labels beside the values, or
    no header row: :mod:`.noheader`; ``note`` saying so): one series per value column, timed
    by the row number."""
    id_col = flag_column(options.id_col, header, path, "--id-col")
    target = flag_column(options.target, header, path, "--target")
    if id_col is not None or options.layout in ("long", "matrix"):
        raise InputError(
            f"{path}: rows numbered as the time (--time-col {ROW_NUMBER}) hold one series per "
            "column; drop --id-col and --layout, or name the time column with --time-col"
        )
    values = value_columns(header, [], target, path)
    kind = wide_or_single(values, options.layout, path)
    return ColumnRoles(kind, None, ROW_NUMBER, tuple(values), (), (note,) if note else ())


def dated_header(
    header: list[str], sample: pd.DataFrame, options: IngestOptions, path: str
) -> ColumnRoles | None:
    """A pivot table's roles (:mod:`~forecastr.ingest.pivot`): its date columns, and the id
    column (``--id-col``, else one named like an id, else the first other column; the rest are
    left out). None for a header of a few dates at most; ``--layout pivot`` on such a file,
    and another layout forced on a pivot table, are refused."""
    if options.time_col not in (None, HEADER_TIME):
        return None
    dates, stamps = date_columns(header)
    dated = set(dates)
    keys = [h for h in header if h not in dated]
    if dates and options.layout != "pivot" and _keyed_by_time(sample, keys):
        dates = []  # a wide file whose series are named by years, beside its time column
    if dates and stamps.dtype == np.int64 and not text_columns(sample, keys[:1]):
        dates = []  # numbered columns (x1, x2, ...) beside a column of numbers: a wide file
    if dates and hour_columns(dates) and any(reads_as_dates(sample[k]) for k in keys[:3]):
        dates = []  # HE1 ... HE24 beside a column of dates: a day-by-hour table (matrix)
    if not dates:
        if options.layout == "pivot":
            raise InputError(
                f"{path}: --layout pivot needs one row per series and a column per date or "
                f"year (id,2024-01,2024-02,...); the columns are: {names_text(header)}"
            )
        return None
    if options.layout not in ("auto", "pivot"):
        raise InputError(
            f"{path}: the header holds dates ({shown(dates[0])}, {shown(dates[1])}, ...), so the "
            f"file has one row per series: drop --layout {options.layout} (or pass --layout "
            "pivot) to read it so"
        )
    parts = joined_flag(options.id_col, keys, path, "--id-col")  # --id-col a+b
    id_col = None if parts else flag_column(options.id_col, keys, path, "--id-col")
    if not parts and id_col is None:
        id_col = find_name(keys, ID_NAMES) or keys[0]
        parts = blank_led_ids(sample, keys, id_col)
    id_col = JOIN.join(parts) if parts else id_col
    left_out = [k for k in keys if k not in (id_col, *parts)]
    note = pivot_note(str(id_col), left_out, numbered=stamps.dtype == np.int64)
    return ColumnRoles("pivot", id_col, HEADER_TIME, tuple(dates), (), (note,), parts)


def refuse_id_outside_long(id_col: str | None, layout: LayoutChoice, path: str) -> None:
    """A series id column exists only in the long (and matrix) layouts."""
    if id_col and layout in ("wide", "single"):
        raise InputError(f"{path}: --id-col names a series id column, which only the long "
                         "layout has; drop --id-col or use --layout long")  # fmt: skip


def table_periods(
    src: Source, id_col: str | None, time_col: str, layout: LayoutChoice
) -> tuple[list[str], list[str]] | None:
    """A year-by-month (or quarter) table's period columns and the columns left out, when the
    layout is ``auto`` or ``matrix`` and the header holds one (:mod:`~forecastr.ingest.matrix`);
    ``--layout matrix`` on any other file is refused."""
    if layout not in ("auto", "matrix"):
        return None
    found = period_columns(src.header, (id_col, time_col), src.sample, time_col)
    if found is None and layout == "matrix":
        raise InputError(
            f"{src.path}: --layout matrix needs a column of years and one column for each of "
            "the 12 months (Jan ... Dec) or 4 quarters (Q1 ... Q4), or a column of dates and "
            "one for each of the 24 hours (HE1 ... HE24, or H0 ... H23); "
            f"the columns are: {names_text(src.header)}"
        )
    return found


def named_id_column(header: list[str], time_col: str | None, target: str | None) -> str | None:
    """The column named like a series id (``unique_id``, ``id``, ``series`` ...), if any."""
    return find_name([h for h in header if h not in (time_col, target)], ID_NAMES)


def refuse_time_as_id(time_cols: list[str], id_col: str | None, path: str) -> None:
    """One column cannot be both the time and the series id."""
    if id_col in time_cols:
        raise InputError(f"{path}: the time column and the id column are both "
                         f"{shown(id_col)}; name them with --time-col and --id-col")  # fmt: skip


def text_id_column(
    src: Source,
    time_cols: list[str],
    target: str | None,
    layout: LayoutChoice,
    text: list[str] | None = None,
) -> str | None:
    """With no id-like name, the one column of text beside the time column is the series id.

    Refuses a long layout with no such column, and several text columns (which one is the
    id?); None for a file of numbers (wide or single). ``text``: those columns, when the
    caller has found them already.
    """
    rest = _candidates(src.header, time_cols, target)
    text = text_columns(src.sample, rest) if text is None else text
    if layout != "long" and text and described_twice(src.sample, time_cols, text, target):
        return None  # labels of each time, written a row each: left out (drop_text)
    if len(text) > 1:  # constant columns (SDMX's unit) and sparse ones (its flags) name none
        quiet = quiet_columns(src.sample, text)
        if len(quiet) == len(text) and layout != "long":
            return None  # one series: they are left out (detect_layout)
        text = [t for t in text if t not in quiet] or text
    ids = [t for t in text if looks_like_ids(src.sample, t, time_cols)]
    if len(ids) > 1:  # which names the series? the one that tells rows of one time apart
        ids = [t for t in ids if separates_rows(src.sample, t, time_cols)] or ids
        # two names of each series (a country and its code): the first names it
        ids = [t for t in ids if t == ids[0] or not same_series(src.sample, ids[0], t, time_cols)]
    if len(ids) == 1 and len(rest) >= 2:  # beside it, labels of each time (a weather)
        return ids[0]
    if len(ids) > 1 and all(keys.is_key_name(t) for t in ids):  # country, store, product:
        return ids[0]  # the first; the full read joins the others (data._rekeyed)
    if layout == "long":
        raise InputError(
            f"{src.path}: long format needs a series id column; name it with --id-col "
            f"(columns: {names_text(src.header)})"
        )
    if len(ids) > 1:
        raise InputError(
            f"{src.path}: columns {names_text(ids)} hold text, not numbers; name the series id "
            "with --id-col and the values with --target"
        )
    return None  # labels of each time, if any: left out (drop_text)


def long_target(
    header: list[str],
    id_col: str,
    time_cols: list[str],
    target: str | None,
    path: str,
    text: Sequence[str] = (),
) -> str:
    """The value column of a long file: ``--target``, else the one named like values (``y``,
    ``value`` ...), else the only column left that is not named like a key (``store``), else
    the one of those named like usual values (``sales``: :mod:`~forecastr.ingest.keys`).
    Columns of ``text`` (labels such as a room type) hold no values: never chosen, nor
    offered."""
    if target is None:
        rest = [h for h in header if h not in (id_col, *time_cols, *text) and not _is_unnamed(h)]
        values = [h for h in rest if not keys.is_key_name(h)]  # a store beside an item: no value
        target = find_name(rest, TARGET_NAMES) or (values[0] if len(values) == 1 else None)
        target = target or keys.value_name(values)  # sales beside onpromotion
        labels = [t for t in text if t not in (id_col, *time_cols)]
        if target is None and not rest and labels:  # a log of who did what: no numbers
            refuse_text_alone(labels, path)
        if target is None:
            raise InputError(
                f"{path}: cannot tell which column holds the values; pass --target "
                f"(columns: {names_text(rest) or 'none'})"
            )
    if target == id_col or target in time_cols:
        raise InputError(f"{path}: --target {shown(target)} is also the id or time column")
    return target


def value_columns(
    header: list[str], time_cols: list[str], target: str | None, path: str
) -> list[str]:
    """The value columns of a wide or single file: ``--target``, else every named column
    besides the time column(s)."""
    if target in time_cols:
        raise InputError(f"{path}: --target {shown(target)} is also the time column; pick another")
    # A trailing separator or a saved pandas index gives an unnamed column: not a series.
    values = (
        [target] if target else [h for h in header if h not in time_cols and not _is_unnamed(h)]
    )
    if not values:
        raise InputError(
            f"{path}: no value column besides the time column {shown(JOIN.join(time_cols))}"
        )
    return values


def drop_text(
    values: list[str], target: str | None, text: list[str], path: str, counted: bool = False
) -> tuple[list[str], tuple[str, ...]]:
    """A wide file's value columns less those of ``text`` (the columns whose first rows hold
    text) among them, labels of each time such as a wind direction, with a note. A file of
    nothing else (a log of events: who, what) is refused with how to count its rows, unless
    they are counted (``counted``: ``--aggregate count``, which counts text cells too)."""
    text = [] if target else [t for t in text if t in values]
    if text and len(text) == len(values) and not counted:
        refuse_text_alone(text, path)
    if not text or len(text) == len(values):
        return values, ()
    s, they = ("s", "they hold") if len(text) > 1 else ("", "it holds")
    note = (
        f"column{s} {', '.join(shown(t) for t in text)} left out: {they} text, not numbers "
        f"(pass --id-col {shown(text[0], quote=False)} if it names the series)"
    )
    return [v for v in values if v not in text], (note,)


def refuse_text_alone(text: list[str], path: str) -> NoReturn:
    """Refuse a file whose columns beside the time (and id) hold text alone, a log of events
    (who, what), saying how to count its rows per period instead."""
    raise InputError(
        f"{path}: no column holds numbers to forecast ({names_text(text)} "
        f"{'hold' if len(text) > 1 else 'holds'} text); to "
        "forecast how many rows fall in each period, pass --aggregate count --freq D "
        f"--target {shown(text[0], quote=False)}, or fix the cells that should be numbers"
    )


def wide_or_single(values: list[str], layout: LayoutChoice, path: str) -> Layout:
    """``"single"`` for one value column, ``"wide"`` for several; ``--layout single`` needs
    exactly one."""
    if layout == "auto":
        return "single" if len(values) == 1 else "wide"
    if layout == "single" and len(values) != 1:
        raise InputError(
            f"{path}: single-series layout needs one value column; pick one with --target "
            f"(candidates: {names_text(values)})"
        )
    return "single" if layout == "single" else "wide"


# ---------------------------------------------------------------------------------------------
# helpers


def names_text(names: list[str], most: int = 20) -> str:
    """Column names for a message: each made safe (:func:`~forecastr.errors.shown`), at most
    ``most`` of them (a wide file has thousands)."""
    text = ", ".join(shown(n, 40, quote=False) for n in names[:most])
    return text + (f", … ({len(names)} columns)" if len(names) > most else "")


def _is_unnamed(name: str) -> bool:
    """pandas names an empty header cell ``Unnamed: k`` (e.g. a trailing separator)."""
    return bool(re.fullmatch(r"Unnamed: \d+", name))


def _candidates(header: list[str], time_cols: list[str], target: str | None) -> list[str]:
    """The named columns besides the time column(s) and ``--target``: where ids and labels are."""
    return [h for h in header if h not in (*time_cols, target) and not _is_unnamed(h)]


def _keyed_by_time(sample: pd.DataFrame, keys: list[str]) -> bool:
    """Whether the first of ``keys`` is a time column (named like one, or holding dates)."""
    first = keys[0] if keys else None
    if first is None or first not in sample:
        return False
    return find_name([first], TIME_NAMES) is not None or reads_as_dates(sample[first])
