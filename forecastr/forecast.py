"""Turning a trained model into future values with timestamps. Torch-free.

Everything here takes a :class:`~forecastr.predictor.Predictor` (the torch model or the ONNX
runtime alike): schema checks, forecasts of series the model never saw, the divergence
rule, the future timestamps and the output writers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecastr.atomic import atomic_path
from forecastr.config import FORMATS
from forecastr.errors import ForecastrError, InputError, MissingDependencyError, shown
from forecastr.frequency import same_freq
from forecastr.ingest.spelling import Spelling, spelled, zoned
from forecastr.ingest.timerange import stamp_pattern
from forecastr.intervals import output_columns, tau_index
from forecastr.outputs import check_file, write_error
from forecastr.panel import Panel, future_timestamps
from forecastr.predictor import Predictor
from forecastr.windows import right_aligned_padded


@dataclass(frozen=True)
class Schema:
    """What a model expects of the data it forecasts from (stored with every model)."""

    ids: list[str]
    freq: str | None
    step: int
    columns: dict
    layout: str
    # The floor the training data never went below (:func:`data_floor`): 0.0 for a file of
    # values that are never negative, else None (no floor). Forecasts keep it (apply_floor).
    floor: float | None = None
    # How the training file wrote its stamps, for forecasts from the stored context.
    spelling: Spelling | None = None
    # How the training file's rows were reduced to one point per period (--aggregate; None: a
    # row per point). New data is read the same way (IngestOptions.like).
    aggregate: str | None = None

    def to_dict(self) -> dict:
        out = {
            "ids": self.ids,
            "freq": self.freq,
            "step": self.step,
            "columns": self.columns,
            "layout": self.layout,
        }
        if self.spelling is not None:
            out["spelling"] = self.spelling.to_dict()
        if self.aggregate is not None:
            out["aggregate"] = self.aggregate
        return out if self.floor is None else {**out, "floor": self.floor}

    @classmethod
    def from_dict(cls, d: dict) -> Schema:
        return cls(
            ids=[str(s) for s in d["ids"]],
            freq=d.get("freq"),
            step=int(d.get("step", 1)),
            columns=dict(d.get("columns", {})),
            layout=str(d.get("layout", "long")),
            floor=None if d.get("floor") is None else float(d["floor"]),
            spelling=Spelling(**d["spelling"]) if d.get("spelling") else None,
            aggregate=d.get("aggregate"),
        )


def data_floor(values: np.ndarray) -> float | None:
    """The floor a model's forecasts keep, from the values it trained on: 0.0 when none is
    negative (counts, sales, power, visitors: a forecast below zero is one no outcome can
    meet, and raising it to zero only moves it closer to any outcome that is not negative),
    else None. A file of no finite value has none."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    return 0.0 if finite.size and float(finite.min()) >= 0.0 else None


def panel_floor(panel: Panel, ends: np.ndarray | None = None) -> float | None:
    """:func:`data_floor` of ``panel``'s values, or with ``ends`` ((S,) positions in
    ``panel.y``, one past each series' last point to read) of those before them only, so a
    holdout model's floor never reads its test part."""
    if ends is None:
        return data_floor(panel.y)
    series = np.repeat(np.arange(panel.n_series), panel.lengths)  # (N,) each point's series
    before = np.arange(len(panel.y)) < np.asarray(ends, dtype=np.int64)[series]
    return data_floor(panel.y[before])


def model_floor(forecaster) -> float | None:
    """The floor ``forecaster`` keeps (None: none, or a stand-in without one)."""
    floor = getattr(forecaster, "floor", None)
    return None if floor is None else float(floor)


def apply_floor(values: np.ndarray, windows: np.ndarray, floor: float | None) -> np.ndarray:
    """``values`` ((B, H) forecasts or (B, H, K) quantiles of the rows of ``windows``) raised
    to ``floor`` in each row whose window holds no value below it: a series the model never
    saw that went below the floor of the training data keeps its forecast as it is. Raising
    every quantile by the same rule keeps them in order."""
    if floor is None or values.size == 0:
        return values
    keep = np.isfinite(row_floors(windows, floor))  # (B,)
    out = np.array(values, dtype=np.float64)
    out[keep] = np.maximum(out[keep], floor)
    return out


