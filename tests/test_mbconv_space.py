"""The MBConv space: block-string grammar, graph hash, published networks, sampling and mutation."""

import ast
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench.catalog import SPACES
from nasbench.costs.counting import count_params
from nasbench.errors import InvalidArchitecture, InvalidOption, UnknownName
from nasbench.search_spaces.mbconv import PRESETS, MBConvArch, MBConvSpace, Stage, preset, round_filters, round_repeats
from nasbench.space import DataSpec, DecisionSequence

IMAGENET = DataSpec(3, 224, 224, 1000)
DIGITS = DataSpec(1, 8, 8, 10)


pytestmark = pytest.mark.usefixtures("one_thread")


def test_registered_with_the_decision_capability():
    space = SPACES.create("mbconv")
    assert isinstance(space, MBConvSpace) and isinstance(space, DecisionSequence)


@pytest.mark.parametrize(
    "name, params",
    [
        ("efficientnet-b0", 5_288_548),  # ../shared/REFERENCE.md, torchvision's build
        ("mobilenet-v2", 3_504_872),  # torchvision MobileNet_V2_Weights meta num_params
        ("mnasnet-b1", 4_383_312),  # torchvision MNASNet1_0_Weights meta num_params
    ],
)
def test_published_networks_have_torchvisions_parameter_counts(name, params):
    arch = preset(name)
    assert count_params(MBConvSpace().build(arch, IMAGENET)) == params


def test_efficientnet_b0_is_written_as_in_the_paper():
    b0 = preset("efficientnet-b0")
    # REFERENCE.md: (expand, kernel, stride, out channels, repeats) per stage
    assert [(s.expand, s.kernel, s.stride, s.channels, s.repeats) for s in b0.stages] == [
        (1, 3, 1, 16, 1),
        (6, 3, 2, 24, 2),
        (6, 5, 2, 40, 2),
        (6, 3, 2, 80, 3),
        (6, 5, 1, 112, 3),
        (6, 5, 2, 192, 4),
        (6, 3, 1, 320, 1),
    ]
    assert (b0.stem, b0.head, b0.activation, b0.resolution, b0.dropout) == (32, 1280, "silu", 224, 0.2)
    assert all(s.se == 0.25 for s in b0.stages)
    assert b0.to_string().split("/")[3] == "ir_r2_k3_s2_e6_c24_se0.25"


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_round_trip_and_run(name):
    arch = preset(name)
    assert arch.to_string() == PRESETS[name]
    assert MBConvArch.from_string(arch.to_string()) == arch
    model = MBConvSpace().build(arch, DIGITS).eval()
    with torch.no_grad():
        assert model(torch.zeros(2, 1, 8, 8)).shape == (2, 10)  # resized to the preset's resolution first


def test_timm_block_strings_decode():
    assert Stage.from_string("ds_r1_k3_s1_c16_se0.25") == Stage(1, 3, 1, 16, 1, 0.25, True)
    assert Stage.from_string("ir_r4_k5_s2_e6_c192_se0.25_noskip") == Stage(6, 5, 2, 192, 4, 0.25, False)
    assert Stage.from_string("ir_k3_e6_c24") == Stage(6, 3, 1, 24, 1)  # r and s default to 1


