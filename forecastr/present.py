"""How the CLI shows things: rich tables of summaries and reports, JSON, the training progress
bar, and the warnings ingest, training and prediction leave. The consoles live here; ``cli.py``
parses and calls ``api``."""

from __future__ import annotations

import json
import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from forecastr.combine import WEIGHTS, score_key
from forecastr.config import AUTO_CELL_MARGIN
from forecastr.errors import shown

out = Console()
err = Console(stderr=True)


def print_json(obj) -> None:
    """``obj`` as indented JSON on stdout (plain print: no rich markup or wrapping)."""
    print(json.dumps(obj, indent=2))


def columns_text(cols: dict) -> str:
    """``id=unique_id, time=ds, target=y``: column names from the file, made safe to print
    (control characters escaped, long names cut); the caller escapes rich markup."""
    parts = []
    for k, v in cols.items():
        if isinstance(v, list):
            v = ",".join(shown(c, 40, quote=False) for c in v[:5]) + (",…" if len(v) > 5 else "")
        elif v:
            v = shown(v, 40, quote=False)
        if v:
            parts.append(f"{k}={v}")
    return ", ".join(parts)


def warn_fill(panel) -> None:
    from forecastr.data import fill_warning

    msg = fill_warning(panel)
    if msg:
        err.print(f"[yellow]warning:[/] {escape(msg)}", highlight=False)
    for note in getattr(panel, "notes", ()) or ():
        err.print(f"[yellow]note:[/] {escape(str(note))}", highlight=False)


class TrainProgress:
    """A rich progress bar fed by the library's progress callback."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.tasks: dict = {}  # (phase, training number) -> its bar's task

    def __enter__(self):
        if self.enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("epoch {task.completed}/{task.total}"),
                TextColumn("{task.fields[stats]}"),
                TimeElapsedColumn(),
                console=err,
                transient=False,
            )
            self.bar.__enter__()
        return self if self.enabled else None

    def __call__(self, ev: dict) -> None:
        if self.bar is None:
            return
        desc = f"member {ev['member'] + 1}/{ev['members']}" if ev["members"] > 1 else "training"
        if ev.get("cell"):
            desc += f" ({ev['cell'].upper()})"
        refit = ev.get("phase") == "refit"
        if refit:
            desc = f"refit {desc}" if ev["members"] > 1 else "refit on every point"
        key = (ev.get("phase"), ev["member"])  # members may train side by side (--jobs)
        if key not in self.tasks or ev["epoch"] == 1:
            self.tasks[key] = self.bar.add_task(desc, total=ev["epochs"], stats="")
        stats = (
            f"train {ev['train_loss']:.4f}  |g| {ev['grad_norm']:.3f}"
            if refit
            else f"train {ev['train_loss']:.4f}  val {ev['val_loss']:.4f}  "
            f"|g| {ev['grad_norm']:.3f}  best@{ev['best_epoch']}"
        )
        self.bar.update(self.tasks[key], completed=ev["epoch"], stats=stats)

    def __exit__(self, *exc):
        if self.bar is not None:
            for task in self.bar.tasks:  # a member that stopped early: its bar ends full
                self.bar.update(task.id, total=task.completed)
            self.bar.__exit__(*exc)
        return False


def seasons_text(seasons, unconfirmed=None) -> str:
    """``"336 (detected, acf 0.81), 48 (calendar, acf 0.74)"``; "none found" when empty; then
    the calendar's ``unconfirmed`` ones, ``"not confirmed: 12 (calendar, acf 0.45 <= 0.62)"``."""
    rejected = "; ".join(
        f"not confirmed: {d['period']} ({d['source']}, acf {d['acf']:.2f} <= {d['threshold']:.2f}"
        + (", a bound no acf reaches in series this short)" if d["threshold"] >= 1 else ")")
        for d in unconfirmed or []
    )
    found = _found_text(seasons)
    return f"{found}; {rejected}" if rejected else found


def _found_text(seasons) -> str:
    parts = []
    for e in seasons:
        d = e if isinstance(e, dict) else e.to_dict()
        acf = d.get("acf")
        ev = f", acf {acf:.2f} > {d.get('threshold', 0):.2f}" if acf == acf and acf else ""
        if d.get("periodogram") is not None:  # the ACF's floors, confirmed by the periodogram
            ev += f", periodogram in {d['periodogram']:.0%} of series"
        parts.append(f"{d['period']} ({d['source']}{ev})")
    return ", ".join(parts) or "none found"


