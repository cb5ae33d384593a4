"""A trained network behind the :class:`~forecastr.predictor.Predictor` contract, run by torch.

What the network was trained on and how (its configs, the last timestamp training saw per
series, whether it was refit, the seasons found, the held-out report) is given to the
constructor, so no predictor exists without it. :meth:`TorchPredictor.from_stored` builds one
from a loaded model directory (:func:`forecastr.artifact.load`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from forecastr.config import ModelConfig
from forecastr.errors import ArtifactError, InputError
from forecastr.forecast import Schema
from forecastr.intervals import Calibration
from forecastr.models import INFERENCE_CHUNK, Scaled, build, head_taus, model_name

if TYPE_CHECKING:
    from forecastr.scaling import ScalerParams


class TorchPredictor:
    """A :class:`~forecastr.models.Scaled` network and what it was trained on.

    Args:
        module: the network with its per-series scaling (raw values in, raw values out).
        ids: the series of the scaling tables, in their order.
        model_config: its architecture (a ModelConfig, or its dict as config.json stores it).
        train_end: the last timestamp of each series that training saw (validation
            included), or None when it trained on nothing ``evaluate`` could overlap (a
            refit on one fold's history).
        training_config: how it was trained (config.json's "training"); empty: unknown.
        refit: whether it was retrained on every point after its holdout report.
        seasons: the seasons found at training (config.json's "seasons").
        evaluation: the held-out report of its training run (config.json's "evaluation").
        floor: the floor its forecasts keep (``forecast.data_floor`` of what it trained on);
            None: none.
    """

    def __init__(
        self,
        module: Scaled,
        ids: Sequence[str],
        model_config: ModelConfig | dict,
        *,
        train_end: dict[str, Any] | None,
        training_config: dict | None = None,
        refit: bool = False,
        seasons: Sequence[dict] = (),
        evaluation: dict | None = None,
        floor: float | None = None,
    ):
        if isinstance(model_config, ModelConfig):
            cfg, self.model_config = model_config, model_config.to_dict()
        else:  # config.json's dict, kept as stored
            cfg, self.model_config = ModelConfig.from_dict(model_config), dict(model_config)
        self.module = module.eval()
        self.ids = list(ids)
        self._index = {s: i for i, s in enumerate(self.ids)}
        self.window = cfg.window
        self.horizon = cfg.horizon
        self.name = model_name(cfg)
        self.levels, self.quantiles = cfg.levels, cfg.quantiles
        self.network_quantiles = head_taus(cfg)
        self.train_end = train_end
        self.training_config = dict(training_config or {})
        self.refit = refit
        self.seasons = list(seasons)
        self.evaluation = dict(evaluation or {})
        self.floor = floor

    @classmethod
    def from_stored(
        cls, config: dict, tensors: dict, scaler: ScalerParams, ids: Sequence[str], where: str
    ) -> TorchPredictor:
        """The network of a loaded model directory (``artifact.Bundle.predictor``: its
        config.json, its tensors, its scaler and series), weights checked against config.

        Plain values, not the Bundle, so this module never imports the artifact module.
        """
        mcfg = ModelConfig.from_dict(config["model"])
        module = Scaled(build(mcfg), torch.from_numpy(scaler.loc), torch.from_numpy(scaler.scale))
        state = {
            k[len("model.") :]: torch.from_numpy(np.array(v))
            for k, v in tensors.items()
            if k.startswith("model.")
        }
        try:
            module.load_state_dict(state, strict=True)
        except RuntimeError as err:
            first = str(err).strip().splitlines()[0]
            raise ArtifactError(f"{where}: weights do not fit the model config ({first})") from None
        if config.get("calibration"):  # checked against the config by modelcheck
            cal = Calibration.from_dict(config["calibration"])
            module.calibrate(cal, head_taus(mcfg))
        return cls(
            module,
            ids,
            dict(config["model"]),
            train_end=config.get("train_end") or None,
            training_config=config.get("training"),
            refit=bool(config.get("refit", False)),
            seasons=config.get("seasons") or (),
            evaluation=config.get("evaluation"),
            floor=Schema.from_dict(config["data"]).floor,
        )

    def series_scaling(self, i: int) -> tuple[float, float]:
        """(loc, scale) of series ``i``'s per-series scaler."""
        return float(self.module.loc[i]), float(self.module.scale[i])

    def series_index(self, series_ids: Sequence[str]) -> np.ndarray:
        try:
            return np.array([self._index[s] for s in series_ids], dtype=np.int64)
        except KeyError as err:
            raise InputError(f"series {err.args[0]!r} is not known to the model") from None

    def forecast(self, windows: np.ndarray, series_ids: Sequence[str]) -> np.ndarray:
        """(B, window) raw values of the named series -> (B, horizon) in original units."""
        out = self._run(windows, series_ids)
        return out if out.ndim == 2 else out[..., 0]

    def forecast_quantiles(
        self, windows: np.ndarray, series_ids: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(point (B, horizon), calibrated quantiles (B, horizon, K)) in original units."""
        out = self._run(windows, series_ids)
        if out.ndim == 2:
            return out, np.zeros((*out.shape, 0))
        return out[..., 0], out[..., 1:]

    def _run(self, windows: np.ndarray, series_ids: Sequence[str]) -> np.ndarray:
        """The module's output for (B, window) raw values, float64, in chunks."""
        idx = torch.from_numpy(self.series_index(series_ids))
        x = torch.from_numpy(np.asarray(windows, dtype=np.float32))
        out = []
        with torch.inference_mode():
            for i in range(0, len(x), INFERENCE_CHUNK):  # bounded memory for huge batches
                rows = slice(i, i + INFERENCE_CHUNK)
                out.append(self.module(x[rows], idx[rows]).numpy())
        if not out:
            k = len(self.network_quantiles)
            return np.zeros((0, self.horizon, 1 + k) if k else (0, self.horizon))
        return np.concatenate(out).astype(np.float64)

    def attention_weights(self, window: np.ndarray, series_id: str) -> np.ndarray:
        """Attention of each forecast step over the encoder steps for one raw ``window`` of
        series ``series_id``: (horizon, window / patch), of the first member of an ensemble.
        The model must have attention (``model_config["attention"]``)."""
        idx = self.series_index([series_id])
        scaled = self.module
        x = (torch.tensor(window[None], dtype=torch.float32) - scaled.loc[idx, None]) / (
            scaled.scale[idx, None]
        )
        net: Any = scaled.model  # a ForecastNet, or an Ensemble of them
        inner = net.members[0] if hasattr(net, "members") else net
        with torch.no_grad():
            return inner.attention_weights(x)[0].numpy()  # (H, W / patch)
