"""Codes for "no value" written as a number (UCI's -200, NOAA's -9.99) are read as empty cells
(forecastr.ingest.sentinels)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr.data import load_csv
from forecastr.ingest.options import IngestOptions
from forecastr.ingest.sentinels import code_of


def test_the_air_quality_files_minus_200_is_read_as_empty(write_csv):
    t = pd.date_range("2004-03-10 18:00", periods=96, freq="h")
    co = np.round(2 + np.sin(np.arange(96) * 2 * np.pi / 24), 1)
    co[[5, 6, 40, 41, 42]] = -200
    temp = np.round(10 + 5 * np.sin(np.arange(96) * 2 * np.pi / 24), 1)  # goes nowhere near 0
    frame = pd.DataFrame({"ts": t.strftime("%Y-%m-%d %H:%M"), "CO(GT)": co, "T": temp})
    panel = load_csv(write_csv(frame.to_csv(index=False)))
    co_read = panel.y[:96]
    assert np.isfinite(co_read).all() and co_read.min() > 0  # filled, not -200
    assert co_read[5] == pytest.approx(co[4] + (co[7] - co[4]) / 3)  # filled like an empty cell
    np.testing.assert_array_equal(panel.y[96:], temp)
    assert (
        "column 'CO(GT)': 5 cells of -200 read as empty, the only negative value, far below "
        "the others (a code for no value)"
    ) in panel.notes
    as_read = load_csv(write_csv(frame.to_csv(index=False), "e.csv"), IngestOptions(fill="error"))
    assert as_read.y[5] == -200  # --fill error fills nothing: the cells are kept as written


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ([20, 25, 31, -1, -1, -1, 28], -1.0),  # NOAA's days averaged
        ([0.3, 0.5, 1.2, -9.99, -9.99, -9.99], -9.99),
        ([0, 10, 50, -1, -1, -1], None),  # -1 beside 0 to 50: kept
        ([-1, 1, 1, -1, -1, 1], None),  # signs
        ([5, 6, 7, -200, -200], None),  # a code twice: too few to tell
        ([5, 6, 7, -200, -200, -200, -3], None),  # two negative values: measurements
        ([5, 6, np.nan, 7, -200, -200, -200], -200.0),
    ],
)
def test_what_counts_as_a_code(values, code):
    assert code_of(np.array(values, dtype=float)) == code


@settings(max_examples=200, derandomize=True, database=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60))
def test_a_code_is_always_the_only_negative_value_and_below_the_rest(values):
    x = np.array(values, dtype=float)
    code = code_of(x)
    if code is not None:
        assert code < 0 and set(x[x < 0].tolist()) == {code}
        rest = x[x >= 0]
        assert rest.min() - code > rest.max() - rest.min() > 0
