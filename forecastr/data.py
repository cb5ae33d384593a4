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

Reading is done by pyarrow (multi-threaded, values straight to float64, ids dictionary-encoded).
The separator (``,``, ``;``, tab or ``|``), a UTF-8 BOM, UTF-16, Windows-1252 text, ``.gz`` and
``.bz2`` compression, decimal commas in ``;``-separated files, spaces around numbers, blank
lines and fully empty rows are handled. Every problem is an :class:`InputError` whose one-line
message names the file, the line and column at fault, and the fix.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import os
import re
import stat
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from forecastr.errors import InputError
from forecastr.panel import Panel, concat_ranges

FillMethod = Literal["interpolate", "ffill", "zero", "error"]
Layout = Literal["auto", "long", "wide", "single"]

ID_NAMES = ("unique_id", "id", "series", "series_id", "item_id", "item", "key")
TIME_NAMES = (
    "ds",
    "date",
    "datetime",
    "time",
    "timestamp",
    "period",
    "month",
    "week",
    "day",
    "year",
    "quarter",
    "hour",
    "t",
    "step",
    "index",
)
TARGET_NAMES = ("y", "value", "target", "values")
# Cell texts read as a missing value (after stripping spaces).
NULL_VALUES = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "#N/A", "-", "n/a", "na")
# An inferred frequency may fill at most this share of the resulting grid; beyond it the
# timestamps are called irregular (an explicit --freq lifts the limit).
MAX_INFERRED_FILL = 0.5

LineOf = Callable[[Sequence[int]], list[int]]


@dataclass(frozen=True)
class IngestOptions:
    """How to read a CSV. Every field defaults to automatic detection."""

    id_col: str | None = None  # long format: the series id column
    time_col: str | None = None  # the timestamp / step column
    target: str | None = None  # the value column (long or single); wide: all other columns
    freq: str | None = None  # pandas offset alias; None: inferred
    fill: FillMethod = "interpolate"  # what to do with missing timestamps and empty values
    layout: Layout = "auto"


# ---------------------------------------------------------------------------------------------
# reading


@dataclass(frozen=True)
class _Source:
    """A CSV file as sniffed: how to open it and where its header is."""

    path: str
    encoding: str  # a Python codec name
    compression: str | None  # "gzip", "bz2" or None
    sep: str
    header_line: int  # 0-based physical line of the header row
    header: list[str]
    sample: pd.DataFrame  # the first rows as text (dtype str, empty cells as "")


def load_csv(path: str | os.PathLike, options: IngestOptions | None = None) -> Panel:
    """Read ``path`` into a :class:`Panel`.

    Raises:
        InputError: for any problem with the file, with a one-line message.
    """
    options = options or IngestOptions()
    path = os.fspath(path)
    src = _open_source(path)
    layout, id_col, time_col, targets = _detect_layout(src, options)
    columns = _read_columns(src, id_col, time_col, targets)
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
        line_of=_LineFinder(src),
    )
    _release_arrow_memory()
    return panel


