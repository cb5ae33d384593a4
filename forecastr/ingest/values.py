"""The value columns: numbers forecastr can hold, checked column by column and series by
series.

The model computes in 32-bit floats (largest 3.4e38, smallest normal 1.2e-38): values must fit
with room to spare for forecasts beyond the history and for the scaling, or they would overflow
to inf or vanish to 0 there. Beyond :data:`MAX_VALUE` and :data:`MIN_SERIES_SIZE` ingest refuses
them, naming the power of ten to rescale by.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecastr.errors import InputError, shown
from forecastr.ingest.cells import to_float
from forecastr.ingest.where import Where

MAX_VALUE = 1e30
MIN_SERIES_SIZE = 1e-30


def numeric(col: pd.Series, name: str, where: Where) -> np.ndarray:
    """A value column as float64 (a new array when conversion is needed; never in place)."""
    if pd.api.types.is_bool_dtype(col.dtype):
        raise InputError(f"{where.file}: column {shown(name)} holds true/false values, not numbers")
    if col.dtype == np.float64:
        return col.to_numpy()  # NaN already marks empty cells: no copy
    if pd.api.types.is_numeric_dtype(col.dtype):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    return to_float(col, name, where, allow_decimal_comma=False)


def check_column(arr: np.ndarray, name: str, where: Where, may_be_empty: bool = False) -> None:
    """Refuse a value column that is entirely empty (unless ``may_be_empty``: a pivot's date
    past every series' end), holds an infinity, or a value past :data:`MAX_VALUE` in size;
    ``where`` gives the line of each element."""
    if not may_be_empty and np.isnan(arr).all():
        raise InputError(
            f"{where.file}: column {shown(name)} is entirely empty; drop it or choose another "
            "column with --target"
        )
    inf = np.isinf(arr)
    if inf.any():
        raise InputError(
            f"{where.file}: infinite value in column {shown(name)} at line "
            f"{where.line(int(np.flatnonzero(inf)[0]))}; replace it with a number or leave "
            "the cell empty"
        )
    with np.errstate(invalid="ignore"):
        big = np.abs(arr) > MAX_VALUE  # NaN (an empty cell) compares False
    if big.any():
        k = int(np.flatnonzero(big)[0])
        top = float(np.nanmax(np.abs(arr)))
        raise InputError(
            f"{where.file}: value {arr[k]:.3g} in column {shown(name)} at line {where.line(k)} "
            f"is too large: forecastr computes in 32-bit floats and takes values up to "
            f"{MAX_VALUE:.0e} in size (here up to {top:.3g}); divide the column by "
            f"1e+{_decade(top)} and multiply the forecasts back"
        )


def check_series_have_values(
    y: np.ndarray, offsets: np.ndarray, ids: list[str], target: str, where: Where
) -> None:
    """Refuse a series of a long file whose every value cell is empty."""
    valid = np.add.reduceat(~np.isnan(y), offsets[:-1]) if len(y) else np.zeros(0)
    if (valid == 0).any():
        i = int(np.flatnonzero(valid == 0)[0])
        raise InputError(
            f"{where.file}: series {shown(ids[i])} has no values (every {shown(target)} cell "
            f"is empty, e.g. line {where.line(int(offsets[i]))}); drop its rows"
        )


def check_not_tiny(y: np.ndarray, offsets: np.ndarray, ids: list[str], where: Where) -> None:
    """Refuse a series whose values are all below :data:`MIN_SERIES_SIZE` in size (zeros
    aside): in 32-bit floats they would all be 0."""
    top = np.fmax.reduceat(np.abs(y), offsets[:-1])  # (S,) NaN for a series of empty cells
    tiny = (top > 0) & (top < MIN_SERIES_SIZE)
    if tiny.any():
        i = int(np.flatnonzero(tiny)[0])
        seg = np.abs(y[offsets[i] : offsets[i + 1]])
        k = int(offsets[i]) + int(np.nanargmax(seg))
        raise InputError(
            f"{where.file}: series {shown(ids[i])} holds only values below {MIN_SERIES_SIZE:.0e} "
            f"in size (the largest is {top[i]:.3g}, line {where.line(k)}): forecastr computes "
            f"in 32-bit floats, where they would be 0; multiply the values by "
            f"1e+{-_decade(float(top[i]))} and divide the forecasts back"
        )


def _decade(value: float) -> int:
    """The power of ten of ``value``: 3 for 1234.5, -300 for 2e-300."""
    return int(np.floor(np.log10(value)))
