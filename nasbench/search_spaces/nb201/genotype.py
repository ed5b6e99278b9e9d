"""The NAS-Bench-201 cell (Dong & Yang, ICLR 2020) as plain data.

A cell is a DAG over 4 nodes; each of the 6 edges j <- i (i < j) carries one of 5 operations.
Node 0 is the cell input, node 3 its output, and every node sums its incoming edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from nasbench.arch import Arch
from nasbench.errors import InvalidArchitecture
from nasbench.graph import IDENTITY, INPUT, OUTPUT, SUM

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NUM_NODES = 4
#: edges in the benchmark's order: 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2
EDGES = tuple((src, dst) for dst in range(1, NUM_NODES) for src in range(dst))
#: longest cell string decoded (the longest valid one has 6 * len("avg_pool_3x3~0|") + 4 characters)
MAX_STRING_LENGTH = 200


@dataclass(frozen=True)
class NB201Cell(Arch):
    """Operations on the 6 edges, in the order of ``EDGES``."""

    ops: tuple[str, ...]
    space = "nb201"

    def __post_init__(self) -> None:
        if len(self.ops) != len(EDGES):
            raise InvalidArchitecture(f"an NB201 cell has {len(EDGES)} edges, got {len(self.ops)} operations")
        for op in self.ops:
            if op not in OPS:
                raise InvalidArchitecture(f"unknown NB201 operation '{op}'; choose from {', '.join(OPS)}")

    def to_string(self) -> str:
        """The benchmark's own format: ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``."""
        nodes = []
        for dst in range(1, NUM_NODES):
            edges = [f"{op}~{src}" for op, (src, d) in zip(self.ops, EDGES) if d == dst]
            nodes.append("|" + "|".join(edges) + "|")
        return "+".join(nodes)

    @classmethod
    def from_string(cls, text: str) -> NB201Cell:
        if len(text) > MAX_STRING_LENGTH:
            raise InvalidArchitecture(f"NB201 string of {len(text):,} characters; the limit is {MAX_STRING_LENGTH}")
        nodes = text.strip().split("+")
        if len(nodes) != NUM_NODES - 1:
            raise InvalidArchitecture(
                f"NB201 string {text!r} has {len(nodes)} nodes separated by '+', expected {NUM_NODES - 1}"
            )
        ops = []
        for dst, node in enumerate(nodes, start=1):
            if not (node.startswith("|") and node.endswith("|")):
                raise InvalidArchitecture(f"NB201 node {node!r} must start and end with '|'")
            edges = node[1:-1].split("|")
            if len(edges) != dst:
                raise InvalidArchitecture(f"NB201 node {dst} needs {dst} edges, got {node!r}")
            for src, edge in enumerate(edges):
                op, sep, index = edge.partition("~")
                if not sep or index != str(src):
                    raise InvalidArchitecture(f"NB201 edge {edge!r} of node {dst} should read 'op~{src}'")
                ops.append(op)
        return cls(tuple(ops))

    def to_graph(self) -> nx.DiGraph:
        """Operation-on-node DAG: ``none`` edges vanish, ``skip_connect`` is an identity node."""
        graph = nx.DiGraph()
        graph.add_node("n0", op=INPUT)
        for node in range(1, NUM_NODES):
            graph.add_node(f"n{node}", op=OUTPUT if node == NUM_NODES - 1 else SUM)
        for k, (op, (src, dst)) in enumerate(zip(self.ops, EDGES)):
            if op == "none":
                continue
            label = IDENTITY if op == "skip_connect" else op
            graph.add_node(f"e{k}", op=label)
            graph.add_edge(f"n{src}", f"e{k}")
            graph.add_edge(f"e{k}", f"n{dst}")
        return graph
