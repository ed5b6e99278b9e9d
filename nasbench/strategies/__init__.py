"""Search strategies, all ask/tell."""

from nasbench.strategies.bayes_opt import WLBayesOpt
from nasbench.strategies.evolution import RegularizedEvolution
from nasbench.strategies.optuna_nsga2 import OptunaNSGA2
from nasbench.strategies.optuna_tpe import OptunaTPE
from nasbench.strategies.random_search import RandomSearch
from nasbench.strategies.reinforce import Reinforce
from nasbench.strategies.sweep import Sweep

__all__ = ["OptunaNSGA2", "OptunaTPE", "RandomSearch", "RegularizedEvolution", "Reinforce", "Sweep", "WLBayesOpt"]
