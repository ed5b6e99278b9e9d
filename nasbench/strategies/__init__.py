"""Search strategies, all ask/tell."""

from nasbench.strategies.evolution import RegularizedEvolution
from nasbench.strategies.random_search import RandomSearch

__all__ = ["RandomSearch", "RegularizedEvolution"]
