"""Defaults chosen from the data: seasons, window, base season and patch (the horizon is the
frequency's: :mod:`forecastr.frequency`).

Everything ``forecastr train`` decides on the user's behalf when a flag is left out, in one
place, so that ``info`` (which shows these choices) and ``train`` (which uses them) agree.
Seasons and the base season are chosen on each series' training part only, never on the
validation or test points. Torch-free.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import numpy as np

from forecastr.config import ModelConfig
from forecastr.errors import InputError
from forecastr.frequency import (
    calendar_kind,
    default_horizon,
    horizon_for_season,
    season_length_for,
    seasonalities_for,
)
from forecastr.panel import Panel, mean_abs_change
from forecastr.windows import min_length

MAX_WINDOW = 512
# Training points a series needs for the default window to shrink to it (two inputs and a
# target); with fewer, the window stays and `train` says which flag makes room.
MIN_TRAIN_PART = 3


def default_window(
    freq: str | None,
    typical: int,
    horizon: int,
    val: int,
    test: int,
    seasons: list[int] | None = None,
    longest: int | None = None,
) -> int:
    """Input window: long enough to see the longest season that fits, at least two of the
    shortest, capped at :data:`MAX_WINDOW` and at what the *typical* (median-length) series
    holds before its validation and test parts. Shorter series are padded (``windows.py``),
    so a few short series no longer shrink the window of every other one. Data with no season
    at all (yearly, or nothing found) gets two horizons. Never longer than the ``longest``
    series' training part, when that holds at least :data:`MIN_TRAIN_PART` points: padding
    serves a file's short series, and a window no series fills is refused
    (``windows.check_some_series_fills_the_window``)."""
    # Season 1 (no season) sizes nothing when a real season was found: an integer index's
    # calendar says [1], and with it a detected cycle of 10 got a window of 10 (one cycle),
    # not the two cycles every other season gets.
    seasons = sorted(s for s in (seasons or seasonalities_for(freq)) if s >= 2) or [1]
    # Within what the typical series holds (which the longest series holds too).
    cap = max(2, min(MAX_WINDOW, typical - val - test))
    if seasons == [1]:
        # No season to size the window by: look back two horizons (the shortest lookback of
        # N-BEATS), padded for series shorter than that. On M3 yearly (window 7 -> 12) and M3
        # "other" (8 -> 16) this beat ETS on sMAPE and MASE (docs/benchmarks.md).
        cap = max(cap, min(MAX_WINDOW, 2 * horizon))
        room = None if longest is None else longest - val - test
        if room is not None and room >= MIN_TRAIN_PART:
            cap = min(cap, room)
        return int(min(max(2 * horizon, 8), cap))
    # Never shorter than the shortest season: a window of 2 on 27 monthly points saw no season
    # and its base was naive (Tourism monthly cut to 27 points, bench/short_seasonal.py: MASE
    # 2.34 against seasonal naive's 0.98). A window no series' training part fills then gets
    # the Theta method alone (thetaonly.network_blocker).
    cap = max(cap, min(seasons[0], MAX_WINDOW))
    fitting = [s for s in seasons if s <= cap]
    base = max(fitting) if fitting else 1
    window = max(base, 2 * seasons[0], horizon, 8)
    if freq is not None and calendar_kind(freq) in ("M", "Q"):
        window = max(window, 3 * seasons[0])  # three years of monthly/quarterly history
    if seasonalities_for(freq) == [1]:
        # A cycle found where the calendar names none never shortens the two horizons such
        # data gets without one (a weak cycle of 7 with horizon 8 would read 14 points).
        window = max(window, 2 * horizon)
    return int(min(window, cap))


def typical_length(panel: Panel) -> int:
    """The median series length: what the defaults are sized for."""
    return int(np.median(panel.lengths)) if panel.n_series else 0


def _longest(panel: Panel) -> int:
    return int(panel.lengths.max()) if panel.n_series else 0


def training_part(panel: Panel, val: int, test: int) -> Panel:
    """Each series without its last ``val + test`` points (at least one point kept): the
    part season detection and base selection may look at."""
    ends = np.maximum(panel.lengths - val - test, 1)
    return panel.truncate(np.minimum(ends, panel.lengths))


def find_seasons(panel: Panel, val: int, test: int, user: list[int] | None = None) -> list:
    """Seasons of ``panel`` (calendar, detected or the user's), from the training part only."""
    from forecastr.seasons import choose_seasons

    part = training_part(panel, val, test)
    found = choose_seasons(panel.freq, part.y, part.offsets, user=user)
    # A calendar season trusted untested needs a series longer than it: 200 days cannot hold a
    # year, and a seasonal naive at 365 would be the naive forecast under another name.
    return [e for e in found if e.source != "calendar" or e.period < _longest(panel)]


def season_fields(panel: Panel, horizon: int, seasons: list) -> dict:
    """``info``'s seasons: those found (``seasons``), and the calendar's that the data did not
    confirm (tested, under their bound), with their evidence, read from the training part as
    :func:`find_seasons` reads it (``seasons_unconfirmed``: why a short monthly series with a
    visible year can show "none found")."""
    from forecastr.seasons import season_evidence

    chosen = {int(e.period) for e in seasons}
    lags = [p for p in seasonalities_for(panel.freq) if p >= 2 and p not in chosen]
    unconfirmed = []
    if panel.freq is not None and lags:
        part = training_part(panel, horizon, horizon)
        found = season_evidence(part.y, part.offsets, lags)
        unconfirmed = [e for e in found if np.isfinite(e.acf) and not e.significant]
    return {
        "seasons": [e.to_dict() for e in seasons],
        "seasons_unconfirmed": [e.to_dict() for e in unconfirmed],
    }


def horizon_and_seasons(
    panel: Panel, horizon: int | None, val: int | None = None, user: list[int] | None = None
) -> tuple[int, list]:
    """The horizon (``horizon`` when given, else the frequency's default) and the seasons
    found with it (:func:`find_seasons`; ``val`` defaults to the horizon).

    An integer index names no season, so its default horizon follows the shortest season
    found in the data (:func:`~forecastr.frequency.horizon_for_season`: 48 steps forecast 48,
    as a half-hourly calendar would), when the typical series holds two such horizons and two
    seasons; the seasons are then found again with that horizon held out.
    """
    h = horizon or default_horizon(panel.freq)
    seasons = find_seasons(panel, val or h, h, user=user)
    if horizon or panel.freq is not None or not seasons:
        return h, seasons
    shortest = min(int(e.period) for e in seasons)
    follow = horizon_for_season(shortest)
    if follow == h or typical_length(panel) < 2 * (follow + shortest):
        return h, seasons
    return follow, find_seasons(panel, val or follow, follow, user=user)


def season_trusted(seasons: list, season: int) -> bool:
    """Whether the file vouches for ``season``: its series pool to an autocorrelation of at
    least ``theta.TRUSTED_ACF`` there, so the Theta method adjusts every series for it
    without the series' own test (``seasons``: ``seasons.SeasonEvidence``)."""
    from forecastr.theta import TRUSTED_ACF

    return season > 1 and any(
        int(e.period) == season and float(e.acf) >= TRUSTED_ACF for e in seasons
    )


def main_season(seasons: list, freq: str | None) -> int:
    """The season the report's seasonal naive and MASE use: the user's first, else the
    calendar's main season (the M4 convention), else the strongest season found, else 1."""
    periods = [int(e.period) for e in seasons]
    user = [int(e.period) for e in seasons if e.source == "user"]
    if user:
        return user[0]
    calendar = season_length_for(freq)
    if calendar > 1:
        return calendar
    return periods[0] if periods else 1


def report_season(stored: Sequence[dict], freq: str | None, base: int) -> int:
    """The season ``train``'s report scored a model at, from what the model stores, so that
    ``evaluate``'s seasonal naive and MASE scale mean what they meant there: :func:`main_season`
    of its seasons (``stored``: their ``to_dict()`` forms). Not the network's ``base`` season,
    which validation may choose otherwise: a monthly model whose base is the last value was
    scored at 12 by ``train`` and at 1 by ``evaluate``. An ONNX file stores no seasons: the
    calendar's main season, else the base."""
    found = [
        SimpleNamespace(period=int(e["period"]), source=str(e.get("source") or "")) for e in stored
    ]
    if found or season_length_for(freq) > 1:
        return main_season(found, freq)
    return int(base) or 1


def short_series_counts(panel: Panel, horizon: int, val: int, window: int) -> dict:
    """How many series are padded (shorter than window + horizon + validation + test) and how
    many cannot be scored at all (no point before the held-out horizon)."""
    need = min_length(window, horizon, val, horizon)
    lengths = panel.lengths
    unscorable = [panel.ids[i] for i in np.flatnonzero(lengths <= horizon)]
    return {
        "window": int(window),
        # False: no series holds the window before its validation and test parts, so the
        # network cannot train and ``train`` saves the Theta method alone (thetaonly.py)
        "network_fits": bool(lengths.size and int(lengths.max()) - val - horizon >= window),
        "padded": int(np.sum(lengths < need)),
        "unscorable": len(unscorable),
        "unscorable_ids": unscorable[:10],
    }


def resolve_model_config(
    panel: Panel, overrides: dict, season_length: int | Sequence[int] | None
) -> tuple[ModelConfig, list]:
    """ModelConfig from the user's flags, with defaults chosen from the data, and the seasons
    (``seasons.SeasonEvidence``, main first) found on the training part."""
    user = _season_list(season_length)
    given_val = overrides.pop("val_size", None)
    horizon, seasons = horizon_and_seasons(panel, overrides.pop("horizon", None), given_val, user)
    val = given_val or horizon
    periods = [int(e.period) for e in seasons]
    window = overrides.pop("window", None) or data_window(panel, horizon, val, seasons)
    base = overrides.pop("season_length", None)
    if base is None:
        if user:
            base = user[0] if user[0] <= window else 1
        else:
            base = choose_base(panel, val, horizon, window, periods)
    patch = overrides.pop("patch", None) or default_patch(window, main_season(seasons, panel.freq))
    cfg = ModelConfig(window=window, horizon=horizon, season_length=base, patch=patch, **overrides)
    return cfg, seasons


def data_window(panel: Panel, horizon: int, val: int, seasons: list) -> int:
    """The default window for ``panel``: :func:`default_window` sized for the seasons found
    (``seasons.SeasonEvidence``) and the calendar's, whether or not the data shows them.
    ``train`` uses it and ``info`` reports it, so the two agree (``info`` once said 20 points
    for a detected season of 12 that ``train`` gave 24)."""
    sized_for = sorted({*(int(e.period) for e in seasons), *seasonalities_for(panel.freq)})
    return default_window(
        panel.freq,
        typical_length(panel),
        horizon,
        val,
        horizon,
        seasons=sized_for,
        longest=_longest(panel),
    )


def _season_list(season_length: int | Sequence[int] | None) -> list[int] | None:
    if season_length is None:
        return None
    values = [season_length] if isinstance(season_length, int) else list(season_length)
    if not values or any(int(v) != v or v < 1 for v in values):
        raise InputError(f"--season-length must be whole numbers >= 1, got {season_length}")
    return [int(v) for v in values]


def choose_base(panel: Panel, val: int, test: int, window: int, periods: list[int]) -> int:
    """The season whose seasonal-naive forecast the network corrects: among every season that
    fits the window and 1 (naive), the one with the lowest multi-step error over the training
    part (each series' error scaled by its mean absolute change, then averaged over series).
    The main season is kept unless another is clearly (2%) better, or the series are too
    short to tell. (A drift base was tried too: docs/benchmarks.md says why it is not here.)"""
    candidates = [m for m in dict.fromkeys([*periods, 1]) if 1 <= m <= window]
    if len(candidates) == 1:
        return candidates[0]
    part = training_part(panel, val, test)
    scores = base_errors(part.y, part.offsets, test, candidates)
    if not np.isfinite(scores).any():
        return candidates[0]
    best = int(np.nanargmin(scores))
    if best != 0 and not scores[best] < 0.98 * scores[0]:
        best = 0
    return candidates[best]


def base_errors(
    y: np.ndarray, offsets: np.ndarray, horizon: int, lags: list[int], max_origins: int = 200_000
) -> np.ndarray:
    """(len(lags),) mean over series of the scaled MAE of seasonal naive at each lag over the
    horizon, from the same origins inside each series for every lag."""
    from forecastr.panel import concat_ranges

    starts, ends = offsets[:-1], offsets[1:]
    lo = starts + max(lags)  # first origin with a full season behind it
    counts = np.maximum(ends - horizon - lo + 1, 0)
    step = max(1, int(counts.sum()) // max_origins)
    origins = concat_ranges(lo, (counts + step - 1) // step, step)  # (O,)
    if len(origins) == 0:
        return np.full(len(lags), np.nan)
    series = np.searchsorted(starts, origins, side="right") - 1  # (O,)
    scale = mean_abs_change(y, starts, ends)  # (S,) the MASE-like scale; NaN under 2 points
    h = np.arange(horizon)
    actual = y[origins[:, None] + h]  # (O, H)
    out = np.full(len(lags), np.nan)
    ok = scale[series] > 0
    for j, m in enumerate(lags):
        forecast = y[origins[:, None] - m + (h % m)]  # (O, H)
        err = np.abs(actual - forecast).mean(axis=1)[ok] / scale[series][ok]
        per_series = np.bincount(series[ok], err, minlength=len(starts))
        n = np.bincount(series[ok], minlength=len(starts))
        out[j] = float(np.mean(per_series[n > 0] / n[n > 0])) if (n > 0).any() else np.nan
    return out


# Recurrent steps per window at most: a step's cost is paid once per step, so a long window
# is read in patches. 24 steps trained twice as fast as 48 and were as accurate; 12 (a week
# of half-hourly data in 7 steps of a day) trained a half-hourly example series in half the
# time of 24, and its forecast of the next day was closer (MASE 0.28-0.30 against 0.46-0.55
# over three seeds; that file has since left the repository, as one of the unseen test
# cases). Rechecked on the hourly Seattle sample (window 168): 7 steps of a day scored MASE
# 0.86 [0.85, 0.86] in 24 s against 0.92 [0.90, 0.94] in 98 s for 24 steps of 7 hours
# (docs/benchmarks.md).
MAX_STEPS = 12
# Windows up to this many points are read point by point. At 36 (three years of monthly data)
# 12 steps of a quarter trained twice as fast but lost 0.6% of MASE on Tourism monthly; at 72
# 12 steps of 6 months beat 72 single months there (MASE 1.405 against 1.412, seed 0) in a
# fifth of the time (164 s against 840 s), and on a weekly panel 12 steps of 8 weeks beat 96
# single weeks (0.542 against 0.576) (docs/benchmarks.md, "Short windows read in patches").
POINTWISE = 48


def default_patch(window: int, season_length: int) -> int:
    """Points per recurrent step: 1 for windows up to :data:`POINTWISE` (48), else the
    smallest divisor of the window that keeps at most :data:`MAX_STEPS` steps, preferring one
    that divides the season (patches then line up with the seasonal cycle). A week of
    half-hourly data (336) with its daily season (48) is read as 7 steps of a day (48 points);
    a week of hourly data (168) as 7 steps of 24; six years of monthly data (72) as 12 steps
    of 6 months. A prime window has no divisor but itself: one step."""
    if window <= POINTWISE:
        return 1
    divisors = [p for p in range(1, window + 1) if window % p == 0 and window // p <= MAX_STEPS]
    aligned = [p for p in divisors if season_length % p == 0]
    return (aligned or divisors)[0]
