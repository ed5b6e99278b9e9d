"""Step 1 of compound scaling: a small grid search of (alpha, beta, gamma) at phi = 1.

Candidates satisfy alpha * beta^2 * gamma^2 ~ 2 (twice the multiply-adds of the base); each is
applied to the base and trained on a proxy task by an evaluator, and the best validation accuracy
wins (Tan & Le, ICML 2019, section 3.3).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from nasbench.errors import InvalidOption, NasbenchError
from nasbench.evaluator import Budget, Evaluator, derive_seed, run_evaluation
from nasbench.scaling.rules import check_coefficients, compound, scale
from nasbench.search_spaces.mbconv import MBConvArch
from nasbench.trial import TrialState

DEFAULT_ALPHAS = (1.1, 1.15, 1.2, 1.25, 1.3)
DEFAULT_BETAS = (1.05, 1.1, 1.15, 1.2)
DEFAULT_GAMMAS = (1.1, 1.15, 1.2, 1.25)


def coefficient_grid(
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    betas: Sequence[float] = DEFAULT_BETAS,
    gammas: Sequence[float] = DEFAULT_GAMMAS,
    target: float = 2.0,
    tolerance: float = 0.05,
) -> list[tuple[float, float, float]]:
    """Every (alpha, beta, gamma) whose ``alpha * beta^2 * gamma^2`` is within ``tolerance`` (relative) of ``target``."""
    if target <= 1 or tolerance < 0:
        raise InvalidOption(f"the grid needs target > 1 and tolerance >= 0, got {target} and {tolerance}")
    grid = []
    for alpha, beta, gamma in itertools.product(alphas, betas, gammas):
        check_coefficients(alpha, beta, gamma)
        if abs(alpha * beta**2 * gamma**2 / target - 1) <= tolerance:
            grid.append((float(alpha), float(beta), float(gamma)))
    if not grid:
        raise InvalidOption(
            f"no (alpha, beta, gamma) of the grid has alpha * beta^2 * gamma^2 within {tolerance:.0%} of {target:g}"
        )
    return grid


@dataclass(frozen=True)
class GridResult:
    table: pd.DataFrame  # one row per candidate: coefficients, the scaled network and its metrics
    best: tuple[float, float, float]  # (alpha, beta, gamma) with the best metric


def grid_search(
    base: MBConvArch,
    evaluator: Evaluator,
    base_res: int,
    grid: Iterable[tuple[float, float, float]],
    *,
    phi: float = 1.0,
    seed: int = 0,
    metric: str = "valid_accuracy",
) -> GridResult:
    """Scale ``base`` by each coefficient triple at ``phi``, evaluate it, and return the best triple.

    Each network trains with a seed derived from ``seed`` and its hash, as in a search. A point
    whose training fails is kept in the table with its error and no metric; only when every point
    fails is the search given up.
    """
    rows = []
    for alpha, beta, gamma in grid:
        arch = scale(base, compound(phi, base_res, alpha, beta, gamma))
        finished = run_evaluation(evaluator, arch, Budget(), seed=derive_seed(seed, arch.hash_key))
        if finished.state is TrialState.COMPLETE and metric not in finished.metrics:
            raise InvalidOption(
                f"the evaluator reports no metric '{metric}'; it reports: {', '.join(sorted(finished.metrics))}"
            )
        product = alpha * beta**2 * gamma**2
        point = {"alpha": alpha, "beta": beta, "gamma": gamma, "product": product, "resolution": arch.resolution}
        rows.append({**point, **finished.metrics, "error": finished.error, "arch": arch.to_string()})
    table = pd.DataFrame(rows)
    if metric not in table or table[metric].isna().all():
        raise NasbenchError(f"every grid point failed to train; the first: {table.error.iloc[0]}")
    best = table.loc[table[metric].idxmax()]  # first of equals: the grid's order breaks ties; failures skipped
    return GridResult(table, (float(best.alpha), float(best.beta), float(best.gamma)))
