"""CSV ingest: read a file into a validated, regular, gap-free :class:`Panel`.

Three layouts are understood, detected from the header (flags override):

* **long**: one row per (series, time): an id column, a time column and a value column.
  Recognised by an id column named like ``unique_id``/``id``/``series``, or forced by ``id_col``.
* **wide**: a time column and one numeric column per series.
* **single**: a time column and one value column (or ``target`` names the value column).

The time column is the one named ``ds``/``date``/``time``/``timestamp``/... or else the first
column. It may hold dates (any format pandas parses) or a plain integer step index.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from forecastr.errors import InputError
from forecastr.panel import Panel

FillMethod = Literal["interpolate", "ffill", "zero", "error"]
Layout = Literal["auto", "long", "wide", "single"]

ID_NAMES = ("unique_id", "id", "series", "series_id", "item_id", "item", "key")
TIME_NAMES = (
    "ds",
    "date",
    "datetime",
    "time",
    "timestamp",
    "period",
    "month",
    "week",
    "day",
    "year",
    "quarter",
    "hour",
    "t",
    "step",
    "index",
)
TARGET_NAMES = ("y", "value", "target", "values")


@dataclass(frozen=True)
class IngestOptions:
    """How to read a CSV. Every field defaults to automatic detection."""

    id_col: str | None = None  # long format: the series id column
    time_col: str | None = None  # the timestamp / step column
    target: str | None = None  # the value column (long or single); wide: all other columns
    freq: str | None = None  # pandas offset alias; None: inferred
    fill: FillMethod = "interpolate"  # what to do with missing timestamps and empty values
    layout: Layout = "auto"


# ---------------------------------------------------------------------------------------------
# reading


def load_csv(path: str | os.PathLike, options: IngestOptions | None = None) -> Panel:
    """Read ``path`` into a :class:`Panel`.

    Raises:
        InputError: for any problem with the file, with a one-line message.
    """
    options = options or IngestOptions()
    path = os.fspath(path)
    _check_readable(path)
    sep = _sniff_separator(path)
    header = _read_header(path, sep)
    layout, id_col, time_col, targets = _detect_layout(header, options, path)
    frame = _read_columns(path, sep, header, id_col, time_col, targets)
    if len(frame) == 0:
        raise InputError(f"{path}: has a header but no data rows; add rows of data below the header")
    return frame_to_panel(
        frame,
        layout=layout,
        id_col=id_col,
        time_col=time_col,
        targets=targets,
        freq=options.freq,
        fill=options.fill,
        source=path,
    )


def _check_readable(path: str) -> None:
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file; check the path")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, not a CSV file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(1)
    except OSError as err:
        raise InputError(f"{path}: cannot be read ({err.strerror}); check its permissions") from None
    if not head:
        raise InputError(f"{path}: the file is empty; it needs a header row and data rows")


def _sniff_separator(path: str) -> str:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        sample = fh.read(64 * 1024)
    lines = [ln for ln in sample.splitlines() if ln.strip()][:20]
    if not lines:
        raise InputError(f"{path}: the file is empty; it needs a header row and data rows")
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _read_header(path: str, sep: str) -> list[str]:
    try:
        header = pd.read_csv(path, sep=sep, nrows=0, encoding="utf-8-sig").columns
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty; it needs a header row and data rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not a readable CSV ({_first_line(err)})") from None
    names = [str(c).strip() for c in header]
    if len(names) < 2:
        raise InputError(
            f"{path}: found one column ({names[0]!r}); a CSV needs a time column and a value column"
        )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"{path}: duplicate column names {dupes}; give every column a unique name")
    return names


def _find(names: list[str], candidates: tuple[str, ...]) -> str | None:
    lower = {n.lower(): n for n in names}
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    return None


def _require_column(name: str, header: list[str], path: str, flag: str) -> str:
    if name in header:
        return name
    matches = [h for h in header if h.lower() == name.lower()]
    if len(matches) == 1:
        return matches[0]
    raise InputError(
        f"{path}: no column named {name!r} (given by {flag}); the columns are: {', '.join(header)}"
    )


def _detect_layout(
    header: list[str], options: IngestOptions, path: str
) -> tuple[str, str | None, str, list[str]]:
    """Decide (layout, id column, time column, value columns) from the header and flags."""
    id_col = options.id_col and _require_column(options.id_col, header, path, "--id-col")
    time_col = options.time_col and _require_column(options.time_col, header, path, "--time-col")
    target = options.target and _require_column(options.target, header, path, "--target")

    layout = options.layout
    if id_col is None and layout in ("auto", "long"):
        id_col = _find(header, ID_NAMES)
        if id_col is None and layout == "long":
            raise InputError(
                f"{path}: long format needs a series id column; name it with --id-col "
                f"(columns: {', '.join(header)})"
            )
    if layout == "auto":
        layout = "long" if id_col is not None else "auto"

    if time_col is None:
        rest = [h for h in header if h != id_col]
        time_col = _find(rest, TIME_NAMES) or rest[0]
    if time_col == id_col:
        raise InputError(f"{path}: the time column and the id column are both {time_col!r}")

    if layout == "long":
        if id_col is None:
            raise InputError(f"{path}: long format needs --id-col")
        if target is None:
            rest = [h for h in header if h not in (id_col, time_col)]
            target = _find(rest, TARGET_NAMES) or (rest[0] if len(rest) == 1 else None)
            if target is None:
                raise InputError(
                    f"{path}: cannot tell which column holds the values; pass --target "
                    f"(columns: {', '.join(rest) or 'none'})"
                )
        return "long", id_col, time_col, [target]

    values = [target] if target else [h for h in header if h != time_col]
    if not values:
        raise InputError(f"{path}: no value column besides the time column {time_col!r}")
    if layout == "auto":
        layout = "single" if len(values) == 1 else "wide"
    if layout == "single" and len(values) != 1:
        raise InputError(
            f"{path}: single-series layout needs one value column; pick one with --target "
            f"(candidates: {', '.join(values)})"
        )
    return layout, None, time_col, values


def _read_columns(
    path: str, sep: str, header: list[str], id_col: str | None, time_col: str, targets: list[str]
) -> pd.DataFrame:
    """Read only the needed columns with pyarrow; values as float64, ids dictionary-encoded."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    usecols = ([id_col] if id_col else []) + [time_col] + targets
    types: dict[str, pa.DataType] = {t: pa.float64() for t in targets}
    if id_col:
        types[id_col] = pa.dictionary(pa.int32(), pa.string())
    read_opts = pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 24)
    parse_opts = pacsv.ParseOptions(delimiter=sep)
    null_values = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "#N/A", "-"]
    convert = pacsv.ConvertOptions(
        include_columns=usecols,
        column_types=types,
        null_values=null_values,
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    try:
        table = pacsv.read_csv(
            path, read_options=read_opts, parse_options=parse_opts, convert_options=convert
        )
    except pa.ArrowInvalid as err:
        # A value that is not a number: find the exact line with a slower, precise pass.
        _locate_bad_values(path, sep, targets, null_values)
        raise InputError(f"{path}: cannot parse the CSV ({_first_line(err)})") from None
    # BOM in the first header name is stripped in `header`; pyarrow was given those names.
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    return frame


def _locate_bad_values(path: str, sep: str, targets: list[str], null_values: list[str]) -> None:
    """Raise an InputError naming the first non-numeric value (line and column)."""
    for col in targets:
        raw = pd.read_csv(
            path,
            sep=sep,
            usecols=[col],
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            skipinitialspace=True,
        )[col]
        stripped = raw.str.strip()
        blank = stripped.isin(null_values)
        num = pd.to_numeric(stripped.where(~blank), errors="coerce")
        bad = num.isna() & ~blank
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{path}: non-numeric value {raw.iloc[row]!r} in column {col!r} at line {row + 2}; "
                "values must be numbers (leave a cell empty for a missing value)"
            )


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