def row_floors(windows: np.ndarray, floor: float | None) -> np.ndarray:
    """(B,) the floor :func:`apply_floor` raises each row of ``windows`` to: ``floor`` where
    the row's window holds a finite value and none below it, else -inf."""
    windows = np.asarray(windows, dtype=np.float64)
    if floor is None:
        return np.full(windows.shape[0], -np.inf)
    finite = np.isfinite(windows)
    low = np.where(finite, windows, np.inf).min(axis=1)  # (B,) +inf: no finite value
    keep = (low >= floor) & finite.any(axis=1)
    return np.where(keep, float(floor), -np.inf)


def check_panel(schema: Schema, window: int, panel: Panel, *, allow_new: bool = False) -> list[str]:
    """Refuse data that does not match the model: unknown series (unless ``allow_new``) or
    another frequency. Series shorter than the window are fine: their window is padded.

    Returns:
        The ids in ``panel`` the model was not trained on (empty unless ``allow_new``).
    """
    known = set(schema.ids)  # built once: thousands of series must not cost O(S^2)
    unknown = [s for s in panel.ids if s not in known]
    if unknown and not allow_new:
        names = ", ".join(shown(s, 40) for s in unknown[:5])
        raise InputError(
            f"{panel.source}: series {names} {'is' if len(unknown) == 1 else 'are'} not known to "
            f"the model (it was trained on {len(schema.ids)} series: "
            f"{', '.join(shown(s, 40) for s in schema.ids[:5])}"
            f"{', ...' if len(schema.ids) > 5 else ''}); "
            "train a model on this data"
        )
    if (schema.freq is None) != (panel.freq is None) or (
        schema.freq is not None and not same_freq(schema.freq, str(panel.freq))
    ):
        raise InputError(
            f"{panel.source}: the data's frequency is {panel.freq or 'an integer step'} but the "
            f"model was trained on {schema.freq or 'an integer step'} data; pass --freq or use "
            "matching data"
        )
    return unknown


def last_windows(panel: Panel, window: int) -> np.ndarray:
    """(S, window) array of each series' last ``window`` values; a shorter series is padded on
    the left by repeating its first value, as in training (``windows.split_panel``)."""
    return right_aligned_padded(panel.y, panel.offsets[:-1], panel.offsets[1:], window)


def scale_free(forecaster) -> bool:
    """Whether the model normalises each input window (the default), which makes its forecast
    follow any affine change of the input: what lets it forecast series it never saw."""
    return bool((getattr(forecaster, "model_config", None) or {}).get("window_norm", True))


def fits_each_forecast(forecaster) -> bool:
    """Whether the model is fitted on each forecast's own history when it forecasts (the
    Theta method alone, ``thetaonly.py``): nothing learnt ahead of time or across series."""
    return bool(getattr(forecaster, "fits_each_forecast", False))


def forecast_windows(
    forecaster: Predictor, windows: np.ndarray, series_ids: Sequence[str]
) -> np.ndarray:
    """``forecaster.forecast``, also for series the model never saw.

    A new series is scaled from its own history: its window is standardised by its own mean
    and standard deviation, mapped into the scale of the model's first series, forecast as
    that series, and mapped back. For a window-normalising model this is exact (the forecast
    of an affinely changed window is the same change of the forecast); other models refuse.

    A model with a ``floor`` (``Schema.floor``: its training data was never negative) keeps
    its forecasts at or above it (:func:`apply_floor`), after the mapping back.

    ``forecaster`` is a :class:`Predictor`, or any object with ``forecast`` (without
    ``ids`` every series counts as known).
    """
    out = _mapped(forecaster, windows, series_ids, lambda w, ids: forecaster.forecast(w, ids))
    return apply_floor(out, windows, model_floor(forecaster))


def model_quantiles(forecaster) -> tuple[float, ...]:
    """The network quantiles ``forecaster`` forecasts (() for a point model or a stand-in
    without them)."""
    return tuple(getattr(forecaster, "network_quantiles", None) or ())


def model_levels(forecaster) -> tuple[float, ...]:
    """The interval levels ``forecaster`` gives (() for a point model)."""
    return tuple(getattr(forecaster, "levels", None) or ())


