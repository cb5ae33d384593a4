"""A header of several rows, as pandas writes a table whose columns have levels
(``forecastr/ingest/levels.py``): one series per column, named by its levels joined."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import train_then_predict
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr.data import load_csv
from forecastr.errors import InputError
from forecastr.ingest.levels import stacked_header

FAST = ["--epochs", "1", "--ensemble", "1", "--hidden", "8", "--layers", "1", "-q"]
DAYS = pd.date_range("2020-01-01", periods=60, freq="D")


def table(columns: list[tuple[str, ...]], names=None, index_name="date") -> pd.DataFrame:
    values = np.arange(len(DAYS) * len(columns), dtype=float).reshape(len(DAYS), -1)
    cols = pd.MultiIndex.from_tuples(columns, names=names)
    return pd.DataFrame(values, index=pd.Index(DAYS, name=index_name), columns=cols)


@pytest.mark.parametrize("index_name", ["date", None])
def test_a_table_of_two_levels_is_one_series_per_column(tmp_path, index_name):
    df = table([("1", "a"), ("1", "b"), ("2", "a")], names=["store", "item"], index_name=index_name)
    path = tmp_path / "levels.csv"
    df.to_csv(path)
    panel = load_csv(path)
    assert panel.layout == "wide" and panel.ids == ["1/a", "1/b", "2/a"]
    assert panel.freq == "D" and len(panel.y) == 3 * len(DAYS)
    # each column's values, in order
    for k, col in enumerate(df.columns):
        assert panel.series(k).tolist() == df[col].tolist()
    assert any("a header of 2 rows" in note for note in panel.notes)


def test_a_pivot_table_of_values_reads_and_forecasts(tmp_path):
    long = pd.DataFrame(
        {"date": np.repeat(DAYS, 2), "store": ["north", "south"] * len(DAYS)}
    ).assign(sales=np.arange(2 * len(DAYS)) % 7 + 5.0)
    path = tmp_path / "pivot.csv"
    long.pivot_table(index="date", columns="store", values=["sales"]).to_csv(path)
    assert path.read_text().splitlines()[:3] == [",sales,sales", "store,north,south", "date,,"]
    rows = train_then_predict(path, tmp_path / "model", *FAST, "--horizon", "2")
    assert [row[0] for row in rows[1:]] == ["sales/north"] * 2 + ["sales/south"] * 2


@pytest.mark.parametrize(
    "text",
    [
        "ds,y,y\n2020-01-01,1,2\n2020-01-02,3,4\n",  # a repeated name over data: refused
        ",a,a\n,x,x\ndate,,\n2020-01-01,1,2\n",  # levels that repeat a column even joined
    ],
)
def test_repeated_names_that_are_no_levels_stay_refused(write_csv, text):
    with pytest.raises(InputError, match="duplicate column names"):
        load_csv(write_csv(text))


def test_one_header_row_is_left_alone():
    assert stacked_header(["date,a,b", "2020-01-01,1,2"], 0, ",") is None
    assert stacked_header(["a,b,b", "2020-01-01,1,2", "2020-01-02,1,2"], 0, ",") is None


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(
    stores=st.integers(1, 3),
    items=st.lists(st.sampled_from(["a", "b", "c", "x y"]), min_size=1, max_size=3, unique=True),
    named=st.booleans(),
    sep=st.sampled_from([",", ";", "\t"]),
)
def test_any_table_of_levels_reads_back_its_columns(tmp_path_factory, stores, items, named, sep):
    columns = [(f"s{k}", i) for k in range(stores) for i in items]
    if len(columns) < 2:
        columns.append(("s9", "z"))
    df = table(columns, names=["store", "item"] if named else None)
    path = tmp_path_factory.mktemp("lv") / "t.csv"
    df.to_csv(path, sep=sep)
    panel = load_csv(path)
    assert panel.ids == [f"{s}/{i}" for s, i in columns]
    assert np.array_equal(panel.y, df.to_numpy().T.reshape(-1))


def test_rows_of_data_with_text_times_are_no_levels(write_csv):
    """Months written as text (no time to a level test) and a row of empty values: data."""
    months = [d.strftime("%b-%y") for d in pd.date_range("2015-01-01", periods=30, freq="MS")]
    rows = [f"{m},{k},{k + 1}" if k != 7 else f"{m},," for k, m in enumerate(months)]
    panel = load_csv(write_csv("month,a,b\n" + "\n".join(rows) + "\n"))
    assert panel.ids == ["a", "b"] and panel.freq == "MS" and len(panel.y) == 60


def test_levels_of_numbers_under_a_repeated_name_and_a_named_index(write_csv):
    text = "store,1,1,2\ndept,10,20,10\ndate,,,\n" + "".join(
        f"2020-01-{d:02d},{d % 5},{d % 3},{d % 7 + 3}\n" for d in range(1, 29)
    )
    panel = load_csv(write_csv(text))
    assert panel.ids == ["1/10", "1/20", "2/10"] and panel.series(2)[0] == 1 % 7 + 3
