"""``nasbench scale``: scaled networks of a base (a preset, an architecture, or a run's best) with their costs."""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from nasbench.errors import InvalidOption
from nasbench.scaling.grid import (
    DEFAULT_ALPHAS,
    DEFAULT_BETAS,
    DEFAULT_GAMMAS,
    GridResult,
    coefficient_grid,
    grid_search,
    grid_sweep,
)
from nasbench.scaling.rules import PAPER_COEFFICIENTS, Scaling, base_resolution, compound, official, parse_variants
from nasbench.scaling.table import RunBest, best_of_run, scaling_table
from nasbench.search_spaces.mbconv import MBConvArch, MBConvSpace, base_arch
from nasbench.space import DataSpec
from nasbench.storage import atomic
from nasbench.storage.run_folder import CONFIG, TRIALS


@dataclass
class ScaleRequest:
    base: str = "efficientnet-b0"  # a preset name or an architecture string
    run: str | None = None  # scale the best network of this run folder instead
    variants: str | None = None  # rows of the EfficientNet table, e.g. "b0-b7"
    phis: list[float] = field(default_factory=list)  # the pure rule at these phi
    coefficients: tuple[float, float, float] = PAPER_COEFFICIENTS  # alpha, beta, gamma
    num_classes: int = 1000  # of a preset base (a run's best keeps its data's)
    resolution: int | None = None  # input size of a base that has none of its own
    latency_device: str | None = None  # measure latency there when set
    grid_search: bool = False
    grid: tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]] = (
        DEFAULT_ALPHAS,
        DEFAULT_BETAS,
        DEFAULT_GAMMAS,
    )
    tolerance: float = 0.05
    training: dict = field(default_factory=dict)  # TrainingEvaluator options of the grid search's proxy task
    grid_run: str | None = None  # run the grid as a sweep run in this folder (resumed when it exists)
    backend: str = "local"  # where the grid's points train: in process, or Ray Tune trials
    backend_options: dict = field(default_factory=dict)
    seed: int = 0


@dataclass
class ScaleReport:
    base: MBConvArch
    source: str  # what the base is, in words
    table: pd.DataFrame | None
    grid: GridResult | None
    coefficients: tuple[float, float, float]  # the ones the pure rule used


def _base(request: ScaleRequest) -> tuple[MBConvArch, DataSpec | None, str]:
    if request.run is not None:
        best: RunBest = best_of_run(request.run)
        return best.arch, best.data, f"trial {best.trial} of {request.run}"
    return base_arch(request.base), None, request.base


def run(request: ScaleRequest) -> ScaleReport:
    """Scale the base by the table rows and phis asked for; with ``grid_search``, find the coefficients first.

    A base without a resolution of its own runs at ``resolution``, else at its data's: the run's
    (``run``) or the proxy task's (``grid_search``). Costs are counted for that data's channels and classes, else for
    3-channel images and ``num_classes``.
    """
    base, data, source = _base(request)
    evaluator = None
    if request.grid_search:
        from nasbench.evaluators.training import TrainingEvaluator

        evaluator = TrainingEvaluator(MBConvSpace(), **request.training)
        data = data or evaluator.data_spec()
    base_res = base_resolution(base, request.resolution or (data.height if data else None))
    in_channels, num_classes = (data.channels, data.num_classes) if data else (3, request.num_classes)
    coefficients = request.coefficients
    grid = None
    if evaluator is not None:
        candidates = coefficient_grid(*request.grid, tolerance=request.tolerance)
        if request.grid_run is None:
            grid = grid_search(base, evaluator, base_res, candidates, seed=request.seed)
        else:
            grid = grid_sweep(
                base,
                base_res,
                candidates,
                request.grid_run,
                training=request.training,
                backend=request.backend,
                backend_options=request.backend_options,
                seed=request.seed,
            )
        coefficients = grid.best
    variants = (
        request.variants if request.variants is not None else (None if request.phis or request.grid_search else "b0-b7")
    )
    scalings: list[Scaling] = [official(v, base_res) for v in parse_variants(variants)] if variants is not None else []
    scalings += [compound(phi, base_res, *coefficients) for phi in request.phis]
    base = replace(base, resolution=base_res)
    table = scaling_table(base, scalings, in_channels, num_classes, request.latency_device) if scalings else None
    return ScaleReport(base, source, table, grid, coefficients)


def check_out(path: str | Path) -> Path:
    """Refuse an output path that cannot be a file, before any work is done."""
    path = Path(path)
    if path.is_dir():
        raise InvalidOption(f"--out {path} is a folder; give a file name such as {path / 'scale.csv'}")
    if (path.parent / CONFIG).exists() and (path.parent / TRIALS).exists():  # never replace a search's own tables
        raise InvalidOption(f"--out {path} is inside the run folder {path.parent}; write the table elsewhere")
    return path


def write_csv(table: pd.DataFrame, path: str | Path) -> Path:
    """Atomically, so a reader never sees half a table."""
    path = check_out(path)
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    atomic.write_text(path, buffer.getvalue())
    return path
