"""The time axis: the duplicate check, and the grid every series lies on.

:func:`place_on_grid` decides the grid (an integer step, an inferred frequency, or the user's
``--freq``) and places every point on it, refusing points off it by line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecastr.errors import InputError, SeriesKeyError, shown
from forecastr.ingest.frequency import (
    RESAMPLE,
    fixed_spacing,
    infer_freq,
    off_grid,
    within_series_diffs,
)
from forecastr.ingest.repeats import differs, repeats
from forecastr.ingest.timerange import stamp_text
from forecastr.ingest.where import Where

# Repeated timestamps from which a refusal suggests --aggregate: a log of events, not a few
# stray copies of a row
EVENTS = 10


@dataclass(frozen=True)
class Grid:
    """The grid the series lie on.

    Attributes:
        freq: pandas offset alias; None for an integer step index.
        step: the step of an integer index (1 for dates).
        inferred: the grid was inferred, not given with ``--freq``.
    """

    freq: str | None
    step: int = 1
    inferred: bool = True

    @property
    def name(self) -> str:
        """The grid for a message: ``step-2`` or ``'MS'``."""
        return f"step-{self.step}" if self.freq is None else repr(self.freq)


def check_duplicates(
    y: np.ndarray,
    ds: np.ndarray,
    offsets: np.ndarray,
    ids: list[str],
    where: Where,
    *,
    time_col: str,
    suggest_id_col: bool,
) -> None:
    """Refuse a timestamp that repeats within a series, naming both lines: the first pair
    whose values differ (copies of one value are kept once by
    :func:`~forecastr.ingest.repeats.drop_copies`).

    Args:
        y: (N,) the values.
        ds: (N,) timestamps, sorted within each series.
        offsets: (S + 1,) where each series starts in ``ds``.
        ids: the series' ids.
        where: the line of each point.
        time_col: the time column, for the message.
        suggest_id_col: the file was read as one series per column (wide or single): the
            message suggests ``--id-col``, in case it holds several series in long form.
    """
    same = repeats(ds, offsets)
    if same.any():
        differ = same & differs(y)
        k = int(np.flatnonzero(differ if differ.any() else same)[0])
        i = int(np.searchsorted(offsets, k, side="right") - 1)
        a, b = sorted((where.line(k), where.line(k + 1)))
        count = int(same.sum())
        rows = f"{count} repeated row{'s' if count > 1 else ''}" if count < 10 else "repeats"
        hint = (
            f"; remove or merge the {rows}, or, if the file holds several series, name the id "
            "column with --id-col"
            + (", or pick the column to forecast with --target" if len(ids) > 1 else "")
            if suggest_id_col
            else "; if another column also tells the series apart (a store beside an item), "
            "name both: --id-col item+store"
        ) + (
            "; if each row is one event (a sale, an order), add them up per period: "
            "--aggregate sum --freq D (or W, MS, h)"
            if same.sum() >= EVENTS
            else ""
        )
        raise SeriesKeyError(
            f"{where.file}: duplicate timestamp {_stamp(ds, k)} in series {shown(ids[i])} (lines "
            f"{a} and {b}); each series needs one row per {shown(time_col)} value{hint}"
        )


def place_on_grid(
    ds: np.ndarray,
    offsets: np.ndarray,
    ids: list[str],
    where: Where,
    *,
    freq: str | None,
    time_col: str,
) -> tuple[Grid, np.ndarray]:
    """(the grid, the grid position of every point relative to its series start).

    ``ds`` holds dates (datetime64[ns]) or the steps of an integer index (int64). An integer
    index gets the step ``freq`` gives, else the largest that fits; dates get the alias
    ``freq`` gives, else the one inferred.
    """
    if ds.dtype == np.int64:  # an integer step index
        step = infer_int_step(ds, offsets, freq, where)
        return Grid(None, step, freq is None), int_positions(ds, offsets, step, where, time_col)
    if freq is None:
        alias, pos = infer_freq(ds, offsets, where)
        return Grid(alias), pos
    alias = check_alias(freq, where)
    return Grid(alias, inferred=False), grid_positions(ds, offsets, alias, ids, where)


def infer_int_step(ds: np.ndarray, offsets: np.ndarray, freq: str | None, where: Where) -> int:
    """The step of an integer index: ``freq`` as a whole number, else the gcd of the spacings."""
    if freq is not None:
        try:
            step = int(freq)
        except ValueError:
            raise InputError(
                f"{where.file}: the time column is an integer step index, so --freq must be a "
                f"whole number step (got {shown(freq)})"
            ) from None
        if step < 1:
            raise InputError(f"{where.file}: --freq step must be positive (got {step})")
        return step
    diffs = within_series_diffs(ds, offsets)
    return int(np.gcd.reduce(diffs)) if len(diffs) and diffs.min() > 0 else 1


def int_positions(
    ds: np.ndarray, offsets: np.ndarray, step: int, where: Where, time_col: str
) -> np.ndarray:
    """Grid position of every step relative to its series start; off-grid steps refused."""
    starts = np.repeat(ds[offsets[:-1]], np.diff(offsets))
    rel = ds - starts
    off = rel % step != 0
    if off.any():
        k = int(np.flatnonzero(off)[0])
        raise InputError(
            f"{where.file}: step {ds[k]} at line {where.line(k)} is off the step-{step} grid of "
            f"its series in column {shown(time_col)}; fix the step index or pass --freq with the "
            "right step"
        )
    return rel // step


def check_alias(freq: str, where: Where) -> str:
    """``freq`` if pandas knows it as an offset alias."""
    try:
        pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        raise InputError(
            f"{where.file}: unknown frequency {shown(freq)}; use a pandas alias such as D, h, "
            "30min, W-SUN, MS, QS"
        ) from None
    return freq


def grid_positions(
    ds: np.ndarray, offsets: np.ndarray, alias: str, ids: list[str], where: Where
) -> np.ndarray:
    """Grid position of every timestamp on the ``alias`` grid; one off it is refused."""
    off = off_grid(ds, offsets, alias)
    if off is None:
        raise InputError(f"{where.file}: frequency {alias!r} makes a grid too large to hold")
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
            f"{where.file}: timestamp {stamp_text(ds[k])} in series {shown(ids[i])} (line "
            f"{where.line(k)}) is off the {alias!r} grid{start}; pass the right --freq or "
            f"{RESAMPLE}"
        )
    return pos


def _stamp(ds: np.ndarray, k: int) -> str:
    """Point ``k``'s time for a message: a step as a number, a date as text."""
    return str(ds[k]) if ds.dtype == np.int64 else stamp_text(ds[k])
