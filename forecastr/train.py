"""The training loop: ours, explicit, and short enough to read in one sitting.

AdamW with a one-cycle learning-rate schedule, gradient clipping with per-step grad-norm
statistics, early stopping on the validation loss with the best weights restored, seeding
for bit-for-bit repeatable CPU runs, and a progress callback (the library never prints).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from forecastr.errors import InputError, TrainingError
from forecastr.models import ModelConfig, Scaled, build, validate_config
from forecastr.panel import Panel
from forecastr.scaling import SCALERS, ScalerParams, fit_scaler
from forecastr.windows import Split, split_panel, train_window_starts, val_window_starts

LOSSES = ("mse", "mae", "huber")


@dataclass(frozen=True)
class TrainConfig:
    """How to train; every default is documented in ``forecastr train --help``."""

    epochs: int = 100  # upper bound; early stopping usually ends sooner
    batch_size: int = 64
    lr: float = 3e-3  # peak of the one-cycle schedule
    weight_decay: float = 1e-4  # AdamW
    loss: str = "mae"  # mse | mae | huber, in per-series scaled units
    clip_norm: float = 1.0  # max global gradient norm; 0 disables clipping
    patience: int = 15  # epochs without validation improvement before stopping
    max_batches: int = 50  # per epoch: large data sets are sampled, not swept
    scaler: str = "standard"  # per-series scaler fitted on the training part
    val_size: int | None = None  # validation points per series; None: horizon
    test_size: int | None = None  # held-out test points per series; None: horizon
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    threads: int = 1  # torch intra-op threads (1 measured fastest and steadiest here)
    teacher_forcing: float = 0.5  # seq2seq: probability of feeding the true previous value
    teacher_forcing_decay: bool = False  # seq2seq: decay the ratio linearly to 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def validate_train_config(cfg: TrainConfig) -> None:
    if cfg.loss not in LOSSES:
        raise InputError(f"unknown --loss {cfg.loss!r}; choose mse, mae or huber")
    if cfg.scaler not in SCALERS:
        raise InputError(f"unknown --scaler {cfg.scaler!r}; choose {', '.join(SCALERS)}")
    if cfg.epochs < 1 or cfg.batch_size < 1 or cfg.max_batches < 1:
        raise InputError("--epochs, --batch-size and --max-batches must be at least 1")
    if not (cfg.lr > 0 and math.isfinite(cfg.lr)):
        raise InputError("--lr must be a positive number")
    if cfg.clip_norm < 0:
        raise InputError("--clip-norm must be >= 0 (0 disables clipping)")
    if cfg.val_size is not None and cfg.val_size < 1:
        # Without validation windows the validation loss is 0 every epoch, so early stopping
        # would silently keep the first epoch's weights.
        raise InputError("--val-size must be at least 1 (early stopping needs validation points)")
    if cfg.test_size is not None and cfg.test_size < 0:
        raise InputError("the test size must be >= 0")
    if not 0.0 <= cfg.teacher_forcing <= 1.0:
        raise InputError("--teacher-forcing must be between 0 and 1")
    if cfg.device not in ("auto", "cpu", "cuda"):
        raise InputError("--device must be auto, cpu or cuda")


@dataclass
class TrainResult:
    """What a run produced: the scaled model, its scaler, the split, and the run's record."""

    model: Scaled
    model_cfg: ModelConfig
    train_cfg: TrainConfig
    scaler: ScalerParams
    split: Split
    history: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)


Progress = Callable[[dict], None]


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda was asked for but no CUDA GPU is available; use cpu")
    return torch.device(name)


