"""Reading the needed columns with pyarrow: multi-threaded, values straight to float64.

The fast path, where pyarrow is installed. pyarrow refuses what it cannot convert; each
refusal teaches the next try something about the file (quoted line breaks, a row longer than a
block, text that is not UTF-8 further down, a time column whose format changes, values that
need our own conversion), and what no retry can fix is refused with its line.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import sys
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from forecastr.errors import InputError, shown
from forecastr.ingest.badlines import LineFinder, ShortRows, first_bad_record, parse_error
from forecastr.ingest.cells import NULL_VALUES, text_values, uses_decimal_comma
from forecastr.ingest.joined import blank_header_copies
from forecastr.ingest.sniff import Source, data_stream, first_line, open_binary
from forecastr.ingest.spelling import has_zone
from forecastr.ingest.timeparse import month_dot_year
from forecastr.ingest.where import Where

# The most tries at reading one file (each retry changes one setting).
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class _Attempt:
    """The settings of one try at reading the file, as the earlier tries left them."""

    src: Source
    time_type: Any  # the time column's arrow type (text: dictionary-encoded)
    decimal_comma: bool  # values write decimals with a comma
    text_targets: bool = False  # values read as text and converted by :func:`to_float`
    newlines: bool = False  # quoted line breaks inside values: slower, so only when needed


def read_columns_arrow(
    src: Source, id_cols: list[str], time_col: str | None, targets: list[str]
) -> tuple[dict[str, pd.Series], tuple[str, ...]]:
    """Read only the needed columns with pyarrow (multi-threaded, straight to float64), and
    notes on the reading (the header repeated inside the data: :mod:`.joined`)."""
    table, attempt = _read_table(src, id_cols, time_col, targets)
    # Column by column (a DataFrame of thousands of columns is slow to take apart), each
    # arrow column dropped as soon as it is converted.
    chunked = {name: table.column(name) for name in table.column_names}
    del table
    columns: dict[str, pd.Series] = {}
    for name in list(chunked):
        columns[name] = chunked.pop(name).to_pandas(date_as_object=False)
    release_arrow_memory()
    notes: tuple[str, ...] = ()
    if attempt.text_targets:
        where = Where(attempt.src.path, LineFinder(attempt.src))
        columns, notes = blank_header_copies(columns, where)
        for col in targets:
            columns[col] = text_values(columns[col], col, where, attempt.src.sep != ",")
    return columns, notes


def _read_table(
    src: Source, id_cols: list[str], time_col: str | None, targets: list[str]
) -> tuple[Any, _Attempt]:
    """(the pyarrow table, the settings that read it), retrying what a retry can fix."""
    import pyarrow as pa

    # The time column's type, sniffed from the first rows: letting pyarrow infer it over the
    # whole file costs about 4x the table's size in memory. Text stays dictionary-encoded (a
    # long file repeats each timestamp once per series).
    attempt = _Attempt(
        src,
        time_type=_sniff_time_type(src.sample[time_col]) if time_col else pa.int64(),
        decimal_comma=src.sep != "," and uses_decimal_comma(src.sample, targets),
    )
    for _ in range(MAX_ATTEMPTS):
        try:
            return _arrow_read(attempt, id_cols, time_col, targets), attempt
        except UnicodeDecodeError as err:  # pyarrow's transcoder, past the sniffed top
            src, why = attempt.src, shown(first_line(err), 120, quote=False)
            raise InputError(
                f"{src.path}: the text is not valid {src.encoding} ({why}); save it as UTF-8"
            ) from None
        except pa.ArrowInvalid as err:
            msg = first_line(err)
            retry = _next_attempt(attempt, msg, time_col, targets)
            if retry is None:
                line, fields = first_bad_record(attempt.src)
                if line is not None and fields < len(src.header):
                    raise ShortRows from None  # pandas pads it: csvread reads with pandas
                raise parse_error(attempt.src, msg) from None
            attempt = retry
    raise InputError(f"{src.path}: cannot parse the CSV")  # pragma: no cover - text by then


def _next_attempt(
    attempt: _Attempt, msg: str, time_col: str | None, targets: list[str]
) -> _Attempt | None:
    """The try after pyarrow refused ``attempt`` with ``msg``; None when no retry can help."""
    import pyarrow as pa

    low = msg.lower()
    src = attempt.src
    if not attempt.newlines and "parse error" in low:
        return replace(attempt, newlines=True)
    if "block size" in low and src.block_size < 1 << 30:  # a row longer than a block
        return replace(attempt, src=replace(src, block_size=4 * src.block_size))
    if "utf8" in low and src.encoding in ("utf-8", "utf-8-sig"):  # valid UTF-8 at the top only
        return replace(attempt, src=replace(src, encoding="cp1252"))
    col = _failed_column(msg, src.header)
    text_time = pa.dictionary(pa.int32(), pa.string())
    if col == time_col and attempt.time_type != text_time:
        # A later row has another format: parse the text ourselves.
        return replace(attempt, time_type=text_time)
    if col in targets and not attempt.text_targets:
        # Read the values as text and convert them ourselves (spaces-only cells, decimal
        # commas), or name the line at fault. All columns at once: one re-read, however many
        # columns of a wide file have such cells.
        return replace(attempt, text_targets=True)
    return None


def _sniff_time_type(sample: pd.Series) -> Any:
    """The arrow type pyarrow infers for the time column's first rows (text: dictionary).
    Stamps with a UTC offset stay text: pyarrow would keep the instants but not the offset,
    which the forecasts are written at (:mod:`forecastr.ingest.spelling`)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    cells = [c for c in sample.astype(str) if c.strip() and c.strip() not in NULL_VALUES]
    text = pa.dictionary(pa.int32(), pa.string())
    if not cells or month_dot_year(pd.Series(cells)) or has_zone(pd.Series(cells)):
        return text
    buf = io.StringIO()
    csv.writer(buf).writerows([["t"], *([c] for c in cells)])
    try:
        inferred = (
            pacsv.read_csv(
                io.BytesIO(buf.getvalue().encode("utf-8")),
                convert_options=pacsv.ConvertOptions(null_values=list(NULL_VALUES)),
            )
            .schema.field("t")
            .type
        )
    except pa.ArrowInvalid:
        return text
    if pa.types.is_timestamp(inferred) or pa.types.is_date(inferred):
        return inferred
    if pa.types.is_integer(inferred):
        return pa.int64()
    if pa.types.is_floating(inferred):
        return pa.float64()
    return text


