"""The optimised Theta method, batched over series, in numpy. Torch-free.

What it is for: the network's forecast is averaged with this one (``combine.py``). The two err
differently: the network damps persistent trends that the Theta method extrapolates, and the
Theta method misses the shapes the network learns across series. On the M3 and Tourism
competitions the average beat both (docs/benchmarks.md, "Theta combination").

The method (Fiorucci, Pellegrini, Louzada and Petropoulos 2016, "Models for optimising the
theta method and their relationship to state space models"), per series:

* **Seasonality.** With a season ``m > 1`` (the file's: the calendar's or the one detected),
  a series of at least two seasons is seasonally adjusted by classical multiplicative
  decomposition when its autocorrelation at lag ``m`` passes a 90% test; the forecast is
  re-seasonalised at the end. The test is the plain one, ``|r_m| > 1.645 / sqrt(n)``, not
  the Bartlett bound of Hyndman and Billah's ``thetaf``: Bartlett's standard error grows with
  every lower-lag autocorrelation, so a strongly seasonal short series fails it and is
  forecast as if flat (Tourism monthly cut to 26 points: MASE 2.28 against seasonal naive's
  1.12; with this test 1.16; docs/benchmarks.md, "Theta's seasonal test on short
  histories"). A series of one and a half to two seasons, too short for the test or the
  decomposition, is adjusted by its ratios to its least-squares line, averaged per phase:
  the file's season stands in for the test (Tourism monthly cut to 18 points: 3.14 -> 1.29,
  seasonal naive 1.34). So it does for a series of two seasons or more whose ``|r_m|``, at
  most about ``(n - m) / n``, cannot reach the bound (8 quarters: decomposed untested).
  A season of :data:`UNTESTED_SEASON` points or fewer (quarters) is adjusted for untested at
  any length: its three indices cost little where there is no season, and the test, weak on
  a few dozen points and blind where a trend dominates, left seasonal quarterly series
  unadjusted. Adjusted untested, every quarterly category of M3, Tourism and M1 scored
  better, cut to 10 to 20 points and whole (Tourism quarterly at 10 points: MASE 1.383 ->
  0.988, seasonal naive 1.005; M1 quarterly whole 1.671 -> 1.633; docs/benchmarks.md,
  "Quarterly seasons adjusted untested"). Monthly seasons keep the test: untested, M3
  monthly lost (0.853 -> 0.871 whole). Unless the file vouches for the season (``trusted``):
  where its series pool to an autocorrelation of :data:`TRUSTED_ACF` or more at the season
  (``seasons.py``, on the detrended training part), every series is adjusted untested. The
  per-series test has little power on two or three years, and a file that is seasonal as a
  whole lends its season to each series: Tourism monthly (pooled 0.66) cut to 27 points
  scored 1.007 tested and 0.968 trusted, against seasonal naive's 0.983, while M3 monthly
  (0.22), whose series are often not seasonal, keeps the test (docs/benchmarks.md, "A
  season the file vouches for").
* **Additive where ratios cannot serve.** A series with a value of 0 or below (or, when
  short, a least-squares line that is), or with a multiplicative index under
  :data:`MIN_INDEX` (dividing by it would blow up the noise), is adjusted additively
  instead, as statsforecast's Theta models do: the same decomposition with differences in
  place of ratios, the season subtracted and added back. Before, such a series went
  unadjusted and was forecast as if flat (a cycle with zeros, a temperature in degrees
  Celsius; docs/benchmarks.md, "Additive seasons for series that are not positive").
* **One-step forecasts** of the adjusted series ``Y_1..Y_n``::

      Yhat_t = l_{t-1} + c * ((1 - a)^(t-1) A_{t-1} + (1 - (1 - a)^t) / a * B_{t-1})

  where ``l`` is simple exponential smoothing of ``Y`` (``l_0 = Y_1``), ``A_t`` and ``B_t``
  are the intercept and slope of the least-squares line through ``Y_1..Y_t`` (the *dynamic*
  model; updated recursively), and ``c = 1 - 1/theta``. ``theta = 2`` (``c = 1/2``) is the
  classic Theta method.
* **Fitting.** ``a`` on a grid, and for each ``a`` the ``c`` in ``[0, C_MAX]`` that minimises
  the squared one-step errors, which is a quadratic in ``c`` (closed form); the pair with the
  least squared error is kept.
* **Forecast** ``h`` steps ahead: ``l_n + c * ((1 - a)^n A_n + ((h - 1) + (1 - (1 - a)^(n+1)) /
  a) B_n)``.

Series are right-aligned rows of one matrix, NaN before their first value, and every step of
the recursion is one vectorised operation over series and grid values.
"""

