"""Prediction intervals and quantiles: the vocabulary and the conformal arithmetic. Torch-free.

A model asked for ``levels`` (``--level 80,95``, Nixtla's convention) and ``quantiles``
(``--quantiles 0.1,0.5,0.9``) learns one quantile per *network quantile*: the union of the
quantiles asked for and both ends of each central interval (level 80 is the 0.1 and 0.9
quantiles). Everything downstream (the ONNX graph, the runtime, the report, the output
columns) reads quantiles in that ascending order.

**Split-conformal calibration** (:func:`conformal_fit`). The raw quantiles of a network may be
over- or under-confident. They are calibrated on windows the model never trained on, per
horizon step, from the *centre* outwards. The centre is the point forecast, or the 0.5
quantile when one was asked for (which first moves by the conformal median of its residuals,
in the series' scaled units). Each further quantile is its inner neighbour plus an
increment (negative below 0.5, positive above: the network builds them so), and calibration
multiplies that increment, plus a margin (half the median increment of the calibration
windows, so that no window's claim of near-certainty swamps the others), by a factor
``c >= 0``: the finite-sample conformal quantile of the scores
``(y - calibrated inner neighbour) / (increment + margin)``:

* for ``tau > 0.5`` the ``ceil((n + 1) tau)``-th smallest score, so that a new point falls at
  or below the calibrated quantile with probability at least ``tau``;
* for ``tau < 0.5`` (a negative increment flips the inequality) the
  ``ceil((n + 1)(1 - tau))``-th smallest, so that it falls below with probability at most
  ``tau``.

An interval from ``1 - a/2`` and ``a/2`` then covers a new point with probability at least
``1 - a``, *if* the calibration scores and the new one are exchangeable (the same
distribution, as for data from an unchanging process). Because a factor scales each window's
own increment, a window the network finds uncertain keeps a wider interval than a calm one;
and because every factor is at least 0, a calibrated quantile never crosses its inner
neighbour, so the centre lies inside every interval. A step with too few scores for the rank
it needs borrows the scores of its neighbouring steps. Counted are *distinct* held-out
points (one point forecast from several origins is one point): a step that cannot reach
enough of them uses the scores of every step, only ever widens the network's intervals (each
factor at least 1), and the calibration says it cannot guarantee the level.

**Two strata by trend** (:func:`stratified_fit`, Mondrian conformal prediction). The network's
increments are in units of each window's own seasonal-naive MAE, which grows with a window's
slope: one set of factors left the intervals of steadily trending windows far too wide and
the others too narrow (M3 other: 2.9 times AutoETS's width in its most trending quarter).
With enough calibration windows, they are split at the median of their *trendiness* (the
mean step over the mean absolute step, 0 to 1: :func:`trendiness`), and each half gets its
own factors, margins and shift; a new window uses the half its own trendiness falls in. The
guarantee then holds within each half, under exchangeability within it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from forecastr.errors import InputError

MAX_QUANTILES = 99  # network quantiles of one model: 99 percentiles at most
MIN_TAU = 1e-4  # quantiles must lie in [MIN_TAU, 1 - MIN_TAU]


def _numbers(values: str | Sequence[float] | None, flag: str) -> tuple[float, ...]:
    """``"80,95"`` or ``[80, 95]`` -> (80.0, 95.0); None or ``""`` -> ()."""
    if values is None:
        return ()
    parts: Sequence = values.split(",") if isinstance(values, str) else list(values)
    out = []
    for p in parts:
        if isinstance(p, str) and not p.strip():
            continue
        try:
            if isinstance(p, bool):
                raise ValueError
            v = float(p.strip()) if isinstance(p, str) else float(p)
        except (TypeError, ValueError):
            raise InputError(
                f"{flag} {p!r} is not a number; give numbers like {flag} "
                f"{'80,95' if flag == '--level' else '0.1,0.5,0.9'}"
            ) from None
        if not math.isfinite(v):
            raise InputError(f"{flag} {p!r} is not a finite number")
        out.append(v)
    return tuple(out)


def parse_levels(values: str | Sequence[float] | None) -> tuple[float, ...]:
    """Interval levels in percent, each in (0, 100), sorted and without repeats."""
    levels = _numbers(values, "--level")
    for v in levels:
        if not 0.0 < v < 100.0 or not 0.5 - v / 200.0 >= MIN_TAU:
            raise InputError(
                f"--level {v:g} is outside (0, 100); give central interval levels in percent, "
                "e.g. --level 80,95"
            )
    return tuple(sorted(set(levels)))


def parse_quantiles(values: str | Sequence[float] | None) -> tuple[float, ...]:
    """Quantile levels, each in (0, 1), sorted and without repeats."""
    taus = _numbers(values, "--quantiles")
    for v in taus:
        if not MIN_TAU <= v <= 1.0 - MIN_TAU:
            raise InputError(
                f"--quantiles {v:g} is outside (0, 1); give probabilities like "
                "--quantiles 0.1,0.5,0.9"
            )
    return tuple(sorted(set(taus)))


def level_bounds(level: float) -> tuple[float, float]:
    """The quantiles bounding a central ``level``% interval: 80 -> (0.1, 0.9)."""
    a = (100.0 - float(level)) / 200.0
    return round(a, 10), round(1.0 - a, 10)


def network_quantiles(levels: Sequence[float], quantiles: Sequence[float]) -> tuple[float, ...]:
    """The quantiles a model learns, ascending: those asked for and each level's two bounds."""
    taus = {round(float(t), 10) for t in quantiles}
    for level in levels:
        taus.update(level_bounds(level))
    out = tuple(sorted(taus))
    if len(out) > MAX_QUANTILES:
        raise InputError(
            f"--level and --quantiles ask for {len(out)} quantiles; at most {MAX_QUANTILES}"
        )
    return out


