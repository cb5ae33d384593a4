"""An ONNX file's forecastr metadata: what an export writes and what a load accepts.

Every value of ``metadata_props`` is a string, structured ones JSON (the keys are listed in
``docs/onnx.md``). :func:`metadata_for` writes them from a model directory's bundle;
:func:`parse_metadata` reads them back, every key typed and bounded before any of it is used,
and refuses a file whose keys disagree with each other in one ``ArtifactError`` line naming
the key. Torch-free: :mod:`forecastr.runtime` reads files with it.
"""

from __future__ import annotations

import json

import numpy as np

from forecastr import __version__
from forecastr.combine import SECTION, check_mix
from forecastr.config import SCALERS
from forecastr.errors import ArtifactError
from forecastr.forecast import Schema
from forecastr.intervals import MIN_TAU, network_quantiles
from forecastr.jsonfields import (
    MAX_JSON_CHARS,
    MAX_JSON_VALUES,
    MISSING,
    Where,
    choice,
    is_number,
    key_text,
    loads_bounded,
    text,
)
from forecastr.modelcheck import (
    INT64_MAX,
    INT64_MIN,
    MAX_HORIZON,
    MAX_STEP,
    MAX_WINDOW,
    REEXPORT,
    ascending_numbers,
    check_calibration_summary,
    check_future,
    check_model,
    check_schema,
    check_sizes,
    check_train_end,
)

FORMAT = "forecastr-onnx"
FORMAT_VERSION = 1
INPUTS = ("x", "series")
OUTPUT = "forecast"
QUANTILE_OUTPUT = "quantiles"  # second output of a model with intervals: (batch, horizon, K)
# Keys every forecastr ONNX file carries; a truncated file loses the last ones first.
REQUIRED = (
    "format",
    "format_version",
    "window",
    "horizon",
    "step",
    "series_ids",
    "scaler",
    "model",
    "schema",
    "train_end",
    "name",
    "forecastr_version",
)
MAX_CONTEXT_VALUES = 200_000  # store the training data's last windows when S * window <= this


def metadata_for(bundle, name: str, exporter: str, opset: int) -> dict[str, str]:
    """The ``metadata_props`` of an export, every value a string (JSON where structured)."""
    schema = bundle.schema
    model = bundle.config["model"]
    meta = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "name": name,
        "window": str(int(model["window"])),
        "horizon": str(int(model["horizon"])),
        "freq": schema.freq or "",
        "step": str(schema.step),
        "series_ids": json.dumps(schema.ids),
        "scaler": bundle.scaler.kind,
        # loc and scale of series 0: new series are forecast in its scale (forecast.py)
        "reference_scaling": json.dumps(
            [float(bundle.scaler.loc[0]), float(bundle.scaler.scale[0])]
        ),
        "model": json.dumps(model),
        "forecastr_version": __version__,
        "exporter": exporter,
        "inputs": "x: (batch, window) float32 raw values; series: (batch,) int64 index into "
        "series_ids",
        "outputs": "forecast: (batch, horizon) float32 in original units",
        "schema": json.dumps(schema.to_dict()),
        "train_end": json.dumps(bundle.config.get("train_end") or None),
    }
    meta.update(_interval_metadata(model, bundle.config.get("calibration")))
    if bundle.config.get(SECTION):  # applied by forecastr's runtime, outside the graph
        meta[SECTION] = json.dumps(bundle.config[SECTION])
    if "context.values" in bundle.tensors and "context.last" in bundle.tensors:
        values, last = bundle.context()
        if values.size <= MAX_CONTEXT_VALUES:
            # Last timestamps as int64: ns since the epoch, or the integer step index.
            meta["context"] = json.dumps(
                {"values": np.asarray(values, dtype=np.float64).tolist(), "last": last.tolist()}
            )
    return meta


