"""`forecastr train` end to end through CliRunner: train -> predict -> evaluate, JSON
summaries, clipping statistics, and one clear error for every bad flag value."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from forecastr import train as train_mod
from forecastr.cli import app

TINY = [
    "--model",
    "gru",
    "--epochs",
    "2",
    "--ensemble",
    "1",
    "--hidden",
    "8",
    "--layers",
    "1",
    "-q",
]
EVAL_KEYS = {
    "horizon", "season_length", "folds", "step", "window", "refit", "model", "n_series",
    "aggregation", "summary", "best", "skill", "zero_scale_series", "fallback_series", "notes",
}  # fmt: skip


def monthly_csv(path, n: int = 72, ids=("a", "b")) -> str:
    """Long CSV of len(ids) monthly series with a yearly season and a trend."""
    t = np.arange(n)
    rows = []
    for k, sid in enumerate(ids):
        y = 100 * (k + 1) + 10 * np.sin(2 * np.pi * t / 12) + 0.5 * t
        ds = pd.date_range("2015-01-01", periods=n, freq="MS")
        rows.append(pd.DataFrame({"unique_id": sid, "ds": ds.strftime("%Y-%m-%d"), "y": y}))
    pd.concat(rows).to_csv(path, index=False)
    return str(path)


@pytest.fixture
def data(tmp_path, monkeypatch) -> str:
    monkeypatch.chdir(tmp_path)
    return monthly_csv(tmp_path / "data.csv")


def ok(result):
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


def one_line_error(result, *fragments, code=2) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.output and "internal error" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    return lines[0]


def test_train_predict_evaluate_end_to_end(runner, data, tmp_path):
    res = ok(runner.invoke(app, ["train", "data.csv", "-o", "m", "--no-refit", *TINY]))
    assert "model saved to" in res.stdout
    assert (tmp_path / "m" / "config.json").is_file()
    weights = json.loads((tmp_path / "m" / "config.json").read_text())["weights"]
    assert (tmp_path / "m" / weights).is_file()

    # predict from the stored context: CSV on stdout, one horizon per series
    res = ok(runner.invoke(app, ["predict", "m"]))
    frame = pd.read_csv(io.StringIO(res.stdout))
    assert list(frame.columns) == ["unique_id", "ds", "forecast"]
    assert frame.groupby("unique_id").size().to_dict() == {"a": 12, "b": 12}
    assert frame["forecast"].notna().all()
    assert frame["ds"].iloc[0] == "2021-01-01"  # the month after 2020-12

    # predict after the end of a CSV, to parquet
    res = ok(
        runner.invoke(app, ["predict", "m", "data.csv", "-o", "f.parquet", "--format", "parquet"])
    )
    assert res.stdout == ""
    assert "24 forecasts written to f.parquet" in res.stderr
    pq = pd.read_parquet(tmp_path / "f.parquet")
    assert list(pq.columns) == ["unique_id", "ds", "forecast"]
    assert np.allclose(pq["forecast"], frame["forecast"], rtol=1e-6)  # same data, same forecasts
    assert pd.api.types.is_datetime64_any_dtype(pq["ds"])

    # evaluate the model on the same CSV: the JSON schema, and the same scores as the
    # held-out report written at training time (the same last-horizon windows)
    res = ok(runner.invoke(app, ["evaluate", "m", "data.csv", "--json"]))
    report = json.loads(res.stdout)
    assert report.keys() >= EVAL_KEYS
    assert report["n_series"] == 2 and report["horizon"] == 12
    stored = json.loads((tmp_path / "m" / "config.json").read_text())
    assert report["model"] == stored["evaluation"]["model"] in ("GRU", "GRU + Theta")
    stored = json.loads((tmp_path / "m" / "config.json").read_text())["evaluation"]
    assert [r["method"] for r in report["summary"]] == [r["method"] for r in stored["summary"]]
    for got, want in zip(report["summary"], stored["summary"], strict=True):
        assert got["mase"] == pytest.approx(want["mase"], rel=1e-6)

    # train --json: a machine-readable summary and nothing else on stdout
    res = ok(runner.invoke(app, ["train", "data.csv", "-o", "m2", *TINY, "--json"]))
    payload = json.loads(res.stdout)
    assert {"model", "config", "summary", "evaluation", "seasons", "refit"} <= payload.keys()
    assert payload["config"]["hidden"] == 8 and payload["config"]["ensemble"] == 1
    assert payload["refit"] is True
    assert payload["summary"]["holdout"]["epochs_run"] == [2]
    assert payload["summary"]["epochs_run"] == payload["summary"]["holdout"]["best_epoch"]
    # the refit model has seen every point of data.csv: evaluate refuses, --refit retrains
    one_line_error(runner.invoke(app, ["evaluate", "m2", "data.csv"]), "refit", code=1)
    ok(runner.invoke(app, ["evaluate", "m2", "data.csv", "--refit"]))
    for key in ("grad_norm_median", "grad_norm_max", "clipped_share", "seconds", "steps"):
        assert key in payload["summary"]
    assert payload["evaluation"].keys() >= EVAL_KEYS
    methods = [row["method"] for row in payload["evaluation"]["summary"]]
    assert methods[0] == payload["evaluation"]["model"] and "seasonal_naive" in methods


def test_evaluate_on_data_that_continues_past_training(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monthly_csv(tmp_path / "train.csv", n=72)
    monthly_csv(tmp_path / "later.csv", n=96)  # the same series, two more years
    ok(runner.invoke(app, ["train", "train.csv", "-o", "m", *TINY]))
    res = ok(runner.invoke(app, ["evaluate", "m", "later.csv", "--json"]))
    report = json.loads(res.stdout)
    assert report.keys() >= EVAL_KEYS
    model = report["model"]
    assert model in ("GRU", "GRU + Theta")  # with the Theta average where validation chose it
    row = {r["method"]: r for r in report["summary"]}
    assert {model, "naive", "seasonal_naive"} <= row.keys()
    assert all(np.isfinite(row[model][m]) for m in ("mae", "rmse", "smape", "mase"))


def test_a_tiny_clip_norm_clips_every_step(runner, data):
    res = ok(
        runner.invoke(app, ["train", "data.csv", "-o", "m", *TINY, "--clip-norm", "1e-6", "--json"])
    )
    summary = json.loads(res.stdout)["summary"]
    assert summary["clipped_share"] == 1.0 and summary["clip_norm"] == 1e-6


def test_the_summary_table_reports_clipping(runner, data):
    res = ok(runner.invoke(app, ["train", "data.csv", "-o", "m", *TINY, "--clip-norm", "1e-6"]))
    assert "100% of steps at 1e-06" in res.stdout
    res = ok(runner.invoke(app, ["train", "data.csv", "-o", "m", *TINY, "--clip-norm", "0"]))
    assert "clipped" in res.stdout and "off" in res.stdout


@pytest.mark.parametrize(
    "flag,value,fragments",
    [
        ("--loss", "foo", ["'foo' is not one of", "mae", "mse", "huber"]),
        ("--model", "xyz", ["'xyz' is not one of", "rnn", "lstm", "gru"]),
        ("--decoder", "tcn", ["'tcn' is not one of", "direct", "seq2seq"]),
        ("--scaler", "log", ["'log' is not one of", "standard"]),
        ("--device", "tpu", ["'tpu' is not one of", "cpu"]),
        ("--epochs", "ten", ["valid integer"]),
        ("--jobs", "-1", ["greater than or equal to 0"]),
    ],
)
def test_a_bad_flag_value_is_a_usage_error(runner, data, flag, value, fragments):
    res = runner.invoke(app, ["train", "data.csv", flag, value], env={"COLUMNS": "250"})
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert res.stdout == ""
    message = [line for line in res.stderr.splitlines() if "Invalid value" in line]
    assert len(message) == 1, res.stderr  # the error itself is one line inside the box
    assert f"Invalid value for '{flag}'" in message[0]
    for f in fragments:
        assert f in message[0], (f, message[0])


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--attention"], "--attention needs --decoder seq2seq"),
        (["--epochs", "0"], "--epochs"),
        (["--lr", "0"], "--lr"),
        (["--clip-norm", "-1"], "--clip-norm"),
        (["--teacher-forcing", "2"], "--teacher-forcing"),
        (["--window", "1"], "--window"),
        (["--hidden", "0"], "--hidden"),
        (["--dropout", "1.5"], "--dropout"),
        (["--ensemble", "0"], "--ensemble"),
        (["--val-size", "0"], "--val-size"),
        (["--window", "500"], "longer than every series"),
    ],
)
def test_an_impossible_setting_is_one_error_line(runner, data, tmp_path, args, fragment):
    res = runner.invoke(app, ["train", "data.csv", "-o", "m", "-q", *args])
    one_line_error(res, fragment)
    assert not (tmp_path / "m").exists()


def test_a_nan_loss_exits_with_a_training_error_and_writes_nothing(
    runner, data, tmp_path, monkeypatch
):
    monkeypatch.setattr(
        train_mod, "_loss_fn", lambda name: lambda pred, y: (pred - y).abs().mean() * np.nan
    )
    res = runner.invoke(app, ["train", "data.csv", "-o", "m", *TINY])
    one_line_error(res, "loss became nan", "no model written", code=4)
    assert not (tmp_path / "m").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


def test_an_interrupted_train_keeps_the_earlier_model(runner, data, tmp_path, monkeypatch):
    ok(runner.invoke(app, ["train", "data.csv", "-o", "m", *TINY]))
    before = {p.name: p.read_bytes() for p in (tmp_path / "m").iterdir()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_mod, "fit", interrupted)
    res = runner.invoke(app, ["train", "data.csv", "-o", "m", *TINY])
    assert res.exit_code == 130
    assert "earlier model is intact" in res.stderr
    assert {p.name: p.read_bytes() for p in (tmp_path / "m").iterdir()} == before


def test_train_refuses_to_write_into_a_folder_that_is_not_a_model(runner, data, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep me")
    res = runner.invoke(app, ["train", "data.csv", "-o", "notes", *TINY])
    one_line_error(res, "not a forecastr model")
    assert (tmp_path / "notes" / "todo.txt").read_text() == "keep me"


def test_train_help_ends_with_an_example(runner):
    res = ok(runner.invoke(app, ["train", "--help"]))
    assert "Example: forecastr train" in " ".join(res.stdout.split())


def test_evaluate_refit_and_attention_plot(runner, data, tmp_path):
    ok(
        runner.invoke(
            app, ["train", "data.csv", "-o", "m", "--decoder", "seq2seq", "--attention", *TINY]
        )
    )
    one_line_error(
        runner.invoke(app, ["evaluate", "m", "data.csv", "--folds", "2"]), "--refit", code=1
    )
    res = ok(
        runner.invoke(
            app,
            [
                "evaluate", "m", "data.csv", "--folds", "2", "--refit", "--json",
                "--plot-attention", "att.png", "--series", "b",
            ],
        )
    )  # fmt: skip
    report = json.loads(res.stdout)
    assert report["refit"] is True and report["folds"] == 2
    assert report["season_length"] == 12  # the model's, read from the loaded model
    assert (tmp_path / "att.png").read_bytes()[:4] == b"\x89PNG"


def test_attention_plot_refused_without_attention(runner, data):
    ok(runner.invoke(app, ["train", "data.csv", "-o", "m", "--no-refit", *TINY]))
    one_line_error(
        runner.invoke(app, ["evaluate", "m", "data.csv", "--plot-attention", "a.png"]),
        "no attention",
    )
    one_line_error(
        runner.invoke(app, ["evaluate", "data.csv", "--plot-attention", "a.png"]), "needs a model"
    )


def test_season_length_takes_a_list_and_every_season_gets_a_baseline(runner, data):
    res = ok(
        runner.invoke(
            app, ["train", "data.csv", "-o", "m", *TINY, "--season-length", "12,6", "--json"]
        )
    )
    payload = json.loads(res.stdout)
    assert [(s["period"], s["source"]) for s in payload["seasons"]] == [(12, "user"), (6, "user")]
    assert payload["config"]["season_length"] == 12
    methods = [r["method"] for r in payload["evaluation"]["summary"]]
    assert "seasonal_naive" in methods and "seasonal_naive_6" in methods
    assert payload["evaluation"]["season_length"] == 12


def test_a_bad_season_list_is_one_error_line(runner, data):
    res = runner.invoke(app, ["train", "data.csv", "-o", "m", *TINY, "--season-length", "12,x"])
    assert res.exit_code == 2 and "--season-length" in res.output
    assert "Traceback" not in res.output


def test_info_shows_the_seasons_and_their_evidence(runner, data):
    res = ok(runner.invoke(app, ["info", "data.csv", "--json"]))
    seasons = json.loads(res.stdout)["seasons"]
    assert seasons[0]["period"] == 12 and seasons[0]["significant"]
    assert seasons[0]["acf"] > seasons[0]["threshold"]


def test_series_too_short_for_the_default_window_name_every_flag_that_makes_room(
    runner, tmp_path, monkeypatch
):
    # Six yearly series of 14 points with horizon 6: validation and test take 12 of them, and
    # the default window (two horizons, no season) fits none; the user passed no --window.
    monkeypatch.chdir(tmp_path)
    rows = [f"s{k},{1990 + t}-01-01,{100 + 3 * t + k}" for k in range(6) for t in range(14)]
    (tmp_path / "y.csv").write_text("unique_id,ds,y\n" + "\n".join(rows) + "\n")
    # With --no-theta (no Theta-only fallback: tests/test_thetaonly.py) the file is refused.
    result = runner.invoke(app, ["train", "y.csv", "--horizon", "6", "--no-theta", *TINY])
    assert result.exit_code == 2, result.output
    line = result.stderr.strip().splitlines()[-1]
    assert "the window (12 points)" in line and "holds 2 points" in line
    assert "--horizon" in line and "--val-size" in line and "Traceback" not in result.output


def test_a_file_of_short_yearly_series_trains_with_a_window_they_hold(runner, tmp_path):
    # Eight yearly series of 20 points, horizon 6: validation and test take 12, leaving 8 to
    # train on. Two horizons of window (12) fit no series, so the default window is what the
    # longest training part holds, and every series is trained on and forecast.
    rows = [
        f"s{k},{1990 + t}-01-01,{100 + (3 + k) * t + (t * 7 % 5)}"
        for k in range(8)
        for t in range(20)
    ]
    (tmp_path / "y.csv").write_text("unique_id,ds,y\n" + "\n".join(rows) + "\n")
    model = str(tmp_path / "m")
    res = ok(
        runner.invoke(
            app, ["train", str(tmp_path / "y.csv"), "--horizon", "6", "-o", model, *TINY, "--json"]
        )
    )
    assert json.loads(res.stdout)["config"]["window"] == 8
    out = tmp_path / "fc.csv"
    ok(runner.invoke(app, ["predict", model, "-o", str(out)]))
    fc = pd.read_csv(out)
    assert fc.groupby("unique_id").size().to_dict() == {f"s{k}": 6 for k in range(8)}
    assert np.isfinite(fc["forecast"]).all()
