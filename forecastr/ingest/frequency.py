"""Frequency inference: the pandas offset alias every series' timestamps lie on.

:func:`infer_freq` tries pandas' own inference on the longest series and the calendar
aliases its smallest spacing suggests (monthly, quarterly, weekly, business days, fixed
spacings), and keeps the one whose grid needs the fewest filled points. :func:`off_grid` places
timestamps on a grid, for inference and for a ``--freq`` the user gave. What a frequency means
on the calendar (its seasons, its horizon) is :mod:`forecastr.frequency`'s business.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from forecastr.errors import InputError
from forecastr.ingest.timerange import stamp_text
from forecastr.ingest.where import Where

_UNITS_NS = {
    "D": 86_400 * 10**9,
    "h": 3_600 * 10**9,
    "min": 60 * 10**9,
    "s": 10**9,
    "ms": 10**6,
    "us": 10**3,
    "ns": 1,
}


# The most grid points a calendar (non-fixed) alias may span when placing timestamps on it.
MAX_CALENDAR_GRID = 50_000_000


# The end of a refusal of stamps that fit no grid: forecastr can put rows on one itself
RESAMPLE = (
    "reduce the rows of each period to one value: --aggregate sum --freq D for events such as "
    "sales, --aggregate mean --freq h for readings"
)
# ... and of an integer index, which has no day or hour: its rows are reduced by blocks of steps
STEP_BLOCKS = "add up the rows of each block of steps: --aggregate sum --freq 7 (each 7 steps)"


def infer_freq(ds: np.ndarray, offsets: np.ndarray, where: Where) -> tuple[str, np.ndarray]:
    """Infer the pandas offset alias that fits every series' timestamps with the fewest gaps.

    Returns (alias, grid position of every point relative to its series start).
    """
    lengths = np.diff(offsets)
    longest = int(np.argmax(lengths))
    if lengths[longest] < 2:
        raise InputError(
            f"{where.file}: every series has a single point, so no frequency can be inferred; "
            "pass --freq (e.g. D, h, MS)"
        )
    seg = ds[offsets[longest] : offsets[longest + 1]]
    # pandas' own inference on both ends of the longest series (sampled for speed)
    candidates = [pandas_infer(seg[:400]), pandas_infer(seg[-400:])]
    diffs = within_series_diffs(ds, offsets)  # ns, all > 0 (sorted, no duplicates)
    spacing_ns = int(diffs.min())
    candidates.extend(_calendar_candidates(spacing_ns, pd.DatetimeIndex(seg)))
    best = _best_fit(ds, offsets, candidates)
    if best is None:
        raise _irregular(ds, offsets, spacing_ns, where)
    return _canonical(best[0], seg[0]), best[1]


def _best_fit(
    ds: np.ndarray, offsets: np.ndarray, candidates: list[str | None]
) -> tuple[str, np.ndarray] | None:
    """(alias, positions) of the candidate whose grid has the fewest points; None if none
    fits every timestamp."""
    best: tuple[int, str, np.ndarray] | None = None
    for alias in dict.fromkeys(c for c in candidates if c):  # ordered, unique
        try:
            pos = _positions_or_none(ds, offsets, alias)
        except (ValueError, TypeError, OverflowError):
            continue
        if pos is None:
            continue
        size = int((pos[offsets[1:] - 1] + 1).sum())  # grid points after filling
        if best is None or size < best[0]:
            best = (size, alias, pos)
        if size == len(ds):
            break  # no gaps: nothing can fit better
    return None if best is None else (best[1], best[2])


def _irregular(ds: np.ndarray, offsets: np.ndarray, spacing_ns: int, where: Where) -> InputError:
    """The refusal of timestamps no frequency fits, with an off-grid example where one helps:
    off the grid of the most common step when most steps take it (a weekly file with a few
    dates moved for a holiday), else of the smallest."""
    steps, counts = np.unique(within_series_diffs(ds, offsets), return_counts=True)
    common, most, total = int(steps[np.argmax(counts)]), int(counts.max()), int(counts.sum())
    spacing, why = spacing_ns, f"smallest spacing {_delta_text(spacing_ns)}"
    if common != spacing_ns and 2 * most >= total:
        spacing, why = common, f"most steps are {_delta_text(common)}, {most} of {total}"
    unit = _delta_text(spacing)
    off = off_grid(ds, offsets, unit) if spacing < 28 * 86400 * 10**9 else None
    example = ""
    if off is not None and off[0].any():
        k = int(np.flatnonzero(off[0])[0])
        example = f"; {stamp_text(ds[k])} at line {where.line(k)} is off the {unit} grid"
    elif 28 * 86400 * 10**9 <= spacing <= 31 * 86400 * 10**9:
        example = "; monthly dates must all fall on the first or the last day of their month"
    return InputError(
        f"{where.file}: timestamps are irregular and fit no frequency ({why}{example}); pass "
        f"--freq, or {RESAMPLE}"
    )


def within_series_diffs(ds: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Spacings within each (sorted) series, uint64: two dates 300 years apart are more
    nanoseconds apart than int64 holds, and unsigned arithmetic keeps them exact."""
    diffs = np.diff(ds.view(np.uint64))
    if len(offsets) > 2:
        keep = np.ones(len(diffs), dtype=bool)
        keep[offsets[1:-1] - 1] = False
        diffs = diffs[keep]
    return diffs


