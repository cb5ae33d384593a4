"""The regression corpus of ingest at the extremes (issue 11): every case found by probing.

Dates outside what int64 nanoseconds hold (years 0000, 1000, 2300, 9999) and forecasts that
would run past 2262; values from 1e-300 to 1e300 and steps past int64; text a terminal must not
be handed raw (ANSI escapes, rich markup, a 3 MB header). Each is refused in one line naming
the line and column and the fix, or handled; through ``load_csv`` with both readers, and a few
through the CLI (``info``, ``train --epochs 1``) with no traceback and no warning.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

from forecastr.cli import app
from forecastr.data import MAX_VALUE, frame_to_panel, load_csv
from forecastr.errors import InputError, shown
from forecastr.ingest import csvread
from forecastr.panel import Panel, future_timestamps
from forecastr.present import columns_text
from forecastr.scaling import SCALERS, fit_scaler

ANSI = "\x1b[31mred\x1b[0m"
MARKUP = "[bold red]x"
RANGE = "1677-09-22 to 2262-04-11"
TINY_TRAIN = ["--epochs", "1", "--ensemble", "1", "--hidden", "8", "--layers", "1", "-q"]


@pytest.fixture(params=["pyarrow", "pandas"])
def engine(request, monkeypatch):
    """Run the test with each CSV reader."""
    monkeypatch.setattr(csvread, "ENGINE", request.param)
    return request.param


def load(path, **options):
    """load_csv with warnings as errors: the data path must leave none on the terminal."""
    from forecastr.data import IngestOptions

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_csv(path, IngestOptions(**options))


def refused(path, *fragments, **options) -> str:
    with pytest.raises(InputError) as info:
        load(path, **options)
    message = str(info.value)
    assert message.isprintable() and len(message) < 1000, message[:300]
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def daily(values, start="2020-01-01", name="y") -> str:
    ds = pd.date_range(start, periods=len(values), freq="D").strftime("%Y-%m-%d")
    return f"ds,{name}\n" + "".join(f"{d},{v}\n" for d, v in zip(ds, values, strict=True))


def wavy(n: int, size: str) -> list[str]:
    """n values around ``size`` (an exponent such as e29) with a weekly wave."""
    return [f"{1 + 0.5 * np.sin(2 * np.pi * k / 7):.6f}{size}" for k in range(n)]


# ---------------------------------------------------------------------------------------------
# dates outside 1677-2262 (they used to wrap: 2300-01-01 became 1715-06-13)


@pytest.mark.parametrize(
    "first, line",
    [
        ("0000-01-01", 2),
        ("1000-01-01", 2),
        ("2300-01-01", 2),
        ("9999-01-01", 2),
        ("1677-01-01", 2),
        ("2262-01-01", 6),
    ],
)
def test_dates_outside_the_range_are_refused_by_line(write_csv, engine, first, line):
    year = int(first[:4])
    body = "".join(f"{year:04d}-{m:02d}-01,{m}\n" for m in range(1, 13))
    message = refused(write_csv("ds,y\n" + body), f"at line {line}", "'ds'", RANGE)
    assert '--time-col "(row)"' in message  # how to number the rows instead


@pytest.mark.parametrize(
    "cell", ["2300-01-01T00:00:00+01:00", "01/02/2300", "23000101", "2300-Q1", "2300-01-01 13:00"]
)
def test_every_date_format_is_range_checked(write_csv, engine, cell):
    refused(write_csv(f"ds,y\n2020-01-01,1\n{cell},2\n"), "at line 3", RANGE)


def test_months_with_a_time_before_the_range_are_refused_by_line(write_csv, engine):
    """Found by bench/fuzz_csv.py: months at 00:00 in 1677 reached the spelling's Unix time
    (ingest/spelling.py) before the range check, and pandas raised OutOfBoundsDatetime."""
    body = "".join(f"1677-{m:02d}-01 00:00,{m}\n" for m in range(1, 13))
    refused(write_csv("ds,y\n" + body), "at line 2", RANGE)


def test_the_ends_of_the_range_are_accepted(write_csv, engine):
    first = load(write_csv(daily(range(1, 11), start="1677-09-22")))
    assert str(first.ds[0])[:10] == "1677-09-22"
    last = load(write_csv(daily(range(1, 11), start="2262-04-02")))
    assert str(last.ds[-1])[:10] == "2262-04-11"


@pytest.mark.parametrize("day", ["1677-09-22", "2262-04-10"])
@pytest.mark.parametrize("freq", ["MS", "ME", "QS", "W-SUN"])
def test_a_calendar_grid_past_the_range_is_refused_by_line(write_csv, engine, day, freq):
    """The grid point before (after) a date near the ends lies outside what nanoseconds hold;
    found by test_fuzz_csv, it used to escape as pandas' OutOfBoundsDatetime."""
    refused(
        write_csv(f"ds,y\n{day},1\n"), f"timestamp {day}", "(line 2)", f"'{freq}' grid", freq=freq
    )


