"""Lines of notes below a table (``forecastr/ingest/footer.py``): a ``Total`` row, a source, a
footnote are left out with a note; a last data row with a fault is still refused by line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import train_then_predict
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr.data import load_csv
from forecastr.errors import InputError
from forecastr.ingest.footer import find_footer, shape

FAST = ["--epochs", "1", "--ensemble", "1", "--hidden", "8", "--layers", "1", "-q"]
ENGINES = ["pyarrow", "pandas"]


def table(n: int = 30, sep: str = ",", newline: str = "\n", freq: str = "MS") -> str:
    months = pd.date_range("2019-01-01", periods=n, freq=freq).strftime("%Y-%m-%d")
    rows = [f"{m}{sep}{100 + k % 12 + k / 10:.2f}" for k, m in enumerate(months)]
    return newline.join([f"Month{sep}Sales", *rows]) + newline


@pytest.fixture(params=ENGINES)
def engine(request, monkeypatch):
    import forecastr.ingest.csvread as csvread

    monkeypatch.setattr(csvread, "ENGINE", request.param)
    return request.param


@pytest.mark.parametrize(
    ("footer", "lines"),
    [
        ("Total,3456.7\n", 1),  # a spreadsheet's sum row
        ("\nSource: Office for National Statistics\n", 1),  # one field, after a blank line
        ("Notes:,\n1. Provisional figures,\n2. Revised,\n", 3),
        ("\n\n* Seasonally adjusted\n(c) An agency 2024\n", 2),
        ("Grand total,3456.7\nAverage,115.2\n", 2),
    ],
)
def test_notes_below_the_data_are_left_out(write_csv, engine, footer, lines):
    panel = load_csv(write_csv(table() + footer))
    assert len(panel.y) == 30 and panel.freq == "MS"
    assert panel.notes[0].startswith(f"{lines} line{'s' if lines > 1 else ''} of notes below")


def test_windows_line_ends_and_no_last_line_end(write_csv, engine):
    panel = load_csv(write_csv(table(newline="\r\n") + "\r\nSource: ONS\r\n"))
    assert len(panel.y) == 30
    panel = load_csv(write_csv(table() + "Total,3456.7"))  # no line end after the footer
    assert len(panel.y) == 30 and "Total" in panel.notes[0]


@pytest.mark.parametrize(
    ("last", "message"),
    [
        ("2021-13-01,5\n", "2021-13-01"),  # a typo in the last date: refused, not left out
        ("2021-07-01,1,234\n", "line 32 has 3 fields"),  # an unquoted separator
        ("Total,5\n2021-07-01,5\n", "cannot read 'Total'"),  # data below it: not a footer
    ],
)
def test_a_faulty_last_row_is_still_refused(write_csv, engine, last, message):
    with pytest.raises(InputError, match=message):
        load_csv(write_csv(table() + last))


def test_data_after_a_blank_line_is_kept(write_csv, engine):
    text = table(31)
    head, last = text.rstrip("\n").rsplit("\n", 1)
    panel = load_csv(write_csv(head + "\n\n" + last + "\n"))
    assert len(panel.y) == 31 and not panel.notes


def test_more_than_ten_lines_of_notes_are_refused(write_csv, engine):
    footer = "\nSource: x\n" + "".join(f"note {k}\n" for k in range(11))
    with pytest.raises(InputError):
        load_csv(write_csv(table() + footer))


def test_a_long_file_keeps_a_footer_out_of_its_sample(write_csv, engine):
    # a footer within the first rows read to detect the layout must not be read as data there
    rows = "".join(f"s{j},2020-0{m}-01,{j + m}\n" for j in range(2) for m in range(1, 10))
    panel = load_csv(write_csv("id,date,y\n" + rows + "\nSource: a survey\n"))
    assert panel.ids == ["s0", "s1"] and len(panel.y) == 18


def test_a_large_file_reads_its_tail_only(tmp_path, engine):
    path = tmp_path / "big.csv"
    path.write_text(table(5000, freq="D") + "\nSource: ONS\n")  # 100 kB: past the tail read
    assert find_footer(str(path), "utf-8", ",", ["Month", "Sales"], ["2019-01-01"]) is not None
    panel = load_csv(path)
    assert len(panel.y) == 5000 and panel.notes


def test_shapes():
    assert shape("2020-01-01") == shape("2021-12-31") == "0-0-0"
    assert shape("Total") == "a" and shape("store_12") == "a_0"


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(min_value=8, max_value=60),  # more data rows than lines of notes
    footer=st.lists(
        st.sampled_from(["Total,1", "Source: x", "Notes:,", "1. a note,", "* revised", ""]),
        min_size=1,
        max_size=6,
    ),
    blank=st.booleans(),
)
def test_any_footer_leaves_the_data_whole(tmp_path_factory, n, footer, blank):
    path = tmp_path_factory.mktemp("f") / "data.csv"
    lines = ([""] if blank else []) + footer
    path.write_text(table(n) + "\n".join(lines) + "\n")
    filled = [k for k, line in enumerate(lines) if line.strip()]
    labelled = ("Total,1", "Source: x", "Notes:,", "* revised")
    if not filled or filled[0] > 0 or lines[filled[0]] in labelled:  # after a blank, or a label
        panel = load_csv(path)
        assert len(panel.y) == n
        assert np.allclose(panel.y, [100 + k % 12 + k / 10 for k in range(n)], atol=0.006)
    else:  # a footnote right below the data, with no blank line or label: refused by line
        with pytest.raises(InputError):
            load_csv(path)


def test_train_and_predict_on_a_file_with_notes(tmp_path, write_csv):
    rows = train_then_predict(write_csv(table(48) + "\nSource: ONS\n"), tmp_path / "m", *FAST)
    assert rows[1][1] == "2023-01-01"
