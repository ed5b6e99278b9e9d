"""Ray Tune execution: every candidate evaluation is a Tune trial, on this machine or a Ray cluster.

Importing this package does not import Ray; a search imports it when it starts.
"""

from nasbench.backends.ray.backend import RayBackend

__all__ = ["RayBackend"]
