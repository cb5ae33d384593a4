"""Physical line numbers: of a data row, and of the first row with the wrong field count.

Readers work on rows; messages name lines. Quoted line breaks and blank lines make the two
differ, so both are found by scanning the file with the csv module, and only when a message
needs them.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence

from forecastr.errors import InputError, shown
from forecastr.ingest.sniff import Source, open_text


def parse_error(src: Source, msg: str, spaces_blank: bool = False) -> InputError:
    """A structural CSV error (wrong number of fields, bad quoting) with its line."""
    line, fields = first_bad_record(src, spaces_blank)
    n = len(src.header)
    if line is not None:
        return InputError(
            f"{src.path}: line {line} has {fields} fields but the header has {n}; fix that row "
            "(a value containing the separator must be quoted)"
        )
    if "UTF8" in msg or "utf8" in msg.lower():
        return InputError(f"{src.path}: the text is not valid {src.encoding}; save it as UTF-8")
    return InputError(f"{src.path}: cannot parse the CSV ({shown(msg, 200, quote=False)})")


class ShortRows(Exception):
    """pyarrow refused a row with fewer fields than the header, which pandas pads."""


def short_note(line: int, fields: int, n: int) -> str:
    """What ``info`` and ``train`` say of rows shorter than the header (the first one)."""
    return (
        f"rows with fewer fields than the header's {n} (the first at line {line}, with "
        f"{fields}): their missing last fields read as empty"
    )


def first_bad_record(src: Source, spaces_blank: bool = False) -> tuple[int | None, int]:
    """(line, fields) of the first row whose field count is not the header's, or (None, 0).

    ``spaces_blank``: a line of spaces counts as blank, as pandas' parser skips it (pyarrow
    refuses it as a row of one field).
    """
    n = len(src.header)
    try:
        with open_text(src) as fh:
            reader = csv.reader(fh, delimiter=src.sep)
            prev = 0
            header = src.header_line + 1  # 1-based; 0: none (one column of data)
            for rec in reader:
                start, prev = prev + 1, reader.line_num
                if start <= header or not rec or (spaces_blank and _blank(rec)):
                    continue  # a title, the header, a blank line
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
                with open_text(self.src) as fh:
                    reader = csv.reader(fh, delimiter=self.src.sep)
                    prev, k, i = 0, -1, 0  # k: data row index
                    header = self.src.header_line + 1  # 1-based; 0: none (one column of data)
                    for rec in reader:
                        start, prev = prev + 1, reader.line_num
                        if start <= header or _blank(rec):  # a title, the header, a blank
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
