"""The time axis: parsing the time column, and the frequency grid it lies on.

:func:`parse_time` turns dates (ISO 8601, day/month or month/day, quarters, ``20240131``
integers, zone-aware stamps) or an integer step index into one array; :func:`infer_freq`,
:func:`grid_positions` and :func:`int_positions` place every point on its series' grid.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from forecastr.errors import InputError, shown
from forecastr.timerange import check_steps, float_steps, int_text, to_ns


def parse_time(
    col: pd.Series, name: str, source: str, row_line: Callable[[int], int]
) -> tuple[np.ndarray, bool, list[str]]:
    """Timestamps as datetime64[ns] (naive; UTC if zone-aware) or int64 for a step index.

    Returns (values, is_integer_index, notes).
    """
    notes: list[str] = []
    if col.isna().any():
        k = int(np.flatnonzero(col.isna().to_numpy())[0])
        raise InputError(
            f"{source}: empty timestamp in column {shown(name)} at line {row_line(k)}; every row "
            "needs one"
        )
    if pd.api.types.is_bool_dtype(col.dtype):
        raise InputError(f"{source}: column {shown(name)} holds true/false values, not times")
    if pd.api.types.is_integer_dtype(col.dtype):
        arr = col.to_numpy(dtype=np.int64)
        stamps = _yyyymmdd(arr)
        if stamps is not None:
            return to_ns(stamps, name, source, row_line), False, notes
        return check_steps(arr, name, source, row_line), True, notes
    if pd.api.types.is_float_dtype(col.dtype):
        arr = col.to_numpy()
        if np.all(arr == np.round(arr)):
            return float_steps(arr, name, source, row_line), True, notes
        raise InputError(
            f"{source}: column {shown(name)} holds fractional numbers; the time column must be "
            "dates or whole-number steps (or pass --time-col)"
        )
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        naive = col.dt.tz_convert("UTC").dt.tz_localize(None)
        return to_ns(naive.to_numpy(), name, source, row_line), False, notes
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return to_ns(col.to_numpy(), name, source, row_line), False, notes

    # Text: parse each distinct value once (a long file repeats every timestamp per series).
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = np.asarray(col.array.codes)
        text = pd.Series(col.array.categories.astype(str), dtype=object).str.strip()
    else:
        codes, uniques = pd.factorize(col.astype(str).str.strip())
        text = pd.Series(uniques, dtype=object)
    if text.str.fullmatch(r"[+-]?\d+").all():
        arr = int_text(text, codes, name, source, row_line)
        stamps = _yyyymmdd(arr)
        if stamps is not None:
            return to_ns(stamps, name, source, row_line, codes, text), False, notes
        return check_steps(arr, name, source, row_line, codes)[codes], True, notes
    parsed, note = _parse_date_text(text)
    if note:
        notes.append(note)
    bad = parsed.isna().to_numpy()[codes]
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{source}: cannot read {shown(text.iloc[codes[k]])} in column {shown(name)} at line "
            f"{row_line(k)} as a date; use one date format throughout (e.g. 2024-01-31 or "
            "2024-01-31 13:00), or name the time column with --time-col"
        )
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return to_ns(parsed.to_numpy(), name, source, row_line, codes, text), False, notes


def _yyyymmdd(arr: np.ndarray) -> np.ndarray | None:
    """Dates written as 8-digit integers (20240131), or None if they are not all valid dates."""
    if len(arr) == 0 or arr.min() < 1000_01_01 or arr.max() > 2999_12_31:
        return None
    uniq, inv = np.unique(arr, return_inverse=True)
    parsed = pd.to_datetime(pd.Series(uniq.astype(str)), format="%Y%m%d", errors="coerce")
    if parsed.isna().any():
        return None
    return parsed.to_numpy()[inv.reshape(-1)]  # in pandas' unit: _to_ns checks the range


_SLASH = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})(?:[ T].*)?$")
_QUARTER = re.compile(r"(\d{4})[- ]?Q([1-4])", re.IGNORECASE)


def _parse_date_text(text: pd.Series) -> tuple[pd.Series, str | None]:
    """Parse distinct date strings. Returns (datetimes with NaT where unreadable, note)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=_has_zone(text))
        except (ValueError, TypeError, OverflowError):
            parsed = pd.Series(pd.NaT, index=text.index)
        if not parsed.isna().any():
            return parsed, None
        quarter = text.str.fullmatch(_QUARTER.pattern, case=False)
        if quarter.all():
            m = text.str.extract(_QUARTER.pattern, flags=re.IGNORECASE)
            periods = pd.PeriodIndex.from_fields(
                year=m[0].astype(int).to_numpy(), quarter=m[1].astype(int).to_numpy(), freq="Q"
            )
            return pd.Series(periods.to_timestamp(), index=text.index), None
        m = text.str.extract(_SLASH.pattern)
        if m[0].notna().all():
            return _parse_day_month(text, m)
        return _parse_leniently(text), None


