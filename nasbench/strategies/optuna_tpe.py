"""Tree-structured Parzen estimators through Optuna (Bergstra et al., NeurIPS 2011; Watanabe 2023)."""

from __future__ import annotations

from collections.abc import Sequence

import optuna

from nasbench.errors import InvalidOption
from nasbench.strategies.optuna_base import OptunaStrategy


class OptunaTPE(OptunaStrategy):
    """Optuna's TPESampler on the space's decisions; several objectives make it MOTPE (Ozaki et al., 2020).

    ``n_startup_trials`` random trials come first (the space's starting points among them,
    ``starting_points``); ``multivariate`` models the decisions jointly
    (``None``: Optuna's default, joint for one objective); ``constant_liar`` lets asynchronous
    workers avoid proposing what is already running.
    """

    name = "tpe"
    options_of_older_runs = {"starting_points": False}

    def __init__(
        self,
        space,
        *,
        seed: int = 0,
        objectives: int = 1,
        storage: str | None = None,
        value_names: Sequence[str] | None = None,
        n_startup_trials: int = 10,
        multivariate: bool | None = None,
        constant_liar: bool = True,
        starting_points: bool = True,
    ) -> None:
        if n_startup_trials < 0:
            raise InvalidOption(f"n_startup_trials must be non-negative, got {n_startup_trials}")
        super().__init__(
            space,
            seed=seed,
            objectives=objectives,
            storage=storage,
            value_names=value_names,
            starting_points=starting_points,
            first_trials=n_startup_trials,
        )
        self.n_startup_trials = n_startup_trials
        self.multivariate = multivariate
        self.constant_liar = constant_liar

    def sampler(self, seed: int) -> optuna.samplers.BaseSampler:
        return optuna.samplers.TPESampler(
            seed=seed,
            n_startup_trials=self.n_startup_trials,
            multivariate=self.multivariate,
            constant_liar=self.constant_liar,
        )
