"""Reading the needed columns with pandas' C parser: the reader where pyarrow is missing.

It mirrors :mod:`forecastr.ingest.arrowread`: values float64 (or text converted by
:func:`~forecastr.ingest.cells.to_float`), the id and time columns categorical in order of
first appearance, a time column of fractional numbers float64; a row with too many or too few
fields and text that is not valid in the sniffed encoding give the same messages.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd

from forecastr.errors import InputError
from forecastr.ingest.badlines import LineFinder, first_bad_record, parse_error, short_note
from forecastr.ingest.cells import NULL_VALUES, text_values, uses_decimal_comma
from forecastr.ingest.joined import blank_header_copies
from forecastr.ingest.sniff import Source, data_stream, first_line
from forecastr.ingest.timeparse import month_dot_year
from forecastr.ingest.where import Where

# The most tries at reading one file (a re-read as cp1252, then with values as text).
MAX_ATTEMPTS = 4


def read_columns_pandas(
    src: Source, id_cols: list[str], time_col: str | None, targets: list[str], chunk_cells: int
) -> tuple[dict[str, pd.Series], tuple[str, ...]]:
    """Read the needed columns with pandas' C parser, ``chunk_cells`` cells at a time; and a
    note when some row had fewer fields than the header (padded with empty cells)."""
    decimal_comma = src.sep != "," and uses_decimal_comma(src.sample, targets)
    text_targets = False
    for _ in range(MAX_ATTEMPTS):
        try:
            columns, maybe_short = _pandas_read(
                src, id_cols, time_col, targets, text_targets, decimal_comma, chunk_cells
            )
            break
        except UnicodeDecodeError:
            if src.encoding in ("utf-8", "utf-8-sig"):
                src = replace(src, encoding="cp1252")  # valid UTF-8 at the top only
                continue
            raise parse_error(src, "invalid utf8", spaces_blank=True) from None
        except (pd.errors.ParserError, pd.errors.ParserWarning) as err:  # too many fields
            raise parse_error(src, first_line(err), spaces_blank=True) from None
        except ValueError as err:  # a value pandas cannot read as a float
            if text_targets:
                raise parse_error(src, first_line(err), spaces_blank=True) from None
            text_targets = True  # convert (or report) them ourselves, as pyarrow's path does
    else:  # pragma: no cover - every target is text by then
        raise InputError(f"{src.path}: cannot parse the CSV")
    # pandas pads a row with too few fields with empty cells (a row of too many is an error),
    # as a spreadsheet that writes no trailing empty cells needs; the note names the first.
    # Such a row leaves the last column empty, so only then is the file scanned for one.
    notes: tuple[str, ...] = ()
    if maybe_short:
        line, fields = first_bad_record(src, spaces_blank=True)
        if line is not None and fields > len(src.header):
            raise parse_error(src, "", spaces_blank=True)
        if line is not None:
            notes = (short_note(line, fields, len(src.header)),)
    if text_targets:
        where = Where(src.path, LineFinder(src))
        columns, joined = blank_header_copies(columns, where)
        notes = (*notes, *joined)
        for col in targets:
            columns[col] = text_values(columns[col], col, where, src.sep != ",")
    if time_col is not None and _sniff_fractional(src.sample[time_col]):
        columns[time_col] = _fractional_time(columns[time_col])
    return columns, notes


def _pandas_read(
    src: Source,
    id_cols: list[str],
    time_col: str | None,
    targets: list[str],
    text_targets: bool,
    decimal_comma: bool,
    chunk_cells: int,
) -> tuple[dict[str, pd.Series], bool]:
    """(columns, whether the last column has an empty cell), read in chunks.

    Every column is parsed (with ``usecols`` pandas silently drops a row's extra fields), but
    only the used ones are kept; text columns are dictionary-encoded chunk by chunk.
    """
    float_cols = [] if text_targets else list(targets)
    dtypes = {c: np.float64 if c in float_cols else str for c in src.header}
    keys = [*id_cols] + ([time_col] if time_col is not None else [])
    parts: dict[str, list] = {c: [] for c in [*keys, *targets]}
    last = src.header[-1]
    maybe_short = False
    stack = contextlib.ExitStack()  # the stream of a plain file cut above its notes, if any
    source = src.path if src.data_end is None else stack.enter_context(data_stream(src))
    reader = pd.read_csv(
        source,
        engine="c",
        sep=src.sep,
        header=None,
        names=src.header,
        index_col=False,
        skiprows=src.header_line + 1,
        dtype=dtypes,
        keep_default_na=False,
        na_values=list(NULL_VALUES),
        decimal="," if decimal_comma else ".",
        encoding=src.encoding,
        compression=src.compression if src.data_end is None else None,
        chunksize=max(1024, chunk_cells // len(src.header)),
    )
    with stack, reader, warnings.catch_warnings():
        # Extra fields in the first row are dropped with only a warning: make it an error.
        warnings.simplefilter("error", pd.errors.ParserWarning)
        for chunk in reader:
            maybe_short = maybe_short or bool(chunk[last].isna().any())
            for c in targets:
                parts[c].append(chunk[c].to_numpy() if c in float_cols else chunk[c])
            for c in keys:
                parts[c].append(_categorical(chunk[c]))
    columns: dict[str, pd.Series] = {}
    for c in targets:
        columns[c] = _joined_values(parts.pop(c), as_float=c in float_cols)
    for c in keys:
        columns[c] = _joined_categorical(parts.pop(c))
    return columns, maybe_short


def _joined_values(chunks: list, as_float: bool) -> pd.Series:
    """A value column's chunks as one column: float64 numbers, or text to convert."""
    if as_float:
        return pd.Series(np.concatenate(chunks or [np.zeros(0)]))
    return pd.concat(chunks, ignore_index=True) if chunks else pd.Series([], dtype=str)


def _joined_categorical(chunks: list[pd.Categorical]) -> pd.Series:
    """Chunks of a text column as one categorical, categories in order of first appearance."""
    cat = (
        pd.api.types.union_categoricals(chunks)
        if chunks
        else pd.Categorical([], categories=pd.Index([], dtype=object))
    )
    return pd.Series(cat)


def _categorical(col: pd.Series) -> pd.Categorical:
    """Text as a categorical whose categories are in order of first appearance (as pyarrow's)."""
    codes, uniques = pd.factorize(col, sort=False)
    return pd.Categorical.from_codes(codes, categories=pd.Index(np.asarray(uniques, dtype=object)))


def _sniff_fractional(sample: pd.Series) -> bool:
    """The time column's first rows are numbers, some with a fraction: pyarrow's float64."""
    cells = sample.astype(str).str.strip()
    cells = cells[(cells != "") & ~cells.isin(NULL_VALUES)]
    if len(cells) == 0 or cells.str.fullmatch(r"[+-]?\d+").all() or month_dot_year(cells):
        return False
    return bool(pd.to_numeric(cells, errors="coerce").notna().all())


def _fractional_time(col: pd.Series) -> pd.Series:
    """A time column sniffed as fractional numbers as float64, as pyarrow reads it.

    Whole numbers and dates stay text (:mod:`forecastr.ingest.timeparse` parses them alike); numbers
    with fractions as text would be read as dates, not refused by name. Like pyarrow, a later
    cell that is not a number keeps the column text.
    """
    cats = pd.Series(col.array.categories, dtype=object).astype(str).str.strip()
    if len(cats) == 0 or cats.str.fullmatch(r"[+-]?\d+").all():
        return col
    num = pd.to_numeric(cats, errors="coerce")
    if num.isna().any():
        return col
    codes = np.asarray(col.array.codes)
    values = num.to_numpy(dtype=np.float64)[codes]
    values[codes < 0] = np.nan
    return pd.Series(values)
