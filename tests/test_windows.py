"""Sliding windows as start indices, and chronological train / validation / test splits."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_panel
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr.errors import InputError, SeriesTooShortError
from forecastr.windows import (
    LeadPadded,
    clamp_positions,
    gather,
    min_length,
    right_aligned_padded,
    split_panel,
    train_window_starts,
    val_window_starts,
    window_counts,
    window_starts,
)


def series_of(starts: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Which series each (unpadded) window start belongs to, shape (B,)."""
    return np.searchsorted(offsets, starts, side="right") - 1


# ---------------------------------------------------------------------------------------------
# window_starts


def test_window_count_per_series():
    panel = make_panel([10, 3, 7, 5])
    w, h = 3, 2
    starts = window_starts(panel.offsets[:-1], panel.offsets[1:], w, h)
    counts = np.bincount(series_of(starts, panel.offsets), minlength=4)
    assert counts.tolist() == [10 - 5 + 1, 0, 7 - 5 + 1, 5 - 5 + 1]
    assert starts.dtype == np.int64 and starts.ndim == 1  # one int per window, nothing more


def test_windows_never_cross_a_series_boundary():
    panel = make_panel([12, 9, 15])
    w, h = 4, 3
    starts = window_starts(panel.offsets[:-1], panel.offsets[1:], w, h)
    first = series_of(starts, panel.offsets)
    last = series_of(starts + w + h - 1, panel.offsets)
    np.testing.assert_array_equal(first, last)


def test_gather_returns_the_right_values():
    panel = make_panel([8, 6])
    w, h = 3, 2
    starts = window_starts(panel.offsets[:-1], panel.offsets[1:], w, h)
    x, y = gather(panel.y, starts, w, h)
    assert x.shape == (len(starts), w) and y.shape == (len(starts), h)
    for b, s in enumerate(starts):
        np.testing.assert_array_equal(x[b], panel.y[s : s + w])
        np.testing.assert_array_equal(y[b], panel.y[s + w : s + w + h])
    # series 1's values are 1000 + t: its first window is t = 0..2 -> 3..4
    b = int(np.flatnonzero(series_of(starts, panel.offsets) == 1)[0])
    np.testing.assert_allclose(x[b], 1000 + np.arange(3), atol=1)
    np.testing.assert_allclose(y[b], 1000 + np.arange(3, 5), atol=1)


def test_gather_of_no_windows():
    x, y = gather(np.arange(10.0), np.zeros(0, dtype=np.int64), 3, 2)
    assert x.shape == (0, 3) and y.shape == (0, 2)


# ---------------------------------------------------------------------------------------------
# splits


def test_split_boundaries():
    panel = make_panel([30, 25])
    split = split_panel(panel, window=5, horizon=3, val_size=4, test_size=3)
    np.testing.assert_array_equal(split.start, [0, 30])
    np.testing.assert_array_equal(split.end, [30, 55])
    np.testing.assert_array_equal(split.val_end, [27, 52])
    np.testing.assert_array_equal(split.train_end, [23, 48])
    assert split.n_series == 2


def test_split_defaults_to_horizon():
    split = split_panel(make_panel([40]), window=6, horizon=4)
    assert int(split.end[0] - split.val_end[0]) == 4
    assert int(split.val_end[0] - split.train_end[0]) == 4


def test_train_windows_end_before_validation():
    panel = make_panel([40, 33, 50])
    split = split_panel(panel, window=6, horizon=4, val_size=5, test_size=4)
    w, h = split.window, split.horizon
    starts = train_window_starts(split)
    s = series_of(starts, panel.offsets)
    assert np.all(starts >= split.start[s])
    assert np.all(starts + w + h <= split.train_end[s])  # the last target point is in train
    # and every training window that fits is there
    np.testing.assert_array_equal(
        np.bincount(s, minlength=3), split.train_end - split.start - w - h + 1
    )


def test_validation_windows_one_per_validation_point():
    panel = make_panel([40, 33])
    split = split_panel(panel, window=6, horizon=4, val_size=5, test_size=4)
    w, h = split.window, split.horizon
    starts = val_window_starts(split)
    s = series_of(starts, panel.offsets)
    np.testing.assert_array_equal(np.bincount(s, minlength=2), [5, 5])
    last_target = starts + w + h - 1
    assert np.all(last_target >= split.train_end[s])  # each target reaches into validation
    assert np.all(last_target < split.val_end[s])
    assert np.all(starts >= split.start[s])


def test_no_test_point_inside_training_or_validation_windows():
    panel = make_panel([60, 45, 52])
    split = split_panel(panel, window=7, horizon=5, val_size=6, test_size=5)
    w, h = split.window, split.horizon
    test_points = np.concatenate(
        [np.arange(a, b) for a, b in zip(split.val_end, split.end, strict=True)]
    )
    for starts in (train_window_starts(split), val_window_starts(split)):
        covered = (starts[:, None] + np.arange(w + h)).ravel()
        assert not np.isin(test_points, covered).any()


def test_too_short_series_names_the_minimum_length():
    panel = make_panel([50, 12, 30, 9])
    with pytest.raises(SeriesTooShortError) as info:
        split_panel(panel, window=10, horizon=3, val_size=3, test_size=3)
    message = str(info.value)
    assert isinstance(info.value, InputError)
    assert "series 's3' has 9 points" in message  # the shortest one
    assert "need at least 19" in message
    assert "window 10 + horizon 3 + validation 3 + test 3" in message
    assert "2 series are too short" in message
    assert "--window" in message and "\n" not in message
    assert min_length(10, 3, 3, 3) == 19


