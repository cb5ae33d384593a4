"""Exponential smoothing with a season (Holt-Winters), its form chosen per series by AICc, in
numpy. Torch-free: the ONNX path applies it too.

What it is for: one short series gives the network few windows to learn from, and a network
trained on one seasonal series is weak (alone MASE 1.20 on 30 single M3 monthly series,
against statsforecast AutoETS's 0.96). There the served forecast is the equal average of the
network, the Theta method and this one (``combine.ThetaMix.ets``, ``combine.ets_member``):
the Theta method adjusts
each series by one fixed seasonal profile and extrapolates a straight trend, while this model
lets the season and the level evolve and damps the trend when that fits better. On 30 single
series from each of six seasonal M1, M3 and Tourism categories the average of three beat
the average of two on both sMAPE and MASE in all six (docs/benchmarks.md, "A third member for
one short seasonal series").

The models (Hyndman, Koehler, Snyder and Grose 2002, additive errors), per series ``x_1..x_n``
at season ``m``, with level ``l``, trend ``b`` and seasonal states ``s``::

    base_t = l_{t-1} + phi b_{t-1}
    yhat_t = base_t + s_{t-m}        (additive season)  or  base_t * s_{t-m}  (multiplicative)
    e_t = x_t - yhat_t
    l_t = base_t + alpha r_t;  b_t = phi b_{t-1} + beta r_t;  s_t = s_{t-m} + gamma q_t

where ``r_t = e_t`` and ``q_t = e_t`` with an additive season, ``r_t = e_t / s_{t-m}`` and
``q_t = e_t / base_t`` with a multiplicative one. The trend is none (``b = 0``), linear
(``phi = 1``) or damped (``phi < 1``); the season none, additive or multiplicative (only for
a positive series). All nine forms are fitted and the one with the least AICc kept,
``n log(SSE / n) + 2k + 2k(k + 1) / (n - k - 1)``, ``k`` counting the smoothing weights, the
initial states and the error variance.

Fitting is a grid search, vectorised over every combination of weights in :data:`ALPHAS`,
:data:`BETA_SHARES` (``beta = alpha * share``), :data:`GAMMA_SHARES` (``gamma = (1 - alpha) *
share``) and :data:`PHIS`, on the least squared one-step errors, like the Theta method's
(``theta.py``); the initial states are set as Hyndman et al. do, not fitted: the season from
classical decomposition of the first (up to four) whole seasons, the level and trend from a
least-squares line through the first ten seasonally adjusted values. Forecasts ``h`` steps
ahead: ``(l_n + (phi + ... + phi^h) b_n)`` with the season of that phase added or multiplied.

A series needs :data:`MIN_SEASONS` seasons and more points than the form's ``k + 1``; where
none fits (or a fit is not finite) its row is NaN, and the caller serves the other members
there.
"""

from __future__ import annotations

import numpy as np

from forecastr.theta import MIN_INDEX, seasonal_indices

ALPHAS = np.array([0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 0.95])
BETA_SHARES = np.array([0.02, 0.1, 0.3])  # beta = alpha * share: the trend moves slower
GAMMA_SHARES = np.array([0.01, 0.1, 0.3])  # gamma = (1 - alpha) * share, as the model bounds
PHIS = np.array([0.85, 0.9, 0.95, 0.98])  # damping of a damped trend
TRENDS = ("N", "A", "Ad")  # none, linear, damped
INIT_SEASONS = 4  # whole seasons the initial seasonal states are decomposed from, at most
INIT_POINTS = 10  # seasonally adjusted values the initial level and trend are fitted to
# Seasons a series needs. On every M1, M3 and Tourism monthly and quarterly series cut to
# 2.25 seasons (27 months, 10 quarters) the model scored MASE 7-93% worse than the Theta
# method, and its average with Theta worse than Theta alone in five of six categories; at 3
# seasons the average beat Theta alone in five (not Tourism quarterly: 1.195 -> 1.216), at 4
# in all six (docs/benchmarks.md, "A third member for one short seasonal series").
MIN_SEASONS = 3
# Values of each row read at most, its last ones: the member serves series of at most this
# many points (``combine.ets_member``), and a crafted model file's context (up to eight
# seasons of a season it names) cannot ask for a longer fit or more seasonal states.
MAX_POINTS = 1000
# The model's revision, raised by every change that moves its forecasts. A model stores the
# revision it was trained with (``combine.ThetaMix.ets``), and this code refits the model at
# every forecast, as the Theta method's (``theta.REVISION``).
REVISION = 1


