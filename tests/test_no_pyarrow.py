"""Ingest without pyarrow: pandas' C parser gives the same panels and the same errors.

pyarrow is optional (the edge install leaves it out). Most tests here run the real fallback
in-process by setting ``csvread.ENGINE``, and compare it with the pyarrow reader on the same
file; one test blocks ``import pyarrow`` in a fresh interpreter and runs the CLI end to end.
"""

from __future__ import annotations

import bz2
import gzip
import importlib.util
import json
import lzma
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE_DATA
from test_cli_info import BAD_INPUTS, assert_one_line_error

from forecastr.cli import app
from forecastr.data import IngestOptions, load_csv
from forecastr.errors import InputError, MissingDependencyError
from forecastr.forecast import write_frame
from forecastr.ingest import csvread

ENGINES = ["pyarrow", "pandas"]


@pytest.fixture(params=ENGINES)
def engine(request, monkeypatch):
    """Each test runs once per reader; the pyarrow run is skipped where it is not installed."""
    if request.param == "pyarrow":
        pytest.importorskip("pyarrow")
    monkeypatch.setattr(csvread, "ENGINE", request.param)
    return request.param


def load_with(engine_name: str, path, **options):
    """``load_csv`` with the given reader: the panel, or the InputError's message."""
    old = csvread.ENGINE
    csvread.ENGINE = engine_name
    try:
        return load_csv(path, IngestOptions(**options))
    except InputError as err:
        return str(err)
    finally:
        csvread.ENGINE = old


def assert_same_outcome(path, **options) -> None:
    """Both readers give equal panels, or the same error message."""
    pytest.importorskip("pyarrow")
    arrow, pandas_ = (load_with(e, path, **options) for e in ENGINES)
    if isinstance(arrow, str) or isinstance(pandas_, str):
        assert arrow == pandas_
        return
    assert pandas_.ids == arrow.ids
    np.testing.assert_array_equal(pandas_.y, arrow.y)
    np.testing.assert_array_equal(pandas_.ds, arrow.ds)
    assert pandas_.ds.dtype == arrow.ds.dtype and pandas_.y.dtype == np.float64
    np.testing.assert_array_equal(pandas_.offsets, arrow.offsets)
    for attr in ("freq", "step", "layout", "columns", "notes", "filled_points", "filled_series"):
        assert getattr(pandas_, attr) == getattr(arrow, attr), attr