def _parse_day_month(text: pd.Series, m: pd.DataFrame) -> tuple[pd.Series, str | None]:
    """Dates like 01/02/2020: decide between day/month and month/day order."""
    first, sep, second = m[0].astype(int), m[1].iloc[0], m[2].astype(int)

    def parse(dayfirst: bool) -> pd.Series:
        return pd.to_datetime(text, errors="coerce", dayfirst=dayfirst)

    if (first > 12).any():
        return parse(True), None
    if (second > 12).any():
        return parse(False), None
    # Both orders are valid dates: prefer the one that makes the more regular series.
    by_day, by_month = parse(True), parse(False)
    irregular_day, irregular_month = _irregularity(by_day), _irregularity(by_month)
    if irregular_day != irregular_month:
        dayfirst = irregular_day < irregular_month
        why = "it gives the more regular series"
    else:
        dayfirst = sep == "."
        why = "the usual order for '.'" if dayfirst else "the usual order for '/' and '-'"
    order = "day/month" if dayfirst else "month/day"
    note = (
        f"dates like {shown(text.iloc[0])} could be day/month or month/day; read as {order} "
        f"({why}); write dates as YYYY-MM-DD to be sure"
    )
    return (by_day if dayfirst else by_month), note


def _irregularity(parsed: pd.Series) -> tuple[int, int]:
    """(no pandas frequency fits, distinct spacings) of the sorted distinct dates; lower wins."""
    if parsed.isna().any():
        return (2, 0)
    t = np.unique(parsed.to_numpy())  # pandas' unit: a cast to ns could wrap
    if _pandas_infer(t) is not None:
        return (0, 0)  # a regular series: equally good whatever the spacing
    return (1, len(np.unique(np.diff(t))))


def _parse_leniently(text: pd.Series) -> pd.Series:
    utc = _has_zone(text)
    try:
        parsed = pd.to_datetime(text, errors="coerce", utc=utc)
    except (ValueError, TypeError, OverflowError):
        parsed = pd.Series(pd.NaT, index=text.index)
    if parsed.isna().any():
        try:
            mixed = pd.to_datetime(text, errors="coerce", format="mixed", utc=utc)
            if mixed.isna().sum() < parsed.isna().sum():
                parsed = mixed
        except (ValueError, TypeError, OverflowError):
            pass
    return parsed


def _has_zone(text: pd.Series) -> bool:
    sample = text.iloc[: min(len(text), 50)]
    return bool(sample.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).any())


def check_duplicates(ds, offsets, point_line, ids, is_int, source, time_col, layout) -> None:
    same = ds[1:] == ds[:-1]
    if len(offsets) > 2:
        same[offsets[1:-1] - 1] = False  # the last point of one series vs the next's first
    if same.any():
        k = int(np.flatnonzero(same)[0])
        i = int(np.searchsorted(offsets, k, side="right") - 1)
        stamp = ds[k] if is_int else stamp_text(ds[k])
        a, b = sorted((point_line(k), point_line(k + 1)))
        hint = (
            "; if the file holds several series, name the id column with --id-col"
            if layout != "long"
            else ""
        )
        raise InputError(
            f"{source}: duplicate timestamp {stamp} in series {shown(ids[i])} (lines {a} and {b}); "
            f"each series needs one row per {shown(time_col)} value{hint}"
        )


def infer_int_step(ds: np.ndarray, offsets: np.ndarray, freq: str | None, source: str) -> int:
    if freq is not None:
        try:
            step = int(freq)
        except ValueError:
            raise InputError(
                f"{source}: the time column is an integer step index, so --freq must be a whole "
                f"number step (got {shown(freq)})"
            ) from None
        if step < 1:
            raise InputError(f"{source}: --freq step must be positive (got {step})")
        return step
    diffs = _within_series_diffs(ds, offsets)
    return int(np.gcd.reduce(diffs)) if len(diffs) and diffs.min() > 0 else 1


