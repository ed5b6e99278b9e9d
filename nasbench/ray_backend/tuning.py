"""One search as one Tune experiment: the trainable, its resources, the scheduler, the searcher."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ray import tune
from ray.tune.schedulers import ASHAScheduler

from nasbench.errors import NasbenchError
from nasbench.evaluator import Evaluator
from nasbench.ray_backend.cluster import quiet_tune, ray_connection
from nasbench.ray_backend.searcher import SessionSearcher
from nasbench.ray_backend.trainable import EPOCH, NUMBER, OBJECTIVE, evaluate_trial
from nasbench.session import SearchSession
from nasbench.space import SearchSpace

if TYPE_CHECKING:
    from nasbench.ray_backend.backend import RayBackend

#: Tune's logs of a run go to results/<run>/tune/<experiment>, one experiment per driver
TUNE_DIR = "tune"


def experiment_name(storage: Path) -> str:
    """``search-0`` for a new run, ``search-1`` for its first resumption, and so on."""
    taken = {p.name for p in storage.iterdir()} if storage.is_dir() else set()
    return next(f"search-{i}" for i in range(len(taken) + 1) if f"search-{i}" not in taken)


def trial_name(trial) -> str:
    """Tune's name (and folder) of a trial: the session's trial number."""
    return f"trial_{trial.config[NUMBER]}"


def asha(options: RayBackend, evaluator: Evaluator) -> ASHAScheduler:
    """ASHA over the epochs an evaluator reports, ranking by the first objective value.

    Its last rung is the epoch before the final one: a candidate that reached its final epoch
    finishes, so a pruned trial always saved work.
    """
    epochs = evaluator.epochs
    return ASHAScheduler(
        time_attr=EPOCH,
        metric=OBJECTIVE,
        mode="max",
        max_t=epochs - 1,
        grace_period=options.grace_period,
        reduction_factor=options.reduction_factor,
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


def _gpus_per_trial(options: RayBackend, evaluator: Evaluator) -> float:
    import ray

    if options.gpus_per_trial is not None:
        return options.gpus_per_trial
    return 1.0 if evaluator.uses_gpu and ray.cluster_resources().get("GPU", 0) > 0 else 0.0


def evaluate_on_ray(
    session: SearchSession, space: SearchSpace, evaluator: Evaluator, folder: str | Path, options: RayBackend
) -> None:
    """Run the session's remaining evaluations as Tune trials; Tune's logs go to ``folder/tune``."""
    folder = Path(folder).resolve()
    options.check(evaluator)
    scheduler = asha(options, evaluator) if options.scheduler == "asha" else None
    if session.done():
        return
    storage = folder / TUNE_DIR
    with ray_connection(options.address, folder):
        resources = {"cpu": options.cpus_per_trial, "gpu": _gpus_per_trial(options, evaluator)}
        check_some_node_fits(resources, folder)
        threads = max(1, int(options.cpus_per_trial))  # torch in the worker uses the CPUs the trial holds
        trainable = tune.with_parameters(
            evaluate_trial,
            space=space,
            evaluator=evaluator,
            objective=session.objective,
            workdir=os.getcwd(),
            threads=threads,
        )
        searcher = SessionSearcher(session)
        with quiet_tune():
            tune.Tuner(
                tune.with_resources(trainable, resources),
                tune_config=tune.TuneConfig(
                    search_alg=searcher,
                    scheduler=scheduler,
                    num_samples=-1,  # the searcher says when the budget is spent
                    max_concurrent_trials=options.max_concurrent,
                    reuse_actors=True,
                    trial_name_creator=trial_name,
                    trial_dirname_creator=trial_name,
                ),
                run_config=tune.RunConfig(
                    name=experiment_name(storage),
                    storage_path=str(storage),
                    failure_config=tune.FailureConfig(max_failures=options.max_failures),
                    callbacks=[searcher.watcher()],
                    verbose=0,
                ),
            ).fit()
    session.flush()
    searcher.raise_error()
    if not session.done():
        raise NasbenchError(
            f"Tune stopped with {session.running()} trial(s) unfinished; resume the run to evaluate them"
        )
