"""Reading a CSV's needed columns: pyarrow where it is installed, pandas' C parser otherwise.

The two readers (:mod:`~forecastr.ingest.arrowread`, :mod:`~forecastr.ingest.pandasread`)
give the same columns and the same messages; this module picks one. Sniffing the file is
:mod:`~forecastr.ingest.sniff`'s job, converting cells :mod:`~forecastr.ingest.cells`', and
finding a bad row's line :mod:`~forecastr.ingest.badlines`'.
"""

from __future__ import annotations

import lzma
import zlib
from typing import Literal

import pandas as pd

from forecastr.errors import InputError
from forecastr.ingest.arrowread import read_columns_arrow
from forecastr.ingest.badlines import ShortRows
from forecastr.ingest.layout import ColumnRoles
from forecastr.ingest.pandasread import read_columns_pandas
from forecastr.ingest.sniff import Source, first_line
from forecastr.ingest.timeparts import named_part

Engine = Literal["pyarrow", "pandas"]

# The reader read_columns uses; None: pyarrow if it can be imported, else pandas. Tests set it
# to run the pandas path in an interpreter that has pyarrow.
ENGINE: Engine | None = None

# Cells per chunk of the pandas reader: bounds the memory its text columns take before they
# are dictionary-encoded (a Python string per cell).
PANDAS_CHUNK_CELLS = 1 << 21


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
    src: Source, roles: ColumnRoles, counted: bool = False
) -> tuple[dict[str, pd.Series], tuple[str, ...]]:
    """Read the needed columns; values as float64 (as text, like ids, where ``counted``: only
    whether each cell is filled matters, ``--aggregate count``), ids (and text times)
    dictionary-encoded; and notes on the reading (rows shorter than the header, padded with
    empty cells, which pyarrow cannot read: pandas reads such a file).

    pyarrow reads where it is installed; pandas' C parser otherwise, giving the same columns
    and the same errors. Numbers neither can read directly (spaces only, decimal commas, junk)
    are re-read as text and converted (or reported with their line) by
    :func:`~forecastr.ingest.cells.to_float`.
    """
    time_cols, targets, texts = roles.time_cols, list(roles.targets), list(roles.id_cols)
    if counted:
        texts, targets = [*texts, *targets], []
    time_col = time_cols[0] if time_cols else None  # None: the rows are numbered
    if roles.time_of_day:  # a date's time of day: text, read like an id (few distinct cells)
        texts += time_cols[1:]
    else:  # a split timestamp's other parts: numbers read like values, names (Jan, Q1) as text
        for col in time_cols[1:]:
            (texts if named_part(src.sample, col) else targets).append(col)
    try:
        if engine() == "pyarrow":
            try:
                return read_columns_arrow(src, texts, time_col, targets)
            except ShortRows:  # a row of fewer fields than the header: pandas pads it
                pass
        return read_columns_pandas(src, texts, time_col, targets, PANDAS_CHUNK_CELLS)
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as err:
        if src.compression is None:  # the file itself could not be read: not a data fault
            raise
        # A compressed file whose start decompressed cleanly (sniff read it) but not the rest
        raise InputError(
            f"{src.path}: the {src.compression} file is corrupt or truncated past its first "
            f"rows ({first_line(err)[:120]}); copy it again"
        ) from None