# ---------------------------------------------------------------------------------------------
# frame -> panel


def frame_to_panel(
    frame: pd.DataFrame,
    *,
    layout: str,
    id_col: str | None,
    time_col: str,
    targets: list[str],
    freq: str | None = None,
    fill: FillMethod = "interpolate",
    source: str = "<data>",
) -> Panel:
    """Validate a DataFrame and turn it into a regular, gap-free :class:`Panel`.

    Works on frames from :func:`load_csv` and on frames built in Python (a notebook).
    """
    for col in targets:
        values = pd.to_numeric(frame[col], errors="coerce") if frame[col].dtype == object else None
        if values is not None:
            bad = values.isna() & frame[col].notna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(
                    f"{source}: non-numeric value {frame[col].iloc[row]!r} in column {col!r} "
                    f"at line {row + 2}; values must be numbers"
                )
            frame[col] = values
        arr = frame[col].to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isnan(arr).all():
            raise InputError(
                f"{source}: column {col!r} is entirely empty; drop it or choose another with --target"
            )
        inf = np.isinf(arr)
        if inf.any():
            row = int(np.flatnonzero(inf)[0])
            raise InputError(
                f"{source}: infinite value in column {col!r} at line {row + 2}; "
                "replace it with a number or leave the cell empty"
            )

    ds, is_int = _parse_time(frame[time_col], time_col, source)

    if layout == "long":
        assert id_col is not None
        ids_raw = frame[id_col]
        if ids_raw.isna().any():
            row = int(np.flatnonzero(ids_raw.isna().to_numpy())[0])
            raise InputError(f"{source}: empty series id in column {id_col!r} at line {row + 2}")
        cat = ids_raw.astype("category") if ids_raw.dtype != "category" else ids_raw
        codes = cat.cat.codes.to_numpy().astype(np.int64)
        ids = [str(c) for c in cat.cat.categories]
        y = frame[targets[0]].to_numpy(dtype=np.float64, na_value=np.nan)
        line = np.arange(len(frame), dtype=np.int64) + 2
    else:
        n = len(frame)
        ids = list(targets)
        codes = np.repeat(np.arange(len(targets), dtype=np.int64), n)
        y = np.concatenate(
            [frame[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in targets]
        )
        ds = np.tile(ds, len(targets))
        line = np.tile(np.arange(n, dtype=np.int64) + 2, len(targets))
    del frame

    # Sort by (series, time); stable so the original order breaks no ties silently.
    order = np.lexsort((ds, codes))
    codes, ds, y, line = codes[order], ds[order], y[order], line[order]
    del order

    if layout != "long":
        # Wide/single: leading and trailing empty cells mean the series starts later / ends earlier.
        keep = _trim_empty_ends(codes, y)
        codes, ds, y, line = codes[keep], ds[keep], y[keep], line[keep]
        present = np.unique(codes)
        if len(present) < len(ids):
            empty = [ids[i] for i in range(len(ids)) if i not in set(present.tolist())]
            raise InputError(f"{source}: column {empty[0]!r} is entirely empty; drop it")

    counts = np.bincount(codes, minlength=len(ids))
    present_mask = counts > 0
    if not present_mask.all():  # categories with no rows (only possible for categorical input)
        remap = np.cumsum(present_mask) - 1
        codes = remap[codes]
        ids = [s for s, p in zip(ids, present_mask, strict=True) if p]
        counts = counts[present_mask]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    _check_duplicates(codes, ds, line, ids, is_int, source, time_col)

    step = 1
    if is_int:
        step = _infer_int_step(ds, offsets, freq, source)
        freq_alias = None
        pos = _int_positions(ds, offsets, step, source, ids, line, time_col)
    else:
        freq_alias = freq or _infer_freq(ds, offsets, source, ids)
        pos = _grid_positions(ds, offsets, freq_alias, source, ids, line, time_col)

    return _fill(
        ids=ids,
        y=y,
        ds=ds,
        pos=pos,
        offsets=offsets,
        freq=freq_alias,
        step=step,
        fill=fill,
        layout=layout,
        columns={"id": id_col, "time": time_col, "target": list(targets)},
        source=source,
        is_int=is_int,
    )


def _trim_empty_ends(codes: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mask that drops each series' leading and trailing NaNs (wide files with ragged starts)."""
    valid = ~np.isnan(y)
    # cumulative valid counts per series, forwards and backwards
    seen_before = np.zeros(len(y), dtype=bool)
    seen_after = np.zeros(len(y), dtype=bool)
    bounds = np.flatnonzero(np.diff(codes)) + 1
    for seg in np.split(np.arange(len(y)), bounds):
        if len(seg) == 0:
            continue
        v = valid[seg]
        seen_before[seg] = np.maximum.accumulate(v)
        seen_after[seg] = np.maximum.accumulate(v[::-1])[::-1]
    return seen_before & seen_after


def _parse_time(col: pd.Series, name: str, source: str) -> tuple[np.ndarray, bool]:
    """Timestamps as datetime64[ns] (naive, UTC if zone-aware) or int64 for a step index."""
    if col.isna().any():
        row = int(np.flatnonzero(col.isna().to_numpy())[0])
        raise InputError(
            f"{source}: empty timestamp in column {name!r} at line {row + 2}; every row needs one"
        )
    if pd.api.types.is_integer_dtype(col.dtype):
        return col.to_numpy(dtype=np.int64), True
    if pd.api.types.is_float_dtype(col.dtype):
        arr = col.to_numpy()
        if np.all(arr == np.round(arr)):
            return arr.astype(np.int64), True
        raise InputError(
            f"{source}: column {name!r} holds fractional numbers; the time column must be dates "
            "or whole-number steps"
        )
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        return col.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]"), False
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return col.to_numpy("datetime64[ns]"), False
    text = col.astype(str).str.strip()
    if text.str.fullmatch(r"[+-]?\d+").all() and not text.str.fullmatch(r"\d{8}").all():
        return text.astype(np.int64).to_numpy(), True
    try:
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
    except (ValueError, TypeError):
        parsed = None
    if parsed is None or parsed.isna().any():
        parsed = _parse_dates_leniently(text)
    bad = parsed.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{source}: cannot read {text.iloc[row]!r} in column {name!r} at line {row + 2} as a "
            "date; use one date format throughout (e.g. 2024-01-31 or 2024-01-31 13:00)"
        )
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.to_numpy("datetime64[ns]"), False


