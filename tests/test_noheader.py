"""Files of numbers with no header row (LSTNet's exchange_rate.txt, numpy's savetxt of a
matrix), dates and numbers with none, and pandas' default header 0,1,...: read, not refused
(forecastr.ingest.noheader)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from forecastr.cli import app
from forecastr.data import load_csv
from forecastr.ingest.noheader import names_for
from forecastr.ingest.options import IngestOptions

FAST = ["--epochs", "1", "--ensemble", "1", "--hidden", "8", "--layers", "1", "-q"]


def test_a_matrix_of_numbers_is_one_series_per_column_timed_by_the_rows(write_csv):
    x = np.round(np.random.default_rng(0).normal(size=(40, 3)), 4)
    path = write_csv("".join(",".join(f"{v:g}" for v in row) + "\n" for row in x), "rates.txt")
    panel = load_csv(path)
    assert panel.layout == "wide" and panel.ids == ["V1", "V2", "V3"]
    assert panel.columns["time"] == "(row)" and panel.ds[:40].tolist() == list(range(40))
    np.testing.assert_allclose(panel.y[:40], x[:, 0])  # the first line is data
    assert any(n.startswith("no header row: the columns named V1, V2 ... V3") for n in panel.notes)
    only = load_csv(path, IngestOptions(target="V2"))
    np.testing.assert_allclose(only.y, x[:, 1])


def test_a_first_field_of_dates_or_of_a_counter_is_the_time(write_csv):
    d = pd.date_range("2020-01-01", periods=30, freq="D").strftime("%Y-%m-%d")
    dated = load_csv(write_csv("".join(f"{t},{k},{2 * k}\n" for k, t in enumerate(d)), "d.txt"))
    assert dated.columns["time"] == "ds" and dated.ids == ["V1", "V2"] and dated.freq == "D"
    counted = load_csv(write_csv("".join(f"{k},{100 + k % 5}\n" for k in range(1, 31)), "c.txt"))
    assert counted.columns["time"] == "index" and counted.ids == ["V1"]
    assert counted.ds.tolist() == list(range(1, 31))


def test_pandas_default_names_are_a_header_with_no_time(write_csv):
    frame = pd.DataFrame(np.arange(60.0).reshape(20, 3))
    panel = load_csv(write_csv(frame.to_csv(index=False)))
    assert panel.ids == ["0", "1", "2"] and panel.columns["time"] == "(row)"
    np.testing.assert_array_equal(panel.y[:20], frame[0].to_numpy())


def test_what_is_a_header():
    assert names_for(["ds,y", "2020-01-01,1"], ",") is None
    assert names_for(["1990,1991", "3,4"], ",") == (["V1", "V2"], True, True)  # data: no names
    assert names_for(["country,1990", "a,3"], ",") is None
    assert names_for(["0.5,,2", "1,2,3"], ",") == (["V1", "V2", "V3"], True, True)  # a gap
    assert names_for(["7", "8"], ",") is None  # one column: sniff's own rule
    assert names_for(["0,1,2", "1"], ",") is None  # no matrix below: refused as data (sniff)


def test_train_and_predict_a_file_with_no_header(tmp_path, write_csv):
    x = 10 + np.sin(np.arange(80)[:, None] / 4 + np.arange(2)) + np.arange(80)[:, None] / 40
    path = write_csv("".join(",".join(f"{v:.5f}" for v in row) + "\n" for row in x), "m.txt")
    runner = CliRunner()
    out = tmp_path / "model"
    assert (
        runner.invoke(app, ["train", str(path), "--horizon", "4", "-o", str(out), *FAST]).exit_code
        == 0
    )
    result = runner.invoke(app, ["predict", str(out), str(path), "-o", str(tmp_path / "f.csv")])
    assert result.exit_code == 0, result.output
    fc = pd.read_csv(tmp_path / "f.csv")
    assert fc["unique_id"].tolist() == ["V1"] * 4 + ["V2"] * 4
    assert fc["ds"].tolist()[:4] == [80, 81, 82, 83] and np.isfinite(fc["forecast"]).all()
