"""A training run's record: each epoch's progress event, each member's history, and the
run's summary (``train.py`` trains; this keeps the numbers it reports)."""

from __future__ import annotations

import math

import numpy as np
import torch


def finish(history: dict, norms: list[torch.Tensor], best: tuple, clip: float) -> dict:
    """The member's history, with its gradient norms and the epoch whose weights it kept."""
    all_norms = torch.cat(norms).numpy() if norms else np.zeros(0)
    history["grad_norm"] = all_norms.tolist()
    history["best_epoch"] = best[1] + 1
    history["best_val_loss"] = best[0]
    history["epochs_run"] = len(history["train_loss"])
    history["clipped_share"] = float(np.mean(all_norms > clip)) if len(all_norms) else 0.0
    return history


def report_epoch(progress, member, members, epoch, total, train_loss, val_loss, norms, best_epoch):
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


def summarise(histories, seconds, tc, device) -> dict:
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
    }
