"""One self-contained HTML page of runs: configuration, best networks, the table, and the plots
that fit each run (scaling laws for sweeps, regret and Pareto fronts for searches, costs for scale tables).

Plots are embedded as base64 PNG, so the file can be mailed or attached on its own.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from nasbench.analysis import plots
from nasbench.analysis.allocation import compute_optimal
from nasbench.analysis.loading import load_runs
from nasbench.analysis.loss_law import fit_loss_law
from nasbench.analysis.power_law import fit_power_law
from nasbench.errors import InvalidOption, NasbenchError
from nasbench.storage import atomic
from nasbench.storage.run_folder import RunFolder

#: rows of a run's table shown in the report (the whole table is in the run folder)
MAX_ROWS = 200
#: bootstrap resamples of the report's fits (the notebooks and the API take 1,000)
REPORT_RESAMPLES = 200
SHOWN = (
    "number",
    "network",
    "train_size",
    "budget_epochs",
    "replicate",
    "state",
    "value",
    "valid_accuracy",
    "valid_loss",
    "valid_error",
    "train_loss",
    "train_error",
    "params",
    "macs",
    "train_examples",
    "examples_seen",
    "train_compute",
    "test_accuracy",
    "wall_seconds",
    "variant",
    "alpha",
    "beta",
    "gamma",
    "resolution",
    "arch",
)

STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#f3f3f3}td:last-child{text-align:left;font-family:monospace;font-size:11px}
img{max-width:48%;margin:4px}pre{background:#f6f6f6;padding:8px;font-size:12px;overflow-x:auto}
.note{color:#666;font-size:13px}"""


def write_report(paths: list[str | Path], out: str | Path, seed: int = 0, resamples: int = REPORT_RESAMPLES) -> Path:
    """Write the report of ``paths`` (run folders or scale CSV tables) to ``out``; returns its path."""
    out = Path(out)
    if out.is_dir():
        raise InvalidOption(f"--out {out} is a folder; give a file name such as {out / 'report.html'}")
    sections = [_section(Path(p), seed, resamples) for p in paths]
    body = "\n".join(sections)
    title = "nasbench report: " + ", ".join(Path(p).name for p in paths)
    page = (
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    )
    atomic.write_text(out, page)
    return out


def _section(path: Path, seed: int, resamples: int) -> str:
    frame = load_runs([path])
    kind = frame["kind"].iloc[0] if len(frame) else "run"
    parts = [f"<h2>{html.escape(path.name)} <small>({kind})</small></h2>"]
    if path.is_dir():
        config = json.dumps(RunFolder(path).read_config(), indent=1)
        parts.append(f"<details><summary>configuration</summary><pre>{html.escape(config)}</pre></details>")
    done = frame[frame["state"] == "COMPLETE"] if "state" in frame else frame
    parts.append(f"<p>{len(frame)} rows, {len(done)} completed.</p>")
    if "value" in done and len(done):
        parts.append("<h3>Best networks</h3>" + _table(done.sort_values("value", ascending=False).head(5)))
    figures, notes = _figures(kind, done, seed, resamples)
    if figures:
        parts.append("<h3>Plots</h3>" + "".join(_image(f) for f in figures))
    parts.extend(f"<p class='note'>{html.escape(n)}</p>" for n in notes)
    parts.append("<h3>Trials</h3>" + _table(frame.head(MAX_ROWS)))
    if len(frame) > MAX_ROWS:
        parts.append(f"<p class='note'>first {MAX_ROWS} of {len(frame)} rows</p>")
    return "\n".join(parts)


def _table(frame: pd.DataFrame) -> str:
    columns = [c for c in SHOWN if c in frame.columns and frame[c].notna().any()]
    return frame[columns].to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="")


def _image(figure) -> str:
    data = base64.b64encode(plots.png_bytes(figure)).decode()
    return f"<img alt='plot' src='data:image/png;base64,{data}'>"


def _figures(kind: str, done: pd.DataFrame, seed: int, resamples: int) -> tuple[list, list[str]]:
    figures, notes = [], []
    if done.empty:
        return figures, ["no completed trial to plot"]
    if kind == "sweep":
        _sweep_figures(done, seed, resamples, figures, notes)
        if "family" in done and done["family"].replace("", np.nan).nunique() > 1:
            _family_figures(done, seed, resamples, figures, notes)
    elif kind == "search" and "value" in done:
        evaluated = done[done["duplicate_of"].isna()] if "duplicate_of" in done else done
        figures.append(plots.plot_best_so_far(evaluated, "value", ylabel="objective value (first objective)"))
    if {"macs", "valid_accuracy"} <= set(done.columns) and done["macs"].notna().sum() > 1:
        figures.append(plots.plot_pareto(done, "macs", "valid_accuracy"))
    elif kind == "scale" and {"params", "macs"} <= set(done.columns):
        figures.append(plots.plot_pareto(done, "macs", "params", y_max=False))
    return figures, notes


