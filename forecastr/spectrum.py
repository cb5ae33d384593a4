"""A periodogram test that confirms a cycle the autocorrelation alone cannot establish.

Why: ``seasons.py`` bounds a scanned autocorrelation peak by Bartlett's standard error, which
counts every autocorrelation below the lag as real. A strong cycle therefore inflates its own
bound: on single series of 70 to 120 points with a clear cycle of 9.6 steps, the ACF at lag 10
(0.62 to 0.87) fell short of its bound (about 0.65 to 0.92 with the scan's Bonferroni factor)
in 9 of 12 windows (``bench/shapes.py``, ``integer-cycle``). A periodogram test has an exact
null instead: under white noise, Fisher's g statistic (the largest periodogram ordinate over
their sum) has a known distribution whatever the cycle's strength.

How, per series (its last ``cap`` points, the ones the ACF read):

1. Subtract the least-squares line (as the ACF's linear reading does).
2. Whiten with the AR(1) filter ``1 - phi B``, ``phi`` the lag-1 autocorrelation clipped to
   ``[0, 0.95]``: red noise (an AR(1), the leftover of a random walk) has a smooth spectrum
   that rises towards low frequencies, and the filter flattens it, so its largest ordinate
   is judged against white noise. A cycle is damped by the filter too, but less than its
   peak stands out.
3. Periodogram at the Fourier frequencies ``j / n``, ``j = 1 .. (n - 1) // 2``; Fisher's
   ``g = max / sum`` and its p-value bound ``m (1 - g) ** (m - 1)`` (the first term of the
   exact series, ``m`` ordinates).
4. The series confirms ``lag`` when that largest ordinate's period ``n / j`` lies within
   ``lag +- radius`` and its p-value is below :data:`ALPHA`.

A panel confirms a lag when a majority of the series that hold two of its periods do: a cycle
in a few series of many is not a season of the file. Used as ``seasons.py`` uses it (only for
an ACF peak that cleared every floor, where the calendar names no season), on 1,000 simulated
single series per kind of 50 to 300 points (``bench/cycles.py``), it added no false season
in white noise, AR(1), random walks, Poisson counts, log-normal AR(1) or a line plus noise,
and found the pseudo-cycle of an AR(2) (period 10) in 71% of series where the ACF alone
found 7%. The level is 0.001, not 0.01: at 0.01 it added 0.1 to 0.4 points of false seasons
and gave a 71-point M3 "other" series a weak cycle of 7 (ACF 0.25, p = 0.006) that made its
forecast worse on three seeds of three (MASE 3.07 -> 3.59). A lag the calendar names is
checked without step 2 (``whiten=False``): a strong slow cycle lifts the lag-1
autocorrelation, and the filter then damps the cycle's own ordinate about fourfold (three
years of a monthly cycle of amplitude 3 in noise of 1, ACF 0.79 at 12: confirmed in 1 of 6
series whitened, 5 of 6 not); the ACF's conditions there (a local peak at the lag, 0.2 above
its trough) keep red noise out, and false seasons on 400 series each of white noise, AR(1),
random walks and lines plus noise of 36 to 120 months stayed within 0.5 points of the
calendar test alone. Pure numpy.
"""

from __future__ import annotations

import numpy as np

from forecastr.acf import detrend, has_variance

ALPHA = 0.001  # per-series level of Fisher's test
MAX_PHI = 0.95  # the whitening filter's coefficient at most (a random walk's leftover)
MIN_ORDINATES = 8  # Fourier frequencies a series needs for the test
MAX_SERIES = 2048  # series tested at most (evenly spaced): a share needs no more


def confirmed_share(
    values: np.ndarray, offsets: np.ndarray, lag: int, radius: int, cap: int, whiten: bool = True
) -> float:
    """Share of the series holding two periods of ``lag`` (and :data:`MIN_ORDINATES`
    frequencies) whose whitened periodogram peaks within ``lag +- radius`` at level
    :data:`ALPHA`; NaN when no series can be tested.

    Args:
        values: float, shape (N,): the series back to back (training part only), finite.
        offsets: int, shape (S + 1,): series ``i`` is ``values[offsets[i]:offsets[i + 1]]``.
        lag: the cycle, in steps (>= 2).
        radius: how far the periodogram's peak period may lie from ``lag``.
        cap: points read per series at most (its last ones).
    """
    lengths = np.minimum(np.diff(offsets), cap)  # (S,)
    ok = (lengths >= 2 * lag) & ((lengths - 1) // 2 >= MIN_ORDINATES)
    series = np.flatnonzero(ok)
    if series.size == 0:
        return float("nan")
    if series.size > MAX_SERIES:
        series = series[np.linspace(0, series.size - 1, MAX_SERIES).round().astype(np.int64)]
    hits = 0
    for n in np.unique(lengths[series]).tolist():  # one batched FFT per length
        rows = series[lengths[series] == n]
        cols = offsets[rows + 1][:, None] - n + np.arange(n)  # (B, n) the last n points
        period, p = _fisher(values[cols], whiten)
        hits += int(np.sum((np.abs(period - lag) <= radius) & (p < ALPHA)))
    return hits / series.size


def _fisher(x: np.ndarray, whiten: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(B,) the period of each row's largest whitened periodogram ordinate and the p-value
    bound of Fisher's g test (1 for a row with no variance left)."""
    n = x.shape[1]
    valid, lengths = np.ones(x.shape, dtype=bool), np.full(x.shape[0], n)
    e, _ = detrend(x, valid, lengths, "linear")  # (B, n) less each row's line, as the ACF's
    c0 = (e**2).sum(axis=1)
    live = has_variance(x, valid, lengths, c0)
    phi = np.clip((e[:, 1:] * e[:, :-1]).sum(axis=1) / np.where(live, c0, 1.0), 0.0, MAX_PHI)
    phi = phi if whiten else np.zeros_like(phi)
    j = np.arange(1, (n - 1) // 2 + 1)  # (M,)
    power = np.abs(np.fft.rfft(e, axis=1)[:, j]) ** 2  # (B, M)
    w = 2 * np.pi * j / n
    power *= 1 - 2 * phi[:, None] * np.cos(w) + phi[:, None] ** 2  # the AR(1) filter's gain
    total = power.sum(axis=1)
    g = power.max(axis=1) / np.where(total > 0, total, 1.0)
    m = j.size
    p = np.where(live & (total > 0), np.minimum(1.0, m * (1 - g) ** (m - 1)), 1.0)
    return n / j[np.argmax(power, axis=1)], p
