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
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from forecastr.batches import DeviceWindows
from forecastr.cellchoice import first_members
from forecastr.config import DEVICES, LOSS_SCALES, LOSSES, SCALERS, TrainConfig, choices_text
from forecastr.errors import InputError, TrainingError
from forecastr.intervals import Calibration
from forecastr.longer import trained_for
from forecastr.losses import Pinball, series_weights
from forecastr.models import (
    INFERENCE_CHUNK,
    ModelConfig,
    Scaled,
    build,
    head_taus,
    narrowed,
    validate_config,
)
from forecastr.panel import Panel
from forecastr.parallel import Job, runner, workers_for
from forecastr.runlog import finish, report_epoch, summarise
from forecastr.scaling import ScalerParams, fit_scaler
from forecastr.windows import (
    Split,
    check_some_series_fills_the_window,
    split_panel,
    train_window_starts,
    val_window_starts,
)

# Validation windows scored per epoch at most, evenly spaced over the series (scoring all, one
# per validation point of every series, cost more than an epoch's training). 1,024 made early
# stopping noisier: Tourism yearly (horizon 6) ran 83-92 epochs instead of 22-30, 3x the time.
MAX_VAL_WINDOWS = 4096


def validate_train_config(cfg: TrainConfig) -> None:
    if cfg.loss not in LOSSES:
        raise InputError(f"unknown --loss {cfg.loss!r}; choose {choices_text(LOSSES)}")
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
        raise InputError(
            f"unknown --loss-scale {cfg.loss_scale!r}; choose {choices_text(LOSS_SCALES)}"
        )
    if cfg.device not in DEVICES:
        raise InputError(f"--device must be {choices_text(DEVICES)}")
    if cfg.jobs < 0:
        raise InputError("--jobs must be at least 0 (0: one worker per core, 1: none)")


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
    # Conformal shifts of the quantiles (None: a point model); a refit's are its holdout's,
    # matched to its own head (calibration.transfer).
    calibration: Calibration | None = None


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
    served, model_cfg, train_cfg = model_cfg.horizon, *trained_for(model_cfg, train_cfg)
    split = _cut(panel, model_cfg, train_cfg)
    # A series with no training point is scaled by its first point (never a test point).
    scaler = fit_scaler(
        train_cfg.scaler, panel.y, split.start, np.maximum(split.train_end, split.start + 1)
    )
    device = resolve_device(train_cfg.device)
    torch.set_num_threads(max(1, train_cfg.threads))
    z = _scaled_values(panel, scaler).to(device)
    train_np, val_np = _window_starts(split, refit=epochs is not None)
    weights = series_weights(panel.y, split, scaler) if train_cfg.loss_scale == "mase" else None
    train_w = DeviceWindows.of(split, train_np, split.train_end, device, weights)
    val_w = DeviceWindows.of(split, val_np, split.val_end, device, weights)

    t0 = time.perf_counter()
    context = MemberContext(train_cfg, z, train_w, val_w, device, epochs)
    budget = batches_per_epoch(len(train_np), train_cfg)  # steps a member may run
    budget *= train_cfg.epochs if epochs is None else max(1, max(epochs, default=1))
    workers = workers_for(train_cfg.jobs, train_cfg.threads, device.type, budget)
    with runner(train_member, context, workers, train_cfg.threads, progress) as run:
        first = first_members(model_cfg, train_cfg, epochs is None, run)
        model_cfg, trained, choice, done = first.cfg, first.trained, first.choice, first.runs
        member_cfg, kept = replace(model_cfg, ensemble=1), len(trained)
        total = done + model_cfg.ensemble - kept
        jobs = [
            Job(member_cfg, k, done + k - kept, total, cost=0 if epochs is None else epochs[k])
            for k in range(kept, model_cfg.ensemble)
        ]
        trained += [got for got in run(jobs) if not isinstance(got, TrainingError)]
    members, histories = [m for m, _ in trained], [h for _, h in trained]
    model = members[0] if len(members) == 1 else _ensemble(members)
    model = model.to("cpu").eval()
    if model_cfg.horizon > served:  # trained for more steps: the first ones are served
        model, split = narrowed(model, served), replace(split, horizon=served)
        model_cfg = replace(model_cfg, horizon=served)
    scaled = Scaled(model, torch.from_numpy(scaler.loc), torch.from_numpy(scaler.scale)).eval()

    calibration = (
        None if epochs is not None else _calibrate(scaled, model_cfg, panel, split, scaler)
    )
    history = histories[0] if len(histories) == 1 else {"members": histories}
    summary = summarise(histories, time.perf_counter() - t0, train_cfg, device)
    summary["train_windows"] = len(train_np)
    if choice:
        summary["cell_choice"] = choice
    summary["short_series"] = int(split.short.sum())
    if served < (train_cfg.train_horizon or 0):
        summary["train_horizon"] = train_cfg.train_horizon  # its first `served` steps kept
    return TrainResult(scaled, model_cfg, asked, scaler, split, history, summary, calibration)


