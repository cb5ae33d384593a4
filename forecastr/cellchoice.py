"""``--model auto``: which recurrent cell a run trains, decided on validation.

A holdout run trains its first member once per cell of :data:`~forecastr.config.AUTO_CELLS`,
from the same seed on the same windows, and keeps the first cell (the GRU) unless another's
best validation loss is :data:`~forecastr.config.AUTO_CELL_MARGIN` lower, on the first seed
and on the mean of two; the other members then train with the cell kept (those trained for
the choice are reused), and the refit retrains it. Only validation windows decide, so the
test part stays unseen. Torch-free: the caller passes the function that trains a member.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from forecastr.config import AUTO_CELL_MARGIN, AUTO_CELLS, ModelConfig, TrainConfig
from forecastr.errors import TrainingError

# member(cfg, k, index, total) -> (network, history): train member k (seed + k) of cfg, shown
# as training number ``index`` of ``total`` in progress reports.
Member = Callable[[ModelConfig, int, int, int], tuple[Any, dict]]


@dataclass
class FirstMembers:
    """What the choice left: the config every member uses (its cell chosen), the members
    already trained with it (members 0, 1, ... in seed order), the choice's record (None
    when there was none), and how many trainings ran (the progress index of the next)."""

    cfg: ModelConfig
    trained: list[tuple[Any, dict]]
    choice: dict | None
    runs: int


def first_members(cfg: ModelConfig, tc: TrainConfig, holdout: bool, member: Member) -> FirstMembers:
    """The first member(s), and the config every member uses. With ``tc.auto_cell`` (a
    holdout run), member 0 trains once per cell of :data:`AUTO_CELLS`, from the same seed on
    the same windows; when another cell's validation loss is :data:`AUTO_CELL_MARGIN` below
    the first's (the default), member 1 trains as each cell too, and the other cell replaces
    the default only if its mean over both seeds is still that much lower: one seed's
    validation loss varies by about as much as the margin (M3 yearly, docs/benchmarks.md). A
    refit trains the cell it is given."""
    one = replace(cfg, ensemble=1)
    if not (tc.auto_cell and holdout):
        return FirstMembers(cfg, [member(one, 0, 0, cfg.ensemble)], None, 1)
    runs: dict[str, list[tuple[Any, dict]]] = {c: [] for c in AUTO_CELLS}
    done = 0
    for pairs in (1, 2):
        total = pairs * len(AUTO_CELLS) + cfg.ensemble - min(pairs, cfg.ensemble)
        for i, c in enumerate(AUTO_CELLS):
            runs[c].append(_train(member, replace(one, cell=c), pairs - 1, done, total, i > 0))
            done += 1
        losses = [sum(h["best_val_loss"] for _, h in runs[c]) / pairs for c in AUTO_CELLS]
        best = choose(losses)
        if best == 0:
            break
    chosen = AUTO_CELLS[best]
    choice = {
        "cells": list(AUTO_CELLS),
        "val_loss": [v if math.isfinite(v) else None for v in losses],  # None: diverged
        "seeds": pairs,
        "chosen": chosen,
    }
    return FirstMembers(replace(cfg, cell=chosen), runs[chosen][: cfg.ensemble], choice, done)


def _train(member: Member, cfg: ModelConfig, k: int, index: int, total: int, rival: bool):
    """One training for the choice. A rival cell that diverges loses the choice (its loss is
    infinite) instead of ending the run: the default cell's members are still good."""
    try:
        return member(cfg, k, index, total)
    except TrainingError:
        if not rival:
            raise
        return None, {"best_val_loss": math.inf}


def choose(losses: list[float]) -> int:
    """Index of the cell kept among :data:`AUTO_CELLS` given each one's validation loss: the
    lowest, if it is :data:`AUTO_CELL_MARGIN` below the first's; else the first."""
    best = min(range(len(losses)), key=losses.__getitem__)
    return best if losses[best] < (1 - AUTO_CELL_MARGIN) * losses[0] else 0