def level_name(level: float) -> str:
    """``80`` -> ``"80"``, ``99.5`` -> ``"99.5"``."""
    return f"{float(level):g}"


def quantile_name(tau: float) -> str:
    """``0.1`` -> ``"q-0.1"``: the output column of a quantile asked for."""
    return f"q-{float(tau):g}"


def output_columns(levels: Sequence[float], quantiles: Sequence[float]) -> list[tuple[str, float]]:
    """(column, network quantile) of every output column after ``forecast``: ``lo-80,
    hi-80, lo-95, hi-95`` (levels ascending), then ``q-0.1, ...`` (quantiles ascending)."""
    cols: list[tuple[str, float]] = []
    for level in sorted(levels):
        lo, hi = level_bounds(level)
        cols += [(f"lo-{level_name(level)}", lo), (f"hi-{level_name(level)}", hi)]
    cols += [(quantile_name(t), round(float(t), 10)) for t in sorted(quantiles)]
    return cols


def tau_index(taus: Sequence[float], tau: float) -> int:
    """Position of ``tau`` among the network quantiles ``taus``."""
    target = round(float(tau), 10)
    for i, t in enumerate(taus):
        if abs(float(t) - target) < 1e-9:
            return i
    raise KeyError(f"quantile {tau:g} is not one of the model's {list(taus)}")