def test_dates_out_of_range_from_a_frame_are_refused():
    ds = np.array(["2300-01-01", "2300-01-02"], dtype="datetime64[us]")
    frame = pd.DataFrame({"ds": ds, "y": [1.0, 2.0]})
    with pytest.raises(
        InputError, match=f"'2300-01-01' in column 'ds' at line 2 is outside {RANGE}"
    ):
        frame_to_panel(frame, layout="single", id_col=None, time_col="ds", targets=["y"])
    with pytest.raises(ValueError, match="outside"):
        Panel(ids=["a"], y=[1.0, 2.0], ds=ds, offsets=[0, 2], freq="D")


def test_series_centuries_long_keep_exact_positions(write_csv, engine):
    """Spacings past 292 years do not fit int64 nanoseconds: they are computed unsigned."""
    refused(write_csv("ds,y\n1700-01-01,1\n2200-01-01,2\n"), "irregular", "182621D")
    rows = "ds,y\n2200-01-01,1\n1700-01-01,2\n1700-01-02,3\n"  # unsorted
    panel = load(write_csv(rows), freq="D")
    assert len(panel.y) == 182622 and panel.ds[0] == np.datetime64("1700-01-01")
    assert panel.y[0] == 2 and panel.y[-1] == 1


# ---------------------------------------------------------------------------------------------
# future timestamps past 2262 or past int64


def test_future_past_2262_is_refused_with_the_horizon_that_fits(write_csv):
    panel = load(write_csv(daily(range(1, 31), start="2262-03-03")))  # ends 2262-04-01
    np.testing.assert_array_equal(
        panel.future_timestamps(0, 10)[-1], np.datetime64("2262-04-11", "ns")
    )
    with pytest.raises(InputError) as info:
        panel.check_future(20)
    assert "series 'y': forecasting 20 steps of 'D' after 2262-04-01 runs past 2262-04-11" in str(
        info.value
    )
    assert "--horizon 10 or less" in str(info.value)
    with pytest.raises(InputError, match="no step after it"):
        future_timestamps(np.datetime64("2262-04-11", "ns"), 1, "D")
    with pytest.raises(InputError, match="runs past 2262-04-11"):
        future_timestamps(np.datetime64("2262-01-01", "ns"), 3, "YS-JAN")


def test_future_past_int64_is_refused(write_csv):
    top = 2**62
    panel = load(write_csv("t,y\n" + "".join(f"{top - 2**61 * (3 - k)},{k}\n" for k in range(4))))
    assert panel.step == 2**61
    with pytest.raises(InputError, match="--horizon 1 or less"):
        panel.check_future(2)
    assert panel.future_timestamps(0, 1)[0] == top + 2**61


# ---------------------------------------------------------------------------------------------
# values from 1e-300 to 1e300, steps past int64


@pytest.mark.parametrize(
    "values, fragments",
    [
        (["1e300"] * 30, ["value 1e+300 in column 'y' at line 2", "divide the column by 1e+300"]),
        (["-1.7e308"] + ["1"] * 29, ["line 2", "1e+308", "32-bit"]),
        (["1"] * 29 + ["1.0000001e30"], ["line 31", "too large", "1e+30"]),
        (["1e-300"] * 30, ["series 'y'", "below 1e-30", "multiply the values by 1e+300"]),
        (wavy(30, "e-300"), ["largest is 1.49e-300", "multiply the values by 1e+300"]),
        (["4.9e-324"] * 30, ["below 1e-30", "multiply"]),
    ],
)
def test_values_beyond_32_bit_floats_are_refused(write_csv, engine, values, fragments):
    refused(write_csv(daily(values)), *fragments)


