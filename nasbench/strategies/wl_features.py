"""Weisfeiler-Lehman subtree features of architecture graphs, as in NAS-BOWL (Ru et al., ICLR 2021).

A feature is a rooted sub-structure: an operation (iteration 0), the operation and the operations
feeding it (iteration 1), and so on. An architecture's feature vector counts how often each
feature occurs in its canonical graph, so equivalent networks (same graph hash) share one vector.
networkx computes the per-node WL hashes; the graph is reversed first because networkx aggregates
over successors, and a node is described by where its data comes from.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from scipy import sparse

from nasbench.arch import Arch
from nasbench.graph import canonical


def _labelled(graph: nx.DiGraph) -> nx.DiGraph:
    """The canonical graph, reversed, with edge multiplicities as the strings networkx hashes."""
    graph = canonical(graph).reverse(copy=True)
    for edge in graph.edges:
        graph.edges[edge]["count"] = str(graph.edges[edge]["count"])
    return graph


def _describe(graph: nx.DiGraph, node, depth: int) -> str:
    """The sub-structure of ``depth`` WL iterations rooted at ``node``, read as ``op(inputs...)``."""
    op = graph.nodes[node]["op"]
    if depth == 0:
        return op
    inputs = []
    for source in graph.successors(node):  # the graph is reversed: successors feed ``node``
        count = graph.edges[node, source]["count"]
        inputs.append(_describe(graph, source, depth - 1) + ("" if count == "1" else f"*{count}"))
    return f"{op}({', '.join(sorted(inputs))})" if inputs else op


@dataclass
class WLFeatures:
    """Feature vectors of architectures over a vocabulary that grows as new sub-structures appear.

    Each architecture's counts are computed once and cached (keyed by the architecture value).
    """

    iterations: int
    _columns: dict[str, int] = field(default_factory=dict)  # feature key -> column
    _levels: list[int] = field(default_factory=list)  # column -> WL iteration
    _examples: list[tuple[Arch, object]] = field(default_factory=list)  # column -> (an arch, a node) showing it
    _rows: dict[Arch, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # arch -> (columns, counts)
    _keys: dict[Arch, bytes] = field(default_factory=dict)

    def row(self, arch: Arch, graph: nx.DiGraph) -> tuple[np.ndarray, np.ndarray]:
        """Columns and counts of ``arch``'s features (``graph`` is its graph, used the first time only)."""
        cached = self._rows.get(arch)
        if cached is not None:
            return cached
        labelled = _labelled(graph)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # networkx >= 3.5 warns that directed hashes changed
            hashes = nx.weisfeiler_lehman_subgraph_hashes(
                labelled, node_attr="op", edge_attr="count", iterations=self.iterations, include_initial_labels=True
            )
        counts: dict[int, int] = {}
        for node, per_level in hashes.items():
            for level, digest in enumerate(per_level):
                key = f"{level}:{digest}"
                column = self._columns.get(key)
                if column is None:
                    column = self._columns[key] = len(self._levels)
                    self._levels.append(level)
                    self._examples.append((arch, node))
                counts[column] = counts.get(column, 0) + 1
        columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
        values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        self._rows[arch] = (columns, values)
        return columns, values

    def key(self, arch: Arch, graphs) -> bytes:
        """Equal for architectures with equal feature counts (so for all equivalent ones): cheaper than the
        graph hash."""
        key = self._keys.get(arch)
        if key is None:
            columns, values = self.row(arch, None if arch in self._rows else graphs(arch))
            order = np.argsort(columns)
            key = self._keys[arch] = columns[order].tobytes() + values[order].tobytes()
        return key

    def matrix(self, archs: list[Arch], graphs) -> sparse.csr_matrix:
        """Counts, one row per architecture; ``graphs(arch)`` gives a graph not seen before."""
        rows = [self.row(arch, None if arch in self._rows else graphs(arch)) for arch in archs]
        indptr = np.cumsum([0] + [len(c) for c, _ in rows])
        columns = np.concatenate([c for c, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
        values = np.concatenate([v for _, v in rows]) if rows else np.zeros(0)
        return sparse.csr_matrix((values, columns, indptr), shape=(len(archs), len(self._levels)))

    def levels(self) -> np.ndarray:
        """The WL iteration of each column."""
        return np.asarray(self._levels, dtype=np.int64)

    def describe(self, column: int, graphs) -> str:
        """A readable form of feature ``column``: ``op(inputs...)``, nested to its iteration."""
        arch, node = self._examples[column]
        return _describe(_labelled(graphs(arch)), node, self._levels[column])