# -- split-conformal calibration ------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """Conformal calibration of a model's quantiles, plain numbers stored with the model.

    Each quantile is its calibrated inner neighbour plus ``factor * (increment + margin)``
    (the margin on the increment's side), the centre being the 0.5 quantile moved by
    ``shift`` when the model has one, else the point; all in the series' scaled units.

    Attributes:
        factor: (H, K) per horizon step and network quantile, >= 0 (the centre's is 1).
        margin: (H, K) >= 0 added to each raw increment's size: half the median increment of
            the calibration windows, so a window whose network claims near-certainty is not
            taken at its word (its scores would otherwise swamp the others').
        shift: (H,) the 0.5 quantile's move, in the series' scaled units (0 without one).
        count: (H,) calibration scores each step used (its own and borrowed ones).
        guaranteed: whether every step had enough scores for the rank its most extreme
            quantile needs (else the level is a best effort, not a guarantee).
        windows, series: calibration windows scored, and the series they came from.
        transferred: the factors were matched to a refit on every point
            (``calibration.transfer``): its intervals as wide as the holdout run's calibrated
            ones on the same windows; the counts are the holdout run's.
    """

    factor: np.ndarray
    margin: np.ndarray
    shift: np.ndarray
    count: np.ndarray
    guaranteed: bool
    windows: int
    series: int
    transferred: bool = False
    cut: float | None = None
    trending: Calibration | None = None

    @property
    def stratified(self) -> bool:
        """Whether windows above trendiness ``cut`` use the factors of ``trending``."""
        return self.cut is not None and self.trending is not None

    def trending_windows(self, trend: np.ndarray) -> np.ndarray:
        """(N,) which windows, by their ``trend`` (N,), use ``trending``'s numbers (none
        without two strata)."""
        trend = np.asarray(trend)
        return trend > self.cut if self.stratified else np.zeros(trend.shape, bool)

    def to_dict(self) -> dict:
        d = self._fields()
        if self.stratified:
            assert self.trending is not None and self.cut is not None
            d["trend_cut"] = float(self.cut)
            d["trending"] = self.trending._fields()
        return d

    def _fields(self) -> dict:
        return {
            "method": "split conformal per horizon step: increments from the centre scaled",
            "source": (
                "validation windows of the holdout run (never its test part)"
                + (", widths matched by the refit on every point" if self.transferred else "")
            ),
            "factor": [[float(v) for v in row] for row in self.factor],
            "margin": [[float(v) for v in row] for row in self.margin],
            "shift": [float(v) for v in self.shift],
            "count": [int(c) for c in self.count],
            "guaranteed": bool(self.guaranteed),
            "windows": int(self.windows),
            "series": int(self.series),
            "transferred": bool(self.transferred),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Calibration:
        """The calibration of config.json (checked first by ``modelcheck``); one without
        ``trend_cut`` (and every model saved before the strata) has one set of factors."""
        trending = cls.from_dict(d["trending"]) if "trending" in d else None
        return cls(
            factor=np.asarray(d["factor"], dtype=np.float64),
            margin=np.asarray(d["margin"], dtype=np.float64),
            shift=np.asarray(d["shift"], dtype=np.float64),
            count=np.asarray(d["count"], dtype=np.int64),
            guaranteed=bool(d["guaranteed"]),
            windows=int(d.get("windows", 0)),
            series=int(d.get("series", 0)),
            transferred=bool(d.get("transferred", False)),
            cut=float(d["trend_cut"]) if trending is not None else None,
            trending=trending,
        )

    @classmethod
    def identity(cls, horizon: int, n_quantiles: int) -> Calibration:
        """No adjustment (no calibration windows)."""
        return cls(
            np.ones((horizon, n_quantiles)),
            np.zeros((horizon, n_quantiles)),
            np.zeros(horizon),
            np.zeros(horizon, np.int64),
            False,
            0,
            0,
        )


MAX_FACTOR = 1e6  # a factor beyond this says the increments were ~0: capped, never inf
MARGIN = 0.5  # each increment's margin, in medians of the calibration windows' increments
_TINY = 1e-12  # increments are at least this far from 0 (scaled units)


def centre_index(taus: Sequence[float]) -> int | None:
    """Position of the 0.5 quantile among ``taus``, or None."""
    for i, t in enumerate(taus):
        if abs(float(t) - 0.5) < 1e-9:
            return i
    return None


@dataclass(frozen=True)
class Nesting:
    """How a model's outputs ``v = [point, q_1 .. q_K]`` (1 + K columns) nest.

    Attributes:
        centre: the column of the centre in ``v``: 0 (the point) or 1 + the 0.5 quantile's.
        inner: (K,) the column in ``v`` of each quantile's inner neighbour (the centre for the
            innermost on each side; -1 for the 0.5 quantile itself).
        outward: the quantile positions in calibration order: each after its inner neighbour.
    """

    centre: int
    inner: tuple[int, ...]
    outward: tuple[int, ...]

    @classmethod
    def of(cls, taus: Sequence[float]) -> Nesting:
        c = centre_index(taus)
        centre = 0 if c is None else 1 + c
        upper = [k for k, t in enumerate(taus) if t > 0.5]
        lower = [k for k, t in enumerate(taus) if t < 0.5][::-1]  # outwards: descending tau
        inner = [-1] * len(taus)
        for side in (upper, lower):
            for i, k in enumerate(side):
                inner[k] = centre if i == 0 else 1 + side[i - 1]
        return cls(centre, tuple(inner), tuple(upper + lower))

    def matrices(self) -> tuple[np.ndarray, np.ndarray]:
        """(diff (1 + K, K), path (K, K)): ``increments = v @ diff`` (0 for the 0.5
        quantile), and ``calibrated = centre + (factor * increments) @ path``, where
        ``path[i, j]`` is 1 when quantile i's increment lies between quantile j and the
        centre (j's own included)."""
        k = len(self.inner)
        diff, path = np.zeros((1 + k, k)), np.zeros((k, k))
        for j, i in enumerate(self.inner):
            if i < 0:  # the 0.5 quantile: the centre itself
                continue
            diff[1 + j, j], diff[i, j] = 1.0, -1.0
            node = j
            while True:
                path[node, j] = 1.0
                if self.inner[node] == self.centre:
                    break
                node = self.inner[node] - 1
        return diff, path


def needed_residuals(taus: Sequence[float]) -> int:
    """Fewest scores for which every quantile's conformal rank lies inside the sample."""
    worst = min(min(float(t), 1.0 - float(t)) for t in taus) if len(taus) else 0.5
    return max(1, math.ceil(1.0 / worst - 1.0 - 1e-9))


def conformal_rank(n: int, tau: float) -> int:
    """The 1-based rank among ``n`` sorted scores that calibrates quantile ``tau``:
    ceil((n+1) tau) for an upper quantile (and the centre), ceil((n+1)(1 - tau)) for a lower
    one, whose negative offset flips the order (past n: too few scores)."""
    p = tau if tau >= 0.5 else 1.0 - tau
    return math.ceil((n + 1) * p - 1e-9)


def conformal_fit(
    y: np.ndarray, v: np.ndarray, taus: Sequence[float], targets: np.ndarray | None = None
) -> Calibration:
    """Calibrate quantiles on held-out windows, everything in the series' scaled units.

    A step's scores are its own, plus its neighbouring steps' (nearest first) until there are
    enough for the rank its most extreme quantile needs. What counts is *distinct* held-out
    points: a point forecast from several origins is one point, not several. A step that
    cannot reach enough distinct points uses the scores of every step and only widens (each
    factor at least 1): too little evidence to narrow the network's own intervals.

    Args:
        y: (N, H) actual values, NaN where a step has no held-out value.
        v: (N, H, 1 + K) the point forecast, then the network quantiles ascending in ``taus``.
        taus: (K,) the network quantiles.
        targets: (N, H) an id of each step's held-out point (e.g. its index in the data);
            None: every score is its own point.

    Returns:
        The Calibration; ``count`` holds the distinct points each step used (``windows`` and
        ``series`` 0: the caller knows them).
    """
    y, v = np.asarray(y, dtype=np.float64), np.asarray(v, dtype=np.float64)
    H, K = v.shape[1], v.shape[2] - 1
    if targets is None:
        targets = np.arange(y.size).reshape(y.shape)
    nest = Nesting.of(taus)
    ok = ~np.isnan(y)
    counts = [int(ok[:, h].sum()) for h in range(H)]
    need = needed_residuals(taus)
    factor, margin, shift = np.ones((H, K)), np.zeros((H, K)), np.zeros(H)
    count, guaranteed = np.zeros(H, np.int64), True
    for h in range(H):
        steps = pooled_steps(counts, h, need)  # the steps whose scores step h uses
        count[h] = len(np.unique(np.concatenate([targets[ok[:, j], j] for j in steps])))
        enough = bool(count[h] >= need)
        if not enough:  # too few distinct points: the steadiest estimate, widening only
            steps = [j for j in range(H) if counts[j]]
            count[h] = len(np.unique(targets[ok]))
        guaranteed &= enough
        if not steps:
            continue
        yy = np.concatenate([y[ok[:, j], j] for j in steps])  # (n,)
        vv = np.concatenate([v[ok[:, j], j] for j in steps])  # (n, 1 + K)
        fitted = _fit_step(yy, vv, taus, nest, 0.0 if enough else 1.0)
        factor[h], margin[h], shift[h] = fitted
    return Calibration(factor, margin, shift, count, bool(guaranteed), 0, 0)


# Calibration windows each stratum needs at least (else one set of factors for all): a few
# hundred windows give each step's extreme quantiles a steady rank; files of one or a few
# series (tens of windows) keep one set.
MIN_STRATUM_WINDOWS = 200


def trendiness(x: np.ndarray) -> np.ndarray:
    """(N,) how steadily each window (N, W) moves one way: |mean step| / mean |step|, in
    [0, 1] (0 for a flat window). Unchanged by any affine map with a positive scale, so raw
    and scaled windows agree; ``models.Scaled`` computes the same in the graph."""
    steps = np.diff(np.asarray(x, dtype=np.float64), axis=1)
    size = np.abs(steps).mean(axis=1)
    return np.abs(steps.mean(axis=1)) / np.maximum(size, TREND_TINY)


TREND_TINY = 1e-30  # a flat window's mean absolute step (its trendiness is then 0)


def stratified_fit(
    y: np.ndarray, v: np.ndarray, taus: Sequence[float], targets: np.ndarray, trend: np.ndarray
) -> Calibration:
    """:func:`conformal_fit` on each half of the windows split at the median ``trend`` (N,):
    the calm half's factors in the result, the trending half's in ``trending``; one set for
    all when either half would hold fewer than :data:`MIN_STRATUM_WINDOWS` windows."""
    cut = float(np.median(trend)) if len(trend) else 0.0
    above = trend > cut
    if min(int(above.sum()), int((~above).sum())) < MIN_STRATUM_WINDOWS:
        return conformal_fit(y, v, taus, targets=targets)
    calm = conformal_fit(y[~above], v[~above], taus, targets=targets[~above])
    steep = conformal_fit(y[above], v[above], taus, targets=targets[above])
    return replace(calm, guaranteed=calm.guaranteed and steep.guaranteed, cut=cut, trending=steep)


def _fit_step(
    y: np.ndarray, v: np.ndarray, taus: Sequence[float], nest: Nesting, floor: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """One step's factors (K,), each at least ``floor``, margins (K,) and the centre's shift,
    fitted from the centre outwards on ``n`` scores: ``y`` (n,), ``v`` (n, 1 + K)."""
    n = len(y)
    calibrated = v.copy()  # (n, 1 + K): each column replaced once calibrated
    shift = 0.0
    if nest.centre > 0:  # a 0.5 quantile: moved by the conformal median of its residuals
        shift = _ranked(y - v[:, nest.centre], n, 0.5)
        calibrated[:, nest.centre] = v[:, nest.centre] + shift
    factor, margin = np.ones(len(taus)), np.zeros(len(taus))
    for k in nest.outward:
        inner = nest.inner[k]
        size = np.abs(v[:, 1 + k] - v[:, inner])  # the raw increment's size
        margin[k] = MARGIN * float(np.median(size))
        side = 1.0 if taus[k] > 0.5 else -1.0
        step = side * np.maximum(size + margin[k], _TINY)
        score = _ranked((y - calibrated[:, inner]) / step, n, taus[k])
        factor[k] = min(max(score, floor), MAX_FACTOR)
        calibrated[:, 1 + k] = calibrated[:, inner] + factor[k] * step
    return factor, margin, shift


def signed(margin: np.ndarray, taus: Sequence[float]) -> np.ndarray:
    """Margins (..., K) with the sign of each quantile's side (0 for a 0.5 quantile)."""
    return np.asarray(margin) * np.sign(np.asarray(taus, dtype=np.float64) - 0.5)


def increments(v: np.ndarray, margin: np.ndarray, taus: Sequence[float]) -> np.ndarray:
    """(..., H, K) each quantile's raw increment over its inner neighbour plus its margin, on
    its side: what a calibration's factors multiply, for raw outputs ``v`` (..., H, 1 + K)."""
    diff, _ = Nesting.of(taus).matrices()
    return v @ diff + signed(margin, taus)


def apply_calibration(
    v: np.ndarray, cal: Calibration, taus: Sequence[float], trend: np.ndarray | None = None
) -> np.ndarray:
    """Calibrated quantiles (N, H, K) of raw outputs ``v`` (N, H, 1 + K), in the units the
    calibration was fitted in (numpy's version of what ``models.Scaled`` does in the graph);
    a stratified calibration needs each window's ``trend`` (N,)."""
    nest = Nesting.of(taus)
    _, path = nest.matrices()
    factor, margin, shift = cal.factor, cal.margin, cal.shift
    if cal.trending is not None:
        assert trend is not None, "a stratified calibration needs each window's trend"
        up = cal.trending_windows(trend)[:, None, None]
        factor = np.where(up, cal.trending.factor, factor)
        margin = np.where(up, cal.trending.margin, margin)
        shift = np.where(up[:, :, 0], cal.trending.shift, shift)
    centre = v[..., nest.centre : nest.centre + 1] + shift[..., None]
    return centre + (factor * increments(v, margin, taus)) @ path


def _ranked(scores: np.ndarray, n: int, tau: float) -> float:
    """The score at quantile ``tau``'s conformal rank (clamped to the sample)."""
    ordered = np.sort(scores)
    return float(ordered[min(max(conformal_rank(n, tau), 1), n) - 1])


def pooled_steps(counts: Sequence[int], h: int, need: int) -> list[int]:
    """Step ``h`` and its neighbours (nearest first) until they hold ``need`` scores."""
    H = len(counts)
    rows, n, d = [h], counts[h], 1
    while n < need and (h - d >= 0 or h + d < H):
        for j in (h - d, h + d):
            if 0 <= j < H:
                rows.append(j)
                n += counts[j]
        d += 1
    return rows
