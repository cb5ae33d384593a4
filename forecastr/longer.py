"""A longer training horizon for data with no season: the network trains for more steps
than are asked for and serves the first ones.

Where the calendar names no season (yearly data, an integer index) and none is found, the
window is two horizons and the network learns from each window's next ``horizon`` points
alone. Trained for the frequency's default horizon instead (6 for yearly data, 10 for an
integer index), its first steps forecast better. Whole competition files at the official
horizon, seeds 0 / 100 / 200 (docs/benchmarks.md, "A longer training horizon"):

- Tourism yearly, 4 asked, trained at 6: sMAPE 19.78 / 19.77 / 19.78 and MASE 2.587 / 2.586
  / 2.588, against 20.12 / 20.21 / 20.26 and 2.627 / 2.643 / 2.641 (AutoTheta 19.99 / 2.590);
- M3 other, 8 asked, trained at 10: 4.267 / 4.259 / 4.267 and 1.766 / 1.760 / 1.771,
  against about 4.30 / 1.79;
- M3 yearly, 3 asked, trained at 6 (measured before it was built): 11.78 / 1.777 -> 11.48 /
  1.716 (seed 0).

It costs training time: Tourism yearly took 1.73x as long (its window grows from 8 to 12).

Seasonal files did not gain (both quarterly files a little worse), and a single short series
goes either way, as its history is short of the extra held-out points: the rule holds for
files of :data:`MIN_SERIES` series or more. The holdout run's test part stays the asked
horizon and its validation part is the longer one; the refit sees every point. (A test
part of the longer horizon, as first measured, served the same point accuracy but
calibrated the intervals on fewer, longer series: Tourism yearly's 80% intervals covered
71.7% of the official test points instead of 76.9%.) The trained network is
then cut to the asked steps (``models.narrowed``), so everything after training
(calibration, the Theta choice, the report, the artifact, ONNX) sees a network of the
horizon asked for. Torch-free.
"""

from __future__ import annotations

from dataclasses import replace

from forecastr.autoconfig import data_window, default_patch, main_season
from forecastr.config import ModelConfig, TrainConfig
from forecastr.errors import InputError
from forecastr.frequency import calendar_kind, default_horizon, seasonalities_for
from forecastr.panel import Panel

# Series a file needs for the rule. Files of 20 Tourism yearly and M3 other series gained
# (sMAPE 32.22 -> 27.90 and 6.19 -> 5.98, seed 0); 30 single series trained alone did not
# (Tourism yearly 20.70 -> 23.35).
MIN_SERIES = 20


def file_horizon(panel: Panel, seasons: list, season_length: int) -> int | None:
    """The horizon a network trains for at least on ``panel`` under ``train``'s defaults: the
    frequency's default horizon, for a file of :data:`MIN_SERIES` series or more of yearly
    data or an integer index where no season was found (``seasons``; ``season_length``: the
    base season); else None (the network trains for the horizon asked)."""
    # Measured on yearly data and an integer index only: a step the calendar names no season
    # for (3 days: a default horizon of 24) is left as asked.
    if panel.freq is not None and calendar_kind(panel.freq) != "Y":
        return None
    no_season = seasonalities_for(panel.freq) == [1] and season_length == 1
    if not no_season or any(int(e.period) >= 2 for e in seasons):
        return None
    return default_horizon(panel.freq) if panel.n_series >= MIN_SERIES else None


def training_horizon(panel: Panel, cfg: ModelConfig, seasons: list) -> int | None:
    """The horizon the network of ``cfg`` trains for under ``train``'s defaults, when longer
    than ``cfg.horizon`` (:func:`file_horizon`, for the direct decoder); else None."""
    longer = file_horizon(panel, seasons, cfg.season_length)
    if longer is None or cfg.decoder != "direct" or longer <= cfg.horizon:
        return None
    return longer


def widened(
    panel: Panel, cfg: ModelConfig, tcfg: TrainConfig, seasons: list
) -> tuple[ModelConfig, TrainConfig] | None:
    """``cfg`` and ``tcfg`` trained for :func:`training_horizon`'s steps, the window sized
    for them (``autoconfig.data_window``: two of the longer horizons), or None when the rule
    does not hold. For ``train``'s defaults only: not with a window, a validation size or a
    patch of the user's."""
    longer = training_horizon(panel, cfg, seasons)
    if longer is None:
        return None
    window = data_window(panel, longer, longer, seasons)
    patch = default_patch(window, main_season(seasons, panel.freq))
    return replace(cfg, window=window, patch=patch), replace(tcfg, train_horizon=longer)


def trained_for(cfg: ModelConfig, tcfg: TrainConfig) -> tuple[ModelConfig, TrainConfig]:
    """The network ``train.fit`` trains and the settings its parts are cut by: ``cfg`` and
    ``tcfg`` themselves, or (with a longer ``tcfg.train_horizon``) ``cfg`` for that many
    steps, its test part still ``cfg``'s horizon and its validation part the longer one (at
    least, when set)."""
    longer = tcfg.train_horizon
    if longer is None or longer <= cfg.horizon:
        return cfg, tcfg
    if cfg.decoder != "direct":
        raise InputError("a longer training horizon needs the direct decoder (--decoder direct)")
    # Whole validation windows; a refit's 0 (no validation part) stays 0: it sees every point.
    val = max(tcfg.val_size, longer) if tcfg.val_size else tcfg.val_size
    test = cfg.horizon if tcfg.test_size is None else tcfg.test_size
    return replace(cfg, horizon=longer), replace(tcfg, val_size=val, test_size=test)