# (name, content, ingest options): the layouts, time formats, separators and encodings.
GOOD_FILES = [
    (
        "long",
        "unique_id,ds,y\na,2020-01-01,1\na,2020-01-02,2\nb,2020-01-01,3\nb,2020-01-02,4\n",
        {},
    ),
    ("long_text_id", "store,date,sales\nA,2020-01-01,1\nA,2020-01-02,2\nB,2020-01-01,3\n", {}),
    (
        "integer_ids",
        "id,ds,y\n1,2020-01-01,1\n1,2020-01-02,2\n02,2020-01-01,3\n02,2020-01-02,4\n",
        {},
    ),
    (
        "shuffled",
        "unique_id,ds,y\nb,2020-01-02,4\na,2020-01-02,2\nb,2020-01-01,3\na,2020-01-01,1\n",
        {},
    ),
    ("wide_ragged", "ds,a,b\n2020-01-01,1,\n2020-01-02,2,\n2020-01-03,3,30\n2020-01-04,,40\n", {}),
    ("single", "month,passengers\n2020-01-01,1\n2020-02-01,2\n2020-03-01,3\n", {}),
    ("target_flag", "ds,a,b\n2020-01-01,1,2\n2020-01-02,3,4\n", {"target": "b"}),
    ("trailing_sep", ",ds,y,\n0,2020-01-01,1,\n1,2020-01-02,2,\n", {}),
    ("gaps", "unique_id,ds,y\na,2020-01-01,1\na,2020-01-02,\na,2020-01-04,7\nb,2020-01-01,5\n", {}),
    ("hourly_gap", "ds,y\n2021-03-01 00:00,1\n2021-03-01 01:00,2\n2021-03-01 03:00,4\n", {}),
    ("int_step", "step,y\n10,1\n12,2\n14,3\n18,5\n", {}),
    ("int_float_step", "t,y\n1.0,1\n2.0,2\n3.0,3\n", {}),
    ("yyyymmdd", "ds,y\n20200130,1\n20200131,2\n20200201,3\n", {}),
    ("tz_aware", "ds,y\n2020-01-01T00:00:00+01:00,1\n2020-01-01T01:00:00+01:00,2\n", {}),
    ("day_first", "ds,y\n01/02/2020,1\n02/02/2020,2\n03/02/2020,3\n", {}),
    ("quarters", "quarter,y\n2020Q1,1\n2020Q2,2\n2020Q3,3\n", {}),
    ("semicolon_decimal_comma", "ds;y\n2020-01-01;1,5\n2020-01-02;2,25\n2020-01-03;-3,0\n", {}),
    ("thousands_dots", "ds;y\n2020-01-01;1.234,5\n2020-01-02;2,5\n", {}),
    ("semicolon_points", "ds;a;b\n2020-01-01;1.5;2\n2020-01-02;2.5;3\n", {}),
    ("tab", "ds\ty\n2020-01-01\t1\n2020-01-02\t2\n", {}),
    ("bom", b"\xef\xbb\xbfds,y\n2020-01-01,1\n2020-01-02,2\n", {}),
    ("utf16", "ds,y\n2020-01-01,1\n2020-01-02,2\n".encode("utf-16"), {}),
    ("cp1252", "unique_id,ds,y\ncafé,2020-01-01,1\ncafé,2020-01-02,2\n".encode("cp1252"), {}),
    ("crlf_blank", "\n\nds,y\r\n2020-01-01,1\r\n\r\n2020-01-02,2\r\n\r\n", {}),
    ("spreadsheet_rows", "ds,a,b\n2020-01-01,1,2\n2020-01-02,3,4\n,,\n,,\n", {}),
    ("quoted_spaces", 'ds , y \n"2020-01-01"," 1 "\n 2020-01-02 , 2\n2020-01-03,  \n', {}),
    ("quoted_newline", 'ds,y,note\n2020-01-01,1,"two\nlines"\n2020-01-02,2,x\n', {"target": "y"}),
    ("null_tokens", "ds,y\n2020-01-01,1\n2020-01-02,NA\n2020-01-03,#N/A\n2020-01-04,-\n", {}),
    ("floats", "ds,y\n2020-01-01,0.1\n2020-01-02,1e-300\n2020-01-03,123456789.123456789\n", {}),
]


@pytest.mark.parametrize(("name", "content", "options"), GOOD_FILES, ids=[g[0] for g in GOOD_FILES])
def test_pandas_reads_the_same_panel_as_pyarrow(write_csv, name, content, options):
    assert_same_outcome(write_csv(content, name + ".csv"), **options)


@pytest.mark.parametrize(
    "name", ["seattle_temperature_hourly.csv", "us_employment_monthly_wide.csv"]
)
def test_sample_data_is_read_alike(name):
    assert_same_outcome(SAMPLE_DATA / name)


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_compressed_files(write_csv, engine, suffix):
    raw = b"ds,y\n2020-01-01,1\n2020-01-02,2\n"
    data = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}[suffix](raw)
    assert load_csv(write_csv(data, "data.csv" + suffix)).series(0).tolist() == [1, 2]