def _open_source(path: str) -> _Source:
    """Check the file, and detect compression, encoding, separator and header."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file; check the path")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, not a CSV file; give the path of a CSV file")
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise InputError(
            f"{path}: is not a regular file (a pipe, socket or device); save the data to a CSV "
            "file and pass its path"
        )
    lower = path.lower()
    compression = "gzip" if lower.endswith(".gz") else "bz2" if lower.endswith(".bz2") else None
    try:
        with _open_binary(path, compression) as fh:
            head = fh.read(1 << 20)
    except OSError as err:  # permissions, or a corrupt .gz/.bz2
        reason = err.strerror or _first_line(err)
        raise InputError(
            f"{path}: cannot be read ({reason}); check the file and its permissions"
        ) from None
    except EOFError:
        raise InputError(f"{path}: the compressed file is truncated; copy it again") from None
    if not head.strip():
        raise InputError(f"{path}: the file is empty; it needs a header row and data rows")
    encoding = _detect_encoding(head, path)
    text = _decode_head(head, encoding)
    lines = text.splitlines()
    header_line = next(i for i, ln in enumerate(lines) if ln.strip())
    sep = _sniff_separator([ln for ln in lines[header_line:] if ln.strip()][:50])
    header, sample = _read_header(path, compression, encoding, sep, header_line, lines[header_line])
    return _Source(path, encoding, compression, sep, header_line, header, sample)


def _open_binary(path: str, compression: str | None):
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "bz2":
        return bz2.open(path, "rb")
    return open(path, "rb")


def _open_text(src: _Source):
    raw = _open_binary(src.path, src.compression)
    return io.TextIOWrapper(raw, encoding=src.encoding, errors="replace", newline="")


def _detect_encoding(head: bytes, path: str) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head[:4096]:
        kind = (
            "a zip or Excel .xlsx file"
            if head.startswith(b"PK\x03\x04")
            else "a Parquet file"
            if head.startswith(b"PAR1")
            else "a gzip file; name it .csv.gz"
            if head.startswith(b"\x1f\x8b")
            else "binary data"
        )
        raise InputError(f"{path}: is not a text CSV (it looks like {kind}); save it as CSV")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return "cp1252"  # Excel's "CSV" on Windows
    except UnicodeDecodeError:
        return "latin-1"


def _decode_head(head: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)


def _sniff_separator(lines: list[str]) -> str:
    """The delimiter among , ; tab | that splits the header and the rows consistently."""
    try:
        sep = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
        if sep in lines[0]:
            return sep
    except csv.Error:
        pass
    # Fallback: the candidate most frequent in the header line.
    counts = {d: lines[0].count(d) for d in ",;\t|"}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_header(
    path: str, compression: str | None, encoding: str, sep: str, header_line: int, line: str
) -> tuple[list[str], pd.DataFrame]:
    """Column names (stripped) and the first rows as text, for layout detection."""
    try:
        raw = next(csv.reader([line], delimiter=sep))
    except (csv.Error, StopIteration):
        raw = line.split(sep)
    names = [c.strip() or f"Unnamed: {k}" for k, c in enumerate(raw)]
    if len(names) < 2:
        raise InputError(
            f"{path}: found one column ({names[0]!r}) in the header; a CSV needs a time column "
            "and a value column separated by , ; tab or |"
        )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"{path}: duplicate column names {dupes}; give every column a unique name")
    if all(_looks_like_value(n) for n in names):
        raise InputError(
            f"{path}: the first line ({sep.join(names)}) looks like data, not a header; "
            "add a header row such as ds,y"
        )
    if sum(_looks_like_date(n) for n in names) >= max(3, len(names) // 2):
        raise InputError(
            f"{path}: the header holds dates ({names[1]}, {names[2]}, ...), so the file has one "
            "row per series; forecastr reads time down the rows: reshape it to long format "
            "(id, date, value) or wide format (date, one column per series)"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sample = pd.read_csv(
                path,
                sep=sep,
                header=None,
                names=names,
                index_col=False,
                nrows=int(np.clip(100_000 // len(names), 20, 200)),  # ~100k cells at most
                dtype=str,
                keep_default_na=False,
                encoding=encoding,
                compression=compression,
                skiprows=header_line + 1,
                on_bad_lines="skip",
                encoding_errors="replace",
            )
    except pd.errors.EmptyDataError:
        sample = pd.DataFrame({n: pd.Series([], dtype=str) for n in names})
    except (pd.errors.ParserError, UnicodeError, ValueError) as err:
        raise InputError(f"{path}: not a readable CSV ({_first_line(err)})") from None
    return names, sample.fillna("")


def _looks_like_value(name: str) -> bool:
    try:
        float(name)
        return True
    except ValueError:
        return _looks_like_date(name)


def _looks_like_date(name: str) -> bool:
    return bool(
        re.fullmatch(r"\d{4}-\d{1,2}(-\d{1,2})?([ T][\d:.]+)?|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}", name)
    )


def _find(names: list[str], candidates: tuple[str, ...]) -> str | None:
    lower = {n.lower(): n for n in names}
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    return None


def _require_column(name: str, header: list[str], path: str, flag: str) -> str:
    if name in header:
        return name
    matches = [h for h in header if h.lower() == name.strip().lower()]
    if len(matches) == 1:
        return matches[0]
    raise InputError(
        f"{path}: no column named {name!r} (given by {flag}); the columns are: {', '.join(header)}"
    )


def _is_unnamed(name: str) -> bool:
    """pandas names an empty header cell ``Unnamed: k`` (e.g. a trailing separator)."""
    return bool(re.fullmatch(r"Unnamed: \d+", name))


def _text_columns(sample: pd.DataFrame, names: list[str]) -> list[str]:
    """Columns whose non-empty sample cells are (nearly) all non-numeric text."""
    if not names or len(sample) == 0:
        return []
    # One vectorised pass over all cells (a wide file has thousands of columns).
    cells = pd.Series(sample[names].to_numpy(dtype=object).ravel(), dtype=object).str.strip()
    empty = cells.isin(NULL_VALUES).to_numpy().reshape(len(sample), len(names))
    number = pd.to_numeric(cells, errors="coerce").notna().to_numpy()
    number = number.reshape(len(sample), len(names))
    filled = (~empty).sum(axis=0)
    share = np.divide(number.sum(axis=0), filled, out=np.ones(len(names)), where=filled > 0)
    out = []
    for j in np.flatnonzero((share < 0.1) & (filled > 0)):  # few numbers: text unless dates
        cells = sample[names[j]].str.strip()
        cells = cells[~cells.isin(NULL_VALUES)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                dates = pd.to_datetime(cells, errors="coerce", format="ISO8601", utc=True)
                dated = dates.notna().mean()
            except (ValueError, TypeError, OverflowError):
                dated = 0.0
        if dated < 0.1:
            out.append(names[j])
    return out


def _looks_like_ids(sample: pd.DataFrame, col: str, time_col: str) -> bool:
    """A text column is a series id if no cell is empty and values repeat (or times do)."""
    cells = sample[col].str.strip()
    if (cells == "").any():
        return False
    return bool(cells.nunique() < len(cells) or sample[time_col].duplicated().any())


def _detect_layout(src: _Source, options: IngestOptions) -> tuple[str, str | None, str, list[str]]:
    """Decide (layout, id column, time column, value columns) from the header and flags."""
    header, path = src.header, src.path
    id_col = options.id_col and _require_column(options.id_col, header, path, "--id-col")
    time_col = options.time_col and _require_column(options.time_col, header, path, "--time-col")
    target = options.target and _require_column(options.target, header, path, "--target")

    layout = options.layout
    if id_col and layout in ("wide", "single"):
        raise InputError(
            f"{path}: --id-col names a series id column, which only the long layout has; "
            f"drop --id-col or use --layout long"
        )
    if id_col is None and layout in ("auto", "long"):
        id_col = _find([h for h in header if h not in (time_col, target)], ID_NAMES)
    if time_col is None:
        rest = [h for h in header if h != id_col]
        time_col = _find(rest, TIME_NAMES) or rest[0]
    if time_col == id_col:
        raise InputError(
            f"{path}: the time column and the id column are both {time_col!r}; "
            "name them with --time-col and --id-col"
        )
    if id_col is None and layout in ("auto", "long"):
        # No id-like name: a column of text beside the time column is the series id.
        rest = [h for h in header if h not in (time_col, target) and not _is_unnamed(h)]
        text = _text_columns(src.sample, rest)
        if len(text) == 1 and len(rest) >= 2 and _looks_like_ids(src.sample, text[0], time_col):
            id_col = text[0]
        elif layout == "long":
            raise InputError(
                f"{path}: long format needs a series id column; name it with --id-col "
                f"(columns: {', '.join(header)})"
            )
        elif len(text) > 1:
            raise InputError(
                f"{path}: columns {', '.join(text)} hold text, not numbers; name the series id "
                "with --id-col and the values with --target"
            )
    if layout == "auto":
        layout = "long" if id_col is not None else "auto"

    if layout == "long":
        assert id_col is not None
        if target is None:
            rest = [h for h in header if h not in (id_col, time_col) and not _is_unnamed(h)]
            target = _find(rest, TARGET_NAMES) or (rest[0] if len(rest) == 1 else None)
            if target is None:
                raise InputError(
                    f"{path}: cannot tell which column holds the values; pass --target "
                    f"(columns: {', '.join(rest) or 'none'})"
                )
        if target in (id_col, time_col):
            raise InputError(f"{path}: --target {target!r} is also the id or time column")
        return "long", id_col, time_col, [target]

    if target == time_col:
        raise InputError(f"{path}: --target {target!r} is also the time column; pick another")
    # A trailing separator or a saved pandas index gives an unnamed column: not a series.
    values = [target] if target else [h for h in header if h != time_col and not _is_unnamed(h)]
    if not values:
        raise InputError(f"{path}: no value column besides the time column {time_col!r}")
    if layout == "auto":
        layout = "single" if len(values) == 1 else "wide"
    if layout == "single" and len(values) != 1:
        raise InputError(
            f"{path}: single-series layout needs one value column; pick one with --target "
            f"(candidates: {', '.join(values)})"
        )
    return layout, None, time_col, values


def _read_columns(
    src: _Source, id_col: str | None, time_col: str, targets: list[str]
) -> dict[str, pd.Series]:
    """Read only the needed columns with pyarrow; values as float64, ids dictionary-encoded.

    Numbers pyarrow cannot read directly (spaces only, decimal commas, junk) are re-read as
    text for the columns concerned and converted (or reported with their line) by
    :func:`_to_float`.
    """
    import pyarrow as pa

    text_targets: set[str] = set()
    decimal_comma = src.sep != "," and _uses_decimal_comma(src.sample, targets)
    newlines = False  # quoted line breaks inside values: slower, so only when needed
    # The time column's type, sniffed from the first rows: letting pyarrow infer it over the
    # whole file costs about 4x the table's size in memory. Text stays dictionary-encoded (a
    # long file repeats each timestamp once per series).
    time_type = _sniff_time_type(src.sample[time_col])
    text_time = pa.dictionary(pa.int32(), pa.string())
    for _attempt in range(5):
        try:
            table = _arrow_read(
                src, id_col, time_col, time_type, targets, text_targets, decimal_comma, newlines
            )
            break
        except pa.ArrowInvalid as err:
            msg = _first_line(err)
            if not newlines and "parse error" in msg.lower():
                newlines = True
                continue
            if "utf8" in msg.lower() and src.encoding in ("utf-8", "utf-8-sig"):
                src = replace(src, encoding="cp1252")  # valid UTF-8 at the top only
                continue
            col = _failed_column(msg, src.header)
            if col == time_col and time_type != text_time:
                time_type = text_time  # a later row has another format: parse text ourselves
                continue
            if col in targets and not text_targets:
                # Read the values as text and convert them ourselves (spaces-only cells,
                # decimal commas), or name the line at fault. All columns at once: one
                # re-read, however many columns of a wide file have such cells.
                text_targets.update(targets)
                continue
            raise _parse_error(src, msg) from None
    else:  # pragma: no cover - every target is text by then
        raise InputError(f"{src.path}: cannot parse the CSV")
    # Column by column (a DataFrame of thousands of columns is slow to take apart), each
    # arrow column dropped as soon as it is converted.
    chunked = {name: table.column(name) for name in table.column_names}
    del table
    columns: dict[str, pd.Series] = {}
    for name in list(chunked):
        columns[name] = chunked.pop(name).to_pandas(date_as_object=False)
    _release_arrow_memory()
    finder = _LineFinder(src)
    for col in text_targets:
        columns[col] = pd.Series(_to_float(columns[col], col, src.path, finder, src.sep != ","))
    return columns


def _sniff_time_type(sample: pd.Series):
    """The arrow type pyarrow infers for the time column's first rows (text: dictionary)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    cells = [c for c in sample.astype(str) if c.strip() and c.strip() not in NULL_VALUES]
    text = pa.dictionary(pa.int32(), pa.string())
    if not cells:
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


