"""A date column beside the number of each row's period of the day: electricity markets'
settlement periods.

Great Britain's system operator publishes demand as ``SETTLEMENT_DATE,SETTLEMENT_PERIOD,ND``
with periods 1 to 48, the half-hours of each day from its midnight, local time; the day the
clocks go forward has 46, the day they go back 50. :func:`period_numbers` knows such a column
(by its name and its whole numbers), and :func:`add_periods` stamps each row: the day's
midnight plus its period less one, in steps of a day over the usual count of periods (the
most common last period of a day: 48 half-hours, 96 quarter hours). A day of that count less
or more one hour's periods is a clock change, and it is counted through: each later stamp
moves by the hour gained or lost, so the series has no gap and no repeat, and its stamps keep
the clock of the file's first day (for Great Britain's from a winter day, UTC).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from forecastr.errors import InputError, shown
from forecastr.ingest.where import Where

PERIOD_NAMES = re.compile(
    r"(?:settlement[ _-]?period|trading[ _-]?(?:period|interval)|period|sp)", re.IGNORECASE
)
MAX_PERIODS = 100  # 96 quarter hours, and the hour the clocks go back
DAY_NS = 86_400_000_000_000


def period_numbers(name: str, cells: pd.Series) -> bool:
    """Whether a column named like a period of the day (:data:`PERIOD_NAMES`) holds whole
    numbers 1 to :data:`MAX_PERIODS` in most of its first rows (two or more filled)."""
    if PERIOD_NAMES.fullmatch(name.strip()) is None:
        return False
    text = cells.dropna().astype(str).str.strip()
    text = text[text != ""]
    if len(text) < 2:
        return False
    p = pd.to_numeric(text.where(text.str.fullmatch(r"\d{1,3}")), errors="coerce")
    return bool(((p >= 1) & (p <= MAX_PERIODS)).mean() > 0.5)


def add_periods(
    days: np.ndarray, cells: pd.Series, parts: tuple[str, ...], where: Where
) -> tuple[np.ndarray, list[str]]:
    """Each row's day (datetime64[D]) plus its period (module doc), and a note; refuses a
    cell that is not a period, by line."""
    date_col, col = parts
    p = pd.to_numeric(cells.astype(str).str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = ~((p >= 1) & (p <= MAX_PERIODS) & (p == np.round(p)))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{where.file}: line {where.line(k)}: column {shown(col)} holds "
            f"{shown(str(cells.iloc[k]).strip())}, not a period of the day (a whole number 1 "
            f"to {MAX_PERIODS}); every row needs the period of its date in {shown(date_col)}"
        )
    period = p.astype(np.int64)
    uniq, inv = np.unique(days, return_inverse=True)
    last = np.zeros(len(uniq), dtype=np.int64)
    np.maximum.at(last, inv, period)
    usual = int(np.bincount(last).argmax())  # 48 half-hours a day
    hour = max(usual // 24, 1)
    changed = (last > usual) | (last == usual - hour)  # the clocks going back or forward
    length = np.where(changed, last, usual)
    drift = np.concatenate([[0], np.cumsum(length - usual)[:-1]])  # periods gained before
    step = DAY_NS // usual
    offset = (drift[inv] + period - 1) * step
    stamps = days.astype("datetime64[ns]") + offset.astype("timedelta64[ns]")
    minutes = step / 60e9
    size = f"{minutes / 60:g} hours" if minutes % 60 == 0 else f"{minutes:g} minutes"
    note = f"periods 1 to {usual} of each day in {shown(col)} read as {size} from its midnight"
    if changed.any():
        note += (
            f"; {int(changed.sum())} days of {usual - hour} or {usual + hour} periods (the "
            "clocks changing) counted through, so the stamps keep the clock of the first day"
        )
    return stamps, [note]
