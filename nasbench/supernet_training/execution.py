"""Where a supernet training's workers run: what a resumed training may change."""

from __future__ import annotations

import os
from dataclasses import dataclass

from nasbench.errors import InvalidOption
from nasbench.options import check_finite, check_positive


@dataclass(frozen=True)
class Execution:
    """Where the workers run; may change when a run is resumed (the result does not depend on it
    beyond the tolerance of data-parallel arithmetic)."""

    workers: int = 1
    address: str | None = None  # a Ray cluster; None starts an embedded local Ray
    cpus_per_worker: float = 1.0  # also the worker's torch threads on the CPU
    gpus_per_worker: float = 0.0  # > 0 trains on GPUs, with NCCL between the workers

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise InvalidOption(f"--workers must be at least 1, got {self.workers}")
        check_positive(self.cpus_per_worker, "--cpus-per-worker")
        check_finite(self.gpus_per_worker, "--gpus-per-worker")
        if self.gpus_per_worker < 0:
            raise InvalidOption(f"--gpus-per-worker must be 0 or more, got {self.gpus_per_worker}")

    def check(self) -> None:
        """Refuse, before anything is written, workers that could never start: a cluster nobody answers at
        ``address``, or more CPUs or GPUs than this machine has for an embedded Ray (Ray would wait for
        them forever). A cluster's own resources are checked once it is joined."""
        if self.address is not None:
            from nasbench.backends.ray.cluster import check_reachable

            check_reachable(self.address)
            return
        cpus = os.cpu_count() or 1
        if self.workers * self.cpus_per_worker > cpus:
            raise InvalidOption(
                f"{self.workers} worker(s) of {self.cpus_per_worker:g} CPU(s) need more than the {cpus} CPUs of "
                "this machine; give fewer --workers or --cpus-per-worker"
            )
        if self.gpus_per_worker > 0:
            import torch

            gpus = torch.cuda.device_count()
            if self.workers * self.gpus_per_worker > gpus:
                raise InvalidOption(
                    f"{self.workers} worker(s) of {self.gpus_per_worker:g} GPU(s) need more than the {gpus} GPUs "
                    "torch sees on this machine; train on the CPU (--gpus-per-worker 0) or join a cluster (--address)"
                )
