"""Codes for "no value" written as a number: UCI's air-quality file writes -200 where a sensor
gave nothing, NOAA's monthly CO2 file -9.99 and -1 for days it could not average.

Read as values, each code pulls the series down to it at every gap: the network and the
baselines learn the drops, and the floor at zero is lost. A value column whose only negative
value is one number, repeated, beside values that are all 0 or more and that number further
below the smallest of them than they spread, holds such a code: its cells are read as empty
(and filled like any empty cell), with a note that names the column, the code and how many
cells held it. A series of measurements that goes below zero has more than one negative
value; one that touches -1 beside values from 0 to 50 keeps it. Torch-free.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecastr.errors import shown

MIN_REPEATS = 3  # cells the code fills, at least; and values beside it


def code_of(values: np.ndarray) -> float | None:
    """The number ``values`` (a column, NaN for empty cells) write for "no value", or None."""
    finite = values[np.isfinite(values)]
    below = finite[finite < 0]
    if len(below) < MIN_REPEATS or bool((below != below[0]).any()):
        return None
    rest = finite[finite >= 0]
    if len(rest) < MIN_REPEATS:
        return None
    low, high = float(rest.min()), float(rest.max())
    code = float(below[0])
    return code if high > low and low - code > high - low else None  # -1 beside 1 alone: signs


def read_missing(columns: dict[str, pd.Series], targets: tuple[str, ...]) -> tuple[str, ...]:
    """Empty the cells of ``targets`` (float columns of ``columns``, in place) that hold their
    column's code (:func:`code_of`); a note for each column that had one."""
    notes = []
    for name in targets:
        col = columns.get(name)
        if col is None or col.dtype.kind != "f":
            continue
        values = col.to_numpy()
        code = code_of(values)
        if code is None:
            continue
        hits = values == code
        columns[name] = col.mask(hits)
        notes.append(
            f"column {shown(name)}: {int(hits.sum())} cells of {code:g} read as empty, the "
            "only negative value, far below the others (a code for no value)"
        )
    return tuple(notes)
