from nasbench.search_spaces.mbconv_supernet.space import MBConvSupernetSpace

__all__ = ["MBConvSupernetSpace"]
