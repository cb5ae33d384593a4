"""Short series: padded windows never read across series or into the future."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr.forecast import last_windows
from forecastr.panel import Panel
from forecastr.windows import (
    clamped_index,
    min_real,
    split_panel,
    train_window_starts,
    val_window_starts,
    window_series,
)


def make_panel(lengths: list[int]) -> Panel:
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    n = int(offsets[-1])
    return Panel(
        ids=[f"s{i}" for i in range(len(lengths))],
        y=np.arange(n, dtype=np.float64),
        ds=np.arange(n, dtype=np.int64),
        offsets=offsets,
        freq=None,
    )


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 60), min_size=1, max_size=8),
    window=st.integers(2, 30),
    horizon=st.integers(1, 8),
)
def test_padded_windows_stay_inside_their_series_and_their_part(lengths, window, horizon):
    panel = make_panel(lengths)
    split = split_panel(panel, window, horizon, pad=True)
    for starts, part_end in (
        (train_window_starts(split), split.train_end),
        (val_window_starts(split), split.val_end),
    ):
        if len(starts) == 0:
            continue
        series = window_series(split, starts)
        firsts, lasts = split.start[series], part_end[series] - 1
        idx = clamped_index(starts, firsts, window + horizon, lasts)  # (B, W + H)
        # Never before the series' first point, never past the part's end (no test point;
        # for training windows no validation point either), never in another series.
        assert (idx >= split.start[series][:, None]).all()
        assert (idx < part_end[series][:, None]).all()
        # Targets start on a real point of the part; only short series' targets may run past
        # its end (those points are masked, never read).
        target = starts + window
        assert (target >= split.start[series]).all() and (target <= lasts).all()
        whole = target + horizon - 1 <= lasts
        assert (whole | split.short[series]).all()
        real_inputs = np.minimum(starts + window - split.start[series], window)
        assert (real_inputs >= min_real(window, horizon)).all()


def test_long_series_are_not_padded():
    panel = make_panel([100, 80])
    split = split_panel(panel, 10, 5, pad=True)
    assert not split.short.any()
    starts = train_window_starts(split)
    firsts = split.start[window_series(split, starts)]
    assert (firsts <= starts).all()  # no window starts in padding


def test_short_series_get_windows_a_long_one_does_not_lose_any():
    panel = make_panel([100, 20])
    split = split_panel(panel, window=24, horizon=4, pad=True)
    assert split.short.tolist() == [False, True]
    starts = train_window_starts(split)
    firsts = split.start[window_series(split, starts)]
    assert (firsts == 100).sum() > 0  # the 20-point series trains
    assert (firsts == 0).sum() == 100 - 4 - 4 - 24 - 4 + 1  # the long one is unchanged


def test_last_windows_pad_with_the_first_value():
    panel = make_panel([3, 10])
    w = last_windows(panel, 5)
    np.testing.assert_array_equal(w[0], [0, 0, 0, 1, 2])
    np.testing.assert_array_equal(w[1], [8, 9, 10, 11, 12])


def test_a_window_of_two_still_trains_on_series_too_short_for_its_whole_target():
    # 30 monthly points, horizon 12, validation and test 12 each: a training part of 6 points
    # holds the window (2) but never a whole target. Its targets run past the part's end and
    # are masked, as for padded series, instead of leaving the file without windows.
    from forecastr.windows import split_panel, train_window_starts

    split = split_panel(make_panel([30, 27]), 2, 12, 12, 12, pad=True)
    assert split.short.all() and (split.leads == 0).all()
    starts = train_window_starts(split)
    assert len(starts) > 0
    # Every window's first target point lies in its series' training part.
    series = np.searchsorted(split.end, starts + 2, side="right")
    assert (starts + 2 < split.train_end[series]).all()
    assert (starts >= split.start[series]).all()
