"""Evaluators: plain functions (architecture, budget) -> metrics.

An evaluator is a small picklable object, so a Ray worker can receive it and call it on an
architecture it decoded from its string.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from nasbench.arch import Arch

Metrics = dict[str, float]
#: called by an evaluator after each epoch with the metrics so far; early-stopping schedulers use it
Reporter = Callable[[int, Metrics], None]


@dataclass(frozen=True)
class Budget:
    """How much to spend on one candidate; ``None`` fields mean the evaluator's default.

    A search gives every trial the default budget; a sweep gives each of its points its own
    (training-set size, epochs, replicate), and the budget is then part of the trial's identity.
    """

    epochs: int | None = None
    data_fraction: float = 1.0
    #: training examples, the first ``train_size`` of the training split (nested sets, so data curves
    #: are smooth); ``None``: ``data_fraction`` of the split
    train_size: int | None = None
    #: which independent training of the same network and budget this is (it changes the seed)
    replicate: int = 0

    def __post_init__(self) -> None:
        from nasbench.errors import InvalidOption

        if self.epochs is not None and self.epochs < 1:
            raise InvalidOption(f"a budget's epochs must be positive, got {self.epochs}")
        if self.train_size is not None and self.train_size < 1:
            raise InvalidOption(f"a budget's train_size must be positive, got {self.train_size}")
        if self.replicate < 0:
            raise InvalidOption(f"a budget's replicate must be 0 or more, got {self.replicate}")

    def to_dict(self) -> dict:
        """The fields that differ from the default (plain values, for a Ray trial's config or JSON)."""
        default = Budget()
        return {k: v for k, v in vars(self).items() if v != getattr(default, k)}

    @classmethod
    def from_dict(cls, data: dict) -> Budget:
        return cls(**data)

    def key(self) -> str:
        """A canonical text of the fields set (``""`` for the default budget)."""
        return ",".join(f"{k}={v}" for k, v in self.to_dict().items())


class Evaluator(Protocol):
    def __call__(self, arch: Arch, budget: Budget, *, seed: int, report: Reporter | None = None) -> Metrics:
        """Train or look up ``arch``; raise ``CandidateFailed`` when it cannot be trained."""

    def metric_names(self) -> tuple[str, ...]:
        """The metrics every successful call returns, so an objective can be checked up front."""


def derive_seed(seed: int, *keys: object) -> int:
    """A 31-bit seed determined by ``seed`` and ``keys`` (stable across processes and runs)."""
    text = ":".join(str(k) for k in (seed, *keys))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little") & 0x7FFFFFFF


def run_evaluation(evaluator: Evaluator, arch: Arch, budget: Budget, *, seed: int, report: Reporter | None = None):
    """Call an evaluator and turn what happens into a ``Finished`` outcome.

    A candidate that raises is a failed trial and the search goes on; a ``NasbenchError`` is the
    user's problem (missing data, say) and stops the search with its message.
    """
    import time

    from nasbench.errors import CandidateFailed, NasbenchError
    from nasbench.session import Finished
    from nasbench.trial import TrialState

    start = time.perf_counter()
    try:
        metrics = evaluator(arch, budget, seed=seed, report=report)
    except CandidateFailed as exc:
        return Finished(TrialState.FAIL, error=str(exc), wall_seconds=time.perf_counter() - start)
    except NasbenchError:
        raise
    except Exception as exc:  # a candidate that breaks must not end the search
        return Finished(TrialState.FAIL, error=f"{type(exc).__name__}: {exc}", wall_seconds=time.perf_counter() - start)
    return Finished(TrialState.COMPLETE, metrics=dict(metrics), wall_seconds=time.perf_counter() - start)