def _interval_metadata(model: dict, calibration: dict | None) -> dict[str, str]:
    """A model with intervals: its graph's second output, the K quantiles that output holds,
    and what its calibration reports (its factors and shifts are constants in the graph, so
    they are left out: no reader should apply them twice). Nothing for a point model."""
    taus = network_quantiles(model.get("levels", ()), model.get("quantiles", ()))
    if not taus:
        return {}
    meta = {
        "outputs": f"{OUTPUT}: (batch, horizon) float32 in original units; {QUANTILE_OUTPUT}: "
        f"(batch, horizon, {len(taus)}) float32 calibrated quantiles of network_quantiles, "
        "ascending, in original units",
        "network_quantiles": json.dumps(list(taus)),
    }
    if calibration:
        summary = ("method", "source", "count", "guaranteed", "windows", "series", "transferred")
        meta["calibration"] = json.dumps({k: calibration[k] for k in summary if k in calibration})
    return meta


def parse_metadata(meta: dict, path: str) -> dict:
    """Validate and decode the forecastr metadata, every key typed and bounded before any of
    it is used; any problem is one ArtifactError line naming the key."""
    if meta.get("format") != FORMAT:
        raise ArtifactError(
            f"{path}: an ONNX model without forecastr metadata (a foreign model, or a truncated "
            "file); export one with `forecastr export`"
        )
    version = meta.get("format_version")
    if version != str(FORMAT_VERSION):
        raise ArtifactError(
            f"{path}: forecastr ONNX format version {key_text(str(version))} but this "
            f"forecastr reads version {FORMAT_VERSION}; export the model again with this version"
        )
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise ArtifactError(
            f"{path}: forecastr metadata is incomplete (missing {', '.join(missing)}); "
            "the file is truncated or was edited; export it again"
        )
    w = Where(path, REEXPORT, label="metadata")
    _check_budget(w, meta)
    window = _meta_int(w, meta, "window", 2, MAX_WINDOW)
    horizon = _meta_int(w, meta, "horizon", 1, MAX_HORIZON)
    model = check_model(w, _json(w, meta, "model"))
    for key, value in (("window", window), ("horizon", horizon)):
        if model[key] != value:
            raise w.refuse(f"model.{key}", model[key], f"{value}, as metadata {key} says")
    schema = check_schema(w, _json(w, meta, "schema"), "schema")
    ids = _json(w, meta, "series_ids")
    if ids != schema.ids:
        raise w.refuse("series_ids", ids, "the ids of metadata schema.ids")
    if _meta_int(w, meta, "step", 1, MAX_STEP) != schema.step:
        raise w.refuse("step", meta["step"], f"{schema.step}, as metadata schema.step says")
    if "freq" in meta and meta["freq"] != (schema.freq or ""):  # informational; must agree
        raise w.refuse("freq", meta["freq"], f"{schema.freq or ''!r}, as metadata schema says")
    theta = {SECTION: _json(w, meta, SECTION)} if SECTION in meta else {}
    mix = check_mix(w, theta, window, len(schema.ids))
    width = mix.context if mix else window  # points per series the forecast reads
    check_sizes(w, model, len(ids), "series_ids", width=width)
    choice(w, meta, "scaler", SCALERS)
    taus = _network_quantiles(w, meta, model)
    calibration = _json(w, meta, "calibration") if "calibration" in meta else None
    if calibration is not None:
        # informational: the factors and shifts themselves are in the graph
        check_calibration_summary(w, calibration, horizon, len(taus), "calibration")
    return {
        "name": text(w, meta, "name"),
        "window": window,
        "horizon": horizon,
        "ids": ids,
        "schema": schema,
        "model": model,
        "train_end": check_train_end(w, _json(w, meta, "train_end"), ids, schema.freq, "train_end"),
        "context": _context(w, _json(w, meta, "context"), schema, width, horizon)
        if "context" in meta
        else None,
        "reference_scaling": _reference(w, _json(w, meta, "reference_scaling"))
        if "reference_scaling" in meta
        else None,
        "network_quantiles": taus,
        "calibration": calibration,
        "theta": mix,
    }


