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
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from forecastr import defaults
from forecastr.errors import InputError, SeriesTooShortError, TrainingError
from forecastr.models import ModelConfig, Scaled, build, validate_config
from forecastr.panel import Panel, mean_abs_change
from forecastr.scaling import SCALERS, ScalerParams, fit_scaler
from forecastr.windows import (
    Split,
    split_panel,
    train_window_starts,
    val_window_starts,
    window_series,
)

LOSSES = ("mse", "mae", "huber")
LOSS_SCALES = ("mase", "none")
# Validation windows scored per epoch at most: beyond a few thousand the early-stopping signal
# is no steadier, and scoring all of them (one per validation point of every series) cost more
# than the epoch's training on files of thousands of series.
MAX_VAL_WINDOWS = 4096


@dataclass(frozen=True)
class TrainConfig:
    """How to train; every default is documented in ``forecastr train --help``."""

    epochs: int = 100  # upper bound; early stopping usually ends sooner
    batch_size: int = 64
    lr: float = 3e-3  # peak of the one-cycle schedule
    weight_decay: float = 1e-4  # AdamW
    loss: str = "mae"  # mse | mae | huber, in per-series scaled units
    clip_norm: float = 1.0  # max global gradient norm; 0 disables clipping
    patience: int = 10  # epochs without validation improvement before stopping
    max_batches: int = 50  # per epoch: large data sets are sampled, not swept
    scaler: str = "standard"  # per-series scaler fitted on the training part
    val_size: int | None = None  # validation points per series; None: horizon
    test_size: int | None = None  # held-out test points per series; None: horizon
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    threads: int = 1  # torch intra-op threads (1 measured fastest and steadiest here)
    teacher_forcing: float = 0.5  # seq2seq: probability of feeding the true previous value
    teacher_forcing_decay: bool = False  # seq2seq: decay the ratio linearly to 0
    # Per-series weight of the loss: "mase" weighs each series' errors by 1 / its in-sample
    # naive MAE (what MASE divides by), so a smooth trending series counts as much as a noisy
    # one; "none" leaves them in the scaler's units.
    loss_scale: str = defaults.LOSS_SCALE

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
    if cfg.loss_scale not in LOSS_SCALES:
        raise InputError(f"unknown --loss-scale {cfg.loss_scale!r}; choose mase or none")
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
    *,
    epochs: list[int] | None = None,
) -> TrainResult:
    """Train ``model_cfg`` on every series of ``panel`` (a global model) and return the result.

    The test part of each series (its last ``test_size`` points) is cut off first and never
    seen: not by the scaler, not by training, not by early stopping. Series too short for a
    full window are padded (``windows.split_panel``); a series with no window at all is still
    scaled and forecast from its padded history, by the model the other series trained.

    Args:
        epochs: the refit mode: train member ``k`` for exactly ``epochs[k]`` epochs on every
            point of every series (no validation, no test part, no early stopping), with the
            same one-cycle schedule as the run whose early stopping chose those epochs.
    """
    try:
        validate_config(model_cfg)
    except ValueError as err:
        raise InputError(str(err)) from None
    validate_train_config(train_cfg)
    asked = train_cfg  # stored with the result: what a refit per fold must retrain
    if epochs is not None:
        train_cfg = replace(train_cfg, val_size=0, test_size=0)
    split = split_panel(
        panel,
        model_cfg.window,
        model_cfg.horizon,
        train_cfg.val_size,
        train_cfg.test_size,
        pad=True,
    )
    _check_some_series_fills_the_window(split)
    # A series with no training point is scaled by its first point (never a test point).
    scaler = fit_scaler(
        train_cfg.scaler, panel.y, split.start, np.maximum(split.train_end, split.start + 1)
    )
    device = resolve_device(train_cfg.device)
    torch.set_num_threads(max(1, train_cfg.threads))

    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        z = torch.from_numpy(scaler.transform_panel(panel.y, panel.offsets).astype(np.float32))
    if not bool(torch.isfinite(z).all()):  # the cause is the data's scale, not the rate
        raise InputError(
            "the values cannot be scaled for training (largest magnitude "
            f"{float(np.max(np.abs(panel.y))):.3g}, smallest non-zero "
            f"{_smallest_nonzero(panel.y):.3g}); divide or multiply them by a power of ten"
        )
    z = z.to(device)
    train_np, val_np = train_window_starts(split), val_window_starts(split)
    if len(train_np) == 0:
        raise InputError(
            "no training windows: every series is too short for this window and horizon; "
            "use a smaller --window or --horizon"
        )
    if len(val_np) == 0 and epochs is None:
        raise InputError("no validation windows: use a larger --val-size")
    if len(val_np) > MAX_VAL_WINDOWS:  # evenly spaced, so every series keeps its share
        val_np = val_np[np.linspace(0, len(val_np) - 1, MAX_VAL_WINDOWS).round().astype(np.int64)]
    weights = series_weights(panel.y, split, scaler) if train_cfg.loss_scale == "mase" else None
    train_w = _Windows.of(split, train_np, split.train_end, device, weights)
    val_w = _Windows.of(split, val_np, split.val_end, device, weights)

    t0 = time.perf_counter()
    member_cfg = ModelConfig.from_dict({**model_cfg.to_dict(), "ensemble": 1})
    members, histories = [], []
    for k in range(model_cfg.ensemble):
        member, hist = _train_one(
            member_cfg,
            train_cfg,
            z,
            train_w,
            val_w,
            train_cfg.seed + k,
            device,
            progress,
            member_index=k,
            members=model_cfg.ensemble,
            fixed_epochs=None if epochs is None else max(1, int(epochs[k])),
        )
        members.append(member)
        histories.append(hist)
    model = members[0] if len(members) == 1 else _ensemble(members)
    model = model.to("cpu").eval()
    scaled = Scaled(model, torch.from_numpy(scaler.loc), torch.from_numpy(scaler.scale)).eval()

    history = histories[0] if len(histories) == 1 else {"members": histories}
    summary = _summarise(histories, time.perf_counter() - t0, train_cfg, device, split)
    summary["train_windows"] = len(train_np)
    summary["short_series"] = int(split.short.sum())
    return TrainResult(scaled, model_cfg, asked, scaler, split, history, summary)


