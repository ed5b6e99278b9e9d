"""Plots of fits and searches (matplotlib figures without pyplot: no global state, no display).

Every function returns a ``Figure``; ``save`` writes it as PNG and SVG.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from nasbench.analysis.allocation import Allocation
from nasbench.analysis.loss_law import LossLawFit
from nasbench.analysis.pareto import front_over
from nasbench.analysis.power_law import PowerLawFit
from nasbench.objective import Objective


def _figure() -> tuple[Figure, object]:
    figure = Figure(figsize=(6, 4.5), dpi=110)
    return figure, figure.add_subplot()


def save(figure: Figure, stem: str | Path) -> list[Path]:
    """``stem.png`` and ``stem.svg``."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    for path in paths:
        figure.savefig(path)
    return paths


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def plot_power_law(x, y, fit: PowerLawFit, xlabel: str, ylabel: str, groups=None) -> Figure:
    """The data, the fitted ``E + A x^-alpha`` with its 95 % bootstrap band, and ``E``, on log-log axes."""
    figure, axes = _figure()
    x, y = np.asarray(x, float), np.asarray(y, float)
    if groups is None:
        axes.scatter(x, y, s=16, color="C0", label="trained", zorder=3)
    else:
        for i, (name, idx) in enumerate(pd.Series(range(len(x))).groupby(np.asarray(groups)).groups.items()):
            axes.scatter(x[idx], y[idx], s=16, color=f"C{i % 10}", label=str(name), zorder=3)
    grid = np.geomspace(x.min() / 2, x.max() * 4, 200)
    low, high = fit.band(grid)
    axes.fill_between(grid, low, high, color="C3", alpha=0.2, label="95 % band")
    axes.plot(grid, fit.predict(grid), color="C3", label=f"fit: alpha = {fit.alpha}")
    axes.axhline(fit.E.value, color="0.5", linestyle="--", linewidth=1, label=f"E = {fit.E.value:.3g}")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.legend(fontsize=7)
    axes.grid(alpha=0.3, which="both")
    figure.tight_layout()
    return figure


