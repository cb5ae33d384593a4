"""Fuzz the model loaders at scale and count the outcomes.

Runs N random mutations (those of ``tests/test_fuzz_models.py``) of each of a tiny trained
model's config.json, its weights file's safetensors header and its ONNX export's metadata,
each through loading, one forecast and, when it loads, a backtest, and prints how many were
refused cleanly (a ForecastrError), accepted (finite forecasts) or ended any other way (a
bug: each is listed with its exception).

    .venv/bin/python bench/fuzz_models.py --cases 2000 --seed 0
"""

from __future__ import annotations

import argparse
import collections
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_fuzz_models import (  # noqa: E402
    fuzz_inputs,
    mutate_metadata,
    run_model,
    write_mutated_config,
    write_mutated_header,
    write_onnx,
)
from test_modelcheck import reseal  # noqa: E402


def fuzz(kind: str, n: int, seed: int, one_case) -> tuple[collections.Counter, list, float]:
    """Run ``one_case(rnd)`` n times; count its outcomes, keep the first 'other' ones."""
    counts: collections.Counter = collections.Counter()
    others = []
    slowest = 0.0
    for i in range(n):
        rnd = random.Random(f"{kind}-{seed}-{i}")
        start = time.perf_counter()
        try:
            counts[one_case(rnd)] += 1
        except Exception as err:  # the point: anything but a ForecastrError is a bug
            counts["other"] += 1
            if len(others) < 10:
                others.append((i, f"{type(err).__name__}: {' '.join(str(err).split())[:200]}"))
        slowest = max(slowest, time.perf_counter() - start)
    return counts, others, slowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="mutations of each kind")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        inputs = fuzz_inputs(tmp)
        csv, work, config = inputs["csv"], inputs["work"], inputs["config"]
        model, meta, model_dir = inputs["onnx"], inputs["meta"], inputs["model_dir"]
        fuzzed = tmp / "fuzzed.onnx"

        def config_case(rnd):
            write_mutated_config(work, config, rnd)
            return run_model(work, csv)

        def onnx_case(rnd):
            write_onnx(model, mutate_metadata(meta, rnd), fuzzed)
            return run_model(fuzzed, csv)

        weights = inputs["weights"]

        def header_case(rnd):
            write_mutated_header(work, weights, rnd)
            return run_model(work, csv)

        def restore():  # the header fuzz starts from the intact config, with its digests
            shutil.copyfile(model_dir / "config.json", work / "config.json")
            reseal(work)

        rows = []
        kinds = (
            ("config.json", config_case),
            ("ONNX metadata", onnx_case),
            ("weights header", header_case),
        )
        for kind, case in kinds:
            if kind == "weights header":
                restore()
            start = time.perf_counter()
            counts, others, slowest = fuzz(kind, args.cases, args.seed, case)
            seconds = time.perf_counter() - start
            rows.append((kind, counts, seconds, slowest))
            for i, text in others:
                print(f"  {kind} case {i}: {text}")
    print(
        f"\n{'mutated':<16}{'tried':>7}{'refused':>9}{'accepted':>10}{'other':>7}{'s/case':>9}"
        f"{'slowest s':>11}"
    )
    for kind, counts, seconds, slowest in rows:
        tried = sum(counts.values())
        print(
            f"{kind:<16}{tried:>7}{counts['refused']:>9}{counts['accepted']:>10}"
            f"{counts['other']:>7}{seconds / max(tried, 1):>9.4f}{slowest:>11.3f}"
        )


if __name__ == "__main__":
    main()
