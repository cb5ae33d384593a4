"""Shared fixtures: tiny synthetic series, a CSV writer, a CLI runner, and the benchmark
scripts imported as modules."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from forecastr.panel import Panel

SAMPLE_DATA = Path(__file__).resolve().parent.parent / "sample_data"
BENCH = Path(__file__).resolve().parent.parent / "bench"


@contextmanager
def bench_module(script: str) -> Iterator[ModuleType]:
    """``bench/<script>``, imported as a module (it is not part of the package) and registered
    in ``sys.modules`` while in use: dataclasses look their module up while a class is built."""
    spec = importlib.util.spec_from_file_location(f"bench_{Path(script).stem}", BENCH / script)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    try:
        spec.loader.exec_module(mod)
        yield mod
    finally:
        sys.modules.pop(spec.name, None)


def bench_fixture(script: str, name: str):
    """A module-scoped fixture ``name`` that yields ``bench/<script>`` (:func:`bench_module`);
    a test file assigns it to that name: ``shapes = bench_fixture("shapes.py", "shapes")``."""

    @pytest.fixture(scope="module", name=name)
    def fixture() -> Iterator[ModuleType]:
        with bench_module(script) as mod:
            yield mod

    return fixture


def drifting_category(C: ModuleType, lengths: list[int], h: int) -> object:
    """A tiny M3-yearly-like ``competitions.Category`` (``C``: bench/competitions.py): series
    ``s{i}`` of ``lengths[i]`` drifting points, each with an official test part of ``h``."""
    rng = np.random.default_rng(0)
    series = tuple(
        C.Series(f"s{i}", 100 + np.cumsum(rng.normal(1, 2, n)), 120 + rng.normal(0, 3, h))
        for i, n in enumerate(lengths)
    )
    return C.Category("m3-yearly", "M3", "yearly", h, 1, series)


def make_panel(lengths: list[int], freq: str | None = "h", seed: int = 0) -> Panel:
    """A panel of ``len(lengths)`` series; series ``i`` holds ``1000 * i + arange(n)`` plus noise.

    The values say where they came from, so a test can check that a window never mixes series.
    """
    rng = np.random.default_rng(seed)
    ys, dss = [], []
    for i, n in enumerate(lengths):
        ys.append(1000.0 * i + np.arange(n) + rng.normal(0, 0.1, n))
        if freq is None:
            dss.append(np.arange(n, dtype=np.int64))
        else:
            dss.append(pd.date_range("2024-01-01", periods=n, freq=freq).values)
    lens = np.asarray(lengths, dtype=np.int64)
    return Panel(
        ids=[f"s{i}" for i in range(len(lengths))],
        y=np.concatenate(ys) if ys else np.zeros(0),
        ds=np.concatenate(dss) if dss else np.zeros(0, dtype="datetime64[ns]"),
        offsets=np.concatenate([[0], np.cumsum(lens)]).astype(np.int64),
        freq=freq,
    )


@pytest.fixture
def tiny_panel() -> Panel:
    """Three short hourly series of unequal length."""
    return make_panel([40, 55, 47])


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write ``text`` (str or bytes) to ``tmp_path/name`` and return the path."""

    def write(text: str | bytes, name: str = "data.csv") -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_bytes(text.encode("utf-8"))
        return path

    return write


@pytest.fixture
def runner():
    """A CliRunner; this typer version keeps stderr apart from stdout (``result.stderr``)."""
    from typer.testing import CliRunner

    return CliRunner()


def train_then_predict(csv: Path, out: Path, *train_args: str) -> list[list[str]]:
    """``forecastr train`` then ``predict`` through the CLI; the forecast's rows as cells
    (the header first), each forecast checked finite."""
    from typer.testing import CliRunner

    from forecastr.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["train", str(csv), "-o", str(out), *train_args])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["predict", str(out), str(csv)])
    assert res.exit_code == 0, res.output
    rows = [line.split(",") for line in res.output.strip().splitlines()]
    assert all(np.isfinite(float(row[2])) for row in rows[1:])
    return rows
