"""Where a supernet training's workers run: what a resumed training may change."""

from __future__ import annotations

from dataclasses import dataclass

from nasbench.errors import InvalidOption


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
        if not self.cpus_per_worker > 0 or self.gpus_per_worker < 0:
            raise InvalidOption("--cpus-per-worker must be positive and --gpus-per-worker 0 or more")
