"""Trials as a strategy sees them: what was asked, and how it ended."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from nasbench.arch import Arch
from nasbench.budget import Budget


class TrialState(str, enum.Enum):
    RUNNING = "RUNNING"  # asked, not finished: only ever in the trial table, never told
    COMPLETE = "COMPLETE"
    FAIL = "FAIL"
    PRUNED = "PRUNED"  # stopped early; values are those of the last report


@dataclass(frozen=True)
class Trial:
    """One architecture a strategy asked to be evaluated; ``number`` counts the strategy's asks."""

    number: int
    arch: Arch
    budget: Budget = Budget()  # the evaluator's default unless a sweep sets one

    @property
    def key(self) -> str:
        """What identifies an evaluation: the graph hash, and the budget when it is not the default.

        Two trials with the same key are the same evaluation (the second is answered from the cache).
        """
        budget = self.budget.key()
        return self.arch.hash_key if not budget else f"{self.arch.hash_key}/{budget}"


@dataclass(frozen=True)
class Outcome:
    """What a strategy is told about a trial.

    ``values`` are the objective values, every one to be maximised; ``None`` when the trial failed.
    """

    state: TrialState
    values: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.state is TrialState.RUNNING:
            raise ValueError("a strategy is told finished trials only")
        if self.state is not TrialState.FAIL and self.values is None:
            raise ValueError(f"a {self.state.value} outcome needs objective values")


@dataclass(frozen=True)
class Finished:
    """How an evaluation ended, as a backend reports it."""

    state: TrialState
    metrics: dict[str, float] = field(default_factory=dict)
    error: str = ""
    wall_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
