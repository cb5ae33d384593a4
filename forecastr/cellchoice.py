"""``--model auto``: which recurrent cell a run trains, decided on validation.

A holdout run trains its first member once per cell of :data:`~forecastr.config.AUTO_CELLS`,
from the same seed on the same windows, and keeps the first cell (the GRU) unless another's
best validation loss is :data:`~forecastr.config.AUTO_CELL_MARGIN` lower; the other members
then train with the cell kept, and the refit retrains it. Only validation windows decide, so
the test part stays unseen. Torch-free: the caller passes the function that trains a member.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from forecastr.config import AUTO_CELL_MARGIN, AUTO_CELLS, ModelConfig, TrainConfig

# member(cfg, k, index, total) -> (network, history): train member k (seed + k) of cfg, shown
# as training number ``index`` of ``total`` in progress reports.
Member = Callable[[ModelConfig, int, int, int], tuple[Any, dict]]


def first_member(
    cfg: ModelConfig, tc: TrainConfig, holdout: bool, member: Member
) -> tuple[ModelConfig, list[tuple[Any, dict]], dict | None]:
    """The first member, and the config every member uses. With ``tc.auto_cell`` (a holdout
    run), the first member trains once per cell of :data:`AUTO_CELLS`, from the same seed on
    the same windows; another cell replaces the first (the default) only when its best
    validation loss is :data:`AUTO_CELL_MARGIN` lower. A refit trains the cell it is given."""
    one = replace(cfg, ensemble=1)
    if not (tc.auto_cell and holdout):
        return cfg, [member(one, 0, 0, cfg.ensemble)], None
    total = cfg.ensemble + len(AUTO_CELLS) - 1
    runs = [member(replace(one, cell=c), 0, i, total) for i, c in enumerate(AUTO_CELLS)]
    losses = [float(h["best_val_loss"]) for _, h in runs]
    best = choose(losses)
    choice = {"cells": list(AUTO_CELLS), "val_loss": losses, "chosen": AUTO_CELLS[best]}
    return replace(cfg, cell=AUTO_CELLS[best]), [runs[best]], choice


def choose(losses: list[float]) -> int:
    """Index of the cell kept among :data:`AUTO_CELLS` given each one's validation loss: the
    lowest, if it is :data:`AUTO_CELL_MARGIN` below the first's; else the first."""
    best = min(range(len(losses)), key=losses.__getitem__)
    return best if losses[best] < (1 - AUTO_CELL_MARGIN) * losses[0] else 0
