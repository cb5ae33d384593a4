"""Pooled autocorrelation of many series, the measurement behind ``seasons.py``.

Per series: detrend (least-squares line, or first differences), take the adjusted ACF by
batched FFT over the most recent points, and pool the series that can test each lag
(length-weighted, with Bartlett's standard errors combined as for a weighted mean). Pure
numpy. ``seasons.py`` judges which lags are seasons; this module only measures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_MAX_GROUPS = 256  # distinct testable-lag groups kept (bounds memory)
_CHUNK = 1 << 22  # matrix elements per FFT batch


@dataclass(frozen=True)
class PooledACF:
    """Pooled ACF of one detrending, by groups of series that can test up to the same lag.

    Groups are sorted by ``kmax`` ascending; row ``g`` of the suffix sums covers every series
    whose highest testable lag is at least ``kmax[g]``.

    Attributes:
        kmax: (G,) highest testable lag of each group, ascending.
        wr: (G, L + 1) suffix sums over groups of ``n_i * r_i(k)``.
        wv: (G, L + 1) suffix sums of ``n_i^2 * se_i(k)^2`` (Bartlett).
        wv0: (G, L + 1) the same for white noise (Bartlett's sum left out).
        w: (G,) suffix sums of ``n_i``.
    """

    kmax: np.ndarray
    wr: np.ndarray
    wv: np.ndarray
    wv0: np.ndarray
    w: np.ndarray

    @property
    def n_lags(self) -> int:
        """Highest lag computed."""
        return self.wr.shape[1] - 1

    def row(self, lag: int) -> int:
        """The group row covering every series that can test ``lag``; -1 if none can."""
        if lag > self.n_lags:
            return -1
        g = int(np.searchsorted(self.kmax, lag, side="left"))
        return g if g < self.kmax.size and self.w[g] > 0 else -1

    def acf(self, lag: int) -> float:
        """Pooled ACF at ``lag`` over the series that can test it; NaN if none can."""
        g = self.row(lag)
        return float(self.wr[g, lag] / self.w[g]) if g >= 0 else math.nan

    def se(self, lag: int) -> float:
        """Bartlett standard error of the pooled ACF at ``lag``; NaN if untestable."""
        g = self.row(lag)
        return float(math.sqrt(self.wv[g, lag]) / self.w[g]) if g >= 0 else math.nan

    def se0(self, lag: int) -> float:
        """Standard error of the pooled ACF at ``lag`` if the series were white noise."""
        g = self.row(lag)
        return float(math.sqrt(self.wv0[g, lag]) / self.w[g]) if g >= 0 else math.nan

    def trough(self, lag: int) -> float:
        """Lowest pooled ACF over lags ``1 .. lag - 1``, on the series that can test ``lag``."""
        g = self.row(lag)
        return float(self.wr[g, 1:lag].min() / self.w[g]) if g >= 0 else math.nan

    def curve(self) -> np.ndarray:
        """(L + 1,) pooled ACF at every lag, NaN where no series can test it."""
        lags = np.arange(self.n_lags + 1)
        g = np.searchsorted(self.kmax, lags, side="left")  # (L + 1,)
        out = np.full(lags.size, np.nan)
        ok = g < self.kmax.size
        ok[ok] = self.w[g[ok]] > 0
        out[ok] = self.wr[g[ok], lags[ok]] / self.w[g[ok]]
        return out


@dataclass(frozen=True)
class SeriesSet:
    """The validated panel and how much of each series is read.

    Attributes:
        values: float64, shape (N,).
        offsets: int64, shape (S + 1,).
        cap: points read per series at most (its last ones).
    """

    values: np.ndarray
    offsets: np.ndarray
    cap: int

    def pool(self, n_lags: int, method: str, window: int = 0, fold: int = 0) -> PooledACF:
        """The pooled ACF of this panel under one detrending (see ``_pool``)."""
        return _pool(self.values, self.offsets, n_lags, self.cap, method, window, fold)


def _pool(
    values: np.ndarray,
    offsets: np.ndarray,
    n_lags: int,
    cap: int,
    method: str,
    window: int = 0,
    fold: int = 0,
) -> PooledACF:
    """Per-series ACFs up to ``n_lags`` (batched FFTs), summed into testable-lag groups.

    ``method`` is ``"linear"``, ``"diff"`` or ``"ma"`` (a centred moving average of
    ``window`` points subtracted, then the ``fold``-periodic profile if ``fold``; see
    ``detrend``).
    """
    m = np.minimum(np.diff(offsets), cap)  # (S,) points analysed: the last ``m``
    starts = offsets[1:] - m  # (S,)
    m_eff = m - _lost(method, window)  # (S,) length after detrending
    n_lags = int(max(2, min(n_lags, int(m_eff.max(initial=0)) // 2)))
    kmax = _quantise(np.minimum(m_eff // 2, n_lags))  # (S,)
    order = np.flatnonzero(kmax >= 2)
    order = order[np.argsort(m[order], kind="stable")]  # by length: kmax non-decreasing
    groups = np.unique(kmax[order])  # (G,)
    wr = np.zeros((groups.size, n_lags + 1))
    wv = np.zeros((groups.size, n_lags + 1))
    wv0 = np.zeros((groups.size, n_lags + 1))
    w = np.zeros(groups.size)
    for rows in _chunks(m[order], n_lags):
        idx = order[rows]
        r, var, var0, weight = _series_acf(
            values, starts[idx], m[idx], kmax[idx], n_lags, (method, window, fold)
        )
        gid = np.searchsorted(groups, kmax[idx])  # (B,) non-decreasing
        first = np.flatnonzero(np.r_[True, gid[1:] != gid[:-1]])
        wr[gid[first]] += np.add.reduceat(weight[:, None] * r, first, axis=0)
        wv[gid[first]] += np.add.reduceat(weight[:, None] ** 2 * var, first, axis=0)
        wv0[gid[first]] += np.add.reduceat(weight[:, None] ** 2 * var0, first, axis=0)
        w[gid[first]] += np.add.reduceat(weight, first)
    return PooledACF(
        kmax=groups,
        wr=_suffix_sum(wr),
        wv=_suffix_sum(wv),
        wv0=_suffix_sum(wv0),
        w=_suffix_sum(w),
    )


def _lost(method: str, window: int) -> int:
    """Points a detrending drops: 1 for differences, both half-windows for a moving average."""
    return {"linear": 0, "diff": 1, "ma": 2 * (window // 2)}[method]


def _suffix_sum(a: np.ndarray) -> np.ndarray:
    """Sums over rows ``g..G-1`` for every ``g`` (along axis 0)."""
    return np.cumsum(a[::-1], axis=0)[::-1]


def _quantise(kmax: np.ndarray) -> np.ndarray:
    """Round testable lags down onto at most ``_MAX_GROUPS`` values (geometric grid)."""
    if np.unique(kmax).size <= _MAX_GROUPS:
        return kmax
    top = max(int(kmax.max()), 2)
    grid = np.unique(np.geomspace(2, top, _MAX_GROUPS).astype(np.int64))
    pos = np.searchsorted(grid, kmax, side="right") - 1
    return np.where(pos >= 0, grid[np.maximum(pos, 0)], 0)


def _chunks(lengths: np.ndarray, n_lags: int) -> list[slice]:
    """Row batches of sorted ``lengths``, each about ``_CHUNK`` FFT elements, lengths <= 2x."""
    out, i = [], 0
    while i < lengths.size:
        rows = max(1, _CHUNK // _fast_len(int(lengths[i]) + n_lags + 1))
        end = int(np.searchsorted(lengths, 2 * lengths[i], side="right"))
        j = min(i + rows, max(end, i + 1))
        out.append(slice(i, j))
        i = j
    return out


def _series_acf(
    values: np.ndarray,
    starts: np.ndarray,
    m: np.ndarray,
    kmax: np.ndarray,
    n_lags: int,
    how: tuple[str, int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Adjusted ACF and Bartlett variance of a batch of detrended series.

    ``how`` is ``(method, window, fold)`` as for ``detrend``.

    Returns:
        ``r``, ``var`` (Bartlett) and ``var0`` (white noise), each (B, L + 1) and 0 beyond each
        series' ``kmax``; ``weight`` (B,): the detrended length, 0 for a zero-variance series.
    """
    cols = np.arange(int(m.max()))
    valid = cols < m[:, None]  # (B, W)
    x = values[np.where(valid, starts[:, None] + cols, 0)] * valid  # (B, W) left-aligned
    e, n = detrend(x, valid, m, *how)  # (B, W'), (B,)
    nfft = _fast_len(e.shape[1] + n_lags + 1)  # no wrap-around up to lag L
    spec = np.fft.rfft(e, nfft, axis=1)
    acov = np.fft.irfft(spec.real**2 + spec.imag**2, nfft, axis=1)[:, : n_lags + 1]  # (B, L+1)
    lags = np.arange(n_lags + 1)
    tested = lags <= kmax[:, None]  # (B, L + 1); kmax <= n // 2
    pairs = np.maximum(n[:, None] - lags, 1)  # (B, L + 1)
    c0 = acov[:, :1]
    live = has_variance(x, valid, m, c0[:, 0])  # (B,)
    tested &= live[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(tested, acov * n[:, None] / (pairs * c0), 0.0)
    r[:, 0] = np.where(live, 1.0, 0.0)
    before = np.cumsum(r**2, axis=1) - r**2 - r[:, :1] ** 2  # sum_{0<j<k} r_j^2
    var0 = np.where(tested, n[:, None] / pairs**2, 0.0)  # (B, L + 1)
    var = (1 + 2 * before) * var0
    var[:, 0] = 0.0
    return r, var, var0, np.where(live, n, 0).astype(np.float64)


def detrend(
    x: np.ndarray,
    valid: np.ndarray,
    m: np.ndarray,
    method: str,
    window: int = 0,
    fold: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Detrended rows (left-aligned, zero-padded, zero-mean) and their lengths.

    ``"linear"`` subtracts each row's least-squares line; ``"diff"`` takes first differences
    and subtracts their line (a quadratic trend leaves a drifting difference); ``"ma"``
    subtracts the centred moving average of ``window`` points (``2 x window`` when even, as
    in classical decomposition), which keeps every cycle dividing ``window`` whole and removes
    slower wander, then (``fold > 0``) each row's mean profile over phases modulo ``fold``,
    then the line; the ``window // 2`` points at each end are dropped.
    """
    if method == "diff":
        d = np.diff(x, axis=1) * valid[:, 1:]  # (B, W - 1)
        return detrend(d, valid[:, 1:], m - 1, "linear")
    if method == "ma":
        h = window // 2
        c = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(x, axis=1)], axis=1)  # (B, W+1)
        j = np.arange(max(x.shape[1] - 2 * h, 0))  # output column; centre t = j + h
        if window % 2:
            ma = (c[:, j + 2 * h + 1] - c[:, j]) / window  # (B, W - 2h)
        else:
            ma = (c[:, j + 2 * h] - c[:, j + 1] + 0.5 * (x[:, j] + x[:, j + 2 * h])) / window
        inside = j < (m - 2 * h)[:, None]  # (B, W - 2h)
        e = (x[:, j + h] - ma) * inside
        if fold:
            e = (e - _profile(e, inside, fold)) * inside
        return detrend(e, inside, m - 2 * h, "linear")
    mf = m.astype(np.float64)  # (B,)
    t = (np.arange(x.shape[1]) - (mf[:, None] - 1) / 2) * valid  # (B, W) centred time
    slope = (t * x).sum(axis=1) / (mf * (mf**2 - 1) / 12)
    mean = x.sum(axis=1) / mf
    return (x - mean[:, None] - slope[:, None] * t) * valid, m


def _profile(e: np.ndarray, valid: np.ndarray, fold: int) -> np.ndarray:
    """(B, W) each row's mean at its phase ``column % fold``, over the valid columns."""
    width = e.shape[1]
    pad = ((0, 0), (0, (-width) % fold))
    total = np.pad(e, pad).reshape(e.shape[0], -1, fold).sum(axis=1)  # (B, fold)
    count = np.pad(valid, pad).reshape(e.shape[0], -1, fold).sum(axis=1)  # (B, fold)
    mean = total / np.maximum(count, 1)
    return np.tile(mean, (1, -(-width // fold)))[:, :width]


def has_variance(x: np.ndarray, valid: np.ndarray, m: np.ndarray, c0: np.ndarray) -> np.ndarray:
    """(B,) False for rows that are constant, or exactly a line/drift, up to rounding."""
    mean = x.sum(axis=1) / m
    ssx = (((x - mean[:, None]) * valid) ** 2).sum(axis=1)  # (B,)
    level = (x**2).sum(axis=1)
    return (c0 > 1e-12 * ssx) & (ssx > 1e-20 * level) & (c0 > 0)


def _fast_len(n: int) -> int:
    """Smallest 2^a 3^b 5^c >= n (a fast FFT length)."""
    best = 1 << max(n - 1, 0).bit_length()
    f5 = 1
    while f5 < best:
        f35 = f5
        while f35 < best:
            f = f35
            while f < n:
                f *= 2
            best = min(best, f)
            f35 *= 3
        f5 *= 5
    return best
