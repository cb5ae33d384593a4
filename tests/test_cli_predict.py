"""`forecastr predict`: timestamps continue the series' frequency, every output format, and
data that does not match the model is refused with one line and a non-zero exit."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecastr.cli import app

FAST = ["--epochs", "1", "--ensemble", "1", "--hidden", "8", "--layers", "1", "-q"]
FAST += ["--window", "12", "--horizon", "4"]


def wave(n: int, level: float = 100.0) -> np.ndarray:
    t = np.arange(n)
    return level + 10 * np.sin(2 * np.pi * t / 12) + 0.3 * t


LEVEL = {"a": 100.0, "b": 200.0}


def write_long(path, stamps, ids=("a", "b")) -> str:
    frames = [
        pd.DataFrame({"unique_id": sid, "ds": stamps, "y": wave(len(stamps), LEVEL.get(sid, 50))})
        for sid in ids
    ]
    pd.concat(frames).to_csv(path, index=False)
    return str(path)


def write_single(path, time_col: str, stamps) -> str:
    pd.DataFrame({time_col: stamps, "y": wave(len(stamps))}).to_csv(path, index=False)
    return str(path)


def months(n: int, start="2015-01-01") -> list[str]:
    return list(pd.date_range(start, periods=n, freq="MS").strftime("%Y-%m-%d"))


def hours(n: int, start="2024-01-01 00:00") -> list[str]:
    return list(pd.date_range(start, periods=n, freq="h").strftime("%Y-%m-%d %H:%M:%S"))


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Three tiny models, trained once: monthly (two long series), hourly, integer step 2."""
    root = tmp_path_factory.mktemp("predict")
    runner = CliRunner()
    made = {}
    for name, csv in [
        ("monthly", write_long(root / "monthly.csv", months(60))),  # ends 2019-12-01
        ("hourly", write_single(root / "hourly.csv", "ds", hours(60))),  # ends 01-03 11:00
        ("steps", write_single(root / "steps.csv", "t", list(range(0, 120, 2)))),  # ends 118
    ]:
        out = root / name
        res = runner.invoke(app, ["train", csv, "-o", str(out), *FAST])
        assert res.exit_code == 0, res.output
        made[name] = str(out)
    made["root"] = root
    return made


def predict(runner, *args):
    res = runner.invoke(app, ["predict", *map(str, args)])
    assert res.exit_code == 0, (res.exit_code, res.stdout, res.stderr)
    return res


def frame_of(res) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(res.stdout))


def one_line_error(res, *fragments, code=2) -> str:
    assert res.exit_code == code, (res.exit_code, res.stdout, res.stderr)
    assert "Traceback" not in res.output and "internal error" not in res.output
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ")
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    return lines[0]


# ------------------------------------------------------------------------------------------
# timestamps


def test_monthly_forecasts_continue_month_starts(runner, models):
    frame = frame_of(predict(runner, models["monthly"]))
    assert list(frame.columns) == ["unique_id", "ds", "forecast"]
    assert list(frame["unique_id"]) == ["a"] * 4 + ["b"] * 4
    want = [f"2020-0{m}-01" for m in (1, 2, 3, 4)]  # dates alone, as monthly data is read
    assert list(frame["ds"]) == want * 2
    assert np.isfinite(frame["forecast"]).all()


def test_hourly_forecasts_continue_by_the_hour(runner, models):
    frame = frame_of(predict(runner, models["hourly"]))
    assert list(frame["ds"]) == [f"2024-01-03 {h}:00:00" for h in (12, 13, 14, 15)]
    assert set(frame["unique_id"]) == {"y"} or frame["unique_id"].nunique() == 1


def test_integer_index_forecasts_continue_with_the_same_step(runner, models):
    frame = frame_of(predict(runner, models["steps"]))
    assert list(frame["ds"]) == [120, 122, 124, 126]


def test_forecasts_after_new_data_start_after_its_end(runner, models, tmp_path):
    newer = write_long(tmp_path / "newer.csv", months(70))  # ten more months: ends 2020-10
    frame = frame_of(predict(runner, models["monthly"], newer))
    assert list(frame["ds"][:4]) == [
        "2020-11-01", "2020-12-01", "2021-01-01", "2021-02-01",
    ]  # fmt: skip
    steps = write_single(tmp_path / "steps.csv", "t", list(range(0, 140, 2)))
    assert list(frame_of(predict(runner, models["steps"], steps))["ds"]) == [140, 142, 144, 146]


