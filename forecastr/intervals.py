"""Prediction intervals and quantiles: the vocabulary and the conformal arithmetic. Torch-free.

A model asked for ``levels`` (``--level 80,95``, Nixtla's convention) and ``quantiles``
(``--quantiles 0.1,0.5,0.9``) learns one quantile per *network quantile*: the union of the
quantiles asked for and both ends of each central interval (level 80 is the 0.1 and 0.9
quantiles). Everything downstream (the ONNX graph, the runtime, the report, the output
columns) reads quantiles in that ascending order.

**Split-conformal calibration** (:func:`conformal_fit`). The raw quantiles of a network may be
over- or under-confident. They are calibrated on windows the model never trained on, per
horizon step, around the *centre*: the point forecast (or the 0.5 quantile, when one was
asked for: it first moves by the conformal median of its residuals, in the series' scaled
units). Each other quantile is the centre plus an offset (below 0.5 a negative one, above a
positive one: the network builds them so), and calibration multiplies that offset by a factor
``c >= 0``: the finite-sample conformal quantile of the scores ``(y - centre) / offset``:

* for ``tau > 0.5`` the ``ceil((n + 1) tau)``-th smallest score, so that a new point falls at
  or below the calibrated quantile with probability at least ``tau``;
* for ``tau < 0.5`` (a negative offset flips the inequality) the ``ceil((n + 1)(1 - tau))``-th
  smallest, so that it falls below with probability at most ``tau``.

An interval from ``1 - a/2`` and ``a/2`` then covers a new point with probability at least
``1 - a``, *if* the calibration scores and the new one are exchangeable (the same
distribution, as for data from an unchanging process). Because the factor scales each
window's own offsets, a window the network finds uncertain keeps a wider interval than a
calm one. A step with too few scores for the rank it needs borrows the scores of its
neighbouring steps; if all steps together are still too few, the most extreme score is used
and the calibration says it cannot guarantee the level. Factors are then made
non-decreasing outwards from the centre, each only raised (the conservative way), so the
calibrated quantiles never cross and the centre lies inside every interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

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

    ``q' = centre' + factor * (q - centre)``, with ``centre' = centre + shift * s`` (``s`` the
    series' scale): the centre is the 0.5 quantile when the model has one, else the point.

    Attributes:
        factor: (H, K) per horizon step and network quantile, >= 0 (the centre's is 1).
        shift: (H,) the 0.5 quantile's move, in the series' scaled units (0 without one).
        count: (H,) calibration scores each step used (its own and borrowed ones).
        guaranteed: whether every step had enough scores for the rank its most extreme
            quantile needs (else the level is a best effort, not a guarantee).
        windows, series: calibration windows scored, and the series they came from.
    """

    factor: np.ndarray
    shift: np.ndarray
    count: np.ndarray
    guaranteed: bool
    windows: int
    series: int

    def to_dict(self) -> dict:
        return {
            "method": "split conformal per horizon step: offsets from the centre scaled",
            "source": "validation windows of the holdout run (never its test part)",
            "factor": [[float(v) for v in row] for row in self.factor],
            "shift": [float(v) for v in self.shift],
            "count": [int(c) for c in self.count],
            "guaranteed": bool(self.guaranteed),
            "windows": int(self.windows),
            "series": int(self.series),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Calibration:
        return cls(
            factor=np.asarray(d["factor"], dtype=np.float64),
            shift=np.asarray(d["shift"], dtype=np.float64),
            count=np.asarray(d["count"], dtype=np.int64),
            guaranteed=bool(d["guaranteed"]),
            windows=int(d.get("windows", 0)),
            series=int(d.get("series", 0)),
        )

    @classmethod
    def identity(cls, horizon: int, n_quantiles: int) -> Calibration:
        """No adjustment (no calibration windows)."""
        return cls(
            np.ones((horizon, n_quantiles)),
            np.zeros(horizon),
            np.zeros(horizon, np.int64),
            False,
            0,
            0,
        )


MAX_FACTOR = 1e6  # a factor beyond this says the offsets were ~0: capped, never inf
_TINY = 1e-12  # offsets are at least this far from the centre (scaled units)


def centre_index(taus: Sequence[float]) -> int | None:
    """Position of the 0.5 quantile among ``taus``, or None."""
    for i, t in enumerate(taus):
        if abs(float(t) - 0.5) < 1e-9:
            return i
    return None


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
    y: np.ndarray, point: np.ndarray, q: np.ndarray, taus: Sequence[float]
) -> Calibration:
    """Calibrate quantiles on held-out windows, everything in the series' scaled units.

    Args:
        y: (N, H) actual values, NaN where a step has no held-out value.
        point: (N, H) point forecasts.
        q: (N, H, K) the network quantiles, ascending in ``taus``.
        taus: (K,) the network quantiles.

    Returns:
        The Calibration (``windows`` and ``series`` 0: the caller knows them).
    """
    y, point, q = (np.asarray(a, dtype=np.float64) for a in (y, point, q))
    H, K = q.shape[1], q.shape[2]
    c = centre_index(taus)
    centre = point if c is None else q[..., c]  # (N, H)
    ok = ~np.isnan(y)
    counts = [int(ok[:, h].sum()) for h in range(H)]
    need = needed_residuals(taus)
    factor, shift = np.ones((H, K)), np.zeros(H)
    count, guaranteed = np.zeros(H, np.int64), True
    for h in range(H):
        steps = _pool(counts, h, need)  # the steps whose scores step h uses
        n = count[h] = sum(counts[j] for j in steps)
        guaranteed &= n >= need
        if n == 0:
            continue
        yy = np.concatenate([y[ok[:, j], j] for j in steps])  # (n,)
        mid = np.concatenate([centre[ok[:, j], j] for j in steps])  # (n,)
        off = np.concatenate([q[ok[:, j], j] for j in steps]) - mid[:, None]  # (n, K)
        if c is not None:
            shift[h] = _ranked(yy - mid, n, 0.5)
        for k, tau in enumerate(taus):
            if k == c:
                continue
            o = np.maximum(off[:, k], _TINY) if tau > 0.5 else np.minimum(off[:, k], -_TINY)
            score = _ranked((yy - mid - shift[h]) / o, n, tau)
            factor[h, k] = min(max(score, 0.0), MAX_FACTOR)
    return Calibration(outward_monotone(factor, taus), shift, count, bool(guaranteed), 0, 0)


def _ranked(scores: np.ndarray, n: int, tau: float) -> float:
    """The score at quantile ``tau``'s conformal rank (clamped to the sample)."""
    ordered = np.sort(scores)
    return float(ordered[min(max(conformal_rank(n, tau), 1), n) - 1])


def _pool(counts: list[int], h: int, need: int) -> list[int]:
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


def outward_monotone(factor: np.ndarray, taus: Sequence[float]) -> np.ndarray:
    """Factors made non-decreasing outwards from 0.5 on each side, each only raised (wider:
    the conservative way), so calibrated quantiles keep their order."""
    out = np.array(factor, dtype=np.float64, copy=True)
    upper = [k for k, t in enumerate(taus) if t > 0.5]
    lower = [k for k, t in enumerate(taus) if t < 0.5][::-1]  # outwards: descending tau
    for side in (upper, lower):
        for a, b in pairwise(side):
            out[:, b] = np.maximum(out[:, b], out[:, a])
    return out