def _parse_dates_leniently(text: pd.Series) -> pd.Series:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(text, errors="coerce", utc=_has_zone(text))
        except (ValueError, TypeError, OverflowError):
            parsed = pd.Series(pd.NaT, index=text.index)
        if parsed.isna().any():
            try:
                mixed = pd.to_datetime(text, errors="coerce", format="mixed", utc=_has_zone(text))
                if mixed.isna().sum() < parsed.isna().sum():
                    parsed = mixed
            except (ValueError, TypeError, OverflowError):
                pass
    return parsed


def _has_zone(text: pd.Series) -> bool:
    sample = text.iloc[: min(len(text), 50)]
    return bool(sample.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).any())


def _check_duplicates(codes, ds, line, ids, is_int, source, time_col) -> None:
    same = (codes[1:] == codes[:-1]) & (ds[1:] == ds[:-1])
    if same.any():
        k = int(np.flatnonzero(same)[0])
        stamp = ds[k] if is_int else pd.Timestamp(ds[k])
        raise InputError(
            f"{source}: duplicate timestamp {stamp} in series {ids[codes[k]]!r} "
            f"(lines {min(line[k], line[k + 1])} and {max(line[k], line[k + 1])}); "
            f"each series needs one row per {time_col!r} value"
        )


# ---------------------------------------------------------------------------------------------
# frequency


