"""Parquet files read as the CSV table they hold.

A data pipeline often hands over Parquet rather than CSV, and ``predict`` writes Parquet
(``--format parquet``). Such a file is read with pyarrow, written to a temporary CSV and read
by the same code as any CSV file (``data.load_csv``), so every layout, check and message is
the same; the messages name the Parquet file and its rows (counted from 1), where a CSV
file's would name lines. pyarrow is optional (the ``full`` extra): without it the file is
refused, saying what to install.

Limits: the table's uncompressed size, from the file's footer, is checked before anything is
read (:data:`MAX_TABLE_BYTES`); columns of lists or structs are refused by name.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from forecastr.errors import InputError, shown

MAGIC = b"PAR1"  # the first and last four bytes of every Parquet file
MAX_TABLE_BYTES = 8 << 30  # uncompressed, as the footer says: 8 GiB


def is_parquet(path: str) -> bool:
    """Whether ``path`` is a regular file that starts and ends with Parquet's magic bytes
    (False for anything else, a pipe unopened: the CSV reader then says why)."""
    if not os.path.isfile(path):
        return False
    try:
        with open(path, "rb") as f:
            if f.read(4) != MAGIC:
                return False
            f.seek(-4, os.SEEK_END)
            return f.read(4) == MAGIC
    except OSError:
        return False


@contextmanager
def as_csv(path: str) -> Iterator[str]:
    """The path of a temporary CSV copy of the Parquet file ``path``, removed afterwards."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(
            f"{path}: is a Parquet file, which needs pyarrow to read: pip install pyarrow (or "
            "forecastr's full extra), or save it as CSV"
        ) from None
    try:  # a third-party parser of an untrusted file: any failure is the file's
        meta = pq.ParquetFile(path).metadata
        size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        table = pq.read_table(path) if size <= MAX_TABLE_BYTES else None
    except Exception as err:
        said = str(err).strip()
        first = (
            "".join(c if c.isprintable() else "?" for c in said.splitlines()[0][:200])
            if said
            else type(err).__name__
        )
        raise InputError(f"{path}: cannot be read as Parquet ({first}); save it as CSV") from None
    if table is None:
        raise InputError(
            f"{path}: its table holds {size >> 20} MiB uncompressed, over the "
            f"{MAX_TABLE_BYTES >> 30} GiB this reader takes; split it, or save it as CSV"
        )
    nested = [f.name for f in table.schema if pa.types.is_nested(f.type)]
    if nested:
        raise InputError(
            f"{path}: column {shown(nested[0])} holds lists or records, not values; save the "
            "table with one value per cell"
        )
    with tempfile.TemporaryDirectory(prefix="forecastr-parquet-") as tmp:
        out = os.path.join(tmp, os.path.basename(path) + ".csv")
        pacsv.write_csv(table, out)
        del table
        yield out


def message(text: str, csv: str, path: str) -> str:
    """A refusal of the CSV copy ``csv`` as one of the Parquet file ``path``: its name, and
    the copy's lines as the table's rows (line 2, the first below the header, is row 1)."""
    text = LINES.sub(lambda m: f"rows {_row(m[1])} and {_row(m[2])}", text.replace(csv, path))
    return LINE.sub(lambda m: f"row {_row(m[1])}", text)


LINES = re.compile(r"\blines (\d+) and (\d+)")
LINE = re.compile(r"\bline (\d+)")


def _row(line: str) -> int:
    return max(int(line) - 1, 0)