def _arrow_read(src, id_col, time_col, time_type, targets, text_targets, decimal_comma, newlines):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    usecols = list(dict.fromkeys(([id_col] if id_col else []) + [time_col] + targets))
    types: dict[str, pa.DataType] = {
        t: pa.string() if t in text_targets else pa.float64() for t in targets
    }
    types[time_col] = time_type
    if id_col:
        types[id_col] = pa.dictionary(pa.int32(), pa.string())
    encoding = "utf8" if src.encoding in ("utf-8", "utf-8-sig") else src.encoding
    read_opts = pacsv.ReadOptions(
        column_names=src.header,
        skip_rows=src.header_line + 1,
        encoding=encoding,
    )
    parse_opts = pacsv.ParseOptions(delimiter=src.sep, newlines_in_values=newlines)
    convert = pacsv.ConvertOptions(
        include_columns=usecols,
        column_types=types,
        null_values=list(NULL_VALUES),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        decimal_point="," if decimal_comma else ".",
    )
    input_file = src.path
    if src.compression == "bz2":  # pyarrow detects .gz/.bz2 by extension; be explicit for bz2
        input_file = pa.CompressedInputStream(pa.OSFile(src.path), "bz2")
    return pacsv.read_csv(
        input_file,
        read_options=read_opts,
        parse_options=parse_opts,
        convert_options=convert,
    )


def _release_arrow_memory() -> None:
    """Hand memory freed by pyarrow back to the OS.

    pyarrow's allocator keeps freed buffers for reuse; the columns read from a CSV are freed
    one by one as they are converted, and without this the cached pages doubled the peak
    memory of a load.
    """
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        pa.default_memory_pool().release_unused()


def _uses_decimal_comma(sample: pd.DataFrame, targets: list[str]) -> bool:
    cells = pd.concat([sample[c].str.strip() for c in targets if c in sample], ignore_index=True)
    comma = cells.str.fullmatch(r"[+-]?\d*,\d+").sum()
    point = cells.str.fullmatch(r"[+-]?\d*\.\d+").sum()
    return bool(comma > 0 and point == 0)


