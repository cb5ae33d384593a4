"""Files of few long series: validation on several horizons, each a window the Theta choice
is scored on. How many (``combine.choice_horizons``), that the holdout run validates on all
of them and never sees its test part, and that the choice is scored on every one of them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_train import fast, panel_of, sine, tiny

from forecastr import api
from forecastr.combine import CHOICE_FLOOR, CHOICE_WINDOWS, choice_horizons, with_validation
from forecastr.train import fit

W, H = 12, 4


def test_one_long_series_is_scored_on_every_window_the_choice_wants():
    assert choice_horizons(np.array([2000]), W, H, None) == CHOICE_WINDOWS


def test_many_series_keep_the_validation_window_alone():
    assert choice_horizons(np.full(CHOICE_WINDOWS, 2000), W, H, None) == 1
    assert choice_horizons(np.full(400, 2000), W, H, None) == 1


def test_a_few_series_share_the_windows():
    assert choice_horizons(np.full(2, 2000), W, H, None) == -(-CHOICE_WINDOWS // 2)


def test_a_validation_part_the_user_set_is_left_as_it_is():
    assert choice_horizons(np.array([2000]), W, H, 3 * H) == 1


def test_short_series_keep_their_training_points():
    # M3 and Tourism series given alone (309 points at most, monthly horizon 18 or 24)
    assert choice_horizons(np.array([309]), 36, 24, None) == 1
    assert choice_horizons(np.array([144]), 36, 18, None) == 1
    assert choice_horizons(np.array([0]), W, H, None) == 1
    assert choice_horizons(np.array([], dtype=np.int64), W, H, None) == 1


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 3000), min_size=1, max_size=12),
    window=st.integers(1, 400),
    horizon=st.integers(1, 60),
)
def test_the_shortest_series_always_keeps_its_training_floor(lengths, window, horizon):
    k = choice_horizons(np.array(lengths), window, horizon, None)
    assert 1 <= k <= -(-CHOICE_WINDOWS // len(lengths))
    if k > 1:  # window, floor, the choice's horizons (validation among them) and the test part
        assert min(lengths) >= window + (CHOICE_FLOOR + k + 1) * horizon


def test_a_file_of_one_long_series_validates_on_every_window_the_choice_scores():
    tc, k = with_validation(fast(), np.array([400]), W, H)
    assert k == CHOICE_WINDOWS and tc.val_size == k * H
    run = fit(panel_of(sine(400)), tiny(), tc)
    assert run.split.val_end[0] - run.split.train_end[0] == k * H
    assert run.split.val_end[0] == 400 - H  # the test part: the last horizon


def test_many_series_and_the_users_validation_part_are_left_as_they_are():
    tc = fast()
    assert with_validation(tc, np.full(400, 2000), W, H) == (tc, 1)
    given = fast(val_size=3 * H)
    assert with_validation(given, np.array([2000]), W, H) == (given, 1)


def test_the_test_part_stays_unseen_with_several_validation_horizons():
    """Values changed in the test part change neither the scaler nor a training or
    validation loss of a run validated on every choice window."""
    y = sine(400)
    other = y.copy()
    other[-H:] += 50.0
    tc = with_validation(fast(epochs=3, patience=100), np.array([400]), W, H)[0]
    a, b = fit(panel_of(y), tiny(), tc), fit(panel_of(other), tiny(), tc)
    np.testing.assert_array_equal(a.scaler.loc, b.scaler.loc)
    np.testing.assert_array_equal(a.scaler.scale, b.scaler.scale)
    assert a.history == b.history


def test_the_validation_horizons_are_read_by_early_stopping():
    """The control for the test above: a change in the first validation horizon moves the
    validation loss, and leaves the training loss as it was."""
    y = sine(400)
    other = y.copy()
    tc, k = with_validation(fast(epochs=3, patience=100), np.array([400]), W, H)
    first = 400 - H - k * H
    other[first : first + H] += 50.0
    a, b = fit(panel_of(y), tiny(), tc), fit(panel_of(other), tiny(), tc)
    assert a.history["train_loss"] == b.history["train_loss"]
    assert a.history["val_loss"] != b.history["val_loss"]


def test_a_fold_refit_validates_as_the_holdout_run_did(monkeypatch):
    """``evaluate --refit`` retrains each fold with the validation part ``train`` would use."""
    from types import SimpleNamespace

    from forecastr import foldrefit, train

    asked = []

    def spy(panel, mcfg, tcfg, *args, **kwargs):
        asked.append(tcfg.val_size)
        raise RuntimeError("stop")

    monkeypatch.setattr(train, "fit", spy)
    fc = SimpleNamespace(training_config=fast().to_dict(), model_config=tiny().to_dict(), mix=None)
    refit = foldrefit.make_refit(fc)
    for n_series in (1, 400):
        with pytest.raises(RuntimeError):
            refit(panel_of(*[sine(400)] * n_series), 0)
    assert asked == [CHOICE_WINDOWS * H, None]


@pytest.mark.parametrize("n_series", [1, 8])
def test_the_choice_is_scored_on_each_origin(tmp_path, n_series):
    series = [sine(400, seed=i) for i in range(n_series)]
    outcome = api.train(
        panel_of(*series, freq="h"),
        cell="gru", hidden=8, layers=1, ensemble=1, epochs=2, window=W, horizon=H,
        save_model=False,
    )  # fmt: skip
    scores = outcome.result.summary["theta"]["validation"]
    k = choice_horizons(np.full(n_series, 400), W, H, None)
    assert scores["series"] == n_series * k
    assert scores.get("origins", 1) == k
    assert (k > 1) == (n_series == 1)


def test_the_summary_says_how_many_windows_chose():
    from forecastr.present import theta_text

    scores = {"0": 0.65, "0.5": 0.68, "1": 0.81, "series": 7, "origins": 7}
    assert theta_text({"weight": 0.5, "validation": scores}) == (
        "weight 0.5 (validation scaled MAE: network 0.650, with Theta 0.680, Theta alone "
        "0.810; 7 windows, 7 per series)"
    )


class _Scripted:
    """A network whose forecasts are given in the order ``choose_mix`` asks for them: the
    validation window first, then each horizon before it."""

    def __init__(self, outputs: list[np.ndarray]):
        self.outputs = list(outputs)

    def forecast(self, rows, ids):
        return self.outputs.pop(0)


def _choice_with(net_error: list[float]) -> tuple[float, dict]:
    """choose_mix on one long series whose network misses the j-th window (0: validation)
    by ``net_error[j]`` at every step."""
    from types import SimpleNamespace

    from forecastr.config import TrainConfig
    from forecastr.holdout import choose_mix
    from forecastr.windows import split_panel

    y = sine(600, noise=0.5)
    panel = panel_of(y, freq="h")
    cfg = tiny(season_length=1)
    split = split_panel(panel, W, H, val_size=len(net_error) * H)
    origins = [int(split.val_end[0]) - (j + 1) * H for j in range(len(net_error))]
    outputs = [(y[o : o + H] + e)[None, :] for o, e in zip(origins, net_error, strict=True)]
    run = SimpleNamespace(
        split=split, model_cfg=cfg, train_cfg=TrainConfig(epochs=10),
        summary={"epochs_run": [4]},
    )  # fmt: skip
    mix = choose_mix(panel, run, _Scripted(outputs), 1, horizons=len(net_error))
    return (0.0 if mix is None else mix.weight), run.summary["theta"]["validation"]


def test_a_clear_lead_on_the_validation_window_keeps_the_network_alone():
    weight, scores = _choice_with([0.0, 30.0, 30.0])  # exact on the last window only
    assert scores["origins"] == 3 and scores["series"] == 3
    assert scores["last_window"]["0"] == 0.0 and scores["0"] > scores["0.5"]
    assert weight == 0.0


def test_a_lead_over_the_horizons_before_it_keeps_the_network_alone():
    weight, scores = _choice_with([3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    assert scores["last_window"]["0"] > scores["last_window"]["0.5"]  # alone: the average
    assert weight == 0.0


def test_the_average_stays_when_neither_choice_keeps_the_network():
    weight, scores = _choice_with([30.0, 30.0, 30.0])
    assert weight == 0.5 and scores["0.5"] < scores["0"]


def test_only_the_window_early_stopping_read_takes_the_optimism_margin():
    from forecastr.combine import NETWORK_MARGIN, NOISE_MARGIN, margin

    assert margin(7, seen=1.0) == pytest.approx(NETWORK_MARGIN - NOISE_MARGIN / np.sqrt(7))
    assert margin(7, seen=1 / 7) == pytest.approx(1 - 0.1 / 7 - NOISE_MARGIN / np.sqrt(7))
    assert margin(7) < margin(7, seen=1 / 7) < margin(7, early_stopped=False)
    assert margin(7, early_stopped=False, seen=1 / 7) == margin(7, early_stopped=False)


def test_a_lead_between_the_two_margins_keeps_the_network_only_on_unseen_windows():
    from forecastr.combine import choose, margin

    actual = np.zeros((7, 4))
    theta_fc = np.full((7, 4), 2.0)  # the average misses by 1 + network / 2
    lead = (margin(7) + margin(7, seen=1 / 7)) / 2  # network / average, between the margins
    network = np.full((7, 4), 2 * lead / (2 - lead))  # |n| / (1 + |n| / 2) = lead
    scale = np.ones(7)
    assert choose(network, theta_fc, actual, scale)[0] == 0.5
    weight, scores = choose(network, theta_fc, actual, scale, seen=1 / 7)
    assert weight == 0.0 and scores["0"] / scores["0.5"] == pytest.approx(lead)


def test_every_window_of_the_choice_was_read_by_early_stopping(monkeypatch):
    """Both choices take the whole optimism margin: early stopping read every window."""
    from forecastr import holdout

    seen = []

    def spy(*args, **kwargs):
        seen.append(kwargs.get("seen", 1.0))
        return real(*args, **kwargs)

    real = holdout.choose
    monkeypatch.setattr(holdout, "choose", spy)
    _choice_with([30.0, 30.0, 30.0])
    assert seen == [1.0, 1.0]