def _infer_int_step(ds: np.ndarray, offsets: np.ndarray, freq: str | None, source: str) -> int:
    if freq is not None:
        try:
            step = int(freq)
        except ValueError:
            raise InputError(
                f"{source}: the time column is an integer step index, so --freq must be a whole "
                f"number step (got {freq!r})"
            ) from None
        if step < 1:
            raise InputError(f"{source}: --freq step must be positive (got {step})")
        return step
    diffs = np.diff(ds)
    boundary = np.zeros(len(diffs), dtype=bool)
    boundary[offsets[1:-1] - 1] = True
    diffs = diffs[~boundary]
    return int(np.gcd.reduce(diffs)) if len(diffs) and diffs.min() > 0 else 1


def _int_positions(ds, offsets, step, source, ids, line, time_col) -> np.ndarray:
    starts = np.repeat(ds[offsets[:-1]], np.diff(offsets))
    rel = ds - starts
    off = rel % step != 0
    if off.any():
        k = int(np.flatnonzero(off)[0])
        raise InputError(
            f"{source}: step {ds[k]} at line {line[k]} is off the step-{step} grid of its series; "
            "fix the step index or pass --freq with the right step"
        )
    return rel // step


_SECONDS = {"s": 1, "min": 60, "h": 3600, "D": 86400}


