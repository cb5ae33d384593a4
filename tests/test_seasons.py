"""Seasons detected from the data: known periods found, no seasons invented, the policy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr import acf, seasons
from forecastr.seasons import (
    SeasonEvidence,
    choose_seasons,
    detect_seasons,
    season_evidence,
)


def _one(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A single series as (values, offsets)."""
    return np.asarray(y, dtype=np.float64), np.array([0, len(y)], dtype=np.int64)


def _panel(series: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Series back to back as (values, offsets)."""
    lengths = [len(s) for s in series]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return np.concatenate(series).astype(np.float64), offsets


def _sine(n: int, period: float, noise: float, seed: int, phase: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return np.sin(2 * np.pi * t / period + phase) + rng.normal(0, noise, n)


def _periods(found: list[SeasonEvidence]) -> list[int]:
    return [e.period for e in found]


def _half_hourly_weekly(weeks: int, seed: int) -> np.ndarray:
    """A daily cycle plus lower weekends: the weekly pattern (336) beats the daily one (48)."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks * 336)
    weekend = (t // 48) % 7 >= 5
    return np.sin(2 * np.pi * t / 48) - 1.5 * weekend + rng.normal(0, 0.3, t.size)


# --- known periods ---------------------------------------------------------------------------


@pytest.mark.parametrize("period", [7, 12, 24])
def test_single_period_is_found(period):
    found = detect_seasons(*_one(_sine(600, period, 0.5, seed=period)))
    assert _periods(found) == [period]
    assert found[0].source == "detected"
    assert found[0].acf > found[0].threshold >= seasons.MIN_DETECTED_ACF


def test_daily_and_weekly_cycles_of_hourly_data_are_both_found():
    t = np.arange(2400)
    rng = np.random.default_rng(1)
    y = np.sin(2 * np.pi * t / 24) + 0.5 * np.sin(2 * np.pi * t / 168) + rng.normal(0, 0.3, t.size)
    found = detect_seasons(*_one(y))
    assert sorted(_periods(found)) == [24, 168]  # not 48, 72, ... (harmonics of 24)
    assert [e.acf for e in found] == sorted((e.acf for e in found), reverse=True)


def test_trending_seasonal_series_finds_its_season():
    t = np.arange(300)
    y = 0.05 * t + _sine(300, 12, 0.3, seed=2)
    assert _periods(detect_seasons(*_one(y)))[0] == 12


def test_random_walk_with_season_is_read_through_differences():
    rng = np.random.default_rng(3)
    t = np.arange(500)
    y = np.cumsum(rng.normal(size=500)) + 3 * np.sin(2 * np.pi * t / 12)
    assert _periods(detect_seasons(*_one(y))) == [12]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("kind", ["white noise", "random walk", "trend", "quadratic trend"])
def test_no_season_is_invented(kind, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(400)
    noise = rng.normal(size=t.size)
    y = {
        "white noise": noise,
        "random walk": np.cumsum(noise),
        "trend": 0.1 * t + noise,
        "quadratic trend": 1e-3 * t**2 + noise,
    }[kind]
    assert detect_seasons(*_one(y)) == []


def test_panel_of_short_series_pools_to_their_period():
    rng = np.random.default_rng(4)
    series = [_sine(30, 4, 0.5, seed=i, phase=rng.uniform(0, 2 * np.pi)) for i in range(500)]
    found = detect_seasons(*_panel(series))
    assert _periods(found) == [4]
    alone = detect_seasons(*_one(series[0]))  # one 30-point series is too little evidence
    assert alone == [] or alone[0].threshold > found[0].threshold


def test_a_few_seasonal_series_among_noise_do_not_make_a_season():
    """The pooled effect decides: 2 % seasonal series is no season, 60 % is."""
    rng = np.random.default_rng(5)

    def panel(n_seasonal: int) -> tuple[np.ndarray, np.ndarray]:
        seasonal = [_sine(60, 6, 0.2, seed=i) for i in range(n_seasonal)]
        noise = [rng.normal(size=60) for _ in range(1000 - n_seasonal)]
        return _panel(seasonal + noise)

    assert detect_seasons(*panel(20)) == []
    found = detect_seasons(*panel(600))
    assert _periods(found) == [6]
    assert found[0].acf == pytest.approx(0.6 * 0.96, abs=0.08)  # share x per-series acf


def test_constant_series_give_no_season_and_no_evidence():
    assert detect_seasons(*_one(np.full(200, 3.5))) == []
    assert detect_seasons(*_panel([np.zeros(100), np.full(100, 1e9)])) == []
    evidence = season_evidence(*_one(np.full(200, 3.5)), [12])[0]
    assert math.isnan(evidence.acf) and not evidence.significant


def test_constant_series_do_not_dilute_a_panel():
    seasonal = [_sine(120, 12, 0.3, seed=i) for i in range(5)]
    with_constants = seasonal + [np.full(120, 7.0)] * 20 + [np.arange(120.0)]  # line: no variance
    alone = season_evidence(*_panel(seasonal), [12])[0]
    mixed = season_evidence(*_panel(with_constants), [12])[0]
    assert mixed.acf == pytest.approx(alone.acf)
    assert mixed.threshold == pytest.approx(alone.threshold)


def test_series_shorter_than_two_periods_give_no_evidence():
    y = _sine(20, 12, 0.1, seed=6)  # 20 < 2 x 12
    evidence = season_evidence(*_one(y), [12, 4])
    assert math.isnan(evidence[0].acf) and math.isnan(evidence[0].threshold)
    assert math.isfinite(evidence[1].acf)
    assert detect_seasons(*_one(y[:5])) == []


def test_only_series_long_enough_contribute_at_a_lag():
    """At lag 50 only the long series (>= 100 points) count; short noise does not dilute it."""
    rng = np.random.default_rng(7)
    long = [_sine(600, 50, 0.3, seed=i) for i in range(3)]
    short = [rng.normal(size=40) for _ in range(300)]
    found = detect_seasons(*_panel(long + short), max_period=100)
    assert _periods(found) == [50]
    assert found[0].acf == pytest.approx(season_evidence(*_panel(long), [50])[0].acf)


# --- multiples and sub-multiples -------------------------------------------------------------


def test_multiples_of_a_season_are_not_reported():
    y = _sine(2400, 24, 0.3, seed=8)
    assert _periods(detect_seasons(*_one(y), max_seasons=10)) == [24]
    daily, weekly = season_evidence(*_one(y), [24, 168])
    assert daily.significant and not weekly.significant
    assert weekly.acf == pytest.approx(daily.acf, abs=0.05)  # high, but only a multiple
    assert weekly.threshold > weekly.acf


def test_weak_sub_multiple_harmonic_is_dropped():
    """A 12-step bump inside a 24-step cycle is a shape, not a second season."""
    t = np.arange(1200)
    rng = np.random.default_rng(9)
    y = np.sin(2 * np.pi * t / 24) + 0.4 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.2, t.size)
    assert _periods(detect_seasons(*_one(y))) == [24]


def test_weekly_cycle_is_kept_above_the_daily_one_when_it_stands_out():
    found = detect_seasons(*_one(_half_hourly_weekly(weeks=6, seed=10)))
    assert _periods(found) == [336, 48]
    weekly, daily = found
    assert weekly.acf > weekly.threshold > daily.acf  # beat acf at 288 and 384 (~ acf at 48)


@pytest.mark.parametrize("seed", range(6))
def test_random_walk_does_not_make_multiples_into_seasons(seed):
    """Slow wander lifts the ACF at some multiples of 12 by chance; none becomes a season."""
    rng = np.random.default_rng(seed)
    t = np.arange(500)
    y = np.cumsum(rng.normal(size=500)) + 3 * np.sin(2 * np.pi * t / 12)
    assert _periods(detect_seasons(*_one(y), max_seasons=10)) == [12]


@pytest.mark.parametrize("seed", [7, 11])
def test_weekly_lag_is_not_a_season_when_its_daily_cycle_is_too_weak(seed):
    """Hourly data: a weak daily cycle under a random walk. 168 correlates only because 24
    does; with 24 not accepted, 168 must not be reported as a weekly season."""
    rng = np.random.default_rng(seed)
    t = np.arange(2000)
    y = 0.3 * np.cumsum(rng.normal(size=t.size)) + np.sin(2 * np.pi * t / 24)
    y += rng.normal(0, 0.3, t.size)
    assert 168 not in _periods(choose_seasons("h", *_one(y)))


def test_candidates_are_tested_and_labelled_calendar():
    y = _sine(240, 12, 0.3, seed=11)
    found = detect_seasons(*_one(y), candidates=[12, 5, 1])
    assert _periods(found) == [12]
    assert found[0].source == "calendar"
    assert found[0].threshold < detect_seasons(*_one(y))[0].threshold  # one test, not a scan


# --- pooling and batching --------------------------------------------------------------------


def test_pooled_bound_shrinks_with_the_number_of_series():
    rng = np.random.default_rng(12)
    one = acf._pool(*_one(rng.normal(size=200)), 20, 20_000, "linear")
    many = acf._pool(*_panel([rng.normal(size=200) for _ in range(100)]), 20, 20_000, "linear")
    assert many.se(10) == pytest.approx(one.se(10) / 10, rel=0.3)


def test_batching_and_series_order_do_not_change_the_answer(monkeypatch):
    rng = np.random.default_rng(13)
    series = [_sine(int(n), 8, 0.5, seed=i) for i, n in enumerate(rng.integers(40, 400, 60))]
    expected = detect_seasons(*_panel(series))
    assert _periods(expected) == [8]
    shuffled = detect_seasons(*_panel([series[i] for i in rng.permutation(len(series))]))
    monkeypatch.setattr(acf, "_CHUNK", 1000)  # many small FFT batches
    monkeypatch.setattr(acf, "_MAX_GROUPS", 4)  # coarse testable-lag groups
    batched = detect_seasons(*_panel(series))
    assert _periods(shuffled) == _periods(batched) == [8]
    assert shuffled[0].acf == pytest.approx(expected[0].acf)
    assert batched[0].acf == pytest.approx(expected[0].acf, abs=0.02)


def test_long_series_are_analysed_on_their_recent_part(monkeypatch):
    monkeypatch.setattr(seasons, "MIN_ANALYSED", 600)
    y = _sine(3000, 10, 0.3, seed=14)
    changed = y.copy()
    changed[:2000] = 0.0  # far outside the last 600 points
    before = season_evidence(*_one(y), [10], max_period=20)
    assert before == season_evidence(*_one(changed), [10], max_period=20)
    assert before != season_evidence(*_one(changed), [10], max_period=300)  # 900+ points read


@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    period=st.integers(3, 40),
    phase=st.floats(0, 2 * np.pi),
    scale=st.floats(1e-3, 1e3),
    shift=st.floats(-1e4, 1e4),
    seed=st.integers(0, 2**16),
)
def test_any_period_is_found_whatever_the_units(period, phase, scale, shift, seed):
    y = _sine(max(400, 15 * period), period, 0.3, seed=seed, phase=phase)
    found = detect_seasons(*_one(shift + scale * y))
    assert _periods(found)[:1] == [period]
    assert all(e.period >= 2 and e.acf > e.threshold for e in found)
    assert len(found) <= seasons.MAX_SEASONS


# --- choose_seasons --------------------------------------------------------------------------


def test_integer_index_detects():
    found = choose_seasons(None, *_one(_sine(300, 9, 0.3, seed=15)))
    assert [(e.period, e.source) for e in found] == [(9, "detected")]


def test_monthly_cycle_comes_from_the_calendar():
    t = np.arange(120)
    y = (
        100
        + 0.5 * t
        + 10 * np.sin(2 * np.pi * t / 12)
        + np.random.default_rng(16).normal(0, 2, 120)
    )
    found = choose_seasons("MS", *_one(y))
    assert [(e.period, e.source) for e in found] == [(12, "calendar")]


def test_user_seasons_override():
    values, offsets = _one(_sine(240, 12, 0.3, seed=17))
    found = choose_seasons("MS", values, offsets, user=[5, 12, 5])
    assert [(e.period, e.source) for e in found] == [(5, "user"), (12, "user")]
    assert not found[0].significant and found[1].significant
    assert choose_seasons("MS", values, offsets, user=[1]) == []


def test_half_hourly_weekly_pattern_puts_the_week_first():
    found = choose_seasons("30min", *_one(_half_hourly_weekly(weeks=6, seed=18)))
    assert [(e.period, e.source) for e in found] == [(336, "calendar"), (48, "calendar")]


def test_half_hourly_without_weekly_pattern_keeps_the_day_only():
    y = _sine(6 * 336, 48, 0.3, seed=19)
    assert _periods(choose_seasons("30min", *_one(y))) == [48]


def test_half_hourly_too_short_to_test_the_week_trusts_the_calendar():
    """2.5 weeks: the day is tested; the week as a cycle beyond the day needs three weeks."""
    found = choose_seasons("30min", *_one(_half_hourly_weekly(weeks=3, seed=23)[:840]))
    assert [(e.period, e.source) for e in found] == [(48, "calendar"), (336, "calendar")]
    assert found[0].significant and math.isnan(found[1].acf)


def test_year_of_daily_data_is_left_to_the_calendar():
    """365 over 7 is a multiple too long to tell from slow wander: untested, trusted."""
    t = np.arange(3 * 365)
    rng = np.random.default_rng(24)
    y = np.sin(2 * np.pi * t / 7) + 2 * np.sin(2 * np.pi * t / 365.25) + rng.normal(0, 0.5, t.size)
    found = choose_seasons("D", *_one(y))
    assert [(e.period, e.source) for e in found] == [(7, "calendar"), (365, "calendar")]
    assert math.isnan(found[1].acf)


def test_long_period_is_located_exactly():
    """A day of minutely data under heavy noise: the flat-topped peak is refined to 1440."""
    t = np.arange(30_000)
    y = np.sin(2 * np.pi * t / 1440) + np.random.default_rng(25).normal(0, 1, t.size)
    found = detect_seasons(*_one(y))
    assert abs(found[0].period - 1440) <= 5
    assert [(e.period, e.source) for e in choose_seasons("min", *_one(y))] == [(1440, "calendar")]


def test_calendar_season_too_long_to_test_is_trusted():
    y = _sine(20, 12, 0.2, seed=20)  # under two years of monthly data
    found = choose_seasons("MS", *_one(y))
    assert [(e.period, e.source) for e in found] == [(12, "calendar")]
    assert math.isnan(found[0].acf)


def test_weekly_series_whose_season_is_not_52_is_detected():
    y = _sine(400, 13, 0.3, seed=21)  # a quarterly cycle in weekly data
    found = choose_seasons("W-SUN", *_one(y))
    assert [(e.period, e.source) for e in found] == [(13, "detected")]


def test_short_strongly_seasonal_series_keeps_its_calendar_season():
    """Three years of a strong monthly cycle (UK lung deaths' shape): the ACF at 12 (about
    0.8) cannot beat Bartlett's bound, which its own cycle lifts above 1, so the periodogram
    confirms the calendar's lag, as it does a scanned peak; noise of the same length gains
    no season from it."""
    t = np.arange(36)
    rng = np.random.default_rng(5)
    y = 2000 + 600 * np.cos(2 * np.pi * t / 12) + rng.normal(0, 120, t.size)
    found = choose_seasons("MS", *_one(y))
    assert [(e.period, e.source) for e in found] == [(12, "calendar")]
    assert found[0].periodogram == 1.0  # the bound it met was the floors', not Bartlett's
    # a cycle of 3 in noise of 1 lifts the lag-1 ACF: its periodogram is read unwhitened
    rises = 100 + 0.3 * t + 3 * np.sin(2 * np.pi * t / 12)
    for seed in (1, 2):
        y = rises + np.random.default_rng(seed).normal(size=36)
        assert [e.period for e in choose_seasons("MS", *_one(y))] == [12]
    for seed in range(20):
        noise = np.random.default_rng(seed).normal(size=36)
        assert choose_seasons("MS", *_one(noise)) == []
        assert choose_seasons("MS", *_one(np.cumsum(noise))) == []


def test_calendar_season_absent_from_the_data_is_dropped():
    rng = np.random.default_rng(22)
    assert choose_seasons("MS", *_one(np.cumsum(rng.normal(size=240)))) == []


# --- internals -------------------------------------------------------------------------------


@pytest.mark.parametrize(("period", "window"), [(5, 15), (8, 16)])
def test_moving_average_detrending_keeps_cycles_dividing_its_window(period, window):
    t = np.arange(200.0)
    cycle = np.sin(2 * np.pi * t / period)
    x = (3.0 + 0.5 * t + cycle)[None]  # (1, 200)
    valid = np.ones_like(x, dtype=bool)
    e, n = acf.detrend(x, valid, np.array([200]), "ma", window)
    h = window // 2
    assert n.tolist() == [200 - 2 * h]
    kept = cycle[h : 200 - h]
    line = np.polyval(np.polyfit(np.arange(kept.size), kept, 1), np.arange(kept.size))
    np.testing.assert_allclose(e[0, : n[0]], kept - line, atol=1e-9)  # the cycle, less its line
    e, _ = acf.detrend(x, valid, np.array([200]), "ma", window, fold=period)
    np.testing.assert_allclose(e[0], 0.0, atol=1e-9)  # the profile removes the cycle too


def test_fast_fft_length():
    assert [acf._fast_len(n) for n in (1, 7, 17, 121, 1025)] == [1, 8, 18, 125, 1080]


# --- API details -----------------------------------------------------------------------------


def test_to_dict_is_json_ready():
    tested = SeasonEvidence(12, 0.8, 0.3, "calendar")
    assert tested.to_dict() == {
        "period": 12,
        "acf": 0.8,
        "threshold": 0.3,
        "source": "calendar",
        "significant": True,
    }
    untested = SeasonEvidence(365, math.nan, math.nan, "calendar").to_dict()
    assert untested["acf"] is None and untested["threshold"] is None
    assert untested["significant"] is False


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="finite"):
        detect_seasons(np.array([1.0, np.nan, 2.0]), np.array([0, 3]))
    with pytest.raises(ValueError, match="offsets"):
        detect_seasons(np.arange(5.0), np.array([0, 4]))
    with pytest.raises(ValueError, match=">= 2"):
        season_evidence(*_one(np.arange(50.0)), [1])


