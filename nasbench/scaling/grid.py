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
from nasbench.evaluator import Evaluator
from nasbench.objective import Objective, Target
from nasbench.results import TrialRecord
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
    """Every (alpha, beta, gamma) whose ``alpha * beta^2 * gamma^2`` is within ``tolerance`` (relative) of
    ``target``."""
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


def grid_points(
    base: MBConvArch, base_res: int, grid: Iterable[tuple[float, float, float]], phi: float = 1.0
) -> list[dict]:
    """The sweep points of the grid: ``base`` scaled by each coefficient triple at ``phi``."""
    return [
        {
            "arch": scale(base, compound(phi, base_res, alpha, beta, gamma)).to_string(),
            "network": f"alpha={alpha:g},beta={beta:g},gamma={gamma:g}",
        }
        for alpha, beta, gamma in grid
    ]


def grid_table(grid: list[tuple[float, float, float]], records: list[TrialRecord], metric: str) -> GridResult:
    """The grid's table (coefficients, metrics, error, network) from the sweep's records, and the best triple.

    A point whose training failed keeps its row with its error and no metric; only when every
    point fails is the grid given up.
    """
    rows = []
    for (alpha, beta, gamma), record in zip(grid, records):
        if record.state is TrialState.COMPLETE and metric not in record.metrics:
            raise InvalidOption(
                f"the evaluator reports no metric '{metric}'; it reports: {', '.join(sorted(record.metrics))}"
            )
        resolution = MBConvArch.from_string(record.arch).resolution
        point = {"alpha": alpha, "beta": beta, "gamma": gamma, "product": alpha * beta**2 * gamma**2}
        rows.append({**point, "resolution": resolution, **record.metrics, "error": record.error, "arch": record.arch})
    table = pd.DataFrame(rows)
    if metric not in table or table[metric].isna().all():
        raise NasbenchError(f"every grid point failed to train; the first: {table.error.iloc[0]}")
    best = table.loc[table[metric].idxmax()]  # first of equals: the grid's order breaks ties; failures skipped
    return GridResult(table, (float(best.alpha), float(best.beta), float(best.gamma)))


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

    The grid is a sweep (``nasbench.strategies.sweep``) run in this process with no run folder;
    ``nasbench scale --grid-search`` runs it as a sweep run instead (Ray, resume). Each network
    trains with a seed derived from ``seed`` and its hash, as in a search.
    """
    from nasbench.backends.local import evaluate_in_process
    from nasbench.search_spaces.mbconv import MBConvSpace
    from nasbench.session import SearchSession
    from nasbench.strategies.sweep import Sweep

    grid = list(grid)
    points = grid_points(base, base_res, grid, phi)
    strategy = Sweep(MBConvSpace(), seed=seed, points=points)
    session = SearchSession(strategy, Objective((Target(metric),)), None, len(points), seed)
    evaluate_in_process(session, evaluator)
    return grid_table(grid, [session.records[i] for i in range(len(points))], metric)


def grid_sweep(
    base: MBConvArch,
    base_res: int,
    grid: Iterable[tuple[float, float, float]],
    run_dir: str,
    *,
    training: dict,
    backend: str = "local",
    backend_options: dict | None = None,
    phi: float = 1.0,
    seed: int = 0,
) -> GridResult:
    """The grid as a sweep run in ``run_dir`` on a backend (Ray or in process); a run already
    there (an interrupted grid) is resumed, and only its missing points are trained."""
    from nasbench import search
    from nasbench.scaling.sweep import sweep_config
    from nasbench.storage.run_folder import RunFolder

    grid = list(grid)
    points = grid_points(base, base_res, grid, phi)
    if RunFolder(run_dir).exists():
        run = search.resume(run_dir)
        if run.config.strategy_options.get("points") != points:
            run.release()
            raise InvalidOption(f"{run_dir} holds another grid; give another --grid-run folder")
    else:
        config = sweep_config(
            "mbconv", points, training=training, seed=seed, backend=backend, backend_options=backend_options
        )
        run = search.start(config, run_dir)
    run.run()
    return grid_table(grid, [run.session.records[i] for i in range(len(points))], "valid_accuracy")
