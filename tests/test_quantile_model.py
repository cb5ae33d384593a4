"""Models with intervals: the quantile head, the pinball loss, calibration on validation
windows only, the refit, the artifact and the CLI's --level / --quantiles."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import make_panel
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastr import api
from forecastr.artifact import load
from forecastr.cli import app
from forecastr.config import ModelConfig
from forecastr.errors import ArtifactError
from forecastr.losses import Pinball
from forecastr.modeldir import DIGEST_KEY, config_digest
from forecastr.models import QuantileHead, build

OPTS = {"cell": "gru", "hidden": 8, "layers": 1, "window": 12, "horizon": 4, "ensemble": 1}
TRAIN = {"epochs": 4, "batch_size": 16, "max_batches": 4, "seed": 3, "patience": 100}
H = OPTS["horizon"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny model with 80% and 95% intervals and a 0.5 quantile, and its twin without."""
    root = tmp_path_factory.mktemp("quantiles")
    panel = make_panel([60, 75, 52])
    q = api.train(panel, **OPTS, **TRAIN, levels=(80, 95), quantiles=(0.5,), out=str(root / "q"))
    p = api.train(panel, **OPTS, **TRAIN, out=str(root / "p"))
    return panel, q, p, root


def test_pinball_loss_matches_a_hand_computation():
    q = torch.tensor([[[1.0, 2.0]]])  # (1, 1, 2): quantiles 0.1 and 0.9
    y = torch.tensor([[1.5]])
    # tau 0.1, q 1 (y above): 0.1 * 0.5; tau 0.9, q 2 (y below): (0.9 - 1) * -0.5
    expected = (0.1 * 0.5 + 0.1 * 0.5) / 2
    got = Pinball((0.1, 0.9))(q, y)
    assert float(got) == pytest.approx(expected)
    assert Pinball((0.1, 0.9), reduction="none")(q, y).shape == (1, 1)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.lists(st.sampled_from([0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]), min_size=1),
    st.integers(0, 1000),
    st.floats(0.1, 50),
)
def test_quantiles_never_cross_whatever_the_weights(taus, seed, spread):
    taus = tuple(sorted(set(taus)))
    torch.manual_seed(seed)
    head = QuantileHead(6, 3, taus)
    with torch.no_grad():
        for p in head.parameters():
            p.mul_(spread)  # large weights: raw values far into softplus' tails
    point = torch.randn(32, 3) * spread
    unit = torch.rand(32, 1) * spread + 1e-3  # the windows' roughness
    q = head(torch.randn(32, 6) * spread, point, unit)
    assert (q.diff(dim=-1) >= 0).all()
    if 0.5 not in taus:  # without a centre quantile, the point lies inside every interval
        for i, t in enumerate(taus):
            side = q[..., i] - point
            assert (side <= 0).all() if t < 0.5 else (side >= 0).all()


def test_the_point_forecast_is_exactly_that_of_the_model_without_intervals(trained):
    panel, q, p, _ = trained
    x = torch.from_numpy(panel.y[:12].astype(np.float32))[None]
    idx = torch.tensor([0])
    with torch.no_grad():
        both = q.result.model(x, idx)
        alone = p.result.model(x, idx)
    assert both.shape == (1, H, 1 + 5)  # point, then 0.025, 0.1, 0.5, 0.9, 0.975
    assert torch.equal(both[..., 0], alone)
    assert q.holdout.summary["best_epoch"] == p.holdout.summary["best_epoch"]
    assert (both[..., 1:].diff(dim=-1) >= 0).all()


def test_an_interval_model_adds_only_its_head_to_a_plain_network():
    cfg = ModelConfig(window=12, horizon=4, hidden=8, layers=1, levels=(80.0,))
    torch.manual_seed(0)
    with_head = build(cfg)
    torch.manual_seed(0)
    plain = build(replace(cfg, levels=()))
    extra = set(with_head.state_dict()) - set(plain.state_dict())
    assert extra == {"quantile_head.linear.weight", "quantile_head.linear.bias"}
    for k, v in plain.state_dict().items():
        assert torch.equal(v, with_head.state_dict()[k])


