import ast
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench.errors import InvalidArchitecture, InvalidOption
from nasbench.search_spaces.nasnet import (
    COMBINERS,
    NASNET_A,
    OPS,
    NASNetGenotype,
    NASNetSpace,
    modules,
    paper_name,
    parse_paper_name,
)
from nasbench.search_spaces.nasnet.genotype import unused_states
from nasbench.search_spaces.nasnet.modules import NASNetNetwork
from nasbench.space import DataSpec, DecisionSequence
from nasbench.training.devices import torch_threads

DIGITS = DataSpec(1, 8, 8, 10)


def _blocks():
    return st.tuples(
        *[
            st.tuples(
                st.integers(0, 1 + k),
                st.sampled_from(OPS),
                st.integers(0, 1 + k),
                st.sampled_from(OPS),
                st.sampled_from(COMBINERS),
            )
            for k in range(5)
        ]
    )


@st.composite
def genotypes(draw, extra_outputs=True):
    """Any genotype: the unused states, plus (optionally) more states in each cell's output."""
    cells = []
    for _ in range(2):
        blocks = draw(_blocks())
        extra = draw(st.sets(st.integers(0, 6))) if extra_outputs else set()
        cells.append((blocks, tuple(sorted(set(unused_states(blocks)) | extra))))
    return NASNetGenotype(cells[0][0], cells[1][0], cells[0][1], cells[1][1])


@st.composite
def relabelled(draw, blocks, concat):
    """The same cell with its blocks in another dependency-respecting order and operands swapped."""
    placed, order = set(), []
    while len(order) < len(blocks):
        ready = [
            k
            for k in range(len(blocks))
            if k not in placed and all(s < 2 or s - 2 in placed for s in (blocks[k][0], blocks[k][2]))
        ]
        k = ready[draw(st.integers(0, len(ready) - 1))]
        placed.add(k)
        order.append(k)
    new_state = {0: 0, 1: 1} | {old + 2: new + 2 for new, old in enumerate(order)}
    new_blocks = []
    for k in order:
        a, op_a, b, op_b, combiner = blocks[k]
        a, b = new_state[a], new_state[b]
        new_blocks.append((b, op_b, a, op_a, combiner) if draw(st.booleans()) else (a, op_a, b, op_b, combiner))
    return tuple(new_blocks), tuple(sorted(new_state[s] for s in concat))


@settings(max_examples=200, deadline=None)
@given(genotypes())
def test_string_round_trip(arch):
    space = NASNetSpace()
    text = space.encode(arch)
    assert space.decode(text) == arch
    assert space.decode(text).to_string() == text


@settings(max_examples=100, deadline=None)
@given(genotypes(extra_outputs=False))
def test_decisions_round_trip(arch):
    space = NASNetSpace()
    decisions = space.to_decisions(arch)
    assert all(0 <= d < n for d, n in zip(decisions, space.decision_sizes()))
    assert space.from_decisions(decisions) == arch


@settings(max_examples=150, deadline=None)
@given(st.data(), genotypes())
def test_hash_is_invariant_under_block_order_and_operand_order(data, arch):
    normal, normal_concat = data.draw(relabelled(arch.normal, arch.normal_concat))
    reduce, reduce_concat = data.draw(relabelled(arch.reduce, arch.reduce_concat))
    same = NASNetGenotype(normal, reduce, normal_concat, reduce_concat)
    assert same.hash_key == arch.hash_key


@settings(max_examples=150, deadline=None)
@given(st.data(), genotypes())
def test_changing_an_operation_changes_the_hash(data, arch):
    cell = data.draw(st.sampled_from(["normal", "reduce"]))
    blocks = list(getattr(arch, cell))
    k, side = data.draw(st.integers(0, 4)), data.draw(st.sampled_from([1, 3]))
    block = list(blocks[k])
    block[side] = data.draw(st.sampled_from([op for op in OPS if op != block[side]]))
    blocks[k] = tuple(block)
    fields = {
        "normal": arch.normal,
        "reduce": arch.reduce,
        "normal_concat": arch.normal_concat,
        "reduce_concat": arch.reduce_concat,
    }
    fields[cell] = tuple(blocks)
    assert NASNetGenotype(**fields).hash_key != arch.hash_key


def test_the_hash_tells_the_cells_and_the_two_inputs_apart():
    a = NASNET_A
    swapped_cells = NASNetGenotype(a.reduce, a.normal, a.reduce_concat, a.normal_concat)
    swap_inputs = {0: 1, 1: 0}
    swapped_inputs = NASNetGenotype(
        tuple((swap_inputs.get(x, x), o, swap_inputs.get(y, y), p, c) for x, o, y, p, c in a.normal),
        a.reduce,
        (0, 2, 3, 4, 5, 6),
        a.reduce_concat,
    )
    concat_instead_of_add = NASNetGenotype(
        a.normal[:4] + ((0, "sep3x3", 0, "id", "concat"),), a.reduce, a.normal_concat, a.reduce_concat
    )
    keys = {a.hash_key, swapped_cells.hash_key, swapped_inputs.hash_key, concat_instead_of_add.hash_key}
    assert len(keys) == 4


