"""Benchmark: windows per no-grad forward pass (``forecastr.models.INFERENCE_CHUNK``).

What it measures: the time of one no-grad forward pass of the default network (2 layers of
64 units) over 4,096 windows — what early stopping scores every epoch on a file of thousands
of series — made in blocks of each size, on one thread, for the windows the defaults give
(yearly/quarterly 12, monthly 36, a week of half-hourly data in patches of 16) and each cell.
The block sizes are timed in turns, repeat by repeat, so a change in the machine's load hits
them alike; the table gives the median milliseconds of each and its ratio to blocks of 4,096
(the size before), and checks that every block size gives the same outputs, bit for bit.

    .venv/bin/python bench/inference_chunk.py                 # about a minute
    .venv/bin/python bench/inference_chunk.py --repeats 9 --blocks 4096,512
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from forecastr.config import ModelConfig
from forecastr.models import INFERENCE_CHUNK, build

# (label, window, patch): the windows of the defaults
SHAPES = (("window 12", 12, 1), ("window 36", 36, 1), ("window 336, patch 16", 336, 16))


def forward_blocks(model: torch.nn.Module, x: torch.Tensor, block: int) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([model(x[i : i + block]) for i in range(0, len(x), block)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--windows", type=int, default=4096)
    ap.add_argument("--blocks", default=f"4096,2048,1024,{INFERENCE_CHUNK},256,128")
    ap.add_argument("--cells", default="gru,rnn,lstm")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    blocks = [int(b) for b in args.blocks.split(",")]
    print(f"torch {torch.__version__}, 1 thread, {args.windows} windows, default block "
          f"{INFERENCE_CHUNK}; median of {args.repeats} turns")  # fmt: skip
    print("| cell | input | " + " | ".join(f"{b} ms" for b in blocks) + " | "
          + " | ".join(f"{b} / {blocks[0]}" for b in blocks[1:]) + " | same outputs |")  # fmt: skip
    print("| --- | --- | " + " | ".join(["---:"] * (2 * len(blocks) - 1)) + " | --- |")
    for cell in args.cells.split(","):
        for label, window, patch in SHAPES:
            torch.manual_seed(0)
            cfg = ModelConfig(cell=cell, window=window, horizon=8, patch=patch)  # type: ignore[arg-type]
            model = build(cfg).eval()
            x = torch.randn(args.windows, window).cumsum(dim=1)
            ref = forward_blocks(model, x, blocks[0])
            same = all(torch.equal(forward_blocks(model, x, b), ref) for b in blocks[1:])
            times: dict[int, list[float]] = {b: [] for b in blocks}
            for _ in range(args.repeats):
                for b in blocks:
                    t = time.perf_counter()
                    forward_blocks(model, x, b)
                    times[b].append(1000 * (time.perf_counter() - t))
            ms = {b: statistics.median(v) for b, v in times.items()}
            print(f"| {cell.upper()} | {label} | " + " | ".join(f"{ms[b]:.0f}" for b in blocks)
                  + " | " + " | ".join(f"{ms[b] / ms[blocks[0]]:.2f}" for b in blocks[1:])
                  + f" | {'yes' if same else 'NO'} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