def cell_choice_text(choice: dict) -> str:
    """``"RNN (validation loss GRU 0.6636, RNN 0.6378, mean of 2 seeds; another cell
    replaces the GRU when 2% lower on one seed and on two)"``: what ``--model auto`` chose."""
    cells = [c.upper() for c in choice["cells"]]
    losses = ", ".join(
        f"{c} {'diverged' if v is None else f'{v:.4f}'}"
        for c, v in zip(cells, choice["val_loss"], strict=True)
    )
    seeds = choice.get("seeds", 1)
    mean = f", mean of {seeds} seeds" if seeds > 1 else ""
    return (
        f"{choice['chosen'].upper()} (validation loss {losses}{mean}; another cell replaces "
        f"the {cells[0]} when {AUTO_CELL_MARGIN:.0%} lower on one seed and on two)"
    )


def theta_text(choice: dict) -> str:
    """``"weight 0.5 (validation scaled MAE: network 0.912, with Theta 0.874; 645 series)"``:
    what ``holdout.choose_mix`` chose."""
    v = choice.get("validation") or {}
    if not v.get("series"):
        return "not used (no series has a validation window to choose on)"
    net, mixed = v.get(score_key(0.0)), v.get(score_key(max(WEIGHTS)))
    alone = v.get(score_key(1.0))  # recorded since the THETA_FAR guard
    theta = "" if alone is None else f", Theta alone {alone:.3f}"
    origins = v.get("origins", 1)  # a file of few long series: every validation horizon
    scored = (
        f"{v['series']} series" if origins == 1 else f"{v['series']} windows, {origins} per series"
    )
    scores = f"validation scaled MAE: network {net:.3f}, with Theta {mixed:.3f}{theta}; {scored}"
    if v.get("season_unseen"):  # holdout.theta_unseen
        scores += "; too few points before validation for Theta's season: the average served"
    w = choice["weight"]
    if w > 0 and choice.get("ets_revision") is not None:  # combine.ets_member
        return f"weight {w:g}, in equal thirds with exponential smoothing ({scores})"
    return f"weight {w:g} ({scores})" if w > 0 else f"not used ({scores})"


_NO_NETWORK = "; no series fills the window: train saves the Theta method alone"


def print_theta_only_summary(outcome) -> None:
    """``train``'s summary when no series was long enough for the network."""
    run = outcome.theta_only
    m = run.model_config
    t = Table(title="Training summary: Theta", title_justify="left", show_header=False)
    t.add_column(style="bold")
    t.add_column()
    t.add_row("model", "the optimised Theta method alone: no series is long enough for a network")
    t.add_row("series", str(outcome.panel.n_series))
    sizes = f"{m['window']} / {m['horizon']} / {m['season_length']}"
    t.add_row("history read / horizon / season", sizes)
    t.add_row("seasons", escape(seasons_text(outcome.seasons)))
    floor_row(t, outcome.floor)
    t.add_row("time", f"{run.seconds:.1f} s")
    out.print(t)


def floor_row(t: Table, floor: float | None) -> None:
    """The summary's row for the floor forecasts keep, when there is one."""
    if floor is not None:
        t.add_row("floor", f"forecasts kept at {floor:g} or above: no value in the file is below")


def warn_theta_only(outcome) -> None:
    """On stderr: why the saved model is the Theta method alone."""
    if outcome.theta_only is None:
        return
    err.print(
        f"[yellow]warning:[/] no network trained: {escape(outcome.theta_only.reason)}; saved "
        "the Theta method alone, which fits from 3 points per series (a series of fewer "
        "repeats its last value; a network needs longer series, or a smaller --horizon, "
        "--val-size or --window)",
        highlight=False,
    )


def print_train_summary(outcome) -> None:
    if outcome.theta_only is not None:
        print_theta_only_summary(outcome)
        return
    holdout = outcome.holdout or outcome.result
    s = holdout.summary
    cfg = outcome.result.model_cfg
    t = Table(title=f"Training summary: {outcome.name}", title_justify="left", show_header=False)
    t.add_column(style="bold")
    t.add_column()
    t.add_row("series / train windows", f"{outcome.panel.n_series} / {s['train_windows']}")
    t.add_row(
        "window / horizon / base season / patch",
        f"{cfg.window} / {cfg.horizon} / {cfg.season_length} / {cfg.patch}",
    )
    if s.get("train_horizon"):
        t.add_row(
            "trained horizon",
            f"{s['train_horizon']} steps, the first {cfg.horizon} served (many series, no season)",
        )
    t.add_row("seasons", escape(seasons_text(outcome.seasons)))
    if s.get("cell_choice"):
        t.add_row("cell (--model auto)", cell_choice_text(s["cell_choice"]))
    if s.get("theta"):
        t.add_row("Theta combination", theta_text(s["theta"]))
    short = outcome.short or {}
    if short.get("padded"):
        t.add_row(
            "short series",
            f"{short['padded']} shorter than window + horizon + validation + test: their "
            "windows are padded with their first value",
        )
    floor_row(t, outcome.floor)
    t.add_row("epochs run", ", ".join(str(e) for e in s["epochs_run"]))
    t.add_row("best epoch", ", ".join(str(e) for e in s["best_epoch"]))
    t.add_row("best val loss", ", ".join(f"{v:.4f}" for v in s["best_val_loss"]))
    t.add_row("time", f"{s['seconds']:.1f} s on {s['device']} ({s['steps']} steps)")
    if outcome.refit:
        r = outcome.result.summary
        t.add_row(
            "refit on every point",
            f"{', '.join(str(e) for e in r['epochs_run'])} epochs, {r['seconds']:.1f} s",
        )
    t.add_row("grad norm median / max", f"{s['grad_norm_median']:.3g} / {s['grad_norm_max']:.3g}")
    clip = (
        "off" if not s["clip_norm"] else f"{s['clipped_share']:.0%} of steps at {s['clip_norm']:g}"
    )
    t.add_row("clipped", clip)
    if cfg.decoder == "seq2seq":
        hist = outcome.result.history
        ratios = (hist.get("members") or [hist])[0].get("teacher_forcing") or []
        if ratios:
            t.add_row(
                "teacher forcing",
                f"{ratios[0]:.2f} → {ratios[-1]:.2f} over {len(ratios)} epochs (per epoch in "
                "config.json history)",
            )
    out.print(t)


