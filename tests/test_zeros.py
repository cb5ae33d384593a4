"""Zeros that stand for no data at a series' start (``forecastr/ingest/zeros.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecastr.data import load_csv


def test_a_run_of_zeros_before_a_series_begins_is_left_out(write_csv):
    """Case-Shiller's Atlanta: 0.000 until its index begins; beside it a count with zeros
    later on, one leading zero, and a column of zeros: those keep every value."""
    months = pd.date_range("1987-01-01", periods=24, freq="MS").strftime("%Y-%m-%d")
    atlanta = [0.0] * 6 + [69.6 + k / 10 for k in range(18)]
    counts = [0.0, 0.0, 3.0, 0.0] + [float(k % 3) for k in range(20)]
    one = [0.0] + [5.0 + k for k in range(23)]
    rows = "".join(
        f"{m},{a:.3f},{c:g},{o:g},0\n"
        for m, a, c, o in zip(months, atlanta, counts, one, strict=True)
    )
    panel = load_csv(write_csv("Date,Atlanta,counts,one,zeros\n" + rows))
    assert panel.lengths.tolist() == [18, 24, 24, 24]
    assert pd.Timestamp(panel.ds[0]) == pd.Timestamp("1987-07-01")
    assert panel.y[0] == 69.6
    note = (
        "series 'Atlanta' starts with 6 zeros and never returns to 0 (its first other value "
        "at line 8): read from there, the zeros before it left out"
    )
    assert note in panel.notes


def test_products_not_yet_sold_in_a_long_file(write_csv):
    """Weeks of zero sales before each product's launch, and none after: both read from
    their launch; the note counts them and names the first."""
    weeks = pd.date_range("2024-01-07", periods=30, freq="W-SUN").strftime("%Y-%m-%d")
    rows = "".join(
        f"{sku},{w},{0 if k < launch else 10 + k % 4}\n"
        for sku, launch in (("a", 5), ("b", 12))
        for k, w in enumerate(weeks)
    )
    panel = load_csv(write_csv("sku,week,sales\n" + rows))
    assert panel.ids == ["a", "b"] and panel.lengths.tolist() == [25, 18]
    assert np.all(panel.y > 0)
    assert any(
        n.startswith("2 series start with zeros and never return to 0 ('a', 'b'; 'a': 5 zeros")
        for n in panel.notes
    )
