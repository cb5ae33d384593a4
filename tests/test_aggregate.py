"""A log of events (a row per sale, several to a day, none on some) read as series with
--aggregate: the rows of each series in each period reduced to one value, the period's label
on the --freq grid, partial first and last periods of totals left out, empty periods zero for
totals; a model remembers how its data was read, and so does its ONNX file."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr.cli import app
from forecastr.data import load_csv
from forecastr.errors import ArtifactError, InputError
from forecastr.forecast import Schema
from forecastr.ingest.aggregate import aggregate
from forecastr.ingest.options import IngestOptions
from forecastr.ingest.where import Where

FAST = ["--epochs", "1", "--ensemble", "1", "--hidden", "8", "--layers", "1", "-q"]
SALES = IngestOptions(id_col="store", target="amount")


def sales(**changes) -> IngestOptions:
    return replace(SALES, **changes)


def log(rows: list[tuple[str, str, float]]) -> str:
    return "order,stamp,store,amount\n" + "".join(
        f"o{k},{t},{s},{v}\n" for k, (t, s, v) in enumerate(rows)
    )


def day_log(days: int = 70, start: str = "2024-01-01") -> str:
    """Store a sells 1 + (day % 3) items a day at 8:00, 9:00 ...; store b every day but
    Sundays, 2 items; every item costs 10."""
    rows = []
    for d, day in enumerate(pd.date_range(start, periods=days, freq="D")):
        for k in range(1 + d % 3):
            rows.append((f"{day:%Y-%m-%d} {8 + k:02d}:15", "a", 10.0))
        if day.day_of_week != 6:
            rows += [(f"{day:%Y-%m-%d} 12:00", "b", 10.0), (f"{day:%Y-%m-%d} 17:30", "b", 10.0)]
    return log(sorted(rows))


def series(panel, sid: str) -> pd.Series:
    i = panel.ids.index(sid)
    lo, hi = panel.offsets[i], panel.offsets[i + 1]
    return pd.Series(panel.y[lo:hi], index=pd.DatetimeIndex(panel.ds[lo:hi]))


def test_rows_of_a_day_are_summed_and_days_without_rows_are_zero(write_csv):
    panel = load_csv(write_csv(day_log()), sales(aggregate="sum", freq="D"))
    a, b = series(panel, "a"), series(panel, "b")
    assert panel.freq == "D" and len(a) == 70 and len(b) == 69  # b's last day is Saturday
    assert a.iloc[:3].tolist() == [10.0, 20.0, 30.0]
    assert b[b.index.day_of_week == 6].eq(0).all() and b[b.index.day_of_week != 6].eq(20).all()
    assert panel.fill == "zero" and panel.filled_points == 9  # b's Sundays within its days
    assert any("values summed per 'D' period" in n for n in panel.notes)


@pytest.mark.parametrize(
    ("how", "first_three"),
    [("count", [1, 2, 3]), ("mean", [10, 10, 10]), ("max", [10, 10, 10]), ("last", [10, 10, 10])],
)
def test_other_reductions(write_csv, how, first_three):
    panel = load_csv(write_csv(day_log()), sales(aggregate=how, freq="D"))
    assert series(panel, "a").iloc[:3].tolist() == first_three
    b = series(panel, "b")
    sundays = b[b.index.day_of_week == 6]
    # a count of no rows is zero; a mean of no rows is a gap, filled by interpolation
    assert sundays.eq(0 if how == "count" else 10).all() and len(sundays) == 9


def test_last_is_the_latest_value_and_min_the_least(write_csv):
    rows = [("2024-01-01 09:00", "a", 5.0), ("2024-01-01 11:00", "a", 3.0)]
    rows += [("2024-01-02 10:00", "a", 4.0), ("2024-01-02 08:00", "a", 7.0)]
    rows += [(f"2024-01-{d:02d} 10:00", "a", 1.0) for d in range(3, 12)]
    path = write_csv(log(rows))
    last = load_csv(path, sales(aggregate="last", freq="D"))
    least = load_csv(path, sales(aggregate="min", freq="D"))
    assert last.y[:2].tolist() == [3.0, 4.0] and least.y[:2].tolist() == [3.0, 4.0]


@pytest.mark.parametrize(
    ("freq", "first", "last", "n"),
    [
        ("W", "2024-01-07", "2024-03-10", 10),  # weeks end on Sunday; 1 Jan 2024 is a Monday
        ("MS", "2024-01-01", "2024-02-01", 2),  # March (to the 10th) is partial
        ("ME", "2024-01-31", "2024-02-29", 2),
    ],
)
def test_periods_are_labelled_as_pandas_resample_labels_them(write_csv, freq, first, last, n):
    opts = sales(aggregate="sum", freq=freq)
    panel = load_csv(write_csv(day_log()), opts)  # 70 days: 1 Jan to 10 Mar 2024
    a = series(panel, "a")
    assert (str(a.index[0].date()), str(a.index[-1].date()), len(a)) == (first, last, n)
    if freq == "W":  # a whole week of store a: days d..d+6 sell 7 * 2 items on average
        assert a.iloc[0] == 10 * sum(1 + d % 3 for d in range(7))


def test_a_partial_first_and_last_period_of_totals_is_left_out_with_a_note(write_csv):
    path = write_csv(day_log(days=80, start="2024-01-15"))  # 15 Jan to 3 Apr
    panel = load_csv(path, sales(aggregate="sum", freq="MS"))
    a = series(panel, "a")
    assert [str(t.date()) for t in a.index] == ["2024-02-01", "2024-03-01"]
    notes = " ".join(panel.notes)
    assert "first period (2024-01-01) is partial (rows from 2024-01-15 only)" in notes
    assert "last period (2024-04-01) is partial (rows to 2024-04-03 only)" in notes
    means = load_csv(path, sales(aggregate="mean", freq="MS"))
    assert len(series(means, "a")) == 4  # a mean of part of a month is still its mean


def test_without_freq_rows_of_one_date_are_grouped(write_csv):
    rows = [(f"2024-01-{1 + k // 3:02d}", "a", float(k)) for k in range(30)]
    panel = load_csv(write_csv(log(rows)), sales(aggregate="sum"))
    assert panel.freq == "D" and panel.y.tolist() == [9.0 * k + 3 for k in range(10)]


def test_an_integer_index_is_grouped_by_step_or_by_blocks_of_freq_steps(write_csv):
    rows = "".join(f"{t},{v}\n" for t in range(1, 29) for v in (1.0, 2.0))
    path = write_csv("step,value\n" + rows)
    by_step = load_csv(path, IngestOptions(aggregate="sum"))
    assert by_step.y.tolist() == [3.0] * 28 and by_step.ds[0] == 1
    by_week = load_csv(path, IngestOptions(aggregate="sum", freq="7"))
    assert by_week.y.tolist() == [21.0] * 4 and by_week.step == 7


def test_explicit_fill_wins_over_the_zero_of_totals(write_csv):
    opts = sales(aggregate="sum", freq="D", fill="interpolate")
    b = series(load_csv(write_csv(day_log()), opts), "b")
    assert b.eq(20).all()


def test_a_log_without_aggregate_is_refused_with_the_flag_to_use(write_csv):
    with pytest.raises(InputError, match=r"--aggregate sum --freq D for events"):
        load_csv(write_csv(day_log()), SALES)


def test_an_integer_index_with_gaps_is_pointed_to_blocks_of_steps(write_csv):
    steps = [*range(10), *range(80, 100)]  # two-digit years that wrap: 80 .. 99, then 0 .. 9
    path = write_csv("t,y\n" + "".join(f"{t},{t % 7}\n" for t in steps))
    with pytest.raises(InputError, match=r"--aggregate sum --freq 7 \(each 7 steps\)") as e:
        load_csv(path)
    assert "--freq D" not in str(e.value)


def test_times_of_day_without_freq_ask_for_the_period(write_csv):
    with pytest.raises(InputError, match=r"with --aggregate, --freq names the period"):
        load_csv(write_csv(day_log()), sales(aggregate="sum"))


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 1), st.integers(0, 20 * 24 * 60), st.floats(-1e6, 1e6)),
        min_size=1,
        max_size=80,
    )
)
def test_daily_sums_keep_every_row_and_make_one_point_per_series_and_day(events):
    events = sorted(events)
    sid = np.array([e[0] for e in events])
    ds = (np.datetime64("2024-01-01") + np.array([e[1] for e in events]).astype("m8[m]")).astype(
        "datetime64[ns]"
    )
    y = np.array([e[2] for e in events])
    offsets = np.searchsorted(sid, np.arange(sid.max() + 2)).astype(np.int64)
    offsets = np.unique(offsets)  # a series with no events is no series
    out_y, out_ds, out_off, where, _ = aggregate(
        y, ds, offsets, Where("t.csv", lambda ks: list(ks)), how="sum", freq="D"
    )
    assert np.isclose(out_y.sum(), y.sum(), rtol=1e-9, atol=1e-3)
    days = {(s, str(d)[:10]) for s, d in zip(sid, ds.astype("datetime64[D]"), strict=True)}
    assert len(out_y) == len(days) and out_off[-1] == len(out_y)
    for i in range(len(out_off) - 1):  # one point per day, in order, within each series
        stamps = out_ds[out_off[i] : out_off[i + 1]]
        assert np.all(np.diff(stamps) > np.timedelta64(0)) and np.all(
            stamps == stamps.astype("datetime64[D]")
        )
    assert where.line(0) == 0 and np.isfinite(out_y).all()


def test_train_remembers_the_aggregation_and_onnx_predicts_the_same(write_csv, runner, tmp_path):
    path = write_csv(day_log(days=140))
    model, onnx = tmp_path / "m", tmp_path / "m.onnx"
    ingest = ["--id-col", "store", "--target", "amount", "--aggregate", "sum", "--freq", "D"]
    res = runner.invoke(app, ["train", str(path), "-o", str(model), *FAST, *ingest])
    assert res.exit_code == 0, res.output
    data = json.loads((model / "config.json").read_text())["data"]
    assert data["aggregate"] == "sum" and data["freq"] == "D"
    plain = runner.invoke(app, ["predict", str(model), str(path)])
    flagged = runner.invoke(app, ["predict", str(model), str(path), *ingest])
    assert plain.exit_code == 0, plain.output
    assert plain.output == flagged.output and "a,2024-05-20," in plain.output  # day 141
    res = runner.invoke(app, ["export", str(model), "--onnx", str(onnx)])
    assert res.exit_code == 0, res.output
    from_onnx = runner.invoke(app, ["predict", str(onnx), str(path)])
    assert from_onnx.exit_code == 0, from_onnx.output
    got = [line.split(",") for line in from_onnx.output.split()[1:]]
    want = [line.split(",") for line in plain.output.split()[1:]]
    assert [r[:2] for r in got] == [r[:2] for r in want]
    assert np.allclose([float(r[2]) for r in got], [float(r[2]) for r in want], rtol=1e-4)


def test_an_unknown_reduction_is_refused_in_one_line(write_csv, runner):
    res = runner.invoke(app, ["info", str(write_csv(day_log())), "--aggregate", "median"])
    assert res.exit_code == 2 and "--aggregate" in res.output + res.stderr


def test_a_model_file_naming_an_unknown_reduction_is_refused_by_field(tmp_path):
    from forecastr.jsonfields import Where as Fields
    from forecastr.modelcheck import check_schema

    d = {"ids": ["a"], "freq": "D", "step": 1, "columns": {}, "layout": "long"}
    w = Fields(str(tmp_path / "config.json"), "retrain the model")
    assert check_schema(w, {**d, "aggregate": "sum"}).aggregate == "sum"
    assert check_schema(w, d).aggregate is None
    with pytest.raises(ArtifactError, match=r"data\.aggregate"):
        check_schema(w, {**d, "aggregate": "median"})
    schema = Schema.from_dict({**d, "aggregate": "count"})
    like = IngestOptions.like(schema, None)
    assert (like.aggregate, like.freq, like.fill_method) == ("count", "D", "zero")
    assert IngestOptions.like(schema, IngestOptions(freq="W")).freq == "W"


def test_dates_repeated_by_events_are_refused_with_the_flag_to_use(write_csv):
    rows = [(f"2024-01-{1 + k // 3:02d}", "a", float(k)) for k in range(30)]
    with pytest.raises(InputError, match=r"add them up per period: --aggregate sum --freq D"):
        load_csv(write_csv(log(rows)), SALES)


def test_a_total_past_what_a_model_can_hold_is_refused_by_line(write_csv):
    rows = [("2024-01-01 09:00", "a", 1.0)] + [("2024-01-02 10:00", "a", 9e29)] * 2
    rows += [(f"2024-01-{d:02d} 10:00", "a", 1.0) for d in range(3, 12)]
    with pytest.raises(InputError, match=r"the sum of the rows of period 2024-01-02 \(from line 3"):
        load_csv(write_csv(log(rows)), sales(aggregate="sum", freq="D"))
    panel = load_csv(write_csv(log(rows)), sales(aggregate="mean", freq="D"))
    assert panel.y[1] == 9e29


def test_dates_at_the_end_of_what_can_be_held_are_refused_in_one_line(write_csv):
    path = write_csv("ds,y\n1677-09-22 00:00,1.0\n1677-09-22 00:00,2.0\n1677-09-23 00:00,1.0\n")
    with pytest.raises(InputError, match=r"too near the ends of the dates"):
        load_csv(path, IngestOptions(aggregate="sum", freq="MS"))


def test_a_last_period_ending_on_a_day_the_shop_is_always_closed_is_whole(write_csv):
    # store b never sells on Sundays, and its rows end on Saturday 9 March
    lines = [line for line in day_log(days=70).splitlines(keepends=True) if ",a," not in line]
    panel = load_csv(write_csv("".join(lines)), sales(aggregate="sum", freq="W"))
    weeks = pd.DatetimeIndex(panel.ds)
    assert str(weeks[-1].date()) == "2024-03-10" and not any("partial" in n for n in panel.notes)
    assert panel.y[-1] == 120  # six days of two sales of 10
    cut = [line for line in lines if "2024-03-0" not in line]  # ends Thursday 29 February
    panel = load_csv(write_csv("".join(cut)), sales(aggregate="sum", freq="W"))
    assert str(pd.Timestamp(panel.ds[-1]).date()) == "2024-02-25"
    assert any("last period (2024-03-03) is partial" in n for n in panel.notes)


def events(n: int = 600) -> str:
    """A web log: a row per page view, its user and page as text, no number anywhere."""
    rng = np.random.default_rng(2)
    minutes = np.sort(rng.integers(0, 5 * 24 * 60, n))
    stamps = pd.Timestamp("2024-03-04") + pd.to_timedelta(minutes, unit="min")
    pages = rng.choice(["home", "cart"], n)
    rows = [f"{t:%Y-%m-%d %H:%M},u{k % 37},{pages[k]}" for k, t in enumerate(stamps)]
    return "ts,user,page\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
def test_count_counts_the_filled_cells_of_a_text_column(write_csv, monkeypatch, engine):
    from forecastr.ingest import csvread

    monkeypatch.setattr(csvread, "ENGINE", engine)
    text = events()
    path = write_csv(text)
    hourly = load_csv(path, IngestOptions(target="user", aggregate="count", freq="h"))
    assert hourly.n_series == 1 and hourly.y.sum() == 600 and len(hourly.y) == 120
    per_page = load_csv(
        path, IngestOptions(id_col="page", target="user", aggregate="count", freq="D")
    )
    assert sorted(per_page.ids) == ["cart", "home"] and per_page.y.sum() == 600
    cart = per_page.ids.index("cart")
    carts = per_page.y[per_page.offsets[cart] : per_page.offsets[cart + 1]]
    assert carts.sum() == text.count(",cart\n")
    blank = write_csv(text.replace(",u3,", ",,", 1))  # an empty cell is no event counted
    counted = load_csv(blank, IngestOptions(target="user", aggregate="count", freq="h"))
    assert counted.y.sum() == 599


def test_count_without_a_column_to_count_says_how_to_name_one(write_csv):
    with pytest.raises(InputError, match=r"--target names the column whose filled cells"):
        load_csv(write_csv(events()), IngestOptions(aggregate="count", freq="h"))


def test_a_frame_counts_text_cells_too():
    from forecastr.data import frame_to_panel

    frame = pd.DataFrame(
        {
            "ds": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02"] * 4),
            "who": list("abc") * 4,
        }
    )
    frame["ds"] = frame["ds"] + pd.to_timedelta(np.repeat(np.arange(4), 3), unit="D")
    panel = frame_to_panel(
        frame, layout="single", id_col=None, time_col="ds", targets=["who"], aggregate="count"
    )
    assert panel.y.tolist() == [2.0, 3.0, 3.0, 3.0, 1.0]


@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
def test_count_reads_a_semicolon_file_without_numbers(write_csv, monkeypatch, engine):
    from forecastr.ingest import csvread

    monkeypatch.setattr(csvread, "ENGINE", engine)  # the fuzzer's file: a header, no rows
    with pytest.raises(InputError, match="no data rows"):
        load_csv(write_csv("ds;date\n"), IngestOptions(aggregate="count"))
    days = "".join(f"2020-01-{d:02d};1,5\n2020-01-{d:02d};x\n" for d in range(1, 21))
    panel = load_csv(write_csv("ds;date\n" + days), IngestOptions(aggregate="count"))
    assert panel.y.tolist() == [2.0] * 20


@pytest.mark.parametrize("how", [None, "sum"])
def test_a_file_of_times_alone_asks_for_count(write_csv, runner, how):
    stamps = "".join(line.split(",")[0] + "\n" for line in events().splitlines()[1:])
    path = write_csv("ts\n" + stamps)
    options = IngestOptions(aggregate=how, freq="h" if how else None)
    with pytest.raises(InputError, match=r"its one column, 'ts', holds times and no column") as e:
        load_csv(path, options)
    assert "pass --aggregate count --freq D" in str(e.value)
    result = runner.invoke(app, ["info", str(path)])
    assert result.exit_code != 0 and "pass --aggregate count" in result.output
    # a column of plain numbers is still one series timed by its row
    assert load_csv(write_csv("v\n" + "".join(f"{k}\n" for k in range(30)))).y.size == 30


def test_a_file_of_times_alone_is_counted_end_to_end(write_csv, runner, tmp_path):
    stamps = "".join(line.split(",")[0] + "\n" for line in events().splitlines()[1:])
    path = write_csv("ts\n" + stamps)
    panel = load_csv(path, IngestOptions(aggregate="count", freq="h"))
    assert panel.ids == ["count"] and panel.y.sum() == 600 and len(panel.y) == 120
    assert any("each row counted as one event" in n for n in panel.notes)
    model, onnx = tmp_path / "m", tmp_path / "m.onnx"
    flags = ["--aggregate", "count", "--freq", "h", "--horizon", "6"]
    res = runner.invoke(app, ["train", str(path), "-o", str(model), *FAST, *flags])
    assert res.exit_code == 0, res.output
    data = json.loads((model / "config.json").read_text())["data"]
    assert data["aggregate"] == "count" and data["columns"]["target"] == ["count"]
    plain = runner.invoke(app, ["predict", str(model), str(path)])  # read as it was trained
    assert plain.exit_code == 0, plain.output
    assert "count,2024-03-09 00:00" in plain.output  # the hour after the last
    res = runner.invoke(app, ["export", str(model), "--onnx", str(onnx)])
    assert res.exit_code == 0, res.output
    from_onnx = runner.invoke(app, ["predict", str(onnx), str(path)])
    assert from_onnx.exit_code == 0, from_onnx.output
    assert from_onnx.output.split()[1].split(",")[:2] == plain.output.split()[1].split(",")[:2]


def test_a_log_of_text_alone_is_refused_with_how_to_count_its_rows(write_csv, runner):
    path = write_csv(events())  # ts, user (the series id), page: no column of numbers
    with pytest.raises(InputError, match=r"no column holds numbers to forecast \(page holds") as e:
        load_csv(path)
    assert "--aggregate count --freq D --target page" in str(e.value)
    result = runner.invoke(app, ["info", str(path)])
    assert result.exit_code != 0 and "--aggregate count --freq D --target page" in result.output
    # a wide one: every column but the time holds text
    rows = "".join(
        f"2024-01-{1 + k // 7:02d} {k % 7:02d}:00,u{k % 5},{'ab'[k % 2]}\n" for k in range(140)
    )
    wide = write_csv("ts,who,what\n" + rows)
    with pytest.raises(InputError, match=r"\(who, what hold text\).*--target who"):
        load_csv(wide)
    with pytest.raises(InputError, match="no column holds numbers"):  # a sum of text: count
        load_csv(wide, IngestOptions(aggregate="sum", freq="D"))
    # counted, every text column's filled cells make a series, as before
    counted = load_csv(wide, IngestOptions(aggregate="count", freq="D"))
    assert counted.n_series == 2 and counted.y.sum() == 280
    # a label column beside a column of numbers is still left out with a note
    mixed = write_csv("ts,label,v\n" + "".join(f"2024-01-{d:02d},x{d},{d}\n" for d in range(1, 29)))
    assert load_csv(mixed).n_series == 1
