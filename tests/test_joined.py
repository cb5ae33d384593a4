"""Files joined end to end (``cat a.csv b.csv``): the header repeated inside the data is
skipped with a note naming its line, by both readers, in every layout; a row that only
partly repeats the header is still refused by its line."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from forecastr.data import load_csv
from forecastr.errors import InputError
from forecastr.ingest import csvread

ENGINES = ["pyarrow", "pandas"]


def joined(frame: pd.DataFrame, parts: int = 3) -> str:
    """``frame`` split in ``parts`` and written as ``parts`` CSV files, one after the other."""
    cuts = np.linspace(0, len(frame), parts + 1).astype(int)
    return "".join(frame.iloc[a:b].to_csv(index=False) for a, b in itertools.pairwise(cuts))


def days(n: int = 90) -> pd.Series:
    return pd.Series(pd.date_range("2021-01-01", periods=n, freq="D").strftime("%Y-%m-%d"))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_single_series_joined_from_three_files(write_csv, monkeypatch, engine):
    monkeypatch.setattr(csvread, "ENGINE", engine)
    frame = pd.DataFrame({"ds": days(), "y": np.arange(90.0)})
    panel = load_csv(write_csv(joined(frame)))
    assert panel.y.tolist() == list(np.arange(90.0)) and panel.filled_points == 0
    note = next(n for n in panel.notes if "repeat the header" in n)
    assert note.startswith("2 rows repeat the header") and "line 32" in note


@pytest.mark.parametrize("engine", ENGINES)
def test_a_long_and_a_wide_file_joined(write_csv, monkeypatch, engine):
    monkeypatch.setattr(csvread, "ENGINE", engine)
    long = pd.DataFrame(
        {"unique_id": np.repeat(["a", "b"], 45), "ds": pd.concat([days(45)] * 2), "y": 1.5}
    )
    panel = load_csv(write_csv(joined(long, 2)))
    assert panel.ids == ["a", "b"] and len(panel.y) == 90
    wide = pd.DataFrame({"ds": days(), "north": 1.0, "south": 2.0})
    panel = load_csv(write_csv(joined(wide, 2), "wide.csv"))
    assert panel.ids == ["north", "south"] and panel.y.sum() == 90 * 3
    assert any("a row repeats the header" in n for n in panel.notes)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_row_that_only_partly_repeats_the_header_is_refused(write_csv, monkeypatch, engine):
    monkeypatch.setattr(csvread, "ENGINE", engine)
    text = joined(pd.DataFrame({"ds": days(), "y": np.arange(90.0)}))
    with pytest.raises(InputError, match=r"line 32"):  # the first copy, changed
        load_csv(write_csv(text.replace("\nds,y\n", "\nds,y2\n", 1)))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_header_written_twice_at_the_top_is_read_once(write_csv, monkeypatch, engine):
    # a file of no rows joined to another (cat empty.csv full.csv): not a header of levels
    monkeypatch.setattr(csvread, "ENGINE", engine)
    text = pd.DataFrame({"ds": days(), "y": np.arange(90.0)}).to_csv(index=False)
    panel = load_csv(write_csv("ds,y\n" + text))
    assert panel.columns["target"] == ["y"] and panel.y.tolist() == list(np.arange(90.0))
    assert any("the header is written 2 times at the top" in n for n in panel.notes)
