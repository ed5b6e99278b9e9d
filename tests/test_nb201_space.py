import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench.errors import InvalidArchitecture
from nasbench.search_spaces.nb201 import OPS, NB201Cell, NB201Space
from nasbench.space import DataSpec, DecisionSequence

cells = st.tuples(*[st.sampled_from(OPS)] * 6).map(NB201Cell)
BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


@settings(max_examples=200, deadline=None)
@given(cells)
def test_string_round_trip(cell):
    space = NB201Space()
    assert space.decode(space.encode(cell)) == cell
    assert space.from_decisions(space.to_decisions(cell)) == cell


def test_benchmark_format():
    cell = NB201Space().decode(BEST)
    assert cell.ops == ("nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_3x3", "nor_conv_1x1")
    assert cell.to_string() == BEST


@pytest.mark.parametrize(
    "text, message",
    [
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|", "expected 3"),
        (
            "|conv~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
            "unknown NB201 operation 'conv'",
        ),
        (
            "|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
            "should read 'op~0'",
        ),
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "needs 2 edges"),
        ("nor_conv_3x3~0|+|a~0|b~1|+|c~0|d~1|e~2|", "must start and end"),
    ],
)
def test_invalid_strings_say_what_is_wrong(text, message):
    with pytest.raises(InvalidArchitecture, match=message):
        NB201Space().decode(text)


@settings(max_examples=100, deadline=None)
@given(cells)
def test_swapping_independent_nodes_keeps_the_hash(cell):
    """With no edge 2 <- 1, nodes 1 and 2 play symmetric roles: swapping them is an isomorphism."""
    ops = list(cell.ops)
    ops[2] = "none"
    a = NB201Cell(tuple(ops))
    # edges: 0:(0,1) 1:(0,2) 2:(1,2) 3:(0,3) 4:(1,3) 5:(2,3)
    b = NB201Cell((ops[1], ops[0], "none", ops[3], ops[5], ops[4]))
    assert a.hash_key == b.hash_key


def test_dead_edges_do_not_change_the_hash():
    # node 1 receives nothing, so whatever leaves it is dead
    a = NB201Cell(("none", "nor_conv_3x3", "nor_conv_1x1", "skip_connect", "avg_pool_3x3", "nor_conv_3x3"))
    b = NB201Cell(("none", "nor_conv_3x3", "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3"))
    assert a.hash_key == b.hash_key
    assert a.hash_key != NB201Cell(("skip_connect",) + a.ops[1:]).hash_key


def test_disconnected_cells_share_one_hash():
    a = NB201Cell(("nor_conv_3x3", "none", "nor_conv_3x3", "none", "none", "none"))
    b = NB201Cell(("none",) * 6)
    assert a.hash_key == b.hash_key


def test_mutation_changes_exactly_one_edge_and_sampling_is_seeded():
    space = NB201Space()
    rng = np.random.default_rng(0)
    for _ in range(100):
        cell = space.sample(rng)
        child = space.mutate(cell, rng)
        assert sum(x != y for x, y in zip(cell.ops, child.ops)) == 1
    first = [space.sample(np.random.default_rng(7)) for _ in range(3)]
    assert first == [space.sample(np.random.default_rng(7)) for _ in range(3)]


def test_decision_sequence_capability():
    space = NB201Space()
    assert isinstance(space, DecisionSequence)
    assert list(space.decision_sizes()) == [5] * 6
    with pytest.raises(InvalidArchitecture):
        space.from_decisions([0, 1, 2])


def test_built_network_matches_the_benchmark():
    """NAS-Bench-201 (Dong & Yang 2020) reports 1.53M parameters for its largest CIFAR-10 cell."""
    space = NB201Space()
    largest = space.build(NB201Cell(("nor_conv_3x3",) * 6), DataSpec(3, 32, 32, 10))
    assert sum(p.numel() for p in largest.parameters()) == 1_531_546
    model = space.build(space.decode(BEST), DataSpec(1, 8, 8, 10))
    assert model(torch.randn(4, 1, 8, 8)).shape == (4, 10)
    assert len(model.cells) == 3 * 5 + 2
