"""Per-series affine scalers fitted on the training part only.

Every supported scaler is affine, ``z = (y - loc) / scale``, so a fitted scaler is two plain
numbers per series. They go into ``config.json`` / the ONNX graph and are applied later with
numpy alone (no scikit-learn at inference time). Fitting uses scikit-learn's scalers, which
ignore NaN, on a (time, series) matrix padded with NaN, each series divided by a power of two
near its size first (so the fit is scale-free); a constant series gets scale 1 (or its size
when that is smaller).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecastr.config import SCALERS


@dataclass(frozen=True)
class ScalerParams:
    """Fitted per-series scaling: ``z = (y - loc) / scale``; arrays of shape (S,)."""

    kind: str
    loc: np.ndarray
    scale: np.ndarray

    def transform_panel(self, y: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Scale a whole concatenated panel array (one new array, O(N))."""
        reps = np.diff(offsets)
        return (y - np.repeat(self.loc, reps)) / np.repeat(self.scale, reps)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "loc": self.loc.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> ScalerParams:
        return cls(
            kind=str(d["kind"]),
            loc=np.asarray(d["loc"], dtype=np.float64),
            scale=np.asarray(d["scale"], dtype=np.float64),
        )


def fit_scaler(
    kind: str, y: np.ndarray, start: np.ndarray, end: np.ndarray, max_padding: float = 4.0
) -> ScalerParams:
    """Fit one scaler per series on ``y[start[i]:end[i]]`` (the training part).

    Each series is divided by a power of two near its largest value before fitting and the
    result multiplied back: exact in floating point, so the fit is the same at any scale, and
    values from 1e-300 to 1e300 neither overflow (a variance squares them) nor fall under the
    fixed "no spread" threshold of scikit-learn (10 machine epsilons, meant for values near 1).

    Args:
        kind: one of :data:`SCALERS`.
        y: the concatenated panel values, shape (N,).
        start, end: per-series global bounds of the training part, shape (S,).
        max_padding: fit in one padded matrix while it holds at most this many times the
            training points; beyond that (very unequal lengths) fit series by series.
    """
    if kind not in SCALERS:
        raise ValueError(f"unknown scaler {kind!r}; choose one of {', '.join(SCALERS)}")
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    n = len(start)
    lengths = end - start
    if kind == "none" or n == 0:
        return ScalerParams(kind, np.zeros(n), np.ones(n))
    if np.any(lengths < 1):
        raise ValueError("every series needs at least one training point to fit a scaler")
    total = int(lengths.sum())
    longest = int(lengths.max())
    if longest * n <= max_padding * total:
        mat = _padded(y, start, lengths, longest)
        size = _power_of_two(mat)
        loc, spread = _fit_matrix(kind, mat / size)
    else:
        sizes, pairs = [], []
        for s, e in zip(start, end, strict=True):
            col = y[s:e, None]
            sizes.append(_power_of_two(col))
            pairs.append(_fit_matrix(kind, col / sizes[-1]))
        size = np.concatenate(sizes)
        loc = np.concatenate([p[0] for p in pairs])
        spread = np.concatenate([p[1] for p in pairs])
    # A series without spread (relative to its size) gets scale 1, so z = y - loc: never a
    # division by zero. Below 1 in size, its size instead: the model's output in z units
    # (noise of 1e-5, say) must stay small next to the series itself (2e-30, say).
    flat = ~(spread > _NO_SPREAD)
    with np.errstate(over="ignore"):  # a range of +-1.7e308 is past float64: scale by size
        scale = np.where(flat, np.minimum(size, 1.0), spread * size)
    scale = np.where(np.isfinite(scale), scale, size)
    loc = np.where(np.isfinite(loc), loc * size, 0.0)
    return ScalerParams(kind, loc.astype(np.float64), scale.astype(np.float64))


# scikit-learn's "no spread" threshold, here relative to each series' largest value.
_NO_SPREAD = 10 * np.finfo(np.float64).eps


def _power_of_two(mat: np.ndarray) -> np.ndarray:
    """(S,) per column, the power of two at or just below its largest finite |value| (1 if
    none), so the column divided by it lies within [-2, 2]."""
    top = np.where(np.isfinite(mat), np.abs(mat), 0.0).max(axis=0, initial=0.0)
    _, exponent = np.frexp(top)  # top = mantissa * 2**exponent, mantissa in [0.5, 1)
    return np.where(top > 0, np.ldexp(1.0, exponent - 1), 1.0)


def _padded(y: np.ndarray, start: np.ndarray, lengths: np.ndarray, longest: int) -> np.ndarray:
    """(longest, S) matrix, series in columns, NaN below each series' end."""
    mat = np.full((longest, len(start)), np.nan)
    rows = np.arange(longest)[:, None]
    mask = rows < lengths[None, :]
    src = (np.asarray(start)[None, :] + rows)[mask]
    mat[mask] = y[src]
    return mat


def _fit_matrix(kind: str, mat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(loc, spread) per column with scikit-learn's scalers, which skip NaN; the spread as
    measured (0 for a constant column: the caller decides what no spread means)."""
    from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

    if kind == "standard":
        s = StandardScaler().fit(mat)
        return s.mean_, np.sqrt(s.var_)
    if kind == "robust":
        r = RobustScaler().fit(mat)
        q1, q3 = np.nanpercentile(mat, r.quantile_range, axis=0)  # its IQR, before zeros -> 1
        return r.center_, q3 - q1
    m = MinMaxScaler().fit(mat)
    return m.data_min_, m.data_range_
