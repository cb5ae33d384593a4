"""Benchmark: edge inference with onnxruntime against torch eager, and the ONNX files' sizes.

For each cell (rnn, lstm, gru) a forecaster with the default shape — 2 layers x 64 hidden,
window 48, horizon 12, direct head, one member — is trained briefly on a sample CSV (the
weights do not change the timings; training makes the files and the CLI runs real), exported
with ``forecastr.export.export_onnx(..., quantize="int8")``, and timed:

* **latency**: one forecast of one window (batch 1), single-threaded on both sides:
  ``onnxruntime`` ``session.run`` as :class:`forecastr.runtime.OnnxPredictor` opens it, the
  same through ``OnnxPredictor.predict`` (input checks included), and the torch module the
  model directory loads (``Scaled``, eval mode, ``torch.inference_mode``, 1 thread).
  p50 and p99 of per-call wall time, plus CPU microseconds per call (``time.thread_time``
  over the whole run), the steadier figure on a shared machine;
* **throughput**: windows per second at batch 256, both paths, single-threaded;
* **process**: wall and CPU time of a whole ``forecastr predict model.onnx data.csv`` process
  against ``forecastr predict model_dir data.csv`` (the default GRU only), median over
  ``--runs`` interleaved runs, and the fastest run;
* **size**: the float ONNX file and its int8 copy, and the int8 forecasts' largest relative
  change against the float file on the stored context windows.

Timed calls are interleaved in blocks (ONNX, torch, ONNX, ...), so a burst of load from other
processes hits both paths alike.

    .venv/bin/python bench/edge.py [--data sample_data/uk_drivers_monthly.csv --calls 3000 --runs 7]
                                   [--exporters]   # also time both torch exporters
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CELLS = ("rnn", "lstm", "gru")
SHAPE = dict(window=48, horizon=12, layers=2, hidden=64, ensemble=1)
BLOCK = 100  # calls per interleaved block
# What any `forecastr predict m.onnx` process must import: the floor under its run time.
IMPORT_FLOOR = "import numpy, pandas, pyarrow.csv, onnxruntime, typer, rich.console, rich.table"


def train_models(data: str, out: str, epochs: int) -> dict[str, str]:
    from forecastr import api

    dirs = {}
    for cell in CELLS:
        path = os.path.join(out, cell)
        api.train(
            data,
            **SHAPE,
            cell=cell,
            epochs=epochs,
            seed=0,
            threads=1,
            device="cpu",
            out=path,
        )
        dirs[cell] = path
    return dirs


def percentiles(times: list[float]) -> tuple[float, float]:
    """p50 and p99 in microseconds."""
    arr = np.asarray(times) * 1e6
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99))


def time_paths(paths: dict, calls: int) -> dict:
    """Per-call wall times and CPU time per call of each zero-argument callable, interleaved."""
    walls: dict[str, list[float]] = {k: [] for k in paths}
    cpu = dict.fromkeys(paths, 0.0)
    for fn in paths.values():  # warm-up: first-call allocations, lazy init
        for _ in range(BLOCK):
            fn()
    for _ in range(max(1, calls // BLOCK)):
        for name, fn in paths.items():
            c0 = time.thread_time()
            for _ in range(BLOCK):
                t0 = time.perf_counter()
                fn()
                walls[name].append(time.perf_counter() - t0)
            cpu[name] += time.thread_time() - c0
    return {name: (*percentiles(walls[name]), 1e6 * cpu[name] / len(walls[name])) for name in paths}


def latency_and_throughput(model_dir: str, onnx_path: str, calls: int) -> dict:
    import torch

    from forecastr.artifact import load
    from forecastr.export import parity_windows
    from forecastr.runtime import OnnxPredictor

    torch.set_num_threads(1)
    bundle = load(model_dir)
    module = bundle.network().module
    fc = OnnxPredictor.from_onnx(onnx_path, threads=1)
    # the network's window (a model averaged with Theta stores a longer context for it)
    values = np.asarray(bundle.context()[0][:, -bundle.window :], dtype=np.float32)

    def paths_for(batch: int) -> dict:
        x, idx = parity_windows(values, batch)
        tx, tidx = torch.from_numpy(x), torch.from_numpy(idx)
        feed = {"x": x, "series": idx}

        def torch_call():
            with torch.inference_mode():
                module(tx, tidx)

        return {
            "onnx": lambda: fc.session.run(None, feed),
            "predict": lambda: fc.predict(x, idx),
            "torch": torch_call,
        }

    one = time_paths(paths_for(1), calls)
    many = time_paths(paths_for(256), max(BLOCK, calls // 20))
    return {
        "onnx_p50": one["onnx"][0],
        "onnx_p99": one["onnx"][1],
        "onnx_cpu": one["onnx"][2],
        "predict_p50": one["predict"][0],
        "torch_p50": one["torch"][0],
        "torch_p99": one["torch"][1],
        "torch_cpu": one["torch"][2],
        "onnx_tput": 256e6 / many["onnx"][2],  # windows per CPU second
        "torch_tput": 256e6 / many["torch"][2],
    }


def process_times(model_dir: str, onnx_path: str, data: str, runs: int) -> dict:
    """Median and best wall/CPU seconds of whole `forecastr predict` processes."""
    exe = os.path.join(os.path.dirname(sys.executable), "forecastr")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "forecastr"]
    commands = {
        "onnx": [*cmd, "predict", onnx_path, data],
        "dir": [*cmd, "predict", model_dir, data],
        "floor": [sys.executable, "-c", IMPORT_FLOOR],
    }
    out: dict[str, dict[str, list[float]]] = {k: {"wall": [], "cpu": []} for k in commands}
    for _ in range(runs):
        for name, command in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            out[name]["wall"].append(wall)
            out[name]["cpu"].append(cpu)
    return {
        f"{name}_{kind}_{stat}": fn(v[kind])
        for name, v in out.items()
        for kind in ("wall", "cpu")
        for stat, fn in (("median", statistics.median), ("best", min))
    }


def compare_exporters(dirs: dict[str, str], calls: int) -> None:
    """The TorchScript and dynamo exporters on the same models: export time, size, graph
    nodes, onnxruntime CPU per call at batch 1 and 256 (the evidence in docs/onnx.md)."""
    import onnx

    from forecastr.export import export_onnx, parity_windows
    from forecastr.runtime import OnnxPredictor

    print("\n| cell | exporter | export s | KB | nodes | recurrent op | b=1 µs | b=256 µs |")
    print("| --- | --- |" + " ---: |" * 3 + " --- |" + " ---: |" * 2)
    for cell, model_dir in dirs.items():
        for exporter in ("torchscript", "dynamo"):
            path = f"{model_dir}.{exporter}.onnx"
            t0 = time.perf_counter()
            rep = export_onnx(model_dir, path, exporter=exporter)
            took = time.perf_counter() - t0
            graph = onnx.load(path).graph
            rnn = sorted({n.op_type for n in graph.node} & {"RNN", "GRU", "LSTM"})
            fc = OnnxPredictor.from_onnx(path)
            cpu = []
            for batch, n in ((1, calls), (256, max(10, calls // 100))):
                x, idx = parity_windows(fc.context[0].astype(np.float32), batch)
                run = fc.session.run
                feed = {"x": x, "series": idx}
                cpu.append(time_paths({"onnx": lambda r=run, f=feed: r(None, f)}, n)["onnx"][2])
            print(
                f"| {cell} | {exporter} | {took:.1f} | {rep['size_kb']:.0f} | {len(graph.node)} "
                f"| {', '.join(rnn) or 'none (unrolled)'} | {cpu[0]:.0f} | {cpu[1]:,.0f} |"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.join(ROOT, "sample_data", "uk_drivers_monthly.csv"))
    ap.add_argument("--calls", type=int, default=3000, help="timed batch-1 calls per path")
    ap.add_argument("--runs", type=int, default=7, help="whole-process runs per path")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument(
        "--exporters", action="store_true", help="also compare the TorchScript and dynamo exporters"
    )
    args = ap.parse_args()

    from forecastr.export import export_onnx

    work = tempfile.mkdtemp(prefix="forecastr-edge-")
    try:
        dirs = train_models(args.data, work, args.epochs)
        rows = {}
        for cell, model_dir in dirs.items():
            onnx_path = model_dir + ".onnx"
            rep = export_onnx(model_dir, onnx_path, quantize="int8")
            rows[cell] = {**rep, **latency_and_throughput(model_dir, onnx_path, args.calls)}
        proc = process_times(dirs["gru"], dirs["gru"] + ".onnx", args.data, args.runs)
        report(args, rows, proc)
        if args.exporters:
            compare_exporters(dirs, args.calls)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(args, rows: dict, proc: dict) -> None:
    import onnxruntime
    import torch

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{os.cpu_count()} CPUs, {platform.machine()}, load average {load:.1f}; python "
        f"{platform.python_version()}, torch {torch.__version__}, onnxruntime "
        f"{onnxruntime.__version__}; exporter {rows['gru']['exporter']}, opset "
        f"{rows['gru']['opset']}; data {os.path.basename(args.data)}\n"
    )
    print("Batch 1, one thread; wall p50 / p99 and CPU per call in µs; throughput at batch 256")
    print("in windows per CPU second.\n")
    print(
        "| cell | ONNX p50 | ONNX p99 | ONNX CPU | `predict()` p50 | torch p50 | torch p99 "
        "| torch CPU | torch / ONNX (CPU) | ONNX win/s @256 | torch win/s @256 |"
    )
    print("| --- |" + " ---: |" * 10)
    for cell, r in rows.items():
        print(
            f"| {cell} | {r['onnx_p50']:.0f} | {r['onnx_p99']:.0f} | {r['onnx_cpu']:.0f} "
            f"| {r['predict_p50']:.0f} | {r['torch_p50']:.0f} | {r['torch_p99']:.0f} "
            f"| {r['torch_cpu']:.0f} | {r['torch_cpu'] / r['onnx_cpu']:.1f}x "
            f"| {r['onnx_tput']:,.0f} | {r['torch_tput']:,.0f} |"
        )
    print("\n| cell | ONNX KB | int8 KB | int8 ops | int8 max rel. change | parity rel. error |")
    print("| --- |" + " ---: |" * 5)
    for cell, r in rows.items():
        print(
            f"| {cell} | {r['size_kb']:.0f} | {r['quantized_size_kb']:.0f} "
            f"| {r['quantized_int8_ops']} | {r['quantized_max_rel_change']:.2g} "
            f"| {r['max_rel_error']:.2g} |"
        )
    name = os.path.basename(args.data)
    print(f"\nWhole processes (GRU, {name}), seconds, {args.runs} interleaved runs:\n")
    print("| process | wall median | wall best | CPU median | CPU best |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, label in (
        ("onnx", "`predict model.onnx data.csv`"),
        ("dir", "`predict model_dir data.csv` (torch)"),
        ("floor", "imports only: numpy, pandas, pyarrow, onnxruntime, typer, rich"),
    ):
        print(
            f"| {label} | {proc[f'{name}_wall_median']:.2f} | {proc[f'{name}_wall_best']:.2f} "
            f"| {proc[f'{name}_cpu_median']:.2f} | {proc[f'{name}_cpu_best']:.2f} |"
        )


if __name__ == "__main__":
    main()
