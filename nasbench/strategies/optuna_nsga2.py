"""NSGA-II through Optuna: multi-objective evolution by non-dominated sorting (Deb et al., IEEE TEC 2002)."""

from __future__ import annotations

from collections.abc import Sequence

import optuna

from nasbench.errors import InvalidOption
from nasbench.strategies.optuna_base import OptunaStrategy


class OptunaNSGA2(OptunaStrategy):
    """Optuna's NSGAIISampler on the space's decisions, for accuracy against cost (macs, params, ...).

    The first generation is random but for the space's starting points (``starting_points``); each
    next one is bred from the best ``population_size`` trials by non-dominated rank and crowding
    distance, with uniform crossover (``crossover_prob``) and per-decision mutation (``mutation_prob``;
    ``None``: one over the number of decisions).
    """

    name = "nsga2"
    options_of_older_runs = {"starting_points": False}

    def __init__(
        self,
        space,
        *,
        seed: int = 0,
        objectives: int = 2,
        storage: str | None = None,
        value_names: Sequence[str] | None = None,
        population_size: int = 50,
        crossover_prob: float = 0.9,
        mutation_prob: float | None = None,
        starting_points: bool = True,
    ) -> None:
        if population_size < 2:
            raise InvalidOption(f"population_size must be at least 2, got {population_size}")
        if not 0 <= crossover_prob <= 1:
            raise InvalidOption(f"crossover_prob must be in [0, 1], got {crossover_prob}")
        if mutation_prob is not None and not 0 <= mutation_prob <= 1:
            raise InvalidOption(f"mutation_prob must be in [0, 1], got {mutation_prob}")
        super().__init__(
            space,
            seed=seed,
            objectives=objectives,
            storage=storage,
            value_names=value_names,
            starting_points=starting_points,
            first_trials=population_size,
        )
        self.population_size = population_size
        self.crossover_prob = crossover_prob
        self.mutation_prob = mutation_prob

    @classmethod
    def defaults_for_budget(cls, budget: int) -> dict:
        """Optuna's population of 50 leaves a budget under 200 only a few generations; scale it down below that."""
        return {"population_size": min(50, max(4, budget // 4))}

    def sampler(self, seed: int) -> optuna.samplers.BaseSampler:
        return optuna.samplers.NSGAIISampler(
            seed=seed,
            population_size=self.population_size,
            crossover_prob=self.crossover_prob,
            mutation_prob=self.mutation_prob,
        )