@pytest.mark.parametrize("size", ["e29", "e-29", "e0"])
def test_values_within_range_are_accepted(write_csv, engine, size):
    panel = load(write_csv(daily([*wavy(30, size), f"{MAX_VALUE:g}"])))
    assert np.isfinite(panel.y).all() and panel.y.max() == MAX_VALUE
    # a stray tiny value in a normal series is fine: only a series' largest value counts
    load(write_csv(daily(["0", "1e-300", "5", "0"] * 5)))


@pytest.mark.parametrize(
    "cell, line, fragment",
    [
        (str(2**63 + 1), 3, "at most 4.61e+18"),
        (str(2**62 + 1), 3, "at most 4.61e+18"),
        (str(-(2**64)), 3, "at most 4.61e+18"),
        ("99999999999999999999999", 3, "at most 4.61e+18"),
        ("1e17", 3, "decimal point or an exponent"),
    ],
)
def test_steps_past_int64_are_refused(write_csv, engine, cell, line, fragment):
    refused(write_csv(f"t,y\n1,1\n{cell},2\n"), f"at line {line}", "column 't'", fragment)


@pytest.mark.parametrize("kind", [k for k in SCALERS if k != "none"])
@pytest.mark.parametrize("exponent", [-1000, -300, -60, 0, 60, 300, 1000])
def test_scaler_is_exact_at_any_scale(kind, exponent):
    """Scaling by a power of two scales loc and scale by it exactly: no overflow at 1e300, no
    series mistaken for constant at 1e-300."""
    rng = np.random.default_rng(0)
    base = np.concatenate([rng.normal(3, 1, 40), np.full(10, 1.5), rng.normal(-2, 5, 30)])
    start, end = np.array([0, 40, 50]), np.array([40, 50, 80])
    ref = fit_scaler(kind, base, start, end)
    with np.errstate(all="raise"):
        got = fit_scaler(kind, np.ldexp(base, exponent), start, end)
    np.testing.assert_array_equal(got.loc, np.ldexp(ref.loc, exponent))
    np.testing.assert_array_equal(got.scale[:1], np.ldexp(ref.scale[:1], exponent))
    np.testing.assert_array_equal(got.scale[2:], np.ldexp(ref.scale[2:], exponent))
    assert got.scale[1] == min(1.0, 2.0 ** (exponent + 0))  # constant 1.5: scale 1 or size


def test_scaler_survives_the_float64_ends():
    y = np.array([-1.7e308, 1.7e308, 0.0, 1.7e308])
    with np.errstate(all="raise"):
        for kind in SCALERS:
            p = fit_scaler(kind, y, np.array([0]), np.array([4]))
            assert np.isfinite(p.loc).all() and np.isfinite(p.scale).all() and p.scale[0] > 0


# ---------------------------------------------------------------------------------------------
# text a terminal must not be handed raw


def test_shown_escapes_and_cuts():
    assert shown("ab") == "'ab'"
    assert shown(ANSI) == "'\\x1b[31mred\\x1b[0m'"
    assert shown("\u202eevil\n", quote=False) == "\\u202eevil\\n"
    assert shown("x" * 3_000_000) == "'" + "x" * 80 + "'… (3000000 characters)"
    assert shown("é ü") == "'é ü'"  # printable text stays as it is


def test_ids_and_cells_are_escaped_in_messages(write_csv, engine):
    rows = f"unique_id,ds,y\n{ANSI},2024-01-01,1\n{ANSI},2024-01-01,2\n"
    refused(write_csv(rows), "series '\\x1b[31mred\\x1b[0m'", "lines 2 and 3")
    refused(write_csv("ds,y\n2024-01-01,1\n2024-01-02,\x1b]0;pwned\x07\n"), "'\\x1b]0;pwned\\x07'")
    refused(write_csv(f"ds,{ANSI}\n2024-01-01,\n"), "column '\\x1b[31mred\\x1b[0m' is entirely")


def test_a_3mb_header_is_read_and_never_echoed_whole(write_csv, engine):
    name = "x" * 3_000_000
    panel = load(write_csv(daily(range(1, 11), name=name)))  # pyarrow's block was 1 MB
    assert panel.ids == [name]  # the data keeps the name exactly
    assert len(columns_text(panel.columns)) < 200  # the terminal gets it cut


