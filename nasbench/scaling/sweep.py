"""What a sweep trains: networks (a scaled family, strings, a run's Pareto front) across budgets.

A sweep is a run of the ``sweep`` strategy (``nasbench.strategies.sweep``): this module only
builds its points and its configuration; ``nasbench.search`` starts, runs and resumes it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from nasbench.config import SearchConfig
from nasbench.errors import InvalidOption, ResultsError
from nasbench.objective import Objective, Target
from nasbench.options import check_positive
from nasbench.results import read_trials
from nasbench.scaling.rules import Scaling, base_resolution, compound, scale
from nasbench.search_spaces.mbconv import base_arch


@dataclass(frozen=True)
class Network:
    name: str  # a label for tables and plots: "phi=1", "width=2", "trial 7", or the string itself
    arch: str
    #: the architecture a scaled network was scaled from ("trial 7"): laws are fitted per family
    family: str = ""


def compound_family(
    base: str, phis: Sequence[float], resolution: int, coefficients: tuple[float, float, float]
) -> list[Network]:
    """``base`` scaled by the compound rule at each phi (depth alpha^phi, width beta^phi, resolution gamma^phi)."""
    arch = base_arch(base)
    res = base_resolution(arch, resolution)
    return [Network(f"phi={phi:g}", scale(arch, compound(phi, res, *coefficients)).to_string()) for phi in phis]


def multiplier_family(
    base: str, widths: Sequence[float], depths: Sequence[float], resolution: int, family: str = ""
) -> list[Network]:
    """``base`` at every (width, depth) multiplier pair, at the base's (or the data's) resolution."""
    for name, values in (("--width", widths), ("--depth", depths)):
        for value in values:
            check_positive(value, name)
    arch = base_arch(base)
    res = base_resolution(arch, resolution)
    networks = []
    for width, depth in itertools.product(widths or [1.0], depths or [1.0]):
        scaled = scale(arch, Scaling(f"w{width:g}d{depth:g}", depth, width, res))
        label = f"width={width:g},depth={depth:g}"
        networks.append(Network(f"{family}, {label}" if family else label, scaled.to_string(), family))
    return networks


def scaled_front(path: str, widths: Sequence[float], depths: Sequence[float], resolution: int, at_least: int = 1):
    """The Pareto front of an earlier MBConv search (``at_least`` networks: see ``front_of_run``), each
    network at every (width, depth) multiplier: a family per front network, whose laws say which wins at
    more compute."""
    space, options, front = front_of_run(path, at_least)
    if space not in ("mbconv", "mbconv-supernet"):
        raise InvalidOption(
            f"widths and depths scale MBConv networks only; the run in {path} searched '{space}' "
            "(sweep its front as it is: --from with --train-size)"
        )
    networks = [n for f in front for n in multiplier_family(f.arch, widths, depths, resolution, family=f.name)]
    return "mbconv", {}, networks


def train_sizes_for_budget(
    macs: Sequence[float], budget: float, epochs: int, seeds: int, available: int, count: int = 4, ratio: int = 4
) -> list[int]:
    """``count`` training-set sizes on a log grid (each ``ratio`` times the last), the largest as large as the
    compute ``budget`` allows: every network (``macs`` per example) trained on every size, ``epochs`` each,
    ``seeds`` times, costs at most ``budget`` multiply-adds (3 per forward multiply-add: forward and backward)."""
    check_positive(budget, "--compute-budget")
    per_example = 3 * sum(macs) * epochs * seeds
    ladder = [ratio**-j for j in range(count)]
    largest = min(available, int(budget / (per_example * sum(ladder))))
    sizes = sorted({int(largest * step) for step in ladder})
    if len(sizes) < count or sizes[0] < 16:
        need = per_example * sum(ladder) * 16 * ratio ** (count - 1)
        raise InvalidOption(
            f"--compute-budget {budget:.3g} buys no {count} training-set sizes of 16 or more examples for these "
            f"networks; at least {need:.3g} multiply-adds"
        )
    return sizes


def front_of_run(path: str, at_least: int = 1) -> tuple[str, dict, list[Network]]:
    """The space, its options, and the Pareto-optimal networks of an earlier search.

    A multi-objective run's own objective gives the front; a single-objective one's first target
    is traded against multiply-adds. ``at_least``: a front of fewer networks is followed by the next
    fronts (the networks only it dominates, and so on) until there are as many, or the run has no more.
    """
    from nasbench.analysis.pareto import pareto_front
    from nasbench.storage.run_folder import RunFolder

    folder = RunFolder(path)
    config = SearchConfig.from_dict(folder.read_config())
    objective = config.objective_value()
    if objective.size < 2:
        objective = Objective((objective.targets[0], Target("macs", maximize=False)))
    table = read_trials(folder)
    missing = [t.metric for t in objective.targets if t.metric not in table.columns]
    if missing:
        raise ResultsError(f"{folder.path} has no column {', '.join(missing)} to take a Pareto front over")
    front = pareto_front(table, objective, at_least)
    if front.empty:
        raise ResultsError(f"{folder.path} has no completed trial to sweep")
    networks = [Network(f"trial {int(row.number)}", str(row.arch)) for row in front.itertuples()]
    return config.space, dict(config.space_options), networks


def sweep_points(
    networks: Sequence[Network],
    train_sizes: Sequence[int | None] = (None,),
    epochs: Sequence[int | None] = (None,),
    replicates: int = 1,
) -> list[dict]:
    """Every (network, training-set size, epochs, replicate), network-major, as the sweep strategy's points."""
    if not networks:
        raise InvalidOption("a sweep needs at least one network")
    if replicates < 1:
        raise InvalidOption(f"a sweep needs at least one seed per point, got {replicates}")
    if any(n is not None and n < 1 for n in train_sizes) or any(e is not None and e < 1 for e in epochs):
        raise InvalidOption("training-set sizes and epochs must be positive")
    points = []
    for network, size, epoch, replicate in itertools.product(
        networks, train_sizes or [None], epochs or [None], range(replicates)
    ):
        point = {"arch": network.arch, "network": network.name, "replicate": replicate}
        if network.family:
            point["family"] = network.family
        if size is not None:
            point["train_size"] = int(size)
        if epoch is not None:
            point["epochs"] = int(epoch)
        points.append(point)
    return points


def sweep_config(
    space: str,
    points: list[dict],
    *,
    space_options: dict | None = None,
    training: dict | None = None,
    seed: int = 0,
    backend: str = "ray",
    backend_options: dict | None = None,
    objective: Objective | None = None,
) -> SearchConfig:
    """The run configuration of a sweep: the ``sweep`` strategy over ``points``, trained by the training evaluator.

    ``training`` holds evaluator options; its ``epochs``, if any, is the epochs of a point that names none.
    """
    training = dict(training or {})
    epochs = training.pop("epochs", None)
    return SearchConfig(
        space=space,
        strategy="sweep",
        evaluator="train",
        budget=len(points),
        seed=seed,
        space_options=dict(space_options or {}),
        strategy_options={"points": points},
        evaluator_options=training,
        objective=(objective or Objective()).to_dict(),
        backend=backend,
        backend_options=dict(backend_options or {}),
        trial_budget={} if epochs is None else {"epochs": epochs},
    )
