from nasbench.search_spaces.vit.genotype import Layer, ViTArch
from nasbench.search_spaces.vit.presets import PRESETS
from nasbench.search_spaces.vit.space import ViTSpace, network_spec, preset

__all__ = ["PRESETS", "Layer", "ViTArch", "ViTSpace", "network_spec", "preset"]
