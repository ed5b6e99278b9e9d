"""Backtests of per-architecture laws: fit on the cheaper trainings, predict the dearest, and check.

Each architecture's rows above its compute cut-off (by default its most expensive quarter) are held out:
a cut-off per architecture, so that a family of small networks is tested as well as one of large ones
and each keeps rows to fit on. The laws are fitted on the rest (``laws.fit_laws``) and predict each
held-out loss with a prediction interval (the law's bootstrap draws times the fit's own residuals: a
single training scatters about the law). Reported: each held-out point's relative error and whether its
interval covers it, and, comparing each architecture's dearest training, whether the architecture the
laws pick is the one that trained best.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from nasbench.analysis.laws import LawSet, fit_laws, log_residuals, prediction_interval
from nasbench.analysis.loss_law import fit_loss_law
from nasbench.errors import NasbenchError


@dataclass(frozen=True)
class Backtest:
    laws: LawSet  # fitted on the rows at or below the cut-offs
    cutoffs: dict[str, float]  # each group's training compute above which its rows are held out
    points: pd.DataFrame  # the held-out rows: group, N, D, loss, predicted, low, high, rel_error, covered
    pick: str  # the group the laws predict lowest at its dearest training
    observed_best: str  # the group whose dearest training reached the lowest loss
    pick_within_interval: bool  # the pick's loss is within its interval of the observed best
    rank_tau: float  # Kendall tau of predicted and observed losses of the groups there
    level: float

    @property
    def median_rel_error(self) -> float:
        return float(self.points.rel_error.median())

    @property
    def coverage(self) -> float:
        return float(self.points.covered.mean())

    @property
    def pick_correct(self) -> bool:
        return self.pick == self.observed_best or self.pick_within_interval

    def summary(self) -> dict:
        return {
            "median_rel_error": round(self.median_rel_error, 4),
            f"coverage_{round(100 * self.level)}": round(self.coverage, 3),
            "pick_correct": bool(self.pick_correct),
            "pick": self.pick,
            "observed_best": self.observed_best,
            "rank_tau": round(self.rank_tau, 3),
            "architectures": len(self.laws.groups),
            "points": int(len(self.points)),
            "cutoff_compute": self.cutoffs,
        }


def backtest(
    frame: pd.DataFrame,
    by: str | None,
    *,
    held_out: float = 0.25,
    compute: str = "train_compute",
    shared: Sequence[str] = (),
    fixed: dict[str, float] | None = None,
    level: float = 0.9,
    resamples: int = 500,
    seed: int = 0,
) -> Backtest:
    """Hold out the ``held_out`` share of each group's rows with the largest ``compute``, fit ``frame``'s laws
    per ``by`` on the rest, and score their predictions of the held-out rows (see the module's docstring).

    ``by=None`` fits one law to all rows (``fit_loss_law``): one architecture, or a published table.
    ``shared`` and ``fixed`` are passed to ``fit_laws`` (``fixed={"E": floor}`` where the task's
    irreducible loss is known)."""
    if not 0 < held_out < 1:
        raise NasbenchError(f"the held-out share must be between 0 and 1, got {held_out}")
    single = by is None  # one law for all rows: a single architecture, or a published table
    if single:
        if fixed:
            raise NasbenchError("fixed parameters are shared across groups: give the column of the groups")
        frame, by = frame.assign(group="all"), "group"
    if by not in frame.columns or compute not in frame.columns:
        raise NasbenchError(f"the table has no column {by if by not in frame.columns else compute}")
    labels = frame[by].astype(str)
    cutoffs = {str(g): float(np.quantile(rows, 1 - held_out)) for g, rows in frame[compute].groupby(labels)}
    above = frame[compute] > labels.map(cutoffs)
    train, test = frame[~above], frame[above]
    alone = sorted(set(cutoffs) - set(labels[above]))
    if alone:
        raise NasbenchError(f"{by} {alone[0]!r} has no training above its compute cut-off: it needs several computes")
    if single:
        one = fit_loss_law(train.params, train.examples_seen, train.valid_loss, resamples=resamples, seed=seed)
        laws = LawSet(("all",), (), {"all": one})
    else:
        laws = fit_laws(train, by, shared=shared, fixed=fixed, resamples=resamples, seed=seed)
    rows = []
    for group, held in test.groupby(test[by].astype(str)):
        fit, own = laws.laws[group], train[train[by].astype(str) == group]
        residuals = log_residuals(fit, own.params, own.examples_seen, own.valid_loss)
        low, high = prediction_interval(fit, held.params, held.examples_seen, residuals, level, seed)
        predicted = fit.predict(held.params, held.examples_seen)
        rows.append(held.assign(group=group, predicted=predicted, low=low, high=high))
    points = pd.concat(rows, ignore_index=True)
    points["rel_error"] = (points.predicted - points.valid_loss).abs() / points.valid_loss
    points["covered"] = (points.low <= points.valid_loss) & (points.valid_loss <= points.high)
    top = points[points[compute] >= points.groupby("group")[compute].transform("max")]
    at_top = top.groupby("group").agg(observed=("valid_loss", "min"), predicted=("predicted", "min"))
    at_top = at_top.join(top.groupby("group").agg(low=("low", "min"), high=("high", "min")))
    pick, best = str(at_top.predicted.idxmin()), str(at_top.observed.idxmin())
    within = bool(at_top.loc[pick, "low"] <= at_top.observed.min() <= at_top.loc[pick, "high"])
    tau = float(kendalltau(at_top.predicted, at_top.observed)[0]) if len(at_top) > 1 else float("nan")
    return Backtest(laws, cutoffs, points, pick, best, within, tau, level)
