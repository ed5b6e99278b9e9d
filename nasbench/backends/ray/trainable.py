"""What a Ray worker runs for one trial: decode the architecture, evaluate it, report to Tune.

The trial's config holds only plain values (``ARCH``, ``NUMBER``, ``SEED``, ``BUDGET``); the space, the
evaluator and the objective reach the worker once, through Ray's object store.

Every result carries the candidate's metrics under ``METRICS``, the epoch, the objective value
an early-stopping scheduler ranks by, and the node. The last result of an evaluation that
returned is marked ``FINAL``; a trial whose last result is not final was stopped early.
"""

from __future__ import annotations

import math
import os
import sys
import time
from contextlib import nullcontext

from nasbench.errors import CandidateFailed, InvalidArchitecture, NasbenchError
from nasbench.evaluator import Metrics
from nasbench.objective import Objective
from nasbench.trial import Budget

# trial config (BUDGET: ``Budget.to_dict()``, empty for the evaluator's default)
ARCH, NUMBER, SEED, BUDGET = "arch", "number", "seed", "budget"
# result keys (Tune adds its own: node_ip, time_total_s, training_iteration, ...)
METRICS, EPOCH, OBJECTIVE, FINAL, ERROR, WALL, NODE = (
    "metrics",
    "epoch",
    "objective",
    "final",
    "error",
    "wall_seconds",
    "node_id",
)
#: the first objective value after each epoch so far, ";"-separated (kept for a deterministic search's early
#: stopping: ``nasbench.backends.ray.ordered_asha``)
EPOCH_VALUES = "epoch_values"


def objective_value(objective: Objective, metrics: Metrics) -> float:
    """The first objective value, NaN when these metrics cannot give it (a scheduler then skips them)."""
    try:
        return objective.values(metrics)[0]
    except NasbenchError:
        return math.nan


def _threads(count: int):
    """torch's thread count for the evaluation, where the evaluator has loaded torch (unpickling a
    training evaluator does). A table look-up leaves torch unloaded, sparing each fresh trial process
    the seconds of importing it; an evaluator that imports torch only when called still gets Ray's
    ``OMP_NUM_THREADS``, the trial's CPUs."""
    if "torch" not in sys.modules:
        return nullcontext()
    from nasbench.training.devices import torch_threads

    return torch_threads(count)


def evaluate_trial(
    config: dict,
    *,
    space,
    evaluator,
    objective: Objective,
    workdir: str,
    threads: int = 1,
    keep_epoch_values: bool = False,
) -> None:
    """Tune's function trainable. Exceptions propagate, so Tune retries the trial.

    ``CandidateFailed`` (a diverged loss, a network missing from a table) and an architecture the
    space cannot decode fail the trial at once instead: the same seed would fail the same way.
    """
    import ray
    from ray import tune

    if os.path.isdir(workdir):  # relative paths (data, weights) mean what they mean to the driver
        os.chdir(workdir)
    node = ray.get_runtime_context().get_node_id()
    last_epoch = 0
    epoch_values: list[float] = []

    def result(metrics: Metrics, final: bool, error: str = "", wall: float = 0.0) -> dict:
        value = objective_value(objective, metrics)
        kept = {EPOCH_VALUES: ";".join(map(repr, epoch_values))} if keep_epoch_values and epoch_values else {}
        return {
            METRICS: dict(metrics),
            EPOCH: last_epoch,
            OBJECTIVE: value,
            FINAL: final,
            ERROR: error,
            WALL: wall,
            NODE: node,
            **kept,
        }

    def report(epoch: int, metrics: Metrics) -> None:
        nonlocal last_epoch
        last_epoch = epoch
        epoch_values.append(objective_value(objective, metrics))
        tune.report(result(metrics, final=False))

    start = time.perf_counter()
    try:
        arch = space.decode(config[ARCH])
        with _threads(threads):
            metrics = evaluator(arch, Budget.from_dict(config.get(BUDGET, {})), seed=config[SEED], report=report)
    except (CandidateFailed, InvalidArchitecture) as exc:
        tune.report(result({}, final=True, error=str(exc), wall=time.perf_counter() - start))
        return
    tune.report(result(metrics, final=True, wall=time.perf_counter() - start))
