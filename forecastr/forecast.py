"""Turning a trained forecaster into future values with timestamps. Torch-free.

Both the torch model (``artifact.TorchForecaster``) and the ONNX runtime
(``runtime.OnnxForecaster``) implement the same small protocol, so evaluation, prediction
and the CLI treat them alike.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from forecastr.atomic import atomic_path
from forecastr.errors import InputError, MissingDependencyError
from forecastr.panel import Panel, future_timestamps

FORMATS = ("csv", "json", "parquet")


class SeriesForecaster(Protocol):
    """Anything that forecasts ``horizon`` steps from the last ``window`` raw values."""

    name: str
    window: int
    horizon: int
    ids: list[str]

    def forecast(self, windows: np.ndarray, series_ids: Sequence[str]) -> np.ndarray:
        """(B, window) raw values of the named series -> (B, horizon) in original units."""
        ...


@dataclass(frozen=True)
class Schema:
    """What a model expects of the data it forecasts from (stored with every model)."""

    ids: list[str]
    freq: str | None
    step: int
    columns: dict
    layout: str

    def to_dict(self) -> dict:
        return {
            "ids": self.ids,
            "freq": self.freq,
            "step": self.step,
            "columns": self.columns,
            "layout": self.layout,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Schema:
        return cls(
            ids=[str(s) for s in d["ids"]],
            freq=d.get("freq"),
            step=int(d.get("step", 1)),
            columns=dict(d.get("columns", {})),
            layout=str(d.get("layout", "long")),
        )


def check_panel(schema: Schema, window: int, panel: Panel) -> None:
    """Refuse data that does not match the model: unknown series, other frequency, too short."""
    known = set(schema.ids)  # built once: thousands of series must not cost O(S^2)
    unknown = [s for s in panel.ids if s not in known]
    if unknown:
        shown = ", ".join(repr(s) for s in unknown[:5])
        raise InputError(
            f"{panel.source}: series {shown} {'is' if len(unknown) == 1 else 'are'} not known to "
            f"the model (it was trained on {len(schema.ids)} series: "
            f"{', '.join(schema.ids[:5])}{', ...' if len(schema.ids) > 5 else ''}); "
            "train a model on this data"
        )
    if (schema.freq is None) != (panel.freq is None) or (
        schema.freq is not None and not _same_freq(schema.freq, str(panel.freq))
    ):
        raise InputError(
            f"{panel.source}: the data's frequency is {panel.freq or 'an integer step'} but the "
            f"model was trained on {schema.freq or 'an integer step'} data; pass --freq or use "
            "matching data"
        )
    short = np.flatnonzero(panel.lengths < window)
    if len(short):
        i = int(short[0])
        raise InputError(
            f"{panel.source}: series {panel.ids[i]!r} has {int(panel.lengths[i])} points but the "
            f"model needs the last {window} to forecast"
        )


def _same_freq(a: str, b: str) -> bool:
    try:
        return pd.tseries.frequencies.to_offset(a) == pd.tseries.frequencies.to_offset(b)
    except ValueError:
        return a == b


def last_windows(panel: Panel, window: int) -> np.ndarray:
    """(S, window) array of each series' last ``window`` values."""
    ends = panel.offsets[1:]
    return panel.y[ends[:, None] - window + np.arange(window)]


def forecast_frame(
    forecaster: SeriesForecaster,
    windows: np.ndarray,
    series_ids: Sequence[str],
    last_stamps: Sequence,
    freq: str | None,
    step: int = 1,
) -> pd.DataFrame:
    """Forecast after each series' last timestamp: long frame ``unique_id, ds, forecast``."""
    values = forecaster.forecast(np.asarray(windows, dtype=np.float64), list(series_ids))
    h = forecaster.horizon
    stamps = np.concatenate([future_timestamps(t, h, freq, step) for t in last_stamps])
    return pd.DataFrame(
        {
            "unique_id": np.repeat(np.asarray(series_ids, dtype=object), h),
            "ds": stamps,
            "forecast": values.reshape(-1),
        }
    )


def forecast_panel(forecaster: SeriesForecaster, panel: Panel, schema: Schema) -> pd.DataFrame:
    """Forecast after the end of every series in ``panel`` (checked against ``schema``)."""
    check_panel(schema, forecaster.window, panel)
    last = panel.ds[panel.offsets[1:] - 1]
    return forecast_frame(
        forecaster, last_windows(panel, forecaster.window), panel.ids, last, panel.freq, panel.step
    )


def write_frame(frame: pd.DataFrame, path: str | None, fmt: str) -> str | None:
    """Write forecasts to ``path`` atomically, or return them as text when ``path`` is None."""
    if fmt not in FORMATS:
        raise InputError(f"unknown --format {fmt!r}; choose csv, json or parquet")
    out = frame.copy()
    if np.issubdtype(out["ds"].dtype, np.datetime64):
        out["ds"] = pd.to_datetime(out["ds"])
    if path is None:
        if fmt == "parquet":
            raise InputError("--format parquet needs -o FILE (it is binary)")
        if fmt == "json":
            return _json_text(out)
        return out.to_csv(index=False, date_format="%Y-%m-%d %H:%M:%S", float_format="%.7g")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise InputError(f"{path}: the folder {directory} does not exist")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401  (optional: the edge install leaves it out)
        except ImportError:
            raise MissingDependencyError(
                "--format parquet needs 'pyarrow', which is not installed; install it with: "
                "pip install pyarrow (or pip install 'forecastr[full]'), or use --format csv"
            ) from None
    with atomic_path(path) as tmp:
        if fmt == "csv":
            out.to_csv(tmp, index=False, date_format="%Y-%m-%d %H:%M:%S", float_format="%.7g")
        elif fmt == "json":
            with open(tmp, "w") as fh:
                fh.write(_json_text(out))
        else:
            out.to_parquet(tmp, index=False)
    return None


def _json_text(frame: pd.DataFrame) -> str:
    out = frame.copy()
    if np.issubdtype(out["ds"].dtype, np.datetime64):
        out["ds"] = out["ds"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return out.to_json(orient="records", indent=None) + "\n"
