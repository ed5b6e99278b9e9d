"""Trials as a strategy sees them: what was asked, with what budget and seed, and how it ended."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from typing import Any

from nasbench.arch import Arch


class TrialState(str, enum.Enum):
    RUNNING = "RUNNING"  # asked, not finished: only ever in the trial table, never told
    COMPLETE = "COMPLETE"
    FAIL = "FAIL"
    PRUNED = "PRUNED"  # stopped early; values are those of the last report


#: the most epochs a network is trained for: more is a typo, not a plan (ImageNet recipes take a few hundred)
MAX_EPOCHS = 10_000


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

        if self.epochs is not None and not 1 <= self.epochs <= MAX_EPOCHS:
            raise InvalidOption(f"a budget's epochs must be in 1..{MAX_EPOCHS:,}, got {self.epochs}")
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

    def over(self, base: Budget) -> Budget:
        """This budget's fields where they are set, ``base``'s elsewhere (a sweep point over the search's)."""
        return Budget(**{**vars(base), **self.to_dict()})


def derive_seed(seed: int, *keys: object) -> int:
    """A 31-bit seed determined by ``seed`` and ``keys`` (stable across processes and runs)."""
    text = ":".join(str(k) for k in (seed, *keys))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little") & 0x7FFFFFFF


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