def plot_iso_loss(fit: LossLawFit, N, D, allocation: Allocation | None = None, levels: int = 12) -> Figure:
    """Contours of the fitted ``L(N, D)`` over the data's range (and beyond), the trained points, and
    the compute-optimal frontier ``(N_opt(C), D_opt(C))``."""
    figure, axes = _figure()
    N, D = np.asarray(N, float), np.asarray(D, float)
    n_grid = np.geomspace(N.min() / 4, N.max() * 16, 120)
    d_grid = np.geomspace(D.min() / 4, D.max() * 16, 120)
    nn, dd = np.meshgrid(n_grid, d_grid)
    loss = fit.predict(nn, dd)
    contour = axes.contour(nn, dd, loss, levels=np.geomspace(loss.min(), loss.max(), levels), cmap="viridis")
    axes.clabel(contour, fontsize=6, fmt="%.3g")
    axes.scatter(N, D, s=14, color="k", zorder=3, label="trained")
    if allocation is not None:
        compute = np.geomspace(allocation.k * n_grid[0] * d_grid[0], allocation.k * n_grid[-1] * d_grid[-1], 100)
        best = allocation.optimum(compute)
        n_opt, d_opt = best["N_opt"][0], best["D_opt"][0]
        inside = (n_opt >= n_grid[0]) & (n_opt <= n_grid[-1]) & (d_opt >= d_grid[0]) & (d_opt <= d_grid[-1])
        axes.plot(
            n_opt[inside],
            d_opt[inside],
            color="C3",
            linewidth=2,
            label=f"compute-optimal: N ~ C^{allocation.a.value:.2f}, D ~ C^{allocation.b.value:.2f}",
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("N (parameters)")
    axes.set_ylabel("D (training examples seen)")
    axes.legend(fontsize=7, loc="upper right")
    figure.tight_layout()
    return figure


def plot_pareto(
    frame: pd.DataFrame,
    x: str,
    y: str,
    x_max: bool = False,
    y_max: bool = True,
    log_x: bool = True,
    front: pd.DataFrame | None = None,
) -> Figure:
    """Every row over two columns, with the front drawn as a staircase: ``front`` when given (a front over
    more objectives than the two drawn), else the rows no other dominates over ``x`` and ``y``."""
    figure, axes = _figure()
    rows = frame.dropna(subset=[x, y])
    front = (front_over(rows, {y: y_max, x: x_max}) if front is None else front).sort_values(x)
    axes.scatter(rows[x], rows[y], s=8, color="0.65", label="networks")
    axes.step(front[x], front[y], where="post" if not x_max else "pre", color="C3")
    axes.scatter(front[x], front[y], s=18, color="C3", zorder=3, label=f"Pareto front ({len(front)})")
    if log_x:
        axes.set_xscale("log")
    axes.set_xlabel(f"{x} ({'higher' if x_max else 'lower'} is better)")
    axes.set_ylabel(f"{y} ({'higher' if y_max else 'lower'} is better)")
    axes.legend(fontsize=7)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def plot_front(frame: pd.DataFrame, front: pd.DataFrame, objective: Objective) -> Figure:
    """A search's evaluated trials over its first two targets (the first up the y axis), with its front."""
    y, x = objective.targets[0], objective.targets[1]
    return plot_pareto(frame, x.metric, y.metric, x.maximize, y.maximize, log_x=False, front=front)


def plot_laws(frame: pd.DataFrame, laws, by: str, k: dict[str, float], reach: float = 100.0) -> Figure:
    """Each group's trainings (loss against training compute) and its law's compute-optimal loss from the
    smallest compute trained to ``reach`` times the largest, with its 95 % band: where the lines cross, the
    better architecture changes."""
    from nasbench.analysis.allocation import optimal_split
    from nasbench.analysis.loss_law import law

    figure, axes = _figure()
    grid = np.geomspace(frame.train_compute.min(), frame.train_compute.max() * reach, 80)
    for i, group in enumerate(laws.groups):
        color = f"C{i % 10}"
        rows = frame[frame[by].astype(str) == group]
        axes.scatter(rows.train_compute, rows.valid_loss, s=10, color=color, alpha=0.6)
        fit = laws.laws[group]

        def frontier(params, group=group):
            n, d = optimal_split(params, grid, k[group])
            return law(params, n, d)

        best = frontier(np.array([p.value for p in fit.parameters().values()]))
        axes.plot(grid, best, color=color, label=str(group))
        if len(fit.samples):
            draws = np.stack([frontier(p) for p in fit.samples])
            low, high = np.nanpercentile(draws, [2.5, 97.5], axis=0)
            axes.fill_between(grid, low, high, color=color, alpha=0.15)
    axes.axvline(frame.train_compute.max(), color="0.5", linestyle=":", linewidth=1, label="largest trained")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("training compute (multiply-adds)")
    axes.set_ylabel("validation loss (compute-optimal)")
    axes.legend(fontsize=7)
    axes.grid(alpha=0.3, which="both")
    figure.tight_layout()
    return figure


def plot_isoflop(isoflop) -> Figure:
    """IsoFLOP profiles: loss against parameters at each compute level, each fitted profile and its minimum."""
    figure, axes = _figure()
    for i, row in isoflop.profiles.iterrows():
        color = f"C{i % 10}"
        n = np.geomspace(row.N_opt / 8, row.N_opt * 8, 60)
        axes.plot(n, isoflop.profile_curve(i, n), color=color, label=f"C = {row.compute:.2g}")
        axes.scatter([row.N_opt], [row.loss], color=color, marker="*", s=60, zorder=3)
    axes.set_xscale("log")
    axes.set_xlabel("N (parameters)")
    axes.set_ylabel("validation loss")
    axes.set_title(f"N_opt ~ C^a, a = {isoflop.a}", fontsize=8)
    axes.legend(fontsize=7)
    axes.grid(alpha=0.3, which="both")
    figure.tight_layout()
    return figure


def plot_best_so_far(trials: pd.DataFrame, value: str = "value", ylabel: str = "objective value") -> Figure:
    """One search: every evaluated trial's ``value`` as a dot against its number, and the best so far as a
    staircase, on linear axes (what a single run shows best; ``plot_regret`` compares many)."""
    figure, axes = _figure()
    rows = trials.dropna(subset=[value]).sort_values("number")
    axes.scatter(rows["number"], rows[value], s=10, color="0.6", label="trials")
    axes.step(rows["number"], rows[value].cummax(), where="post", color="C3", label="best so far")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("trial")
    axes.set_ylabel(ylabel)
    axes.legend(fontsize=7)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def plot_regret(curves: pd.DataFrame, by: str = "strategy", sem: str | None = "sem", ylabel: str = "regret") -> Figure:
    """Regret against queries, one line per ``by`` (with a band of +- ``sem`` when given), log-log."""
    figure, axes = _figure()
    for name, group in curves.groupby(by, sort=False):
        axes.plot(group["queries"], group["regret"], label=str(name))
        if sem is not None and sem in group:
            axes.fill_between(group["queries"], group["regret"] - group[sem], group["regret"] + group[sem], alpha=0.2)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("queries (distinct networks evaluated)")
    axes.set_ylabel(ylabel)
    axes.legend(fontsize=7)
    axes.grid(alpha=0.3, which="both")
    figure.tight_layout()
    return figure


def plot_predicted(measured, predicted, title: str, band: float = 0.10) -> Figure:
    """Predicted against measured values (a latency model's, say) on log axes, with the +-``band`` band."""
    measured, predicted = np.asarray(measured, float), np.asarray(predicted, float)
    figure, axes = _figure()
    axes.scatter(measured, predicted, s=8, alpha=0.7)
    line = np.geomspace(float(measured.min()) * 0.8, float(measured.max()) * 1.2, 20)
    axes.plot(line, line, color="0.3", linewidth=1, label="predicted = measured")
    axes.fill_between(line, (1 - band) * line, (1 + band) * line, color="0.5", alpha=0.2, label=f"+-{band:.0%}")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("measured")
    axes.set_ylabel("predicted")
    within = float(np.mean(np.abs(predicted - measured) <= band * measured))
    axes.set_title(f"{title}: {within:.0%} within {band:.0%}", fontsize=9)
    axes.legend(fontsize=7)
    axes.grid(alpha=0.3, which="both")
    figure.tight_layout()
    return figure