from __future__ import annotations

import numpy as np

from forecastr.acf import detrend

ALPHAS = np.concatenate([np.linspace(0.02, 0.5, 13), np.linspace(0.55, 0.99, 10)])
C_MAX = 0.9  # theta at most 10: a steeper extrapolated slope is not fitted
Z90 = 1.645  # 90% test of the seasonal autocorrelation
SHORT_SEASONS = 1.5  # seasons a series needs before its season is adjusted for
UNTESTED_SEASON = 4  # a season this short is adjusted for without the test (quarters)
TRUSTED_ACF = 0.5  # a file's pooled autocorrelation at the season that vouches for every series
TIE = 1e-9  # errors this close (relative to each weight's sum of squares) are a tie
MIN_INDEX = 0.01  # a multiplicative index below this: the season is adjusted additively
# The method's revision, raised by every change that moves its forecasts or spreads. A model
# stores the revision it was trained and scored with (``combine.ThetaMix.revision``; a Theta-
# only model's ``model.theta_revision``), and loading it under another warns: its Theta part
# is refitted at every forecast by this code, so the forecasts can differ from those scored.
# 1: first version; 2: the plain seasonal test, short histories adjusted by their line;
# 3: additive seasons for series that are not positive; 4: near-ties judged per smoothing
# weight; 5: the spread carries the estimated drift's error; 6: quarterly seasons untested.
# 7: a season over 256 steps reads eight seasons of history (``baselines.theta_history``);
# a model of revision 6 forecasts as it was scored unless it stores more than 256 points at
# such a season (``combine.same_forecasts``), so only those are warned.
REVISION = 7


def is_seasonal(x: np.ndarray, m: int) -> bool:
    """Whether ``x`` (finite, oldest first) shows season ``m``: its autocorrelation at lag
    ``m`` exceeds 1.645 / sqrt(n) in magnitude (needs at least two seasons)."""
    n = x.size
    if m < 2 or n < 2 * m:
        return False
    xc = x - x.mean()
    denom = float(xc @ xc)
    if denom <= 0:
        return False
    r_m = float(xc[m:] @ xc[: n - m]) / denom
    return bool(abs(r_m) > Z90 / np.sqrt(n))


def seasonal_indices(x: np.ndarray, m: int, additive: bool = False) -> np.ndarray:
    """(m,) indices of classical decomposition, index 0 the phase of ``x[0]``: multiplicative
    (``x`` positive; normalised to mean 1) or ``additive`` (normalised to mean 0). ``x`` at
    least two seasons long."""
    w = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    trend = np.convolve(x, w, mode="valid")  # centred moving average
    lead = (w.size - 1) // 2
    level = x[lead : lead + trend.size]
    part = level - trend if additive else level / trend
    phase = (np.arange(trend.size) + lead) % m
    idx = np.bincount(phase, part, minlength=m) / np.maximum(np.bincount(phase, minlength=m), 1)
    if additive:
        return idx - idx.mean()
    idx = np.where(idx > 0, idx, 1.0)
    return idx / idx.mean()


def seasonal_minimum(m: int) -> int:
    """Points a series needs before its season ``m`` is adjusted for: :data:`SHORT_SEASONS`
    seasons and at least ``m + 2`` (1 without a season: nothing to wait for)."""
    if m < 2:
        return 1
    return max(int(np.ceil(SHORT_SEASONS * m)), m + 2)


def short_indices(x: np.ndarray, m: int, additive: bool = False) -> np.ndarray | None:
    """(m,) indices of a series of :data:`SHORT_SEASONS` to two seasons (and at least ``m + 2``
    points), index 0 the phase of ``x[0]``: the mean ratio of each phase's values to the
    least-squares line through ``x``, normalised to mean 1 (None when ``x`` or its line is not
    positive), or with ``additive`` the mean difference from it, normalised to mean 0."""
    if not additive and not (x > 0).all():
        return None
    t = np.arange(x.size, dtype=np.float64)
    slope, intercept = np.polyfit(t, x, 1)
    line = intercept + slope * t
    if not additive and not (line > 0).all():
        return None
    phase = np.arange(x.size) % m
    part = x - line if additive else x / line
    idx = np.bincount(phase, part, minlength=m) / np.bincount(phase, minlength=m)
    return idx - idx.mean() if additive else idx / idx.mean()