@pytest.mark.parametrize(
    "text, message",
    [
        ("stem_c32_s2_silu/ir_r1_k3_s1_e6/head_c1280_d0.2", "lacks 'c'"),
        ("stem_c32_s2_silu/ir_r1_k4_s1_e6_c16/head_c1280_d0.2", "kernel must be odd"),
        ("stem_c32_s2_silu/ir_r1_k3_s3_e6_c16/head_c1280_d0.2", "stride must be 1 or 2"),
        ("stem_c32_s2_silu/ir_r0_k3_s1_e6_c16/head_c1280_d0.2", "repeats must be a positive integer"),
        ("stem_c32_s2_silu/ir_r1_k3_s1_e6_c16_se1.5/head_c1280_d0.2", "se ratio must be in [0, 1)"),
        ("stem_c32_s2_silu/ir_r1_k3_s1_e6_c16_x7/head_c1280_d0.2", "unknown option 'x7'"),
        ("stem_c32_s2_silu/ir_r1_k3_s1_e6_c16_k5/head_c1280_d0.2", "gives 'k' twice"),
        ("stem_c32_s2_silu/cn_r1_k3_s1_c16/head_c1280_d0.2", "should start with 'ir'"),
        ("stem_c32_s2_silu/ds_r1_k3_s1_e6_c16/head_c1280_d0.2", "a 'ds' block has no expansion"),
        ("stem_c32_s2_gelu/ir_r1_k3_s1_e6_c16/head_c1280_d0.2", "unknown activation 'gelu'"),
        ("stem_c32_s2_silu/head_c1280_d0.2", "should read"),
        ("stem_c32_s2_silu//ir_r1_k3_s1_e6_c16/head_c1280_d0.2", "empty segment"),
        ("resXL/stem_c32_s2_silu/ir_r1_k3_s1_e6_c16/head_c1280_d0.2", "resolution 'res<N>' should be an integer"),
    ],
)
def test_bad_strings_say_what_is_wrong(text, message):
    with pytest.raises(InvalidArchitecture) as info:
        MBConvSpace().decode(text)
    assert message in str(info.value)


def test_equivalent_writings_share_a_hash_and_different_networks_do_not():
    space = MBConvSpace()
    one = space.decode("stem_c32_s2_silu/ir_r2_k3_s1_e6_c16/head_c64_d0.2")
    split = space.decode("stem_c32_s2_silu/ir_r1_k3_s1_e6_c16/ir_r1_k3_s1_e6_c16/head_c64_d0.2")
    assert one != split and one.hash_key == split.hash_key
    # no residual can apply to a stride-2 block, so noskip changes nothing there
    a = space.decode("stem_c32_s2_silu/ir_r1_k3_s2_e6_c16/head_c64_d0.2")
    b = space.decode("stem_c32_s2_silu/ir_r1_k3_s2_e6_c16_noskip/head_c64_d0.2")
    assert a.hash_key == b.hash_key
    assert (
        space.decode("stem_c32_s2_silu/ds_r1_k3_c32/head_c64_d0.2").hash_key
        == space.decode("stem_c32_s2_silu/ir_r1_k3_s1_e1_c32/head_c64_d0.2").hash_key
    )
    # ...but it does between two blocks of a stage, and the order of stages matters
    c = space.decode("stem_c32_s2_silu/ir_r2_k3_s2_e6_c16_noskip/head_c64_d0.2")
    assert c.hash_key != space.decode("stem_c32_s2_silu/ir_r2_k3_s2_e6_c16/head_c64_d0.2").hash_key
    blocks = ["ir_r1_k3_s1_e6_c16", "ir_r1_k5_s1_e6_c16"] * 3
    swapped = blocks[:2] + blocks[2:4][::-1] + blocks[4:]
    first = space.decode("/".join(["stem_c16_s1_silu", *blocks, "head_c64_d0.2"]))
    second = space.decode("/".join(["stem_c16_s1_silu", *swapped, "head_c64_d0.2"]))
    assert first.hash_key != second.hash_key
    assert preset("efficientnet-b0").hash_key != replace(preset("efficientnet-b0"), resolution=240).hash_key


