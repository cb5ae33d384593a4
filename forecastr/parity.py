"""onnxruntime against torch: the windows a parity check runs and the relative-error rule.

Shared by :mod:`forecastr.export` (the float file against the torch module, and the int8 file
against the float one) and ``bench/edge.py``. A model with intervals is compared on each of
its outputs, the point forecast and the quantiles. numpy only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from forecastr.onnxmeta import OUTPUT, QUANTILE_OUTPUT

if TYPE_CHECKING:
    from forecastr.runtime import OnnxPredictor

PARITY_BATCHES = (1, 7, 256)


def parity_windows(values: np.ndarray, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """(batch, W) real windows and their series indices from the (S, W) stored context.

    Row ``i`` is series ``i % S``'s last window rotated by ``i // S`` steps: real values at
    any batch size, and different rows even for a single series.
    """
    n, w = values.shape
    rows = np.arange(batch)
    series = rows % n
    shift = rows // n
    cols = (np.arange(w)[None, :] - shift[:, None]) % w
    return values[series[:, None], cols].astype(np.float32), series.astype(np.int64)


def relative_error(got: np.ndarray, ref: np.ndarray, x: np.ndarray) -> float:
    """max |got - ref| / max(|ref|, max |window|) over (B, ...) outputs of (B, W) windows:
    relative to the forecast (or quantile) or, near zero, to the level of its series."""
    got, ref = got.reshape(len(got), -1), ref.reshape(len(ref), -1)  # (B, H) or (B, H * K)
    denom = np.maximum(np.abs(ref), np.abs(x).max(axis=1, keepdims=True))
    # The floor only guards 0/0 (an all-zero window and forecast): any fixed size would
    # make the check meaningless for series of that size or smaller (ingest admits 1e-30).
    return float(np.max(np.abs(got - ref) / np.maximum(denom, np.finfo(np.float32).tiny)))


def outputs(fc: OnnxPredictor, x: np.ndarray, series: np.ndarray) -> np.ndarray:
    """onnxruntime's outputs laid out as the torch module's: (B, H) or (B, H, 1 + K)."""
    point, q = fc.predict_quantiles(x, series)
    return np.concatenate([point[..., None], q], axis=-1) if q.shape[-1] else point


def output_errors(got: np.ndarray, ref: np.ndarray, x: np.ndarray) -> dict[str, float]:
    """Relative error of each graph output (see :func:`relative_error`)."""
    if got.ndim == 2:
        return {OUTPUT: relative_error(got, ref, x)}
    return {
        OUTPUT: relative_error(got[..., 0], ref[..., 0], x),
        QUANTILE_OUTPUT: relative_error(got[..., 1:], ref[..., 1:], x),
    }
