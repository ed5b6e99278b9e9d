from nasbench.search_spaces.nasnet.genotype import COMBINERS, OPS, NASNetGenotype
from nasbench.search_spaces.nasnet.presets import CELLS, NASNET_A, NETWORKS, paper_name, parse_paper_name
from nasbench.search_spaces.nasnet.space import NASNetSpace

__all__ = [
    "CELLS",
    "COMBINERS",
    "NASNET_A",
    "NETWORKS",
    "OPS",
    "NASNetGenotype",
    "NASNetSpace",
    "paper_name",
    "parse_paper_name",
]
