"""Evaluators and a Ray fixture for the Ray backend's tests.

Ray workers cannot import the tests folder, so the fixture has Ray pickle this module's classes by
value. Every evaluator answers from the NAS-Bench-201 table, so a trial takes no time of its own.
"""

from __future__ import annotations

import builtins
import logging
import os
import sys
import time
import uuid
from pathlib import Path

from nasbench.errors import CandidateFailed
from nasbench.evaluator import Evaluator
from nasbench.evaluators.tabular import TabularEvaluator
from nasbench.trial import Budget


class FailsFirst(Evaluator):
    """Raises (or, with ``crash``, kills its worker) the first time it meets a network; then answers."""

    def __init__(self, table, marker_dir, crash: bool = False) -> None:
        self.table, self.marker_dir, self.crash = table, str(marker_dir), crash

    def metric_names(self):
        return self.table.metric_names()

    def __call__(self, arch, budget, *, seed, report=None):
        marker = Path(self.marker_dir) / arch.hash_key
        if not marker.exists():
            marker.touch()
            if self.crash:
                os._exit(1)
            raise RuntimeError(f"first attempt at {arch.hash_key[:8]}")
        return self.table(arch, budget, seed=seed, report=report)


class Broken(Evaluator):
    """Networks whose first edge is a convolution raise every time; the others fail as candidates."""

    def __init__(self, table) -> None:
        self.table = table

    def metric_names(self):
        return self.table.metric_names()

    def __call__(self, arch, budget, *, seed, report=None):
        if arch.ops[0].startswith("nor_conv"):
            raise RuntimeError("broken for good")
        raise CandidateFailed("diverged")


class Curves(Evaluator):
    """Validation accuracy climbing linearly to the table's value over the trial's epochs (``epochs`` by default)."""

    def __init__(self, table, epochs: int = 4) -> None:
        self.table, self.epochs = table, epochs

    def budget_defaults(self):
        return Budget(epochs=self.epochs)

    def metric_names(self):
        return self.table.metric_names() + ("epochs",)

    def __call__(self, arch, budget, *, seed, report=None):
        final, epochs = self.table(arch, budget, seed=seed), budget.epochs
        for epoch in range(1, epochs + 1):
            if report is not None:
                report(epoch, {"valid_accuracy": final["valid_accuracy"] * epoch / epochs, "epochs": float(epoch)})
        return {**final, "epochs": float(epochs)}


class Slow(Evaluator):
    """The table, taking ``seconds`` per network (so that trials overlap in time)."""

    def __init__(self, table, seconds: float) -> None:
        self.table, self.seconds = table, seconds

    def metric_names(self):
        return self.table.metric_names()

    def __call__(self, arch, budget, *, seed, report=None):
        time.sleep(self.seconds)
        return self.table(arch, budget, seed=seed, report=report)


class ImportsSeen(Evaluator):
    """The table, with a metric saying whether the process evaluating it has imported torch."""

    def __init__(self, table) -> None:
        self.table = table

    def metric_names(self):
        return self.table.metric_names() + ("torch_imported",)

    def __call__(self, arch, budget, *, seed, report=None):
        return {**self.table(arch, budget, seed=seed, report=report), "torch_imported": float("torch" in sys.modules)}


class GatedTable(TabularEvaluator):
    """The tabular evaluator, but every evaluation after the first ``first`` waits (up to ``timeout``
    seconds) until the file ``gate`` exists. A search stopped while one waits is stopped half-way,
    however fast the machine's look-ups; the test opens the gate before resuming it. Evaluations are
    counted by the files left in ``gate``'s folder (trials run in other processes)."""

    def __init__(self, space, path, columns=None, gate: str = "", first: int = 20, timeout: float = 300) -> None:
        super().__init__(space, path, columns)
        self.gate, self.first, self.timeout = gate, first, timeout

    def __call__(self, arch, budget, *, seed, report=None):
        gate = Path(self.gate)
        (gate.parent / f"evaluation-{uuid.uuid4().hex}").touch()
        if len(list(gate.parent.glob("evaluation-*"))) > self.first:
            deadline = time.monotonic() + self.timeout
            while not gate.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        return super().__call__(arch, budget, seed=seed, report=report)


class Gates(TabularEvaluator):
    """The tabular evaluator, but evaluation number n (counted across processes and drivers by the files
    left in ``folder``) waits, up to ``timeout`` seconds, while n exceeds one of ``stops`` whose file
    ``open-<stop>`` is not in ``folder`` yet: a search can be stopped at each stop in turn, however fast
    the machine's look-ups."""

    def __init__(self, space, path, columns=None, folder: str = "", stops: str = "", timeout: float = 300) -> None:
        super().__init__(space, path, columns)
        self.folder, self.stops, self.timeout = folder, stops, timeout

    def __call__(self, arch, budget, *, seed, report=None):
        folder = Path(self.folder)
        (folder / f"evaluation-{uuid.uuid4().hex}").touch()
        count = len(list(folder.glob("evaluation-*")))
        closed = [s for s in map(int, filter(None, self.stops.split(","))) if count > s]
        deadline = time.monotonic() + self.timeout
        while any(not (folder / f"open-{s}").exists() for s in closed) and time.monotonic() < deadline:
            time.sleep(0.05)
        return super().__call__(arch, budget, seed=seed, report=report)


class Rendezvous(Evaluator):
    """The table, but each network waits (up to ``timeout`` seconds) until trials have started on
    ``nodes`` different Ray nodes, so a node slow to start its first trial still gets one: on a loaded
    machine, the other node could otherwise finish every trial before it is ready."""

    def __init__(self, table, folder: str, nodes: int = 2, timeout: float = 300) -> None:
        self.table, self.folder, self.nodes, self.timeout = table, folder, nodes, timeout

    def metric_names(self):
        return self.table.metric_names()

    def __call__(self, arch, budget, *, seed, report=None):
        import ray

        folder = Path(self.folder)
        (folder / ray.get_runtime_context().get_node_id()).touch()
        deadline = time.monotonic() + self.timeout
        while len(list(folder.iterdir())) < self.nodes and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.table(arch, budget, seed=seed, report=report)


def processes_marked(mark: str) -> list:
    """This machine's processes whose environment has NASBENCH_TEST_MARK=mark (Ray's inherit it)."""
    import psutil

    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("NASBENCH_TEST_MARK") == mark:
                found.append(process)
        except psutil.Error:
            pass
    return found


def end_processes_marked(mark: str, grace: float = 3.0) -> None:
    """End, by process id, what a test started: SIGTERM, then SIGKILL after ``grace`` seconds."""
    from nasbench.backends.ray.processes import end_processes

    end_processes(processes_marked(mark), grace)


def connect(address: str = "local", **init):
    """Start (or join) Ray for a test module, able to unpickle this module's evaluators.

    Returns the ``print`` in force before: Ray may replace it, and ``disconnect`` puts it back.
    """
    import ray
    import ray.cloudpickle
    import ray_helpers

    print_before = builtins.print
    ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR, **init)
    ray.cloudpickle.register_pickle_by_value(ray_helpers)
    return print_before


def disconnect(print_before) -> None:
    import ray
    import ray.cloudpickle
    import ray_helpers

    ray.cloudpickle.unregister_pickle_by_value(ray_helpers)
    ray.shutdown()
    builtins.print = print_before
