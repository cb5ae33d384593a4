"""Files of numbers with no header row, and pandas' default header: named, and timed by the
row number.

The deep-learning benchmarks' files (LSTNet's ``exchange_rate.txt``, ``solar_AL.txt``,
``electricity.txt``: numpy's ``savetxt`` of a matrix) start with data; so does a series of
dates and numbers saved without a header. A first line of numbers (and empty cells) in two or
more fields, as many as the next line's, is data: its columns are named ``V1``, ``V2`` ... as
R's ``read.csv`` names them, after a first field of dates (``ds``) or of whole numbers
counting up by one on the first lines (``index``), which is then the time; else the rows are
read in order. A first line ``0,1,...,k-1`` is pandas' header for a frame whose columns have
no names: a header, timed by the rows. One column of numbers is read as before (``sniff``:
one series ``y``); a first line of numbers over lines of another width is refused as data.
"""

from __future__ import annotations

import itertools

from forecastr.ingest.footer import fields
from forecastr.ingest.levels import is_date, is_number

SCAN = 20  # lines read to tell a counter


def names_for(lines: list[str], sep: str) -> tuple[list[str], bool, bool] | None:
    """For ``lines`` from the first non-title line on: (column names, whether that line is
    data, whether the rows are the time), or None for a header of names (a file as usual)."""
    first = [c.strip() for c in fields(lines[0], sep)]
    if len(first) < 2 or len(lines) < 2 or len(fields(lines[1], sep)) != len(first):
        return None  # one column, or a line below of other width: no matrix
    if first == [str(k) for k in range(len(first))]:  # pandas' names: a header
        return first, False, True
    values = first[1:]
    if not any(is_number(c) for c in values) or not all(is_number(c) or c == "" for c in values):
        return None
    names = [f"V{k}" for k in range(1, len(first))]
    if is_date(first[0]):
        return ["ds", *names], True, False
    if not is_number(first[0]):
        return None
    if _counts_up(lines[:SCAN], sep):
        return ["index", *names], True, False
    return [f"V{k}" for k in range(1, len(first) + 1)], True, True


def _counts_up(lines: list[str], sep: str) -> bool:
    """Whether the lines' first fields are whole numbers, each one more than the last."""
    cells = [fields(line, sep)[0].strip() for line in lines if line.strip()]
    try:
        numbers = [float(c) for c in cells]
    except ValueError:
        return False
    steps = [b - a for a, b in itertools.pairwise(numbers)]
    return len(steps) >= 2 and all(n == int(n) for n in numbers) and all(s == 1 for s in steps)


def note(names: list[str], data: bool, numbered: bool) -> str:
    """What reading the file so means, for the user."""
    shown_names = f"{names[0]}, {names[1]} ... {names[-1]}" if len(names) > 2 else ", ".join(names)
    if not data:
        return f"the header {shown_names} names no time (pandas' names): the rows read in order"
    how = "the rows read in order as steps 0, 1, 2 ..." if numbered else f"{names[0]} is the time"
    return f"no header row: the columns named {shown_names} (as R names them); {how}"