def _failed_column(msg: str, header: list[str]) -> str | None:
    """The column named in a pyarrow conversion error ("In CSV column #k: ...")."""
    m = re.search(r"column #(\d+)", msg)
    if m and int(m.group(1)) < len(header):
        return header[int(m.group(1))]
    return None


def _parse_error(src: _Source, msg: str) -> InputError:
    """A structural CSV error (wrong number of fields, bad quoting) with its line."""
    line, fields = _first_bad_record(src)
    n = len(src.header)
    if line is not None:
        return InputError(
            f"{src.path}: line {line} has {fields} fields but the header has {n}; fix that row "
            "(a value containing the separator must be quoted)"
        )
    if "UTF8" in msg or "utf8" in msg.lower():
        return InputError(f"{src.path}: the text is not valid {src.encoding}; save it as UTF-8")
    return InputError(f"{src.path}: cannot parse the CSV ({msg})")


def _first_bad_record(src: _Source) -> tuple[int | None, int]:
    n = len(src.header)
    try:
        with _open_text(src) as fh:
            reader = csv.reader(fh, delimiter=src.sep)
            prev = 0
            seen_header = False
            for rec in reader:
                start, prev = prev + 1, reader.line_num
                if not rec:
                    continue
                if not seen_header:
                    seen_header = True
                    continue
                if len(rec) != n:
                    return start, len(rec)
    except (csv.Error, OSError, EOFError):
        pass
    return None, 0


class _LineFinder:
    """Physical line numbers of data rows (0-based, blank lines excluded), found on demand.

    Only error messages need them, so the file is scanned (with the csv module, so quoted
    newlines count right) only when an error is raised.
    """

    def __init__(self, src: _Source):
        self.src = src

    def __call__(self, rows: Sequence[int]) -> list[int]:
        wanted = sorted({int(r) for r in rows})
        found: dict[int, int] = {}
        if wanted:
            try:
                with _open_text(self.src) as fh:
                    reader = csv.reader(fh, delimiter=self.src.sep)
                    prev, k, i = 0, -2, 0  # k: data row index (-1 is the header)
                    for rec in reader:
                        start, prev = prev + 1, reader.line_num
                        if not rec:
                            continue
                        k += 1
                        while i < len(wanted) and wanted[i] == k:
                            found[k] = start
                            i += 1
                        if i == len(wanted):
                            break
            except (csv.Error, OSError, EOFError):
                pass
        base = self.src.header_line + 2
        return [found.get(int(r), int(r) + base) for r in rows]


def _frame_lines(rows: Sequence[int]) -> list[int]:
    """Default line numbers for a DataFrame: as if written by ``to_csv(index=False)``."""
    return [int(r) + 2 for r in rows]


def _to_float(
    col: pd.Series, name: str, source: str, line_of: LineOf, allow_decimal_comma: bool
) -> np.ndarray:
    """Text cells to float64: spaces stripped, NULL_VALUES missing, else a number or an error."""
    text = col.astype(object).where(col.notna(), "").astype(str).str.strip()
    blank = text.isin(NULL_VALUES)
    if allow_decimal_comma and _decimal_comma_column(text[~blank]):
        # "1.234,5" -> "1234.5": dots group thousands where commas mark the decimals
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    num = pd.to_numeric(text.where(~blank), errors="coerce")
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
            f"{source}: non-numeric value {raw!r} in column {name!r} at line "
            f"{line_of([row])[0]}; values must be numbers: {hint}"
        )
    return num.to_numpy(dtype=np.float64, na_value=np.nan)