@pytest.mark.parametrize("suffix", [".gz", ".xz"])
def test_a_compressed_file_corrupt_past_its_first_rows_is_one_clear_error(
    write_csv, engine, suffix
):
    """The sniffed start decompresses; the reader meets the damage later (both engines)."""
    raw = b"ds,y\n" + b"".join(b"%d,%d\n" % (i, i % 97) for i in range(300_000))
    data = {".gz": gzip.compress, ".xz": lzma.compress}[suffix](raw)
    with pytest.raises(InputError, match="corrupt or truncated past its first rows"):
        load_csv(write_csv(data[: len(data) * 3 // 4], "data.csv" + suffix))  # cut short


@pytest.mark.parametrize(
    ("name", "content", "args", "fragments"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_gives_the_same_one_line_error(
    runner, write_csv, name, content, args, fragments, monkeypatch
):
    """Every bad file of test_cli_info: one stderr line, and the very same message."""
    path = str(write_csv(content, name))
    monkeypatch.setattr(csvread, "ENGINE", "pandas")
    result = runner.invoke(app, ["info", path, *args])
    message = assert_one_line_error(result, *fragments)
    assert name in message
    if importlib.util.find_spec("pyarrow") is not None:
        monkeypatch.setattr(csvread, "ENGINE", "pyarrow")
        assert runner.invoke(app, ["info", path, *args]).stderr == result.stderr


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ("ds,y\n2020-01-01,1,3\n2020-01-02,5\n", ["line 2 has 3 fields", "header has 2"]),
        ("ds,y\n2020-01-01,1,3\n", ["line 2 has 3 fields"]),
        ('ds,y,note\n2020-01-01,1,"a\nb"\n2020-01-02,2,x,y\n', ["line 4 has 4 fields"]),
        ("t,y\n1.5,1\n2.5,2\n", ["column 't'", "fractional"]),
        ("ds,y\n2020-01-01,1\n2020-01-02,true\n", ["'true'", "line 3"]),
        ("ds;y\n2020-01-01;1,5\n2020-01-02;x\n", ["'x'", "line 3"]),
        ("  \nds,y\n2020-01-01,1\n2020-01-02,x\n", ["'x'", "line 4"]),
    ],
    ids=[
        "extra-first-row",
        "extra-only-row",
        "extra-after-quoted-newline",
        "fractional-time",
        "bool-value",
        "decimal-comma-junk",
        "spaces-line-before-header",
    ],
)
def test_row_and_cell_errors_name_the_line(write_csv, engine, content, fragments):
    """Cases the pandas reader must catch itself: it drops extra fields of the first row with
    only a warning, and reads fractional times as text."""
    with pytest.raises(InputError) as info:
        load_csv(write_csv(content))
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


@pytest.mark.parametrize(
    ("content", "line", "fields"),
    [
        ("ds,y,z\n2020-01-01,1\n2020-01-02,2,5\n2020-01-03,3,6\n2020-01-04,4,\n", 2, 2),
        ("ds,y,z\n2020-01-01,1,\n2020-01-02,2\n2020-01-03,3,6\n2020-01-04,4,7\n", 3, 2),
    ],
    ids=["short-first-row", "short-row-empty-last-cell-before"],
)
def test_rows_shorter_than_the_header_read_as_empty_cells(write_csv, engine, content, line, fields):
    """A row that ends early (a spreadsheet writes no trailing empty cells: datahub's CPI file
    starts ``1913-01-01,9.8`` under ``Date,Index,Inflation``) reads its missing fields as
    empty, as pandas and R read it, with a note naming the first such line."""
    panel = load_csv(write_csv(content))
    assert panel.ids == ["y", "z"] and panel.y[:4].tolist() == [1.0, 2.0, 3.0, 4.0]
    note = f"the first at line {line}, with {fields}): their missing last fields read as empty"
    assert any(note in n for n in panel.notes), panel.notes


def test_late_non_utf8_text_is_reread_as_cp1252(write_csv):
    """Valid UTF-8 in the first megabyte (what is sniffed), Windows-1252 after it."""
    head = "unique_id,t,y\n" + "".join(f"a,{t},{t}\n" for t in range(120_000))
    rows = "".join(f"caf\xe9,{t},{t}\n" for t in range(28))
    path = write_csv(head.encode() + rows.encode("cp1252"))
    assert_same_outcome(path)
    assert load_with("pandas", path).ids == ["a", "café"]


def test_chunk_boundaries(write_csv, monkeypatch):
    """Files longer than a chunk: ids keep their first-appearance order, lines stay right."""
    monkeypatch.setattr(csvread, "PANDAS_CHUNK_CELLS", 1)  # 1024-row chunks
    ids = ["z", "m", "a", "q"]
    rows = [f"{s},{d},{k}" for k, (d, s) in enumerate((d, s) for d in range(1000) for s in ids)]
    path = write_csv("unique_id,t,y\n" + "\n".join(rows) + "\n")
    assert_same_outcome(path)
    panel = load_with("pandas", path)
    assert panel.ids == ids and len(panel.y) == 4000
    rows[2500] = rows[2500].rsplit(",", 1)[0] + ",oops"
    rows[3500] = rows[3500].rsplit(",", 1)[0]  # a short row, after the bad value
    path = write_csv("unique_id,t,y\n" + "\n".join(rows) + "\n")
    assert_same_outcome(path)  # the short row reads as an empty cell: the bad value counts
    assert "'oops' in column 'y' at line 2502" in load_with("pandas", path)


def test_a_line_of_spaces_is_skipped_with_lines_kept_right(write_csv):
    """pandas skips a line of spaces (pyarrow refuses it); later line numbers still count it."""
    path = write_csv("ds,y\n2020-01-01,1\n   \n2020-01-02,2\n2020-01-03,x\n")
    assert "'x' in column 'y' at line 5" in load_with("pandas", path)
    path = write_csv("ds,y\n2020-01-01,1\n   \n2020-01-02,2\n")
    assert load_with("pandas", path).series(0).tolist() == [1, 2]


def test_engine_is_pyarrow_where_importable_else_pandas(monkeypatch):
    """Only the selector: pandas itself misbehaves once pyarrow vanishes after it was loaded,
    so reading with pyarrow truly missing is the end-to-end test's job."""
    monkeypatch.setattr(csvread, "ENGINE", None)
    if importlib.util.find_spec("pyarrow") is not None:
        assert csvread.engine() == "pyarrow"
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` raises ImportError
    assert csvread.engine() == "pandas"


def test_parquet_output_without_pyarrow_says_how_to_install_it(tmp_path, monkeypatch):
    frame = pd.DataFrame({"unique_id": ["a"], "ds": [pd.Timestamp("2020-01-01")], "forecast": [1]})
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingDependencyError, match=r"pip install pyarrow .*forecastr\[full\]"):
        write_frame(frame, str(tmp_path / "f.parquet"), "parquet")
    assert list(tmp_path.iterdir()) == []  # nothing half-written
    write_frame(frame, str(tmp_path / "f.csv"), "csv")  # the text formats need no pyarrow


# ---------------------------------------------------------------------------------------------
# end to end, with pyarrow not importable at all (as on the edge install)

CHILD = """
import os, sys
sys.modules["pyarrow"] = None  # before pandas is imported: as if it were not installed
def _exit(code):
    raise SystemExit(code)
os._exit = _exit
from forecastr.cli import main
for args in {runs!r}:
    sys.argv = ["forecastr", *args]
    print("=== " + " ".join(args), flush=True)
    print("=== " + " ".join(args), file=sys.stderr, flush=True)
    try:
        main()
    except SystemExit as e:
        print(f"=== exit {{e.code or 0}}", flush=True)
    sys.stdout.flush()
loaded = [m for m in sys.modules if m.split(".")[0] == "pyarrow" and sys.modules[m] is not None]
assert not loaded, loaded
"""


def test_cli_end_to_end_where_pyarrow_cannot_be_imported(tmp_path):
    pytest.importorskip("torch")  # the ONNX model is made with torch, in this process
    from test_export import tiny_model_dir
    from test_runtime import write_long_csv

    from forecastr.export import export_onnx

    csv = write_long_csv(tmp_path / "data.csv")
    tiny_model_dir(tmp_path / "m", panel=load_csv(csv), cell="gru")
    export_onnx(tmp_path / "m", tmp_path / "m.onnx")
    runs = [
        ["info", "data.csv", "--json"],
        ["predict", "m.onnx", "data.csv"],
        ["predict", "m.onnx", "data.csv", "-o", "f.parquet", "--format", "parquet"],
    ]
    proc = subprocess.run(
        [sys.executable, "-c", CHILD.format(runs=runs)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.split("=== ")
    info, predict = out[1], out[3]
    assert json.loads(info.split("\n", 1)[1])["series"] == 3
    assert out[2] == "exit 0\n" and out[4] == "exit 0\n", proc.stdout
    assert predict.split("\n", 1)[1].startswith("unique_id,ds,forecast\nid0,")
    assert out[6] == f"exit {MissingDependencyError.exit_code}\n"
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "pip install pyarrow" in errors[0], proc.stderr
    assert not (tmp_path / "f.parquet").exists()
