"""Parquet files read as the CSV table they hold (forecastr.ingest.parquetin): the same
panel as the CSV, refusals that name the Parquet file, limits, and no leftovers."""

from __future__ import annotations

import builtins
import os

import numpy as np
import pandas as pd
import pytest

from forecastr import api
from forecastr.cli import app
from forecastr.data import load_csv
from forecastr.errors import InputError
from forecastr.ingest import parquetin

TINY = {"cell": "gru", "hidden": 8, "layers": 1, "ensemble": 1, "epochs": 1, "batch_size": 32}


def _monthly(n: int = 72) -> pd.DataFrame:
    t = np.arange(n)
    y = 100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + np.cos(t)
    return pd.DataFrame({"month": pd.date_range("2015-01-01", periods=n, freq="MS"), "sales": y})


def _same(a, b) -> None:
    assert a.ids == b.ids and a.freq == b.freq
    np.testing.assert_allclose(a.y, b.y)
    np.testing.assert_array_equal(a.ds, b.ds)


@pytest.mark.parametrize("dates", ["timestamps", "text"])
def test_a_parquet_file_reads_as_its_csv(tmp_path, dates):
    frame = _monthly()
    if dates == "text":
        frame["month"] = frame["month"].dt.strftime("%Y-%m")
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame.to_parquet(tmp_path / "a.parquet")
    panel = load_csv(tmp_path / "a.parquet")
    _same(panel, load_csv(tmp_path / "a.csv"))
    assert panel.source == str(tmp_path / "a.parquet")


def test_a_long_parquet_file_keeps_its_series(tmp_path):
    frames = [
        _monthly().assign(store=s, sales=lambda d, k=k: d.sales + k) for k, s in enumerate("ab")
    ]
    frame = pd.concat(frames)[["store", "month", "sales"]]
    frame.to_csv(tmp_path / "l.csv", index=False)
    frame.to_parquet(tmp_path / "l.parquet", index=False)
    panel = load_csv(tmp_path / "l.parquet")
    assert panel.ids == ["a", "b"]
    _same(panel, load_csv(tmp_path / "l.csv"))


def test_refusals_name_the_parquet_file(tmp_path):
    frame = _monthly()
    frame["sales"] = frame["sales"].astype(str)
    frame.loc[4, "sales"] = "n.v."
    frame.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(InputError) as err:
        load_csv(tmp_path / "bad.parquet")
    text = str(err.value)
    assert text.startswith(f"{tmp_path / 'bad.parquet'}: non-numeric value 'n.v.'")
    assert "at row 5;" in text and "line" not in text  # the fifth row of the table
    assert parquetin.message("f.csv: duplicate (lines 180 and 181)", "f.csv", "f.parquet") == (
        "f.parquet: duplicate (rows 179 and 180)"
    )
    nested = pd.DataFrame({"ds": pd.date_range("2020", periods=30, freq="D"), "v": [[1, 2]] * 30})
    nested.to_parquet(tmp_path / "nested.parquet")
    with pytest.raises(InputError, match=r"column 'v' holds lists or records"):
        load_csv(tmp_path / "nested.parquet")
    whole = (tmp_path / "bad.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(whole[:100] + parquetin.MAGIC)
    with pytest.raises(InputError, match=r"cut\.parquet: cannot be read as Parquet \("):
        load_csv(tmp_path / "cut.parquet")


def test_limits_and_no_leftovers(tmp_path, monkeypatch):
    _monthly().to_parquet(tmp_path / "a.parquet")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    load_csv(tmp_path / "a.parquet")
    assert os.listdir(scratch) == []  # the CSV copy is removed
    monkeypatch.setattr(parquetin, "MAX_TABLE_BYTES", 100)
    with pytest.raises(InputError, match="uncompressed, over the"):
        load_csv(tmp_path / "a.parquet")
    assert os.listdir(scratch) == []


def test_without_pyarrow_it_says_what_to_install(tmp_path, monkeypatch):
    _monthly().to_parquet(tmp_path / "a.parquet")
    real = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(InputError, match="is a Parquet file, which needs pyarrow to read"):
        load_csv(tmp_path / "a.parquet")


def test_train_and_predict_from_parquet(tmp_path, runner):
    _monthly().to_parquet(tmp_path / "a.parquet")
    out = api.train(str(tmp_path / "a.parquet"), **TINY, horizon=6, out=str(tmp_path / "m"))
    assert out.name
    res = runner.invoke(app, ["predict", str(tmp_path / "m"), str(tmp_path / "a.parquet")])
    assert res.exit_code == 0, res.output
    assert "sales,2021-01-01" in res.output  # the month after the last of 72
    assert not parquetin.is_parquet(str(tmp_path / "m" / "config.json"))