def forecast_windows_quantiles(
    forecaster: Predictor, windows: np.ndarray, series_ids: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`forecast_windows` with the quantiles: (point (B, H), quantiles (B, H, K)); K = 0
    for a point model. A new series' quantiles are mapped back like its point forecast (a
    positive scale keeps them in order)."""
    if not model_quantiles(forecaster):
        point = forecast_windows(forecaster, windows, series_ids)
        return point, np.zeros((*point.shape, 0))
    floor = model_floor(forecaster)

    def both(w: np.ndarray, ids: list[str]) -> np.ndarray:
        point, q = forecaster.forecast_quantiles(w, ids)
        return np.concatenate([np.asarray(point)[..., None], np.asarray(q)], axis=-1)

    out = apply_floor(_mapped(forecaster, windows, series_ids, both), windows, floor)
    return out[..., 0], out[..., 1:]


def _mapped(forecaster, windows: np.ndarray, series_ids: Sequence[str], run) -> np.ndarray:
    """``run(windows, ids)`` with every series the model never saw mapped into its first
    series' scale and its outputs (any trailing shape) mapped back."""
    windows = np.asarray(windows, dtype=np.float64)
    ids = list(series_ids)
    if getattr(forecaster, "ids", None) is None or fits_each_forecast(forecaster):
        # a model without a list of series, or one fitted on each row alone (the Theta method)
        return np.asarray(run(windows, ids), dtype=np.float64)
    known = set(forecaster.ids)
    new = np.array([s not in known for s in ids], dtype=bool)
    if not new.any():
        return np.asarray(run(windows, ids), dtype=np.float64)
    if not scale_free(forecaster):
        first = ids[int(np.flatnonzero(new)[0])]
        raise InputError(
            f"series {first!r} is not known to the model, and this model (trained without "
            "window normalisation) cannot forecast new series; train a model on this data"
        )
    ref = forecaster.ids[0]
    loc0, scale0 = reference_scaling(forecaster)
    mu = windows[new].mean(axis=1, keepdims=True)  # (N, 1) the new series' own level
    sd = windows[new].std(axis=1, keepdims=True)
    sd = np.where(sd > 0, sd, 1.0)
    mapped = windows.copy()
    mapped[new] = (windows[new] - mu) / sd * scale0 + loc0
    names = [ref if n else s for s, n in zip(ids, new, strict=True)]
    out = np.asarray(run(mapped, names), dtype=np.float64)
    extra = (1,) * (out.ndim - 2)  # (N, 1) -> (N, 1, 1) for (N, H, K) outputs
    mu, sd = mu.reshape(-1, 1, *extra), sd.reshape(-1, 1, *extra)
    out[new] = (out[new] - loc0) / scale0 * sd + mu
    return out


def require_finite(values: np.ndarray, series_ids: Sequence[str], name: str) -> None:
    """Refuse NaN or infinite forecasts, (B, H) rows of ``series_ids``, in one line."""
    bad = ~np.isfinite(np.asarray(values, dtype=np.float64)).all(axis=-1)
    if bad.any():
        ids = [shown(series_ids[i], 40) for i in np.flatnonzero(bad)[:3]]
        more = f" and {int(bad.sum()) - len(ids)} more" if bad.sum() > len(ids) else ""
        raise ForecastrError(
            f"model '{name}' produced NaN or infinite forecasts for series "
            f"{', '.join(ids)}{more}; the model diverged or its file is "
            "damaged, or the input holds extreme values: retrain it, or check the data"
        )


# How far a forecast may leave the range of its series' history, in spans of that range,
# before it counts as the output of diverged weights. A trend carried over a horizon shorter
# than the history moves about one span; ten is far past any fit, and far short of the
# thousands of spans a run with a runaway learning rate produces.
PLAUSIBLE_SPANS = 10.0


@dataclass(frozen=True)
class Implausible:
    """The worst forecast of a model that left its series' history far behind."""

    series: str
    value: float
    low: float  # the series' history range
    high: float

    def describe(self) -> str:
        return (
            f"it forecasts {self.value:.4g} for series {shown(self.series, 40)}, whose history "
            f"spans {self.low:.4g} to {self.high:.4g}"
        )