def fit(
    panel: Panel,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    progress: Progress | None = None,
) -> TrainResult:
    """Train ``model_cfg`` on every series of ``panel`` (a global model) and return the result.

    The test part of each series (its last ``test_size`` points) is cut off first and never
    seen: not by the scaler, not by training, not by early stopping.
    """
    try:
        validate_config(model_cfg)
    except ValueError as err:
        raise InputError(str(err)) from None
    validate_train_config(train_cfg)
    split = split_panel(
        panel, model_cfg.window, model_cfg.horizon, train_cfg.val_size, train_cfg.test_size
    )
    scaler = fit_scaler(train_cfg.scaler, panel.y, split.start, split.train_end)
    device = resolve_device(train_cfg.device)
    torch.set_num_threads(max(1, train_cfg.threads))

    z = torch.from_numpy(scaler.transform_panel(panel.y, panel.offsets).astype(np.float32))
    z = z.to(device)
    train_starts = torch.from_numpy(train_window_starts(split)).to(device)
    val_starts = torch.from_numpy(val_window_starts(split)).to(device)
    if len(train_starts) == 0:
        raise InputError("no training windows: the series are too short for this window")
    if len(val_starts) == 0:
        raise InputError("no validation windows: use a larger --val-size")

    t0 = time.perf_counter()
    member_cfg = ModelConfig.from_dict({**model_cfg.to_dict(), "ensemble": 1})
    members, histories = [], []
    for k in range(model_cfg.ensemble):
        member, hist = _train_one(
            member_cfg,
            train_cfg,
            z,
            train_starts,
            val_starts,
            train_cfg.seed + k,
            device,
            progress,
            member_index=k,
            members=model_cfg.ensemble,
        )
        members.append(member)
        histories.append(hist)
    model = members[0] if len(members) == 1 else _ensemble(members)
    model = model.to("cpu").eval()
    scaled = Scaled(model, torch.from_numpy(scaler.loc), torch.from_numpy(scaler.scale)).eval()

    history = histories[0] if len(histories) == 1 else {"members": histories}
    summary = _summarise(histories, time.perf_counter() - t0, train_cfg, device, split)
    return TrainResult(scaled, model_cfg, train_cfg, scaler, split, history, summary)


def _ensemble(members: list[nn.Module]) -> nn.Module:
    from forecastr.models import Ensemble

    return Ensemble(members)  # type: ignore[arg-type]


def _loss_fn(name: str) -> nn.Module:
    return {"mse": nn.MSELoss(), "mae": nn.L1Loss(), "huber": nn.HuberLoss(delta=1.0)}[name]


