"""``--model auto``: which recurrent cell a run trains, decided on validation.

A holdout run trains its first member once per cell of :data:`~forecastr.config.AUTO_CELLS`,
from the same seed on the same windows, and keeps the first cell (the GRU) unless another's
best validation loss is :data:`~forecastr.config.AUTO_CELL_MARGIN` lower, on the first seed
and on the mean of two; the other members then train with the cell kept (those trained for
the choice are reused), and the refit retrains it. Only validation windows decide, so the
test part stays unseen. Torch-free: the caller passes the function that trains members
(``parallel.runner``: the two cells of a seed train side by side where cores allow).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from forecastr.config import AUTO_CELL_MARGIN, AUTO_CELLS, ModelConfig, TrainConfig
from forecastr.errors import TrainingError
from forecastr.parallel import Job, Run


@dataclass
class FirstMembers:
    """What the choice left: the config every member uses (its cell chosen), the members
    already trained with it (members 0, 1, ... in seed order), the choice's record (None
    when there was none), and how many trainings ran (the progress index of the next)."""

    cfg: ModelConfig
    trained: list[tuple[Any, dict]]
    choice: dict | None
    runs: int


def first_members(cfg: ModelConfig, tc: TrainConfig, holdout: bool, run: Run) -> FirstMembers:
    """The first member(s), and the config every member uses. With ``tc.auto_cell`` (a
    holdout run), member 0 trains once per cell of :data:`AUTO_CELLS`, from the same seed on
    the same windows; when another cell's validation loss is :data:`AUTO_CELL_MARGIN` below
    the first's (the default), member 1 trains as each cell too, and the other cell replaces
    the default only if its mean over both seeds is still that much lower: one seed's
    validation loss varies by about as much as the margin (M3 yearly, docs/benchmarks.md). A
    refit trains the cell it is given: no member is trained here, the caller trains them all
    together. ``run`` trains a list of jobs (the cells of one seed side by side where it
    can). A rival cell that diverges loses the choice (its loss is infinite) instead of
    ending the run: the default cell's members are still good."""
    one = replace(cfg, ensemble=1)
    if not (tc.auto_cell and holdout):
        return FirstMembers(cfg, [], None, 0)
    runs: dict[str, list[tuple[Any, dict]]] = {c: [] for c in AUTO_CELLS}
    done = 0
    for pairs in (1, 2):
        total = pairs * len(AUTO_CELLS) + cfg.ensemble - min(pairs, cfg.ensemble)
        jobs = [
            Job(replace(one, cell=c), pairs - 1, done + i, total, rival=i > 0)
            for i, c in enumerate(AUTO_CELLS)
        ]
        for c, got in zip(AUTO_CELLS, run(jobs), strict=True):
            runs[c].append(
                (None, {"best_val_loss": math.inf}) if isinstance(got, TrainingError) else got
            )
        done += len(AUTO_CELLS)
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


def choose(losses: list[float]) -> int:
    """Index of the cell kept among :data:`AUTO_CELLS` given each one's validation loss: the
    lowest, if it is :data:`AUTO_CELL_MARGIN` below the first's; else the first."""
    best = min(range(len(losses)), key=losses.__getitem__)
    return best if losses[best] < (1 - AUTO_CELL_MARGIN) * losses[0] else 0
