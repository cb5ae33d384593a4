"""The full grid: every series spread onto its grid, missing timestamps and empty values
filled (interpolate, ffill or zero), never across series.

The steps are separate functions so that the caller, which owns the arrays, can let go of
each input as soon as its successor is built (see :mod:`forecastr.data`):
:func:`check_gaps` and :func:`check_no_empty_values` refuse, :func:`spread` and
:func:`full_stamps` build the full grid, :func:`fill_missing` fills it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecastr.errors import InputError, shown
from forecastr.ingest.frequency import RESAMPLE, STEP_BLOCKS, fixed_spacing
from forecastr.ingest.options import FillMethod
from forecastr.ingest.timeaxis import Grid
from forecastr.ingest.timerange import stamp_text
from forecastr.ingest.where import Where
from forecastr.panel import concat_ranges

# An inferred frequency may fill at most this share of the resulting grid; beyond it the
# timestamps are called irregular (an explicit --freq lifts the limit).
MAX_INFERRED_FILL = 0.5


def grid_lengths(pos: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(S,) the length of each series on its full grid: its last point's position + 1."""
    return pos[offsets[1:] - 1] + 1


def check_gaps(
    ds: np.ndarray,
    pos: np.ndarray,
    offsets: np.ndarray,
    ids: list[str],
    where: Where,
    *,
    grid: Grid,
    fill: FillMethod,
) -> None:
    """Refuse missing timestamps with ``--fill error``, a given grid far larger than the data,
    and an inferred grid that would be mostly filled."""
    counts = np.diff(offsets)
    full_len = grid_lengths(pos, offsets)
    missing_stamps = int(full_len.sum() - counts.sum())
    if not missing_stamps:
        return
    grid_points = int(full_len.sum())

    def first_gap() -> str:  # only for messages: finding the line may scan the file
        i = int(np.flatnonzero(full_len - counts)[0])
        seg = pos[offsets[i] : offsets[i + 1]]
        k = int(offsets[i]) + int(np.flatnonzero(np.diff(seg) > 1)[0])
        after = ds[k] if grid.freq is None else stamp_text(ds[k])
        return f"series {shown(ids[i])}, first gap after {after} at line {where.line(k)}"

    if fill == "error":
        raise InputError(
            f"{where.file}: {missing_stamps} missing timestamps on the {grid.name} grid "
            f"({first_gap()}); with --fill error every step must be present: use --fill "
            "interpolate, ffill or zero to fill gaps"
        )
    if not grid.inferred and grid_points > max(10_000_000, 20 * int(counts.sum())):
        raise InputError(
            f"{where.file}: on the {grid.name} grid the data would span {grid_points} points "
            f"for {int(counts.sum())} observations; check --freq"
        )
    if grid.inferred and missing_stamps > MAX_INFERRED_FILL * grid_points:
        raise InputError(
            f"{where.file}: timestamps are irregular: on the inferred {grid.name} grid "
            f"{missing_stamps} of {grid_points} points would be missing ({first_gap()}); "
            f"pass --freq to confirm the grid, or {RESAMPLE if grid.freq else STEP_BLOCKS}"
        )


def check_no_empty_values(
    y: np.ndarray, offsets: np.ndarray, ids: list[str], where: Where, fill: FillMethod
) -> None:
    """With ``--fill error``, refuse an empty value cell."""
    nan = np.isnan(y)
    if fill == "error" and nan.any():
        k = int(np.flatnonzero(nan)[0])
        i = int(np.searchsorted(offsets, k, side="right") - 1)
        raise InputError(
            f"{where.file}: empty value in series {shown(ids[i])} at line {where.line(k)} with "
            "--fill error; fill it in or use --fill interpolate, ffill or zero"
        )


def spread(
    y: np.ndarray, pos: np.ndarray, offsets: np.ndarray, full_offsets: np.ndarray
) -> np.ndarray:
    """``y`` on the full grid (NaN where a timestamp is missing).

    ``pos`` is used up: it is shifted in place into indexes of the full grid (a new index
    array would be the largest allocation of a load). Do not use it afterwards.
    """
    pos += np.repeat(full_offsets[:-1], np.diff(offsets))  # now the index in the full grid
    y_full = np.full(int(full_offsets[-1]), np.nan)
    y_full[pos] = y
    return y_full


def full_stamps(
    ds: np.ndarray, offsets: np.ndarray, full_len: np.ndarray, grid: Grid
) -> np.ndarray:
    """The timestamps of the full grid: each series from its first timestamp on."""
    starts = ds[offsets[:-1]]
    if grid.freq is None:
        return concat_ranges(starts, full_len, grid.step)
    fixed = fixed_spacing(grid.freq)
    if fixed is not None:
        return concat_ranges(starts.view(np.int64), full_len, fixed.value).view("datetime64[ns]")
    parts = [
        pd.date_range(pd.Timestamp(s), periods=int(n), freq=grid.freq).values
        for s, n in zip(starts, full_len, strict=True)
    ]
    return np.concatenate(parts).astype("datetime64[ns]")


def fill_missing(
    y: np.ndarray, offsets: np.ndarray, fill: FillMethod, *, in_place: bool
) -> tuple[np.ndarray, int, int]:
    """(filled values, points filled, series that needed filling).

    ``in_place``: ``y`` is the caller's own (e.g. fresh from :func:`spread`) and may be filled
    in place; else it may be a view of the user's frame and is copied first when it has
    anything to fill.
    """
    nan = np.isnan(y)
    filled_points = int(nan.sum())
    if not filled_points:
        return y, 0, 0
    if not in_place:
        y = y.copy()
    return y, filled_points, _fill_gaps(y, nan, offsets, fill)


def _fill_gaps(y: np.ndarray, nan: np.ndarray, offsets: np.ndarray, fill: str) -> int:
    """Fill NaNs in place, never across series; returns how many series needed filling.

    Every series has at least one value (checked before). Vectorised over the K missing
    points (memory O(K), not O(N)): for each, the last value before it and the next value
    after it, within its series.
    """
    k = np.flatnonzero(nan)  # (K,) every missing point, ascending
    s_k = np.searchsorted(offsets, k, side="right") - 1  # its series
    filled_series = len(np.unique(s_k))
    if fill == "zero":
        y[k] = 0.0
        return filled_series
    # Runs of consecutive missing points: the value before a run is at run start - 1, the
    # one after at run end. A run may span two series; the bounds checks below handle that.
    new_run = np.concatenate([[True], np.diff(k) != 1])
    run = np.cumsum(new_run) - 1
    run_first = k[new_run]
    run_last = k[np.concatenate([np.flatnonzero(new_run)[1:] - 1, [len(k) - 1]])]
    p = run_first[run] - 1
    q = run_last[run] + 1
    has_p = p >= offsets[s_k]
    has_q = q < offsets[s_k + 1]
    p_val = y[np.where(has_p, p, 0)]
    q_val = y[np.where(has_q, q, len(y) - 1)]
    if fill == "ffill":  # carry the last value forward; leading gaps take the first value
        y[k] = np.where(has_p, p_val, q_val)
    else:  # interpolate: linear inside, nearest value at the ends
        frac = (k - p) / np.maximum(q - p, 1)
        inner = p_val + (q_val - p_val) * frac
        y[k] = np.where(has_p & has_q, inner, np.where(has_p, p_val, q_val))
    return filled_series
