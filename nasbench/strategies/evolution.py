"""Regularized ("aging") evolution: Real et al., AAAI 2019, Algorithm 1."""

from __future__ import annotations

from collections import deque

from nasbench.arch import Arch
from nasbench.errors import InvalidOption
from nasbench.strategy import Strategy
from nasbench.trial import Outcome, Trial, TrialState


class RegularizedEvolution(Strategy):
    """Tournament selection on a FIFO population: the oldest member dies, not the worst.

    The first ``population_size`` trials are the space's starting points (``SearchSpace.starting_points``:
    a supernet's largest child, say; at most half of them, none when ``starting_points`` is false),
    then random ones. After that each trial mutates the best of ``tournament_size`` members drawn
    (with replacement, as in the paper) from the population.
    It works asynchronously: a child can be proposed whenever the population is not empty.
    Failed trials never join the population; pruned ones join with their truncated value.
    """

    name = "evo"
    options_of_older_runs = {"starting_points": False}

    def __init__(
        self,
        space,
        *,
        seed: int = 0,
        population_size: int = 20,
        tournament_size: int = 5,
        starting_points: bool = True,
    ) -> None:
        if population_size < 2:
            raise InvalidOption(f"population_size must be at least 2, got {population_size}")
        if not 1 <= tournament_size <= population_size:
            raise InvalidOption(
                f"tournament_size must be in [1, population_size={population_size}], got {tournament_size}"
            )
        super().__init__(space, seed=seed)
        self.population_size = population_size
        self.tournament_size = tournament_size
        self.starting_points = starting_points
        self._starts = self.starts(starting_points, population_size)
        self._population: deque[tuple[Arch, float]] = deque()
        self._random_pending: set[int] = set()  # first members asked, not yet told
        self._filled = False  # the population reached its size once; from then on it only ages

    @classmethod
    def defaults_for_budget(cls, budget: int) -> dict:
        """The paper's population of 20 needs a budget of about 80 to evolve at all; scale it down below that."""
        population = min(20, max(2, budget // 4))
        return {"population_size": population, "tournament_size": min(population, max(2, population // 4))}

    def _propose(self, number: int) -> Arch | None:
        if not self._filled and len(self._population) + len(self._random_pending) < self.population_size:
            self._random_pending.add(number)
            if number < len(self._starts):
                return self._starts[number]
            return self.space.sample(self.rng)
        if not self._population:
            return None
        picks = self.rng.integers(len(self._population), size=self.tournament_size)
        parent, _ = max((self._population[i] for i in picks), key=lambda member: member[1])
        return self.space.mutate(parent, self.rng)

    def tell(self, trial: Trial, outcome: Outcome) -> None:
        self._random_pending.discard(trial.number)
        if outcome.state is TrialState.FAIL:
            return
        self._population.append((trial.arch, outcome.values[0]))
        if len(self._population) > self.population_size:
            self._population.popleft()
        self._filled = self._filled or len(self._population) == self.population_size