def _smallest_nonzero(y: np.ndarray) -> float:
    mags = np.abs(y[y != 0])
    return float(mags.min()) if len(mags) else 0.0


def _check_some_series_fills_the_window(split: Split) -> None:
    """Padding serves the short series of a file, not a window longer than all of them."""
    longest = int((split.train_end - split.start).max()) if split.n_series else 0
    if longest < split.window:
        raise SeriesTooShortError(
            f"--window {split.window} is longer than every series' training part (the longest "
            f"has {longest} points, before validation and test); use a smaller --window"
        )


@dataclass(frozen=True)
class _Windows:
    """Window start indices with the bounds each may read, on the training device."""

    starts: torch.Tensor  # (n,) global index of each window's first input point
    firsts: torch.Tensor  # (n,) first point of its series (padded starts lie before it)
    lasts: torch.Tensor  # (n,) last point its part may read (targets of short series stop here)
    partial: bool  # whether any target runs past its part (then the loss is masked)
    weight: torch.Tensor | None  # (n,) loss weight of each window's series, or None (all 1)

    @classmethod
    def of(
        cls,
        split: Split,
        starts: np.ndarray,
        part_end: np.ndarray,
        device: torch.device,
        series_weight: np.ndarray | None = None,
    ) -> _Windows:
        series = window_series(split, starts) if len(starts) else starts
        firsts, lasts = split.start[series], part_end[series] - 1
        partial = bool(np.any(starts + split.window + split.horizon - 1 > lasts))
        as_tensor = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(device)  # noqa: E731
        weight = None
        if series_weight is not None:
            weight = as_tensor(series_weight[series].astype(np.float32))
        return cls(as_tensor(starts), as_tensor(firsts), as_tensor(lasts), partial, weight)

    def loss(self, loss_fn, point_fn, pred, y, idx, mask) -> torch.Tensor:
        """Mean loss of windows ``idx``: over readable target points, weighted per series."""
        if mask is None and self.weight is None:
            return loss_fn(pred, y)
        per_point = point_fn(pred, y)  # (B, H), the same loss unreduced
        if self.weight is not None:
            per_point = per_point * self.weight[idx][:, None]
        if mask is None:
            return per_point.mean()
        return (per_point * mask).sum() / mask.sum().clamp_min(1)

    def __len__(self) -> int:
        return len(self.starts)

    def block(self, z: torch.Tensor, idx: torch.Tensor | slice, span: torch.Tensor):
        """(B, W + H) values of windows ``idx`` (padded windows repeat the first value; points
        past a part's end are never read), and the (B, W + H) mask of readable points, or None
        when every window is whole."""
        pos = self.starts[idx][:, None] + span
        last = self.lasts[idx][:, None]
        gathered = z[torch.minimum(torch.maximum(pos, self.firsts[idx][:, None]), last)]
        return gathered, (pos <= last) if self.partial else None