def _metric_header(metric: str) -> str:
    """Column title of a report metric: ``"MASE"``, ``"sMAPE %"``, ``"cov 95%"``, ``"MSIS 95"``."""
    if metric.startswith("coverage-"):
        return "cov " + metric.removeprefix("coverage-") + "%"
    if metric.startswith("msis-"):
        return "MSIS " + metric.removeprefix("msis-")
    return {"smape": "sMAPE %", "pinball": "pinball"}.get(metric, metric.upper())


def _metric_cell(metric: str, v: float) -> str:
    """A summary value as the table shows it; a coverage (a share) in percent."""
    if v != v:
        return "—"
    if metric.startswith("coverage-"):
        return f"{v * 100:.1f}%"
    return f"{v:.3f}" if abs(v) < 1e4 else f"{v:.4g}"


def _summary_table(report, title: str, metrics: list[str]) -> Table:
    """One row per method, one column per metric; the best of each column starred."""
    from forecastr.baselines import method_label

    t = Table(title=title, title_justify="left")
    t.add_column("method", style="bold")
    for m in metrics:
        t.add_column(_metric_header(m), justify="right")
    for _, row in report.summary.iterrows():
        cells = []
        for m in metrics:
            text = _metric_cell(m, row[m])
            if report.best.get(m) == row["method"]:
                text = f"[bold green]{text}*[/]"
            cells.append(text)
        t.add_row(method_label(str(row["method"])), *cells)
    return t


def print_report(report, title: str, per_series: bool = False, top: int = 10) -> None:
    from forecastr.metrics import METRICS

    metrics = list(report.metrics)  # the point metrics, then any interval ones
    out.print(_summary_table(report, title, [m for m in metrics if m in METRICS]))
    intervals = [m for m in metrics if m not in METRICS]
    if intervals:  # a second table, so that both stay readable in 80 columns
        levels = ", ".join(f"{v:g}%" for v in report.levels) or "no levels"
        title = f"Intervals at {levels} (coverage: * nearest its level)"
        out.print(_summary_table(report, title, intervals))
    for note in report.notes:
        out.print(f"[dim]{escape(str(note))}[/]")
    out.print(escape(report.skill_sentence()))
    if per_series:
        from forecastr.report import per_series_table

        frame = per_series_table(report, metric="mase", top=top)
        pt = Table(title="Per series (MASE)", title_justify="left")
        for c in frame.columns:
            pt.add_column(str(c), justify="right" if c != "unique_id" else "left")
        for _, r in frame.iterrows():
            pt.add_row(
                *[
                    f"{v:.3f}" if isinstance(v, float) else escape(shown(v, quote=False))
                    for v in r.tolist()
                ]
            )
        out.print(pt)


# ------------------------------------------------------------------------------------------
# one function per command's output


