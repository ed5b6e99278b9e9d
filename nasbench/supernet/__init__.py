"""Weight sharing: the capability of a space whose children are sliced from one supernet, and the slicing.

The supernet spaces themselves (``mbconv-supernet``, ``vit-supernet``) live with the other spaces in
``nasbench.search_spaces``.
"""

from nasbench.supernet.capability import WeightSharing

__all__ = ["WeightSharing"]
