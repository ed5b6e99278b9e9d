"""Regret curves: how far the best network found so far is from the best there is."""

from __future__ import annotations

import numpy as np
import pandas as pd


def best_so_far(frame: pd.DataFrame, metric: str, maximize: bool = True, by: str = "run") -> pd.DataFrame:
    """Per run, the best ``metric`` among its first K evaluated, completed trials (K = 1, 2, ...).

    Columns: ``by``, ``queries`` (K) and ``best``. Repeats answered from the cache are not queries.
    """
    rows = frame
    if "state" in rows.columns:
        rows = rows[rows["state"] == "COMPLETE"]
    if "duplicate_of" in rows.columns:
        rows = rows[rows["duplicate_of"].isna()]
    rows = rows.dropna(subset=[metric]).sort_values([by, "number"], kind="stable")
    best = rows.groupby(by)[metric].cummax() if maximize else rows.groupby(by)[metric].cummin()
    return pd.DataFrame(
        {by: rows[by].to_numpy(), "queries": rows.groupby(by).cumcount().to_numpy() + 1, "best": best.to_numpy()}
    )


def regret(curves: pd.DataFrame, optimum: float, value: str = "mean", maximize: bool = True) -> pd.DataFrame:
    """``curves`` with a ``regret`` column: the distance of ``value`` from ``optimum`` (never negative
    for a true optimum). Works on ``best_so_far`` tables (``value="best"``) and on the benchmark's
    ``*_curves.csv`` (strategy, queries, mean, sem)."""
    gap = optimum - curves[value] if maximize else curves[value] - optimum
    return curves.assign(regret=np.asarray(gap, dtype=float))
