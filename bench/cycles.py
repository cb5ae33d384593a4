"""Benchmark: how often season detection finds a cycle, with and without the periodogram check
(or, with ``--usual``, with and without the usual periods an integer index is tested for).

``seasons.detect_seasons`` judges scanned autocorrelation peaks by Bartlett bounds, and since
the periodogram check (``forecastr/spectrum.py``) a peak that clears the effect-size floors
but not its bound counts when Fisher's test on the whitened periodograms confirms it. This
script simulates files of series with no cycle (where any season found is a false one) and
with a cycle the calendar does not name, and counts, in one run, what detection finds with
the check ("ACF + periodogram") and without it ("ACF alone", the check switched off).

With ``--usual`` the two columns are instead what ``seasons.choose_seasons`` finds on an
integer index with :data:`~forecastr.seasons.USUAL_PERIODS` tested as named lags and without
them (the periodogram check on in both).

Files hold one series (``--panel 1``) or several of one kind; lengths are drawn from 50 to
300 points. Runs in the project venv (nothing trained, a few seconds)::

    .venv/bin/python bench/cycles.py --files 300 --panel 1
    .venv/bin/python bench/cycles.py --files 100 --panel 20
    .venv/bin/python bench/cycles.py --files 1000 --panel 1 --usual
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from unittest import mock

import numpy as np

from forecastr import seasons


def _ar(rng: np.random.Generator, n: int, coefs: tuple[float, ...]) -> np.ndarray:
    burn = 100
    e = rng.normal(size=n + burn)
    x = np.zeros(n + burn)
    for t in range(len(coefs), n + burn):
        x[t] = e[t] + sum(c * x[t - 1 - i] for i, c in enumerate(coefs))
    return x[burn:]


def _ar2_cycle(rng: np.random.Generator, n: int) -> np.ndarray:
    r, period = 0.9, 10.0  # complex roots: a damped pseudo-cycle of 10 steps
    return _ar(rng, n, (2 * r * math.cos(2 * math.pi / period), -(r**2)))


def _lynx_like(rng: np.random.Generator, n: int) -> np.ndarray:
    t = np.arange(n)
    return np.exp(
        6.5 + 1.3 * np.sin(2 * np.pi * t / 9.6 + rng.uniform(0, 6)) + rng.normal(0, 0.3, n)
    )


def _level_shift(rng: np.random.Generator, n: int) -> np.ndarray:
    """Noise around a level that steps down once, by 15-35%, between a sixth and half of the
    way in (river flows below a new dam: ``bench/shapes.py``'s level-shift shape)."""
    level = np.where(np.arange(n) < rng.integers(n // 6, n // 2), 1.0, 1 - rng.uniform(0.15, 0.35))
    return level + rng.normal(0, rng.uniform(0.08, 0.15), n)


def _bent_line(rng: np.random.Generator, n: int) -> np.ndarray:
    """A rising line that turns down at a point in its middle half, plus noise."""
    t = np.arange(n)
    knee = rng.integers(n // 4, 3 * n // 4)
    return 0.05 * t - 0.1 * np.maximum(t - knee, 0) + rng.normal(size=n)


def _sine(rng: np.random.Generator, n: int, period: float = 12.5) -> np.ndarray:
    t = np.arange(n)
    return np.sin(2 * np.pi * t / period + rng.uniform(0, 6)) + rng.normal(0, 1.0, n)


# name: (generator, the cycle's period or 0 for none)
KINDS: dict[str, tuple[Callable[[np.random.Generator, int], np.ndarray], float]] = {
    "white noise": (lambda rng, n: rng.normal(size=n), 0),
    "AR(1) 0.5": (lambda rng, n: _ar(rng, n, (0.5,)), 0),
    "AR(1) 0.9": (lambda rng, n: _ar(rng, n, (0.9,)), 0),
    "random walk": (lambda rng, n: np.cumsum(rng.normal(size=n)), 0),
    "Poisson counts": (lambda rng, n: rng.poisson(rng.uniform(0.3, 3), n).astype(float), 0),
    "log-normal AR(1)": (lambda rng, n: np.exp(0.5 * _ar(rng, n, (0.7,))), 0),
    "line + noise": (lambda rng, n: 0.05 * np.arange(n) + rng.normal(size=n), 0),
    "one level shift": (_level_shift, 0),
    "line that bends": (_bent_line, 0),
    "AR(2) cycle of 10": (_ar2_cycle, 10),
    "log-sine cycle of 9.6": (_lynx_like, 9.6),
    "sine of 12.5 in equal noise": (_sine, 12.5),
    "sine of 4 in equal noise": (lambda rng, n: _sine(rng, n, 4.0), 4),
    "sine of 12 in equal noise": (lambda rng, n: _sine(rng, n, 12.0), 12),
    "sine of 9, the same without the shift": (
        lambda rng, n: (
            rng.normal(0, rng.uniform(0.08, 0.15), n) + 0.1 * np.sin(2 * np.pi * np.arange(n) / 9)
        ),
        9,
    ),
    "sine of 9 on one level shift": (
        lambda rng, n: _level_shift(rng, n) + 0.1 * np.sin(2 * np.pi * np.arange(n) / 9),
        9,
    ),
}


def found(y: list[np.ndarray], check: bool, usual: bool = False) -> list[int]:
    """The seasons detected in the file of series ``y``; with ``usual``, those
    ``choose_seasons`` keeps on an integer index, with the usual periods (``check``) or
    without them."""
    values = np.concatenate(y)
    offsets = np.r_[0, np.cumsum([len(s) for s in y])]
    if usual:
        with mock.patch.object(seasons, "USUAL_PERIODS", seasons.USUAL_PERIODS if check else ()):
            return [e.period for e in seasons.choose_seasons(None, values, offsets)]
    if check:
        return [e.period for e in seasons.detect_seasons(values, offsets)]
    with mock.patch.object(seasons, "confirmed_share", return_value=0.0):
        return [e.period for e in seasons.detect_seasons(values, offsets)]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--files", type=int, default=300, help="files per kind")
    ap.add_argument("--panel", type=int, default=1, help="series per file")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--usual", action="store_true", help="with and without the usual periods")
    args = ap.parse_args(argv)
    print(f"{args.files} files per kind, {args.panel} series per file, seed {args.seed}\n")
    off, on = (
        ("without usual periods", "with") if args.usual else ("ACF alone", "ACF + periodogram")
    )
    print(f"| kind | cycle | any season: {off} | {on} | the cycle (+-1): {off} | {on} |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, (make, period) in KINDS.items():
        rng = np.random.default_rng([args.seed, len(name)])
        counts = np.zeros((2, 2))
        for _ in range(args.files):
            y = [make(rng, int(rng.integers(50, 301))) for _ in range(args.panel)]
            for k, check in enumerate((False, True)):
                got = found(y, check, args.usual)
                counts[k, 0] += bool(got)
                counts[k, 1] += bool(period) and any(abs(p - period) <= 1 for p in got)
        share = 100 * counts / args.files
        right = f"{share[0, 1]:.1f}% | {share[1, 1]:.1f}%" if period else "| "
        print(f"| {name} | {period or '-'} | {share[0, 0]:.1f}% | {share[1, 0]:.1f}% | {right} |")


if __name__ == "__main__":
    main()
