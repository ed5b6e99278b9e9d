"""The genotype: an immutable architecture value with a canonical string and a graph form.

Genotypes import no torch; building a module is the search space's job.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import cached_property

import networkx as nx

from nasbench.graph import graph_hash


class Arch(ABC):
    """Base class of every space's genotype.

    Subclasses are frozen dataclasses. Two architectures are equal when their fields are equal;
    two *equivalent* architectures (the same network up to renumbering or dead nodes) share a
    ``hash_key``, which is what a search de-duplicates on.
    """

    #: registry name of the space the genotype belongs to
    space: str = ""

    @abstractmethod
    def to_string(self) -> str:
        """The canonical string; the space's ``decode`` turns it back into an equal value."""

    @abstractmethod
    def to_graph(self) -> nx.DiGraph:
        """A DAG with the operation of each node under the ``op`` attribute."""

    @cached_property
    def hash_key(self) -> str:
        """Isomorphism-invariant hash of the pruned graph."""
        return graph_hash(self.to_graph())

    def __str__(self) -> str:
        return self.to_string()
