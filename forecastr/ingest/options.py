"""What the user asked ingest for: a leaf of the ingest steps, so every step can read it.

The choices and the defaults themselves are :mod:`forecastr.config`'s, written once for the
CLI and the library alike.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from forecastr.config import INGEST, Aggregate, FillMethod, LayoutChoice

if TYPE_CHECKING:
    from forecastr.forecast import Schema


@dataclass(frozen=True)
class IngestOptions:
    """How to read a CSV. Every field defaults to automatic detection."""

    id_col: str | None = None  # long format: the series id column
    time_col: str | None = None  # the timestamp / step column
    target: str | None = None  # the value column (long or single); wide: all other columns
    freq: str | None = None  # pandas offset alias; None: inferred
    # what to do with missing timestamps and empty values; None: INGEST.fill_for(aggregate)
    fill: FillMethod | None = None
    layout: LayoutChoice = INGEST.layout  # "auto": detected from the header
    # rows of a series in one period (--freq) reduced to one value (ingest/aggregate.py)
    aggregate: Aggregate | None = None

    @property
    def fill_method(self) -> FillMethod:
        """``fill``, or the default for how the rows are aggregated."""
        return self.fill if self.fill is not None else INGEST.fill_for(self.aggregate)

    @classmethod
    def like(cls, schema: Schema, given: IngestOptions | None) -> IngestOptions:
        """Read new data the way a model's training data was read (its ``schema``), unless
        the flags ``given`` say otherwise."""
        given = given or cls()
        cols = schema.columns or {}
        changes: dict = {}
        if given.id_col is None and cols.get("id"):
            changes["id_col"] = cols["id"]
        if given.time_col is None and cols.get("time"):
            changes["time_col"] = cols["time"]
        if given.target is None and schema.layout in ("single", "long") and cols.get("target"):
            changes["target"] = cols["target"][0]
        if given.layout == "auto":
            changes["layout"] = schema.layout
        if given.aggregate is None and schema.aggregate is not None:  # the same periods
            changes["aggregate"] = schema.aggregate
            if given.freq is None:
                changes["freq"] = schema.freq or (str(schema.step) if schema.step > 1 else None)
        return replace(given, **changes)