def _network_quantiles(w: Where, meta: dict, model: dict) -> tuple[float, ...]:
    """The K quantiles of the graph's ``quantiles`` output: metadata ``network_quantiles``,
    ascending and in range as ``modelcheck`` bounds them, and exactly those of
    ``model.levels`` and ``model.quantiles``; () for a point model."""
    levels, asked = model["levels"], model["quantiles"]
    expected = network_quantiles(levels, asked)
    which = f"the quantiles of model.levels {levels} and model.quantiles {asked}"
    if "network_quantiles" not in meta:
        if expected:
            raise w.refuse("network_quantiles", MISSING, f"{list(expected)}, {which}")
        return ()
    taus = ascending_numbers(
        w, _json(w, meta, "network_quantiles"), "network_quantiles", MIN_TAU, 1 - MIN_TAU
    )
    if len(taus) != len(expected) or any(
        abs(a - b) > 1e-9 for a, b in zip(taus, expected, strict=True)
    ):
        raise w.refuse("network_quantiles", taus, f"{list(expected)}, {which}")
    return tuple(float(t) for t in taus)


def _check_budget(w: Where, meta: dict) -> None:
    """All metadata together within what one bounded JSON document may hold, checked before
    any of it is parsed (each key is also bounded on its own when parsed)."""
    if not all(isinstance(v, str) for v in meta.values()):
        raise w.fail("metadata values are not all strings")
    chars = sum(len(v) for v in meta.values())
    values = sum(v.count(c) for v in meta.values() for c in ",:[{")
    if chars > 2 * MAX_JSON_CHARS or values > MAX_JSON_VALUES:
        raise w.fail(
            f"forecastr metadata of {chars:,} characters and about {values:,} values is more "
            "than a forecastr export writes"
        )


def _meta_int(w: Where, meta: dict, key: str, lo: int, hi: int) -> int:
    """A metadata integer: plain ASCII digits, in ``[lo, hi]``."""
    raw = meta[key]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19 and lo <= int(raw) <= hi):
        raise w.refuse(key, raw, f"an integer from {lo} to {hi}")
    return int(raw)


def _json(w: Where, meta: dict, key: str):
    try:
        return loads_bounded(meta[key])
    except ValueError as err:
        raise w.fail(f"corrupt forecastr metadata: {key} is not JSON ({err})") from None


def _context(w: Where, ctx, schema: Schema, window: int, horizon: int):
    """Stored context -> ((S, window) float64 values, list of S last timestamps); ``window``
    is the points each forecast reads (the Theta combination's context, when there is one)."""
    n = len(schema.ids)
    if not isinstance(ctx, dict):
        raise w.refuse("context", ctx, "an object (values, last)")
    values = ctx.get("values")
    if not isinstance(values, list) or len(values) != n:
        raise w.refuse("context.values", values, f"a list of {n} windows, one per series")
    for i, row in enumerate(values):
        if not (isinstance(row, list) and len(row) == window and all(map(is_number, row))):
            raise w.refuse(f"context.values[{i}]", row, f"a list of {window} finite numbers")
    last = ctx.get("last")
    if not isinstance(last, list) or len(last) != n:
        raise w.refuse("context.last", last, f"a list of {n} timestamps, one per series")
    for i, v in enumerate(last):
        if type(v) is not int or not INT64_MIN <= v <= INT64_MAX:
            raise w.refuse(f"context.last[{i}]", v, "a 64-bit integer timestamp")
    stamps = np.asarray(last, dtype=np.int64)
    check_future(w, stamps, schema, horizon, "metadata context.last")
    arr = np.asarray(values, dtype=np.float64).reshape(n, window)
    if not (np.abs(arr) <= np.finfo(np.float32).max).all():  # the graph reads float32
        raise w.fail("metadata context.values holds values beyond the float32 range")
    if schema.freq is None:
        return arr, [int(v) for v in stamps]
    return arr, list(stamps.astype("datetime64[ns]"))


def _reference(w: Where, pair) -> tuple[float, float]:
    """(loc, scale) of series 0: two finite numbers, the scale positive."""
    if not (isinstance(pair, list) and len(pair) == 2 and all(map(is_number, pair))):
        raise w.refuse("reference_scaling", pair, "[loc, scale]: two finite numbers")
    if not pair[1] > 0:
        raise w.refuse("reference_scaling", pair, "a positive scale")
    return float(pair[0]), float(pair[1])
