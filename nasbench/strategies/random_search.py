"""Random search: the baseline every NAS method must beat (Li & Talwalkar, UAI 2019)."""

from __future__ import annotations

from nasbench.arch import Arch
from nasbench.strategy import Strategy
from nasbench.trial import Outcome, Trial


class RandomSearch(Strategy):
    """Samples architectures uniformly from the space; never waits."""

    name = "random"

    def _propose(self, number: int) -> Arch:
        return self.space.sample(self.rng)

    def tell(self, trial: Trial, outcome: Outcome) -> None:
        pass