def _decimal_comma_column(text: pd.Series) -> bool:
    """Commas mark decimals: some "1,5"-like cells, and every dot groups thousands."""
    comma = text.str.fullmatch(r"[+-]?[\d.]*\d,\d+|[+-]?,\d+")
    dotted = text.str.contains(".", regex=False)
    grouped = text.str.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d*)?")
    return bool(comma.any() and (grouped | ~dotted).all())


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


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
                f"{source}: column {col!r} is entirely empty; drop it or choose another column "
                "with --target"
            )
        inf = np.isinf(arr)
        if inf.any():
            raise InputError(
                f"{source}: infinite value in column {col!r} at line "
                f"{row_line(int(np.flatnonzero(inf)[0]))}; replace it with a number or leave "
                "the cell empty"
            )

    ds, is_int, notes = _parse_time(time, time_col, source, row_line)
    del time
    _release_arrow_memory()

    if ids_raw is not None:
        if ids_raw.isna().any():
            k = int(np.flatnonzero(ids_raw.isna().to_numpy())[0])
            raise InputError(
                f"{source}: empty series id in column {id_col!r} at line {row_line(k)}; "
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
    _release_arrow_memory()

    if layout == "long":
        valid = np.add.reduceat(~np.isnan(y), offsets[:-1]) if len(y) else np.zeros(0)
        if (valid == 0).any():
            i = int(np.flatnonzero(valid == 0)[0])
            raise InputError(
                f"{source}: series {ids[i]!r} has no values (every {targets[0]!r} cell "
                f"is empty, e.g. line {point_line(int(offsets[i]))}); drop its rows"
            )

    _check_duplicates(ds, offsets, point_line, ids, is_int, source, time_col, layout)

    step = 1
    inferred = freq is None
    if is_int:
        step = _infer_int_step(ds, offsets, freq, source)
        freq_alias = None
        pos = _int_positions(ds, offsets, step, source, point_line, time_col)
    elif freq is None:
        freq_alias, pos = _infer_freq(ds, offsets, source, point_line)
    else:
        freq_alias = _check_alias(freq, source)
        pos = _grid_positions(ds, offsets, freq_alias, source, ids, point_line)

    # Handed over in a dict that _fill empties, so the inputs are freed once the full grid
    # is built (no extra copy of the data at the peak).
    arrays = {"y": y, "ds": ds, "pos": pos}
    del y, ds, pos
    return _fill(
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


def _numeric(col: pd.Series, name: str, source: str, line_of: LineOf) -> np.ndarray:
    """A value column as float64 (a new array when conversion is needed; never in place)."""
    if pd.api.types.is_bool_dtype(col.dtype):
        raise InputError(f"{source}: column {name!r} holds true/false values, not numbers")
    if col.dtype == np.float64:
        return col.to_numpy()  # NaN already marks empty cells: no copy
    if pd.api.types.is_numeric_dtype(col.dtype):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    return _to_float(col, name, source, line_of, allow_decimal_comma=False)


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
        dc = np.diff(codes[a : a + chunk + 1].astype(np.int64))
        dt = np.diff(t[a : a + chunk + 1])
        if not ((dc > 0) | ((dc == 0) & (dt >= 0))).all():
            return False
    return True


# ---------------------------------------------------------------------------------------------
# time column


def _parse_time(
    col: pd.Series, name: str, source: str, row_line: Callable[[int], int]
) -> tuple[np.ndarray, bool, list[str]]:
    """Timestamps as datetime64[ns] (naive; UTC if zone-aware) or int64 for a step index.

    Returns (values, is_integer_index, notes).
    """
    notes: list[str] = []
    if col.isna().any():
        k = int(np.flatnonzero(col.isna().to_numpy())[0])
        raise InputError(
            f"{source}: empty timestamp in column {name!r} at line {row_line(k)}; every row "
            "needs one"
        )
    if pd.api.types.is_bool_dtype(col.dtype):
        raise InputError(f"{source}: column {name!r} holds true/false values, not times")
    if pd.api.types.is_integer_dtype(col.dtype):
        arr = col.to_numpy(dtype=np.int64)
        stamps = _yyyymmdd(arr)
        if stamps is not None:
            return stamps, False, notes
        return arr, True, notes
    if pd.api.types.is_float_dtype(col.dtype):
        arr = col.to_numpy()
        if np.all(arr == np.round(arr)):
            return arr.astype(np.int64), True, notes
        raise InputError(
            f"{source}: column {name!r} holds fractional numbers; the time column must be dates "
            "or whole-number steps (or pass --time-col)"
        )
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        return _as_ns(col.dt.tz_convert("UTC").dt.tz_localize(None), name, source), False, notes
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return _as_ns(col, name, source), False, notes

    # Text: parse each distinct value once (a long file repeats every timestamp per series).
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = np.asarray(col.array.codes)
        text = pd.Series(col.array.categories.astype(str), dtype=object).str.strip()
    else:
        codes, uniques = pd.factorize(col.astype(str).str.strip())
        text = pd.Series(uniques, dtype=object)
    if text.str.fullmatch(r"[+-]?\d+").all():
        arr = text.astype(np.int64).to_numpy()
        stamps = _yyyymmdd(arr)
        if stamps is not None:
            return stamps[codes], False, notes
        return arr[codes], True, notes
    parsed, note = _parse_date_text(text)
    if note:
        notes.append(note)
    bad = parsed.isna().to_numpy()[codes]
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{source}: cannot read {text.iloc[codes[k]]!r} in column {name!r} at line "
            f"{row_line(k)} as a date; use one date format throughout (e.g. 2024-01-31 or "
            "2024-01-31 13:00), or name the time column with --time-col"
        )
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return _as_ns(parsed, name, source)[codes], False, notes


def _as_ns(col: pd.Series, name: str, source: str) -> np.ndarray:
    try:
        return col.to_numpy("datetime64[ns]")
    except (pd.errors.OutOfBoundsDatetime, OverflowError, ValueError):
        raise InputError(
            f"{source}: dates in column {name!r} fall outside 1677-2262, which pandas cannot "
            "hold; use an integer step index instead"
        ) from None


def _yyyymmdd(arr: np.ndarray) -> np.ndarray | None:
    """Dates written as 8-digit integers (20240131), or None if they are not all valid dates."""
    if len(arr) == 0 or arr.min() < 1000_01_01 or arr.max() > 2999_12_31:
        return None
    uniq, inv = np.unique(arr, return_inverse=True)
    parsed = pd.to_datetime(pd.Series(uniq.astype(str)), format="%Y%m%d", errors="coerce")
    if parsed.isna().any():
        return None
    return parsed.to_numpy("datetime64[ns]")[inv.reshape(-1)]


_SLASH = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})(?:[ T].*)?$")
_QUARTER = re.compile(r"(\d{4})[- ]?Q([1-4])", re.IGNORECASE)


