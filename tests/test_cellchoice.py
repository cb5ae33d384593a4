"""--model auto: the cell is chosen on validation windows, a near tie keeps the GRU, the saved
refit and `evaluate --refit` train the cell chosen, and the test part never decides."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from conftest import make_panel

from forecastr import api, cellchoice, parallel, present
from forecastr.cli import app
from forecastr.config import AUTO_CELL_MARGIN, AUTO_CELLS, ModelConfig, TrainConfig, TrainOptions
from forecastr.errors import TrainingError

OPTS = {"hidden": 8, "layers": 1, "window": 12, "horizon": 4, "ensemble": 2}
TRAIN = {"epochs": 3, "batch_size": 16, "max_batches": 3, "seed": 5, "patience": 100}


def test_the_default_cell_is_kept_unless_another_is_clearly_better():
    below = 1 - AUTO_CELL_MARGIN
    assert AUTO_CELLS[0] == "gru"
    assert cellchoice.choose([1.0, below + 0.001]) == 0  # within the margin: a tie
    assert cellchoice.choose([1.0, below - 0.001]) == 1
    assert cellchoice.choose([1.0, 1.5]) == 0
    assert cellchoice.choose([2.0, 2.0]) == 0


AUTO = TrainConfig(auto_cell=True)


class Recorder:
    """A member trainer that records what it was asked to train and returns set losses
    (``losses[cell][k]``: member k's validation loss); :meth:`first` runs the choice with it,
    in this process (``parallel.runner`` with no workers)."""

    def __init__(self, losses: dict[str, list[float]]):
        self.losses, self.calls = losses, []

    def train(self, context, job: parallel.Job, progress):
        cfg = job.cfg
        self.calls.append((cfg.cell, cfg.ensemble, job.k, job.index, job.total))
        return f"{cfg.cell}-{job.k}", {"best_val_loss": self.losses[cfg.cell][job.k]}

    def first(self, cfg: ModelConfig, tc: TrainConfig | None = None, holdout: bool = True):
        with parallel.runner(self.train, None, 0, 1, None) as run:
            return cellchoice.first_members(cfg, tc or AUTO, holdout, run)


def record(val_loss: list, seeds: int, chosen: str) -> dict:
    """The choice's record in a run's summary."""
    return {"cells": list(AUTO_CELLS), "val_loss": val_loss, "seeds": seeds, "chosen": chosen}


def test_a_clear_first_seed_is_confirmed_on_a_second_and_its_members_are_kept():
    cfg = ModelConfig(window=8, horizon=2, cell="lstm", ensemble=3)
    rec = Recorder({"gru": [1.0, 1.0], "rnn": [0.9, 0.95]})
    first = rec.first(cfg)
    # Two pairs from seeds 0 and 1; then one more member (seed 2) will train: 5 in all.
    assert rec.calls == [
        ("gru", 1, 0, 0, 4),
        ("rnn", 1, 0, 1, 4),
        ("gru", 1, 1, 2, 5),
        ("rnn", 1, 1, 3, 5),
    ]
    assert first.cfg == replace(cfg, cell="rnn") and first.runs == 4
    assert [net for net, _ in first.trained] == ["rnn-0", "rnn-1"]
    assert first.choice == record([1.0, pytest.approx(0.925)], 2, "rnn")


def test_a_first_seed_the_second_does_not_confirm_keeps_the_default():
    cfg = ModelConfig(window=8, horizon=2, ensemble=3)
    first = Recorder({"gru": [1.0, 0.9], "rnn": [0.95, 0.95]}).first(cfg)
    assert first.cfg.cell == "gru" and [n for n, _ in first.trained] == ["gru-0", "gru-1"]
    assert first.choice["seeds"] == 2 and first.runs == 4


def test_a_near_tie_on_the_first_seed_keeps_the_default_at_once():
    cfg = ModelConfig(window=8, horizon=2, ensemble=1)
    rec = Recorder({"gru": [1.0], "rnn": [0.99]})
    first = rec.first(cfg)
    assert rec.calls == [("gru", 1, 0, 0, 2), ("rnn", 1, 0, 1, 2)]
    assert first.cfg.cell == "gru" and [n for n, _ in first.trained] == ["gru-0"]
    assert first.choice == record([1.0, 0.99], 1, "gru")


def test_an_ensemble_of_one_keeps_only_member_0_of_the_winner():
    cfg = ModelConfig(window=8, horizon=2, ensemble=1)
    first = Recorder({"gru": [1.0, 1.0], "rnn": [0.9, 0.9]}).first(cfg)
    assert first.cfg.cell == "rnn" and [n for n, _ in first.trained] == ["rnn-0"]


def test_a_rival_that_diverges_loses_and_a_diverged_default_still_stops_the_run():
    class Diverging(Recorder):
        def train(self, context, job, progress):
            if job.cfg.cell == self.bad:
                raise TrainingError("the training loss became nan in epoch 2")
            return super().train(context, job, progress)

    cfg = ModelConfig(window=8, horizon=2, ensemble=2)
    rival = Diverging({"gru": [1.0, 1.0]})
    rival.bad = "rnn"
    first = rival.first(cfg)
    assert first.cfg.cell == "gru" and [n for n, _ in first.trained] == ["gru-0"]
    assert first.choice["val_loss"] == [1.0, None]
    assert "RNN diverged" in present.cell_choice_text(first.choice)
    default = Diverging({"rnn": [1.0]})
    default.bad = "gru"
    with pytest.raises(TrainingError):
        default.first(cfg)


@pytest.mark.parametrize("auto, holdout", [(False, True), (True, False)])
def test_no_choice_without_auto_or_in_a_refit(auto, holdout):
    cfg = ModelConfig(window=8, horizon=2, cell="lstm", ensemble=2)
    rec = Recorder({"lstm": [1.0]})
    first = rec.first(cfg, TrainConfig(auto_cell=auto), holdout)
    # Nothing trained here: the caller trains every member together (side by side).
    assert rec.calls == [] and first.cfg == cfg and first.choice is None
    assert first.trained == [] and first.runs == 0


def test_the_options_default_to_auto_and_a_named_cell_turns_it_off():
    assert TrainOptions().cell == "auto" and TrainOptions().train_config().auto_cell
    assert "cell" not in TrainOptions().model_settings()
    named = TrainOptions(cell="lstm")
    assert not named.train_config().auto_cell and named.model_settings()["cell"] == "lstm"


@pytest.mark.parametrize("winner", [0, 1])
def test_train_saves_the_cell_chosen_on_validation(tmp_path, monkeypatch, winner):
    monkeypatch.setattr(cellchoice, "choose", lambda losses: winner)
    out = api.train(make_panel([60, 70]), **OPTS, **TRAIN, out=str(tmp_path / "m"))
    cell = AUTO_CELLS[winner]
    choice = out.holdout.summary["cell_choice"]
    assert choice["chosen"] == cell and len(choice["val_loss"]) == len(AUTO_CELLS)
    # Every member of the holdout run and of the refit is the chosen cell ...
    for run in (out.holdout, out.result):
        assert run.model_cfg.cell == cell and len(run.summary["best_epoch"]) == 2
        assert {type(m.encoder).__name__ for m in run.model.model.members} == {
            "FastGRU" if cell == "gru" else "RNN"
        }
    # ... and the saved config says so (the refit got the holdout's epochs, no new choice).
    saved = json.loads((tmp_path / "m" / "config.json").read_text())
    assert saved["model"]["cell"] == cell and saved["training"]["auto_cell"] is True
    assert "cell_choice" not in out.result.summary
    assert saved["summary"]["holdout"]["cell_choice"]["chosen"] == cell


def test_the_choice_is_made_on_validation_not_on_the_test_part(tmp_path):
    panel = make_panel([60, 70])
    a = api.train(panel, **OPTS, **TRAIN, save_model=False)
    y = panel.y.copy()
    for end in panel.offsets[1:]:  # wreck each series' test part (its last horizon)
        y[end - 4 : end] = y[end - 4 : end] * -40.0 + 1e4
    b = api.train(replace(panel, y=y), **OPTS, **TRAIN, save_model=False)
    assert a.holdout.summary["cell_choice"] == b.holdout.summary["cell_choice"]


def test_cli_shows_the_choice_and_a_named_cell_skips_it(runner, tmp_path):
    panel, csv = make_panel([60, 70]), tmp_path / "data.csv"
    ids = np.repeat(panel.ids, panel.lengths)
    pd.DataFrame({"unique_id": ids, "ds": panel.ds, "y": panel.y}).to_csv(csv, index=False)
    flags = ["--hidden", "8", "--layers", "1", "--window", "12", "--horizon", "4"]
    flags += ["--ensemble", "1", "--epochs", "2", "--max-batches", "2"]
    auto = runner.invoke(app, ["train", str(csv), *flags, "-o", str(tmp_path / "a")])
    assert auto.exit_code == 0, auto.output
    assert "cell (--model auto)" in auto.output and "validation loss GRU" in auto.output
    named = runner.invoke(app, ["train", str(csv), *flags, "-m", "lstm", "-o", str(tmp_path / "b")])
    assert named.exit_code == 0, named.output
    assert "--model auto" not in named.output
    saved = json.loads((tmp_path / "b" / "config.json").read_text())
    assert saved["model"]["cell"] == "lstm" and saved["training"]["auto_cell"] is False


def test_progress_names_the_cell_of_each_training(monkeypatch):
    monkeypatch.setattr(cellchoice, "choose", lambda losses: 0)  # the GRU, at once
    events: list[dict] = []
    api.train(make_panel([60, 70]), **OPTS, **TRAIN, save_model=False, progress=events.append)
    # The holdout run: member 0 as GRU and as RNN, then member 1; the refit: its 2 members.
    seen = list(dict.fromkeys((e["phase"], e["member"], e["members"], e["cell"]) for e in events))
    assert seen == [
        ("holdout", 0, 3, "gru"),
        ("holdout", 1, 3, "rnn"),
        ("holdout", 2, 3, "gru"),
        ("refit", 0, 2, "gru"),
        ("refit", 1, 2, "gru"),
    ]


def test_evaluate_refit_names_a_chosen_cell_auto(tmp_path):
    # Each fold of `evaluate --refit` chooses its own cell, so the method is not named after
    # fold 0's; a model trained with a named cell keeps that name.
    panel, csv = make_panel([60, 70]), tmp_path / "data.csv"
    ids = np.repeat(panel.ids, panel.lengths)
    pd.DataFrame({"unique_id": ids, "ds": panel.ds, "y": panel.y}).to_csv(csv, index=False)
    small = {**OPTS, "ensemble": 1, **TRAIN}
    api.train(str(csv), **small, out=str(tmp_path / "auto"))
    api.train(str(csv), **small, cell="gru", out=str(tmp_path / "gru"))
    auto, _, _ = api.evaluate(str(csv), str(tmp_path / "auto"), folds=2, refit=True)
    named, _, _ = api.evaluate(str(csv), str(tmp_path / "gru"), folds=2, refit=True)
    # (+ Theta where validation chose the combination; each fold keeps the stored weight)
    assert auto.model.removesuffix(" + Theta") == "AUTO"
    assert named.model.removesuffix(" + Theta") == "GRU"