def test_a_subset_of_the_series_is_forecast(runner, models, tmp_path):
    only_b = write_long(tmp_path / "b.csv", months(60), ids=("b",))
    frame = frame_of(predict(runner, models["monthly"], only_b))
    assert list(frame["unique_id"]) == ["b"] * 4
    full = frame_of(predict(runner, models["monthly"]))
    assert np.allclose(frame["forecast"], full["forecast"][4:])


# ------------------------------------------------------------------------------------------
# formats


def test_json_on_stdout(runner, models):
    res = predict(runner, models["monthly"], "--format", "json")
    records = json.loads(res.stdout)
    assert len(records) == 8
    assert records[0].keys() == {"unique_id", "ds", "forecast"}
    assert records[0]["ds"] == "2020-01-01"
    hourly = json.loads(predict(runner, models["hourly"], "--format", "json").stdout)
    assert hourly[0]["ds"] == "2024-01-03T12:00:00"


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_files_in_every_format_hold_the_same_forecasts(runner, models, tmp_path, fmt):
    path = tmp_path / f"f.{fmt}"
    res = predict(runner, models["monthly"], "-o", path, "--format", fmt)
    assert res.stdout == ""
    assert f"8 forecasts written to {path}" in " ".join(res.stderr.split())
    read = {"csv": pd.read_csv, "json": pd.read_json, "parquet": pd.read_parquet}[fmt]
    frame = read(path)
    reference = frame_of(predict(runner, models["monthly"]))
    assert list(frame["unique_id"]) == list(reference["unique_id"])
    assert np.allclose(frame["forecast"], reference["forecast"], rtol=1e-6)
    assert list(pd.to_datetime(frame["ds"])) == list(pd.to_datetime(reference["ds"]))


def test_parquet_needs_a_file(runner, models):
    res = runner.invoke(app, ["predict", models["monthly"], "--format", "parquet"])
    one_line_error(res, "--format parquet needs -o")


def test_output_into_a_missing_folder_is_refused(runner, models, tmp_path):
    res = runner.invoke(app, ["predict", models["monthly"], "-o", str(tmp_path / "no" / "f.csv")])
    one_line_error(res, "does not exist")


# ------------------------------------------------------------------------------------------
# data that does not fit the model


def test_an_unknown_series_is_forecast_and_named(runner, models, tmp_path):
    csv = write_long(tmp_path / "other.csv", months(60), ids=("a", "zzz"))
    res = runner.invoke(app, ["predict", models["monthly"], csv])
    assert res.exit_code == 0, res.stderr
    assert "1 series the model never saw ('zzz')" in res.stderr
    frame = pd.read_csv(io.StringIO(res.stdout))
    assert set(frame.unique_id) == {"a", "zzz"} and np.isfinite(frame.forecast).all()


def test_another_frequency_is_refused(runner, models, tmp_path):
    days = list(pd.date_range("2020-01-01", periods=60, freq="D").strftime("%Y-%m-%d"))
    csv = write_long(tmp_path / "daily.csv", days)
    res = runner.invoke(app, ["predict", models["monthly"], csv])
    one_line_error(res, "frequency", "D", "MS")


def test_an_integer_index_for_a_dated_model_is_refused(runner, models, tmp_path):
    csv = write_single(tmp_path / "ints.csv", "ds", list(range(60)))
    res = runner.invoke(app, ["predict", models["hourly"], csv])
    one_line_error(res, "frequency")


def test_fewer_points_than_the_window_are_padded(runner, models, tmp_path):
    csv = write_long(tmp_path / "short.csv", months(6))
    res = runner.invoke(app, ["predict", models["monthly"], csv])
    assert res.exit_code == 0, res.stderr
    frame = pd.read_csv(io.StringIO(res.stdout))
    sizes = frame.groupby("unique_id").size()
    assert len(sizes) == 2 and sizes.nunique() == 1 and np.isfinite(frame.forecast).all()


def test_a_missing_model_is_refused(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["predict"])
    one_line_error(res, "no model here", code=3)


def test_a_tampered_model_is_refused(runner, models, tmp_path):
    import shutil

    copy = tmp_path / "m"
    shutil.copytree(models["monthly"], copy)
    w = copy / json.loads((copy / "config.json").read_text())["weights"]
    data = bytearray(w.read_bytes())
    data[len(data) // 2] ^= 0x01
    w.write_bytes(bytes(data))
    res = runner.invoke(app, ["predict", str(copy)])
    one_line_error(res, "checksum", code=3)