def excess_spans(forecaster: Predictor, panel: Panel) -> tuple[np.ndarray, np.ndarray]:
    """Forecast every series from the end of ``panel``; return the (S, H) forecasts and how
    far each lies outside its series' history range, in spans of that range ((S, H), 0 inside
    it, inf for NaN or infinite forecasts). The span is floored at 1% of the series'
    magnitude, so a flat series still has a band; a series of zeros, which the scaler gives
    a unit of 1 (``scaling.fit_scaler``), has a band of 1% of that unit."""
    window = int(forecaster.window)
    values = forecast_windows(forecaster, last_windows(panel, window), panel.ids)  # (S, H)
    starts = panel.offsets[:-1]
    low = np.minimum.reduceat(panel.y, starts)[:, None]  # (S, 1) panels hold no empty series
    high = np.maximum.reduceat(panel.y, starts)[:, None]
    with np.errstate(over="ignore", invalid="ignore"):
        size = np.maximum(np.abs(low), np.abs(high))
        span = np.maximum(high - low, np.where(size > 0, 0.01 * size, 0.01))
        excess = np.maximum(np.maximum(low - values, values - high) / span, 0.0)
    return values, np.where(np.isfinite(excess), excess, np.inf)


def find_implausible(forecaster: Predictor, panel: Panel) -> Implausible | None:
    """The worst forecast lying more than :data:`PLAUSIBLE_SPANS` spans outside its series'
    history range (:func:`excess_spans`), or None."""
    values, excess = excess_spans(forecaster, panel)
    if not (excess > PLAUSIBLE_SPANS).any():
        return None
    i, j = np.unravel_index(int(np.argmax(excess)), excess.shape)
    series = panel.y[panel.offsets[i] : panel.offsets[i + 1]]
    lo, hi = float(series.min()), float(series.max())
    return Implausible(str(panel.ids[i]), float(values[i, j]), lo, hi)


def reference_scaling(forecaster) -> tuple[float, float]:
    """(loc, scale) of the model's first series, in which new series are forecast."""
    get = getattr(forecaster, "series_scaling", None)
    if get is None:
        return 0.0, 1.0
    loc, scale = get(0)
    return float(loc), float(scale) if scale > 0 else 1.0


def forecast_frame(
    forecaster: Predictor,
    windows: np.ndarray,
    series_ids: Sequence[str],
    last_stamps: Sequence,
    freq: str | None,
    step: int = 1,
    spelling: Spelling | None = None,
) -> pd.DataFrame:
    """Forecast after each series' last timestamp: long frame ``unique_id, ds, forecast``,
    then for a model with intervals ``lo-80, hi-80, lo-95, hi-95`` (levels ascending) and one
    ``q-0.1, ...`` column per quantile asked for (``intervals.output_columns``). ``spelling``
    (how the data wrote its stamps) goes to ``frame.attrs["spelling"]`` as a dict, for
    :func:`write_frame`.

    Raises:
        ForecastrError: a forecast is NaN or infinite (naming the series); nothing is written.
    """
    values, quantiles = forecast_windows_quantiles(forecaster, windows, series_ids)
    name = getattr(forecaster, "name", "model")
    require_finite(values, series_ids, name)
    if quantiles.shape[-1]:
        require_finite(quantiles.reshape(len(values), -1), series_ids, name)
    h = forecaster.horizon
    stamps = np.concatenate([future_timestamps(t, h, freq, step) for t in last_stamps])
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(np.asarray(series_ids, dtype=object), h),
            "ds": stamps,
            "forecast": values.reshape(-1),
        }
    )
    taus = model_quantiles(forecaster)
    levels, asked = model_levels(forecaster), tuple(getattr(forecaster, "quantiles", ()) or ())
    for column, tau in output_columns(levels, asked):
        frame[column] = quantiles[..., tau_index(taus, tau)].reshape(-1)
    # as plain JSON: pandas writes attrs into a parquet file's metadata
    frame.attrs["spelling"] = None if spelling is None else spelling.to_dict()
    return frame