def test_exactly_minimum_length_is_enough():
    split = split_panel(make_panel([19]), window=10, horizon=3, val_size=3, test_size=3)
    assert len(train_window_starts(split)) == 1


@pytest.mark.parametrize(
    ("window", "horizon", "val_size"), [(0, 3, None), (3, 0, None), (3, 3, -1)]
)
def test_invalid_sizes(window, horizon, val_size):
    with pytest.raises(ValueError):
        split_panel(make_panel([40]), window=window, horizon=horizon, val_size=val_size)


# ---------------------------------------------------------------------------------------------
# properties


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(
    lengths=st.lists(st.integers(1, 60), min_size=1, max_size=6),
    window=st.integers(1, 12),
    horizon=st.integers(1, 6),
)
def test_window_starts_properties(lengths, window, horizon):
    panel = make_panel(lengths, freq=None)
    starts = window_starts(panel.offsets[:-1], panel.offsets[1:], window, horizon)
    s = series_of(starts, panel.offsets)
    expected = np.maximum(np.asarray(lengths) - window - horizon + 1, 0)
    np.testing.assert_array_equal(np.bincount(s, minlength=len(lengths)), expected)
    counts = window_counts(panel.offsets[:-1], panel.offsets[1:], window, horizon)
    np.testing.assert_array_equal(counts, expected)
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(s, series_of(starts + window + horizon - 1, panel.offsets))
    assert np.all(np.diff(starts) > 0)  # grouped by series, in time order, no repeats
    x, y = gather(panel.y, starts, window, horizon)
    # make_panel values are 1000 * series + t (+ small noise): consecutive within a series
    assert np.all(np.abs(np.diff(np.hstack([x, y]), axis=1) - 1) < 1)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(
    lengths=st.lists(st.integers(1, 80), min_size=1, max_size=5),
    window=st.integers(1, 10),
    horizon=st.integers(1, 5),
    val_size=st.integers(0, 6),
    test_size=st.integers(0, 6),
)
def test_split_properties(lengths, window, horizon, val_size, test_size):
    panel = make_panel(lengths, freq=None)
    need = window + horizon + val_size + test_size
    if min(lengths) < need:
        with pytest.raises(SeriesTooShortError, match=f"need at least {need}"):
            split_panel(panel, window, horizon, val_size, test_size)
        return
    split = split_panel(panel, window, horizon, val_size, test_size)
    span = window + horizon
    train = train_window_starts(split)
    val = val_window_starts(split)
    ts, vs = series_of(train, panel.offsets), series_of(val, panel.offsets)
    # every series has at least one training window; validation windows: one per point
    assert np.all(np.bincount(ts, minlength=len(lengths)) >= 1)
    np.testing.assert_array_equal(np.bincount(vs, minlength=len(lengths)), val_size)
    # chronology: train targets end by train_end; validation windows end by val_end
    assert np.all(train + span <= split.train_end[ts])
    assert np.all(val + span <= split.val_end[vs])
    assert np.all(val + span > split.train_end[vs])
    assert np.all(train >= split.start[ts]) and np.all(val >= split.start[vs])
    # the test part is exactly test_size points, never seen by train or validation windows
    np.testing.assert_array_equal(split.end - split.val_end, test_size)


# ---------------------------------------------------------------------------------------------
# right-aligned and padded gathering


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(
    lengths=st.lists(st.integers(1, 30), min_size=1, max_size=5),
    length=st.integers(0, 12),
    data=st.data(),
)
def test_right_aligned_gathering(lengths, length, data):
    """NaN-padded histories (baselines) and first-value-padded inputs (models) hold the same
    points: each series' last ``length`` points before its end, in time order."""
    panel = make_panel(lengths, freq=None)
    starts = panel.offsets[:-1]
    cut = np.array([data.draw(st.integers(1, n)) for n in lengths])  # points before each end
    ends = starts + cut
    nan_padded = LeadPadded.of(panel.y, max(length, int(cut.max()))).right_aligned(
        starts, ends, length
    )
    edge_padded = right_aligned_padded(panel.y, starts, ends, length)
    assert nan_padded.shape == edge_padded.shape == (len(lengths), length)
    for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
        real = panel.y[max(s, e - length) : e]
        pad = length - len(real)
        np.testing.assert_array_equal(nan_padded[i, pad:], real)
        assert np.isnan(nan_padded[i, :pad]).all()
        np.testing.assert_array_equal(edge_padded[i, pad:], real)
        np.testing.assert_array_equal(edge_padded[i, :pad], panel.y[s])


def test_clamp_positions_is_the_same_for_numpy_and_torch():
    torch = pytest.importorskip("torch")
    pos = np.arange(-3, 12).reshape(3, 5)
    firsts, lasts = np.array([[0], [4], [11]]), np.array([[2], [8], [11]])
    want = clamp_positions(pos, firsts, lasts)
    np.testing.assert_array_equal(want, np.minimum(np.maximum(pos, firsts), lasts))
    got = clamp_positions(torch.from_numpy(pos), torch.from_numpy(firsts), torch.from_numpy(lasts))
    np.testing.assert_array_equal(got.numpy(), want)
    np.testing.assert_array_equal(clamp_positions(pos, firsts), np.maximum(pos, firsts))
