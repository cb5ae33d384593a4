"""Fuzzing CSV ingest: random bytes and random CSV structures through ``load_csv``.

Whatever the file, the only acceptable outcomes are a :class:`ForecastrError` with one short,
printable line, or a valid :class:`Panel` (finite values within the model's range, strictly
increasing time within each series, unique ids). Never another exception, never a warning,
never a hang (:func:`try_load` arms an alarm per file).

The strategies and :func:`try_load` are reused by ``bench/fuzz_csv.py``, which counts the
outcomes of many more random files. The fixed regression corpus of every case found by
probing lives in ``tests/test_extremes.py``.
"""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from timelimit import Hang, time_limit

from forecastr.data import MAX_VALUE, IngestOptions, load_csv
from forecastr.errors import ForecastrError
from forecastr.ingest import csvread
from forecastr.panel import Panel

# Fixed seeds and no example database: the same examples on every run and machine.
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SECONDS_PER_FILE = 20  # far above any real load here (~20 ms): only a hang trips it
LONGEST_MESSAGE = 1500  # characters: a message quotes names and cells cut to size

# Outcomes of every file tried in this process, for bench/fuzz_csv.py.
OUTCOMES: Counter[str] = Counter()


def try_load(data: bytes, options: IngestOptions, engine: str = "pyarrow", name="f.csv"):
    """("refused", message) or ("accepted", panel); anything else propagates (a bug).

    Warnings are errors here: the data path must leave none on the terminal.
    """
    old = csvread.ENGINE
    csvread.ENGINE = engine  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            with warnings.catch_warnings(), time_limit(SECONDS_PER_FILE):
                warnings.simplefilter("error")
                try:
                    return "accepted", load_csv(path, options)
                except ForecastrError as err:
                    return "refused", str(err)
    finally:
        csvread.ENGINE = old


def check_outcome(kind: str, result) -> None:
    """The invariants of each acceptable outcome; counts it in OUTCOMES."""
    OUTCOMES[kind] += 1
    if kind == "refused":
        check_message(result)
    else:
        check_panel(result)


def check_message(message: str) -> None:
    assert message.isprintable(), repr(message)  # no newline, no ANSI escape, no NUL
    assert len(message) <= LONGEST_MESSAGE, message[:300]


def check_panel(panel: Panel) -> None:
    assert panel.offsets[0] == 0 and panel.offsets[-1] == len(panel.y) == len(panel.ds)
    assert np.all(np.diff(panel.offsets) >= 1)
    assert np.isfinite(panel.y).all() and np.abs(panel.y).max() <= MAX_VALUE
    assert panel.ds.dtype in (np.dtype("datetime64[ns]"), np.dtype(np.int64))
    for i in range(panel.n_series):
        t = panel.timestamps(i)
        assert np.all(t[1:] > t[:-1])
    assert len(set(panel.ids)) == panel.n_series
    try:  # the step after the end: there, or refused in one line (near 2262 or int64's end)
        panel.check_future(3)
    except ForecastrError as err:
        check_message(str(err))


# ---------------------------------------------------------------------------------------------
# strategies

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]
SEPARATORS = [",", ";", "\t", "|"]
ANSI = "\x1b[31mred\x1b[0m"

# Column names: the recognised ones, and text a file should not be trusted with.
NAMES = st.sampled_from(
    ["ds", "date", "unique_id", "id", "y", "value", "a", "b", "", " ", ANSI, "[bold red]x",
     "x" * 300, "\u202egnp.exe", "ds", "1", "2020-01-01", "Unnamed: 3", "na"]
)  # fmt: skip

ODD_NUMBERS = ["1e-300", "-1e-300", "1e300", "-1e300", "1e30", "1.1e30", "1e-30", "9e-31",
               "inf", "-inf", "nan", "NaN", "", "0", "-0.0", "1,5", "1.234,5", "1e400",
               "-1e-400", str(2**63), str(2**64 + 1), str(-(2**63) - 1), "0x1F", " 3 ",
               "1_000", "\x00", "true", "4.9e-324", "1.7976931348623157e308"]  # fmt: skip

