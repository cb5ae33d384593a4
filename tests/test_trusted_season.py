"""A season the file vouches for: where a file's series pool to an autocorrelation of at least
theta.TRUSTED_ACF at the season, the Theta method adjusts every series for it without the
series' own test (theta.py, autoconfig.season_trusted), and the models that carry it store it
as a checked field (combine.ThetaMix, a Theta-only model's ``trusted_season``)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from test_modelcheck import refused, setter, write_config

from forecastr import api
from forecastr.artifact import CONFIG
from forecastr.autoconfig import season_trusted
from forecastr.combine import ThetaMix, check_mix
from forecastr.errors import ArtifactError
from forecastr.jsonfields import Where
from forecastr.seasons import SeasonEvidence
from forecastr.theta import TRUSTED_ACF, is_seasonal, theta_forecast

MONTHS = np.array([0.8, 0.85, 0.95, 1.0, 1.1, 1.25, 1.35, 1.3, 1.1, 0.95, 0.75, 0.6])


def trending_months(n: int, slope: float = 8.0) -> np.ndarray:
    """A steep trend times a plain monthly season: the trend hides the season from the
    series' own autocorrelation test on a couple of years."""
    t = np.arange(n, dtype=np.float64)
    return (100.0 + slope * t) * MONTHS[t.astype(int) % 12]


def test_a_trusted_season_is_adjusted_where_the_series_test_fails():
    y = trending_months(30)
    assert not is_seasonal(y, 12)
    truth = (100.0 + 8.0 * np.arange(30, 42)) * MONTHS[np.arange(30, 42) % 12]
    tested = theta_forecast(y[None], 12, season=12)[0]
    trusted = theta_forecast(y[None], 12, season=12, trusted=True)[0]
    np.testing.assert_allclose(tested, theta_forecast(y[None], 12, season=1)[0])  # flat
    assert np.abs(trusted - truth).mean() < 0.25 * np.abs(tested - truth).mean()


def evidence(period: int, acf: float) -> SeasonEvidence:
    return SeasonEvidence(period=period, acf=acf, threshold=0.1, source="calendar")


@pytest.mark.parametrize(
    ("found", "season", "trusted"),
    [([(12, 0.66)], 12, True), ([(12, TRUSTED_ACF)], 12, True), ([(12, 0.22)], 12, False),
     ([(12, float("nan"))], 12, False), ([(7, 0.9)], 12, False), ([], 12, False),
     ([(1, 0.9)], 1, False), ([(24, 0.3), (168, 0.7)], 168, True)],
)  # fmt: skip
def test_which_seasons_the_file_vouches_for(found, season, trusted):
    assert season_trusted([evidence(p, a) for p, a in found], season) is trusted


def test_the_mix_stores_the_flag_only_when_set_and_checks_it():
    mix = ThetaMix(0.5, 12, 36, {"series": 3}, trusted=True)
    d = mix.to_dict()
    assert d["trusted_season"] is True
    assert "trusted_season" not in ThetaMix(0.5, 12, 36, {}).to_dict()  # older files read alike
    w = Where("config.json", "retrain")
    assert check_mix(w, {"theta": d}, 36) == mix
    assert check_mix(w, {"theta": {**d, "trusted_season": False}}, 36).trusted is False
    with pytest.raises(ArtifactError, match=r"theta\.trusted_season"):
        check_mix(w, {"theta": {**d, "trusted_season": "yes"}}, 36)


def short_seasonal_file(path, n_series: int = 30, n: int = 27) -> None:
    """A file of 27-point monthly series, each seasonal under its own trend: the training
    part (3 points before validation and test) holds no evidence, every point does."""
    rng = np.random.default_rng(0)
    rows = []
    for k in range(n_series):
        y = trending_months(n, slope=rng.uniform(2.0, 9.0)) * rng.uniform(0.5, 2.0)
        y = y * rng.normal(1.0, 0.01, n)
        stamps = pd.date_range("2018-01-01", periods=n, freq="MS")
        rows.append(pd.DataFrame({"unique_id": f"s{k}", "ds": stamps, "y": y}))
    pd.concat(rows).to_csv(path, index=False)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("trusted")
    short_seasonal_file(tmp / "short.csv")
    out = api.train(str(tmp / "short.csv"), horizon=12, out=str(tmp / "m"))
    return out, tmp / "m", tmp / "short.csv"


def test_the_saved_theta_model_trusts_what_every_point_shows(saved):
    out, model, _ = saved
    assert out.theta_only is not None
    config = json.loads((model / CONFIG).read_text())
    assert config["model"]["trusted_season"] is True
    frame = api.predict(str(model))
    for _, g in frame.groupby("unique_id"):  # every series follows the season it was lent
        f = g["forecast"].to_numpy()
        assert np.corrcoef(f, MONTHS[(27 + np.arange(12)) % 12])[0, 1] > 0.9


def test_its_report_judged_the_season_without_the_test_part(saved):
    """The holdout report's Theta decided on the training part (3 points: no evidence), so
    it scored the tested method, the same as the Theta baseline beside it; only the saved
    model, forecasting the future, trusts what every point shows."""
    _, model, _ = saved
    config = json.loads((model / CONFIG).read_text())
    rows = {r["method"]: r for r in config["evaluation"]["summary"]}
    assert rows["Theta"]["mae"] == pytest.approx(rows["theta"]["mae"], rel=1e-12)


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_a_crafted_flag_is_refused_naming_the_field(saved, tmp_path, bad):
    copy = tmp_path / "m"
    shutil.copytree(saved[1], copy)
    write_config(copy, setter("model", "trusted_season", bad))
    refused(copy, CONFIG, "model.trusted_season")


@pytest.mark.parametrize(
    ("length", "before_validation", "m", "unseen"),
    [(36, 12, 12, True), (48, 24, 12, False), (20, 4, 12, True), (12, 4, 4, True),
     (16, 8, 4, False), (36, 12, 1, False), (14, 2, 12, False)],
)  # fmt: skip
def test_validation_that_cannot_see_the_season_is_no_evidence_against_theta(
    length, before_validation, m, unseen
):
    """Validation fits the Theta method on the points before its last window; with fewer than
    ``theta.seasonal_minimum`` there (18 of a monthly season) it forecasts unadjusted, while
    the whole series (at least as many) will be adjusted: its score says nothing of the
    method that will forecast (holdout.theta_unseen)."""
    from types import SimpleNamespace

    from forecastr.holdout import theta_unseen

    h = 12 if m == 12 else 4
    n = 5
    start = np.zeros(n, dtype=np.int64)
    split = SimpleNamespace(start=start, val_end=start + before_validation + h)
    panel = SimpleNamespace(lengths=np.full(n, length))
    usable = np.ones(n, dtype=bool)
    assert theta_unseen(panel, split, usable, h, m) is unseen
    assert theta_unseen(panel, split, np.zeros(n, dtype=bool), h, m) is False


def test_the_report_says_when_validation_could_not_see_the_season():
    from forecastr.present import theta_text

    validation = {"0": 0.85, "0.5": 1.09, "1": 1.53, "series": 366, "season_unseen": True}
    text = theta_text({"weight": 0.5, "validation": validation})
    assert text.startswith("weight 0.5") and "too few points before validation" in text
