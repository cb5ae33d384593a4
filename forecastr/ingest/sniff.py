"""Sniffing a CSV file: path checks, compression, encoding, separator and the header.

:func:`open_source` checks the path and returns a :class:`Source`: how to open the file and
where its header is, with the first rows as text for layout detection.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import csv
import gzip
import io
import lzma
import os
import re
import stat
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import IO, cast

import numpy as np
import pandas as pd

from forecastr.errors import InputError, shown
from forecastr.ingest import noheader
from forecastr.ingest.footer import fields, find_footer, open_data
from forecastr.ingest.levels import is_date, is_stamp, stacked_header

# The start of a JSON document or of JSON lines: [{ ... , [[ ... , {" ...
JSON_START = re.compile(r'\s*(?:\[\s*[\[{]|\{\s*")')
# The line Excel may write above the header to name the separator: sep=; (quoted, or followed
# by empty fields, when another program saved it again)
EXCEL_SEP = re.compile(r'"?sep=([,;\t|])"?[,;\t|]*', re.IGNORECASE)
# The most bytes read to find the end of the header line (a wide file of many thousand
# series has a long one); a longer first line is refused.
MAX_HEADER_BYTES = 64 << 20


@dataclass(frozen=True)
class Source:
    """A CSV file as sniffed: how to open it and where its header is."""

    path: str
    encoding: str  # a Python codec name
    compression: str | None  # "gzip", "bz2", "xz" or None
    sep: str
    header_line: int  # 0-based physical line of the header row; -1: none (one column of data)
    header: list[str]
    sample: pd.DataFrame  # the first rows as text (dtype str, empty cells as "")
    # pyarrow's block: at least a few of the longest lines seen at the top (pyarrow cannot
    # skip a header or hold a row longer than one block).
    block_size: int = 1 << 20
    # A plain file's lines of notes below the data (:mod:`.footer`): the byte offset where they
    # start, which the readers stop at (None: read to the end), and the note naming them.
    data_end: int | None = None
    notes: tuple[str, ...] = ()
    # The rows are the time: numbers with no header, or pandas' names 0, 1 ... (:mod:`.noheader`)
    numbered: bool = False


def open_source(path: str) -> Source:
    """Check the file, and detect compression, encoding, separator and header."""
    _check_path(path)
    compression = _compression(path)
    head = _head_bytes(path, compression)
    if not head.strip():
        raise InputError(f"{path}: the file is empty; it needs a header row and data rows")
    encoding = _detect_encoding(head, path)
    text = _decode_head(head, encoding)
    if JSON_START.match(text):  # pyarrow's refusal of it named no cause
        raise InputError(f"{path}: is not a CSV (it looks like JSON); save it as CSV")
    lines = text.splitlines()
    header_line = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if header_line is None:  # only a byte-order mark, or blanks in UTF-16
        raise InputError(f"{path}: the file is empty; it needs a header row and data rows")
    hint = EXCEL_SEP.fullmatch(lines[header_line].strip())  # Excel's first line "sep=;"
    header_line += 1 if hint and len(lines) > header_line + 1 else 0
    sep = _sniff_separator([ln for ln in lines[header_line:] if ln.strip()][:50])
    sep = hint.group(1) if hint else sep
    header_line, sep = _skip_title(lines, header_line, sep)
    if len(head) >= MAX_HEADER_BYTES and len(lines) <= header_line + 1:
        raise InputError(
            f"{path}: the first line is longer than {MAX_HEADER_BYTES >> 20} MB; check that the "
            "file is a CSV with one row per line"
        )
    meta = _metadata_block(lines, header_line, sep)  # ONS: "Title","...", "CDID","L55O" ...
    header_text = lines[header_line]
    if meta is not None:
        header_line, name = meta
        header_text = f"period{sep}{name}"
    stacked = None if meta else stacked_header(lines, header_line, sep)  # pandas' levels
    if stacked is not None:
        header_line, header_text, _ = stacked
    first = header_text.strip()
    if is_stamp(first) and not is_date(first) and sep not in first:
        # A column of numbers without a header (numpy's savetxt): every line is data, and the
        # one series is called "y". Except "0": pandas names an unnamed series 0, and
        # Series.to_csv(index=False) writes that name as the header.
        header_line -= 0 if first == "0" else 1
    bare = None  # a first line of data in several fields, or pandas' default names
    if meta is None and stacked is None and header_line >= 0:
        bare = noheader.names_for([ln for ln in lines[header_line:] if ln.strip()], sep)
        header_line -= 1 if bare is not None and bare[1] else 0
    header = bare[0] if bare else _header_names(header_text if header_line >= 0 else "y", path, sep)
    notes = () if meta is None else (_metadata_note(header[1]),)
    notes = notes if stacked is None else (stacked[2],)
    notes = notes if bare is None else (noheader.note(*bare),)
    # Notes below the data, told from the data by the first rows' first cells (in the head)
    first_cells = [fields(ln, sep)[0] for ln in lines[header_line + 1 :][:40] if ln.strip()]
    found = None if compression else find_footer(path, encoding, sep, header, first_cells)
    end = None if found is None else found[0]
    notes = notes if found is None else (*notes, found[1])
    sample = _read_sample(path, compression, encoding, sep, header_line, header, end)
    longest = max(len(ln) for ln in lines[header_line:]) * (2 if encoding == "utf-16" else 1)
    block = max(1 << 20, 4 * longest)
    numbered = bare is not None and bare[2]
    return Source(
        path, encoding, compression, sep, header_line, header, sample, block, end, notes, numbered
    )


def _check_path(path: str) -> None:
    """Refuse a path that is not an existing regular file."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file; check the path")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, not a CSV file; give the path of a CSV file")
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise InputError(
            f"{path}: is not a regular file (a pipe, socket or device); save the data to a CSV "
            "file and pass its path"
        )