YEARS = [0, 1, 1000, 1677, 1678, 1970, 2020, 2261, 2262, 2263, 2300, 9999, 10000]


def number_cells() -> st.SearchStrategy[str]:
    floats = st.floats(allow_nan=True, allow_infinity=True).map(repr)
    ints = st.integers(-(2**70), 2**70).map(str)
    return st.one_of(st.sampled_from(ODD_NUMBERS), floats, ints, st.integers(0, 50).map(str))


@st.composite
def date_cells(draw) -> str:
    year = draw(st.sampled_from(YEARS) | st.integers(1600, 2400))
    month, day = draw(st.integers(0, 13)), draw(st.integers(0, 32))
    hour = draw(st.integers(0, 24))
    form = draw(st.sampled_from(["iso", "dmy", "mdy", "dot", "compact", "q", "zone", "hour"]))
    return {
        "iso": f"{year:04d}-{month:02d}-{day:02d}",
        "dmy": f"{day:02d}/{month:02d}/{year:04d}",
        "mdy": f"{month}/{day}/{year % 100:02d}",
        "dot": f"{day:02d}.{month:02d}.{year:04d}",
        "compact": f"{year:04d}{month:02d}{day:02d}",
        "q": f"{year:04d}-Q{month % 5}",
        "zone": f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:00:00+0{hour % 10}:00",
        "hour": f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:00",
    }[form]


ID_CELLS = st.sampled_from(["a", "b", ANSI, "[bold red]x", "", "nan", "1", "\u202eevil",
                            "é" * 3, "x" * 500, "a\nb", "tab\there"])  # fmt: skip
TEXT_CELLS = st.text(max_size=12) | ID_CELLS


def cells_of(kind: str) -> st.SearchStrategy[str]:
    return {"date": date_cells(), "number": number_cells(), "text": TEXT_CELLS}[kind]


def encode(text: str, encoding: str) -> bytes:
    """``text`` in ``encoding``; characters it cannot hold become ``?``."""
    data = text.encode(encoding.replace("-sig", ""), errors="replace")
    return (codecs.BOM_UTF8 if encoding == "utf-8-sig" else b"") + data


@st.composite
def random_structures(draw) -> bytes:
    """A CSV of random columns and cells: names, kinds, separators, quoting, duplicates."""
    n_cols = draw(st.integers(1, 5))
    names = draw(st.lists(NAMES, min_size=n_cols, max_size=n_cols))
    kinds = draw(st.lists(st.sampled_from(["date", "number", "text"]), min_size=n_cols,
                          max_size=n_cols))  # fmt: skip
    rows = draw(
        st.lists(st.tuples(*[cells_of(k) for k in kinds]), max_size=25).map(
            lambda r: r + r[: len(r) // 3]  # some duplicate rows
        )
    )
    return write_rows(draw, names, rows)


def write_rows(draw, names, rows) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(
        buf,
        delimiter=draw(st.sampled_from(SEPARATORS)),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])),
    )
    writer.writerow(names)
    writer.writerows(rows)
    return encode(buf.getvalue(), draw(st.sampled_from(ENCODINGS)))


