"""Reading a CSV file: file checks, sniffing, the header, pyarrow or pandas, bad cells.

:func:`open_source` checks the path and sniffs compression, encoding, separator and header;
:func:`read_columns` reads the needed columns with pyarrow where it is installed (the fast,
multi-threaded path) and with pandas' C parser otherwise (the edge install has no pyarrow);
:class:`LineFinder`, :func:`to_float` and the parse-error helpers turn a bad cell or row into an
:class:`InputError` that names its physical line, whichever reader found it.
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
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from forecastr.errors import InputError, shown

# Cell texts read as a missing value (after stripping spaces).
NULL_VALUES = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "#N/A", "-", "n/a", "na")

# Maps 0-based data row numbers to physical line numbers, for messages.
LineOf = Callable[[Sequence[int]], list[int]]

Engine = Literal["pyarrow", "pandas"]

# The reader read_columns uses; None: pyarrow if it can be imported, else pandas. Tests set it
# to run the pandas path in an interpreter that has pyarrow.
ENGINE: Engine | None = None

# The most bytes read to find the end of the header line (a wide file of many thousand
# series has a long one); a longer first line is refused.
MAX_HEADER_BYTES = 64 << 20

# Cells per chunk of the pandas reader: bounds the memory its text columns take before they
# are dictionary-encoded (a Python string per cell).
PANDAS_CHUNK_CELLS = 1 << 21


@dataclass(frozen=True)
class Source:
    """A CSV file as sniffed: how to open it and where its header is."""

    path: str
    encoding: str  # a Python codec name
    compression: str | None  # "gzip", "bz2" or None
    sep: str
    header_line: int  # 0-based physical line of the header row
    header: list[str]
    sample: pd.DataFrame  # the first rows as text (dtype str, empty cells as "")
    # pyarrow's block: at least a few of the longest lines seen at the top (pyarrow cannot
    # skip a header or hold a row longer than one block).
    block_size: int = 1 << 20


def open_source(path: str) -> Source:
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
            head = _read_head(fh)
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
    header_line = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if header_line is None:  # only a byte-order mark, or blanks in UTF-16
        raise InputError(f"{path}: the file is empty; it needs a header row and data rows")
    sep = _sniff_separator([ln for ln in lines[header_line:] if ln.strip()][:50])
    if len(head) >= MAX_HEADER_BYTES and len(lines) <= header_line + 1:
        raise InputError(
            f"{path}: the first line is longer than {MAX_HEADER_BYTES >> 20} MB; check that the "
            "file is a CSV with one row per line"
        )
    header, sample = _read_header(path, compression, encoding, sep, header_line, lines[header_line])
    longest = max(len(ln) for ln in lines[header_line:]) * (2 if encoding == "utf-16" else 1)
    block = max(1 << 20, 4 * longest)
    return Source(path, encoding, compression, sep, header_line, header, sample, block)


def _read_head(fh) -> bytes:
    """The first MiB, or more when the first non-blank line is longer (up to
    :data:`MAX_HEADER_BYTES`), so that the header is read whole."""
    head = fh.read(1 << 20)
    while len(head) < MAX_HEADER_BYTES and not _has_line_end(head.lstrip()):
        more = fh.read(min(len(head), MAX_HEADER_BYTES - len(head)))
        if not more:
            break
        head += more
    return head


def _has_line_end(text: bytes) -> bool:
    return b"\n" in text or b"\r" in text


def _open_binary(path: str, compression: str | None):
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "bz2":
        return bz2.open(path, "rb")
    return open(path, "rb")


def _open_text(src: Source):
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
            f"{path}: found one column ({shown(names[0])}) in the header; a CSV needs a time "
            "column and a value column separated by , ; tab or |"
        )
    dupes = sorted(n for n, k in Counter(names).items() if k > 1)  # linear: 1e6 columns happen
    if dupes:
        raise InputError(
            f"{path}: duplicate column names {', '.join(shown(d) for d in dupes[:5])}; give every "
            "column a unique name"
        )
    if all(_looks_like_value(n) for n in names):
        raise InputError(
            f"{path}: the first line ({shown(sep.join(names), quote=False)}) looks like data, "
            "not a header; add a header row such as ds,y"
        )
    if sum(_looks_like_date(n) for n in names) >= max(3, len(names) // 2):
        raise InputError(
            f"{path}: the header holds dates ({shown(names[1])}, {shown(names[2])}, ...), so the "
            "file has one row per series; forecastr reads time down the rows: reshape it to long "
            "format (id, date, value) or wide format (date, one column per series)"
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
        raise InputError(
            f"{path}: not a readable CSV ({shown(_first_line(err), 200, quote=False)})"
        ) from None
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


def engine() -> Engine:
    """The CSV reader to use: :data:`ENGINE` if set, else pyarrow where it can be imported."""
    if ENGINE is not None:
        return ENGINE
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return "pandas"
    return "pyarrow"


def read_columns(
    src: Source, id_col: str | None, time_col: str, targets: list[str]
) -> dict[str, pd.Series]:
    """Read the needed columns; values as float64, ids (and text times) dictionary-encoded.

    pyarrow reads where it is installed; pandas' C parser otherwise, giving the same columns
    and the same errors. Numbers neither can read directly (spaces only, decimal commas, junk)
    are re-read as text and converted (or reported with their line) by :func:`to_float`.
    """
    if engine() == "pandas":
        return _read_columns_pandas(src, id_col, time_col, targets)
    return _read_columns_arrow(src, id_col, time_col, targets)


def _read_columns_arrow(
    src: Source, id_col: str | None, time_col: str, targets: list[str]
) -> dict[str, pd.Series]:
    """Read only the needed columns with pyarrow (multi-threaded, straight to float64)."""
    import pyarrow as pa

    text_targets: set[str] = set()
    decimal_comma = src.sep != "," and _uses_decimal_comma(src.sample, targets)
    newlines = False  # quoted line breaks inside values: slower, so only when needed
    # The time column's type, sniffed from the first rows: letting pyarrow infer it over the
    # whole file costs about 4x the table's size in memory. Text stays dictionary-encoded (a
    # long file repeats each timestamp once per series).
    time_type = _sniff_time_type(src.sample[time_col])
    text_time = pa.dictionary(pa.int32(), pa.string())
    for _attempt in range(8):
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
            if "block size" in msg.lower() and src.block_size < 1 << 30:
                src = replace(src, block_size=4 * src.block_size)  # a row longer than a block
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
    release_arrow_memory()
    finder = LineFinder(src)
    for col in text_targets:
        columns[col] = pd.Series(to_float(columns[col], col, src.path, finder, src.sep != ","))
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
        block_size=src.block_size,
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


def _read_columns_pandas(
    src: Source, id_col: str | None, time_col: str, targets: list[str]
) -> dict[str, pd.Series]:
    """Read the needed columns with pandas' C parser: the reader where pyarrow is missing.

    Mirrors :func:`_read_columns_arrow`: values float64 (or text converted by
    :func:`to_float`), the id and time columns categorical in order of first appearance, a
    time column of fractional numbers float64; a row with too many or too few fields and
    text that is not valid in the sniffed encoding give the same messages.
    """
    text_targets = False
    decimal_comma = src.sep != "," and _uses_decimal_comma(src.sample, targets)
    for _attempt in range(4):
        try:
            columns, maybe_short = _pandas_read(
                src, id_col, time_col, targets, text_targets, decimal_comma
            )
            break
        except UnicodeDecodeError:
            if src.encoding in ("utf-8", "utf-8-sig"):
                src = replace(src, encoding="cp1252")  # valid UTF-8 at the top only
                continue
            raise _parse_error(src, "invalid utf8", spaces_blank=True) from None
        except (pd.errors.ParserError, pd.errors.ParserWarning) as err:  # too many fields
            raise _parse_error(src, _first_line(err), spaces_blank=True) from None
        except ValueError as err:  # a value pandas cannot read as a float
            if text_targets:
                raise _parse_error(src, _first_line(err), spaces_blank=True) from None
            text_targets = True  # convert (or report) them ourselves, as pyarrow's path does
    else:  # pragma: no cover - every target is text by then
        raise InputError(f"{src.path}: cannot parse the CSV")
    # pandas pads a row with too few fields with empty cells; pyarrow refuses it. Such a row
    # leaves the last column empty, so only then is the file scanned for one.
    if maybe_short and _first_bad_record(src, spaces_blank=True)[0] is not None:
        raise _parse_error(src, "", spaces_blank=True)
    if text_targets:
        finder = LineFinder(src)
        for col in targets:
            columns[col] = pd.Series(to_float(columns[col], col, src.path, finder, src.sep != ","))
    if _sniff_fractional(src.sample[time_col]):
        columns[time_col] = _fractional_time(columns[time_col])
    return columns


def _pandas_read(src, id_col, time_col, targets, text_targets, decimal_comma):
    """(columns, whether the last column has an empty cell), read in chunks.

    Every column is parsed (with ``usecols`` pandas silently drops a row's extra fields), but
    only the used ones are kept; text columns are dictionary-encoded chunk by chunk.
    """
    float_cols = [] if text_targets else list(targets)
    dtypes = {c: np.float64 if c in float_cols else str for c in src.header}
    keys = [c for c in (id_col, time_col) if c is not None]
    parts: dict[str, list] = {c: [] for c in [*keys, *targets]}
    last = src.header[-1]
    maybe_short = False
    reader = pd.read_csv(
        src.path,
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
        compression=src.compression,
        chunksize=max(1024, PANDAS_CHUNK_CELLS // len(src.header)),
    )
    with reader, warnings.catch_warnings():
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
        if c in float_cols:
            columns[c] = pd.Series(np.concatenate(parts.pop(c) or [np.zeros(0)]))
        else:
            chunks = parts.pop(c)
            columns[c] = (
                pd.concat(chunks, ignore_index=True) if chunks else pd.Series([], dtype=str)
            )
    for c in keys:
        chunks = parts.pop(c)
        cat = (
            pd.api.types.union_categoricals(chunks)  # categories in order of first appearance
            if chunks
            else pd.Categorical([], categories=pd.Index([], dtype=object))
        )
        columns[c] = pd.Series(cat)
    return columns, maybe_short


def _categorical(col: pd.Series) -> pd.Categorical:
    """Text as a categorical whose categories are in order of first appearance (as pyarrow's)."""
    codes, uniques = pd.factorize(col, sort=False)
    return pd.Categorical.from_codes(codes, categories=pd.Index(np.asarray(uniques, dtype=object)))


def _sniff_fractional(sample: pd.Series) -> bool:
    """The time column's first rows are numbers, some with a fraction: pyarrow's float64."""
    cells = sample.astype(str).str.strip()
    cells = cells[(cells != "") & ~cells.isin(NULL_VALUES)]
    if len(cells) == 0 or cells.str.fullmatch(r"[+-]?\d+").all():
        return False
    return bool(pd.to_numeric(cells, errors="coerce").notna().all())


def _fractional_time(col: pd.Series) -> pd.Series:
    """A time column sniffed as fractional numbers as float64, as pyarrow reads it.

    Whole numbers and dates stay text (:mod:`forecastr.timeaxis` parses them alike); numbers
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


def release_arrow_memory() -> None:
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


def _parse_error(src: Source, msg: str, spaces_blank: bool = False) -> InputError:
    """A structural CSV error (wrong number of fields, bad quoting) with its line."""
    line, fields = _first_bad_record(src, spaces_blank)
    n = len(src.header)
    if line is not None:
        return InputError(
            f"{src.path}: line {line} has {fields} fields but the header has {n}; fix that row "
            "(a value containing the separator must be quoted)"
        )
    if "UTF8" in msg or "utf8" in msg.lower():
        return InputError(f"{src.path}: the text is not valid {src.encoding}; save it as UTF-8")
    return InputError(f"{src.path}: cannot parse the CSV ({shown(msg, 200, quote=False)})")


def _first_bad_record(src: Source, spaces_blank: bool = False) -> tuple[int | None, int]:
    """(line, fields) of the first row whose field count is not the header's, or (None, 0).

    ``spaces_blank``: a line of spaces counts as blank, as pandas' parser skips it (pyarrow
    refuses it as a row of one field).
    """
    n = len(src.header)
    try:
        with _open_text(src) as fh:
            reader = csv.reader(fh, delimiter=src.sep)
            prev = 0
            seen_header = False
            for rec in reader:
                start, prev = prev + 1, reader.line_num
                if not rec or (spaces_blank and _blank(rec)):
                    continue
                if not seen_header:
                    seen_header = True
                    continue
                if len(rec) != n:
                    return start, len(rec)
    except (csv.Error, OSError, EOFError):
        pass
    return None, 0


def _blank(rec: list[str]) -> bool:
    """A record of no fields, or of one field of spaces only (a line no reader keeps as a row:
    pandas skips it, pyarrow refuses the file)."""
    return not rec or (len(rec) == 1 and not rec[0].strip())


class LineFinder:
    """Physical line numbers of data rows (0-based, blank lines excluded), found on demand.

    Only error messages need them, so the file is scanned (with the csv module, so quoted
    newlines count right) only when an error is raised.
    """

    def __init__(self, src: Source):
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
                        if _blank(rec):
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


def to_float(
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
            f"{source}: non-numeric value {shown(raw)} in column {shown(name)} at line "
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
