"""Per-series affine scalers fitted on the training part only.

Every supported scaler is affine, ``z = (y - loc) / scale``, so a fitted scaler is two plain
numbers per series. They go into ``config.json`` / the ONNX graph and are applied later with
numpy alone (no scikit-learn at inference time). Fitting uses scikit-learn's scalers, which
ignore NaN, on a (time, series) matrix padded with NaN; a constant series gets scale 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCALERS = ("standard", "minmax", "robust", "none")


@dataclass(frozen=True)
class ScalerParams:
    """Fitted per-series scaling: ``z = (y - loc) / scale``; arrays of shape (S,)."""

    kind: str
    loc: np.ndarray
    scale: np.ndarray

    def transform(self, y: np.ndarray, series: np.ndarray) -> np.ndarray:
        """Scale values ``y`` (..., any shape) of series ``series`` (broadcastable index)."""
        return (y - self.loc[series]) / self.scale[series]

    def inverse(self, z: np.ndarray, series: np.ndarray) -> np.ndarray:
        return z * self.scale[series] + self.loc[series]

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
        loc, scale = _fit_matrix(kind, _padded(y, start, lengths, longest))
    else:
        pairs = [_fit_matrix(kind, y[s:e, None]) for s, e in zip(start, end, strict=True)]
        loc = np.concatenate([p[0] for p in pairs])
        scale = np.concatenate([p[1] for p in pairs])
    # A constant series has no spread: scale 1 (so z = y - loc), never a division by zero.
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    loc = np.where(np.isfinite(loc), loc, 0.0)
    return ScalerParams(kind, loc.astype(np.float64), scale.astype(np.float64))


def _padded(y: np.ndarray, start: np.ndarray, lengths: np.ndarray, longest: int) -> np.ndarray:
    """(longest, S) matrix, series in columns, NaN below each series' end."""
    mat = np.full((longest, len(start)), np.nan)
    rows = np.arange(longest)[:, None]
    mask = rows < lengths[None, :]
    src = (np.asarray(start)[None, :] + rows)[mask]
    mat[mask] = y[src]
    return mat


def _fit_matrix(kind: str, mat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fit scikit-learn's scaler column-wise and read it back as (loc, scale)."""
    from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

    if kind == "standard":
        s = StandardScaler().fit(mat)
        return s.mean_, s.scale_
    if kind == "robust":
        s = RobustScaler().fit(mat)
        return s.center_, s.scale_
    s = MinMaxScaler().fit(mat)  # z = y * scale_ + min_  =>  loc = -min_/scale_, scale = 1/scale_
    return -s.min_ / s.scale_, 1.0 / s.scale_
