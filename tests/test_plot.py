"""Figures are written as non-empty PNGs, atomically."""

import numpy as np
import pandas as pd
import pytest

from forecastr.errors import InputError
from forecastr.evaluate import backtest
from forecastr.panel import Panel
from forecastr.plot import plot_forecasts

pytest.importorskip("matplotlib")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_panel(n_series: int, n: int = 60, freq: str | None = "MS") -> Panel:
    t = np.arange(n)
    ys = [10 + i + 3 * np.sin(2 * np.pi * t / 12) + 0.05 * t for i in range(n_series)]
    if freq is None:
        ds = [t.astype(np.int64) for _ in ys]
    else:
        ds = [pd.date_range("2015-01-01", periods=n, freq=freq).values for _ in ys]
    return Panel(
        ids=[f"series_{i}" for i in range(n_series)],
        y=np.concatenate(ys),
        ds=np.concatenate(ds),
        offsets=np.arange(n_series + 1, dtype=np.int64) * n,
        freq=freq,
    )


class LastSeason:
    name, window, horizon, train_end = "GRU", 12, 6, None

    def forecast(self, windows, series_ids):
        return windows[:, : self.horizon]


@pytest.mark.parametrize("freq", ["MS", None])
def test_plot_forecasts_writes_png(tmp_path, freq):
    panel = make_panel(8, freq=freq)
    report = backtest(panel, horizon=6, season_length=12, folds=2, model=LastSeason())
    path = plot_forecasts(report, panel, tmp_path / "out" / "forecast.png")
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000
    assert sorted(p.name for p in path.parent.iterdir()) == ["forecast.png"]  # no temp file left


def test_plot_forecasts_selected_series_and_unknown_id(tmp_path):
    panel = make_panel(3)
    report = backtest(panel, horizon=6, season_length=12)
    path = plot_forecasts(report, panel, tmp_path / "one.png", series_ids=["series_2"])
    assert path.stat().st_size > 0
    with pytest.raises(InputError, match="'nope'"):
        plot_forecasts(report, panel, tmp_path / "x.png", series_ids=["nope"])


class LastSeasonWithIntervals(LastSeason):
    """``LastSeason`` with 80% and 95% intervals: the point plus fixed offsets."""

    levels, quantiles = (80.0, 95.0), ()
    network_quantiles = (0.025, 0.1, 0.9, 0.975)

    def forecast_quantiles(self, windows, series_ids):
        point = self.forecast(windows, series_ids)
        return point, point[..., None] + np.array([-2.0, -1.3, 1.3, 2.0])


@pytest.fixture
def figures(monkeypatch) -> list:
    """The figures ``plot`` writes, kept for inspection."""
    import forecastr.plot as plot

    kept: list = []
    save = plot._save_atomic

    def keep(fig, path):
        kept.append(fig)
        return save(fig, path)

    monkeypatch.setattr(plot, "_save_atomic", keep)
    return kept


def test_plot_draws_a_band_per_level_for_a_model_with_intervals(tmp_path, figures):
    from matplotlib.collections import PolyCollection

    panel = make_panel(2)
    report = backtest(panel, horizon=6, season_length=12, model=LastSeasonWithIntervals())
    path = plot_forecasts(report, panel, tmp_path / "bands.png")
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000
    ax = figures[0].axes[0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2  # 95% and 80%
    assert bands[0].get_alpha() < bands[1].get_alpha()  # the widest, drawn first, lightest
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "GRU 80% / 95%" in labels


def test_plot_draws_no_band_without_model_intervals(tmp_path, figures):
    from matplotlib.collections import PolyCollection

    panel = make_panel(1)
    report = backtest(panel, horizon=6, season_length=12, model=LastSeason(), levels=[80])
    plot_forecasts(report, panel, tmp_path / "plain.png")
    assert not [c for c in figures[0].axes[0].collections if isinstance(c, PolyCollection)]
