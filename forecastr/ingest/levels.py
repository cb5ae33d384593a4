"""A header of several rows: a table whose columns have several levels, as pandas writes one.

``df.pivot_table(index="date", columns=["store", "item"], values="sales").to_csv()`` writes
one header row per level of the columns, each led by the level's name (or an empty cell),
then, when the index is named, a row of that name and empty cells, then the data::

    store,1,1,2
    item,a,b,a
    date,,,
    2020-01-01,5,6,7

Read as one header, the first row repeats names (``1``, ``1``) and the rows below it are no
data. :func:`stacked_header` finds such rows and joins each column's levels with ``/``
(``1/a``, as several id columns are joined): one series per column, a wide file.
"""

from __future__ import annotations

import csv
import io
import re

from forecastr.ingest.footer import fields

MAX_LEVELS = 8  # header rows of one table, at most
JOIN = "/"
_DATE = re.compile(r"\d{4}-\d{1,2}(-\d{1,2})?([ T][\d:.]+)?|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}")


def stacked_header(lines: list[str], first: int, sep: str) -> tuple[int, str, str] | None:
    """(the header's last physical line, the joined header as one line of text, a note) for a
    header of two rows or more starting at ``lines[first]``; None for any other file.

    Header rows: as wide as the first, every cell but the first filled, the first no time.
    Then the index's name alone, or a row led by a time (the data). And what tells them from
    rows of data whose times are text (``Jan-15``): the first row repeats a name, or a row
    below it holds a label that is no number."""
    top = fields(lines[first], sep)
    width, names = len(top), [c.strip() for c in top[1:]]
    if width < 2:
        return None
    levels: list[list[str]] = []
    k = first
    while k < len(lines) and len(levels) < MAX_LEVELS:
        cells = [c.strip() for c in fields(lines[k], sep)]
        if len(cells) != width or not all(cells[1:]) or is_stamp(cells[0]):
            break
        levels.append(cells)
        k += 1
    if len(levels) < 2 or k >= len(lines):
        return None
    index = [c.strip() for c in fields(lines[k], sep)]
    named = len(index) == width and index[0] and not any(index[1:]) and not is_stamp(index[0])
    if not (named or is_stamp(index[0])):
        return None
    labels = any(not is_number(c) for level in levels[1:] for c in level[1:])
    if len(set(names)) == len(names) and not labels:
        return None
    if all(level == levels[0] for level in levels[1:]):  # files joined end to end
        return _written_once(levels, first, sep)
    joined = [JOIN.join(level[j] for level in levels) for j in range(1, width)]
    if len(set(joined)) != len(joined):
        return None  # the levels together still repeat a column: no table of levels
    last = k if named else k - 1
    header = _line([index[0] if named else "", *joined], sep)
    note = (
        f"a header of {len(levels)} rows (columns of {len(levels)} levels, as pandas writes "
        f"them): each column named by its levels joined with '{JOIN}' ({joined[0]!r} ...)"
    )
    return last, header, note


def _line(cells: list[str], sep: str) -> str:
    """``cells`` as one CSV line (quoted where a cell needs it), no line end."""
    text = io.StringIO()
    csv.writer(text, delimiter=sep, lineterminator="").writerow(cells)
    return text.getvalue()


def _written_once(levels: list[list[str]], first: int, sep: str) -> tuple[int, str, str]:
    """The header written several times over the data (a file of no rows joined to others,
    ``cat empty.csv full.csv``): read once, with a note; not a table of levels."""
    note = (
        f"the header is written {len(levels)} times at the top (files joined end to end?): "
        "read once"
    )
    return first + len(levels) - 1, _line(levels[0], sep), note


def is_stamp(cell: str) -> bool:
    """Whether a cell reads as a value, a number or a date (a data row's first cell, not a
    name: ``sniff`` tells a header from data by it too)."""
    return is_number(cell) or is_date(cell)


def is_date(cell: str) -> bool:
    """Whether a cell is a date written with digits (``2020-01-31``, ``31/01/2020``)."""
    return bool(_DATE.fullmatch(cell))


def is_number(cell: str) -> bool:
    """Whether ``float`` reads the cell."""
    try:
        float(cell)
        return True
    except ValueError:
        return False