def test_calibration_never_reads_the_test_part(trained, tmp_path):
    panel, q, _, _ = trained
    y = panel.y.copy()
    for end in panel.offsets[1:]:
        y[end - H : end] = y[end - H : end] * -50.0 + 1e4
    wrecked = api.train(
        replace(panel, y=y),
        **OPTS,
        **TRAIN,
        levels=(80, 95),
        quantiles=(0.5,),
        out=str(tmp_path / "w"),
        refit=False,
    )
    a, b = q.holdout.calibration, wrecked.holdout.calibration
    assert a is not None and b is not None
    np.testing.assert_array_equal(a.factor, b.factor)
    np.testing.assert_array_equal(a.shift, b.shift)
    # every step had the validation size's scores from each of the 3 series, before pooling
    assert a.series == 3 and a.windows == 3 * (2 * H - 1)


def test_the_refit_carries_its_holdouts_calibration_into_the_saved_model(trained):
    _, q, _, root = trained
    hold, refit = q.holdout.calibration, q.result.calibration
    assert q.refit and refit.transferred and not hold.transferred
    for name in ("margin", "shift", "count"):  # only the factors are matched to the refit
        np.testing.assert_array_equal(getattr(refit, name), getattr(hold, name))
    assert not hold.guaranteed and (refit.factor >= 1.0).all()  # too few points: only widen
    cfg = json.loads((root / "q" / "config.json").read_text())
    assert cfg["model"]["levels"] == [80.0, 95.0] and cfg["model"]["quantiles"] == [0.5]
    stored = cfg["calibration"]
    assert stored["factor"] == refit.to_dict()["factor"] and stored["transferred"] is True
    assert len(stored["factor"]) == H and len(stored["factor"][0]) == 5
    fc = load(str(root / "q")).predictor()
    windows = np.stack([panel_tail(q.panel, i) for i in range(3)])
    point, quant = fc.forecast_quantiles(windows, q.panel.ids)
    with torch.no_grad():
        direct = q.result.model(
            torch.from_numpy(windows.astype(np.float32)), torch.arange(3)
        ).double()
    np.testing.assert_allclose(point, direct[..., 0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(quant, direct[..., 1:].numpy(), rtol=1e-6)
    assert fc.levels == (80.0, 95.0) and fc.network_quantiles == (0.025, 0.1, 0.5, 0.9, 0.975)


def panel_tail(panel, i: int) -> np.ndarray:
    return panel.y[panel.offsets[i + 1] - 12 : panel.offsets[i + 1]]


def test_predict_writes_the_interval_columns_in_every_format(trained, tmp_path):
    root = trained[3]
    frame = api.predict(str(root / "q"))
    assert list(frame.columns) == [
        "unique_id",
        "ds",
        "forecast",
        "lo-80",
        "hi-80",
        "lo-95",
        "hi-95",
        "q-0.5",
    ]
    v = frame[["lo-95", "lo-80", "q-0.5", "hi-80", "hi-95"]].to_numpy()
    assert np.isfinite(v).all() and (np.diff(v, axis=1) >= 0).all()
    for fmt in ("csv", "json", "parquet"):
        path = tmp_path / f"fc.{fmt}"
        api.predict(str(root / "q"), out=str(path), fmt=fmt)
        back = {
            "csv": pd.read_csv,
            "json": lambda p: pd.read_json(p, orient="records"),
            "parquet": pd.read_parquet,
        }[fmt](path)
        assert list(back.columns) == list(frame.columns)
        np.testing.assert_allclose(back["hi-95"], frame["hi-95"], rtol=1e-6)


def test_a_point_model_keeps_todays_output_and_artifact(trained):
    _, _, p, root = trained
    assert list(api.predict(str(root / "p")).columns) == ["unique_id", "ds", "forecast"]
    cfg = json.loads((root / "p" / "config.json").read_text())
    assert "calibration" not in cfg and p.result.calibration is None


@pytest.mark.parametrize(
    "edit, field",
    [
        (lambda c: c["calibration"]["factor"][0].__setitem__(0, -1.0), "calibration.factor[0]"),
        (lambda c: c["calibration"]["factor"].pop(), "calibration.factor"),
        (lambda c: c["calibration"]["shift"].__setitem__(1, "x"), "calibration.shift[1]"),
        (lambda c: c["calibration"]["count"].__setitem__(0, -3), "calibration.count[0]"),
        (lambda c: c["calibration"].__setitem__("transferred", "yes"), "calibration.transferred"),
        (lambda c: c["model"].__setitem__("levels", [80.0, 120.0]), "model.levels"),
        (lambda c: c["model"].__setitem__("quantiles", [0.9, 0.1]), "model.quantiles"),
        (lambda c: c["model"].__setitem__("levels", []), "calibration"),
    ],
)
def test_a_damaged_calibration_or_level_is_refused_naming_the_field(trained, tmp_path, edit, field):
    import shutil

    _, _, _, root = trained
    target = tmp_path / "m"
    shutil.copytree(root / "q", target)
    cfg_path = target / "config.json"
    cfg = json.loads(cfg_path.read_text())
    edit(cfg)
    cfg[DIGEST_KEY] = config_digest(cfg)  # resealed: the field's own check must refuse it
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(ArtifactError) as err:
        load(str(target)).predictor()
    assert field in str(err.value) and "\n" not in str(err.value)


def test_the_cli_trains_intervals_and_refuses_bad_levels_in_one_line(runner, tmp_path):
    csv = tmp_path / "d.csv"
    panel = make_panel([60, 70])
    rows = [
        (sid, ts, v)
        for i, sid in enumerate(panel.ids)
        for ts, v in zip(
            panel.timestamps(i), panel.y[panel.offsets[i] : panel.offsets[i + 1]], strict=True
        )
    ]
    pd.DataFrame(rows, columns=["unique_id", "ds", "y"]).to_csv(csv, index=False)
    flags = ["--hidden", "8", "--layers", "1", "--epochs", "2", "--ensemble", "1", "--window", "12"]
    out = tmp_path / "m"
    res = runner.invoke(
        app, ["train", str(csv), *flags, "--level", "90", "-o", str(out), "--quiet"]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["predict", str(out)])
    assert res.exit_code == 0 and res.output.splitlines()[0].endswith("forecast,lo-90,hi-90")
    for bad in ("120", "abc", "0"):
        res = runner.invoke(app, ["train", str(csv), *flags, "--level", bad, "-o", str(out)])
        assert res.exit_code != 0 and "--level" in res.output
        assert "Traceback" not in res.output
    res = runner.invoke(app, ["train", str(csv), *flags, "--quantiles", "1.5", "-o", str(out)])
    assert res.exit_code != 0 and "--quantiles" in res.output


def test_evaluate_scores_baseline_intervals_at_the_levels_asked(runner, tmp_path):
    csv = tmp_path / "d.csv"
    panel = make_panel([60, 70])
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(panel.ids, panel.lengths),
            "ds": np.concatenate([panel.timestamps(i) for i in range(2)]),
            "y": panel.y,
        }
    )
    frame.to_csv(csv, index=False)
    res = runner.invoke(app, ["evaluate", str(csv), "--level", "80,95", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["levels"] == [80.0, 95.0]
    row = next(r for r in report["summary"] if r["method"] == "seasonal_naive")
    assert 0.0 <= row["coverage-95"] <= 1.0 and row["msis-95"] > 0
    res = runner.invoke(app, ["evaluate", str(csv), "--level", "150"])
    assert res.exit_code != 0 and "--level" in res.output


def test_the_graphs_calibration_is_the_stored_numbers_applied(trained):
    """Scaled's constants do what intervals.apply_calibration does with config.json's numbers."""
    from forecastr.calibration import scaled_outputs
    from forecastr.intervals import apply_calibration

    panel, q, _, _ = trained
    model, cal = q.holdout.model, q.holdout.calibration
    windows = np.stack([panel_tail(panel, i) for i in range(3)])
    raw = scaled_outputs(model, windows, np.arange(3))  # (3, H, 1 + K), uncalibrated
    scale = model.scale.double().numpy()[:, None, None]
    loc = model.loc.double().numpy()[:, None, None]
    expected = apply_calibration(raw, cal, model.model.quantile_head.taus)
    with torch.no_grad():
        got = model(torch.from_numpy(windows.astype(np.float32)), torch.arange(3)).double()
    np.testing.assert_allclose(got[..., 1:].numpy(), expected * scale + loc, rtol=1e-5)


def test_the_refit_matches_the_holdouts_calibrated_widths_on_its_windows(trained):
    """calibration.transfer: on the holdout's calibration windows, the median ratio of the
    refit's calibrated increments to the holdout's is 1 for every step and quantile."""
    import copy

    from forecastr.calibration import _origins, _series, transfer
    from forecastr.intervals import Nesting
    from forecastr.windows import right_aligned_padded

    panel, q, _, _ = trained
    hold, refit = q.holdout, copy.deepcopy(q.result)
    taus = hold.model.model.quantile_head.taus
    cal = replace(hold.calibration, guaranteed=True)  # no widen-only floor
    matched = transfer(
        cal, panel.y, hold.split, taus, (hold.model, hold.scaler), (refit.model, refit.scaler)
    )
    rows, starts, ends, _, _ = _origins(hold.split, _series(hold.split))
    x = torch.from_numpy(right_aligned_padded(panel.y, starts, ends, 12).astype(np.float32))
    diff, _ = Nesting.of(taus).matrices()
    hold.model.calibrate(cal, taus)
    with torch.no_grad():
        a = np.abs(hold.model(x, torch.from_numpy(rows)).double().numpy() @ diff)
        b = np.abs(refit.model(x, torch.from_numpy(rows)).double().numpy() @ diff)
    hold.model.calibrate(hold.calibration, taus)
    assert len(rows) % 2 == 1 and matched.transferred
    has = diff.any(axis=0)  # the 0.5 quantile has no increment of its own
    np.testing.assert_allclose(np.median(b[..., has] / a[..., has], axis=0), 1.0, rtol=1e-4)
    np.testing.assert_array_equal(matched.factor[:, ~has], cal.factor[:, ~has])


def test_a_training_step_gives_the_point_network_bit_identical_gradients():
    """The quantile head changes nothing of the point network's step, not even the order in
    which a gradient is summed (a sliced, non-contiguous one once moved the bias's last bit)."""
    from forecastr.losses import Pinball

    cfg = ModelConfig(window=48, horizon=24, hidden=16, layers=2, season_length=12)
    torch.manual_seed(0)
    plain = build(cfg)
    torch.manual_seed(0)
    with_head = build(replace(cfg, levels=(80.0, 95.0)))
    gen = torch.Generator().manual_seed(1)
    x, y = torch.randn(256, 48, generator=gen), torch.randn(256, 24, generator=gen)
    loss = torch.nn.L1Loss()
    loss(plain(x), y).backward()
    out = with_head(x)
    (loss(out[..., 0], y) + Pinball((0.025, 0.1, 0.9, 0.975))(out[..., 1:], y)).backward()
    grads = dict(with_head.named_parameters())
    for name, p in plain.named_parameters():
        assert torch.equal(p.grad, grads[name].grad), name
