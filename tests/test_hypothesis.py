"""Property tests of ingest: CSV round-trips of random panels, and garbage never crashes."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecastr.data import IngestOptions, load_csv
from forecastr.errors import InputError
from forecastr.panel import Panel

# (alias, a start on its grid); every alias here is what inference should report back
GRIDS = [
    ("h", "2021-03-01 00:00"),
    ("30min", "2021-03-01 00:00"),
    ("D", "2021-03-06"),  # a Saturday: the weekend is kept, so it cannot pass for "B"
    ("B", "2021-03-01"),  # a Monday; 6+ points span a weekend, so it cannot pass for "D"
    ("W-SUN", "2021-03-07"),
    ("MS", "2021-03-01"),
    ("QS-JAN", "2021-01-01"),
    (None, 0),  # integer step index
]

# Fixed seeds and no example database: the same examples on every run and machine.
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
SETTINGS_FUZZ = settings(SETTINGS, max_examples=200)


@st.composite
def panels(draw):
    """Random long panels: (frame with gaps and shuffled rows, full series, dropped count)."""
    freq, start = draw(st.sampled_from(GRIDS))
    n_series = draw(st.integers(1, 4))
    rows, full = [], {}
    dropped = 0
    for i in range(n_series):
        n = draw(st.integers(6 if freq == "B" else 3, 25))
        shift = draw(st.integers(0, 4))
        if freq is None:
            stamps = list(range(shift, shift + n))
        else:
            stamps = list(pd.date_range(start, periods=n + shift, freq=freq)[shift:])
        y = draw(st.lists(st.integers(-10_000, 10_000), min_size=n, max_size=n))
        sid = f"s{i}"
        full[sid] = (stamps, [v / 8 for v in y])  # eighths: exact in binary and in the CSV
        # drop up to a third of the inner points (never the first two or the last)
        inner = list(range(2, n - 1))
        drop = (
            set(draw(st.lists(st.sampled_from(inner), max_size=n // 3, unique=True)))
            if inner
            else set()
        )
        dropped += len(drop)
        rows += [(sid, stamps[k], y[k] / 8) for k in range(n) if k not in drop]
    order = draw(st.permutations(range(len(rows))))
    frame = pd.DataFrame([rows[k] for k in order], columns=["unique_id", "ds", "y"])
    return freq, frame, full, dropped


def check_invariants(panel: Panel) -> None:
    assert panel.offsets[0] == 0 and panel.offsets[-1] == len(panel.y) == len(panel.ds)
    assert np.all(np.diff(panel.offsets) >= 1)
    assert not np.isnan(panel.y).any()
    for i in range(panel.n_series):
        t = panel.timestamps(i)
        assert np.all(t[1:] > t[:-1])
    assert len(set(panel.ids)) == panel.n_series


@SETTINGS
@given(case=panels(), fill=st.sampled_from(["interpolate", "ffill", "zero"]))
def test_long_csv_round_trip(case, fill):
    freq, frame, full, dropped = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        frame.to_csv(path, index=False)
        panel = load_csv(path, IngestOptions(fill=fill))
    check_invariants(panel)
    assert panel.freq == freq
    assert panel.filled_points == dropped
    assert sorted(panel.ids) == sorted(full)
    present = {(s, pd.Timestamp(t) if freq else t) for s, t, _ in frame.itertuples(index=False)}
    for sid, (stamps, values) in full.items():
        i = panel.index_of(sid)
        got_t = panel.timestamps(i)
        expected_t = np.array(stamps, dtype="datetime64[ns]" if freq else np.int64)
        np.testing.assert_array_equal(got_t, expected_t)
        got = panel.series(i)
        for k, (t, v) in enumerate(zip(stamps, values, strict=True)):
            if (sid, pd.Timestamp(t) if freq else t) in present:
                assert got[k] == v  # observed values come back bit for bit
            elif fill == "zero":
                assert got[k] == 0
            else:  # interpolate / ffill stay within the neighbours' range
                assert min(values) <= got[k] <= max(values)


@SETTINGS
@given(
    lengths=st.lists(st.integers(2, 15), min_size=2, max_size=5),
    leads=st.lists(st.integers(0, 5), min_size=5, max_size=5),
)
def test_wide_ragged_round_trip(lengths, leads):
    n_rows = max(lead + n for lead, n in zip(leads, lengths, strict=False))
    ds = pd.date_range("2020-01-01", periods=n_rows, freq="D")
    frame = pd.DataFrame({"ds": ds.strftime("%Y-%m-%d")})
    for j, (lead, n) in enumerate(zip(leads, lengths, strict=False)):
        col = np.full(n_rows, np.nan)
        col[lead : lead + n] = np.arange(n) + 100 * j
        frame[f"c{j}"] = col
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wide.csv"
        frame.to_csv(path, index=False)
        panel = load_csv(path)
    check_invariants(panel)
    assert panel.layout == "wide" and panel.filled_points == 0
    assert panel.lengths.tolist() == lengths
    for j, lead in enumerate(leads[: len(lengths)]):
        assert panel.timestamps(j)[0] == ds[lead].to_datetime64()
        assert panel.series(j).tolist() == list(np.arange(lengths[j]) + 100.0 * j)


garbage = st.text(alphabet="0123456789,;-:./ \n\r\t\"'aybNTZ+e", max_size=160)
headers = st.sampled_from(["", "ds,y\n", "unique_id,ds,y\n", "t;y\n", "ds,a,b\n"])


@SETTINGS_FUZZ
@given(header=headers, body=garbage)
def test_garbage_is_an_input_error_or_a_valid_panel(header, body):
    """Whatever the bytes, ingest returns a valid panel or raises InputError: never a crash."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "junk.csv"
        path.write_text(header + body, encoding="utf-8")
        try:
            panel = load_csv(path)
        except InputError as err:
            message = str(err)
            assert "\n" not in message and str(path) in message
            return
    check_invariants(panel)