def theta_forecast(
    rows: np.ndarray, horizon: int, season: int = 1, trusted: bool = False
) -> np.ndarray:
    """(S, horizon) optimised-Theta forecasts of ``rows`` (S, T): each row one series' most
    recent values, oldest first, NaN before its first value (right-aligned). A row with one or
    two values forecasts its last value; a row with none, NaN. ``trusted``: the file vouches
    for the season, every row is adjusted for it untested."""
    rows, counts, out = _start(rows, horizon)
    fit = counts >= 3
    if fit.any():
        adjusted, factors, offsets = _adjust(rows, counts, horizon, season, trusted)
        out[fit] = _dotm(adjusted[fit], counts[fit], horizon)[0] * factors[fit] + offsets[fit]
    short = (counts > 0) & ~fit
    if short.any():
        out[short] = rows[short, -1][:, None]
    return out


def theta_spread(
    rows: np.ndarray, horizon: int, season: int = 1, trusted: bool = False
) -> np.ndarray:
    """(S, horizon) standard deviations of the h-step errors of :func:`theta_forecast`'s
    forecasts of the same rows, from the method's state-space form, simple exponential
    smoothing with drift (Hyndman and Billah 2003, as R's ``thetaf``): ``sigma^2 * (1 +
    (h - 1) * a^2)``, ``a`` the fitted smoothing weight and ``sigma^2`` the fit's squared
    one-step errors over their count less the two fitted parameters, plus the error of the
    estimated drift carried ``h`` steps: the forecast's trend is ``c * slope`` per step, the
    slope the least-squares one of the row, whose variance is ``12 s^2 / (n (n^2 - 1))``
    (``s^2`` its residual variance). The state-space form takes the drift as known, which on
    a short series it is not (docs/benchmarks.md, "Theta-only intervals"). The square root,
    times the seasonal factor. NaN for a row of fewer than 4 values (no error left to
    estimate it from)."""
    rows, counts, out = _start(rows, horizon)
    fit = counts >= 4
    if fit.any():
        # offsets move no spread
        adjusted, factors, _ = _adjust(rows, counts, horizon, season, trusted)
        _, a, sse, lead = _dotm(adjusted[fit], counts[fit], horizon)
        n = counts[fit].astype(np.float64)
        sigma2 = np.maximum(sse, 0.0) / (n - 3)  # n - 1 errors, 2 parameters
        h = np.arange(horizon, dtype=np.float64)[None, :]
        drift = lead**2 * (_slope_variance(adjusted[fit], counts[fit]))[:, None]
        out[fit] = np.sqrt(sigma2[:, None] * (1.0 + h * (a * a)[:, None]) + drift) * factors[fit]
    return out


def _slope_variance(rows: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(S,) the variance of each right-aligned row's least-squares slope on time: ``12 s^2 /
    (n (n^2 - 1))``, ``s^2`` the residuals' squares over ``n - 2``. The residuals are
    ``acf.detrend``'s of the row reversed, which is left-aligned as it expects (a line's
    residuals do not depend on the direction of time)."""
    flipped = rows[:, ::-1]
    valid = np.isfinite(flipped)
    e, _ = detrend(np.where(valid, flipped, 0.0), valid, counts, "linear")
    n = counts.astype(np.float64)
    return (e**2).sum(axis=1) / (n - 2) / (n * (n**2 - 1) / 12)


def _start(rows: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``rows`` as float64 (S, T), each row's count of values, and an (S, horizon) NaN
    output."""
    rows = np.asarray(rows, dtype=np.float64)
    if rows.shape[1] == 0:
        rows = np.full((rows.shape[0], 1), np.nan)  # no values: every count is 0
    return rows, np.isfinite(rows).sum(axis=1), np.full((rows.shape[0], horizon), np.nan)