def _parse_date_text(text: pd.Series) -> tuple[pd.Series, str | None]:
    """Parse distinct date strings. Returns (datetimes with NaT where unreadable, note)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=_has_zone(text))
        except (ValueError, TypeError, OverflowError):
            parsed = pd.Series(pd.NaT, index=text.index)
        if not parsed.isna().any():
            return parsed, None
        quarter = text.str.fullmatch(_QUARTER.pattern, case=False)
        if quarter.all():
            m = text.str.extract(_QUARTER.pattern, flags=re.IGNORECASE)
            periods = pd.PeriodIndex.from_fields(
                year=m[0].astype(int).to_numpy(), quarter=m[1].astype(int).to_numpy(), freq="Q"
            )
            return pd.Series(periods.to_timestamp(), index=text.index), None
        m = text.str.extract(_SLASH.pattern)
        if m[0].notna().all():
            return _parse_day_month(text, m)
        return _parse_leniently(text), None


def _parse_day_month(text: pd.Series, m: pd.DataFrame) -> tuple[pd.Series, str | None]:
    """Dates like 01/02/2020: decide between day/month and month/day order."""
    first, sep, second = m[0].astype(int), m[1].iloc[0], m[2].astype(int)

    def parse(dayfirst: bool) -> pd.Series:
        return pd.to_datetime(text, errors="coerce", dayfirst=dayfirst)

    if (first > 12).any():
        return parse(True), None
    if (second > 12).any():
        return parse(False), None
    # Both orders are valid dates: prefer the one that makes the more regular series.
    by_day, by_month = parse(True), parse(False)
    irregular_day, irregular_month = _irregularity(by_day), _irregularity(by_month)
    if irregular_day != irregular_month:
        dayfirst = irregular_day < irregular_month
        why = "it gives the more regular series"
    else:
        dayfirst = sep == "."
        why = "the usual order for '.'" if dayfirst else "the usual order for '/' and '-'"
    order = "day/month" if dayfirst else "month/day"
    note = (
        f"dates like {text.iloc[0]!r} could be day/month or month/day; read as {order} "
        f"({why}); write dates as YYYY-MM-DD to be sure"
    )
    return (by_day if dayfirst else by_month), note


def _irregularity(parsed: pd.Series) -> tuple[int, int]:
    """(no pandas frequency fits, distinct spacings) of the sorted distinct dates; lower wins."""
    if parsed.isna().any():
        return (2, 0)
    t = np.unique(parsed.to_numpy("datetime64[ns]"))
    if _pandas_infer(t) is not None:
        return (0, 0)  # a regular series: equally good whatever the spacing
    return (1, len(np.unique(np.diff(t))))


def _parse_leniently(text: pd.Series) -> pd.Series:
    utc = _has_zone(text)
    try:
        parsed = pd.to_datetime(text, errors="coerce", utc=utc)
    except (ValueError, TypeError, OverflowError):
        parsed = pd.Series(pd.NaT, index=text.index)
    if parsed.isna().any():
        try:
            mixed = pd.to_datetime(text, errors="coerce", format="mixed", utc=utc)
            if mixed.isna().sum() < parsed.isna().sum():
                parsed = mixed
        except (ValueError, TypeError, OverflowError):
            pass
    return parsed


def _has_zone(text: pd.Series) -> bool:
    sample = text.iloc[: min(len(text), 50)]
    return bool(sample.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).any())


def _check_duplicates(ds, offsets, point_line, ids, is_int, source, time_col, layout) -> None:
    same = ds[1:] == ds[:-1]
    if len(offsets) > 2:
        same[offsets[1:-1] - 1] = False  # the last point of one series vs the next's first
    if same.any():
        k = int(np.flatnonzero(same)[0])
        i = int(np.searchsorted(offsets, k, side="right") - 1)
        stamp = ds[k] if is_int else _stamp(ds[k])
        a, b = sorted((point_line(k), point_line(k + 1)))
        hint = (
            "; if the file holds several series, name the id column with --id-col"
            if layout != "long"
            else ""
        )
        raise InputError(
            f"{source}: duplicate timestamp {stamp} in series {ids[i]!r} (lines {a} and {b}); "
            f"each series needs one row per {time_col!r} value{hint}"
        )


# ---------------------------------------------------------------------------------------------
# frequency


def _infer_int_step(ds: np.ndarray, offsets: np.ndarray, freq: str | None, source: str) -> int:
    if freq is not None:
        try:
            step = int(freq)
        except ValueError:
            raise InputError(
                f"{source}: the time column is an integer step index, so --freq must be a whole "
                f"number step (got {freq!r})"
            ) from None
        if step < 1:
            raise InputError(f"{source}: --freq step must be positive (got {step})")
        return step
    diffs = _within_series_diffs(ds, offsets)
    return int(np.gcd.reduce(diffs)) if len(diffs) and diffs.min() > 0 else 1


def _within_series_diffs(ds: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    diffs = np.diff(ds.view(np.int64))
    if len(offsets) > 2:
        keep = np.ones(len(diffs), dtype=bool)
        keep[offsets[1:-1] - 1] = False
        diffs = diffs[keep]
    return diffs


def _int_positions(ds, offsets, step, source, point_line, time_col) -> np.ndarray:
    starts = np.repeat(ds[offsets[:-1]], np.diff(offsets))
    rel = ds - starts
    off = rel % step != 0
    if off.any():
        k = int(np.flatnonzero(off)[0])
        raise InputError(
            f"{source}: step {ds[k]} at line {point_line(k)} is off the step-{step} grid of its "
            f"series in column {time_col!r}; fix the step index or pass --freq with the right step"
        )
    return rel // step


_UNITS_NS = {
    "D": 86_400 * 10**9,
    "h": 3_600 * 10**9,
    "min": 60 * 10**9,
    "s": 10**9,
    "ms": 10**6,
    "us": 10**3,
    "ns": 1,
}


def _freqstr(value) -> str | None:
    """``pd.infer_freq`` result as a string (pandas 3 may return an offset object)."""
    if value is None:
        return None
    return getattr(value, "freqstr", str(value))


def _pandas_infer(stamps: np.ndarray) -> str | None:
    if len(stamps) < 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return _freqstr(pd.infer_freq(pd.DatetimeIndex(stamps)))
        except (ValueError, TypeError):
            return None


def _delta_text(ns: int) -> str:
    """A spacing as a pandas alias: 3600e9 ns -> "h", 1800e9 -> "30min"."""
    return pd.tseries.frequencies.to_offset(pd.Timedelta(ns)).freqstr


def _stamp(value) -> str:
    """A timestamp for a message: the date alone at midnight."""
    t = pd.Timestamp(value)
    return str(t.date()) if t == t.normalize() else str(t)


def _infer_freq(
    ds: np.ndarray, offsets: np.ndarray, source: str, point_line: Callable[[int], int]
) -> tuple[str, np.ndarray]:
    """Infer the pandas offset alias that fits every series' timestamps with the fewest gaps.

    Returns (alias, grid position of every point relative to its series start).
    """
    lengths = np.diff(offsets)
    longest = int(np.argmax(lengths))
    if lengths[longest] < 2:
        raise InputError(
            f"{source}: every series has a single point, so no frequency can be inferred; "
            "pass --freq (e.g. D, h, MS)"
        )
    seg = ds[offsets[longest] : offsets[longest + 1]]
    # pandas' own inference on both ends of the longest series (sampled for speed)
    candidates = [_pandas_infer(seg[:400]), _pandas_infer(seg[-400:])]
    diffs = _within_series_diffs(ds, offsets)  # ns, all > 0 (sorted, no duplicates)
    spacing_ns = int(diffs.min())
    spacing = spacing_ns // 1_000_000_000
    candidates.extend(_calendar_candidates(spacing_ns, pd.DatetimeIndex(seg)))
    best: tuple[int, str, np.ndarray] | None = None
    for alias in dict.fromkeys(c for c in candidates if c):  # ordered, unique
        try:
            pos = _positions_or_none(ds, offsets, alias)
        except (ValueError, TypeError, OverflowError):
            continue
        if pos is None:
            continue
        size = int((pos[offsets[1:] - 1] + 1).sum())  # grid points after filling
        if best is None or size < best[0]:
            best = (size, alias, pos)
        if size == len(ds):
            break  # no gaps: nothing can fit better
    if best is None:
        unit = _delta_text(spacing_ns)
        off = _off_grid(ds, offsets, unit) if spacing < 28 * 86400 else None
        example = ""
        if off is not None and off[0].any():
            k = int(np.flatnonzero(off[0])[0])
            example = f"; {_stamp(ds[k])} at line {point_line(k)} is off the {unit} grid"
        elif 28 * 86400 <= spacing <= 31 * 86400:
            example = "; monthly dates must all fall on the first or the last day of their month"
        raise InputError(
            f"{source}: timestamps are irregular and fit no frequency (smallest spacing "
            f"{unit}{example}); pass --freq, or resample the data to a regular grid"
        )
    return _canonical(best[1], seg[0]), best[2]


def _canonical(alias: str, start) -> str:
    """pandas' own name for the grid (``QS`` -> ``QS-JAN``), so equal grids get one name."""
    if _is_fixed(alias) is not None:
        return alias
    grid = pd.date_range(pd.Timestamp(start), periods=24, freq=alias)
    name = _pandas_infer(grid.values)
    return name if name and _same_grid(name, alias, grid) else alias