def _within_series_diffs(ds: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Spacings within each (sorted) series, uint64: two dates 300 years apart are more
    nanoseconds apart than int64 holds, and unsigned arithmetic keeps them exact."""
    diffs = np.diff(ds.view(np.uint64))
    if len(offsets) > 2:
        keep = np.ones(len(diffs), dtype=bool)
        keep[offsets[1:-1] - 1] = False
        diffs = diffs[keep]
    return diffs


def int_positions(ds, offsets, step, source, point_line, time_col) -> np.ndarray:
    starts = np.repeat(ds[offsets[:-1]], np.diff(offsets))
    rel = ds - starts
    off = rel % step != 0
    if off.any():
        k = int(np.flatnonzero(off)[0])
        raise InputError(
            f"{source}: step {ds[k]} at line {point_line(k)} is off the step-{step} grid of its "
            f"series in column {shown(time_col)}; fix the step index or pass --freq with the "
            "right step"
        )
    return rel // step


_UNITS_NS = {
    "D": 86_400 * 10**9,
    "h": 3_600 * 10**9,
    "min": 60 * 10**9,
    "s": 10**9,
    "ms": 10**6,
    "us": 10**3,
    "ns": 1,
}


def _freqstr(value) -> str | None:
    """``pd.infer_freq`` result as a string (pandas 3 may return an offset object)."""
    if value is None:
        return None
    return getattr(value, "freqstr", str(value))


def _pandas_infer(stamps: np.ndarray) -> str | None:
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
    if ns >= 2**63:  # past pd.Timedelta (292 years)
        return f"{ns // (86_400 * 10**9)}D"
    return pd.tseries.frequencies.to_offset(pd.Timedelta(ns)).freqstr


def stamp_text(value) -> str:
    """A timestamp for a message: the date alone at midnight."""
    t = pd.Timestamp(value)
    return str(t.date()) if t == t.normalize() else str(t)


def infer_freq(
    ds: np.ndarray, offsets: np.ndarray, source: str, point_line: Callable[[int], int]
) -> tuple[str, np.ndarray]:
    """Infer the pandas offset alias that fits every series' timestamps with the fewest gaps.

    Returns (alias, grid position of every point relative to its series start).
    """
    lengths = np.diff(offsets)
    longest = int(np.argmax(lengths))
    if lengths[longest] < 2:
        raise InputError(
            f"{source}: every series has a single point, so no frequency can be inferred; "
            "pass --freq (e.g. D, h, MS)"
        )
    seg = ds[offsets[longest] : offsets[longest + 1]]
    # pandas' own inference on both ends of the longest series (sampled for speed)
    candidates = [_pandas_infer(seg[:400]), _pandas_infer(seg[-400:])]
    diffs = _within_series_diffs(ds, offsets)  # ns, all > 0 (sorted, no duplicates)
    spacing_ns = int(diffs.min())
    spacing = spacing_ns // 1_000_000_000
    candidates.extend(_calendar_candidates(spacing_ns, pd.DatetimeIndex(seg)))
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
    if best is None:
        unit = _delta_text(spacing_ns)
        off = _off_grid(ds, offsets, unit) if spacing < 28 * 86400 else None
        example = ""
        if off is not None and off[0].any():
            k = int(np.flatnonzero(off[0])[0])
            example = f"; {stamp_text(ds[k])} at line {point_line(k)} is off the {unit} grid"
        elif 28 * 86400 <= spacing <= 31 * 86400:
            example = "; monthly dates must all fall on the first or the last day of their month"
        raise InputError(
            f"{source}: timestamps are irregular and fit no frequency (smallest spacing "
            f"{unit}{example}); pass --freq, or resample the data to a regular grid"
        )
    return _canonical(best[1], seg[0]), best[2]


def _canonical(alias: str, start) -> str:
    """pandas' own name for the grid (``QS`` -> ``QS-JAN``), so equal grids get one name."""
    if fixed_spacing(alias) is not None:
        return alias
    # In microseconds: 24 steps from a start near 2262 run past what nanoseconds hold.
    grid = pd.date_range(pd.Timestamp(start).as_unit("us"), periods=24, freq=alias)
    name = _pandas_infer(grid.values)
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
    off = _off_grid(ds, offsets, alias)
    if off is None or off[0].any():
        return None
    return off[1]


def _off_grid(ds: np.ndarray, offsets: np.ndarray, alias: str):
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
    lo, hi = pd.Timestamp(ds.min()), pd.Timestamp(ds.max())
    grid = pd.date_range(lo, hi, freq=alias)
    if len(grid) > 50_000_000:
        return None
    idx = grid.get_indexer(pd.DatetimeIndex(ds))
    off = idx < 0
    return off, idx - np.repeat(idx[offsets[:-1]], counts)


def check_alias(freq: str, source: str) -> str:
    try:
        pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        raise InputError(
            f"{source}: unknown frequency {shown(freq)}; use a pandas alias such as D, h, 30min, "
            "W-SUN, MS, QS"
        ) from None
    return freq


def grid_positions(ds, offsets, alias, source, ids, point_line) -> np.ndarray:
    off = _off_grid(ds, offsets, alias)
    if off is None:
        raise InputError(f"{source}: frequency {alias!r} makes a grid too large to hold")
    mask, pos = off
    if mask.any():
        k = int(np.flatnonzero(mask)[0])
        i = int(np.searchsorted(offsets, k, side="right") - 1)
        start = (
            f" that starts at the series' first timestamp {stamp_text(ds[offsets[i]])}"
            if fixed_spacing(alias) is not None
            else ""
        )
        raise InputError(
            f"{source}: timestamp {stamp_text(ds[k])} in series {shown(ids[i])} (line "
            f"{point_line(k)}) is off the {alias!r} grid{start}; pass the right --freq or resample "
            "the data to a regular grid"
        )
    return pos