def _train_one(
    cfg: ModelConfig,
    tc: TrainConfig,
    z: torch.Tensor,
    train_starts: torch.Tensor,
    val_starts: torch.Tensor,
    seed: int,
    device: torch.device,
    progress: Progress | None,
    member_index: int,
    members: int,
) -> tuple[nn.Module, dict]:
    torch.manual_seed(seed)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    model: Any = build(cfg).to(device)  # a Forecaster (members train one at a time)
    opt = torch.optim.AdamW(model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    n_train = len(train_starts)
    per_epoch = min(tc.max_batches, math.ceil(n_train / tc.batch_size))
    sched = _schedule(opt, tc.lr, tc.epochs * per_epoch)
    loss_fn = _loss_fn(tc.loss)
    span = torch.arange(cfg.window + cfg.horizon, device=device)
    w = cfg.window
    clip = tc.clip_norm if tc.clip_norm > 0 else float("inf")
    seq2seq = cfg.decoder == "seq2seq"

    history: dict[str, Any] = {"train_loss": [], "val_loss": [], "lr": [], "teacher_forcing": []}
    norms: list[torch.Tensor] = []
    best = (math.inf, -1, copy.deepcopy(model.state_dict()))
    stale = 0
    for epoch in range(tc.epochs):
        ratio = _teacher_ratio(tc, epoch) if seq2seq else 0.0
        model.train()
        order = torch.randperm(n_train, generator=gen)[: per_epoch * tc.batch_size].to(device)
        epoch_norms = torch.empty(per_epoch, device=device)
        loss_sum = torch.zeros((), device=device)
        steps = 0
        for b in range(per_epoch):
            idx = order[b * tc.batch_size : (b + 1) * tc.batch_size]
            if len(idx) == 0:
                break
            block = z[train_starts[idx, None] + span]  # (B, W + H), gathered by index
            x, y = block[:, :w], block[:, w:]
            pred = model.forward_teacher(x, y, ratio) if seq2seq else model(x)
            loss = loss_fn(pred, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            epoch_norms[b] = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            sched.step()
            loss_sum += loss.detach()
            steps += 1
        norms.append(epoch_norms[:steps].cpu())
        train_loss = float(loss_sum) / max(steps, 1)  # one host sync per epoch
        if not math.isfinite(train_loss):
            raise TrainingError(
                f"the training loss became {train_loss} in epoch {epoch + 1}; lower --lr "
                f"(now {tc.lr:g}) or keep gradient clipping on (--clip-norm 1.0); no model written"
            )
        val_loss = _evaluate(model, z, val_starts, span, w, loss_fn)
        if not math.isfinite(val_loss):
            raise TrainingError(
                f"the validation loss became {val_loss} in epoch {epoch + 1} (the weights "
                f"diverged); lower --lr (now {tc.lr:g}) or keep gradient clipping on "
                "(--clip-norm 1.0); no model written"
            )
        history["train_loss"].append(train_loss)
        history["val_loss"].append(val_loss)
        history["lr"].append(sched.get_last_lr()[0])
        history["teacher_forcing"].append(ratio)
        improved = val_loss < best[0] - 1e-7
        if improved:
            best = (val_loss, epoch, copy.deepcopy(model.state_dict()))
            stale = 0
        else:
            stale += 1
        if progress is not None:
            progress(
                {
                    "event": "epoch",
                    "member": member_index,
                    "members": members,
                    "epoch": epoch + 1,
                    "epochs": tc.epochs,
                    "train_loss": train_loss,
                    "val_loss": val_loss,
                    "grad_norm": float(norms[-1].median()) if steps else float("nan"),
                    "best_epoch": best[1] + 1,
                }
            )
        if stale >= tc.patience:
            break
    model.load_state_dict(best[2])
    all_norms = torch.cat(norms).numpy() if norms else np.zeros(0)
    history["grad_norm"] = all_norms.tolist()
    history["best_epoch"] = best[1] + 1
    history["best_val_loss"] = best[0]
    history["epochs_run"] = len(history["train_loss"])
    history["clipped_share"] = float(np.mean(all_norms > clip)) if len(all_norms) else 0.0
    return model, history


def _schedule(opt: torch.optim.Optimizer, lr: float, total: int):
    """One-cycle: 10% warm-up to ``lr``, cosine decay. Very short runs (a handful of steps,
    where a warm-up of under two steps breaks OneCycleLR) keep a constant rate."""
    if total < 10:
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)
    return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=0.1)


def _teacher_ratio(tc: TrainConfig, epoch: int) -> float:
    if not tc.teacher_forcing_decay or tc.epochs <= 1:
        return tc.teacher_forcing
    return tc.teacher_forcing * max(0.0, 1.0 - epoch / (tc.epochs - 1))


@torch.no_grad()
def _evaluate(model, z, starts, span, w, loss_fn, chunk: int = 4096) -> float:
    """Mean validation loss over all validation windows (the decoder feeds itself)."""
    model.eval()
    total = torch.zeros((), device=z.device)
    n = 0
    for i in range(0, len(starts), chunk):
        block = z[starts[i : i + chunk, None] + span]
        pred = model(block[:, :w])
        total += loss_fn(pred, block[:, w:]) * len(block)
        n += len(block)
    return float(total) / max(n, 1)


def _summarise(histories, seconds, tc, device, split) -> dict:
    norms = np.concatenate([np.asarray(h["grad_norm"]) for h in histories])
    clip = tc.clip_norm if tc.clip_norm > 0 else math.inf
    return {
        "epochs_run": [h["epochs_run"] for h in histories],
        "best_epoch": [h["best_epoch"] for h in histories],
        "best_val_loss": [h["best_val_loss"] for h in histories],
        "seconds": seconds,
        "steps": len(norms),
        "grad_norm_median": float(np.median(norms)) if len(norms) else 0.0,
        "grad_norm_max": float(np.max(norms)) if len(norms) else 0.0,
        "clipped_share": float(np.mean(norms > clip)) if len(norms) else 0.0,
        "clip_norm": tc.clip_norm,
        "device": str(device),
        "train_windows": int(
            np.sum(np.maximum(split.train_end - split.start - split.window - split.horizon + 1, 0))
        ),
    }
