from nasbench.search_spaces.vit_supernet.space import RANGES, ViTSupernetSpace

__all__ = ["RANGES", "ViTSupernetSpace"]
