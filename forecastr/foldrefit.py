"""``evaluate --refit``: retrain a loaded model's configuration on each fold's history, and
say why a refit model cannot be scored on its own training file without it. Torch is imported
only when a fold is retrained.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from forecastr.combine import combined, with_validation
from forecastr.config import ModelConfig, TrainConfig
from forecastr.errors import ForecastrError, InputError
from forecastr.forecast import panel_floor
from forecastr.panel import Panel


def explain_refit_overlap(error: ForecastrError, fc: Any) -> ForecastrError:
    """A refit model has seen every point of its training file: say so, and give the held-out
    scores its training run reported, rather than only refusing the fold."""
    if fc is None or not fc.refit or "overlaps the data" not in str(error):
        return error
    rows = {r.get("method"): r for r in fc.evaluation.get("summary") or []}
    row = rows.get(fc.evaluation.get("model")) or {}
    scores = ", ".join(
        f"{k} {row[k]:.3f}" for k in ("mase", "smape") if isinstance(row.get(k), float)
    )
    held = f"; its training run's held-out report: {scores}" if scores else ""
    return ForecastrError(
        f"{error} — this model was refit on every point of its training data, so no fold of "
        f"that data is unseen{held}"
    )


def make_refit(fc: Any) -> Callable[[Panel, int], Any]:
    """refit(panel, fold): retrain the loaded model's stored configuration on the fold's history."""
    if not fc.training_config:
        raise InputError("--refit needs a model directory (an ONNX file cannot be retrained)")
    from forecastr.models import model_name
    from forecastr.torch_predictor import TorchPredictor
    from forecastr.train import fit

    mcfg = ModelConfig.from_dict(fc.model_config)
    tcfg = TrainConfig.from_dict(fc.training_config)
    mix = getattr(fc, "mix", None)

    def refit(panel: Panel, fold: int) -> Any:
        fold_cfg = replace(tcfg, test_size=0, seed=tcfg.seed + fold)
        fold_cfg = with_validation(fold_cfg, panel.lengths, mcfg.window, mcfg.horizon)[0]
        result = fit(panel, mcfg, fold_cfg)
        # Trained on the fold's history only: nothing of the fold's test points to overlap.
        net = TorchPredictor(
            result.model, panel.ids, result.model_cfg, train_end=None, floor=panel_floor(panel)
        )
        if tcfg.auto_cell:  # each fold chooses its cell on its own validation windows
            net.name = model_name(result.model_cfg, cell="auto")  # e.g. 'AUTO x3'
        return combined(net, mix)  # the stored model's Theta weight, as it was chosen

    return refit
