"""Layout detection: which columns hold the series id, the time and the values.

Decides between the long, wide and single layouts from the header, a sample of the first
rows and the user's flags (see :mod:`forecastr.data` for what each layout means).
"""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecastr.csvread import NULL_VALUES, Source
from forecastr.errors import InputError, shown

if TYPE_CHECKING:
    from forecastr.data import IngestOptions

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


def names_text(names: list[str], most: int = 20) -> str:
    """Column names for a message: each made safe (:func:`~forecastr.errors.shown`), at most
    ``most`` of them (a wide file has thousands)."""
    text = ", ".join(shown(n, 40, quote=False) for n in names[:most])
    return text + (f", … ({len(names)} columns)" if len(names) > most else "")


def _find(names: list[str], candidates: tuple[str, ...]) -> str | None:
    lower = {n.lower(): n for n in names}
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    return None


def _require_column(name: str, header: list[str], path: str, flag: str) -> str:
    if name in header:
        return name
    matches = [h for h in header if h.lower() == name.strip().lower()]
    if len(matches) == 1:
        return matches[0]
    raise InputError(
        f"{path}: no column named {shown(name)} (given by {flag}); the columns are: "
        f"{names_text(header)}"
    )


def _is_unnamed(name: str) -> bool:
    """pandas names an empty header cell ``Unnamed: k`` (e.g. a trailing separator)."""
    return bool(re.fullmatch(r"Unnamed: \d+", name))


def _text_columns(sample: pd.DataFrame, names: list[str]) -> list[str]:
    """Columns whose non-empty sample cells are (nearly) all non-numeric text."""
    if not names or len(sample) == 0:
        return []
    # One vectorised pass over all cells (a wide file has thousands of columns).
    cells = pd.Series(sample[names].to_numpy(dtype=object).ravel(), dtype=object).str.strip()
    empty = cells.isin(NULL_VALUES).to_numpy().reshape(len(sample), len(names))
    number = pd.to_numeric(cells, errors="coerce").notna().to_numpy()
    number = number.reshape(len(sample), len(names))
    filled = (~empty).sum(axis=0)
    share = np.divide(number.sum(axis=0), filled, out=np.ones(len(names)), where=filled > 0)
    out = []
    for j in np.flatnonzero((share < 0.1) & (filled > 0)):  # few numbers: text unless dates
        cells = sample[names[j]].str.strip()
        cells = cells[~cells.isin(NULL_VALUES)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                dates = pd.to_datetime(cells, errors="coerce", format="ISO8601", utc=True)
                dated = dates.notna().mean()
            except (ValueError, TypeError, OverflowError):
                dated = 0.0
        if dated < 0.1:
            out.append(names[j])
    return out


def _looks_like_ids(sample: pd.DataFrame, col: str, time_col: str) -> bool:
    """A text column is a series id if no cell is empty and values repeat (or times do)."""
    cells = sample[col].str.strip()
    if (cells == "").any():
        return False
    return bool(cells.nunique() < len(cells) or sample[time_col].duplicated().any())


def detect_layout(src: Source, options: IngestOptions) -> tuple[str, str | None, str, list[str]]:
    """Decide (layout, id column, time column, value columns) from the header and flags."""
    header, path = src.header, src.path
    id_col = options.id_col and _require_column(options.id_col, header, path, "--id-col")
    time_col = options.time_col and _require_column(options.time_col, header, path, "--time-col")
    target = options.target and _require_column(options.target, header, path, "--target")

    layout = options.layout
    if id_col and layout in ("wide", "single"):
        raise InputError(
            f"{path}: --id-col names a series id column, which only the long layout has; "
            f"drop --id-col or use --layout long"
        )
    if id_col is None and layout in ("auto", "long"):
        id_col = _find([h for h in header if h not in (time_col, target)], ID_NAMES)
    if time_col is None:
        rest = [h for h in header if h != id_col]
        time_col = _find(rest, TIME_NAMES) or rest[0]
    if time_col == id_col:
        raise InputError(
            f"{path}: the time column and the id column are both {shown(time_col)}; "
            "name them with --time-col and --id-col"
        )
    if id_col is None and layout in ("auto", "long"):
        # No id-like name: a column of text beside the time column is the series id.
        rest = [h for h in header if h not in (time_col, target) and not _is_unnamed(h)]
        text = _text_columns(src.sample, rest)
        if len(text) == 1 and len(rest) >= 2 and _looks_like_ids(src.sample, text[0], time_col):
            id_col = text[0]
        elif layout == "long":
            raise InputError(
                f"{path}: long format needs a series id column; name it with --id-col "
                f"(columns: {names_text(header)})"
            )
        elif len(text) > 1:
            raise InputError(
                f"{path}: columns {names_text(text)} hold text, not numbers; name the series id "
                "with --id-col and the values with --target"
            )
    if layout == "auto":
        layout = "long" if id_col is not None else "auto"

    if layout == "long":
        assert id_col is not None
        if target is None:
            rest = [h for h in header if h not in (id_col, time_col) and not _is_unnamed(h)]
            target = _find(rest, TARGET_NAMES) or (rest[0] if len(rest) == 1 else None)
            if target is None:
                raise InputError(
                    f"{path}: cannot tell which column holds the values; pass --target "
                    f"(columns: {names_text(rest) or 'none'})"
                )
        if target in (id_col, time_col):
            raise InputError(f"{path}: --target {shown(target)} is also the id or time column")
        return "long", id_col, time_col, [target]

    if target == time_col:
        raise InputError(f"{path}: --target {shown(target)} is also the time column; pick another")
    # A trailing separator or a saved pandas index gives an unnamed column: not a series.
    values = [target] if target else [h for h in header if h != time_col and not _is_unnamed(h)]
    if not values:
        raise InputError(f"{path}: no value column besides the time column {shown(time_col)}")
    if layout == "auto":
        layout = "single" if len(values) == 1 else "wide"
    if layout == "single" and len(values) != 1:
        raise InputError(
            f"{path}: single-series layout needs one value column; pick one with --target "
            f"(candidates: {names_text(values)})"
        )
    return layout, None, time_col, values
