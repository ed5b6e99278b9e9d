"""Pareto fronts: the rows of a table (a multi-objective search's trials, say) that no other row dominates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nasbench.objective import Objective


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


def evaluated(frame: pd.DataFrame) -> pd.DataFrame:
    """The completed evaluations of a trial table: repeated proposals (``duplicate_of`` set) and failed or
    stopped trials left out."""
    rows = frame
    if "state" in rows.columns:
        rows = rows[rows["state"] == "COMPLETE"]
    if "duplicate_of" in rows.columns:
        rows = rows[rows["duplicate_of"].isna()]
    return rows


def pareto_front(frame: pd.DataFrame, objective: Objective, at_least: int = 1) -> pd.DataFrame:
    """The evaluated, completed trials of a trial table that no other one dominates (see ``evaluated``),
    sorted by the first target, best first.

    ``at_least``: where the front has fewer rows, the next fronts (the rows only the front dominates, and
    so on: NSGA-II's non-dominated sorting) are added whole until it has as many or the table runs out.
    """
    rows = evaluated(frame)
    if rows.empty:  # nothing completed: a failed-only table may not even have the metric columns
        return rows.reset_index(drop=True)
    values = objective_values(rows, objective)
    keep = ~np.isnan(values).any(axis=1)
    rows, values = rows[keep], values[keep]
    chosen = np.zeros(len(rows), dtype=bool)
    while not chosen.all() and (chosen.sum() == 0 or chosen.sum() < at_least):
        layer = np.flatnonzero(~chosen)[non_dominated(values[~chosen])]
        chosen[layer] = True
    front = rows[chosen]
    first = objective.targets[0]
    return front.sort_values(first.metric, ascending=not first.maximize, kind="stable").reset_index(drop=True)


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
