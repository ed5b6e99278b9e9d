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
    """How much to spend on one candidate; ``None`` fields mean the evaluator's default."""

    epochs: int | None = None
    data_fraction: float = 1.0


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
