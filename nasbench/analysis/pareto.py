"""The Pareto front of a multi-objective search: a table and a plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nasbench.objective import Objective
from nasbench.results import read_trials
from nasbench.storage import atomic
from nasbench.storage.run_folder import RunFolder

FRONT_TABLE = "pareto.csv"
FRONT_PLOT = "pareto.png"


def objective_values(frame: pd.DataFrame, objective: Objective) -> np.ndarray:
    """The objective values (each to be maximised) of every row, from its metric columns."""
    missing = [t.metric for t in objective.targets if t.metric not in frame.columns]
    if missing:
        raise ValueError(f"the table has no column {', '.join(missing)}")
    columns = [frame[t.metric].to_numpy(float) * (1 if t.maximize else -1) for t in objective.targets]
    return np.stack(columns, axis=1) if columns else np.empty((len(frame), 0))


def non_dominated(values: np.ndarray) -> np.ndarray:
    """Mask of the rows no other row dominates (at least as good everywhere, better somewhere); all maximised."""
    values = np.asarray(values, dtype=float)
    at_least = (values[None, :, :] >= values[:, None, :]).all(axis=2)  # [i, j]: j is at least as good as i
    better = (values[None, :, :] > values[:, None, :]).any(axis=2)
    return ~(at_least & better).any(axis=1)


def pareto_front(frame: pd.DataFrame, objective: Objective) -> pd.DataFrame:
    """The evaluated, completed trials of a trial table that no other one dominates.

    Repeated proposals (``duplicate_of`` set) and failed or stopped trials are left out. The front
    is sorted by the first target, best first.
    """
    rows = frame
    if "state" in rows.columns:
        rows = rows[rows["state"] == "COMPLETE"]
    if "duplicate_of" in rows.columns:
        rows = rows[rows["duplicate_of"].isna()]
    if rows.empty:  # nothing completed: a failed-only table may not even have the metric columns
        return rows.reset_index(drop=True)
    values = objective_values(rows, objective)
    keep = ~np.isnan(values).any(axis=1)
    rows, values = rows[keep], values[keep]
    front = rows[non_dominated(values)]
    first = objective.targets[0]
    return front.sort_values(first.metric, ascending=not first.maximize, kind="stable").reset_index(drop=True)


def plot_front(frame: pd.DataFrame, front: pd.DataFrame, objective: Objective, path: str | Path) -> None:
    """Scatter of the trials over the first two targets, with the front drawn as a staircase."""
    from matplotlib.figure import Figure  # no pyplot: no global figure state, no display needed

    y, x = objective.targets[0], objective.targets[1]
    figure = Figure(figsize=(6, 4.5), dpi=120)
    axes = figure.add_subplot()
    done = frame[frame["state"] == "COMPLETE"] if "state" in frame.columns else frame
    if "duplicate_of" in done.columns:
        done = done[done["duplicate_of"].isna()]
    axes.scatter(done[x.metric], done[y.metric], s=12, color="0.65", label="evaluated")
    ordered = front.sort_values(x.metric)
    axes.step(ordered[x.metric], ordered[y.metric], where="pre" if x.maximize else "post", color="C3")
    axes.scatter(ordered[x.metric], ordered[y.metric], s=24, color="C3", zorder=3, label="Pareto front")
    axes.set_xlabel(f"{x.metric} ({'higher' if x.maximize else 'lower'} is better)")
    axes.set_ylabel(f"{y.metric} ({'higher' if y.maximize else 'lower'} is better)")
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)


def write_front(folder: RunFolder, objective: Objective) -> pd.DataFrame:
    """Write ``pareto.csv`` and ``pareto.png`` into a run folder; returns the front (empty, and
    nothing written, when no trial completed)."""
    frame = read_trials(folder)
    front = pareto_front(frame, objective)
    if front.empty:
        return front
    atomic.write_text(folder.path / FRONT_TABLE, front.to_csv(index=False))
    plot_front(frame, front, objective, folder.path / FRONT_PLOT)
    return front


def front_over(frame: pd.DataFrame, directions: dict[str, bool]) -> pd.DataFrame:
    """The rows of any table that no other row dominates over ``directions`` (column -> maximise?).

    Rows with a missing value in one of the columns are left out; the front is sorted by the first column.
    """
    columns = list(directions)
    rows = frame.dropna(subset=columns)
    if rows.empty:
        return rows.reset_index(drop=True)
    values = np.stack([rows[c].to_numpy(float) * (1 if up else -1) for c, up in directions.items()], axis=1)
    front = rows[non_dominated(values)]
    return front.sort_values(columns[0], ascending=not directions[columns[0]], kind="stable").reset_index(drop=True)