def _infer_freq(ds: np.ndarray, offsets: np.ndarray, source: str, ids: list[str]) -> str:
    """Infer a pandas offset alias that fits every series' timestamps."""
    lengths = np.diff(offsets)
    longest = int(np.argmax(lengths))
    if lengths[longest] < 2:
        raise InputError(
            f"{source}: every series has a single point, so no frequency can be inferred; "
            "pass --freq (e.g. D, h, MS)"
        )
    # pandas' own inference on a gap-free stretch of the longest series (sample for speed)
    seg = ds[offsets[longest] : offsets[longest + 1]]
    candidates: list[str] = []
    for chunk in (seg[: min(len(seg), 400)], seg[-min(len(seg), 400) :]):
        if len(chunk) >= 3:
            try:
                alias = pd.infer_freq(pd.DatetimeIndex(chunk))
            except (ValueError, TypeError):
                alias = None
            if alias:
                candidates.append(alias)
    # the smallest positive spacing, mapped to a calendar or fixed alias
    diffs = np.diff(ds).astype("timedelta64[s]").astype(np.int64)
    boundary = np.zeros(len(diffs), dtype=bool)
    boundary[offsets[1:-1] - 1] = True
    diffs = diffs[~boundary & (diffs > 0)]
    if len(diffs) == 0:
        raise InputError(f"{source}: timestamps do not advance; pass --freq")
    spacing = int(np.min(diffs))
    stamps = pd.DatetimeIndex(seg)
    candidates.extend(_calendar_candidates(spacing, stamps))
    for alias in dict.fromkeys(candidates):  # ordered, unique
        if _fits(ds, offsets, alias):
            return alias
    raise InputError(
        f"{source}: timestamps are irregular and fit no frequency (smallest spacing "
        f"{pd.Timedelta(seconds=spacing)}); pass --freq, or resample the data to a regular grid"
    )


def _calendar_candidates(spacing_s: int, stamps: pd.DatetimeIndex) -> list[str]:
    day = 86400
    out: list[str] = []
    first = stamps[0]
    if 28 * day <= spacing_s <= 31 * day:
        out += ["MS", "ME"] if first.is_month_start or first.is_month_end else []
        out += ["MS"] if first.day == 1 else ["ME"] if first.is_month_end else []
    elif 89 * day <= spacing_s <= 92 * day:
        out += ["QS", "QE", "QS-JAN", "QS-FEB", "QS-MAR", "QE-JAN", "QE-FEB"]
    elif 365 * day <= spacing_s <= 366 * day:
        out += ["YS", "YE"]
    elif spacing_s == 7 * day:
        out.append(f"W-{first.day_name()[:3].upper()}")
    if spacing_s >= 28 * day and not out:
        out.append("MS")
    # fixed spacing: seconds to the biggest whole unit
    for unit in ("D", "h", "min", "s"):
        if spacing_s % _SECONDS[unit] == 0:
            n = spacing_s // _SECONDS[unit]
            out.append(f"{n}{unit}" if n != 1 else unit)
            break
    if spacing_s == day:
        out.append("B")
    return out