@st.composite
def regular_structures(draw) -> bytes:
    """A CSV that ingest should mostly accept (regular dates or steps, long or wide), with
    odd ids, odd values and dates near the ends of the supported range; some cells mutated."""
    freq = draw(st.sampled_from(["D", "h", "MS", "YS", "W-SUN", "step"]))
    start = draw(st.sampled_from(["2020-01-01", "1677-09-22", "1677-01-01", "2262-01-01",
                                  "2261-06-01", "1900-02-28"]))  # fmt: skip
    n = draw(st.integers(1, 20))
    if freq == "step":
        first = draw(st.sampled_from([0, -5, 2**62 - 10, 2**62 + 1, 2**63 - 4, -(2**63)]))
        step = draw(st.sampled_from([1, 2, 2**61]))
        stamps = [str(first + step * k) for k in range(n)]
    else:
        import pandas as pd

        try:
            rng = pd.date_range(pd.Timestamp(start).as_unit("s"), periods=n, freq=freq)
        except (ValueError, OverflowError):
            rng = pd.date_range("2020-01-01", periods=n, freq=freq)
        stamps = [f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:00" for t in rng]
    # Mostly plain numbers, one cell in 40 odd: so that many files get past the first check.
    plain = st.one_of(st.integers(-1000, 1000).map(str), st.floats(-1e6, 1e6).map(repr))
    values = st.integers(0, 39).flatmap(lambda k: number_cells() if k == 0 else plain)
    if draw(st.booleans()):  # long: id, time, value
        ids = draw(st.lists(ID_CELLS | st.sampled_from(["s1", "s2", "s3"]), min_size=1,
                            max_size=3, unique=True))  # fmt: skip
        rows = [(sid, t, draw(values)) for sid in ids for t in stamps]
        names = ["unique_id", "ds", "y"]
    else:  # wide: time, one column per series
        width = draw(st.integers(1, 3))
        others = NAMES.filter(lambda name: name != "ds")
        names = ["ds", *draw(st.lists(others, min_size=width, max_size=width, unique=True))]
        rows = [(t, *(draw(values) for _ in range(width))) for t in stamps]
    rows = list(rows)
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):  # a few cells replaced by anything
        if rows:
            r = draw(st.integers(0, len(rows) - 1))
            c = draw(st.integers(0, len(rows[r]) - 1))
            row = list(rows[r])
            row[c] = draw(st.one_of(date_cells(), number_cells(), TEXT_CELLS))
            rows[r] = tuple(row)
    return write_rows(draw, names, rows)


@st.composite
def random_bytes(draw) -> bytes:
    """Binary junk, BOMs, NUL bytes and long fields around a plausible header."""
    prefix = draw(st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, b"PK\x03\x04",
                                   b"\x1f\x8b", b"ds,y\n", b"ds;y\r\n", b"\x00"]))  # fmt: skip
    body = draw(st.binary(max_size=200))
    field = draw(st.sampled_from([b"", b"x" * 70_000, b"1," * 5_000, b'"' * 1_000]))
    tail = draw(st.sampled_from([b"", b"\n2020-01-01,1\n2020-01-02,2\n", b"\x00\x00"]))
    return prefix + body + field + tail


# Mostly the defaults (detection is what files meet), sometimes a flag.
OPTIONS = st.builds(
    IngestOptions,
    fill=st.sampled_from([None, "interpolate", "ffill", "zero", "error"]),
    freq=st.sampled_from([None] * 6 + ["D", "h", "2", "MS", "W", "ME", "bogus"]),
    layout=st.sampled_from(["auto"] * 6 + ["long", "wide", "single"]),
    aggregate=st.sampled_from([None] * 6 + ["sum", "count", "mean", "min", "max", "last"]),
)
ENGINES = st.sampled_from(["pyarrow", "pandas"])


# ---------------------------------------------------------------------------------------------
# the fuzz tests


@SETTINGS
@given(data=random_bytes(), engine=ENGINES)
def test_random_bytes(data, engine):
    check_outcome(*try_load(data, IngestOptions(), engine))


@SETTINGS
@given(data=random_structures(), options=OPTIONS, engine=ENGINES)
def test_random_structures(data, options, engine):
    check_outcome(*try_load(data, options, engine))


@SETTINGS
@given(data=regular_structures(), options=OPTIONS, engine=ENGINES)
def test_regular_structures(data, options, engine):
    check_outcome(*try_load(data, options, engine))


def test_the_harness_can_fail(monkeypatch):
    """try_load lets anything but a ForecastrError through (warnings become errors), the
    alarm stops a hang, and check_message refuses what a terminal should not get."""

    def warn(*args, **kwargs):
        warnings.warn("leaked", RuntimeWarning, stacklevel=1)

    monkeypatch.setattr("forecastr.data.open_source", warn)
    with pytest.raises(RuntimeWarning):
        try_load(b"ds,y\n2020-01-01,1\n", IngestOptions())
    with pytest.raises(Hang), time_limit(0.05):
        time.sleep(2)
    for bad in ("two\nlines", f"an id {ANSI}", "x" * (LONGEST_MESSAGE + 1)):
        with pytest.raises(AssertionError):
            check_message(bad)
