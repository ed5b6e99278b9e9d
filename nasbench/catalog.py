"""The registries of built-in spaces, strategies, evaluators and backends."""

from __future__ import annotations

from nasbench.local_backend import run_local
from nasbench.registry import Registry
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.strategies import OptunaNSGA2, OptunaTPE, RandomSearch, Reinforce, RegularizedEvolution
from nasbench.tabular import TabularEvaluator
from nasbench.training.evaluator import TrainingEvaluator

SPACES = Registry("space", "nasbench.spaces", {"nb201": NB201Space})
STRATEGIES = Registry(
    "strategy",
    "nasbench.strategies",
    {"random": RandomSearch, "evo": RegularizedEvolution, "rl": Reinforce, "tpe": OptunaTPE, "nsga2": OptunaNSGA2},
)
EVALUATORS = Registry("evaluator", "nasbench.evaluators", {"tabular": TabularEvaluator, "train": TrainingEvaluator})
BACKENDS = Registry("backend", "nasbench.backends", {"local": run_local})
