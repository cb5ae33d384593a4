"""What the user asked ingest for: a leaf of the ingest steps, so every step can read it.

The choices and the defaults themselves are :mod:`forecastr.config`'s, written once for the
CLI and the library alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from forecastr.config import INGEST, FillMethod, LayoutChoice


@dataclass(frozen=True)
class IngestOptions:
    """How to read a CSV. Every field defaults to automatic detection."""

    id_col: str | None = None  # long format: the series id column
    time_col: str | None = None  # the timestamp / step column
    target: str | None = None  # the value column (long or single); wide: all other columns
    freq: str | None = None  # pandas offset alias; None: inferred
    fill: FillMethod = INGEST.fill  # what to do with missing timestamps and empty values
    layout: LayoutChoice = INGEST.layout  # "auto": detected from the header
