"""The one contract of a trained model, whatever runs it. Torch-free.

:class:`~forecastr.torch_predictor.TorchPredictor` (a model directory, run by torch) and
:class:`~forecastr.runtime.OnnxPredictor` (an ONNX file, run by onnxruntime) both meet it, so
evaluation, prediction and the CLI treat them alike; so may a test's stand-in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np


class Predictor(Protocol):
    """Anything that forecasts ``horizon`` steps from the last ``window`` raw values.

    Attributes:
        name: label for tables and messages (``"GRU"``, ``"BiLSTM seq2seq+attn x3"``).
        window: raw values each forecast reads.
        horizon: steps each forecast returns.
        ids: the series the model was trained on. (``forecast.forecast_windows`` also takes a
            stand-in without ``ids``: every series then counts as known.)
        train_end: the last timestamp of each series that training (validation included)
            saw, or None when unknown. ``evaluate.backtest`` refuses folds that overlap it.
        levels: the central interval levels (percent) the model gives, ascending; () for a
            point model.
        quantiles: the quantiles the model was asked for, ascending; ().
        network_quantiles: every quantile it forecasts, ascending
            (``intervals.network_quantiles(levels, quantiles)``); () for a point model.

    Optionally ``floor``: the value its forecasts keep at or above (0 when its training data
    was never negative; ``forecast.apply_floor``); a stand-in without it has none.
    """

    name: str
    window: int
    horizon: int
    ids: list[str]
    train_end: dict[str, Any] | None
    levels: tuple[float, ...]
    quantiles: tuple[float, ...]
    network_quantiles: tuple[float, ...]

    def forecast(self, windows: np.ndarray, series_ids: Sequence[str]) -> np.ndarray:
        """(B, window) raw values of the named series -> (B, horizon) in original units."""
        ...

    def forecast_quantiles(
        self, windows: np.ndarray, series_ids: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The point forecast (B, horizon) and the calibrated quantiles (B, horizon, K) of
        ``network_quantiles``, ascending along the last axis (K = 0 for a point model)."""
        ...