def forecast_panel(forecaster: Predictor, panel: Panel, schema: Schema) -> pd.DataFrame:
    """Forecast after the end of every series in ``panel`` (checked against ``schema``); series
    the model never saw are forecast from their own history (:func:`forecast_windows`)."""
    check_panel(schema, forecaster.window, panel, allow_new=scale_free(forecaster))
    last = panel.ds[panel.offsets[1:] - 1]
    windows = last_windows(panel, forecaster.window)
    return forecast_frame(
        forecaster, windows, panel.ids, last, panel.freq, panel.step, panel.spelling
    )


def write_frame(frame: pd.DataFrame, path: str | None, fmt: str) -> str | None:
    """Write forecasts to ``path`` atomically, or return them as text when ``path`` is None."""
    if fmt not in FORMATS:
        raise InputError(f"unknown --format {fmt!r}; choose csv, json or parquet")
    out = frame.copy()
    if np.issubdtype(out["ds"].dtype, np.datetime64):
        out["ds"] = pd.to_datetime(out["ds"])
    stored = out.attrs.pop("spelling", None)
    spelling = Spelling(**stored) if stored else None
    if fmt == "csv" and (text := spelled(out["ds"], spelling)) is not None:
        out["ds"] = text  # the file's own spelling of its stamps (1983Q2, ...+02:00)
    elif fmt == "parquet" and spelling is not None and spelling.zone is not None:
        out["ds"] = zoned(out["ds"], spelling.zone)
    elif fmt == "parquet" and spelling is not None and spelling.cycle is not None:
        out["ds"] = out["ds"].to_numpy(dtype=np.int64) / spelling.cycle  # R's ts() times
    if path is None:
        if fmt == "parquet":
            raise InputError("--format parquet needs -o FILE (it is binary)")
        if fmt == "json":
            return _json_text(out, spelling)
        return _positional(out).to_csv(
            index=False, date_format=_stamp_format(out), float_format="%.7g"
        )
    check_file(path, flag="-o", create_parents=False, example="forecast.csv")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401  (optional: the edge install leaves it out)
        except ImportError:
            raise MissingDependencyError(
                "--format parquet needs 'pyarrow', which is not installed; install it with: "
                "pip install pyarrow (or pip install 'forecastr[full]'), or use --format csv"
            ) from None
    try:
        with atomic_path(path) as tmp:
            if fmt == "csv":
                _positional(out).to_csv(
                    tmp, index=False, date_format=_stamp_format(out), float_format="%.7g"
                )
            elif fmt == "json":
                with open(tmp, "w") as fh:
                    fh.write(_json_text(out, spelling))
            else:
                out.to_parquet(tmp, index=False)
    except OSError as err:  # the temporary file is already gone (atomic_path)
        raise write_error(path, err) from None
    return None


def _positional(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each float column of values of 1e7 or more written out in digits, to 7
    significant ones (``381762100``, not ``%.7g``'s ``3.817621e+08``); the others are written
    with ``%.7g``, which uses no exponent below 1e7 (and down to 1e-4)."""
    out = frame
    for col in frame.columns:
        v = frame[col].to_numpy()
        if v.dtype.kind == "f" and len(v) and np.nanmax(np.abs(v), initial=0.0) >= 1e7:
            out = out.copy() if out is frame else out
            digits = [
                np.format_float_positional(x, precision=7, unique=False, fractional=False, trim="-")
                if np.isfinite(x)
                else np.nan
                for x in v
            ]
            out[col] = pd.Series(digits, index=frame.index, dtype=object)
    return out


def _stamp_format(frame: pd.DataFrame, sep: str = " ") -> str:
    """How text output writes the time stamps (``stamp_pattern``; integer steps ignore it)."""
    ds = frame["ds"]
    return stamp_pattern(ds, sep) if pd.api.types.is_datetime64_dtype(ds.dtype) else "%Y-%m-%d"


def _json_text(frame: pd.DataFrame, spelling: Spelling | None) -> str:
    out = frame.copy()
    if spelling is not None and spelling.cycle is not None:
        out["ds"] = out["ds"].to_numpy(dtype=np.int64) / spelling.cycle  # numbers in JSON
    elif np.issubdtype(out["ds"].dtype, np.datetime64):
        text = spelled(out["ds"], spelling, sep="T")
        out["ds"] = out["ds"].dt.strftime(_stamp_format(out, sep="T")) if text is None else text
    return out.to_json(orient="records", indent=None) + "\n"
