from nasbench.search_spaces.nb201.genotype import OPS, NB201Cell
from nasbench.search_spaces.nb201.space import NB201Space

__all__ = ["OPS", "NB201Cell", "NB201Space"]
