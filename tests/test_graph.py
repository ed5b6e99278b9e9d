import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench.graph import IDENTITY, INPUT, OUTPUT, SUM, canonical, graph_hash, prune


def chain(*ops):
    g = nx.DiGraph()
    names = ["in", *[f"n{i}" for i in range(len(ops))], "out"]
    labels = [INPUT, *ops, OUTPUT]
    for name, op in zip(names, labels):
        g.add_node(name, op=op)
    nx.add_path(g, names)
    return g


def test_prune_drops_nodes_off_every_input_output_path():
    g = chain("conv")
    g.add_node("dead_end", op="conv")  # fed by the input, feeds nothing
    g.add_edge("in", "dead_end")
    g.add_node("orphan", op="pool")  # feeds the output, fed by nothing
    g.add_edge("orphan", "out")
    assert set(prune(g).nodes) == {"in", "n0", "out"}
    assert graph_hash(g) == graph_hash(chain("conv"))


def test_hash_is_invariant_under_node_renaming():
    g = chain("conv", "pool", "conv")
    g.add_edge("in", "n2")
    renamed = nx.relabel_nodes(g, {n: f"x{i}" for i, n in enumerate(reversed(list(g.nodes)))})
    assert graph_hash(renamed) == graph_hash(g)


def test_hash_tells_operations_and_wiring_apart():
    assert graph_hash(chain("conv", "pool")) != graph_hash(chain("pool", "conv"))
    assert graph_hash(chain("conv")) != graph_hash(chain("pool"))


def test_pass_through_nodes_are_contracted_but_doubling_is_not():
    assert graph_hash(chain(IDENTITY, "conv", SUM)) == graph_hash(chain("conv"))
    doubled = nx.DiGraph()  # out = in + in
    doubled.add_node("in", op=INPUT)
    doubled.add_node("out", op=OUTPUT)
    doubled.add_node("a", op=IDENTITY)
    doubled.add_node("b", op=IDENTITY)
    doubled.add_edges_from([("in", "a"), ("in", "b"), ("a", "out"), ("b", "out")])
    assert canonical(doubled).edges["in", "out"]["count"] == 2
    assert graph_hash(doubled) != graph_hash(chain())


@settings(max_examples=50, deadline=None)
@given(st.integers(3, 9), st.integers(0, 2**31 - 1))
def test_random_dag_hash_survives_random_relabelling(size, seed):
    rng = np.random.default_rng(seed)
    g = nx.DiGraph()
    g.add_node(0, op=INPUT)
    for i in range(1, size - 1):
        g.add_node(i, op=str(rng.choice(["conv", "pool", SUM])))
    g.add_node(size - 1, op=OUTPUT)
    for dst in range(1, size):
        for src in range(dst):
            if src == dst - 1 or rng.random() < 0.3:
                g.add_edge(src, dst)
    perm = rng.permutation(size)
    relabelled = nx.relabel_nodes(g, {i: f"v{perm[i]}" for i in range(size)})
    assert graph_hash(relabelled) == graph_hash(g)
