"""How the CLI shows things: rich tables of summaries and reports, the training progress bar,
and the warnings ingest leaves. The consoles live here; ``cli.py`` parses and calls ``api``."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from forecastr.errors import shown

out = Console()
err = Console(stderr=True)


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
        self.task = None

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
        refit = ev.get("phase") == "refit"
        if refit:
            desc = f"refit {desc}" if ev["members"] > 1 else "refit on every point"
        if self.task is None or ev["epoch"] == 1:
            if self.task is not None:
                self.bar.stop_task(self.task)
            self.task = self.bar.add_task(desc, total=ev["epochs"], stats="")
        stats = (
            f"train {ev['train_loss']:.4f}  |g| {ev['grad_norm']:.3f}"
            if refit
            else f"train {ev['train_loss']:.4f}  val {ev['val_loss']:.4f}  "
            f"|g| {ev['grad_norm']:.3f}  best@{ev['best_epoch']}"
        )
        self.bar.update(self.task, completed=ev["epoch"], stats=stats)

    def __exit__(self, *exc):
        if self.bar is not None:
            if self.task is not None:
                task = self.bar.tasks[-1]
                self.bar.update(self.task, total=task.completed)
            self.bar.__exit__(*exc)
        return False


def seasons_text(seasons) -> str:
    """``"336 (detected, acf 0.81), 48 (calendar, acf 0.74)"``; "none" when empty."""
    parts = []
    for e in seasons:
        d = e if isinstance(e, dict) else e.to_dict()
        acf = d.get("acf")
        ev = f", acf {acf:.2f} > {d.get('threshold', 0):.2f}" if acf == acf and acf else ""
        parts.append(f"{d['period']} ({d['source']}{ev})")
    return ", ".join(parts) or "none found"


def print_train_summary(outcome) -> None:
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
    t.add_row("seasons", escape(seasons_text(outcome.seasons)))
    short = outcome.short or {}
    if short.get("padded"):
        t.add_row(
            "short series",
            f"{short['padded']} shorter than window + horizon + validation + test: their "
            "windows are padded with their first value",
        )
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


def print_report(report, title: str, per_series: bool = False, top: int = 10) -> None:
    from forecastr.baselines import display_name

    metrics = ["mae", "rmse", "smape", "mase"]
    t = Table(title=title, title_justify="left")
    t.add_column("method", style="bold")
    for m in metrics:
        t.add_column(m.upper() if m != "smape" else "sMAPE %", justify="right")
    for _, row in report.summary.iterrows():
        cells = []
        for m in metrics:
            v = row[m]
            text = "—" if v != v else f"{v:.3f}" if abs(v) < 1e4 else f"{v:.4g}"
            if report.best.get(m) == row["method"]:
                text = f"[bold green]{text}*[/]"
            cells.append(text)
        t.add_row(display_name(str(row["method"])), *cells)
    out.print(t)
    for note in report.notes:
        out.print(f"[dim]{escape(str(note))}[/]")
    out.print(escape(report.skill_sentence()))
    if per_series:
        from forecastr.evaluate import per_series_table

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
