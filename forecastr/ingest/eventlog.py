"""A log of events that holds nothing but their times: each row one event, counted.

A web server's request stamps, a call centre's arrivals, the times of incidents: a file of
one column of times and no values. With ``--aggregate count`` (and ``--freq``) its rows are
counted per period, as one series named :data:`ROWS`; without it the file is refused with
that flag, since read as numbers its first stamp was refused as a non-numeric value.
"""

from __future__ import annotations

import pandas as pd

from forecastr.errors import InputError, shown
from forecastr.ingest.options import IngestOptions
from forecastr.ingest.timeparse import reads_as_dates

ROWS = "count"  # the series of a file of times alone: how many rows each period holds


def times_alone(
    header: list[str], sample: pd.DataFrame, options: IngestOptions, path: str
) -> str | None:
    """The note for a file whose one column holds times, to be read as one series of
    :data:`ROWS` (``data.load_csv`` fills it with a 1 per row, which ``--aggregate count``
    counts per period); refused without ``--aggregate count``. None for any other file, and
    where ``--time-col`` or ``--target`` names something else."""
    if len(header) != 1 or options.time_col not in (None, header[0]) or header[0] not in sample:
        return None
    name = header[0]
    if options.target not in (None, ROWS) or name == ROWS or not reads_as_dates(sample[name]):
        return None
    if options.aggregate != "count":
        raise InputError(
            f"{path}: its one column, {shown(name)}, holds times and no column holds values; "
            "to forecast how many rows fall in each period, pass --aggregate count --freq D "
            "(or h, W, MS)"
        )
    return f"each row counted as one event: the file holds times alone (series {shown(ROWS)})"