def test_nasnet_a_preset_and_its_string():
    """NASNet-A as REFERENCE.md and TF-slim give it (input 0 = h_i, 1 = h_{i-1}; 'none' = id)."""
    space = NASNetSpace()
    assert space.decode("nasnet-a") == NASNET_A
    assert [op for b in NASNET_A.normal for op in (b[1], b[3])] == [
        "sep5x5",
        "sep3x3",
        "sep5x5",
        "sep3x3",
        "avg3x3",
        "id",
        "avg3x3",
        "avg3x3",
        "sep3x3",
        "id",
    ]
    assert [s for b in NASNET_A.reduce for s in (b[0], b[2])] == [0, 1, 0, 1, 0, 1, 3, 2, 2, 0]
    assert NASNET_A.normal_concat == (1, 2, 3, 4, 5, 6) and NASNET_A.reduce_concat == (3, 4, 5, 6)
    text = NASNET_A.to_string()
    assert text.startswith("normal: 2=sep5x5(0)+sep3x3(1) 3=sep5x5(1)+sep3x3(1) 4=avg3x3(0)+id(1)")
    assert space.decode(text) == NASNET_A


def test_the_output_defaults_to_the_unused_states():
    arch = NASNetGenotype(NASNET_A.normal, NASNET_A.reduce)
    assert arch.normal_concat == (2, 3, 4, 5, 6)  # h_i and h_{i-1} are both read
    assert arch.reduce_concat == (4, 5, 6)  # block 0 (state 2) and block 1 (state 3) are read


@pytest.mark.parametrize(
    "text, message",
    [
        ("nasnet-b", "unknown NASNet cell preset 'nasnet-b'; choose from: nasnet-a"),
        ("normal: 2=sep3x3(0)+id(1) out=2", "got 1 part"),
        (NASNET_A.to_string().replace("sep5x5(0)", "sep9x9(0)", 1), "unknown NASNet operation 'sep9x9'"),
        (NASNET_A.to_string().replace("3=sep5x5(1)", "3=sep5x5(3)", 1), "can read states 0..2, got 3"),
        (
            NASNET_A.to_string().replace("4=avg3x3(0)+id(1)", "4=avg3x3(0)id(1)", 1),
            "needs one '+' (add) or '&' (concat)",
        ),
        (NASNET_A.to_string().replace("4=avg3x3(0)", "5=avg3x3(0)", 1), "should read 4=op(state)"),
        (NASNET_A.to_string().replace("id(1)", "id[1]", 1), "should read op(state)"),
        (NASNET_A.to_string().replace(" out=1,2,3,4,5,6", "", 1), "should end with out=STATES"),
        (
            NASNET_A.to_string().replace("out=1,2,3,4,5,6", "out=1,2,3,4,5", 1),
            "state 6 is neither read by a block nor part of the cell output",
        ),
        (
            NASNET_A.to_string().replace("out=1,2,3,4,5,6", "out=2,1,3,4,5,6", 1),
            "distinct states in 0..6 in increasing order",
        ),
        (NASNET_A.to_string().replace("out=1,2,3,4,5,6", "out=1,x", 1), "should list state numbers"),
        (NASNET_A.to_string().replace("normal:", "normal cell:", 1), "should start with 'normal:'"),
        (
            NASNET_A.to_string().replace(" 6=sep3x3(0)+id(0) out=1,2,3,4,5,6", " out=1,2,3,4,5", 1),
            "has 5 blocks, got 4",
        ),
    ],
)
def test_invalid_strings_say_what_is_wrong(text, message):
    with pytest.raises(InvalidArchitecture, match=re.escape(message)):
        NASNetSpace().decode(text)


def test_mutation_changes_one_choice_and_sampling_is_seeded():
    space = NASNetSpace()
    rng = np.random.default_rng(0)
    kinds = set()
    for _ in range(300):
        arch = space.sample(rng)
        child = space.mutate(arch, rng)
        before, after = space.to_decisions(arch), space.to_decisions(child)
        changed = [i for i, (x, y) in enumerate(zip(before, after)) if x != y]
        assert len(changed) == 1
        kinds.add(changed[0] % 5)
        assert child.normal_concat == unused_states(child.normal) and child.reduce_concat == unused_states(child.reduce)
    assert kinds == {0, 1, 2, 3, 4}  # inputs, operations and combiners all mutate
    assert [space.sample(np.random.default_rng(7)) for _ in range(2)] == [
        space.sample(np.random.default_rng(7)) for _ in range(2)
    ]


