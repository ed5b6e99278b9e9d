"""Weight-sharing supernets whose children are ordinary ``mbconv`` and ``vit`` architectures."""

from nasbench.supernet.capability import WeightSharing
from nasbench.supernet.mbconv_space import MBConvSupernetSpace

__all__ = ["MBConvSupernetSpace", "WeightSharing"]