def _fits(ds: np.ndarray, offsets: np.ndarray, alias: str) -> bool:
    try:
        return bool(_positions_or_none(ds, offsets, alias) is not None)
    except (ValueError, TypeError):
        return False


def _is_fixed(alias: str) -> pd.Timedelta | None:
    offset = pd.tseries.frequencies.to_offset(alias)
    if isinstance(offset, pd.offsets.Tick):
        return pd.Timedelta(offset)
    return None


def _positions_or_none(ds: np.ndarray, offsets: np.ndarray, alias: str) -> np.ndarray | None:
    """Grid position of every timestamp relative to its series start, or None if off-grid."""
    fixed = _is_fixed(alias)
    starts = np.repeat(ds[offsets[:-1]], np.diff(offsets))
    if fixed is not None:
        rel = (ds - starts).astype("timedelta64[ns]").astype(np.int64)
        q = fixed.value
        if np.any(rel % q != 0):
            return None
        return rel // q
    lo, hi = ds.min(), ds.max()
    grid = pd.date_range(pd.Timestamp(lo), pd.Timestamp(hi), freq=alias)
    if len(grid) > 50_000_000:
        return None
    idx = grid.get_indexer(pd.DatetimeIndex(ds))
    if np.any(idx < 0):
        return None
    return idx - np.repeat(idx[offsets[:-1]], np.diff(offsets))


def _grid_positions(ds, offsets, alias, source, ids, line, time_col) -> np.ndarray:
    try:
        pd.tseries.frequencies.to_offset(alias)
    except ValueError:
        raise InputError(
            f"{source}: unknown frequency {alias!r}; use a pandas alias such as D, h, 30min, W, MS"
        ) from None
    pos = _positions_or_none(ds, offsets, alias)
    if pos is None:
        # Name the first timestamp that is off the grid.
        fixed = _is_fixed(alias)
        for i in range(len(offsets) - 1):
            seg = pd.DatetimeIndex(ds[offsets[i] : offsets[i + 1]])
            grid = pd.date_range(seg[0], seg[-1], freq=alias) if fixed is None else None
            for k, stamp in enumerate(seg):
                on = (
                    ((stamp - seg[0]) % fixed) == pd.Timedelta(0)
                    if fixed is not None
                    else stamp in grid
                )
                if not on:
                    raise InputError(
                        f"{source}: timestamp {stamp} in series {ids[i]!r} (line "
                        f"{line[offsets[i] + k]}) is off the {alias!r} grid; pass the right "
                        "--freq or resample the data to a regular grid"
                    )
        raise InputError(f"{source}: timestamps do not fit frequency {alias!r}")
    return pos


# ---------------------------------------------------------------------------------------------
# gap filling


