"""Graph form of architectures: pruning, canonical form and an isomorphism-invariant hash.

Operations live on nodes (as in NAS-Bench-101), under the attribute ``op``. Every graph has one
node labelled ``input`` per input tensor and exactly one node labelled ``output``. Edges may
carry a ``count`` (default 1) when a tensor feeds the same node more than once.
"""

from __future__ import annotations

import hashlib
import warnings

import networkx as nx

INPUT = "input"
OUTPUT = "output"
IDENTITY = "identity"  # a skip connection: passes its single input through
SUM = "sum"  # element-wise sum of its inputs; with one input it is an identity too


def _nodes_with_op(graph: nx.DiGraph, op: str) -> list:
    return [n for n, data in graph.nodes(data=True) if data.get("op") == op]


def prune(graph: nx.DiGraph) -> nx.DiGraph:
    """Drop nodes that are not on some path from an input to the output.

    Such nodes cannot change the network's output, so cells that differ only there are the same
    network and must share one hash.
    """
    outputs = _nodes_with_op(graph, OUTPUT)
    if len(outputs) != 1:
        raise ValueError(f"a graph needs exactly one '{OUTPUT}' node, found {len(outputs)}")
    reaches_output = nx.ancestors(graph, outputs[0]) | {outputs[0]}
    reached = set()
    for source in _nodes_with_op(graph, INPUT):
        reached |= nx.descendants(graph, source) | {source}
    keep = (reaches_output & reached) | {outputs[0]}
    return graph.subgraph(keep).copy()


def _passes_through(graph: nx.DiGraph, node) -> bool:
    """True when ``node`` outputs exactly its single input (identity, or a sum of one term)."""
    op = graph.nodes[node].get("op")
    if op not in (IDENTITY, SUM):
        return False
    preds = list(graph.predecessors(node))
    return len(preds) == 1 and graph.edges[preds[0], node].get("count", 1) == 1


def canonical(graph: nx.DiGraph) -> nx.DiGraph:
    """Pruned graph with pass-through nodes contracted, so equivalent networks look alike."""
    graph = prune(graph)
    for edge in graph.edges:
        graph.edges[edge].setdefault("count", 1)
    changed = True
    while changed:
        changed = False
        for node in list(graph.nodes):
            if not _passes_through(graph, node):
                continue
            (source,) = graph.predecessors(node)
            for target in list(graph.successors(node)):
                count = graph.edges[node, target]["count"]
                if graph.has_edge(source, target):
                    graph.edges[source, target]["count"] += count
                else:
                    graph.add_edge(source, target, count=count)
            graph.remove_node(node)
            changed = True
    return graph


def graph_hash(graph: nx.DiGraph, iterations: int = 4) -> str:
    """Weisfeiler-Lehman hash of the canonical graph, invariant under node renumbering.

    networkx aggregates over successors only on a directed graph, so the hash combines the graph
    and its reverse to see both where a node's data comes from and where it goes.
    """
    graph = canonical(graph)
    for edge in graph.edges:
        graph.edges[edge]["count"] = str(graph.edges[edge]["count"])
    kwargs = dict(node_attr="op", edge_attr="count", iterations=iterations)
    with warnings.catch_warnings():
        # networkx >= 3.5 (required) warns on every directed hash that older versions differed
        warnings.simplefilter("ignore", UserWarning)
        forward = nx.weisfeiler_lehman_graph_hash(graph, **kwargs)
        backward = nx.weisfeiler_lehman_graph_hash(graph.reverse(copy=True), **kwargs)
    return hashlib.sha256(f"{forward}:{backward}".encode()).hexdigest()[:32]
