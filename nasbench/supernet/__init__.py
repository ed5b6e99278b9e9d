"""Weight-sharing supernets whose children are ordinary ``mbconv`` and ``vit`` architectures."""

from nasbench.supernet.capability import WeightSharing
from nasbench.supernet.mbconv_space import MBConvSupernetSpace
from nasbench.supernet.vit_space import RANGES, ViTSupernetSpace

__all__ = ["RANGES", "MBConvSupernetSpace", "ViTSupernetSpace", "WeightSharing"]