def test_mutating_a_published_cell_keeps_its_extra_outputs():
    space = NASNetSpace()
    rng = np.random.default_rng(1)
    for _ in range(50):
        child = space.mutate(NASNET_A, rng)
        assert 1 in child.normal_concat and 3 in child.reduce_concat


def test_decision_sequence_capability():
    space = NASNetSpace()
    assert isinstance(space, DecisionSequence)
    sizes = list(space.decision_sizes())
    assert len(sizes) == 50 and sizes[:10] == [2, 13, 2, 13, 2, 3, 13, 3, 13, 2]
    with pytest.raises(InvalidArchitecture, match="50 integers"):
        space.from_decisions([0] * 49)
    with pytest.raises(InvalidArchitecture):
        space.from_decisions([2] + [0] * 49)  # block 0 can read states 0 and 1 only


def test_paper_naming():
    """Zoph et al. 2018: NASNet-A (6 @ 768) has 32 filters, NASNet-A Mobile (4 @ 1056) 44."""
    assert parse_paper_name("6 @ 768") == (6, 32)
    assert parse_paper_name("4@1056") == (4, 44)
    assert paper_name(NASNET_A, 6, 168) == "6 @ 4032"
    assert NASNetSpace(preset="mobile").paper_name(NASNET_A) == "4 @ 1056"
    with pytest.raises(InvalidOption, match="multiple of 24"):
        parse_paper_name("6 @ 770")
    with pytest.raises(InvalidOption, match="reads 'N @ F'"):
        parse_paper_name("six at 768")


def test_presets_set_the_macro_network_and_options_override_them():
    space = NASNetSpace(preset="cifar", cells=2)
    assert space.options() | {"cells": 6} == NASNetSpace(preset="cifar").options()
    assert space.options()["filters"] == 32 and space.options()["stem_multiplier"] == 3.0
    assert NASNetSpace(**space.options()).options() == space.options()
    with pytest.raises(InvalidOption, match="unknown NASNet network preset 'tiny'; choose from: cifar, mobile, large"):
        NASNetSpace(preset="tiny")
    with pytest.raises(InvalidOption, match="unknown nasnet stem"):
        NASNetSpace(stem="resnet")
    with pytest.raises(InvalidOption, match="auxiliary head"):
        NASNetSpace(reductions=0, auxiliary=True)


@pytest.fixture
def one_thread():
    """Tiny networks run many times faster on one thread when the machine's cores are busy."""
    with torch_threads(1):
        yield


def test_sampled_networks_train_and_evaluate_on_digits(one_thread):
    space = NASNetSpace()
    rng = np.random.default_rng(3)
    x = torch.randn(4, 1, 8, 8)
    for _ in range(8):
        model = space.build(space.sample(rng), DIGITS)
        out = model(x)
        out.sum().backward()
        assert out.shape == (4, 10) and torch.isfinite(out).all()
        model.eval()
        assert model(x).shape == (4, 10)


@pytest.mark.parametrize(
    "options",
    [
        {"stem": "imagenet", "filters": 8, "auxiliary": True, "drop_path": 0.3, "skip_reduction_input": True},
        {"cells": 2, "reductions": 1, "auxiliary": True, "dropout": 0.5},
        {"cells": 1, "reductions": 0},
    ],
)
def test_macro_options_build_working_networks(options, one_thread):
    space = NASNetSpace(**options)
    model = space.build(space.sample(np.random.default_rng(0)), DataSpec(3, 40, 36, 7))
    x = torch.randn(3, 3, 40, 36)
    out = model(x)
    if options.get("auxiliary"):
        logits, aux = out
        assert aux.shape == (3, 7)
    else:
        logits = out
    assert logits.shape == (3, 7)
    model.eval()
    assert model(x).shape == (3, 7)  # no auxiliary output at inference


def test_drop_path_is_random_in_training_only(one_thread):
    space = NASNetSpace(drop_path=0.5)
    model = space.build(NASNET_A, DIGITS)
    x = torch.randn(8, 1, 8, 8)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        a, b = model(x), model(x)
    assert not torch.allclose(a, b)
    model.eval()
    assert torch.equal(model(x), model(x))


def test_modules_are_standalone_and_built_from_plain_data():
    """The export rule: modules.py imports only torch (and math/typing); the network takes tuples."""
    tree = ast.parse(Path(modules.__file__).read_text())
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"torch", "math", "typing"}
    a = NASNET_A
    model = NASNetNetwork(
        a.normal, a.normal_concat, a.reduce, a.reduce_concat, in_channels=1, num_classes=10, filters=8, cells=1
    )
    built = NASNetSpace(cells=1, filters=8, stem_multiplier=3.0).build(a, DIGITS)
    assert model.state_dict().keys() == built.state_dict().keys()