@dataclass(frozen=True)
class MemberContext:
    """What every member of one fit trains on (a worker process gets it once)."""

    train_cfg: TrainConfig
    z: torch.Tensor
    train_w: DeviceWindows
    val_w: DeviceWindows
    device: torch.device
    epochs: list[int] | None  # the refit's epochs per member, or None (early stopping)


def train_member(ctx: MemberContext, job: Job, progress: Progress | None) -> tuple[nn.Module, dict]:
    """Train member ``job.k`` of ``job.cfg`` (seed + k); in this process or a worker's."""
    fixed = None if ctx.epochs is None else max(1, int(ctx.epochs[job.k]))
    told = None if progress is None else lambda ev: progress({**ev, "cell": job.cfg.cell})
    tc = ctx.train_cfg
    return _train_one(
        job.cfg, tc, ctx.z, ctx.train_w, ctx.val_w, tc.seed + job.k, ctx.device, told,
        member_index=job.index, members=job.total, fixed_epochs=fixed,
    )  # fmt: skip


def batches_per_epoch(n_train: int, tc: TrainConfig) -> int:
    """Batches an epoch of ``n_train`` training windows runs: a sweep, at most
    ``tc.max_batches`` (large data sets are sampled, not swept)."""
    return min(tc.max_batches, math.ceil(n_train / tc.batch_size))


def _cut(panel: Panel, cfg: ModelConfig, tcfg: TrainConfig) -> Split:
    """Each series cut into training, validation and test parts (``windows.split_panel``)."""
    split = split_panel(panel, cfg.window, cfg.horizon, tcfg.val_size, tcfg.test_size, pad=True)
    check_some_series_fills_the_window(split)
    return split


def _calibrate(
    scaled: Scaled, cfg: ModelConfig, panel: Panel, split: Split, scaler: ScalerParams
) -> Calibration | None:
    """The conformal calibration of a model with quantiles on its validation windows (set on
    ``scaled``), or None for a point model."""
    taus = head_taus(cfg)
    if not taus:
        return None
    from forecastr.calibration import calibrate

    return calibrate(scaled, panel.y, split, scaler, taus)


def _scaled_values(panel: Panel, scaler: ScalerParams) -> torch.Tensor:
    """Every value of ``panel`` in its series' scaled units, float32; refused when the data's
    magnitude does not survive scaling (the cause is the data's scale, not the rate)."""
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        z = torch.from_numpy(scaler.transform_panel(panel.y, panel.offsets).astype(np.float32))
    if not bool(torch.isfinite(z).all()):
        raise InputError(
            "the values cannot be scaled for training (largest magnitude "
            f"{float(np.max(np.abs(panel.y))):.3g}, smallest non-zero "
            f"{_smallest_nonzero(panel.y):.3g}); divide or multiply them by a power of ten"
        )
    return z