def test_rounding_follows_the_official_builder():
    # REFERENCE.md: multiples of 8, to the nearest, never 10 % below; repeats by ceil
    assert [round_filters(c, 1.1) for c in (32, 16, 24, 40, 80, 112, 192, 320, 1280)] == [
        32,
        16,
        24,
        48,
        88,
        120,
        208,
        352,
        1408,
    ]
    assert round_filters(83, 1.0) == 80 and round_filters(84, 1.0) == 88 and round_filters(3, 1.0) == 8
    assert [round_repeats(r, 3.1) for r in (1, 2, 3, 4)] == [4, 7, 10, 13]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_samples_and_mutants_round_trip_and_stay_in_the_space(seed):
    space = MBConvSpace()
    rng = np.random.default_rng(seed)
    arch = space.sample(rng)
    child = space.mutate(arch, rng)
    for a in (arch, child):
        assert space.decode(a.to_string()) == a
        assert space.from_decisions(space.to_decisions(a)) == a
    assert child.hash_key != arch.hash_key
    assert sum(x != y for x, y in zip(space.to_decisions(arch), space.to_decisions(child))) == 1


def test_sampling_is_a_function_of_the_generator():
    space = MBConvSpace(base="tiny")
    first = [space.sample(np.random.default_rng(3)) for _ in range(2)]
    assert first[0] == first[1]
    rng = np.random.default_rng(4)
    assert len({space.sample(rng).hash_key for _ in range(20)}) > 15


def test_the_space_varies_what_mnasnet_varies():
    space = MBConvSpace()
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(200)]
    stage = [a.stages[1] for a in archs]
    assert {s.kernel for s in stage} == {3, 5, 7} and {s.expand for s in stage} == {1, 3, 4, 6}
    assert {s.repeats for s in stage} == {1, 2, 3} and {s.channels for s in stage} == {
        24,
        32,
    }  # 24 * (0.75, 1, 1.25), rounded to 8
    assert {s.se for s in stage} == {0.0, 0.25} and {s.skip for s in stage} == {True, False}
    assert all(
        a.stages[1].stride == 2 and a.resolution is None for a in archs
    )  # strides from the base; the data's size


def test_arch_outside_the_space_is_refused_by_decisions_and_mutation():
    space = MBConvSpace()
    outside = preset("mobilenet-v2")
    with pytest.raises(InvalidArchitecture, match="not in this mbconv space"):
        space.to_decisions(outside)
    inside = space.sample(np.random.default_rng(0))
    with pytest.raises(InvalidArchitecture, match="kernel 9 is outside this space.s choices"):
        space.to_decisions(replace(inside, stages=(replace(inside.stages[0], kernel=9),) + inside.stages[1:]))
    with pytest.raises(InvalidArchitecture, match="decisions must be"):
        space.from_decisions([0])


def test_space_options_are_checked_and_recorded():
    with pytest.raises(InvalidOption, match="kernels should be a comma-separated list of ints"):
        MBConvSpace(kernels="3,five")
    with pytest.raises(UnknownName, match="unknown MBConv network 'b9'"):
        MBConvSpace(base="b9")
    space = MBConvSpace(base="tiny", kernels="3,5", widths="1.0")
    assert MBConvSpace(**space.options()).decision_sizes() == space.decision_sizes()
    assert space.decision_sizes()[:6] == [2, 4, 2, 1, 2, 2]


def test_modules_file_imports_only_torch():
    """Export rule: the network's source is carried verbatim, so it may import torch and the stdlib only."""
    import nasbench.search_spaces.mbconv.modules as modules

    tree = ast.parse(Path(modules.__file__).read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"torch", "math", "typing"}
    kwargs = preset("efficientnet-b0").network_kwargs()
    assert all(isinstance(v, (tuple, str, int, float, type(None))) for v in kwargs.values())


def test_stochastic_depth_grows_with_the_block_index_as_in_torchvision():
    model = MBConvSpace().build(preset("efficientnet-b0"), IMAGENET)
    probs = [block.stochastic_depth.p for block in model.blocks]
    assert probs == pytest.approx([0.2 * i / 16 for i in range(16)])
    residual = [block.residual for block in model.blocks]
    assert residual == [
        False,
        False,
        True,
        False,
        True,
        False,
        True,
        True,
        False,
        True,
        True,
        False,
        True,
        True,
        True,
        False,
    ]
