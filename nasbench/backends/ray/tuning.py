"""The pieces of a search's Tune experiment: its name and trials' names, the scheduler, the resources."""

from __future__ import annotations

from pathlib import Path

from ray.tune.schedulers import ASHAScheduler

from nasbench.backends.ray.ordered_asha import OrderedASHA, parse_epoch_values
from nasbench.backends.ray.trainable import EPOCH, EPOCH_VALUES, NUMBER, OBJECTIVE
from nasbench.errors import NasbenchError
from nasbench.evaluator import Evaluator
from nasbench.session import SearchSession

#: Tune's logs of a run go to results/<run>/tune/<experiment>, one experiment per driver
TUNE_DIR = "tune"


def experiment_name(storage: Path) -> str:
    """``search-0`` for a new run, ``search-1`` for its first resumption, and so on."""
    taken = {p.name for p in storage.iterdir()} if storage.is_dir() else set()
    return next(f"search-{i}" for i in range(len(taken) + 1) if f"search-{i}" not in taken)


def trial_name(trial) -> str:
    """Tune's name (and folder) of a trial: the session's trial number."""
    return f"trial_{trial.config[NUMBER]}"


def asha(session: SearchSession, grace_period: int, reduction_factor: float):
    """Early stopping over the epochs every trial trains for, ranking by the first objective value: Ray's
    ASHA (Li et al. 2020), or for a deterministic search its ordered variant (``ordered_asha``).

    The last rung is the epoch before the final one: a candidate that reached its final epoch
    finishes, so a pruned trial always saved work.
    """
    max_t = session.trial_budget.epochs - 1
    if session.window is not None:
        known = {r.number: parse_epoch_values(r.extra.get(EPOCH_VALUES)) for r in session.records.values()}
        return OrderedASHA(session.window, max_t, grace_period, reduction_factor, known)
    return ASHAScheduler(
        time_attr=EPOCH,
        metric=OBJECTIVE,
        mode="max",
        max_t=max_t,
        grace_period=grace_period,
        reduction_factor=reduction_factor,
        stop_last_trials=False,
    )


def check_some_node_fits(resources: dict[str, float], folder: Path) -> None:
    """Tune would wait forever for a trial no node can hold; say so instead."""
    import ray

    nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
    if any(n.get("CPU", 0) >= resources["cpu"] and n.get("GPU", 0) >= resources["gpu"] for n in nodes):
        return
    largest = max(nodes, key=lambda n: (n.get("CPU", 0), n.get("GPU", 0)), default={})
    raise NasbenchError(
        f"no Ray node can hold a trial of {resources['cpu']:g} CPU(s) and {resources['gpu']:g} GPU(s) (the largest has "
        f"{largest.get('CPU', 0):g} and {largest.get('GPU', 0):g}); resume with smaller ones: "
        f"nasbench search --resume {folder} --cpus-per-trial N --gpus-per-trial N"
    )


def gpus_per_trial(asked: float | None, evaluator: Evaluator) -> float:
    """``asked``, or by default one GPU per trial when the cluster has GPUs and the evaluator uses one."""
    import ray

    if asked is not None:
        return asked
    return 1.0 if evaluator.uses_gpu and ray.cluster_resources().get("GPU", 0) > 0 else 0.0