def _ensemble(members: list[nn.Module]) -> nn.Module:
    from forecastr.models import Ensemble

    return Ensemble(members)  # type: ignore[arg-type]


def series_weights(y: np.ndarray, split: Split, scaler: ScalerParams) -> np.ndarray:
    """(S,) loss weight per series for ``loss_scale="mase"``: scaler scale / in-sample naive
    MAE of the training part (so scaled errors become MASE-like units), clipped to 10x the
    median and normalised to mean 1. Series without two training points weigh the median."""
    mad = mean_abs_change(y, split.start, split.train_end)  # (S,) NaN under two points
    with np.errstate(divide="ignore", invalid="ignore"):
        w = scaler.scale / mad
    ok = np.isfinite(w) & (w > 0)
    median = float(np.median(w[ok])) if ok.any() else 1.0
    w = np.clip(np.where(ok, w, median), 0.0, 10.0 * median)
    return w / w.mean() if w.mean() > 0 else np.ones_like(w)


def _loss_fn(name: str) -> nn.Module:
    return {"mse": nn.MSELoss(), "mae": nn.L1Loss(), "huber": nn.HuberLoss(delta=1.0)}[name]


def _point_loss_fn(name: str) -> nn.Module:
    """The same loss, unreduced, (B, H): for masked targets and per-series weights."""
    none = "none"
    return {
        "mse": nn.MSELoss(reduction=none),
        "mae": nn.L1Loss(reduction=none),
        "huber": nn.HuberLoss(delta=1.0, reduction=none),
    }[name]


