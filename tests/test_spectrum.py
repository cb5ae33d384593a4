"""The periodogram check behind season detection: cycles of one short series are confirmed,
noise is not, and a panel needs a majority."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr import acf, seasons, spectrum
from forecastr.present import seasons_text
from forecastr.seasons import detect_seasons


def _file(series: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.r_[0, np.cumsum([len(s) for s in series])].astype(np.int64)
    return np.concatenate(series).astype(np.float64), offsets


def _log_cycle(n: int, seed: int, period: float = 9.6) -> np.ndarray:
    """A lynx-like cycle: strong, on a log scale, not an integer number of steps."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return np.exp(
        6.5 + 1.3 * np.sin(2 * np.pi * t / period + rng.uniform(0, 6)) + rng.normal(0, 0.3, n)
    )


def test_fisher_p_value_of_a_pure_cycle_is_tiny_and_of_noise_is_not():
    t = np.arange(120)
    cycle = np.sin(2 * np.pi * t / 12)[None, :]
    period, p = spectrum._fisher(cycle)
    assert period[0] == pytest.approx(12.0)
    assert p[0] < 1e-20
    noise = np.random.default_rng(0).normal(size=(4000, 120))
    _, p = spectrum._fisher(noise)  # white noise: the bound holds the test's level
    for level in (0.01, 0.05, 0.1):
        assert 0.5 * level < np.mean(p < level) < 1.5 * level


def test_constant_and_linear_rows_have_no_cycle():
    rows = np.stack([np.full(64, 3.0), np.arange(64.0), 1e9 + 2.0 * np.arange(64.0)])
    _, p = spectrum._fisher(rows)
    assert np.all(p == 1.0)


def test_share_counts_only_series_holding_two_periods():
    long = _log_cycle(100, seed=1)
    short = _log_cycle(15, seed=2)  # under two periods of 10: not tested
    values, offsets = _file([long, short])
    assert spectrum.confirmed_share(values, offsets, 10, 2, cap=20_000) == 1.0
    values, offsets = _file([short])
    assert np.isnan(spectrum.confirmed_share(values, offsets, 10, 2, cap=20_000))


def test_share_is_a_majority_question_in_a_panel():
    rng = np.random.default_rng(3)
    cycles = [_log_cycle(100, seed=i) for i in range(3)]
    noise = [rng.normal(size=100) for _ in range(7)]
    values, offsets = _file(cycles + noise)
    share = spectrum.confirmed_share(values, offsets, 10, 2, cap=20_000)
    assert 0.25 <= share <= 0.45  # the three cycles, perhaps one noise series


def test_a_peak_elsewhere_does_not_confirm_the_lag():
    values, offsets = _file([_log_cycle(120, seed=4)])
    assert spectrum.confirmed_share(values, offsets, 20, 2, cap=20_000) == 0.0


def test_one_short_series_with_a_strong_cycle_gets_its_season():
    """The ACF at 10 clears the floors but not its Bartlett bound, inflated by the cycle
    itself; the periodogram confirms it (bench/shapes.py's integer-cycle series)."""
    y = _log_cycle(90, seed=0)
    values, offsets = _file([y])
    found = detect_seasons(values, offsets)
    assert [e.period for e in found] == [10]
    pooled = acf.SeriesSet(values, offsets, cap=20_000).pool(40, "linear")
    floors = max(seasons.MIN_DETECTED_ACF, pooled.trough(10) + seasons.MIN_DETECTED_ACF)
    assert found[0].threshold == pytest.approx(floors)  # the floors, not the Bartlett bound
    assert found[0].acf > found[0].threshold
    assert found[0].periodogram == 1.0  # the one series confirmed it, and info says so
    assert found[0].to_dict()["periodogram"] == 1.0
    assert "periodogram in 100% of series" in seasons_text([found[0]])
    assert "periodogram" not in seasons.SeasonEvidence(12, 0.8, 0.3, "calendar").to_dict()
    with pytest.MonkeyPatch.context() as mp:  # without the check: nothing
        mp.setattr(seasons, "confirmed_share", lambda *a, **k: 0.0)
        assert detect_seasons(values, offsets) == []


def _noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    e = rng.normal(size=n)
    if kind == "ar1":
        y = np.zeros(n)
        for t in range(1, n):
            y[t] = 0.9 * y[t - 1] + e[t]
        return y
    return {"white": e, "walk": np.cumsum(e), "counts": rng.poisson(1.0, n).astype(float)}[kind]


def test_the_check_adds_few_false_seasons():
    """200 single series with no cycle (fixed seeds): at most 2 more with a season than the
    ACF alone finds (bench/cycles.py measures the rates on thousands)."""
    rng = np.random.default_rng(11)
    extra = 0
    for kind in ("white", "ar1", "walk", "counts"):
        for _ in range(50):
            values, offsets = _file([_noise(kind, int(rng.integers(50, 301)), rng)])
            with_check = detect_seasons(values, offsets)
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(seasons, "confirmed_share", lambda *a, **k: 0.0)
                extra += len(with_check) > len(detect_seasons(values, offsets))
    assert extra <= 2


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(20, 200),
    scale=st.floats(1e-3, 1e6),
    shift=st.floats(-1e3, 1e3),
    slope=st.floats(-10, 10),
    seed=st.integers(0, 2**32 - 1),
)
def test_fisher_ignores_units_level_and_line(n, scale, shift, slope, seed):
    y = _noise("white", n, np.random.default_rng(seed)) + np.sin(np.arange(n) / 2)
    period, p = spectrum._fisher(y[None, :])
    moved = scale * (y + shift + slope * np.arange(n))
    period2, p2 = spectrum._fisher(moved[None, :])
    assert period2[0] == period[0]
    assert p2[0] == pytest.approx(p[0], rel=1e-6, abs=1e-12)


def test_the_check_is_not_made_beside_a_calendar_season():
    """Monthly data names 12: a peak the ACF alone cannot establish stays unconfirmed."""
    y = _log_cycle(90, seed=0)
    values, offsets = _file([y])
    assert [e.period for e in seasons.choose_seasons(None, values, offsets)] == [10]
    assert [e.period for e in seasons.choose_seasons("MS", values, offsets)] == []
