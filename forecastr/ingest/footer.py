"""Lines of notes below a table: a ``Total`` row, ``Source: ...``, footnotes.

Spreadsheets and statistical offices export tables with such lines under the data, as they do
titles above the header (:func:`forecastr.ingest.sniff.open_source` skips those). Read as
rows, they were refused ("line 27 has 1 fields", "cannot read 'Total' as a date").
:func:`find_footer` finds them at the end of a plain (uncompressed) file, and the readers
stop where they start (:func:`open_data`); the note it returns names the lines left out.

A footer is at most :data:`FOOTER_LINES` non-blank lines at the end of the file, none of
them shaped like a data row (the header's number of fields, and a first cell shaped like the
first cell of one of the first data rows: digits, letters and punctuation in the same order;
a file needs more data rows than lines of notes), and it begins after a blank line or with a
label (``Total``, ``Source``, ``Notes`` ...). So a last data row with a typo, or with an
unquoted separator, is still refused by line, not dropped. Compressed files and UTF-16 ones
are read to their end as before.
"""

from __future__ import annotations

import csv
import io
import os
import re
from typing import Any, BinaryIO

from forecastr.errors import shown

FOOTER_LINES = 10  # non-blank lines of notes below the data that are left out, at most
TAIL_BYTES = 1 << 16  # the end of the file read to look for them
_LABEL = re.compile(
    r"\W*(?:grand\s+)?(?:total|totals|subtotal|sum|average|mean|source|sources|note|notes|"
    r"footnotes?|copyright|\(c\))\b.*|\W*[*©†‡].*",
    re.IGNORECASE,
)
# Encodings whose bytes for "\n" and the separators are the ASCII ones, one byte each.
_ASCII_LIKE = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "iso-8859-1", "ascii")


def shape(cell: str) -> str:
    """A cell's kind: each run of digits ``0``, of letters ``a``, other characters kept
    (``2020-01-01`` and ``2021-12-31`` alike: ``0-0-0``; ``Total``: ``a``)."""
    return re.sub(r"[^\W\d_]+", "a", re.sub(r"\d+", "0", cell.strip()))


def find_footer(
    path: str, encoding: str, sep: str, header: list[str], first_cells: list[str]
) -> tuple[int, str] | None:
    """(byte offset where the footer starts, a note naming its lines) for a plain file ending
    in lines of notes, else None. ``first_cells``: the first cells of the file's first rows
    (the first half of them, at most 20, give the data rows' shapes)."""
    head = first_cells[: min(20, (len(first_cells) + 1) // 2)]  # a small file's sample: notes too
    shapes = {shape(c) for c in head if c.strip() and not _LABEL.fullmatch(c)}
    if encoding.lower() not in _ASCII_LIKE or not shapes:
        return None
    size = os.path.getsize(path)
    start = max(0, size - TAIL_BYTES)
    with open(path, "rb") as fh:
        fh.seek(start)
        tail = fh.read()
    lines = tail.split(b"\n")
    offsets = [start]
    for line in lines[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)
    if start > 0:  # the first piece is the end of a line cut by the seek: never a footer
        lines, offsets = lines[1:], offsets[1:]
    text = [line.decode(encoding, errors="replace").strip("\r\n") for line in lines]
    k = len(text)
    while k > 0 and not _is_data(text[k - 1], sep, len(header), shapes):
        k -= 1
        if len(text) - k > 4 * FOOTER_LINES:
            return None
    if k == 0:  # no data row in the tail: nothing to tell a footer from
        return None
    notes = [t for t in text[k:] if t.strip()]
    if not notes or len(notes) > FOOTER_LINES:
        return None
    first = next(i for i in range(k, len(text)) if text[i].strip())
    blank_before = first > k
    if not (blank_before or _LABEL.fullmatch(fields(text[first], sep)[0])):
        return None
    cut = offsets[k]
    shown_lines = "; ".join(shown(t, 40, quote=False) for t in notes[:3])
    more = f" and {len(notes) - 3} more" if len(notes) > 3 else ""
    s = "s" if len(notes) > 1 else ""
    note = f"{len(notes)} line{s} of notes below the data left out ({shown_lines}{more})"
    return cut, note


def fields(line: str, sep: str) -> list[str]:
    """The fields of one line (quotes respected; a line the csv module cannot split, such as
    one field past its size limit, split at each separator)."""
    try:
        return next(csv.reader([line], delimiter=sep), None) or [""]
    except csv.Error:
        return line.split(sep)


def _is_data(line: str, sep: str, width: int, shapes: set[str]) -> bool:
    """Whether a line is shaped like a data row: ``width`` fields, and a first cell of one
    of ``shapes``."""
    if not line.strip():
        return False
    cells = fields(line, sep)
    return len(cells) == width and shape(cells[0]) in shapes


class _Truncated(io.RawIOBase):
    """A file's bytes up to ``end``: what the readers see of a file with a footer."""

    def __init__(self, path: str, end: int):
        self._fh = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._left = end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self._left)
        if n <= 0:
            return 0
        got = self._fh.readinto(memoryview(buffer)[:n])
        self._left -= got or 0
        return got or 0

    def close(self) -> None:
        self._fh.close()
        super().close()


def open_data(path: str, end: int) -> BinaryIO:
    """The file's bytes up to ``end`` (where its footer starts), as a binary stream."""
    return io.BufferedReader(_Truncated(path, end))  # type: ignore[return-value]