def _sweep_figures(done: pd.DataFrame, seed: int, resamples: int, figures: list, notes: list[str]) -> None:
    """Loss against training compute (one power law) and, with two axes of scale, L(N, D) and its frontier."""
    if "valid_loss" not in done or done["params"].nunique() + done["train_examples"].nunique() < 3:
        notes.append("too few distinct sizes in this sweep to fit a scaling law")
        return
    try:
        fit = fit_power_law(done["train_compute"], done["valid_loss"], resamples=resamples, seed=seed)
        figures.append(
            plots.plot_power_law(
                done["train_compute"],
                done["valid_loss"],
                fit,
                "training compute (multiply-adds)",
                "validation loss (nats)",
                groups=done["network"] if "network" in done else None,
            )
        )
        notes.append(
            f"validation loss = E + A C^-alpha: E {fit.E}, A {fit.A}, alpha {fit.alpha} (95 % bootstrap intervals, "
            f"{resamples} resamples)"
        )
        if done["params"].nunique() >= 2 and done["examples_seen"].nunique() >= 2 and len(done) >= 6:
            law = fit_loss_law(
                done["params"], done["examples_seen"], done["valid_loss"], resamples=resamples, seed=seed
            )
            allocation = compute_optimal(law)
            figures.append(plots.plot_iso_loss(law, done["params"], done["examples_seen"], allocation))
            terms = ", ".join(f"{k} {v}" for k, v in law.parameters().items())
            notes.append(
                f"L(N, D) = E + A/N^alpha + B/D^beta: {terms}; compute-optimal N ~ C^{allocation.a}, "
                f"D ~ C^{allocation.b} (C = 6 N D)"
            )
            if "family" not in done or done["family"].replace("", np.nan).nunique() <= 1:
                _isoflop_figure(done, seed, resamples, figures, notes)
    except NasbenchError as exc:
        notes.append(f"no fit: {exc}")
    except (ValueError, FloatingPointError) as exc:  # a degenerate sweep (one size) cannot be fitted
        notes.append(f"no fit: {exc}")
    if np.isfinite(done["valid_loss"]).sum() == 0:
        notes.append("no finite validation loss")


def _isoflop_figure(done: pd.DataFrame, seed: int, resamples: int, figures: list, notes: list[str]) -> None:
    """IsoFLOP profiles (Hoffmann et al.'s approach 2) where the sweep has compute levels of three sizes."""
    from nasbench.analysis.isoflop import isoflop_profiles

    try:
        result = isoflop_profiles(done, resamples=resamples, seed=seed)
    except NasbenchError as exc:
        notes.append(f"no IsoFLOP profiles: {exc}")
        return
    figures.append(plots.plot_isoflop(result))
    notes.append(f"IsoFLOP profiles at {len(result.profiles)} compute levels: N_opt ~ C^a, a = {result.a}")


def _family_figures(done: pd.DataFrame, seed: int, resamples: int, figures: list, notes: list[str]) -> None:
    """A sweep of several architectures (a run's front, each at several widths): a law per architecture, which
    wins at a hundred times the largest compute trained, and a backtest of that kind of prediction."""
    from nasbench.analysis.backtest import backtest
    from nasbench.analysis.laws import compare_at, compute_per_parameter_example, fit_laws

    try:
        laws = fit_laws(done, "family", shared=("E",), resamples=resamples, seed=seed)
        k = compute_per_parameter_example(done, "family")
        figures.append(plots.plot_laws(done, laws, "family", k))
        target = 100 * float(done.train_compute.max())
        table = compare_at(laws, target, k)
        lines = ", ".join(
            f"{r.group}: {r.loss:.3f} [{r.loss_low:.3f}, {r.loss_high:.3f}], best with p = {r.p_best:.2f}"
            for r in table.itertuples()
        )
        notes.append(f"At {target:.3g} multiply-adds (100 x the largest trained), compute-optimal loss: {lines}")
    except NasbenchError as exc:
        notes.append(f"no laws per architecture: {exc}")
        return
    try:
        check = backtest(done, "family", shared=("E",), resamples=max(50, resamples // 2), seed=seed)
        summary = check.summary()
        notes.append(
            f"Backtest, the dearest quarter of each architecture's trainings held out: median relative error "
            f"{summary['median_rel_error']:.1%}, 90 % intervals cover {summary['coverage_90']:.0%} of "
            f"{summary['points']} points; the laws pick {summary['pick']}; "
            f"trained best: {summary['observed_best']}"
        )
    except NasbenchError as exc:
        notes.append(f"no backtest: {exc}")
