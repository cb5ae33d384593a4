"""Files joined end to end: the header line repeated inside the data.

``cat january.csv february.csv > all.csv`` (or a script appending exports) writes the header
again where each file starts. Read as data, such a row holds the column names where numbers
and dates belong, and the file was refused at its line. A row whose every column read holds
that column's own name is now read as blank (so skipped, as blank rows are), with a note
naming the first such line. It can only be found where the values were read as text (a name
is no number): the readers call :func:`blank_header_copies` just before they convert them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecastr.ingest.where import Where


def blank_header_copies(
    columns: dict[str, pd.Series], where: Where
) -> tuple[dict[str, pd.Series], tuple[str, ...]]:
    """``columns`` with every row that repeats the header (each cell its column's name)
    blanked, and a note; unchanged (and no note) where no row does."""
    copy = np.ones(len(next(iter(columns.values()), [])), dtype=bool)
    # dictionary-encoded columns first: their few categories are compared, not every cell
    order = sorted(columns, key=lambda n: not isinstance(columns[n].dtype, pd.CategoricalDtype))
    for name in order:
        col = columns[name]
        if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_datetime64_any_dtype(
            col.dtype
        ):
            return columns, ()  # a name read as a number or a date: no copy of the header
        copy &= _is_name(col, str(name).strip())
        if not copy.any():
            return columns, ()
    rows = np.flatnonzero(copy)
    out = {}
    for name, col in columns.items():
        blanked = col.copy()
        blanked.iloc[rows] = None  # a category (a dictionary-encoded id or time) takes NaN
        out[name] = blanked
    count = f"{len(rows)} rows repeat" if len(rows) > 1 else "a row repeats"
    note = (
        f"{count} the header (files joined end to end?), the first at line "
        f"{where.line(int(rows[0]))}: skipped"
    )
    return out, (note,)


def _is_name(col: pd.Series, name: str) -> np.ndarray:
    """(N,) whether each cell of ``col`` is ``name`` (spaces around it aside)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        categories = pd.Index(col.cat.categories).astype(str).str.strip()
        hit = np.flatnonzero(categories == name)
        return np.isin(col.cat.codes.to_numpy(), hit)
    return (col.astype("string").str.strip() == name).fillna(False).to_numpy(dtype=bool)