def _adjust(
    rows: np.ndarray, counts: np.ndarray, horizon: int, m: int, trusted: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows seasonally adjusted where their season is significant, and (S, horizon) the
    factors and offsets that re-seasonalise each row's forecast (``forecast * factors +
    offsets``; ones and zeros where nothing was adjusted)."""
    adjusted = rows.copy()
    factors = np.ones((rows.shape[0], horizon))
    offsets = np.zeros((rows.shape[0], horizon))
    if m < 2:
        return adjusted, factors, offsets
    width = rows.shape[1]
    for i in np.flatnonzero(counts >= seasonal_minimum(m)):
        x = rows[i, width - counts[i] :]
        found = _indices(x, m, trusted)
        if found is None:
            continue
        idx, additive = found
        n = x.size
        past, future = idx[np.arange(n) % m], idx[(n + np.arange(horizon)) % m]
        if additive:
            adjusted[i, width - n :] = x - past
            offsets[i] = future
        else:
            adjusted[i, width - n :] = x / past
            factors[i] = future
    return adjusted, factors, offsets


def _indices(x: np.ndarray, m: int, trusted: bool = False) -> tuple[np.ndarray, bool] | None:
    """The season ``m`` of one series (finite, oldest first, at least
    :func:`seasonal_minimum` points) and whether it is additive; None when it is not adjusted
    for (a season over :data:`UNTESTED_SEASON` the file does not vouch for, two seasons or
    more, whose test fails)."""
    n = x.size
    short = n < 2 * m
    tested = not (short or trusted) and m > UNTESTED_SEASON and (n - m) / n > Z90 / np.sqrt(n)
    if tested and not is_seasonal(x, m):
        return None  # |r_m| could reach the bound and did not
    if (x > 0).all():
        idx = short_indices(x, m) if short else seasonal_indices(x, m)
        if idx is not None and idx.min() >= MIN_INDEX:
            return idx, False
    idx = short_indices(x, m, additive=True) if short else seasonal_indices(x, m, additive=True)
    return (idx, True) if idx is not None else None


def _dotm(
    rows: np.ndarray, counts: np.ndarray, horizon: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(S, horizon) dynamic optimised Theta forecasts of right-aligned rows (each at least 3
    values, NaN before them), with each row's fitted smoothing weight ``a``, the sum of its
    squared one-step errors (S,), and (S, horizon) what multiplies the row's final slope in
    each step's forecast (``c * (h + ...)``: how an error in the slope moves the forecast)."""
    n_rows, width = rows.shape
    a = ALPHAS[None, :]  # (1, K)
    keep = 1.0 - a
    level = np.zeros((n_rows, ALPHAS.size))
    mean = np.zeros((n_rows, 1))
    slope = np.zeros((n_rows, 1))
    sse = np.zeros_like(level)  # sum of (Y - l)^2
    cross = np.zeros_like(level)  # sum of (Y - l) * T
    tt = np.zeros_like(level)  # sum of T^2
    start = width - counts  # column of each row's first value
    # (1 - a)^j for every position j, computed once: the recursion reads a row per series
    # and column (the same numbers as raising per column, in a tenth of the time)
    powers = keep ** np.arange(width, dtype=np.float64)[:, None]  # (width, K)
    aligned = bool((start == start[0]).all()) if n_rows else True  # every row starts together
    for col in range(width):
        t = (col - start + 1)[:, None].astype(np.float64)  # 1-based position; <= 0 before start
        y = rows[:, col][:, None]
        first = t == 1
        later = t >= 2
        if later.any():
            back = np.maximum(col - start, 0)  # t - 1, at least 0
            decay = powers[back[:1] if aligned else back]  # (1 - a)^(t-1): (1 or S, K)
            trend = ((1.0 - decay * keep) / a - decay) * slope  # (S, K)
            resid = y - level
            ok = later & np.isfinite(y)
            if ok.all():  # the same sums as below, without the masks
                sse += resid * resid
                cross += resid * trend
                tt += trend * trend
                level = level + a * resid
            else:
                sse += np.where(ok, resid * resid, 0.0)
                cross += np.where(ok, resid * trend, 0.0)
                tt += np.where(ok, trend * trend, 0.0)
                level = np.where(ok, level + a * resid, level)
            safe = np.maximum(t, 1.0)
            new_slope = ((t - 2) * slope + 6.0 * (y - mean) / safe) / (t + 1)
            slope = np.where(ok, new_slope, slope)
            mean = np.where(ok, mean + (y - mean) / safe, mean)
        if first.any():
            level = np.where(first, y, level)
            mean = np.where(first, y, mean)
            slope = np.where(first, 0.0, slope)
    c = np.clip(np.divide(cross, tt, out=np.zeros_like(tt), where=tt > 0), 0.0, C_MAX)
    err = sse - 2.0 * c * cross + c * c * tt
    # The smallest weight among those within rounding of the least error: a series of three
    # values fits every weight equally well, and which of those ties argmin saw as lowest
    # depended on the batch's shape (one series forecast 358 alone and 317 in a batch).
    # Each weight's error carries rounding of the order of its own sum of squares.
    best = np.argmax(err <= err.min(axis=1, keepdims=True) + TIE * np.abs(sse), axis=1)
    pick = np.arange(n_rows)
    a_best, c_best, l_best = ALPHAS[best], c[pick, best], level[pick, best]
    n = counts.astype(np.float64)
    decay = (1.0 - a_best) ** n
    h = np.arange(horizon, dtype=np.float64)[None, :]
    lead = c_best[:, None] * (h + ((1.0 - decay * (1.0 - a_best)) / a_best - decay)[:, None])
    return l_best[:, None] + lead * slope, a_best, err[pick, best], lead