def _same_grid(a: str, b: str, grid: pd.DatetimeIndex) -> bool:
    try:
        return pd.date_range(grid[0], periods=len(grid), freq=a).equals(grid)
    except ValueError:
        return False


def _calendar_candidates(spacing_ns: int, stamps: pd.DatetimeIndex) -> list[str]:
    spacing_s = spacing_ns // 1_000_000_000
    day = 86400
    out: list[str] = []
    first = stamps[0]
    mon = first.strftime("%b").upper()
    if 28 * day <= spacing_s <= 31 * day:
        out += ["MS", "ME", "BMS", "BME"]
    elif 59 * day <= spacing_s <= 62 * day:
        out += ["2MS", "2ME"]
    elif 89 * day <= spacing_s <= 92 * day:
        out += [f"QS-{mon}", f"QE-{mon}", f"BQS-{mon}", f"BQE-{mon}"]
    elif 181 * day <= spacing_s <= 184 * day:
        out += ["6MS", "6ME"]
    elif 365 * day <= spacing_s <= 366 * day:
        out += [f"YS-{mon}", f"YE-{mon}", f"BYS-{mon}", f"BYE-{mon}"]
    elif spacing_s == 7 * day:
        out.append(f"W-{first.day_name()[:3].upper()}")
    # fixed spacing: to the biggest whole unit
    for unit, unit_ns in _UNITS_NS.items():
        if spacing_ns % unit_ns == 0:
            k = spacing_ns // unit_ns
            out.append(f"{k}{unit}" if k != 1 else unit)
            break
    if spacing_s == day:
        out.append("B")
    return out


def _is_fixed(alias: str) -> pd.Timedelta | None:
    offset = pd.tseries.frequencies.to_offset(alias)
    if isinstance(offset, pd.offsets.Tick):
        return pd.Timedelta(offset)
    return None


def _positions_or_none(ds: np.ndarray, offsets: np.ndarray, alias: str) -> np.ndarray | None:
    """Grid position of every timestamp relative to its series start, or None if off-grid."""
    off = _off_grid(ds, offsets, alias)
    if off is None or off[0].any():
        return None
    return off[1]


def _off_grid(ds: np.ndarray, offsets: np.ndarray, alias: str):
    """(mask of points off the ``alias`` grid, positions) or None if the grid is too large."""
    fixed = _is_fixed(alias)
    counts = np.diff(offsets)
    t = ds.view(np.int64)
    if fixed is not None:
        rel = np.repeat(t[offsets[:-1]], counts)
        np.subtract(t, rel, out=rel)  # time since the series start, in ns
        q = fixed.value
        off = rel % q != 0
        rel //= q
        return off, rel
    lo, hi = pd.Timestamp(ds.min()), pd.Timestamp(ds.max())
    grid = pd.date_range(lo, hi, freq=alias)
    if len(grid) > 50_000_000:
        return None
    idx = grid.get_indexer(pd.DatetimeIndex(ds))
    off = idx < 0
    return off, idx - np.repeat(idx[offsets[:-1]], counts)


def _check_alias(freq: str, source: str) -> str:
    try:
        pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        raise InputError(
            f"{source}: unknown frequency {freq!r}; use a pandas alias such as D, h, 30min, "
            "W-SUN, MS, QS"
        ) from None
    return freq


def _grid_positions(ds, offsets, alias, source, ids, point_line) -> np.ndarray:
    off = _off_grid(ds, offsets, alias)
    if off is None:
        raise InputError(f"{source}: frequency {alias!r} makes a grid too large to hold")
    mask, pos = off
    if mask.any():
        k = int(np.flatnonzero(mask)[0])
        i = int(np.searchsorted(offsets, k, side="right") - 1)
        start = (
            f" that starts at the series' first timestamp {_stamp(ds[offsets[i]])}"
            if _is_fixed(alias) is not None
            else ""
        )
        raise InputError(
            f"{source}: timestamp {_stamp(ds[k])} in series {ids[i]!r} (line {point_line(k)}) "
            f"is off the {alias!r} grid{start}; pass the right --freq or resample the data to a "
            "regular grid"
        )
    return pos


