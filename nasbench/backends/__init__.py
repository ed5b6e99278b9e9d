"""Backends, which run a search's evaluations (the contract is ``nasbench.backend.Backend``):

- ``local``: one candidate after another in this process;
- ``ray``: each candidate a Ray Tune trial, on an embedded local Ray or a cluster.
"""

from nasbench.backends.local import LocalBackend
from nasbench.backends.ray import RayBackend

__all__ = ["LocalBackend", "RayBackend"]
