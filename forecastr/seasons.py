"""Seasons detected from the data: pooled autocorrelation peaks with Bartlett bounds.

The calendar says which cycles *could* exist (a day of half-hourly data is 48 steps); the data
says which ones do. This module measures, for a panel of series stored back to back (a
``Panel``'s ``y`` and ``offsets``), the autocorrelation at every lag and reports the lags that
stand out. Pure numpy: it runs in the edge install, without torch or scipy.

Pass only the TRAINING part of each series: test points must never influence which season a
model or baseline uses.

How a lag is judged, in order:

1. **Detrending.** Each series loses its least-squares line. That keeps slow, smooth cycles
   (a week of hourly data) at full strength, where first differences would bury them in the
   amplified noise. Only when that reading finds no season is the panel read again through
   first differences (less their own line, for a quadratic trend): a random walk is left
   non-stationary by a line, and its smooth ACF hides a season that its steps show.
2. **Autocorrelation.** Per series, by FFT, over the last ``max(20_000, 3 * lags)`` points at
   most. The estimator is the adjusted one (lag-``k`` products divided by the ``n - k`` pairs),
   so a long cycle is not handicapped against a short one. A series contributes at lag ``k``
   only if it holds at least two full periods (``n >= 2k``); constant (zero-variance) series
   never contribute.
3. **Pooling.** The pooled ACF at lag ``k`` is the length-weighted mean of the ACFs of the
   series that can test ``k``. Its standard error under the null comes from Bartlett's formula
   per series, ``se_i(k)^2 = (1 + 2 * sum_{j<k} r_ij^2) / n_i`` (scaled like the adjusted
   estimator), combined as the variance of that weighted mean of independent estimates:
   ``sum_i n_i^2 se_i^2 / (sum_i n_i)^2``, which shrinks like ``1 / sqrt(#series)``.
4. **Peaks.** A scanned lag ``2 <= p <= max_period`` is a peak when its pooled ACF is the
   maximum over ``p - r .. p + r`` (``r = max(1, p // 4)``; strictly above the left side), all
   computed on the series long enough for the whole neighbourhood. A long cycle's peak is flat
   at the top, so its position is refined to the lag within ``r // 2`` whose multiples line up
   best (highest mean ACF over ``lag, 2 lag, 3 lag ...``).
5. **Significance.** A peak must beat ``max(z * se, 0.2, trough + 0.2)``: ``z`` is
   Bonferroni-corrected for the lags scanned (one-sided 5 % family-wise), ``trough`` the
   lowest pooled ACF at lags ``1 .. p - 1``. A lag named in advance (a calendar or user
   season, ``candidates``) is one test: ``max(1.96 * se, 0.1, trough + 0.1)``, no peak
   needed. The floors are minimum effect sizes (with thousands of series a tiny ACF is
   "significant" but useless); the trough term asks the ACF to rise again after falling,
   which a slowly decaying ACF (a leftover trend, a random walk) never does. Bartlett's
   ``se`` counts the cycle's own autocorrelations below the lag, so a strong cycle in one
   short series inflates its own bound (three years of a strong monthly cycle: ACF 0.8 at
   12, bound over 1): a lag that clears a peak's floors but not ``z * se`` counts when the
   periodograms of a majority of the series confirm a cycle near it (Fisher's test after
   AR(1) whitening, ``spectrum.py``), its threshold then the floors. That is asked of a
   scanned peak where no lag is named (an integer or yearly index), and of a calendar lag
   whose ACF is no lower than beside it (unwhitened); not of a peak beside a calendar
   season (on 72-point M3 monthly series it confirmed 13 and 14 where 12 failed). Where the
   scan of an integer index finds nothing, the usual periods (``USUAL_PERIODS``) are tested
   with a named lag's floors and the scan's bound.
6. **Multiples.** A lag ``q`` within 2 % of ``k * p`` (``k >= 2``) for a shorter candidate
   ``p`` (a peak or named lag, accepted or not, that rises 0.1 above its own trough and
   correlates at least half as much as ``q``) counts only as a cycle of its own, tested
   against ``p``'s other multiples instead of against zero (the Bartlett bound at ``q`` is
   inflated by ``p``'s own cycle): (a) ``acf(q)`` beats the ACF at the neighbouring multiples
   ``(k -+ 1) q / k`` and the lowest ACF at ``j q / k`` (``0 < j < k``) plus 0.1; and (b)
   after subtracting a ``q``-point moving average and ``p``'s mean profile, the rest still
   correlates at ``q`` by ``max(0.1, 1.96 * sqrt(2) * se0)`` more than at the neighbouring
   multiples (slow wander lifts whole stretches of multiples alike; a real cycle lifts ``q``).
   So 336 is kept after 48 in half-hourly data with a weekly pattern, and 96, 144 ... are
   dropped when there is none. A multiple that (b) cannot test (under three periods of ``q``,
   or ``k > 12``: a year of daily data over its week) is untested, ``acf`` NaN.
7. **Sub-multiples.** An accepted season ``p`` whose multiple ``q`` is also accepted and
   stronger is dropped as a harmonic of ``q`` unless ``acf(p) > 0.5 * acf(q)``: a daily cycle
   inside a weekly one stays, a 12-hour bump of a daily cycle goes.

Every ``SeasonEvidence.threshold`` is the bound that lag had to beat under these rules, so
``acf > threshold`` says whether it counts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import NormalDist

import numpy as np

from forecastr.acf import PooledACF, SeriesSet
from forecastr.frequency import seasonalities_for
from forecastr.spectrum import confirmed_share

ALPHA = 0.05  # family-wise level of the lag scan (one-sided)
PRIOR_Z = 1.96  # the usual ACF band for a lag named in advance
MIN_DETECTED_ACF = 0.2  # effect-size floor for a scanned peak
MIN_PRIOR_ACF = 0.1  # effect-size floor for a calendar, user or candidate lag
HARMONIC_MARGIN = 0.1  # a multiple must rise this much above the dip between multiples
MAX_MULTIPLE = 12  # longer multiples of a shorter cycle are not tested (untested, NaN)
SUB_RATIO = 0.5  # a sub-multiple must keep this share of its multiple's ACF
MULTIPLE_TOLERANCE = 0.02  # q is a multiple of p when |q - k p| <= 2 % of k p
MAX_DEFAULT_PERIOD = 10_080  # default scan limit: a week of minutely data
MIN_ANALYSED = 20_000  # points analysed per series at least (the most recent ones)
MAX_SEASONS = 3
# Seasons of quarterly, daily, monthly, hourly and weekly data, tested on an integer index
# (a calendar whose stamps were dropped) where the scan finds nothing: ``_integer_index``.
USUAL_PERIODS = (4, 7, 12, 24, 52)


@dataclass(frozen=True)
class SeasonEvidence:
    """What the data says about one season length.

    Attributes:
        period: the lag, in steps.
        acf: pooled autocorrelation of the detrended series at that lag; NaN when untested:
            no series holds two periods (three, or ``k > 12``, for a multiple of a shorter
            cycle; see the module docstring).
        threshold: the bound it had to beat (see the module docstring); NaN when untested.
        source: ``"calendar"`` (from the frequency or a candidate list), ``"usual"`` (one of
            :data:`USUAL_PERIODS`, on an integer index), ``"detected"`` (found by the scan) or
            ``"user"``.
        periodogram: for a peak the periodogram check had to confirm (step 5), the share of
            series whose periodogram did; NaN when the check was not made.
    """

    period: int
    acf: float
    threshold: float
    source: str
    periodogram: float = math.nan

    @property
    def significant(self) -> bool:
        """Whether the lag was tested and beat its threshold."""
        return math.isfinite(self.acf) and self.acf > self.threshold

    def to_dict(self) -> dict:
        """JSON-ready form; NaN becomes ``None``."""
        return {
            "period": int(self.period),
            "acf": _json_float(self.acf),
            "threshold": _json_float(self.threshold),
            "source": self.source,
            "significant": self.significant,
        } | ({"periodogram": float(self.periodogram)} if math.isfinite(self.periodogram) else {})


def detect_seasons(
    values: np.ndarray,
    offsets: np.ndarray,
    *,
    max_period: int | None = None,
    candidates: Sequence[int] = (),
    max_seasons: int = MAX_SEASONS,
) -> list[SeasonEvidence]:
    """Season lengths the data supports, strongest first (at most ``max_seasons``; empty when
    there is none).

    Args:
        values: float, shape (N,): all series back to back, finite, gap-free; only the
            training part of each series. ``offsets``: int, shape (S + 1,): series ``i`` is
            ``values[offsets[i]:offsets[i + 1]]``.
        max_period: longest lag scanned; default a third of the median series length, at most
            ``MAX_DEFAULT_PERIOD``.
        candidates: lags to test as well, one test each (source ``"calendar"``; below 2
            ignored); only the significant ones are returned.
    """
    prior = _clean_lags(candidates)
    verdict = _analyse(values, offsets, max_period, prior, "calendar")
    return verdict.kept[: max(int(max_seasons), 0)]


def season_evidence(
    values: np.ndarray,
    offsets: np.ndarray,
    lags: Sequence[int],
    *,
    source: str = "calendar",
    max_period: int | None = None,
) -> list[SeasonEvidence]:
    """The evidence for ``lags`` (each >= 2, else ValueError), significant or not, one per lag
    in the order given (``acf`` NaN where untestable), each with ``source``: read through the
    same detrending and rules as ``detect_seasons`` with ``candidates=lags`` (``max_period``:
    its scan), so the numbers agree with what ``choose_seasons`` decides."""
    wanted = [int(lag) for lag in lags]
    if any(lag < 2 for lag in wanted):
        raise ValueError(f"season lags must be >= 2, got {list(lags)}")
    verdict = _analyse(values, offsets, max_period, _clean_lags(wanted), source)
    return [verdict.prior[lag] for lag in wanted]


def choose_seasons(
    freq: str | None,
    values: np.ndarray,
    offsets: np.ndarray,
    user: Sequence[int] | None = None,
) -> list[SeasonEvidence]:
    """The seasons to use: user's, else the calendar's that the data confirms, else detected.

    Policy:

    - ``user`` given: those lags (>= 2, in the user's order), source ``"user"``, with their
      evidence whatever it says.
    - Otherwise the calendar seasons of ``freq`` (``seasonalities_for``, ignoring 1) that are
      significant, plus those the data cannot test (trusted, ``acf`` NaN: no series holds two
      periods, or a multiple like 365 over 7; see ``SeasonEvidence.acf``), plus detected
      seasons when none of the calendar seasons is significant or when they are stronger than
      every significant calendar season.
    - An integer index (``freq=None``) names no season: the scan's, else the significant
      :data:`USUAL_PERIODS` (``_integer_index``).

    ``values`` and ``offsets`` as ``detect_seasons``'. Returns the seasons main-first: tested
    ones by ``acf`` descending, then untested calendar ones; at most ``MAX_SEASONS`` (all of
    the user's). Empty means no season (use 1).
    """
    if user is not None:
        lags = _clean_lags(user)
        return season_evidence(values, offsets, lags, source="user") if lags else []
    if freq is None:
        return _integer_index(values, offsets)
    calendar = _clean_lags(seasonalities_for(freq))
    verdict = _analyse(values, offsets, None, calendar, "calendar")
    confirmed = [e for e in verdict.kept if e.source == "calendar"]
    untested = [verdict.prior[p] for p in calendar if not math.isfinite(verdict.prior[p].acf)]
    detected = [e for e in verdict.kept if e.source == "detected"]
    if confirmed:
        strongest = max(e.acf for e in confirmed)
        detected = [e for e in detected if e.acf > strongest]
    tested = sorted(confirmed + detected, key=lambda e: -e.acf)
    return (tested + untested)[:MAX_SEASONS]


def _integer_index(values: np.ndarray, offsets: np.ndarray) -> list[SeasonEvidence]:
    """The seasons of an integer index (a calendar whose stamps may have been dropped): the
    scan's, else the :data:`USUAL_PERIODS` that beat a named lag's floors and the scan's
    Bonferroni bound, never trusted untested (M3 quarterly's 4, at 0.18 under a peak's floor
    of 0.2: MASE 1.150 -> 1.068, 1.06 with dates; with a named lag's 1.96 bound, 3.6% of
    single white-noise series got a false season, not 0.7%; tested beside the scan, a usual
    lag skipped the periodogram check: a noisy sine of 12 found in 36% of single series, not
    67%; docs/benchmarks.md, "Seasons on an integer index")."""
    found = _analyse(values, offsets, None, [], "calendar").kept
    if found:
        return found[:MAX_SEASONS]
    usual = _analyse(values, offsets, None, list(USUAL_PERIODS), "usual").kept
    return [e for e in usual if e.source == "usual"][:MAX_SEASONS]


# --------------------------------------------------------------------------------------------
# Analysis: the linear reading, or the differenced one when the linear finds nothing.


@dataclass(frozen=True)
class _Verdict:
    """One detrending's reading of the panel.

    Attributes:
        kept: significant seasons, by ``acf`` descending.
        prior: evidence for every lag named in advance, significant or not.
    """

    kept: list[SeasonEvidence]
    prior: dict[int, SeasonEvidence]


def _analyse(
    values: np.ndarray,
    offsets: np.ndarray,
    max_period: int | None,
    prior: list[int],
    prior_source: str,
) -> _Verdict:
    """Judge the panel through the linear detrending, or through differences if it finds none."""
    values, offsets = _validate(values, offsets)
    lengths = np.diff(offsets)  # (S,)
    scan = _default_max_period(lengths) if max_period is None else int(max_period)
    want = max(scan + _radius(scan), max(prior, default=0), 2)
    data = SeriesSet(values, offsets, cap=max(MIN_ANALYSED, 3 * want))
    verdict = _judge(data, data.pool(want, "linear"), scan, prior, prior_source)
    if verdict.kept:
        return verdict
    fallback = _judge(data, data.pool(want, "diff"), scan, prior, prior_source)
    return fallback if fallback.kept else verdict


def _validate(values: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float64 values and int64 offsets; ValueError for bad boundaries or non-finite values."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    offsets = np.asarray(offsets, dtype=np.int64).reshape(-1)
    if offsets.size == 0:
        offsets = np.zeros(1, dtype=np.int64)
    if offsets[0] != 0 or offsets[-1] != values.size or np.any(np.diff(offsets) < 0):
        raise ValueError(
            f"offsets must rise from 0 to len(values)={values.size}, got "
            f"{offsets[0]}..{offsets[-1]} ({offsets.size} entries)"
        )
    if not np.isfinite(values).all():
        raise ValueError("values must be finite (fill gaps before detecting seasons)")
    return values, offsets


def _default_max_period(lengths: np.ndarray) -> int:
    """A third of the median series length, at most ``MAX_DEFAULT_PERIOD``; 0 if no series."""
    return int(min(np.median(lengths) // 3, MAX_DEFAULT_PERIOD)) if lengths.size else 0


def _radius(lag: int) -> int:
    """Half-width of the neighbourhood a peak at ``lag`` must dominate."""
    return max(1, lag // 4)


def _clean_lags(lags: Sequence[int]) -> list[int]:
    """Distinct integer lags >= 2, first occurrence order."""
    return [lag for lag in dict.fromkeys(int(x) for x in lags) if lag >= 2]


def _json_float(x: float) -> float | None:
    """``x`` as a float, or ``None`` for NaN (JSON has no NaN)."""
    return float(x) if math.isfinite(x) else None


# --------------------------------------------------------------------------------------------
# Judging lags: peaks, significance, multiples.


def _judge(
    data: SeriesSet, pooled: PooledACF, scan: int, prior: list[int], prior_source: str
) -> _Verdict:
    """Apply the rules (module docstring, steps 4-7) to one pooled ACF."""
    z = NormalDist().inv_cdf(1 - ALPHA / max(scan - 1, 1))
    named_z = z if prior_source == "usual" else PRIOR_Z  # usual periods: the scan's bound
    entries = {p: _evidence(pooled, p, named_z, MIN_PRIOR_ACF, prior_source) for p in prior}
    if prior_source == "calendar":  # a short strongly seasonal series' own bound is over 1
        entries = {p: _confirmed(data, pooled, e, named=True) for p, e in entries.items()}
    for p in _peaks(pooled, scan):
        if not any(_multiple_of(p, q) == 1 for q in entries):  # a named lag stands for it
            found = _evidence(pooled, p, z, MIN_DETECTED_ACF, "detected")
            entries[p] = found if prior else _confirmed(data, pooled, found)
    entries, kept = _multiples(data, pooled, entries)
    entries, kept = _sub_multiples(entries, kept)
    ranked = sorted((entries[p] for p in kept), key=lambda e: -e.acf)
    return _Verdict(ranked, {p: entries[p] for p in prior})


def _confirmed(
    data: SeriesSet, pooled: PooledACF, e: SeasonEvidence, named: bool = False
) -> SeasonEvidence:
    """A lag that clears a scanned peak's floors but not its Bartlett bound, with the bound
    replaced by the floors when a majority of the series' periodograms confirm the cycle
    (step 5; ``spectrum.py``). A calendar lag (``named``) must also be no lower than the
    lags beside it (an AR(2) cycle of 10 peaks at 10, not 12), and its periodogram is not
    whitened: the AR(1) filter that flattens red noise damps a strong slow cycle fourfold."""
    p, curve = e.period, pooled.curve()
    floors = max(MIN_DETECTED_ACF, pooled.trough(p) + MIN_DETECTED_ACF)
    beside = curve[[p - 1, p + 1]] if p + 1 < len(curve) else np.array([math.nan])
    peak = not named or (np.isfinite(beside).all() and curve[p] >= beside.max())
    if e.significant or not e.acf > floors or not peak:
        return e
    share = confirmed_share(data.values, data.offsets, p, _radius(p), data.cap, not named)
    return replace(e, threshold=floors, periodogram=share) if share > 0.5 else e


def _evidence(pooled: PooledACF, lag: int, z: float, floor: float, source: str) -> SeasonEvidence:
    """A lag against zero: ``max(z * se, floor, trough + floor)`` (NaN bound if untestable)."""
    acf, se = pooled.acf(lag), pooled.se(lag)
    if not math.isfinite(se):
        return SeasonEvidence(lag, acf, math.nan, source)
    return SeasonEvidence(lag, acf, max(z * se, floor, pooled.trough(lag) + floor), source)


def _peaks(pooled: PooledACF, scan: int) -> list[int]:
    """Scanned lags whose pooled ACF dominates their neighbourhood and reaches the floor."""
    if scan < 2:
        return []
    curve = pooled.curve()  # (L + 1,)
    lags = np.arange(2, min(scan, pooled.n_lags - 1) + 1)  # (P,)
    with np.errstate(invalid="ignore"):
        lags = lags[curve[lags] >= MIN_DETECTED_ACF]
    out: list[int] = []
    for p in lags.tolist():
        r = _radius(p)
        g = pooled.row(p + r)
        if g < 0:
            continue
        seg = pooled.wr[g, p - r : p + r + 1]  # weights cancel within one row
        if seg[r] > seg[:r].max() and seg[r] >= seg[r + 1 :].max():
            p = _refine(curve, p, r // 2, scan)
            if p not in out:
                out.append(p)
    return out


def _refine(curve: np.ndarray, p: int, half: int, scan: int) -> int:
    """The lag near ``p`` whose multiples line up best (mean ACF over the comb ``j * lag``).

    A long cycle's ACF peak is flat at the top, so noise moves its argmax by a few lags; its
    multiples drift apart off the true period, which the comb mean catches.
    """
    if half < 1:
        return p
    testable = np.flatnonzero(np.isfinite(curve))
    reps = max(1, int(testable[-1]) // (p + half))  # multiples each comb can use
    lags = np.arange(max(2, p - half), min(scan, p + half) + 1)  # (C,)
    comb = curve[lags[:, None] * np.arange(1, reps + 1)]  # (C, reps)
    return int(lags[np.argmax(comb.mean(axis=1))])


def _multiple_of(q: int, p: int) -> int:
    """``k >= 1`` when ``q`` is within ``MULTIPLE_TOLERANCE`` of ``k * p``, else 0."""
    k = round(q / p)
    return k if k >= 1 and abs(q - k * p) <= MULTIPLE_TOLERANCE * k * p else 0


def _near_multiple(q: int, p: int) -> int:
    """``k >= 2`` when ``q`` is near ``k * p``, else 0."""
    k = _multiple_of(q, p)
    return k if k >= 2 else 0


def _multiple_bound(pooled: PooledACF, q: int, k: int) -> float:
    """What ``q ~ k p`` must beat to be a cycle of its own, not a harmonic of ``p``."""
    below = [pooled.acf(round(j * q / k)) for j in range(1, k)]
    around = [pooled.acf(round((k - 1) * q / k)), pooled.acf(round((k + 1) * q / k))]
    dip = np.nanmin(below) + HARMONIC_MARGIN
    return float(np.nanmax([dip, *around]))


def _multiples(
    data: SeriesSet, pooled: PooledACF, entries: dict[int, SeasonEvidence]
) -> tuple[dict[int, SeasonEvidence], list[int]]:
    """Accept lags; one near a multiple of a shorter candidate is judged as a multiple.

    The shorter candidates (bases) are the scanned peaks and named lags, accepted or not, that
    rise at least ``MIN_PRIOR_ACF`` above the lowest ACF before them: a weekly lag is no season
    of its own when the daily cycle it repeats is merely too weak to be accepted. A base must
    also correlate at least half as much as ``q``, or its cycle cannot be what ``q`` repeats.
    """
    bases = [p for p in entries if pooled.acf(p) - pooled.trough(p) >= MIN_PRIOR_ACF]
    kept: list[int] = []
    for q in sorted(entries):
        ks = [
            (p, k)
            for p in bases
            if p < q and (k := _near_multiple(q, p)) and pooled.acf(p) >= pooled.acf(q) / 2
        ]
        if ks:
            entries[q] = _as_multiple(data, pooled, entries[q], ks)
        if entries[q].significant:
            kept.append(q)
    return entries, kept


def _as_multiple(
    data: SeriesSet, pooled: PooledACF, e: SeasonEvidence, bases: list[tuple[int, int]]
) -> SeasonEvidence:
    """Evidence for ``q = e.period`` as a cycle of its own beside the shorter ``p`` it repeats.

    (a) In the panel's reading ``acf(q)`` must beat the ACF at the neighbouring multiples
    ``(k -+ 1) q / k`` and the lowest ACF at ``j q / k`` (``0 < j < k``) plus
    ``HARMONIC_MARGIN``: the longer cycle shows as a peak among the multiples of ``p``.
    (b) Re-read after subtracting a ``q``-point moving average and each series' mean profile
    over phases modulo ``p`` (so ``p``'s cycle and any wander slower than ``q`` are gone), the
    rest must correlate at ``q`` by ``max(HARMONIC_MARGIN, 1.96 * sqrt(2) * se0)`` more than at
    the neighbouring multiples (``se0``: white-noise standard error), and by the floor. Slow
    wander (a random walk's) lifts whole stretches of multiples alike, a real cycle only ``q``.
    (b) enters the threshold as ``acf(q) - rest(q) + bound(rest)``. A multiple more than
    ``MAX_MULTIPLE`` times ``p`` (a year of daily data over its week), or too short for (b)
    (three periods of ``q``), is untested: ``acf`` and ``threshold`` NaN.
    """
    q = e.period
    if max(k for _, k in bases) > MAX_MULTIPLE:
        return replace(e, acf=math.nan, threshold=math.nan)
    floor = MIN_DETECTED_ACF if e.source == "detected" else MIN_PRIOR_ACF
    bounds = [floor, *(_multiple_bound(pooled, q, k) for _, k in bases)]
    if not e.acf > max(bounds):
        return replace(e, threshold=max(bounds))  # fails (a): no re-reading needed
    for p, k in bases:
        rest = data.pool(q + q // k + 1, "ma", window=q, fold=p)
        beside = max(
            (a for j in (k - 1, k + 1) if math.isfinite(a := rest.acf(round(j * q / k)))),
            default=math.nan,
        )
        margin = max(HARMONIC_MARGIN, PRIOR_Z * math.sqrt(2) * rest.se0(q))
        need = max(floor, beside + margin)
        if not math.isfinite(rest.acf(q) - need):
            return replace(e, acf=math.nan, threshold=math.nan)
        bounds.append(e.acf - rest.acf(q) + need)
    return replace(e, threshold=max(bounds))


def _sub_multiples(
    entries: dict[int, SeasonEvidence], kept: list[int]
) -> tuple[dict[int, SeasonEvidence], list[int]]:
    """Drop accepted lags that are weak harmonics of a stronger accepted multiple."""
    out = []
    for p in kept:
        stronger = [
            entries[q].acf
            for q in kept
            if q > p and _near_multiple(q, p) and entries[q].acf > entries[p].acf
        ]
        if stronger:
            bound = SUB_RATIO * max(stronger)
            entries[p] = replace(entries[p], threshold=max(entries[p].threshold, bound))
        if entries[p].significant:
            out.append(p)
    return entries, out