# ---------------------------------------------------------------------------------------------
# gap filling


def _fill(
    arrays: dict[str, np.ndarray],
    *,
    ids,
    offsets,
    freq,
    step,
    fill,
    layout,
    columns,
    source,
    is_int,
    inferred,
    point_line,
    notes,
) -> Panel:
    y, ds, pos = arrays.pop("y"), arrays.pop("ds"), arrays.pop("pos")
    counts = np.diff(offsets)
    full_len = pos[offsets[1:] - 1] + 1  # (S,) grid length of each series
    missing_stamps = int(full_len.sum() - counts.sum())
    grid_name = f"step-{step}" if is_int else repr(freq)
    if missing_stamps:
        per_series = full_len - counts
        i = int(np.flatnonzero(per_series)[0])
        seg = pos[offsets[i] : offsets[i + 1]]
        k = int(offsets[i]) + int(np.flatnonzero(np.diff(seg) > 1)[0])
        after = ds[k] if is_int else _stamp(ds[k])

        def where() -> str:  # only for messages: finding the line may scan the file
            return f"series {ids[i]!r}, first gap after {after} at line {point_line(k)}"

        if fill == "error":
            raise InputError(
                f"{source}: {missing_stamps} missing timestamps on the {grid_name} grid "
                f"({where()}); "
                "with --fill error every step must be present: use --fill interpolate, ffill or "
                "zero to fill gaps"
            )
        grid_points = int(full_len.sum())
        if not inferred and grid_points > max(10_000_000, 20 * int(counts.sum())):
            raise InputError(
                f"{source}: on the {grid_name} grid the data would span {grid_points} points for "
                f"{int(counts.sum())} observations; check --freq"
            )
        if inferred and missing_stamps > MAX_INFERRED_FILL * full_len.sum():
            raise InputError(
                f"{source}: timestamps are irregular: on the inferred {grid_name} grid "
                f"{missing_stamps} of {int(full_len.sum())} points would be missing "
                f"({where()}); "
                "pass --freq to confirm the grid, or resample the data to a regular grid"
            )
    nan = np.isnan(y)
    if fill == "error" and nan.any():
        k = int(np.flatnonzero(nan)[0])
        i = int(np.searchsorted(offsets, k, side="right") - 1)
        raise InputError(
            f"{source}: empty value in series {ids[i]!r} at line {point_line(k)} with --fill "
            "error; fill it in or use --fill interpolate, ffill or zero"
        )

    new_offsets = np.concatenate([[0], np.cumsum(full_len)]).astype(np.int64)
    if missing_stamps:
        pos += np.repeat(new_offsets[:-1], counts)  # now the index in the full grid
        y_full = np.full(int(new_offsets[-1]), np.nan)
        y_full[pos] = y
        del pos, y
        _release_arrow_memory()
        ds_full = _rebuild_stamps(ds, offsets, full_len, freq, step, is_int)
        del ds
        nan = np.isnan(y_full)
    else:
        del pos
        y_full, ds_full = y, ds
    filled_points = int(nan.sum())
    filled_series = 0
    if filled_points:
        if not missing_stamps:
            y_full = y_full.copy()  # y may be a view of the caller's frame: never fill in place
        filled_series = _fill_gaps(y_full, nan, new_offsets, fill)
    return Panel(
        ids=ids,
        y=np.ascontiguousarray(y_full, dtype=np.float64),
        ds=ds_full,
        offsets=new_offsets,
        freq=freq,
        step=step,
        layout=layout,
        columns=columns,
        filled_points=filled_points,
        filled_series=filled_series,
        source=source,
        fill=fill,
        notes=notes,
    )


def _fill_gaps(y: np.ndarray, nan: np.ndarray, offsets: np.ndarray, fill: str) -> int:
    """Fill NaNs in place, never across series; returns how many series needed filling.

    Every series has at least one value (checked before). Vectorised over the K missing
    points (memory O(K), not O(N)): for each, the last value before it and the next value
    after it, within its series.
    """
    k = np.flatnonzero(nan)  # (K,) every missing point, ascending
    s_k = np.searchsorted(offsets, k, side="right") - 1  # its series
    filled_series = len(np.unique(s_k))
    if fill == "zero":
        y[k] = 0.0
        return filled_series
    # Runs of consecutive missing points: the value before a run is at run start - 1, the
    # one after at run end. A run may span two series; the bounds checks below handle that.
    new_run = np.concatenate([[True], np.diff(k) != 1])
    run = np.cumsum(new_run) - 1
    run_first = k[new_run]
    run_last = k[np.concatenate([np.flatnonzero(new_run)[1:] - 1, [len(k) - 1]])]
    p = run_first[run] - 1
    q = run_last[run] + 1
    has_p = p >= offsets[s_k]
    has_q = q < offsets[s_k + 1]
    p_val = y[np.where(has_p, p, 0)]
    q_val = y[np.where(has_q, q, len(y) - 1)]
    if fill == "ffill":  # carry the last value forward; leading gaps take the first value
        y[k] = np.where(has_p, p_val, q_val)
    else:  # interpolate: linear inside, nearest value at the ends
        frac = (k - p) / np.maximum(q - p, 1)
        inner = p_val + (q_val - p_val) * frac
        y[k] = np.where(has_p & has_q, inner, np.where(has_p, p_val, q_val))
    return filled_series


def _rebuild_stamps(ds, offsets, full_len, freq, step, is_int) -> np.ndarray:
    starts = ds[offsets[:-1]]
    if is_int:
        return concat_ranges(starts, full_len, step)
    fixed = _is_fixed(freq)
    if fixed is not None:
        return concat_ranges(starts.view(np.int64), full_len, fixed.value).view("datetime64[ns]")
    parts = [
        pd.date_range(pd.Timestamp(s), periods=int(n), freq=freq).values
        for s, n in zip(starts, full_len, strict=True)
    ]
    return np.concatenate(parts).astype("datetime64[ns]")


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