# The first bytes of each compressed format read (its magic number), whatever the file's name:
# a gzip file saved as data.csv was refused as binary.
MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz"}
SUFFIXES = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}


def _compression(path: str) -> str | None:
    """``"gzip"``, ``"bz2"``, ``"xz"`` or None, by the file's first bytes, else its suffix
    (a truncated file keeps its suffix's, to be refused as truncated)."""
    try:
        with open(path, "rb") as fh:
            first = fh.read(6)
    except OSError:
        first = b""  # refused with its reason when read
    found = next((kind for magic, kind in MAGIC.items() if first.startswith(magic)), None)
    lower = path.lower()
    return found or next((kind for suf, kind in SUFFIXES.items() if lower.endswith(suf)), None)


def _head_bytes(path: str, compression: str | None) -> bytes:
    """The first bytes of the (decompressed) file; an unreadable file is refused."""
    try:
        with open_binary(path, compression) as fh:
            return _read_head(fh)
    except (OSError, lzma.LZMAError) as err:  # permissions, or a corrupt .gz/.bz2/.xz
        reason = getattr(err, "strerror", None) or first_line(err)
        raise InputError(
            f"{path}: cannot be read ({reason}); check the file and its permissions"
        ) from None
    except EOFError:
        raise InputError(f"{path}: the compressed file is truncated; copy it again") from None


def _read_head(fh: io.BufferedIOBase) -> bytes:
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


def open_binary(path: str, compression: str | None) -> io.BufferedIOBase:
    """The file as bytes, decompressed."""
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "bz2":
        return bz2.open(path, "rb")
    if compression == "xz":
        return cast(io.BufferedIOBase, lzma.open(path, "rb"))
    return open(path, "rb")


def data_stream(src: Source) -> io.BufferedIOBase:
    """The file's bytes, decompressed, up to its footer (:mod:`.footer`) where it has one."""
    if src.data_end is not None:
        return cast(io.BufferedIOBase, open_data(src.path, src.data_end))
    return open_binary(src.path, src.compression)


def open_text(src: Source) -> io.TextIOWrapper:
    """The file as text in its sniffed encoding (undecodable bytes replaced), up to its
    footer."""
    raw = cast(IO[bytes], data_stream(src))  # typeshed: no .name
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
    tabs = {ln.count("\t") for ln in lines}
    try:
        sep = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
        if sep != "\t" and len(tabs) == 1 and lines[0].count(sep) < min(tabs):
            return "\t"  # Eurostat's TSV: "geo,unit\TIME_PERIOD<tab>2020-01<tab>...", M,I15,AT
        if sep in lines[0]:
            return sep
    except csv.Error:
        pass
    # Fallback: the candidate most frequent in the header line.
    counts = {d: lines[0].count(d) for d in ",;\t|"}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


TITLE_LINES = 10  # lines of title or notes above a header that are skipped, at most


def _skip_title(lines: list[str], first: int, sep: str) -> tuple[int, str]:
    """The header line and separator past a title (``Monthly sales, 2020`` above the header,
    as spreadsheets export tables): lines of one field, followed by a line whose number of
    fields (at least two) every line after it in the file's first lines repeats; or lines of
    a few fields (the World Bank's ``"Data Source","World Development Indicators",``), each
    fewer than such a line's."""
    rows = [(i, ln) for i, ln in enumerate(lines[:-1]) if i >= first and ln.strip()]
    if len(rows) < 3:
        return first, sep
    if sep in rows[0][1]:
        return _skip_short_lines(rows, first, sep), sep
    for k, (i, line) in enumerate(rows[: TITLE_LINES + 1]):
        seps = [ln for _, ln in rows[k:]][:50]
        cand = _sniff_separator(seps)
        counts = {ln.count(cand) for ln in seps}
        if cand in line and len(counts) == 1 and len(seps) >= 2:
            return i, cand
        if cand in line:
            break
    return first, sep


