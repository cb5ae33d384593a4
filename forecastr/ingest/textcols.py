"""Columns of text beside the time and the values: which one names the series, and which say
nothing.

A column of text is a series id when its first rows repeat values in runs (or the times
repeat), and never a time of day. Beside it, statistical agencies' files (SDMX-CSV from
Eurostat, the ECB, the OECD, the IMF) carry columns that hold one value in every row
(``DATAFLOW``, ``unit``, ``freq``) and columns of flags that are mostly empty (``OBS_FLAG``):
they name no series and hold no values, so they are left out, with a note.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from forecastr.errors import shown
from forecastr.ingest import clock
from forecastr.ingest.cells import NULL_VALUES, formatted_numbers
from forecastr.ingest.timeparse import parse_date_text


def text_columns(sample: pd.DataFrame, names: list[str]) -> list[str]:
    """Columns whose non-empty sample cells are (nearly) all non-numeric text."""
    if not names or len(sample) == 0:
        return []
    # One vectorised pass over all cells (a wide file has thousands of columns).
    cells = pd.Series(sample[names].to_numpy(dtype=object).ravel(), dtype=object).str.strip()
    empty = cells.isin(NULL_VALUES).to_numpy().reshape(len(sample), len(names))
    number = (pd.to_numeric(cells, errors="coerce").notna() | formatted_numbers(cells)).to_numpy()
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


# The two answers of a yes/no flag, as spreadsheets and R write them (lower case)
FLAG_PAIRS = (frozenset(("true", "false")), frozenset(("yes", "no")), frozenset(("y", "n")))


def yes_or_no(cells: pd.Series) -> bool:
    """Whether the filled text ``cells`` are the answers of one yes/no flag (Walmart's
    ``IsHoliday`` of TRUE and FALSE, a ``Holiday`` of Yes and No): a flag of each row, never
    the name of a series."""
    found = set(cells[~cells.isin(NULL_VALUES)].str.lower())
    return bool(found) and any(found <= pair for pair in FLAG_PAIRS)


def looks_like_ids(sample: pd.DataFrame, col: str, time_cols: list[str]) -> bool:
    """A text column is a series id if no cell is empty and values repeat (or times do);
    never a time of day nor a yes/no flag."""
    cells = sample[col].str.strip()
    if (cells == "").any() or clock.looks_like_clock(cells) or yes_or_no(cells):
        return False
    times = [c for c in time_cols if c in sample]
    if sample[times].duplicated().any():
        return True
    # Times do not repeat, so the rows are one series after another: an id's rows are
    # contiguous. Text that comes back after other text is a label of each time (a wind
    # direction), not a series id; so is text that changes while the times run on, never
    # starting over (a season, a regime: stretches of one series).
    if not (cells.nunique() < len(cells) and one_after_another(cells)):
        return False
    return cells.nunique() == 1 or not times_run_on(sample, times)


def times_run_on(sample: pd.DataFrame, times: list[str]) -> bool:
    """Whether one time column's first rows only ever increase (dates, or numbers); False when
    they go back, or are not one column of readable times."""
    if len(times) != 1:
        return False
    cells = sample[times[0]].astype(str).str.strip()
    numbers = pd.to_numeric(cells, errors="coerce")
    if numbers.notna().all():
        return bool(np.all(np.diff(numbers.to_numpy(dtype=np.float64)) > 0))
    t, _ = parse_date_text(cells.reset_index(drop=True))
    if t.isna().any():
        return False
    if isinstance(t.dtype, pd.DatetimeTZDtype):
        t = t.dt.tz_convert("UTC").dt.tz_localize(None)
    return bool(np.all(np.diff(t.to_numpy(dtype="datetime64[ns]").astype(np.int64)) > 0))


def one_after_another(cells: pd.Series) -> bool:
    """Whether each value of ``cells`` fills one run of rows (series written one by one)."""
    return bool(cells.ne(cells.shift()).sum() == cells.nunique())


def separates_rows(sample: pd.DataFrame, col: str, time_cols: list[str]) -> bool:
    """Whether ``col`` with the time tells the first rows apart (an id does; a label of each
    time, such as the wind at two stations, repeats with the time)."""
    times = [c for c in time_cols if c in sample]
    return not sample[[col, *times]].duplicated().any()


def described_twice(
    sample: pd.DataFrame, time_cols: list[str], text: list[str], target: str | None = None
) -> bool:
    """Whether the rows of each repeated time are one observation described several times:
    they agree on every column but the text ones (a traffic count written once per weather
    label of its hour), the values they agree on vary, so the agreement is no chance (two
    stores that sold nothing on the first days), and they are next to each other (not two
    series that happen to agree, one after the other). A series id tells such rows apart by
    their values too, so none of ``text`` is one. ``target``: the values the user named, the
    only column compared then."""
    times = [c for c in time_cols if c in sample]
    rest = [target] if target in sample else [c for c in sample if c not in (*times, *text)]
    if not times or not rest:
        return False
    repeated = sample[sample[times].duplicated(keep=False)]
    if repeated.empty:
        return False
    stamp = sample[times].astype(str).agg("|".join, axis=1)
    if stamp.ne(stamp.shift()).sum() != stamp.nunique():
        return False  # the rows of a time are not next to each other: series one by one
    cells = repeated[[*times, *rest]].apply(lambda col: col.str.strip())
    one_each = len(cells.drop_duplicates()) == len(cells[times].drop_duplicates())
    varied = cells[rest].stack().nunique() > 1
    return bool(one_each and varied)


def series_labels(sample: pd.DataFrame, id_cols: list[str], text: list[str]) -> list[str]:
    """The columns of ``text`` that hold one value in every series of the first rows, and
    differ between series: labels of each series (a country's code beside its name, a
    continent), neither its id nor its values. Judged only where some series fills two rows
    or more of the sample (a file sorted by time shows each series once: no evidence)."""
    keys = [c for c in id_cols if c in sample]
    rest = [c for c in text if c not in keys]
    if not keys or not rest or len(sample) == 0:
        return []
    cells = sample[rest].apply(lambda col: col.str.strip())
    groups = cells.groupby([sample[k] for k in keys], sort=False)
    if int(groups.size().max()) < 2:
        return []
    varies, within = cells.nunique() > 1, groups.nunique().max() <= 1
    return [c for c in rest if varies[c] and within[c]]


def same_series(sample: pd.DataFrame, first: str, other: str, time_cols: list[str]) -> bool:
    """Whether two text columns name the same series in the first rows, one to one (a
    country's name and its code), with some series filling two rows or more, laid out as
    series are: one after another, or each once at every time (the last time may be cut
    short). Two labels of the weather, one to one too, come and go from hour to hour."""
    a, b = sample[first].str.strip(), sample[other].str.strip()
    if int(a.groupby(a).size().max()) < 2:
        return False
    if not (b.groupby(a).nunique().max() <= 1 and a.groupby(b).nunique().max() <= 1):
        return False
    if one_after_another(a):
        return True
    times = [c for c in time_cols if c in sample]
    per_time = sample.groupby(times, sort=False).size().to_numpy() if times else np.array([])
    return len(per_time) > 1 and bool((per_time[:-1] == a.nunique()).all())


def labels_note(columns: list[str], id_col: str) -> str:
    """What leaving :func:`series_labels` out means, for the user."""
    s, they = ("s", "they hold") if len(columns) > 1 else ("", "it holds")
    names = ", ".join(shown(c) for c in columns[:6]) + (" ..." if len(columns) > 6 else "")
    return (
        f"column{s} {names} left out: {they} one label per series of {shown(id_col)} "
        f"(pass --id-col {shown(columns[0], quote=False)} to name the series by it instead)"
    )


def quiet_columns(sample: pd.DataFrame, text: list[str]) -> list[str]:
    """The columns of ``text`` that hold one value in every filled cell of the first rows,
    or that are mostly empty (flags): neither a series id nor values."""
    out = []
    for col in text:
        cells = sample[col].str.strip()
        filled = cells[~cells.isin(NULL_VALUES)]
        if filled.nunique() <= 1 or len(filled) < len(cells) / 2:
            out.append(col)
    return out


def constant_columns(sample: pd.DataFrame, names: list[str]) -> list[str]:
    """The columns of text among ``names`` filled with one value in every row of the first
    rows: the id of a file sorted by series, whose first series fills them (tried as the id
    when the first reading repeats a timestamp within a series)."""
    out = []
    for col in text_columns(sample, names):
        cells = sample[col].str.strip()
        if not cells.isin(NULL_VALUES).any() and cells.nunique() == 1:
            out.append(col)
    return out


def quiet_note(columns: list[str]) -> str:
    """What leaving :func:`quiet_columns` out means, for the user."""
    s = "s" if len(columns) > 1 else ""
    names = ", ".join(shown(c) for c in columns[:6]) + (" ..." if len(columns) > 6 else "")
    return (
        f"column{s} {names} left out: the same text in every one of the first rows, or mostly "
        "empty (pass --id-col or --target to use one)"
    )
