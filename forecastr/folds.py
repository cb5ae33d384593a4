"""Rolling-origin folds: where each fold's forecast origin lies, and the check that no fold
reaches back into the data a model was trained on.

A fold is one forecast origin per series: the history is every point before it, the actuals
are the ``horizon`` points from it. With ``folds`` folds the origins step back from the series
end by ``step`` points each, so the last fold ends at the series end (one fold is a holdout).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecastr.errors import ForecastrError, InputError, SeriesTooShortError, shown
from forecastr.ingest.spelling import spelled
from forecastr.ingest.timerange import stamp_text
from forecastr.panel import Panel


def fold_origins(
    lengths: np.ndarray,
    horizon: int,
    folds: int,
    step: int,
    *,
    min_history: int = 1,
    ids: Sequence[str] | None = None,
) -> np.ndarray:
    """Forecast origins of every series and fold: ``n - horizon - (folds - 1 - k) * step``.

    Args:
        lengths: (S,) number of points of each series.
        horizon: steps forecast per fold.
        folds: number of origins per series; the last one ends at the series end.
        step: points between consecutive origins.
        min_history: points every series needs before its first origin.
        ids: series ids, to name a series that is too short.

    Returns:
        (S, folds) int64 relative index of each fold's first forecast point, oldest fold first.

    Raises:
        InputError: horizon, folds, step or min_history is not a positive whole number.
        SeriesTooShortError: a series has fewer than
            ``min_history + horizon + (folds - 1) * step`` points.
    """
    for name, value in (("horizon", horizon), ("folds", folds), ("step", step)):
        require_positive(name, value)
    require_positive("min_history", min_history)
    lengths = np.asarray(lengths, dtype=np.int64)  # (S,)
    back = (folds - 1 - np.arange(folds, dtype=np.int64)) * step  # (F,)
    origins = lengths[:, None] - horizon - back[None, :]  # (S, F)
    short = np.flatnonzero(origins[:, 0] < min_history) if folds else np.zeros(0, dtype=int)
    if short.size:
        need = min_history + horizon + (folds - 1) * step
        i = int(short[0])
        name = shown(ids[i]) if ids is not None else f"#{i}"
        more = f" (and {short.size - 1} more)" if short.size > 1 else ""
        raise SeriesTooShortError(
            f"series {name}{more} has {int(lengths[i])} points, but horizon {horizon} with "
            f"{folds} fold(s) of step {step} and {min_history} point(s) of history needs at "
            f"least {need}; use fewer --folds, a shorter --horizon, or drop shorter series"
        )
    return origins


def check_no_overlap(
    panel: Panel, origins: np.ndarray, train_end: dict, refit_fold: int | None = None
) -> None:
    """Refuse a fold whose first actual is at or before the model's training end.

    Args:
        panel: the panel the folds cut.
        origins: (S, F) relative index of each fold's first forecast point.
        train_end: series id -> the last timestamp its model was trained on (None: unknown).
        refit_fold: the fold whose refit returned the model, for the message; None when one
            model scores every fold.

    Raises:
        ForecastrError: naming the earliest overlapping fold and series, and the way out.
    """
    position = {sid: i for i, sid in enumerate(panel.ids)}
    rows = [position[s] for s, end in train_end.items() if s in position and end is not None]
    if not rows:
        return
    rows_arr = np.asarray(rows, dtype=np.int64)
    ends = np.array([_as_panel_time(train_end[panel.ids[i]], panel.ds) for i in rows])  # (R,)
    first = panel.ds[panel.offsets[rows_arr][:, None] + origins[rows_arr]]  # (R, F)
    overlap = first <= ends[:, None]  # (R, F)
    if not overlap.any():
        return
    r, k = np.argwhere(overlap.T)[0][::-1]  # earliest fold first, then panel order
    sid = panel.ids[rows[r]]
    more = int(overlap.sum()) - 1
    extra = f" ({more} more series/fold pairs overlap)" if more else ""
    if refit_fold is not None:
        raise ForecastrError(
            f"refit for fold {refit_fold + 1} returned a model trained on series {shown(sid)} "
            "up to "
            f"{_fmt_time(ends[r], panel)}, at or past that fold's first forecast "
            f"({_fmt_time(first[r, k], panel)}); refit must train only on the panel it is given"
        )
    raise ForecastrError(
        f"fold {k + 1} of series {shown(sid)} overlaps the data the model was trained on (up to "
        f"{_fmt_time(ends[r], panel)}){extra}; evaluate on newer data, use fewer --folds, "
        "or pass --refit"
    )


def _as_panel_time(value, ds: np.ndarray):
    """A ``train_end`` value in the panel's time type (datetime64 or integer step)."""
    if np.issubdtype(ds.dtype, np.datetime64):
        ts = pd.Timestamp(value)
        if ts.tzinfo is not None:
            ts = ts.tz_localize(None)
        return ts.to_datetime64()
    return int(value)


def _fmt_time(value, panel: Panel) -> str:
    """A fold's time for a message: a stamp as the file wrote its stamps (1983Q2, at its UTC
    offset) or as ``stamp_text`` writes it, a position as is."""
    if not isinstance(value, np.datetime64):
        return str(value)
    text = spelled(pd.Series([value], dtype="datetime64[ns]"), panel.spelling)
    return stamp_text(value) if text is None else str(text.iloc[0])


def require_positive(name: str, value) -> None:
    """Refuse anything but a whole number >= 1 (bools too), naming the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(
            f"{name} must be a whole number >= 1, got {value!r}; pass a positive value"
        )
