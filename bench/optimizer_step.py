"""Benchmark: the AdamW step alone, on the default networks' parameters, three ways.

``train`` updates each member with AdamW once per batch. On CPU, torch runs AdamW as a Python
loop over the parameter tensors unless asked otherwise (``foreach=None`` means the batched
``torch._foreach_*`` kernels on CUDA only). For the default network of a few file shapes (2
GRU layers x 64 hidden, direct head; windows and patches as ``train`` chooses them) this
times one ``step()`` with each of:

* ``loop``: ``foreach=False``, torch's CPU default before tree 5aee97f;
* ``foreach``: ``foreach=True``, what ``train`` uses since;
* ``fused``: ``fused=True``, one kernel, not bit-identical to the other two.

Each variant starts from the same weights and is fed the same gradients (random, fixed
seed), with weight decay and a learning rate as ``train`` sets them; after every timed run
the weights are compared with the loop's: "identical" means bit for bit. Rounds are
interleaved and medians taken, one torch thread (the CLI default)::

    .venv/bin/python bench/optimizer_step.py [--rounds 5 --steps 500]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch

from forecastr.models import ForecastNet, ModelConfig

SHAPES = {  # label -> (window, horizon, patch): what `train` chooses for such a file
    "yearly (window 12, horizon 6)": (12, 6, 1),
    "monthly (window 36, horizon 18)": (36, 18, 3),
    "hourly (window 168, horizon 24)": (168, 24, 24),
}
VARIANTS = {"loop": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True}}


def timed(net: torch.nn.Module, kw: dict, grads: list[list[torch.Tensor]], steps: int):
    """(ms per step, the weights after ``steps`` steps) of AdamW with ``kw`` on a copy."""
    model = copy.deepcopy(net)
    params = list(model.parameters())
    opt = torch.optim.AdamW(params, lr=3e-3, weight_decay=1e-4, **kw)
    start = time.perf_counter()
    for i in range(steps):
        for p, g in zip(params, grads[i % len(grads)], strict=True):
            p.grad = g
        opt.step()
    ms = (time.perf_counter() - start) / steps * 1e3
    return ms, torch.cat([p.detach().flatten() for p in params])


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    ap.add_argument("--steps", type=int, default=500, help="optimizer steps per round")
    args = ap.parse_args()
    torch.set_num_threads(1)
    head = ["network", "parameters (tensors)", "loop ms", "foreach ms", "fused ms"]
    head += ["foreach / loop", "fused / loop", "foreach weights", "fused weights"]
    print("| " + " | ".join(head) + " |")
    print("| --- | " + " | ".join("---:" for _ in head[1:]) + " |")
    for label, (window, horizon, patch) in SHAPES.items():
        torch.manual_seed(0)
        cfg = ModelConfig(window=window, horizon=horizon, patch=patch, season_length=1)
        net = ForecastNet(cfg)
        gen = torch.Generator().manual_seed(1)
        grads = [[torch.randn(p.shape, generator=gen) for p in net.parameters()] for _ in range(8)]
        times: dict[str, list[float]] = {v: [] for v in VARIANTS}
        weights: dict[str, torch.Tensor] = {}
        for _ in range(args.rounds):
            for name, kw in VARIANTS.items():
                ms, weights[name] = timed(net, kw, grads, args.steps)
                times[name].append(ms)
        med = {v: statistics.median(t) for v, t in times.items()}
        n = sum(p.numel() for p in net.parameters())
        same = {
            v: "identical"
            if torch.equal(weights[v], weights["loop"])
            else f"max diff {(weights[v] - weights['loop']).abs().max().item():.1e}"
            for v in ("foreach", "fused")
        }
        cells = [label, f"{n:,} ({len(list(net.parameters()))})"]
        cells += [f"{med[v]:.3f}" for v in VARIANTS]
        cells += [f"{med['foreach'] / med['loop']:.2f}", f"{med['fused'] / med['loop']:.2f}"]
        cells += [same["foreach"], same["fused"]]
        print("| " + " | ".join(cells) + " |")
    print(f"\n{args.rounds} rounds x {args.steps} steps, torch {torch.__version__}, 1 thread")


if __name__ == "__main__":
    main()
