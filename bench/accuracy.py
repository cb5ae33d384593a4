"""Benchmark: held-out accuracy of the CLI's default model on every sample file.

For each sample file, each backbone (rnn, lstm, gru) and each head (direct, seq2seq,
seq2seq + attention), train with exactly the defaults of ``forecastr train`` (its
``config.TrainOptions``, so this script follows the CLI when its defaults change) over several
seeds, and score the model on the held-out test part (the last horizon of each series)
against the baselines, as ``forecastr train`` reports it. Prints, per file and variant:

* model MASE: median and [min, max] over the seeds;
* seasonal-naive MASE and the best baseline's MASE (these do not depend on the seed);
* the share of seeds on which the model beat seasonal naive and the best baseline;
* fit time (median seconds of ``train.fit``, all ensemble members).

Seeds are spaced by 100 so that the ensemble members of different seeds (seed, seed+1, ...)
never overlap. Each finished run is appended to ``--results`` (JSON lines, by default
``forecastr-accuracy.jsonl`` in the system temp folder), and runs already
there are skipped, so a long benchmark can be stopped and resumed, and ``--report`` reprints
the table without training.

    .venv/bin/python bench/accuracy.py                        # everything (hours on 2 CPUs)
    .venv/bin/python bench/accuracy.py --files drivers,iowa --cells gru --heads direct
    .venv/bin/python bench/accuracy.py --set ensemble=1 --set window=24 --tag ens1-w24
    .venv/bin/python bench/accuracy.py --report               # table from --results only

``--set key=value`` overrides one CLI default (a ``forecastr train`` option name, with
underscores: window, ensemble, lr, loss, epochs, patience, hidden, layers, ...); ``--tag``
labels such runs so they sit beside the default runs in one results file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import fields

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

FILES = {
    "drivers": "sample_data/uk_drivers_monthly.csv",
    "employment": "sample_data/us_employment_monthly_wide.csv",
    "seattle": "sample_data/seattle_temperature_hourly.csv",
    "iowa": "sample_data/iowa_electricity_yearly_long.csv",
}
CELLS = ("auto", "rnn", "lstm", "gru")  # auto: the default, chosen on validation
HEADS = {  # label -> (decoder, attention)
    "direct": ("direct", False),
    "seq2seq": ("seq2seq", False),
    "attn": ("seq2seq", True),
}


def cli_defaults() -> dict:
    """Default value of every ``forecastr train`` option and ingest flag, by name (the CLI
    reads them from ``config.TrainOptions`` and ``data.IngestOptions``), the seed aside."""
    from forecastr.config import TrainOptions
    from forecastr.data import IngestOptions

    out = {}
    for cls in (TrainOptions, IngestOptions):
        out.update({f.name: getattr(cls(), f.name) for f in fields(cls)})
    out.pop("seed")
    return out


def split_options(opts: dict, seed: int):
    """Option values by name -> (``config.TrainOptions``, ``data.IngestOptions``)."""
    from forecastr.config import TrainOptions
    from forecastr.data import IngestOptions

    opts = dict(opts)
    season = opts.pop("season_length", None)
    if isinstance(season, str):
        season = [int(v) for v in season.split(",") if v]
    ingest_fields = {f.name for f in fields(IngestOptions)}
    ingest = {k: opts.pop(k) for k in list(opts) if k in ingest_fields}
    return TrainOptions(**opts, season_length=season, seed=seed), IngestOptions(**ingest)


def parse_value(text: str):
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(text.lower(), text)


def run_one(
    path: str, cell: str, head: str, seed: int, overrides: dict, protocol: str = "holdout"
) -> dict:
    """Train once with the CLI defaults (plus ``overrides``) and score the held-out test.

    ``holdout``: the report ``forecastr train`` prints (the holdout run's model on the last
    horizon). ``competition``: the file without its last horizon goes to ``api.train`` (which
    refits on every point it is given, as the CLI does by default), and the saved model
    forecasts that horizon from the end of its data, as `train` then `predict` would; it is
    scored beside every baseline, seasonal naive at each season the data has included.
    """
    from forecastr import api, frequency
    from forecastr.combine import combined
    from forecastr.data import load_csv
    from forecastr.torch_predictor import TorchPredictor

    opts = {**cli_defaults(), **overrides, "cell": cell}
    opts["decoder"], opts["attention"] = HEADS[head]
    options, ingest = split_options(opts, seed)
    panel = load_csv(os.path.join(ROOT, path), ingest)
    given = panel
    if protocol == "competition":
        h = options.horizon or frequency.default_horizon(panel.freq)
        given = panel.truncate(panel.lengths - h)
    t0 = time.perf_counter()
    out = api.train(given, options=options, save_model=False)
    wall = time.perf_counter() - t0
    rep = out.report
    if out.theta_only is not None:  # every series too short for a network (thetaonly.py)
        return theta_only_row(out, panel, rep, wall, protocol)
    if protocol == "competition":
        cfg = out.result.model_cfg
        net = TorchPredictor(out.result.model, panel.ids, cfg, train_end=None)
        fc = combined(net, out.mix)  # what the saved model forecasts, averaged or not
        rep = competition_report(panel, out, fc, cfg.horizon, cfg.season_length)
    baselines = [m for m in rep.methods if m != rep.model]
    best = min(baselines, key=lambda m: rep.score(m, "mase"))
    cfg = out.result.model_cfg
    return {
        "model_mase": rep.score(rep.model, "mase"),
        "snaive_mase": rep.score("seasonal_naive", "mase"),
        "best_baseline": best,
        "best_baseline_mase": rep.score(best, "mase"),
        "fit_s": out.result.summary["seconds"]
        + (out.holdout.summary["seconds"] if out.holdout is not out.result else 0.0),
        "wall_s": wall,
        "epochs_run": out.result.summary["epochs_run"],
        "chosen_cell": cfg.cell,
        "window": cfg.window,
        "horizon": cfg.horizon,
        "season_length": cfg.season_length,
        "ensemble": cfg.ensemble,
        "config": cfg.to_dict(),
        "theta": out.result.summary.get("theta"),  # the combination validation chose
    }


def competition_report(panel, out, fc, horizon: int, season: int):
    """``fc`` (the saved model, forecasting from the end of the data it was given) on the
    held-out last horizon of ``panel``, beside every baseline and seasonal naive at each
    season the data has."""
    from forecastr import autoconfig, frequency
    from forecastr.evaluate import backtest

    seasons = sorted(
        {e.period for e in out.seasons} | set(frequency.seasonalities_for(panel.freq)) | {season}
    )
    return backtest(
        panel,
        horizon=horizon,
        season_length=autoconfig.main_season(out.seasons, panel.freq),
        seasons=seasons,
        model=fc,
    )


def theta_only_row(out, panel, rep, wall: float, protocol: str) -> dict:
    """The row of a run that saved the Theta method alone (no network could train)."""
    from forecastr.thetaonly import ThetaPredictor

    m = out.theta_only.model_config
    if protocol == "competition":
        fc = ThetaPredictor(panel.ids, m)
        rep = competition_report(panel, out, fc, m["horizon"], m["season_length"])
    baselines = [k for k in rep.methods if k != rep.model]
    best = min(baselines, key=lambda k: rep.score(k, "mase"))
    return {
        "model_mase": rep.score(rep.model, "mase"),
        "snaive_mase": rep.score("seasonal_naive", "mase"),
        "best_baseline": best,
        "best_baseline_mase": rep.score(best, "mase"),
        "fit_s": out.theta_only.seconds,
        "wall_s": wall,
        "epochs_run": [],
        "chosen_cell": "theta",  # the Theta method alone
        "window": m["window"],
        "horizon": m["horizon"],
        "season_length": m["season_length"],
        "ensemble": 0,
        "config": m,
        "theta": {"weight": 1.0, "theta_only": out.theta_only.reason},
    }


def key_of(r: dict) -> tuple:
    return (r["file"], r["cell"], r["head"], r["seed"], r.get("tag", ""), r.get("protocol", ""))


def load_results(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def fmt(v: float) -> str:
    return f"{v:.2f}"


def table(results: list[dict], tag: str | None) -> str:
    """Markdown table: one row per (file, tag, cell, head), statistics over seeds."""
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        if tag is not None and r.get("tag", "") != tag:
            continue
        variant = r.get("tag", "") + (
            " [competition]" if r.get("protocol") == "competition" else ""
        )
        groups.setdefault((r["file"], variant, r["cell"], r["head"]), []).append(r)
    order_f = {f: i for i, f in enumerate(FILES)}
    order_c = {c: i for i, c in enumerate(CELLS)}
    order_h = {h: i for i, h in enumerate(HEADS)}
    rows = [
        "| file | variant | model | seeds | model MASE median [min, max] | seasonal naive "
        "| best baseline | beats s.naive | beats best | fit s (median) |",
        "| --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for f, t, c, h in sorted(
        groups, key=lambda g: (order_f.get(g[0], 9), g[1], order_c[g[2]], order_h[g[3]])
    ):
        rs = groups[(f, t, c, h)]
        m = [r["model_mase"] for r in rs]
        sn = rs[0]["snaive_mase"]
        bb = rs[0]["best_baseline_mase"]
        name = c.upper() + {"direct": "", "seq2seq": " seq2seq", "attn": " seq2seq+attn"}[h]
        if c == "auto":  # which cell each seed's run chose
            name += " (" + ", ".join(r.get("chosen_cell", "?").upper() for r in rs) + ")"
        rows.append(
            f"| {f} | {t or 'defaults'} | {name} | {len(rs)} | {fmt(statistics.median(m))} "
            f"[{fmt(min(m))}, {fmt(max(m))}] | {fmt(sn)} | {rs[0]['best_baseline']} {fmt(bb)} "
            f"| {sum(v < sn for v in m)}/{len(m)} | {sum(v < bb for v in m)}/{len(m)} "
            f"| {statistics.median(r['fit_s'] for r in rs):.0f} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", default=",".join(FILES), help=f"subset of {', '.join(FILES)}")
    ap.add_argument("--cells", default=",".join(CELLS))
    ap.add_argument("--heads", default=",".join(HEADS), help="direct, seq2seq, attn")
    ap.add_argument("--seeds", default="0,100,200")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one `forecastr train` default (repeatable)",
    )
    ap.add_argument("--tag", default="", help="label for runs with --set overrides")
    ap.add_argument(
        "--protocol",
        choices=("holdout", "competition"),
        default="holdout",
        help="holdout: train's own report; competition: train on the file without its last "
        "horizon, forecast it with the saved model",
    )
    ap.add_argument(
        "--results",
        default=os.path.join(tempfile.gettempdir(), "forecastr-accuracy.jsonl"),
        help="JSON-lines file of finished runs (appended to; runs in it are skipped)",
    )
    ap.add_argument("--report", action="store_true", help="print the table; train nothing")
    ap.add_argument("--all-tags", action="store_true", help="--report: every tag, not --tag's")
    args = ap.parse_args(argv)

    files = [f for f in args.files.split(",") if f]
    for f in files:
        if f not in FILES:
            raise SystemExit(f"unknown file {f!r}; choose from {', '.join(FILES)}")
    cells = [c for c in args.cells.split(",") if c]
    heads = [h for h in args.heads.split(",") if h]
    seeds = [int(s) for s in args.seeds.split(",") if s]
    overrides = {}
    for item in args.set:
        k, _, v = item.partition("=")
        k = k.replace("-", "_")
        if k not in cli_defaults():
            raise SystemExit(f"--set {k}: not a `forecastr train` option")
        overrides[k] = parse_value(v)
    if overrides and not args.tag:
        args.tag = ",".join(f"{k}={v}" for k, v in overrides.items())

    if not args.report:
        import torch

        print(
            f"python {platform.python_version()}, torch {torch.__version__}, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        done = {key_of(r) for r in load_results(args.results)}
        for f in files:
            for c in cells:
                for h in heads:
                    for s in seeds:
                        proto = "" if args.protocol == "holdout" else args.protocol
                        key = (f, c, h, s, args.tag, proto)
                        if key in done:
                            continue
                        r = run_one(FILES[f], c, h, s, overrides, args.protocol)
                        r.update(
                            file=f,
                            cell=c,
                            head=h,
                            seed=s,
                            tag=args.tag,
                            set=overrides,
                            protocol=proto,
                        )
                        with open(args.results, "a") as fh:
                            fh.write(json.dumps(r) + "\n")
                        print(
                            f"{f:5s} {c:4s} {h:7s} seed {s:3d} {args.tag or 'defaults'}: "
                            f"MASE {r['model_mase']:.3f} (s.naive {r['snaive_mase']:.3f}, "
                            f"{r['best_baseline']} {r['best_baseline_mase']:.3f}) "
                            f"fit {r['fit_s']:.0f} s, epochs {r['epochs_run']}, "
                            f"cell {r['chosen_cell']}",
                            flush=True,
                        )
    results = load_results(args.results)
    print(table(results, None if args.all_tags else args.tag))


if __name__ == "__main__":
    main()
