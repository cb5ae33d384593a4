"""Zeros that stand for "no data yet": a series that starts with a run of zeros and never
returns to zero or below is read from its first other value.

Spreadsheets and index publishers fill the months before a series begins with ``0``
(S&P's Case-Shiller table: Atlanta's index is ``0.000`` for 1987 to 1990, then 69.6), and
retailers' tables hold zeros for the weeks before a product was sold. Read as data, such a
run is a fall to zero and a jump that the series never shows again: the network trains on
windows across it and the Theta method and the baselines read it as history. A run of
:data:`MIN_RUN` zeros or more at a series' start is left out, with a note naming the series,
when every later value is above zero (a series that returns to zero, intermittent demand or
a count, keeps its zeros: there they are data) and at least two values are left.
"""

from __future__ import annotations

import numpy as np

from forecastr.errors import shown
from forecastr.ingest.repeats import Arrays, without
from forecastr.ingest.where import Where

MIN_RUN = 2  # one leading zero may be a value; two or more, with no zero after, are no data
SHOWN = 3  # series named in the note


def placeholder_zeros(
    y: np.ndarray, ds: np.ndarray, offsets: np.ndarray, where: Where, ids: list[str]
) -> Arrays:
    """The arrays without each series' leading run of zeros where it stands for no data
    (module doc), and a note; unchanged where there is none."""
    starts, ends = offsets[:-1], offsets[1:]
    first = y[starts] if len(y) else np.array([])
    candidates = np.flatnonzero((ends - starts >= MIN_RUN + 2) & (first == 0))
    drop, named = [], []
    for i in candidates:
        v = y[starts[i] : ends[i]]
        run = int(np.argmax(v != 0)) if (v != 0).any() else len(v)
        rest = v[run:]
        if run < MIN_RUN or rest.size < 2 or np.isnan(rest).all() or not np.nanmin(rest) > 0:
            continue
        drop.append(np.arange(starts[i], starts[i] + run))
        named.append((ids[i], run, starts[i] + run))
    if not drop:
        return y, ds, offsets, where, ()
    (name, run, at), count = named[0], len(named)
    line = where.line(int(at))
    if count == 1:
        note = (
            f"series {shown(name)} starts with {run} zeros and never returns to 0 (its first "
            f"other value at line {line}): read from there, the zeros before it left out"
        )
    else:
        names = ", ".join(shown(n) for n, _, _ in named[:SHOWN])
        more = f" and {count - SHOWN} more" if count > SHOWN else ""
        note = (
            f"{count} series start with zeros and never return to 0 ({names}{more}; "
            f"{shown(name)}: {run} zeros, its first other value at line {line}): each read "
            "from its first other value, the zeros before it left out"
        )
    return (*without(y, ds, offsets, where, np.concatenate(drop)), (note,))
