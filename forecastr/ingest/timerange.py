"""The range of time values forecastr can hold, and the checks that keep ingest inside it.

Timestamps are int64 nanoseconds (pandas' unit and the model's), so dates must lie within
1677-09-22 and 2262-04-11; numpy's cast to nanoseconds wraps silently outside it (2300-01-01
became 1715-06-13), so :func:`to_ns` checks first and refuses the first date outside by line.
A step index must leave room for the differences of its steps in int64 (:data:`MAX_STEP`).
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from forecastr.errors import InputError, shown
from forecastr.ingest.where import Where

# Timestamps are int64 nanoseconds (pandas' and the model's unit): the dates they can hold.
FIRST_DATE = pd.Timestamp.min.ceil("D")  # 1677-09-22
LAST_DATE = pd.Timestamp.max.floor("D")  # 2262-04-11
DATE_RANGE = f"{FIRST_DATE.date()} to {LAST_DATE.date()}"

# A step index may hold whole numbers up to this size: the difference of any two still fits
# int64 (positions and spacings are differences). Written with a decimal point or exponent,
# a step is read as a float, which is exact only up to 2**53.
MAX_STEP = 2**62
MAX_FLOAT_STEP = 2**53

# Nanoseconds per numpy datetime unit coarser than ns (Y and M are converted to D first).
_UNIT_NS = {"W": 7 * 86_400 * 10**9, "D": 86_400 * 10**9, "h": 3_600 * 10**9, "m": 60 * 10**9,
            "s": 10**9, "ms": 10**6, "us": 10**3}  # fmt: skip


def outside_ns(stamps: np.ndarray) -> np.ndarray:
    """Mask of datetime64 values (any unit) that int64 nanoseconds cannot hold; NaT is not."""
    unit, count = np.datetime_data(stamps.dtype)
    if unit in ("Y", "M"):  # calendar units: exact in days, and days cannot overflow here
        stamps = stamps.astype("datetime64[D]")
        unit, count = "D", 1
    if unit in ("ps", "fs", "as", "ns", "generic"):
        return np.zeros(stamps.shape, dtype=bool)  # no wider than nanoseconds
    per = _UNIT_NS[unit] * count
    limit = (2**63 - 1) // per  # in the array's own unit: never an overflow in the comparison
    v = stamps.view(np.int64)
    return ((v > limit) | (v < -limit)) & ~np.isnat(stamps)


def to_ns(
    stamps: np.ndarray,
    name: str,
    where: Where,
    codes: np.ndarray | None = None,
    text: pd.Series | None = None,
) -> np.ndarray:
    """datetime64 of any unit as datetime64[ns], refusing a date nanoseconds cannot hold.

    numpy's cast to nanoseconds wraps silently (2300-01-01 became 1715-06-13), so the range
    is checked first. ``codes``: ``stamps`` are distinct values and row k holds
    ``stamps[codes[k]]``; ``text``: the distinct cells as written, for the message.
    """
    stamps = np.asarray(stamps)
    bad = outside_ns(stamps)
    if bad.any():
        rows = bad if codes is None else bad[codes]
        k = int(np.flatnonzero(rows)[0])
        j = k if codes is None else int(codes[k])
        cell = text.iloc[j] if text is not None else _date_text(stamps[j])
        raise InputError(
            f"{where.file}: date {shown(cell)} in column {shown(name)} at line {where.line(k)} is "
            f"outside {DATE_RANGE}, the dates forecastr can hold; fix the date, or number the "
            'rows instead: --time-col "(row)" --target <the value column>'
        )
    ns = stamps.astype("datetime64[ns]")
    return ns if codes is None else ns[codes]


def _date_text(stamp: np.datetime64) -> str:
    """A date outside pandas' range as text: the date alone at midnight."""
    text = str(np.datetime_as_string(stamp))
    return re.sub(r"T00:00:00(\.0*)?$", "", text)


def int_text(text: pd.Series, codes: np.ndarray, name: str, where: Where) -> np.ndarray:
    """Distinct whole-number cells as int64; one too large for it is refused by line."""
    digits = text.str.lstrip("+-").str.lstrip("0").str.len()
    too_long = (digits > 19).to_numpy()
    if not too_long.any():
        try:
            return text.astype(np.int64).to_numpy()
        except (OverflowError, ValueError):
            too_long = (digits == 19).to_numpy()  # some 19-digit cell is past int64
    return _refuse_step(text, too_long, name, where, codes)


def check_steps(
    arr: np.ndarray, name: str, where: Where, codes: np.ndarray | None = None
) -> np.ndarray:
    """``arr`` (int64 steps, or distinct steps with ``codes``), refusing one past MAX_STEP."""
    big = (arr > MAX_STEP) | (arr < -MAX_STEP)
    if big.any():
        _refuse_step(arr, big, name, where, codes)
    return arr


def float_steps(arr: np.ndarray, name: str, where: Where) -> np.ndarray:
    """Whole numbers read as floats (written 1.0 or 1e3, or past int64) as int64 steps."""
    size = np.abs(arr)
    for limit in (MAX_STEP, MAX_FLOAT_STEP):  # past int64 first: that message says more
        if (size > limit).any():
            _refuse_step(arr, size > limit, name, where, None, limit)
    return arr.astype(np.int64)


def _refuse_step(
    values: pd.Series | np.ndarray,
    bad: np.ndarray,
    name: str,
    where: Where,
    codes: np.ndarray | None,
    limit: int = MAX_STEP,
) -> NoReturn:
    """Raise the one-line error for the first row whose step is past ``limit``."""
    rows = bad if codes is None else np.asarray(bad)[codes]
    k = int(np.flatnonzero(rows)[0])
    j = k if codes is None else int(codes[k])
    cell = values.iloc[j] if isinstance(values, pd.Series) else values[j]
    exact = "" if limit == MAX_STEP else " written with a decimal point or an exponent"
    raise InputError(
        f"{where.file}: step {shown(cell, 30)} in column {shown(name)} at line {where.line(k)} "
        f"is too large for a step index{exact} (at most {limit:.3g} in size); subtract a "
        "common offset from the column, or write the steps as plain whole numbers"
    )


def stamp_pattern(stamps: Any, sep: str = " ") -> str:
    """The ``strftime`` pattern a column of ``stamps`` is written with: the date alone when
    every stamp falls at midnight (daily data or coarser, written as such files are read:
    ``1985-01-01``), else the date and the time, joined by ``sep``."""
    t = pd.DatetimeIndex(stamps)
    return "%Y-%m-%d" if bool((t == t.normalize()).all()) else f"%Y-%m-%d{sep}%H:%M:%S"


def stamp_text(value: Any) -> str:
    """A timestamp for a message: the date alone at midnight."""
    t = pd.Timestamp(value)
    return str(t.date()) if t == t.normalize() else str(t)