def _fill(
    *,
    ids,
    y,
    ds,
    pos,
    offsets,
    freq,
    step,
    fill,
    layout,
    columns,
    source,
    is_int,
) -> Panel:
    n_series = len(ids)
    counts = np.diff(offsets)
    last_pos = pos[offsets[1:] - 1]  # (S,) positions of each series' last point
    full_len = last_pos + 1
    missing_stamps = int(full_len.sum() - counts.sum())
    empty_values = int(np.isnan(y).sum())
    if fill == "error" and (missing_stamps or empty_values):
        per_series = full_len - counts
        if missing_stamps:
            i = int(np.flatnonzero(per_series)[0])
            seg = pos[offsets[i] : offsets[i + 1]]
            k = int(np.flatnonzero(np.diff(seg) > 1)[0])
            after = ds[offsets[i] + k]
            after = after if is_int else pd.Timestamp(after)
            raise InputError(
                f"{source}: series {ids[i]!r} has {int(per_series[i])} missing timestamps "
                f"(first gap after {after}); with --fill error every step must be present — "
                "use --fill interpolate/ffill/zero to fill gaps"
            )
        k = int(np.flatnonzero(np.isnan(y))[0])
        raise InputError(
            f"{source}: empty value in series {ids[int(np.searchsorted(offsets, k, 'right') - 1)]!r}"
            " with --fill error; fill it or use --fill interpolate/ffill/zero"
        )

    new_offsets = np.concatenate([[0], np.cumsum(full_len)]).astype(np.int64)
    if missing_stamps:
        series_of = np.repeat(np.arange(n_series), counts)
        target = new_offsets[series_of] + pos
        y_full = np.full(int(new_offsets[-1]), np.nan)
        y_full[target] = y
        ds_full = _rebuild_stamps(ds, offsets, full_len, freq, step, is_int)
    else:
        y_full, ds_full = y, ds
    filled_mask = np.isnan(y_full)
    filled_points = int(filled_mask.sum())
    filled_series = 0
    if filled_points:
        y_full = y_full.copy() if y_full is y else y_full
        for i in range(n_series):
            seg = y_full[new_offsets[i] : new_offsets[i + 1]]  # a view: filled in place
            nan = np.isnan(seg)
            if not nan.any():
                continue
            filled_series += 1
            _fill_segment(seg, nan, fill)
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
    )


def _fill_segment(seg: np.ndarray, nan: np.ndarray, fill: str) -> None:
    idx = np.arange(len(seg))
    good = ~nan
    if fill == "zero":
        seg[nan] = 0.0
    elif fill == "ffill":
        last = np.where(good, idx, 0)
        np.maximum.accumulate(last, out=last)
        first_good = int(np.argmax(good))
        last[: first_good + 1] = np.where(good[: first_good + 1], last[: first_good + 1], first_good)
        seg[:] = seg[last]
    else:  # interpolate: linear inside, nearest value at the ends
        seg[nan] = np.interp(idx[nan], idx[good], seg[good])


def _rebuild_stamps(ds, offsets, full_len, freq, step, is_int) -> np.ndarray:
    starts = ds[offsets[:-1]]
    if is_int:
        rel = np.concatenate([np.arange(n, dtype=np.int64) for n in full_len])
        return np.repeat(starts, full_len) + rel * step
    fixed = _is_fixed(freq)
    if fixed is not None:
        rel = np.concatenate([np.arange(n, dtype=np.int64) for n in full_len])
        return np.repeat(starts, full_len) + (rel * fixed.value).astype("timedelta64[ns]")
    parts = [
        pd.date_range(pd.Timestamp(s), periods=int(n), freq=freq).values
        for s, n in zip(starts, full_len, strict=True)
    ]
    return np.concatenate(parts).astype("datetime64[ns]")


def describe(panel: Panel) -> dict:
    """What ingest understood, as a JSON-ready dict (the ``info`` command)."""
    lengths = panel.lengths
    is_int = panel.freq is None
    first = panel.ds[panel.offsets[:-1]]
    last = panel.ds[panel.offsets[1:] - 1]
    fmt = (lambda v: int(v)) if is_int else (lambda v: str(pd.Timestamp(v)))
    return {
        "file": panel.source,
        "layout": panel.layout,
        "columns": panel.columns,
        "series": panel.n_series,
        "points": int(lengths.sum()),
        "length": {
            "min": int(lengths.min()),
            "median": float(np.median(lengths)),
            "max": int(lengths.max()),
        },
        "frequency": panel.freq if not is_int else f"integer step {panel.step}",
        "start": fmt(first.min()),
        "end": fmt(last.max()),
        "filled_points": panel.filled_points,
        "filled_series": panel.filled_series,
        "ids_sample": panel.ids[:10],
    }


def fill_warning(panel: Panel) -> str | None:
    """The one warning line about gap filling, or None when nothing was filled."""
    if not panel.filled_points:
        return None
    return (
        f"filled {panel.filled_points} missing point(s) in {panel.filled_series} series "
        f"(--fill); use --fill error to refuse gaps"
    )