def test_empty_panel_has_no_season():
    assert detect_seasons(np.zeros(0), np.array([0])) == []
    untested = choose_seasons("h", np.zeros(0), np.array([0]))  # the calendar is trusted
    assert [e.period for e in untested] == [24, 168]
    assert all(math.isnan(e.acf) for e in untested)
    assert choose_seasons(None, np.zeros(0), np.array([0])) == []


@pytest.mark.parametrize(
    ("window", "season", "patch"),
    [
        (48, 24, 1),  # short windows are read point by point
        (96, 48, 8),  # two days of half-hourly data: 12 steps of 4 hours
        (72, 12, 6),  # six years of monthly data: 12 steps of 6 months
        (53, 1, 53),  # a prime window over 48: one step, as over 96
        (336, 48, 48),  # a week of half-hourly data: 7 steps of a day
        (168, 24, 24),  # a week of hourly data: 7 steps of a day
        (104, 52, 13),  # two years of weekly data: 8 steps of a quarter
        (97, 5, 97),  # a prime window: one step (no other divisor keeps 12 steps)
        (120, 7, 10),  # no divisor lines up with the season: the smallest that keeps 12 steps
    ],
)
def test_default_patch_keeps_few_recurrent_steps(window, season, patch):
    from forecastr.autoconfig import MAX_STEPS, POINTWISE, default_patch

    got = default_patch(window, season)
    assert got == patch
    assert window % got == 0 and (window <= POINTWISE or window // got <= MAX_STEPS)


@pytest.mark.parametrize(
    ("freq", "seasons_found", "window"),
    [
        (None, [1, 10], 20),  # an integer index's calendar says 1: two cycles of 10, not one
        ("YS", [1, 11], 22),  # a cycle found in yearly data
        (None, [1], 16),  # no season at all: two horizons
        (None, [1, 7], 16),  # a short cycle found on an integer index: still two horizons
        ("MS", [12], 36),  # three years of monthly data
    ],
)
def test_default_window_holds_two_of_the_shortest_real_season(freq, seasons_found, window):
    from forecastr.autoconfig import default_window

    got = default_window(freq, 200, 8, 8, 8, seasons=seasons_found, longest=200)
    assert got == window


def test_info_reports_the_window_train_gives_a_detected_season(tmp_path):
    """An integer index names no season; the one found in the data sizes the window, and
    ``info`` reports the window ``train`` will use (it once reported two horizons, 20)."""
    import pandas as pd

    from forecastr import api
    from forecastr.autoconfig import resolve_model_config

    rng = np.random.default_rng(0)
    t = np.arange(60)
    frames = [
        pd.DataFrame(
            {
                "unique_id": f"s{k}",
                "ds": t,
                "y": 50 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, 60),
            }
        )
        for k in range(6)
    ]
    csv = tmp_path / "cycle.csv"
    pd.concat(frames).to_csv(csv, index=False)
    described, panel = api.info(str(csv))
    assert [s["period"] for s in described["seasons"]] == [12]
    cfg, _ = resolve_model_config(panel, {}, None)
    assert described["short_series"]["window"] == cfg.window == 24  # two seasons, not 2 x 10