def test_a_huge_header_in_messages_is_cut(write_csv):
    name = "x" * 3_000_000
    refused(write_csv(f"ds,{name}\n2024-01-01,1\n"), "no column named 'nope'", target="nope")
    refused(write_csv(name + "\n1\nx\n"), "non-numeric value 'x'", "(3000000 characters)")
    numbers = ",".join(str(k) for k in range(400_000))  # 2.7 MB
    refused(write_csv(numbers + "\n1\n"), "looks like data", "(2688889 characters)")
    refused(write_csv(",".join(["a"] * 1_000_000) + "\n1\n"), "duplicate column names 'a'")


def test_columns_text_escapes_control_characters():
    text = columns_text({"id": ANSI, "time": "ds", "target": [MARKUP, "y" * 100]})
    assert "\x1b" not in text and "\\x1b[31m" in text and MARKUP in text
    assert "y" * 41 not in text


# ---------------------------------------------------------------------------------------------
# through the CLI: exit code, one line, no traceback, no warning, escaped text


def cli(runner, *args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = runner.invoke(app, [str(a) for a in args])
    leaked = [w for w in caught if not issubclass(w.category, DeprecationWarning)]
    assert not leaked, [str(w.message) for w in leaked]
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert "Warning" not in result.stderr, result.stderr
    return result


def one_line_error(result, *fragments, code=InputError.exit_code) -> str:
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "\x1b" not in lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


CLI_CASES = [
    ("y2300", "ds,y\n" + "".join(f"2300-{m:02d}-01,{m}\n" for m in range(1, 13)), [RANGE]),
    ("y0000", "ds,y\n" + "".join(f"0000-{m:02d}-01,{m}\n" for m in range(1, 13)), [RANGE]),
    ("huge", daily(["1e300"] * 60), ["1e+300", "divide"]),
    ("tiny", daily(["1e-300"] * 60), ["1e-300", "multiply"]),
    ("index", "t,y\n" + "".join(f"{2**63 + k},{k}\n" for k in range(1, 40)), ["'t'", "too large"]),
    ("ansi", f"unique_id,ds,y\n{ANSI},2024-01-01,1\n{ANSI},2024-01-01,2\n", ["\\x1b[31mred"]),
    ("markup", f"unique_id,ds,y\n{MARKUP},2024-01-01,1\n{MARKUP},2024-01-01,2\n", [MARKUP]),
]


@pytest.mark.parametrize("command", ["info", "train"])
@pytest.mark.parametrize("name, text, fragments", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_refuses_in_one_line(runner, write_csv, tmp_path, command, name, text, fragments):
    path = write_csv(text, f"{name}.csv")
    extra = ["-o", tmp_path / "m", *TINY_TRAIN] if command == "train" else []
    one_line_error(cli(runner, command, path, *extra), f"{name}.csv", *fragments)
    assert not (tmp_path / "m").exists()


def test_cli_info_shows_odd_column_names_escaped(runner, write_csv):
    path = write_csv(daily(range(1, 31), name=f"{MARKUP}{ANSI}"))
    result = cli(runner, "info", path)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\\x1b[31mred" in result.stdout
    assert MARKUP in result.stdout  # shown as written, not read as rich markup


def test_cli_trains_on_values_near_the_limits(runner, write_csv, tmp_path):
    """1e29 and 1e-29 train and forecast in the right units, with no warning anywhere."""
    for size in ("e29", "e-29"):
        path = write_csv(daily(wavy(120, size)), f"v{size}.csv")
        model = tmp_path / f"m{size}"
        result = cli(runner, "train", path, "-o", model, *TINY_TRAIN)
        assert result.exit_code == 0, result.output
        result = cli(runner, "predict", model)
        assert result.exit_code == 0, result.output
        forecasts = pd.read_csv(__import__("io").StringIO(result.stdout))["forecast"]
        unit = float(f"1{size}")
        assert forecasts.between(0.2 * unit, 2 * unit).all(), forecasts.tolist()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [True, False])
def test_forecasts_on_a_terminal_escape_control_characters_and_a_pipe_keeps_them(
    monkeypatch, terminal
):
    from forecastr import present

    frame = pd.DataFrame({"unique_id": ["\x1b[31mred"], "ds": [1], "forecast": [2.5]})
    out = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    present.print_forecasts(frame, None, "csv")
    text = out.getvalue()
    if terminal:
        assert "\x1b" not in text and "\\x1b[31mred" in text
    else:
        assert "\x1b[31mred" in text
    assert text.splitlines()[0] == "unique_id,ds,forecast"
