"""Long files whose series are told apart by columns named like keys (a store and an item):
read again with those as the id when the id first read repeats a timestamp within a series or
gives every series one point (forecastr.ingest.keys, forecastr.data.load_csv)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecastr.cli import app
from forecastr.data import load_csv
from forecastr.errors import InputError, SeriesKeyError
from forecastr.ingest import csvread
from forecastr.ingest.keys import is_key_name, value_name
from forecastr.ingest.options import IngestOptions

FAST = ["--epochs", "1", "--ensemble", "1", "--hidden", "8", "--layers", "1", "-q"]


@pytest.fixture(params=["pyarrow", "pandas"])
def engine(request, monkeypatch):
    monkeypatch.setattr(csvread, "ENGINE", request.param)
    return request.param


def store_item(days: int = 60, stores: int = 2, items: int = 3) -> str:
    """Kaggle's store-item demand shape: sorted by store, item, date; no id-named column but
    ``item``, which alone repeats every date once per store."""
    d = pd.date_range("2017-01-01", periods=days, freq="D").strftime("%Y-%m-%d")
    frames = [
        pd.DataFrame({"date": d, "store": s, "item": i, "sales": 10 * s + i + np.arange(days) % 7})
        for s in range(1, stores + 1)
        for i in range(1, items + 1)
    ]
    return pd.concat(frames).to_csv(index=False)


def test_a_store_beside_an_item_tells_the_series_apart(write_csv, engine):
    panel = load_csv(write_csv(store_item()))
    assert panel.layout == "long" and panel.columns["id"] == "item+store"
    assert panel.columns["target"] == ["sales"] and len(panel.ids) == 6
    assert "2/1" in panel.ids  # item 2 at store 1
    note = next(n for n in panel.notes if "told apart" in n)
    assert "timestamps repeat within a series otherwise" in note and "--id-col item+store" in note
    i = panel.ids.index("2/1")
    y = panel.y[panel.offsets[i] : panel.offsets[i + 1]]
    np.testing.assert_array_equal(y, 12 + np.arange(60) % 7)


def test_a_row_number_named_id_gives_way_to_the_key_columns(write_csv, engine):
    # Favorita's shape: id numbers the rows; store_nbr and family (text) name the series
    rows = [
        (k, day.strftime("%Y-%m-%d"), s, fam, float(k % 13), k % 2)
        for k, (day, s, fam) in enumerate(
            (day, s, fam)
            for day in pd.date_range("2013-01-01", periods=40, freq="D")
            for s in (1, 2)
            for fam in ("BEVERAGES", "BREAD/BAKERY")
        )
    ]
    cols = ["id", "date", "store_nbr", "family", "sales", "onpromotion"]
    panel = load_csv(write_csv(pd.DataFrame(rows, columns=cols).to_csv(index=False)))
    assert panel.columns["id"] == "store_nbr+family" and panel.columns["target"] == ["sales"]
    assert sorted(panel.ids) == ["1/BEVERAGES", "1/BREAD/BAKERY", "2/BEVERAGES", "2/BREAD/BAKERY"]
    assert any("one point per series otherwise" in n for n in panel.notes)


def test_a_store_column_of_a_file_read_wide_becomes_its_id(write_csv):
    # Rossmann's shape: sorted by date, every store on each date, counts beside the sales
    d = pd.date_range("2015-01-01", periods=50, freq="D")
    frame = pd.DataFrame(
        [(s, day.day_of_week + 1, day.strftime("%Y-%m-%d"), 1000 * s + k, 100 + k, 1, k % 2)
         for k, day in enumerate(d) for s in (1, 2, 3)],
        columns=["Store", "DayOfWeek", "Date", "Sales", "Customers", "Open", "Promo"],
    )  # fmt: skip
    panel = load_csv(write_csv(frame.to_csv(index=False)))
    assert panel.columns["id"] == "Store" and panel.columns["target"] == ["Sales"]
    assert panel.ids == ["1", "2", "3"] and panel.freq == "D"


def test_an_id_the_user_names_is_kept_and_the_error_says_how_to_join(write_csv):
    with pytest.raises(SeriesKeyError, match=r"duplicate timestamp .* --id-col item\+store"):
        load_csv(write_csv(store_item()), IngestOptions(id_col="item"))


def test_without_a_column_named_like_a_key_the_duplicate_is_refused(write_csv):
    text = store_item().replace("date,store,item,sales", "date,a,b,sales")
    with pytest.raises(InputError, match="duplicate timestamp"):
        load_csv(write_csv(text), IngestOptions(target="sales"))


def test_one_point_per_series_asks_whether_the_id_numbers_the_rows(write_csv):
    d = pd.date_range("2020-01-01", periods=30, freq="D").strftime("%Y-%m-%d")
    text = pd.DataFrame({"id": range(30), "date": d, "y": np.arange(30.0)}).to_csv(index=False)
    with pytest.raises(SeriesKeyError, match=r"has a single point \(does it number the rows\?\)"):
        load_csv(write_csv(text))


@pytest.mark.parametrize(
    ("name", "key"),
    [("store", True), ("Store_ID", True), ("StoreNbr", True), ("item_code", True),
     ("family", True), ("country name", True), ("StateHoliday", False), ("stores", False),
     ("sales", False), ("id", False), ("store_sales_total", False)],
)  # fmt: skip
def test_names_of_keys(name, key):
    assert is_key_name(name) is key


def test_the_usual_value_name_picks_one_or_none():
    assert value_name(["sales", "onpromotion"]) == "sales"
    assert value_name(["Unit_Sales", "price"]) == "Unit_Sales"
    assert value_name(["sales", "demand"]) is None and value_name(["price"]) is None


def test_train_and_predict_through_the_cli(write_csv, tmp_path):
    path = write_csv(store_item(days=80, stores=2, items=2))
    out = tmp_path / "m"
    runner = CliRunner()
    train = runner.invoke(app, ["train", str(path), "--horizon", "7", "--out", str(out), *FAST])
    assert train.exit_code == 0, train.output
    pred = runner.invoke(app, ["predict", str(out), str(path)])
    assert pred.exit_code == 0, pred.output
    lines = pred.output.strip().splitlines()
    assert lines[0] == "unique_id,ds,forecast" and len(lines) == 1 + 4 * 7
    assert {line.split(",")[0] for line in lines[1:]} == {"1/1", "1/2", "2/1", "2/2"}


def test_a_market_files_close_is_its_value_and_the_other_columns_are_named(write_csv, engine):
    # fpp3's gafa_stock and Yahoo's downloads stacked: Symbol, Date, the bars, the volume
    d = pd.bdate_range("2018-01-01", periods=40).strftime("%Y-%m-%d")
    close = {s: 100.0 * k + np.arange(40) for k, s in enumerate(("AAPL", "AMZN"), 1)}
    frame = pd.concat(
        pd.DataFrame({"Symbol": s, "Date": d, "Open": c - 1, "High": c + 2, "Low": c - 2,
                      "Close": c, "Adj_Close": c * 0.98, "Volume": 1e6 + np.arange(40)})
        for s, c in close.items()
    )  # fmt: skip
    panel = load_csv(write_csv(frame.to_csv(index=False)))
    assert panel.columns["id"] == "Symbol" and panel.columns["target"] == ["Close"]
    np.testing.assert_array_equal(panel.y[panel.offsets[1] :], close["AMZN"])
    assert (
        "column 'Close' forecast, 'Open', 'High', 'Low', 'Adj_Close', 'Volume' left out: a long "
        "file forecasts one column (pass --target to choose another)"
    ) in panel.notes
    chosen = load_csv(write_csv(frame.to_csv(index=False)), IngestOptions(target="Volume"))
    assert chosen.columns["target"] == ["Volume"]
    assert not any("forecast," in n for n in chosen.notes)


def test_value_names_and_a_market_files_bars():
    assert value_name(["store", "sales", "onpromotion"]) == "sales"
    assert value_name(["sales", "demand"]) is None  # two: refused, the user names one
    assert value_name(["Open", "High", "Low", "Close", "Volume"]) == "Close"
    assert value_name(["open", "Volume"]) == "Volume"  # a shop's opening flag is no bar


def test_the_value_named_like_values_leaves_a_note_for_the_others(write_csv):
    rows = "".join(f"2020-01-{d:02d},{s},{d * s},{d % 2}\n" for s in (1, 2) for d in range(1, 29))
    panel = load_csv(write_csv("date,store,sales,onpromotion\n" + rows))
    assert panel.columns["target"] == ["sales"]
    assert any(n.startswith("column 'sales' forecast, 'onpromotion' left out") for n in panel.notes)


def test_a_yes_or_no_flag_is_no_part_of_the_series_id(write_csv, engine):
    # Walmart's train.csv: Store, Dept, Date, Weekly_Sales, IsHoliday (TRUE or FALSE). The
    # flag was read as the id, then joined to the keys: 12 series split by holiday, not 6.
    d = pd.date_range("2010-02-05", periods=30, freq="7D").strftime("%Y-%m-%d")
    frame = pd.DataFrame(
        [(s, dept, day, 100.0 * s + dept + k, "TRUE" if k % 13 == 0 else "FALSE")
         for s in (1, 2) for dept in (1, 2, 3) for k, day in enumerate(d)],
        columns=["Store", "Dept", "Date", "Weekly_Sales", "IsHoliday"],
    )  # fmt: skip
    panel = load_csv(write_csv(frame.to_csv(index=False)))
    assert panel.columns["id"] == "Store+Dept" and panel.columns["target"] == ["Weekly_Sales"]
    assert len(panel.ids) == 6 and panel.filled_points == 0


def test_yes_or_no_cells():
    from forecastr.ingest.textcols import yes_or_no

    def cells(*values):
        return pd.Series(values, dtype=object)

    assert yes_or_no(cells("TRUE", "FALSE", "")) and yes_or_no(cells("Yes", "no"))
    assert yes_or_no(cells("FALSE", "FALSE"))  # a flag not yet raised in the first rows
    assert not yes_or_no(cells("yes", "false")) and not yes_or_no(cells("A", "B"))
    assert not yes_or_no(cells("", ""))


def test_several_text_columns_named_like_keys_are_the_id_together(write_csv, engine):
    # Kaggle's Tabular Playground sales: row_id,date,country,store,product,num_sold; refused
    # before ("columns country, store, product hold text ... name the series id")
    rows = [
        (k, day.strftime("%Y-%m-%d"), c, s, p, 100 + 10 * k % 7)
        for k, (day, c, s, p) in enumerate(
            (day, c, s, p)
            for day in pd.date_range("2017-01-01", periods=40, freq="D")
            for c in ("Finland", "Norway")
            for s in ("KaggleMart", "KaggleRama")
            for p in ("Kaggle Mug", "Kaggle Hat")
        )
    ]
    cols = ["row_id", "date", "country", "store", "product", "num_sold"]
    panel = load_csv(write_csv(pd.DataFrame(rows, columns=cols).to_csv(index=False)))
    assert panel.columns["id"] == "country+store+product"
    assert panel.columns["target"] == ["num_sold"] and len(panel.ids) == 8
    assert "Norway/KaggleRama/Kaggle Hat" in panel.ids and panel.freq == "D"
