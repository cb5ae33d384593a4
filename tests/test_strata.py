"""Conformal calibration in two strata by trend (``intervals.stratified_fit``): the halves'
factors, the fallback to one set, the graph's choice of stratum, config.json and the ONNX
file."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from test_modelcheck import reseal
from test_runtime import write_long_csv

from forecastr import api, calibration, intervals
from forecastr.artifact import CONFIG, load
from forecastr.errors import ArtifactError
from forecastr.export import export_onnx
from forecastr.intervals import Calibration, apply_calibration, stratified_fit, trendiness
from forecastr.models import trendiness as graph_trendiness
from forecastr.runtime import OnnxPredictor

TAUS = (0.1, 0.9)


def test_trendiness_is_the_share_of_steady_movement():
    x = np.array([[1, 2, 3, 4, 5.0], [1, 2, 1, 2, 1], [3, 3, 3, 3, 3], [0, 2, 1, 3, 2]])
    np.testing.assert_allclose(trendiness(x), [1.0, 0.0, 0.0, 1 / 3])  # steps 2,-1,2,-1
    # the same for any positive affine map (raw and scaled windows agree), and in the graph
    np.testing.assert_allclose(trendiness(1e4 + 250.0 * x), trendiness(x), atol=1e-12)
    got = graph_trendiness(torch.tensor(x, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(got, trendiness(x), atol=1e-6)


def _windows(n: int, seed: int = 0):
    """n windows of 2 steps: the point 0, raw quantiles at +-1; half of them (the trending
    ones) err with spread 0.3, the others with spread 2: one set of factors fits neither."""
    rng = np.random.default_rng(seed)
    trend = rng.uniform(0, 1, n)
    spread = np.where(trend > 0.5, 0.3, 2.0)[:, None]
    y = rng.normal(0, 1, (n, 2)) * spread
    v = np.zeros((n, 2, 3))
    v[..., 1], v[..., 2] = -1.0, 1.0
    return y, v, np.arange(2 * n).reshape(n, 2), trend


def _coverage(q: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((y >= q[..., 0]) & (y <= q[..., 1])))


def test_each_half_gets_its_own_factors_and_its_coverage():
    y, v, targets, trend = _windows(2000)
    cal = stratified_fit(y, v, TAUS, targets, trend)
    assert cal.stratified and cal.cut == pytest.approx(0.5, abs=0.05)
    assert cal.trending is not None
    assert (cal.trending.factor < 0.5 * cal.factor).all()  # the calm-error half: narrower
    pooled = intervals.conformal_fit(y, v, TAUS, targets=targets)
    y2, v2, _, trend2 = _windows(4000, seed=1)  # fresh windows of the same process
    q = apply_calibration(v2, cal, TAUS, trend2)
    qp = apply_calibration(v2, pooled, TAUS)
    for half in (trend2 > cal.cut, trend2 <= cal.cut):
        assert abs(_coverage(q[half], y2[half]) - 0.8) < 0.03  # each half: its level
    assert abs(_coverage(qp[trend2 > 0.5], y2[trend2 > 0.5]) - 0.8) > 0.1  # pooled: neither
    width = lambda q: float(np.mean(q[..., 1] - q[..., 0]))  # noqa: E731
    assert width(q) < width(qp)  # the same coverage overall, narrower on average


def test_too_few_windows_for_two_strata_keep_one_set():
    n = 2 * intervals.MIN_STRATUM_WINDOWS - 2
    y, v, targets, trend = _windows(n)
    cal = stratified_fit(y, v, TAUS, targets, trend)
    assert not cal.stratified and cal.trending is None and "trend_cut" not in cal.to_dict()


def test_a_stratified_calibration_survives_config_json():
    y, v, targets, trend = _windows(1000)
    cal = replace(stratified_fit(y, v, TAUS, targets, trend), windows=1000, series=10)
    back = Calibration.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert back.stratified and back.cut == cal.cut
    assert back.trending is not None and cal.trending is not None
    np.testing.assert_array_equal(back.trending.factor, cal.trending.factor)
    np.testing.assert_array_equal(back.factor, cal.factor)
    q = apply_calibration(v, back, TAUS, trend)
    np.testing.assert_array_equal(q, apply_calibration(v, cal, TAUS, trend))


# -- a trained model with two strata ---------------------------------------------------------


@pytest.fixture(scope="module")
def stratified(tmp_path_factory):
    """A tiny model with intervals whose calibration has two strata (the threshold lowered
    for a test-sized file), saved and exported: (model dir, onnx path)."""
    tmp = tmp_path_factory.mktemp("strata")
    csv = write_long_csv(tmp / "data.csv", n_series=6, n=60)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(intervals, "MIN_STRATUM_WINDOWS", 5)
        api.train(
            str(csv), out=str(tmp / "m"), epochs=2, ensemble=1, hidden=8, layers=1,
            window=12, horizon=4, levels=[80],
        )  # fmt: skip
    export_onnx(tmp / "m", tmp / "m.onnx")
    return tmp / "m", tmp / "m.onnx"


def test_the_saved_model_stores_both_strata(stratified):
    cfg = json.loads((stratified[0] / CONFIG).read_text())["calibration"]
    assert 0.0 <= cfg["trend_cut"] <= 1.0 and cfg["trending"]["windows"] > 0
    assert cfg["windows"] > 0  # the calm half's own count
    assert cfg["trending"]["transferred"] is True  # the refit matched each stratum


def test_the_graph_and_the_runtime_choose_each_windows_stratum(stratified):
    torch_fc = load(stratified[0]).predictor()
    onnx_fc = OnnxPredictor.from_onnx(stratified[1])
    cal = Calibration.from_dict(json.loads((stratified[0] / CONFIG).read_text())["calibration"])
    t = np.linspace(0, 1, 12)
    rng = np.random.default_rng(0)
    ramps = 100 + 40 * t[None, :] + rng.normal(0, 0.2, (8, 12))  # trendiness near 1
    waves = 100 + 5 * np.sin(3 * t[None, :] * np.pi) + rng.normal(0, 2, (8, 12))
    x = np.concatenate([ramps, waves]).astype(np.float32)
    up = trendiness(x) > cal.cut
    assert up.any() and (~up).any()  # both strata among the windows
    ids = [torch_fc.ids[i % len(torch_fc.ids)] for i in range(len(x))]
    point, q = torch_fc.forecast_quantiles(x, ids)
    # the graph's quantiles are the stored numbers applied to each window's own stratum
    rows = np.array([torch_fc.ids.index(s) for s in ids])
    raw = calibration.scaled_outputs(torch_fc.module, x, rows)
    scale = torch_fc.module.scale.double().numpy()[rows, None, None]
    loc = torch_fc.module.loc.double().numpy()[rows, None, None]
    expected = apply_calibration(raw, cal, (0.1, 0.9), trendiness(x)) * scale + loc
    np.testing.assert_allclose(q, expected, rtol=1e-4, atol=1e-3)
    onnx_point, onnx_q = onnx_fc.forecast_quantiles(x, ids)  # the torch-free runtime
    np.testing.assert_allclose(onnx_q, q, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(onnx_point, point, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda c: c.update(trend_cut=1.5), "calibration.trend_cut"),
        (lambda c: c.update(trend_cut=float("nan")), "calibration.trend_cut"),
        (lambda c: c.pop("trending"), "calibration.trending"),
        (lambda c: c["trending"]["factor"].pop(), "calibration.trending.factor"),
        (lambda c: c["trending"]["margin"][0].__setitem__(0, -1.0), "trending.margin[0][0]"),
        (lambda c: c.pop("trend_cut"), "calibration.trend_cut"),
    ],
)
def test_a_damaged_stratum_is_refused_naming_its_field(stratified, tmp_path, change, fragment):
    import shutil

    model = tmp_path / "m"
    shutil.copytree(stratified[0], model)
    cfg = json.loads((model / CONFIG).read_text())
    change(cfg["calibration"])
    (model / CONFIG).write_text(json.dumps(cfg))
    reseal(model)
    with pytest.raises(ArtifactError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        load(model)