def ets_forecast(rows: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """(S, horizon) forecasts of ``rows`` (S, T): each row one series' most recent values,
    oldest first, NaN before its first value (right-aligned), at season ``season``. NaN rows
    where the series holds under :data:`MIN_SEASONS` seasons, the season is under 2, or no
    form fits. Each row's last :data:`MAX_POINTS` values are read."""
    return ets_fit(rows, horizon, season)[0]


def ets_fit(rows: np.ndarray, horizon: int, season: int) -> tuple[np.ndarray, np.ndarray]:
    """(S, horizon) forecasts of ``rows``, as :func:`ets_forecast`, and (S, horizon) the
    standard deviations of their h-step errors under the chosen form (:func:`spread`); NaN
    in both where no form fits."""
    rows = np.asarray(rows, dtype=np.float64)
    out = np.full((rows.shape[0], horizon), np.nan)
    sd = out.copy()
    if season < 2 or MIN_SEASONS * season > MAX_POINTS:
        return out, sd
    for i, row in enumerate(rows):
        x = row[np.isfinite(row)][-MAX_POINTS:]
        if x.size >= MIN_SEASONS * season:
            out[i], sd[i] = auto(x, horizon, season)
    return out, sd


def auto(x: np.ndarray, horizon: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """(horizon,) the forecast of the form with the least AICc for one series ``x`` (finite,
    at least :data:`MIN_SEASONS` seasons of ``m`` points), and (horizon,) the standard
    deviations of its h-step errors; NaN when none fits."""
    nothing = np.full(horizon, np.nan)
    with np.errstate(over="ignore"):  # values near the float limit: their mean overflows
        scale = float(np.mean(np.abs(x)))
    if not np.isfinite(scale):
        peak = float(np.max(np.abs(x)))
        scale = peak * float(np.mean(np.abs(x) / peak))
    if scale <= 0:
        return nothing, nothing
    z = x / scale  # the grid's fit is the same at any scale; this keeps the squares small
    best, fc, sd = np.inf, nothing, nothing
    for season in _seasons(z, m):
        for trend in TRENDS:
            aicc, f, s = _fit(z, horizon, m, trend, season)
            if aicc < best:
                best, fc, sd = aicc, f, s
    with np.errstate(over="ignore"):
        out, spread_out = fc * scale, sd * scale
    if not np.isfinite(out).all():
        return nothing, nothing
    return out, spread_out if np.isfinite(spread_out).all() else nothing  # the forecast stands


def spread(
    sse: float,
    n: int,
    k: int,
    horizon: int,
    m: int,
    weights: tuple[float, float, float, float],
    trend: str,
    seasonal: bool,
) -> np.ndarray:
    """(horizon,) standard deviations of a fitted form's h-step errors: ``sigma^2 (1 +
    c_1^2 + ... + c_{h-1}^2)``, ``c_j = alpha + beta phi_j + gamma [j = 0 mod m]`` with
    ``phi_j = phi + ... + phi^j`` (``j`` without a damped trend, 0 without a trend): the
    linear forms' variance (Hyndman, Koehler, Ord and Snyder 2008, table 6.1), ``sigma^2``
    the squared one-step errors over ``n - k``. With a multiplicative season it is the usual
    approximation: an error moves the level by ``alpha e / s`` and the season by
    ``gamma e / base``, so the forecast, a product of the two, by about ``alpha e`` and
    ``gamma e``, as in the additive form."""
    alpha, beta, gamma, phi = weights
    j = np.arange(1, horizon, dtype=np.float64)
    if trend == "N":
        trended = np.zeros_like(j)
    elif trend == "A":
        trended = beta * j
    else:
        trended = beta * np.cumsum(phi**j)
    c = alpha + trended + (gamma * (j % m == 0) if seasonal else 0.0)
    sigma2 = sse / max(n - k, 1)
    return np.sqrt(sigma2 * (1.0 + np.concatenate([[0.0], np.cumsum(c * c)])))


def _seasons(x: np.ndarray, m: int) -> list[tuple[str, np.ndarray | None]]:
    """The seasonal forms to try, each with its initial states (None: no season)."""
    whole = min(x.size // m, INIT_SEASONS) * m
    forms: list[tuple[str, np.ndarray | None]] = [
        ("N", None),
        ("A", seasonal_indices(x[:whole], m, additive=True)),
    ]
    if (x > 0).all():
        idx = seasonal_indices(x[:whole], m)
        if idx.min() >= MIN_INDEX:
            forms.append(("M", idx))
    return forms


def _grid(trend: str, season: str) -> tuple[np.ndarray, ...]:
    """(K,) alpha, beta, gamma and phi of every combination a form is fitted over."""
    betas = BETA_SHARES if trend != "N" else np.zeros(1)
    gammas = GAMMA_SHARES if season != "N" else np.zeros(1)
    phis = PHIS if trend == "Ad" else np.ones(1)
    a, bs, gs, p = (v.ravel() for v in np.meshgrid(ALPHAS, betas, gammas, phis, indexing="ij"))
    return a, a * bs, (1.0 - a) * gs, p


def _initial(x: np.ndarray, m: int, idx: np.ndarray | None, season: str) -> tuple[float, float]:
    """The initial level (before the first value) and trend: a least-squares line through
    the first :data:`INIT_POINTS` seasonally adjusted values."""
    phase = idx[np.arange(x.size) % m] if idx is not None else None
    z = x if phase is None else (x - phase if season == "A" else x / phase)
    q = min(x.size, INIT_POINTS)
    slope, intercept = np.polyfit(np.arange(q, dtype=np.float64), z[:q], 1)
    return float(intercept - slope), float(slope)


def _fit(
    x: np.ndarray, horizon: int, m: int, trend: str, form: tuple[str, np.ndarray | None]
) -> tuple[float, np.ndarray, np.ndarray]:
    """AICc of one form's best grid point on ``x``, its (horizon,) forecast and the standard
    deviations of its errors (:func:`spread`); inf when the series is too short for the
    form or the fit is not finite."""
    season, idx = form
    n = x.size
    k = 1 + (trend != "N") + (trend == "Ad") + (season != "N")  # smoothing weights, phi
    k += 1 + (trend != "N") + (m - 1 if season != "N" else 0) + 1  # states, variance
    nothing = np.full(horizon, np.nan)
    if n - k - 1 <= 0:
        return np.inf, nothing, nothing
    a, b, g, p = _grid(trend, season)
    l0, b0 = _initial(x, m, idx, season)
    level = np.full(a.size, l0)
    slope = np.full(a.size, b0 if trend != "N" else 0.0)
    states = None if idx is None else np.tile(idx, (a.size, 1))  # (K, m)
    sse = np.zeros(a.size)
    with np.errstate(all="ignore"):
        for t in range(n):
            base = level + p * slope
            if states is None:
                e = r = x[t] - base
            elif season == "A":
                s = states[:, t % m]
                e = r = x[t] - (base + s)
                states[:, t % m] = s + g * e
            else:
                s = states[:, t % m]
                e = x[t] - base * s
                r = e / s
                states[:, t % m] = s + g * e / base
            sse += e * e
            level = base + a * r
            slope = p * slope + b * r
        sse = np.where(np.isfinite(sse), sse, np.inf)
        i = int(np.argmin(sse))
        if not np.isfinite(sse[i]):
            return np.inf, nothing, nothing
        steps = np.arange(1, horizon + 1, dtype=np.float64)
        damp = np.cumsum(p[i] ** steps) if trend != "N" else np.zeros(horizon)
        fc = level[i] + damp * slope[i]
        if states is not None:
            phase = states[i, (n + np.arange(horizon)) % m]
            fc = fc + phase if season == "A" else fc * phase
        aicc = n * np.log(max(sse[i], 1e-300) / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1)
    if not (np.isfinite(aicc) and np.isfinite(fc).all()):
        return np.inf, nothing, nothing
    weights = (float(a[i]), float(b[i]), float(g[i]), float(p[i]))
    sd = spread(float(sse[i]), n, k, horizon, m, weights, trend, states is not None)
    return float(aicc), fc, sd
