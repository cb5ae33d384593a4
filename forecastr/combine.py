"""The network's forecast averaged with the optimised Theta method's, where validation says
the average is better. Torch-free: the ONNX path applies it too.

Why: the network and the Theta method (``theta.py``) err differently. The network learns
shapes across series but damps trends that persist, and the Theta method extrapolates each
series' own trend. On the M3 and Tourism competitions their equal-weight average beat both,
and beat AutoETS and AutoTheta, in most categories (docs/benchmarks.md, "Theta
combination").

How:

* **Chosen on validation, once per file.** After the holdout run, each series' last
  validation window is forecast by the network and by the Theta method from the same origin.
  The Theta method reads the history before that origin. Each weight in :data:`WEIGHTS` is
  scored by the mean, over series, of the MAE scaled by the series' in-sample seasonal-naive
  MAE, as it would be served (the floor at zero included). The network's score there is
  optimistic (early stopping chose its epoch on those windows), so it is kept alone only
  when it scores :func:`margin` times the best average's or lower: 0.9 on many series, down
  to 0.6 on one, whose single window says little; else the best average wins. A file of
  few long series validates on several horizons (:func:`choice_horizons`: up to a week of
  an hourly file), so early stopping reads all of them, and the choice is also scored on
  each of them; the network is kept alone when either score keeps it (the score over all of
  them with the margin for that many windows).
* **Stored** in config.json's ``"theta"`` section, and in the ONNX file's ``theta``
  metadata: the weight, the season the Theta method adjusts for, and its context, the history
  it reads (at most ``baselines.theta_history`` points). With weight 0 nothing is stored, and the
  model is the network alone.
* **Applied** by :class:`Combined`, a predictor around the network's. It reads ``context``
  points per series (padded like the network's window, by repeating the first value; the
  Theta part reads each row from its last leading repeat). The network reads the last
  ``window`` of them. Quantiles move with the point forecast, so the intervals keep their
  widths, except where the network's calibration had too few held-out points for its
  guarantee: there each quantile's offset is averaged with the Theta method's own
  (:func:`blended_quantiles`, stored as ``blend_widths``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from forecastr.baseline_intervals import ets_quantiles, theta_quantiles
from forecastr.baselines import THETA_HISTORY, theta, theta_history
from forecastr.config import TrainConfig
from forecastr.errors import ForecastrWarning
from forecastr.ets import MAX_POINTS, MIN_SEASONS, ets_fit
from forecastr.ets import REVISION as ETS_REVISION
from forecastr.jsonfields import Where, flag, integer, number, optional_integer, section
from forecastr.report import NETWORK_INTERVALS
from forecastr.theta import REVISION

WEIGHTS = (0.0, 0.5)  # the Theta method's weight in the average: candidates, network first
# The network alone is kept only when its validation score is at most margin(series) times
# the best average's: NETWORK_MARGIN - NOISE_MARGIN / sqrt(series scored). Early stopping
# chose its epoch on those windows, so its score there is optimistic (on M3 quarterly it was
# 2.5% below the average's on validation and 3% above on the test part), and one series'
# window says little: given alone, 200 M3 and Tourism series kept the network alone on 55 at
# a flat 0.9, and the average would have scored better in every category (docs/benchmarks.md,
# "Single series").
NETWORK_MARGIN = 0.9
NOISE_MARGIN = 0.3
# ... but when no member stopped early (each ran every epoch it was given, its validation loss
# still falling), early stopping chose nothing on those windows and the network's score there
# is not optimistic: then only the noise term applies (1 - NOISE_MARGIN / sqrt(series)). On
# 414 synthetic hourly series (bench/hourly_panel.py), whose members all ran to the cap, the
# network scored 0.749 against the average's 0.827 on validation, and 0.727 against 0.801 on
# the held-out hours; the flat margin served the average. No recorded competition or
# sample-file run had every member reach the cap, so none of them changes.
UNSELECTED_MARGIN = 1.0
# ... or whenever Theta alone scores 3 times the network's or more: its model then misses
# what the network sees (on a half-hourly example series, since removed from the repository
# as an unseen test case, it adjusted for the day, not the week:
# 0.37 against 0.09 on validation, and the average scored 1.01 on the test day against the
# network's 0.30 at one seed of three). Changes nothing on the 200 single series above (one
# more M3 other series kept the network alone: mean MASE 1.830 against 1.829).
THETA_FAR = 3.0
# A file of few long series validates on several horizons, not one: up to CHOICE_WINDOWS
# windows in all (``choice_horizons``), and the choice is scored on each of them. On one
# validation day of real hourly series the choice went the wrong way at half of the origins
# it was scored at, and early stopping on one day stopped at a noisy epoch: with a week of
# validation the network alone scored better on all six real hourly files of
# bench/real_series.py (docs/benchmarks.md, "A week of validation").
CHOICE_WINDOWS = 7  # windows the choice wants in all: horizons per series = ceil(this / series)
# Horizons of training part every series keeps beyond its window. The validation horizons
# are withheld from the holdout run's training, so on a short series the network it scores
# is trained on much less than the refit it stands for: at 20, series of 200 to 300 yearly
# points withheld a fifth of their training part, and on a synthetic 11-year cycle the choice
# over seven windows served a worse forecast than the last window's at every seed (MASE 0.743
# against 0.707 at seed 0). At 50 those series validate on one horizon, and every real file
# of bench/real_series.py with more than a year of data (200 or more horizons) keeps its
# windows; the one-year births file (25 horizons) has one.
CHOICE_FLOOR = 50
SECTION = "theta"  # config.json's section and the ONNX metadata key
# A file of one seasonal series of at most ``ets.MAX_POINTS`` points serves the equal average
# of the network, the Theta method and exponential smoothing with a season (``ets.py``), where
# the average was chosen: a network trained on one short series has few windows to learn from.
# On 30 single series (27 to 309 points) from each of six seasonal M1, M3 and Tourism
# categories, the three beat the two on sMAPE and MASE in all six (M3 monthly MASE 1.086 ->
# 0.992, Tourism monthly 1.723 -> 1.603). Not for more series: on files of the first 4 and
# 12 series of the same categories the network learns across them and the third member was
# worse on Tourism; nor for one long series: an hourly year (8,760 points) scored 0.84 ->
# 0.91; nor without a season: on yearly series it was worse alone and in the average
# (docs/benchmarks.md, "A third member for one short seasonal series").
ETS_SHARE = 1.0 / 3.0  # the ETS member's share of the served forecast


@dataclass(frozen=True)
class ThetaMix:
    """What :class:`Combined` applies: ``(1 - weight) * network + weight * Theta``.

    Attributes:
        weight: the Theta method's share, in (0, 1].
        season_length: the season the Theta method adjusts for (1: none).
        context: points of history each forecast reads (at least the network's window).
        scores: the validation scores the weight was chosen by (for the record).
        revision: the Theta method's revision the weight was chosen and scored with
            (``theta.REVISION``); None for a model saved before revisions were recorded.
        trusted: the training file vouched for the season (``theta.TRUSTED_ACF``): every
            series is adjusted for it untested (``trusted_season``; absent: False).
        blend: the intervals' widths are blended too (``blend_widths``; absent: False):
            each quantile's offset from the point forecast is the same average of the
            network's and the Theta method's own (:func:`blended_quantiles`). Set where the
            network's calibration had too few held-out points for its guarantee.
        ets: the revision of exponential smoothing (``ets.REVISION``) that joins the average
            as a third member, a share :data:`ETS_SHARE` (``ets_revision``; absent: None, no
            third member). Set for a file of one short seasonal series (:func:`ets_member`).
        ets_widths: where the widths are blended and the ETS member fits, its own offsets
            (``baseline_intervals.ets_quantiles``) take its share of the blend
            (``ets_widths``; absent: False, the network's and the Theta method's alone).
    """

    weight: float
    season_length: int
    context: int
    scores: dict
    revision: int | None = REVISION
    trusted: bool = False
    blend: bool = False
    ets: int | None = None
    ets_widths: bool = False

    def to_dict(self) -> dict:
        out = {
            "weight": self.weight,
            "season_length": self.season_length,
            "context": self.context,
            "validation": dict(self.scores),
        }
        out = out if self.revision is None else {**out, "revision": self.revision}
        out = {**out, "trusted_season": True} if self.trusted else out
        out = {**out, ETS_KEY: self.ets} if self.ets is not None else out
        out = {**out, "ets_widths": True} if self.ets_widths else out
        return {**out, "blend_widths": True} if self.blend else out


ETS_KEY = "ets_revision"


def ets_member(lengths: np.ndarray, season: int, context: int) -> int | None:
    """The revision of exponential smoothing that joins the average of a file of series of
    ``lengths`` at ``season``, whose forecasts read ``context`` points: one series of at most
    ``ets.MAX_POINTS`` points, with a season, and ``ets.MIN_SEASONS`` seasons of it read;
    else None."""
    lengths = np.asarray(lengths)
    if lengths.size != 1 or season < 2:
        return None
    points = int(lengths[0])
    fits = points <= MAX_POINTS and min(points, context) >= MIN_SEASONS * season
    return ETS_REVISION if fits else None


def context_length(window: int, longest: int, n_series: int, season_length: int) -> int:
    """Points the Theta part reads: :func:`theta_context`, and never fewer than the network's
    window."""
    return int(max(window, theta_context(longest, n_series, season_length)))


def theta_context(longest: int, n_series: int, season_length: int) -> int:
    """Points of history per series a model stores for the Theta method: the longest series'
    history, up to what the method reads at ``season_length`` (``baselines.theta_history``)
    and to what the stored context of ``n_series`` series may hold (at least 1)."""
    from forecastr.modelcheck import MAX_CONTEXT_VALUES

    room = MAX_CONTEXT_VALUES // max(n_series, 1)
    return int(max(1, min(theta_history(season_length), longest, room)))


def choice_horizons(lengths: np.ndarray, window: int, horizon: int, val_size: int | None) -> int:
    """Horizons of validation per series, each one a window the Theta choice is scored on:
    ``ceil(CHOICE_WINDOWS / series)`` for a file of few long series, fewer where the
    shortest series would keep under :data:`CHOICE_FLOOR` horizons of training part beyond
    its window, and 1 (the last horizon before the test part) where that leaves one, or
    where the user set the validation part (``val_size``)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if val_size is not None or lengths.size == 0:
        return 1
    k = -(-CHOICE_WINDOWS // lengths.size)  # ceil
    shortest = int(lengths.min())
    while k > 1 and shortest < window + (CHOICE_FLOOR + k + 1) * horizon:  # + validation, test
        k -= 1
    return k


def with_validation(
    tcfg: TrainConfig, lengths: np.ndarray, window: int, horizon: int
) -> tuple[TrainConfig, int]:
    """``tcfg`` with its validation part set to :func:`choice_horizons` horizons where the
    user left it unset and there are several, and that number of horizons."""
    k = choice_horizons(lengths, window, horizon, tcfg.val_size)
    return (replace(tcfg, val_size=k * horizon) if k > 1 else tcfg), k


def unpadded(rows: np.ndarray) -> np.ndarray:
    """``rows`` (B, T) with NaN in place of each row's left padding: every value of its
    leading run of repeats of the first value, except the last of that run."""
    rows = np.array(rows, dtype=np.float64)
    if rows.shape[1] < 2:
        return rows
    same = rows == rows[:, :1]  # (B, T)
    run = np.where(same.all(axis=1), rows.shape[1], same.argmin(axis=1))  # (B,) run length
    rows[np.arange(rows.shape[1])[None, :] < (run - 1)[:, None]] = np.nan
    return rows


def theta_part(
    rows: np.ndarray, horizon: int, season_length: int, trusted: bool = False
) -> np.ndarray:
    """(B, horizon) Theta forecasts of padded rows (B, T); ``trusted``: the file vouches for
    the season (:func:`forecastr.baselines.theta`)."""
    return theta(unpadded(rows), horizon, season_length=season_length, trusted=trusted)


def score_key(weight: float) -> str:
    """The key of a weight's validation score in :func:`choose`'s scores: ``"0"``, ``"0.5"``."""
    return f"{weight:g}"


def choose(
    network: np.ndarray,
    theta_fc: np.ndarray,
    actual: np.ndarray,
    scale: np.ndarray,
    early_stopped: bool = True,
    seen: float = 1.0,
    lower: np.ndarray | None = None,
) -> tuple[float, dict]:
    """The weight of :data:`WEIGHTS` chosen on validation, and every weight's score (and
    Theta alone's, weight 1): the mean over series of ``mean |actual - forecast| / scale``
    (series with a positive, finite scale and a finite forecast). The best-scoring average,
    unless the network alone (weight 0) scores :func:`margin` times its score or lower, or
    Theta alone scores :data:`THETA_FAR` times the network's or more. ``network``,
    ``theta_fc``, ``actual``: (S, H), NaN where a step has no actual value;
    ``early_stopped``: whether early stopping chose the network's epoch on these windows;
    ``seen``: the share of the rows it read (the rest were neither trained nor stopped on);
    ``lower``: (S,) the floor each row's forecast is served at (``forecast.row_floors``), so
    each weight is scored as it would be served."""
    ok = np.isfinite(scale) & (scale > 0) & np.isfinite(theta_fc).all(axis=1)
    low = np.full(len(scale), -np.inf) if lower is None else np.asarray(lower, dtype=np.float64)
    scores: dict = {}
    for w in (*WEIGHTS, 1.0):
        served = np.maximum((1 - w) * network + w * theta_fc, low[:, None])
        err = np.abs(actual - served)[ok]  # (S', H)
        per_series = np.nanmean(err, axis=1) / scale[ok] if ok.any() else np.zeros(0)
        per_series = per_series[np.isfinite(per_series)]
        scores[score_key(w)] = float(per_series.mean()) if per_series.size else float("nan")
    scores["series"] = int(ok.sum())
    mixes = {
        w: scores[score_key(w)] for w in WEIGHTS if w > 0 and np.isfinite(scores[score_key(w)])
    }
    if not mixes:
        return 0.0, scores
    best = min(mixes, key=lambda w: (mixes[w], w))
    alone, theta_alone = scores[score_key(0.0)], scores[score_key(1.0)]
    kept = network_kept(alone, mixes[best], theta_alone, scores["series"], early_stopped, seen)
    return (0.0 if kept else float(best)), scores


def network_kept(
    alone: float,
    mix: float,
    theta_alone: float,
    series: int,
    early_stopped: bool = True,
    seen: float = 1.0,
) -> bool:
    """Whether validation scores keep the network alone: it scores :func:`margin` times the
    best average's (``mix``) or lower, or Theta alone scores :data:`THETA_FAR` times the
    network's or more (Theta then misses what the network sees)."""
    clearly_better = alone <= margin(series, early_stopped, seen) * mix
    return clearly_better or theta_alone >= THETA_FAR * alone


def margin(series: int, early_stopped: bool = True, seen: float = 1.0) -> float:
    """How much lower than the best average's the network's validation score must be, as a
    factor, for the network to be kept alone, when ``series`` windows were scored and early
    stopping did (or did not) choose the network's epoch on a share ``seen`` of them. Only
    that share is optimistic, so the margin for it shrinks with it: ``1 - (1 -
    NETWORK_MARGIN) * seen``, the windows before the validation one being honest."""
    seen = min(max(float(seen), 0.0), 1.0)
    top = 1.0 - (1.0 - NETWORK_MARGIN) * seen if early_stopped else UNSELECTED_MARGIN
    return top - NOISE_MARGIN / float(np.sqrt(max(series, 1)))


def check_mix(w: Where, config: dict, window: int, series: int = 1) -> ThetaMix | None:
    """config.json's (or the ONNX metadata's) ``theta`` section, every field bounded; None
    when absent (the network alone). ``series``: how many series the model stores; the ETS
    member is refused on more than one (``ets_member`` sets it for one only, and it is
    fitted per series at every forecast)."""
    d = section(w, config, SECTION, optional=True, nullable=True)
    if not d:
        return None
    season = integer(w, d, "season_length", 1, 1_000_000, SECTION)
    mix = ThetaMix(
        weight=number(w, d, "weight", 0.0, 1.0, SECTION, lo_open=True),
        season_length=season,
        context=integer(w, d, "context", window, max(window, theta_history(season)), SECTION),
        scores=section(w, d, "validation", SECTION, optional=True, nullable=True) or {},
        revision=optional_integer(w, d, "revision", 1, MAX_REVISION, SECTION),
        trusted=flag(w, d, "trusted_season", SECTION, False),
        blend=flag(w, d, "blend_widths", SECTION, False),
        ets=optional_integer(w, d, ETS_KEY, 1, MAX_REVISION, SECTION),
        ets_widths=flag(w, d, "ets_widths", SECTION, False),
    )
    if mix.ets is not None and series > 1:
        raise w.refuse(f"{SECTION}.{ETS_KEY}", mix.ets, f"absent for a model of {series} series")
    return mix


MAX_REVISION = 1_000_000  # a stored revision above this is not one forecastr wrote


def same_forecasts(stored: int | None, season_length: int, context: int) -> bool:
    """Whether a Theta part scored with revision ``stored`` of the method, at
    ``season_length`` on ``context`` stored points per series, forecasts what this revision
    computes. Revision 7 changed only the history a season over 256 reads (eight seasons, not
    256 points), and the method reads at most the stored context: a revision-6 model whose
    season is 256 or less, or whose context is 256 points or fewer, reads what it was scored
    on."""
    if stored == REVISION:
        return True
    short = theta_history(season_length) == THETA_HISTORY or context <= THETA_HISTORY
    return stored == 6 and REVISION == 7 and short


def revision_note(
    stored: int | None, source: str, season_length: int | None = None, context: int = 0
) -> str | None:
    """The warning for a model whose Theta part was trained with ``stored``, another revision
    of the Theta method than this forecastr's (None: recorded by none); None when the same, or
    when its forecasts cannot differ at its ``season_length`` and stored ``context``
    (:func:`same_forecasts`; not judged when the season is not given).

    The Theta part is refitted at every forecast by the installed code, so a model trained
    under another revision forecasts what its training run never scored. Loading still works:
    the forecasts are those of a sound method, only not the one validated."""
    if stored == REVISION or (
        season_length is not None and same_forecasts(stored, season_length, context)
    ):
        return None
    was = (
        "was saved before forecastr recorded the revision of the Theta method that scored it"
        if stored is None
        else f"was scored with revision {stored} of the Theta method"
    )
    return (
        f"{source}: its Theta part {was}, and this forecastr computes revision {REVISION}, so "
        "its forecasts can differ from those its training scored; train it again to match"
    )


def warn_revision(
    stored: int | None, source: str, season_length: int | None = None, context: int = 0
) -> None:
    """Warn (:class:`~forecastr.errors.ForecastrWarning`) when :func:`revision_note` has a
    note."""
    note = revision_note(stored, source, season_length, context)
    if note is not None:
        warnings.warn(note, ForecastrWarning, stacklevel=3)


def context_width(config: dict) -> int:
    """Points per series of a stored context: the mix's context, else the window (config
    already checked)."""
    mix = config.get(SECTION)
    return int(mix["context"]) if mix else int(config["model"]["window"])


class Combined:
    """A :class:`~forecastr.predictor.Predictor` around the network's one: the same outputs
    averaged with the Theta method's forecast of the same history (quantiles shifted with the
    point forecast). Everything else is the network predictor's."""

    def __init__(self, inner: Any, mix: ThetaMix):
        self.inner = inner
        self.mix = mix
        self.window = mix.context
        self.name = f"{inner.name} + Theta" + (" + ETS" if mix.ets is not None else "")

    def __getattr__(self, name: str) -> Any:  # horizon, ids, levels, train_end, ...
        return getattr(self.__dict__["inner"], name)

    def _theta(self, net: np.ndarray, windows: np.ndarray) -> np.ndarray:
        th = theta_part(windows, net.shape[1], self.mix.season_length, self.mix.trusted)
        return np.where(np.isfinite(th), th, net)  # a series Theta cannot fit: the network's

    def _ets(self, windows: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The ETS member's forecasts and spreads (``ets.ets_fit``); None without one."""
        if self.mix.ets is None:
            return None
        return ets_fit(unpadded(windows), horizon, self.mix.season_length)

    def _mixed(self, net: np.ndarray, th: np.ndarray, es: np.ndarray | None) -> np.ndarray:
        """The served average of the network's ``net`` and the Theta method's ``th``, with
        the ETS member's ``es`` for its share where the mix has one and it fits the row."""
        mixed = (1.0 - self.mix.weight) * net + self.mix.weight * th
        if es is None:
            return mixed
        fits = np.isfinite(es).all(axis=1, keepdims=True)
        return np.where(fits, (1.0 - ETS_SHARE) * mixed + ETS_SHARE * es, mixed)

    def forecast(self, windows: np.ndarray, series_ids: Sequence[str]) -> np.ndarray:
        windows = np.asarray(windows, dtype=np.float64)
        net = np.asarray(self.inner.forecast(windows[:, -self.inner.window :], series_ids))
        net = net.astype(np.float64)
        member = self._ets(windows, net.shape[1])
        return self._mixed(net, self._theta(net, windows), None if member is None else member[0])

    def forecast_quantiles(
        self, windows: np.ndarray, series_ids: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        windows = np.asarray(windows, dtype=np.float64)
        point, q = self.inner.forecast_quantiles(windows[:, -self.inner.window :], series_ids)
        point, q = np.asarray(point, dtype=np.float64), np.asarray(q, dtype=np.float64)
        th = self._theta(point, windows)
        member = self._ets(windows, point.shape[1])
        mixed = self._mixed(point, th, None if member is None else member[0])
        if not self.mix.blend or q.shape[-1] == 0:
            return mixed, q + (mixed - point)[..., None]
        net, taus = q - point[..., None], self.inner.network_quantiles
        member = member if self.mix.ets_widths else None
        return mixed, blended_quantiles(mixed, net, th, unpadded(windows), taus, self.mix, member)

    def attention_weights(self, window: np.ndarray, series_id: str) -> np.ndarray:
        return self.inner.attention_weights(window[-self.inner.window :], series_id)

    @property
    def interval_method(self) -> str:
        """How the intervals are made, for the report's notes."""
        own = getattr(self.inner, "interval_method", NETWORK_INTERVALS)
        average = "the Theta and ETS average" if self.mix.ets is not None else "the Theta average"
        if not self.mix.blend:
            return own + f", moved with {average}"
        members = "the Theta method's" + (" and ETS's" if self.mix.ets_widths else "")
        return own + (
            f", centred on {average}, their widths averaged with {members} own "
            "(past errors and spread): too few held-out points for the calibration's guarantee"
        )


def blended_quantiles(
    mixed: np.ndarray,
    net: np.ndarray,
    th: np.ndarray,
    history: np.ndarray,
    taus: Sequence[float],
    mix: ThetaMix,
    member: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """(B, H, K) quantiles around the served average ``mixed`` (B, H) whose offsets from it
    are ``(1 - w)`` times the network's, ``net`` (B, H, K: its quantiles less its point
    forecast), plus ``w`` times the Theta method's own (``baseline_intervals.theta_quantiles``
    of ``history`` around the Theta forecast ``th``: the wider of its past errors and its
    state-space spread). Both offsets rise with the quantile, so their average does: nothing
    crosses. Where the Theta method has no quantiles (a row too short), the network's offsets
    alone. With the ETS ``member`` (its forecasts and spreads, ``ets.ets_fit``), its own
    offsets (``baseline_intervals.ets_quantiles``) take its share of the served forecast,
    :data:`ETS_SHARE`, where it fits the row.

    Why: a network calibrated on too few held-out points (one series) has widths that rest
    on its quantile head alone: on 210 single M3 and Tourism series its 95% intervals scored
    MSIS twice AutoETS's on M3 monthly (docs/benchmarks.md, "Intervals of a single series")."""
    w = mix.weight
    own = theta_quantiles(history, th, taus, mix.season_length, mix.trusted) - th[..., None]
    offsets = np.where(np.isfinite(own), (1.0 - w) * net + w * own, net)
    if member is not None:
        es = ets_quantiles(history, *member, taus, mix.season_length) - member[0][..., None]
        with_es = (1.0 - ETS_SHARE) * offsets + ETS_SHARE * es
        offsets = np.where(np.isfinite(es), with_es, offsets)
    return mixed[..., None] + offsets


def combined(inner: Any, mix: ThetaMix | None) -> Any:
    """``inner`` averaged with the Theta method as ``mix`` says; ``inner`` itself when
    ``mix`` is None."""
    return inner if mix is None else Combined(inner, mix)