# The metadata lines the UK's Office for National Statistics writes above a time series' data,
# with no header: "Title","CPIH ANNUAL RATE ...", "CDID","L55O", ... (lowercase here).
ONS_KEYS = frozenset(
    ("title", "cdid", "source dataset id", "preunit", "unit", "release date", "next release",
     "important notes")
)  # fmt: skip


def _metadata_block(lines: list[str], first: int, sep: str) -> tuple[int, str] | None:
    """(the last line of a block of ONS metadata lines, the values' name: the series' CDID)
    where the file starts with three or more of them and data follow; None otherwise."""
    name, last = "value", None
    for i in range(first, min(len(lines), first + 20)):
        if not lines[i].strip():
            continue
        cells = fields(lines[i], sep)
        key = cells[0].strip().lower()
        if key not in ONS_KEYS:
            break
        if key == "cdid" and len(cells) > 1 and cells[1].strip():
            name = cells[1].strip()
        last = i
    else:
        return None
    if last is None or last - first < 2 or not re.match(r"\s*\"?\d{4}", lines[i]):
        return None
    return last, name


def _metadata_note(name: str) -> str:
    return (
        f"read as the ONS writes a series: the metadata lines above the data skipped, the "
        f"values named {shown(name)} (its CDID), the times 'period'"
    )


def _skip_short_lines(rows: list[tuple[int, str]], first: int, sep: str) -> int:
    """The header line below up to :data:`TITLE_LINES` lines of at least two fields fewer
    than it, when the lines after it (at least two) all have its number of fields and its
    first name is no value; else ``first`` (a header over rows with one trailing empty field
    more, or over rows of data only, stays the header)."""
    widths = [len(fields(line, sep)) for _, line in rows[: TITLE_LINES + 51]]
    for k in range(1, min(TITLE_LINES, len(rows) - 2) + 1):
        rest = widths[k : k + 50]
        if len(rest) >= 2 and len(set(rest)) == 1 and max(widths[:k]) < rest[0] - 1:
            name = fields(rows[k][1], sep)[0].strip()
            return first if is_stamp(name) else rows[k][0]
    return first


def _header_names(line: str, path: str, sep: str) -> list[str]:
    """Column names (stripped; an empty one named as pandas names it), checked."""
    names = [c.strip() or f"Unnamed: {k}" for k, c in enumerate(fields(line, sep))]
    _check_header(names, path, sep)
    return names


def _check_header(names: list[str], path: str, sep: str) -> None:
    """Refuse a header of repeated names, of data, or of dates, and one column whose name is
    not text (binary junk; one column is one series, timed by the row number:
    ``ingest.layout.numbered_rows``)."""
    if len(names) == 1 and not names[0].isprintable():
        raise InputError(
            f"{path}: found one column ({shown(names[0])}) in the header, and its name is not "
            "text; a CSV needs a header row such as ds,y and values separated by , ; tab or |"
        )
    dupes = sorted(n for n, k in Counter(names).items() if k > 1)  # linear: 1e6 columns happen
    if dupes:
        raise InputError(
            f"{path}: duplicate column names {', '.join(shown(d) for d in dupes[:5])}; give every "
            "column a unique name"
        )
    if names != ["0"] and all(is_stamp(n) for n in names):  # "0": pandas' name
        raise InputError(
            f"{path}: the first line ({shown(sep.join(names), quote=False)}) looks like data, "
            "not a header; add a header row such as ds,y"
        )


def _read_sample(
    path: str,
    compression: str | None,
    encoding: str,
    sep: str,
    header_line: int,
    names: list[str],
    end: int | None = None,
) -> pd.DataFrame:
    """The first rows (about 100k cells at most) as text, empty cells as ``""``; of the
    file's first ``end`` bytes when given (a plain file, above its footer)."""
    try:
        with warnings.catch_warnings(), contextlib.ExitStack() as stack:
            warnings.simplefilter("ignore")
            source = path if end is None else stack.enter_context(open_data(path, end))
            sample = pd.read_csv(
                source,
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
            f"{path}: not a readable CSV ({shown(first_line(err), 200, quote=False)})"
        ) from None
    return sample.fillna("")


def first_line(err: BaseException) -> str:
    """The first line of an exception's text (readers' messages run on for many lines)."""
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
