"""Gap filling: spread each series onto its full grid and fill missing values.

:func:`fill_panel` rebuilds the timestamps of the full grid, refuses implausible grids, and
fills missing timestamps and empty values (interpolate, ffill or zero), never across series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecastr.csvread import release_arrow_memory
from forecastr.errors import InputError, shown
from forecastr.panel import Panel, concat_ranges
from forecastr.timeaxis import fixed_spacing, stamp_text

# An inferred frequency may fill at most this share of the resulting grid; beyond it the
# timestamps are called irregular (an explicit --freq lifts the limit).
MAX_INFERRED_FILL = 0.5


def fill_panel(
    arrays: dict[str, np.ndarray],
    *,
    ids,
    offsets,
    freq,
    step,
    fill,
    layout,
    columns,
    source,
    is_int,
    inferred,
    point_line,
    notes,
) -> Panel:
    y, ds, pos = arrays.pop("y"), arrays.pop("ds"), arrays.pop("pos")
    counts = np.diff(offsets)
    full_len = pos[offsets[1:] - 1] + 1  # (S,) grid length of each series
    missing_stamps = int(full_len.sum() - counts.sum())
    grid_name = f"step-{step}" if is_int else repr(freq)
    if missing_stamps:
        per_series = full_len - counts
        i = int(np.flatnonzero(per_series)[0])
        seg = pos[offsets[i] : offsets[i + 1]]
        k = int(offsets[i]) + int(np.flatnonzero(np.diff(seg) > 1)[0])
        after = ds[k] if is_int else stamp_text(ds[k])

        def where() -> str:  # only for messages: finding the line may scan the file
            return f"series {shown(ids[i])}, first gap after {after} at line {point_line(k)}"

        if fill == "error":
            raise InputError(
                f"{source}: {missing_stamps} missing timestamps on the {grid_name} grid "
                f"({where()}); "
                "with --fill error every step must be present: use --fill interpolate, ffill or "
                "zero to fill gaps"
            )
        grid_points = int(full_len.sum())
        if not inferred and grid_points > max(10_000_000, 20 * int(counts.sum())):
            raise InputError(
                f"{source}: on the {grid_name} grid the data would span {grid_points} points for "
                f"{int(counts.sum())} observations; check --freq"
            )
        if inferred and missing_stamps > MAX_INFERRED_FILL * full_len.sum():
            raise InputError(
                f"{source}: timestamps are irregular: on the inferred {grid_name} grid "
                f"{missing_stamps} of {int(full_len.sum())} points would be missing "
                f"({where()}); "
                "pass --freq to confirm the grid, or resample the data to a regular grid"
            )
    nan = np.isnan(y)
    if fill == "error" and nan.any():
        k = int(np.flatnonzero(nan)[0])
        i = int(np.searchsorted(offsets, k, side="right") - 1)
        raise InputError(
            f"{source}: empty value in series {shown(ids[i])} at line {point_line(k)} with --fill "
            "error; fill it in or use --fill interpolate, ffill or zero"
        )

    new_offsets = np.concatenate([[0], np.cumsum(full_len)]).astype(np.int64)
    if missing_stamps:
        pos += np.repeat(new_offsets[:-1], counts)  # now the index in the full grid
        y_full = np.full(int(new_offsets[-1]), np.nan)
        y_full[pos] = y
        del pos, y
        release_arrow_memory()
        ds_full = _rebuild_stamps(ds, offsets, full_len, freq, step, is_int)
        del ds
        nan = np.isnan(y_full)
    else:
        del pos
        y_full, ds_full = y, ds
    filled_points = int(nan.sum())
    filled_series = 0
    if filled_points:
        if not missing_stamps:
            y_full = y_full.copy()  # y may be a view of the caller's frame: never fill in place
        filled_series = _fill_gaps(y_full, nan, new_offsets, fill)
    return Panel(
        ids=ids,
        y=np.ascontiguousarray(y_full, dtype=np.float64),
        ds=ds_full,
        offsets=new_offsets,
        freq=freq,
        step=step,
        layout=layout,
        columns=columns,
        filled_points=filled_points,
        filled_series=filled_series,
        source=source,
        fill=fill,
        notes=notes,
    )


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


def _rebuild_stamps(ds, offsets, full_len, freq, step, is_int) -> np.ndarray:
    starts = ds[offsets[:-1]]
    if is_int:
        return concat_ranges(starts, full_len, step)
    fixed = fixed_spacing(freq)
    if fixed is not None:
        return concat_ranges(starts.view(np.int64), full_len, fixed.value).view("datetime64[ns]")
    parts = [
        pd.date_range(pd.Timestamp(s), periods=int(n), freq=freq).values
        for s, n in zip(starts, full_len, strict=True)
    ]
    return np.concatenate(parts).astype("datetime64[ns]")