def _arrow_read(
    attempt: _Attempt, id_cols: list[str], time_col: str | None, targets: list[str]
) -> Any:
    """One pyarrow read of the used columns with ``attempt``'s settings."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    src = attempt.src
    keys = [*id_cols] + ([time_col] if time_col is not None else [])
    usecols = list(dict.fromkeys(keys + targets))
    value_type = pa.string() if attempt.text_targets else pa.float64()
    types: dict[str, pa.DataType] = {t: value_type for t in targets}
    if time_col is not None:  # None: the rows are numbered (a file of one column)
        types[time_col] = attempt.time_type
    for c in id_cols:  # the series id (several columns: a store and an item)
        types[c] = pa.dictionary(pa.int32(), pa.string())
    encoding = "utf8" if src.encoding in ("utf-8", "utf-8-sig") else src.encoding
    read_opts = pacsv.ReadOptions(
        column_names=src.header,
        skip_rows=src.header_line + 1,
        encoding=encoding,
        block_size=src.block_size,
    )
    parse_opts = pacsv.ParseOptions(delimiter=src.sep, newlines_in_values=attempt.newlines)
    convert = pacsv.ConvertOptions(
        include_columns=usecols,
        column_types=types,
        null_values=list(NULL_VALUES),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        decimal_point="," if attempt.decimal_comma else ".",
    )
    with contextlib.ExitStack() as stack:
        # pyarrow guesses compression from the name alone: be explicit (a gzip file may be
        # named .csv); it has no xz codec, so xz is decompressed by Python's lzma as it is read.
        input_file: Any = src.path
        if src.data_end is not None:  # a plain file with notes below the data
            input_file = stack.enter_context(data_stream(src))
        elif src.compression in ("gzip", "bz2"):
            stream = pa.CompressedInputStream(pa.OSFile(src.path), src.compression)
            input_file = stack.enter_context(stream)
        elif src.compression == "xz":
            input_file = stack.enter_context(open_binary(src.path, "xz"))
        return pacsv.read_csv(
            input_file,
            read_options=read_opts,
            parse_options=parse_opts,
            convert_options=convert,
        )


def _failed_column(msg: str, header: list[str]) -> str | None:
    """The column named in a pyarrow conversion error ("In CSV column #k: ...")."""
    m = re.search(r"column #(\d+)", msg)
    if m and int(m.group(1)) < len(header):
        return header[int(m.group(1))]
    return None


def release_arrow_memory() -> None:
    """Hand memory freed by pyarrow back to the OS.

    pyarrow's allocator keeps freed buffers for reuse; the columns read from a CSV are freed
    one by one as they are converted, and without this the cached pages doubled the peak
    memory of a load.
    """
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        pa.default_memory_pool().release_unused()