def _train_one(
    cfg: ModelConfig,
    tc: TrainConfig,
    z: torch.Tensor,
    train_w: _Windows,
    val_w: _Windows,
    seed: int,
    device: torch.device,
    progress: Progress | None,
    member_index: int,
    members: int,
    fixed_epochs: int | None = None,
) -> tuple[nn.Module, dict]:
    torch.manual_seed(seed)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    model: Any = build(cfg).to(device)  # a Forecaster (members train one at a time)
    opt = torch.optim.AdamW(model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    n_train = len(train_w)
    per_epoch = min(tc.max_batches, math.ceil(n_train / tc.batch_size))
    # The refit runs a whole one-cycle over its fixed epochs, so its last weights are annealed:
    # cut at the holdout's best epoch, the holdout's own schedule would still be near its
    # peak rate there (the holdout picks its best epoch on validation; the refit cannot).
    sched = _schedule(opt, tc.lr, (fixed_epochs or tc.epochs) * per_epoch)
    loss_fn, point_fn = _loss_fn(tc.loss), _point_loss_fn(tc.loss)
    span = torch.arange(cfg.window + cfg.horizon, device=device)
    w = cfg.window
    clip = tc.clip_norm if tc.clip_norm > 0 else float("inf")
    seq2seq = cfg.decoder == "seq2seq"

    history: dict[str, Any] = {"train_loss": [], "val_loss": [], "lr": [], "teacher_forcing": []}
    norms: list[torch.Tensor] = []
    best = (math.inf, -1, copy.deepcopy(model.state_dict()))
    stale = 0
    for epoch in range(tc.epochs if fixed_epochs is None else min(fixed_epochs, tc.epochs)):
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
            block, mask = train_w.block(z, idx, span)  # (B, W + H), gathered by index
            x, y = block[:, :w], block[:, w:]
            pred = model.forward_teacher(x, y, ratio) if seq2seq else model(x)
            target_mask = None if mask is None else mask[:, w:]
            loss = train_w.loss(loss_fn, point_fn, pred, y, idx, target_mask)
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
        if fixed_epochs is not None:  # refit: no validation; the last epoch's weights are kept
            history["train_loss"].append(train_loss)
            history["lr"].append(sched.get_last_lr()[0])
            history["teacher_forcing"].append(ratio)
            best = (math.nan, epoch, None)
            _report(
                progress, member_index, members, epoch, fixed_epochs, train_loss, None, norms, epoch
            )
            continue
        val_loss = _evaluate(model, z, val_w, span, w, loss_fn, point_fn)
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
        _report(
            progress, member_index, members, epoch, tc.epochs, train_loss, val_loss, norms, best[1]
        )
        if stale >= tc.patience:
            break
    if best[2] is not None:
        model.load_state_dict(best[2])
    all_norms = torch.cat(norms).numpy() if norms else np.zeros(0)
    history["grad_norm"] = all_norms.tolist()
    history["best_epoch"] = best[1] + 1
    history["best_val_loss"] = best[0]
    history["epochs_run"] = len(history["train_loss"])
    history["clipped_share"] = float(np.mean(all_norms > clip)) if len(all_norms) else 0.0
    return model, history


def _schedule(opt: torch.optim.Optimizer, lr: float, total: int):
    """One-cycle: 10% warm-up to ``lr``, cosine decay. Very short runs keep a constant rate:
    OneCycleLR divides by its warm-up length less one step, zero at exactly 10 steps."""
    if total <= 10:
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)
    return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=0.1)


def _teacher_ratio(tc: TrainConfig, epoch: int) -> float:
    if not tc.teacher_forcing_decay or tc.epochs <= 1:
        return tc.teacher_forcing
    return tc.teacher_forcing * max(0.0, 1.0 - epoch / (tc.epochs - 1))


def _report(progress, member, members, epoch, total, train_loss, val_loss, norms, best_epoch):
    """Send one epoch's progress event; ``val_loss`` None marks the refit run."""
    if progress is None:
        return
    progress(
        {
            "event": "epoch",
            "member": member,
            "members": members,
            "epoch": epoch + 1,
            "epochs": total,
            "phase": "refit" if val_loss is None else "holdout",
            "train_loss": train_loss,
            "val_loss": math.nan if val_loss is None else val_loss,
            "grad_norm": float(norms[-1].median()) if len(norms[-1]) else float("nan"),
            "best_epoch": best_epoch + 1,
        }
    )


@torch.no_grad()
def _evaluate(model, z, windows: _Windows, span, w, loss_fn, point_fn, chunk: int = 4096) -> float:
    """Mean validation loss over all validation windows (the decoder feeds itself)."""
    model.eval()
    total = torch.zeros((), device=z.device)
    n = 0
    for i in range(0, len(windows), chunk):
        rows = slice(i, i + chunk)
        block, _ = windows.block(z, rows, span)  # validation windows are whole
        pred = model(block[:, :w])
        total += windows.loss(loss_fn, point_fn, pred, block[:, w:], rows, None) * len(block)
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
