"""The weights file against its config: tensor names, shapes and dtypes read from the
safetensors header alone, before a single tensor is loaded or a network built.

A safetensors file is an 8-byte little-endian header length, a JSON header (name ->
dtype, shape, byte offsets) and the raw data. The header is bounded and parsed here; every
tensor the checked config implies (:func:`forecastr.modelcheck.expected_tensors`) must be
there with its shape and dtype, and nothing else; the stored context is then checked as a
view into the bytes (no copy). Torch-free.
"""

from __future__ import annotations

import math

import numpy as np

from forecastr.combine import context_width
from forecastr.errors import one_line
from forecastr.forecast import Schema
from forecastr.jsonfields import Where, loads_bounded
from forecastr.modelcheck import (
    INT64_MAX,
    RETRAIN,
    check_future,
    check_model,
    expected_tensors,
)
from forecastr.thetaonly import is_theta_only

MAX_HEADER_BYTES = 16 * 2**20  # names, shapes and offsets: ~100 bytes per tensor

_DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8"}  # the dtypes a forecastr model stores


def check_weights(config: dict, data: bytes, w_path: str) -> None:
    """Compare the weights file's tensors with what the (checked) config implies, from its
    header alone, then check the stored context (a view into ``data``, no copy).

    The stored context is optional, but ``context.values`` (S, window) float64 and
    ``context.last`` (S,) int64 come together; their values must be finite, and the last
    timestamps must leave room for ``horizon`` more steps (int64 nanoseconds for dates).

    Args:
        config: config.json, already through :func:`check_config`.
        data: the weights file's bytes (safetensors: 8-byte header length, JSON header, data).
        w_path: the weights file, for messages.

    Raises:
        ArtifactError: a corrupt header, a missing, unexpected or misshapen tensor, or a bad
            stored context.
    """
    w = Where(w_path, RETRAIN)
    theta_only = is_theta_only(config)  # the Theta method alone: the context is all it stores
    m = config["model"] if theta_only else check_model(w, config["model"])
    schema = Schema.from_dict(config["data"])
    n = len(schema.ids)
    want = {} if theta_only else expected_tensors(m, n)
    want["context.values"] = ((n, context_width(config)), "F64")  # window, or the Theta's
    want["context.last"] = ((n,), "I64")
    header, start = read_header(w, data)
    _compare(w, {k: (shape, dtype) for k, (shape, dtype, _) in header.items()}, want)
    for name, (shape, dtype, (begin, end)) in header.items():
        if end - begin != math.prod(shape) * np.dtype(_DTYPES[dtype]).itemsize:
            raise w.fail(f"corrupt weights file (tensor {name} has {end - begin} bytes)")
    if "context.last" not in header:
        return

    def view(name: str) -> np.ndarray:
        shape, dtype, (begin, _) = header[name]
        count = math.prod(shape)
        return np.frombuffer(data, _DTYPES[dtype], count, start + begin).reshape(shape)

    # Finite, and within float32 (the network's type), or the forecasts could only be inf.
    if not (np.abs(view("context.values")) <= np.finfo(np.float32).max).all():
        raise w.fail("tensor context.values holds NaN, infinite or beyond-float32 values")
    check_future(w, view("context.last"), schema, m["horizon"], "tensor context.last")


def read_header(w: Where, data: bytes) -> tuple[dict, int]:
    """A safetensors header: name -> (shape, dtype, (begin, end) byte offsets into the data
    part), and where the data part starts. Bounded before it is parsed."""
    length = int.from_bytes(data[:8], "little") if len(data) >= 8 else -1
    if not 0 < length <= min(MAX_HEADER_BYTES, len(data) - 8):
        raise w.fail(f"corrupt weights file (a header of {length} bytes in {len(data)})")
    try:
        header = loads_bounded(bytes(data[8 : 8 + length]).decode("utf-8"), MAX_HEADER_BYTES)
    except ValueError as err:  # UnicodeDecodeError too
        raise w.fail(f"corrupt weights file (header: {one_line(err)})") from None
    if not isinstance(header, dict):
        raise w.fail("corrupt weights file (the header is not a JSON object)")
    body = len(data) - 8 - length
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not (isinstance(entry, dict) and _entry_ok(entry, body)):
            raise w.fail(f"corrupt weights file (header entry {name[:80]!r})")
        out[name] = (tuple(entry["shape"]), entry["dtype"], tuple(entry["data_offsets"]))
    return out, 8 + length


def _entry_ok(entry: dict, body: int) -> bool:
    shape, dtype, offsets = entry.get("shape"), entry.get("dtype"), entry.get("data_offsets")
    if not (isinstance(shape, list) and len(shape) <= 8 and isinstance(dtype, str)):
        return False
    if not all(type(d) is int and 0 <= d <= INT64_MAX for d in shape):
        return False
    if not (isinstance(offsets, list) and len(offsets) == 2):
        return False
    begin, end = offsets
    return type(begin) is int and type(end) is int and 0 <= begin <= end <= body


def _compare(w: Where, got: dict, want: dict) -> None:
    for name, (shape, dtype) in sorted(got.items()):
        if name not in want:
            raise w.fail(f"unexpected tensor {name[:80]!r}; the weights do not fit the config")
        if (shape, dtype) != want[name]:
            ws, wd = want[name]
            raise w.fail(
                f"tensor {name} is {dtype[:8]} {list(shape)} but config.json implies {wd} "
                f"{list(ws)}; the weights do not fit the model config"
            )
    # The stored context is optional, but its two tensors come together.
    context = ("context.values", "context.last")
    has_context = any(c in got for c in context)
    missing = [k for k in want if k not in got and (has_context or k not in context)]
    if missing:
        raise w.fail(f"tensor {missing[0]} is missing; the weights do not fit the model config")


def plain_tensors(data: bytes, w_path: str) -> dict[str, np.ndarray]:
    """Every tensor of a weights file (already through :func:`check_weights`), copied out of
    ``data`` as numpy arrays: what ``safetensors.numpy.load`` gives, without that package, so
    a Theta-only model (its context alone) loads in the torch-free install."""
    w = Where(w_path, RETRAIN)
    header, start = read_header(w, data)
    out = {}
    for name, (shape, dtype, (begin, _)) in header.items():
        count = math.prod(shape)
        out[name] = np.frombuffer(data, _DTYPES[dtype], count, start + begin).reshape(shape).copy()
    return out