def _freqstr(value: Any) -> str | None:
    """``pd.infer_freq`` result as a string (pandas 3 may return an offset object)."""
    if value is None:
        return None
    return getattr(value, "freqstr", str(value))


def pandas_infer(stamps: np.ndarray) -> str | None:
    if len(stamps) < 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return _freqstr(pd.infer_freq(pd.DatetimeIndex(stamps)))
        except (ValueError, TypeError):
            return None


def _delta_text(ns: int) -> str:
    """A spacing as a pandas alias: 3600e9 ns -> "h", 1800e9 -> "30min"."""
    if ns >= 2**63 or ns % (86_400 * 10**9) == 0:  # whole days (7D, not 168h)
        days = ns // (86_400 * 10**9)
        return "D" if days == 1 else f"{days}D"
    return pd.tseries.frequencies.to_offset(pd.Timedelta(ns)).freqstr


def _canonical(alias: str, start: Any) -> str:
    """pandas' own name for the grid (``QS`` -> ``QS-JAN``), so equal grids get one name."""
    if fixed_spacing(alias) is not None:
        return alias
    # In microseconds: 24 steps from a start near 2262 run past what nanoseconds hold.
    grid = pd.date_range(pd.Timestamp(start).as_unit("us"), periods=24, freq=alias)
    name = pandas_infer(grid.values)
    return name if name and _same_grid(name, alias, grid) else alias


def _same_grid(a: str, b: str, grid: pd.DatetimeIndex) -> bool:
    try:
        return pd.date_range(grid[0], periods=len(grid), freq=a).equals(grid)
    except ValueError:
        return False


def _calendar_candidates(spacing_ns: int, stamps: pd.DatetimeIndex) -> list[str]:
    spacing_s = spacing_ns // 1_000_000_000
    day = 86400
    out: list[str] = []
    first = stamps[0]
    mon = first.strftime("%b").upper()
    if 28 * day <= spacing_s <= 31 * day:
        out += ["MS", "ME", "BMS", "BME"]
    elif 59 * day <= spacing_s <= 62 * day:
        out += ["2MS", "2ME"]
    elif 89 * day <= spacing_s <= 92 * day:
        out += [f"QS-{mon}", f"QE-{mon}", f"BQS-{mon}", f"BQE-{mon}"]
    elif 181 * day <= spacing_s <= 184 * day:
        out += ["6MS", "6ME"]
    elif 365 * day <= spacing_s <= 366 * day:
        out += [f"YS-{mon}", f"YE-{mon}", f"BYS-{mon}", f"BYE-{mon}"]
    elif spacing_s == 7 * day:
        out.append(f"W-{first.day_name()[:3].upper()}")
    # fixed spacing: to the biggest whole unit
    for unit, unit_ns in _UNITS_NS.items():
        if spacing_ns % unit_ns == 0:
            k = spacing_ns // unit_ns
            out.append(f"{k}{unit}" if k != 1 else unit)
            break
    if spacing_s == day:
        out.append("B")
    return out


def fixed_spacing(alias: str) -> pd.Timedelta | None:
    offset = pd.tseries.frequencies.to_offset(alias)
    if isinstance(offset, pd.offsets.Tick):
        return pd.Timedelta(offset)
    return None


def _positions_or_none(ds: np.ndarray, offsets: np.ndarray, alias: str) -> np.ndarray | None:
    """Grid position of every timestamp relative to its series start, or None if off-grid."""
    off = off_grid(ds, offsets, alias)
    if off is None or off[0].any():
        return None
    return off[1]


def off_grid(
    ds: np.ndarray, offsets: np.ndarray, alias: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """(mask of points off the ``alias`` grid, positions) or None if the grid is too large."""
    fixed = fixed_spacing(alias)
    counts = np.diff(offsets)
    t = ds.view(np.int64)
    if fixed is not None:
        # Time since the series start, in ns: unsigned, as a series may span more than int64
        # holds (each lies after its start, so the difference is exact).
        rel = np.repeat(t[offsets[:-1]], counts).view(np.uint64)
        np.subtract(t.view(np.uint64), rel, out=rel)
        q = np.uint64(fixed.value)
        off = rel % q != 0
        rel //= q
        return off, rel.view(np.int64)  # positions: below 2**63 for any step of 2 ns or more
    grid = _calendar_grid(pd.Timestamp(ds.min()), pd.Timestamp(ds.max()), alias)
    if len(grid) > MAX_CALENDAR_GRID:
        return None
    idx = grid.get_indexer(pd.DatetimeIndex(ds))
    off = idx < 0
    return off, idx - np.repeat(idx[offsets[:-1]], counts)


def _calendar_grid(lo: pd.Timestamp, hi: pd.Timestamp, alias: str) -> pd.DatetimeIndex:
    """The ``alias`` grid points from ``lo`` to ``hi``, in nanoseconds.

    pandas rolls an off-grid end to the grid point before it, which may lie outside what
    nanoseconds hold (a month start before 1677-09-22): then the grid is built in microseconds
    and cut to the nanosecond range (points outside it cannot match any timestamp).
    """
    try:
        return pd.date_range(lo, hi, freq=alias)
    except pd.errors.OutOfBoundsDatetime:
        grid = pd.date_range(lo.as_unit("us"), hi.as_unit("us"), freq=alias)
        held = (grid >= pd.Timestamp.min) & (grid <= pd.Timestamp.max)
        return grid[held].as_unit("ns")