def print_info(d: dict, data: str) -> None:
    """The ``info`` table of :func:`forecastr.api.info`'s dict."""
    t = Table(title=escape(str(data)), show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column()
    t.add_row("layout", d["layout"])
    t.add_row("columns", escape(columns_text(d["columns"])))
    t.add_row("series", str(d["series"]))
    ln = d["length"]
    t.add_row("length", f"min {ln['min']}, median {ln['median']:.10g}, max {ln['max']}")
    t.add_row("points", str(d["points"]))
    t.add_row("frequency", str(d["frequency"]))
    t.add_row("season length", str(d["season_length"]))
    t.add_row("seasons", escape(seasons_text(d.get("seasons") or [], d.get("seasons_unconfirmed"))))
    short = d.get("short_series") or {}
    if short.get("padded") or short.get("unscorable"):
        t.add_row(
            "short series",
            f"{short['padded']} shorter than the default window {short['window']} + horizon + "
            f"validation + test (padded in training); {short['unscorable']} with no more "
            "points than the horizon (not scored)"
            + ("" if short.get("network_fits", True) else _NO_NETWORK),
        )
    longer = d.get("short_horizons_train_for")
    t.add_row(
        "default horizon",
        str(d["default_horizon"])
        + (f" (a shorter --horizon still trains for {longer} steps)" if longer else ""),
    )
    floor_row(t, d.get("floor"))
    t.add_row("range", f"{d['start']} → {d['end']}")
    if spelling := d.get("spelling"):  # predict writes stamps as the file does
        how = f"at UTC offset {spelling['zone']}" if spelling.get("zone") else "as in the file"
        t.add_row("forecast stamps", escape(f"{how}, like {d['end']}"))
    fill = f" ({d['fill']})" if d.get("fill") and d["filled_points"] else ""
    t.add_row("gaps filled", f"{d['filled_points']} points in {d['filled_series']} series{fill}")
    for note in d.get("notes") or []:
        t.add_row("note", escape(str(note)))
    out.print(t)


def warn_unscorable(short: dict) -> None:
    """Series with no point before their held-out horizon: named (five at most) on stderr."""
    if not short.get("unscorable"):
        return
    names = ", ".join(shown(s, 40) for s in short["unscorable_ids"][:5])
    err.print(
        f"[yellow]warning:[/] {short['unscorable']} series have no more points than "
        f"the horizon ({escape(names)}{', ...' if short['unscorable'] > 5 else ''}): "
        "left out of the held-out report; forecast from their padded history",
        highlight=False,
    )


def print_trained(outcome) -> None:
    """What ``train`` prints after training: the summary, the held-out report, where the
    model went."""
    print_train_summary(outcome)
    print_report(
        outcome.report,
        title="Held-out test (last horizon of each series, scored by the holdout run's model)",
    )
    saved = "refit on every point" if outcome.refit else "the holdout model (--no-refit)"
    if outcome.theta_only is not None:
        saved = "the Theta method: it fits each series' history when it forecasts"
    if outcome.replaced:
        saved += "; it replaced the model that was there"
    out.print(f"model saved to [bold]{escape(str(outcome.path))}[/] ({saved})", soft_wrap=True)


def evaluation_dict(report, per_series: bool, top: int) -> dict:
    """``evaluate --json``: the report, plus the best and worst series with ``--per-series``."""
    d = report.to_dict()
    if per_series:
        from forecastr.report import per_series_table

        d["per_series_top"] = json.loads(
            per_series_table(report, metric="mase", top=top).to_json(orient="records")
        )
    return d


def print_evaluation(
    report, folds: int, per_series: bool, top: int, plot: str | None, attention: str | None
) -> None:
    """The ``evaluate`` tables, and the figures written."""
    title = "Holdout" if folds == 1 else f"Rolling origin: {folds} folds"
    print_report(report, title=f"{title}, horizon {report.horizon}", per_series=per_series, top=top)
    if plot:
        out.print(f"plot written to [bold]{escape(plot)}[/]", soft_wrap=True)
    if attention:
        out.print(f"attention heatmap written to [bold]{escape(attention)}[/]")


def warn_new_series(frame) -> None:
    """A note naming (five of) the series the model never saw, forecast from their own scale."""
    new = frame.attrs.get("new_series") or []
    if new:
        names = ", ".join(shown(s, 40) for s in new[:5]) + (", ..." if len(new) > 5 else "")
        err.print(
            f"[yellow]note:[/] {len(new)} series the model never saw ({escape(names)}): "
            "forecast from their own history's scale",
            highlight=False,
        )


def print_forecasts(frame, output: str | None, fmt: str) -> None:
    """The forecasts as text on stdout, or where ``predict -o`` wrote them."""
    if output is None:
        from forecastr.forecast import write_frame

        text = write_frame(frame, None, fmt) or ""
        if sys.stdout.isatty():  # a terminal runs escapes in ids; a pipe gets the data as is
            text = "\n".join(shown(line, limit=len(line), quote=False) for line in text.split("\n"))
        sys.stdout.write(text)
        return
    err.print(
        f"{len(frame)} forecasts written to {escape(str(output))}",
        soft_wrap=True,
        highlight=False,
    )


def print_export(rep: dict) -> None:
    """The ``export`` report as a table."""
    t = Table(title=f"Exported {escape(str(rep['path']))}", title_justify="left", show_header=False)
    t.add_column(style="bold")
    t.add_column()
    for k, v in rep.items():
        if k != "path":
            t.add_row(k.replace("_", " "), escape(str(v)))
    out.print(t)