def _panel(rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate(rows), np.r_[0, np.cumsum([len(r) for r in rows])]


def test_an_integer_index_tests_the_usual_periods_where_the_scan_finds_nothing():
    """Many short series with a weak quarterly season (pooled ACF about 0.15: under a
    scanned peak's floor of 0.2, over a named lag's 0.1), as M3 quarterly through an integer
    index: the usual period 4 is found; the scan alone finds nothing."""
    rng = np.random.default_rng(1)
    t = np.arange(40)
    rows = [
        0.7 * np.sin(np.pi * t / 2 + rng.uniform(0, 6)) + rng.normal(0, 1, 40) for _ in range(300)
    ]
    values, offsets = _panel(rows)
    assert seasons.detect_seasons(values, offsets) == []
    got = seasons.choose_seasons(None, values, offsets)
    assert [(e.period, e.source) for e in got] == [(4, "usual")]
    assert got[0].significant and got[0].threshold == pytest.approx(0.1)
    assert seasons.choose_seasons("D", values, offsets)[0].source == "calendar"  # named there


def test_the_usual_periods_add_no_season_to_noise_and_never_replace_the_scan():
    rng = np.random.default_rng(1)
    for make in (
        lambda n: rng.normal(size=n),
        lambda n: np.cumsum(rng.normal(size=n)),
        lambda n: rng.poisson(2.0, n).astype(float),
    ):
        for panel in (1, 20):
            values, offsets = _panel([make(int(rng.integers(50, 301))) for _ in range(panel)])
            got = seasons.choose_seasons(None, values, offsets)
            assert [e.source for e in got] in ([], ["detected"])  # noise: no usual season
    t = np.arange(200)
    cycle = np.sin(2 * np.pi * t / 10) + rng.normal(0, 0.3, 200)  # a cycle the scan finds
    values, offsets = _panel([cycle])
    found = seasons.detect_seasons(values, offsets)
    assert found and seasons.choose_seasons(None, values, offsets) == found


def test_a_seasonal_window_never_shrinks_below_its_shortest_season():
    # 27 monthly points with horizon, validation and test of 12 leave the typical series no
    # room: the window was 2 (no season seen, a naive base); it is now one season, which no
    # training part fills, so such a file gets the Theta method alone.
    from forecastr.autoconfig import default_window

    assert default_window("MS", 27, 12, 12, 12) == 12
    assert default_window("QS", 10, 4, 4, 4) == 4
    assert default_window("MS", 200, 12, 12, 12) == 36  # room enough: unchanged


def test_a_calendar_season_longer_than_every_series_is_not_trusted(tmp_path):
    """200 days cannot hold a year: no seasonal naive at 365 (it would be the naive forecast
    under another name); 400 days can, and the year is trusted untested as before."""
    import pandas as pd

    from forecastr import api

    rng = np.random.default_rng(31)
    frame = pd.DataFrame(
        {"ds": pd.date_range("2020-01-01", periods=400, freq="D"), "y": rng.normal(100, 5, 400)}
    )
    for n, has_year in ((200, False), (400, True)):
        frame[:n].to_csv(tmp_path / "d.csv", index=False)
        described, _ = api.info(str(tmp_path / "d.csv"))
        assert (365 in [s["period"] for s in described["seasons"]]) is has_year
