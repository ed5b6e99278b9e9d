from nasbench.search_spaces.mbconv.genotype import MBConvArch, Stage
from nasbench.search_spaces.mbconv.presets import PRESETS
from nasbench.search_spaces.mbconv.rounding import round_filters, round_repeats
from nasbench.search_spaces.mbconv.space import MBConvSpace, base_arch, build_network, preset

__all__ = [
    "PRESETS",
    "MBConvArch",
    "MBConvSpace",
    "Stage",
    "base_arch",
    "build_network",
    "preset",
    "round_filters",
    "round_repeats",
]
