"""Defaults that the CLI, the Python API and the training code must share, in one leaf
module (no torch, no imports), so that ``api.train()`` trains what ``forecastr train`` does.

The rest of the defaults still live with their dataclasses (``models.ModelConfig``,
``train.TrainConfig``); the CLI test ``test_cli_defaults_match_the_library`` keeps them equal.
"""

ENSEMBLE = 3  # members trained from consecutive seeds and averaged (steadier forecasts)
LOSS_SCALE = "none"  # per-series loss weight: "mase" or "none" (train.TrainConfig.loss_scale)