def _window_starts(split: Split, refit: bool) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation window starts (a refit has no validation windows); at most
    :data:`MAX_VAL_WINDOWS` validation windows, evenly spaced so every series keeps its share."""
    train_np, val_np = train_window_starts(split), val_window_starts(split)
    if len(train_np) == 0:
        raise InputError(
            "no training windows: every series is too short for this window and horizon; "
            "use a smaller --window or --horizon"
        )
    if len(val_np) == 0 and not refit:
        raise InputError("no validation windows: use a larger --val-size")
    if len(val_np) > MAX_VAL_WINDOWS:
        val_np = val_np[np.linspace(0, len(val_np) - 1, MAX_VAL_WINDOWS).round().astype(np.int64)]
    return train_np, val_np


def _smallest_nonzero(y: np.ndarray) -> float:
    mags = np.abs(y[y != 0])
    return float(mags.min()) if len(mags) else 0.0


def _ensemble(members: list[nn.Module]) -> nn.Module:
    from forecastr.models import Ensemble

    return Ensemble(members)  # type: ignore[arg-type]


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
    train_w: DeviceWindows,
    val_w: DeviceWindows,
    seed: int,
    device: torch.device,
    progress: Progress | None,
    member_index: int,
    members: int,
    fixed_epochs: int | None = None,
) -> tuple[nn.Module, dict]:
    torch.manual_seed(seed)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    model: Any = build(cfg).to(device)  # a ForecastNet (members train one at a time)
    n_train = len(train_w)
    per_epoch = batches_per_epoch(n_train, tc)
    step = _Step.of(model, cfg, tc, (fixed_epochs or tc.epochs) * per_epoch, device)
    sched, seq2seq = step.sched, step.seq2seq
    history: dict[str, Any] = {"train_loss": [], "val_loss": [], "lr": [], "teacher_forcing": []}
    norms: list[torch.Tensor] = []
    best = (math.inf, -1, copy.deepcopy(model.state_dict()))
    stale = 0
    for epoch in range(tc.epochs if fixed_epochs is None else min(fixed_epochs, tc.epochs)):
        ratio = _teacher_ratio(tc, epoch) if seq2seq else 0.0
        model.train()
        order = torch.randperm(n_train, generator=gen)[: per_epoch * tc.batch_size].to(device)
        train_loss, epoch_norms = _run_epoch(step, z, train_w, order, per_epoch, tc, ratio)
        norms.append(epoch_norms)
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
            report_epoch(
                progress, member_index, members, epoch, fixed_epochs, train_loss, None, norms, epoch
            )
            continue
        val_loss = _evaluate(model, z, val_w, step.span, step.window, step.loss_fn, step.point_fn)
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
        report_epoch(
            progress, member_index, members, epoch, tc.epochs, train_loss, val_loss, norms, best[1]
        )
        if stale >= tc.patience:
            break
    if best[2] is not None:
        model.load_state_dict(best[2])
    return model, finish(history, norms, best, step.clip)


@dataclass(frozen=True)
class _Step:
    """What one optimisation step of a member needs."""

    model: Any  # a ForecastNet, in training mode
    opt: torch.optim.Optimizer
    sched: Any  # the learning-rate schedule, stepped once per batch
    loss_fn: nn.Module
    point_fn: nn.Module  # the same loss, unreduced (masked targets, per-series weights)
    span: torch.Tensor  # (W + H,) offsets of a window's points from its start
    window: int
    clip: float  # max gradient norm (inf: no clipping)
    seq2seq: bool  # train with teacher forcing
    point_params: list  # the point network's parameters (clipped together)
    quantile_params: list  # the quantile head's (clipped on their own); [] without one
    pinball: nn.Module | None  # the quantile head's loss, None without one
    pinball_none: nn.Module | None  # the same, unreduced (B, H)

    @classmethod
    def of(
        cls, model: Any, cfg: ModelConfig, tc: TrainConfig, total: int, device: torch.device
    ) -> _Step:
        """AdamW and a one-cycle schedule over ``total`` steps for ``model``.

        The refit runs a whole one-cycle over its fixed epochs, so its last weights are
        annealed: cut at the holdout's best epoch, the holdout's own schedule would still be
        near its peak rate there (the holdout picks its best epoch on validation; the refit
        cannot)."""
        # foreach: one batched update over the parameter tensors instead of a loop over them;
        # the same arithmetic (bit for bit), 0.71-0.84x the step's time on CPU, where torch
        # defaults to the loop (docs/benchmarks.md, "The optimizer step")
        opt = torch.optim.AdamW(
            model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay, foreach=True
        )
        point_params = model.point_parameters()
        head = model.quantile_head
        taus = head_taus(cfg)
        return cls(
            model,
            opt,
            _schedule(opt, tc.lr, total),
            _loss_fn(tc.loss),
            _point_loss_fn(tc.loss),
            torch.arange(cfg.window + cfg.horizon, device=device),
            cfg.window,
            tc.clip_norm if tc.clip_norm > 0 else float("inf"),
            cfg.decoder == "seq2seq",
            point_params,
            [] if head is None else list(head.parameters()),
            Pinball(taus).to(device) if taus else None,
            Pinball(taus, reduction="none").to(device) if taus else None,
        )


def _run_epoch(
    s: _Step,
    z: torch.Tensor,
    train_w: DeviceWindows,
    order: torch.Tensor,
    per_epoch: int,
    tc: TrainConfig,
    ratio: float,
) -> tuple[float, torch.Tensor]:
    """One epoch over the windows ``order`` picks: (mean training loss, (steps,) gradient
    norms before clipping, on the CPU)."""
    w = s.window
    epoch_norms = torch.empty(per_epoch, device=z.device)
    loss_sum = torch.zeros((), device=z.device)
    steps = 0
    for b in range(per_epoch):
        idx = order[b * tc.batch_size : (b + 1) * tc.batch_size]
        if len(idx) == 0:
            break
        block, mask = train_w.block(z, idx, s.span)  # (B, W + H), gathered by index
        x, y = block[:, :w], block[:, w:]
        pred = s.model.forward_teacher(x, y, ratio) if s.seq2seq else s.model(x)
        target_mask = None if mask is None else mask[:, w:]
        loss = train_w.loss(s.loss_fn, s.point_fn, _point(pred), y, idx, target_mask)
        if s.pinball is not None:  # the quantile head learns from its own loss alone
            loss = loss + train_w.loss(
                s.pinball, s.pinball_none, pred[..., 1:], y, idx, target_mask
            )
        s.opt.zero_grad(set_to_none=True)
        loss.backward()
        epoch_norms[b] = torch.nn.utils.clip_grad_norm_(s.point_params, s.clip)
        if s.quantile_params:  # clipped on their own: the point network's steps stay as they were
            torch.nn.utils.clip_grad_norm_(s.quantile_params, s.clip)
        s.opt.step()
        s.sched.step()
        loss_sum += loss.detach()
        steps += 1
    norms = epoch_norms[:steps].cpu()
    return float(loss_sum) / max(steps, 1), norms  # one host sync per epoch


def _point(pred: torch.Tensor) -> torch.Tensor:
    """The point forecast (B, H) of a network's output, with or without quantiles."""
    return pred if pred.dim() == 2 else pred[..., 0]


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


@torch.no_grad()
def _evaluate(model, z, windows: DeviceWindows, span, w, loss_fn, point_fn) -> float:
    """Mean validation loss over all validation windows (the decoder feeds itself). The
    forecasts are made a block at a time (cache-sized blocks on the CPU) and scored together,
    so the loss does not depend on the block size."""
    model.eval()
    chunk = INFERENCE_CHUNK if z.device.type == "cpu" else MAX_VAL_WINDOWS
    preds, targets = [], []
    for i in range(0, len(windows), chunk):
        block, _ = windows.block(z, slice(i, i + chunk), span)  # validation windows are whole
        preds.append(_point(model(block[:, :w])))  # early stopping watches the point alone
        targets.append(block[:, w:])
    if not preds:
        return 0.0
    n = len(windows)
    total = windows.loss(loss_fn, point_fn, torch.cat(preds), torch.cat(targets), slice(0, n), None)
    return float(total * n) / n  # the float32 sum over windows, then the mean
