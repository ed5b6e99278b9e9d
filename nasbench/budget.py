"""A trial's training budget: plain data shared by strategies, sessions and evaluators."""

from __future__ import annotations

from dataclasses import dataclass


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
