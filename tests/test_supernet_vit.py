"""The ViT supernet: AutoFormer's ranges and weight entanglement; children are vit architectures."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench.catalog import SPACES
from nasbench.costs.cost_model import CostModel
from nasbench.costs.counting import count_params
from nasbench.errors import InvalidArchitecture, UnknownName
from nasbench.search_spaces.vit import Layer, ViTArch, ViTSpace
from nasbench.search_spaces.vit_supernet import RANGES, ViTSupernetSpace
from nasbench.space import DataSpec, DecisionSequence
from nasbench.supernet import WeightSharing

DIGITS = DataSpec(1, 8, 8, 10)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def space():
    return ViTSupernetSpace("digits")


@pytest.fixture(scope="module")
def supernet(space):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = space.build_supernet(DIGITS)
        for p in net.parameters():  # the head starts at zero: give every weight a value to compare
            p.data.normal_(std=0.5)
    return net.eval()


def test_registered_with_weight_sharing_and_decisions():
    space = SPACES.create("vit-supernet")
    assert space.capability(WeightSharing) is space and space.capability(DecisionSequence) is space
    assert isinstance(space.child_space(), ViTSpace) and space.default_data() == DIGITS


def test_autoformer_ranges_are_data():
    """REFERENCE.md: AutoFormer's tiny and small supernet ranges."""
    tiny = ViTSupernetSpace("autoformer-tiny")
    assert (tiny.embeds, tiny.depths, tiny.heads, tiny.mlp_ratios) == (
        (192, 216, 240),
        (12, 13, 14),
        (3, 4),
        (3.5, 4.0),
    )
    small = ViTSupernetSpace("autoformer-small")
    assert (small.embeds, small.heads, small.mlp_ratios) == ((320, 384, 448), (5, 6, 7), (3.0, 3.5, 4.0))
    assert tiny.largest() == ViTArch(16, 240, (Layer(4, 4.0),) * 14, 64)
    assert tiny.smallest() == ViTArch(16, 192, (Layer(3, 3.5),) * 12, 64)
    assert ViTSupernetSpace("autoformer-tiny", embeds="192,256").largest().embed == 256
    with pytest.raises(UnknownName, match="choose from: autoformer-tiny, autoformer-small"):
        ViTSupernetSpace("huge")


def test_costs_of_a_child_are_its_own_without_the_supernet():
    space = ViTSupernetSpace("autoformer-tiny")
    data = space.default_data()
    costs = CostModel(space, data)
    with torch.device("meta"):
        supernet = space.build_supernet(data)
        child = space.child_space().build(space.smallest(), data)
    assert costs.params(space.largest()) == count_params(supernet)
    assert costs.params(space.smallest()) == count_params(child) < count_params(supernet)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_sample_and_mutate_stay_inside_the_ranges(seed):
    space = ViTSupernetSpace("autoformer-small")
    child_space = space.child_space()
    rng = np.random.default_rng(seed)
    arch = space.sample(rng)
    child = space.mutate(arch, rng)
    assert child != arch
    for a in (arch, child):
        assert isinstance(a, ViTArch) and a.patch == 16 and a.embed in (320, 384, 448) and 12 <= a.depth <= 14
        assert space.decode(a.to_string()) == a and child_space.decode(a.to_string()) == a
        assert space.from_decisions(space.to_decisions(a)) == a


def test_extracted_children_equal_the_supernet(space, supernet):
    rng = np.random.default_rng(1)
    x = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    children = [space.largest(), space.smallest()] + [space.sample(rng) for _ in range(18)]
    with torch.no_grad():
        for child in children:
            model = space.extract(supernet, child, DIGITS)
            torch.testing.assert_close(model(x), supernet(x, child), atol=1e-5, rtol=0)


def test_children_share_leading_slices_and_run_without_a_reset(space, supernet):
    x = torch.randn(2, 1, 8, 8)
    small, big = space.smallest(), space.largest()
    with torch.no_grad():
        first = supernet(x, small)
        supernet(x, big)
        torch.testing.assert_close(supernet(x, small), first, atol=0, rtol=0)
    model = space.extract(supernet, small, DIGITS)
    width = small.layers[0].heads * small.head_dim
    q_rows = supernet.blocks[0].attn.qkv.weight[: 3 * width]  # not the slice: the value rows start further on
    v_rows = supernet.blocks[0].attn.qkv.weight.reshape(3, -1, 64)[2, :width, : small.embed]
    assert torch.equal(model.blocks[0].attn.qkv.weight[2 * width :], v_rows)
    assert not torch.equal(model.blocks[0].attn.qkv.weight, q_rows[:, : small.embed])
    assert count_params(supernet) == count_params(space.extract(supernet, big, DIGITS))


def test_gradients_reach_only_the_childs_slices(space, supernet):
    net = space.build_supernet(DIGITS).train()
    torch.nn.init.normal_(net.head.weight)  # zero at the start, which would stop every gradient
    child = space.smallest()
    net(torch.randn(4, 1, 8, 8), child).square().sum().backward()
    grad = net.blocks[0].mlp.fc1.weight.grad
    hidden = child.mlp_hidden(child.layers[0])
    assert grad[hidden:].abs().sum() == 0 and grad[:, child.embed :].abs().sum() == 0
    assert grad[:hidden, : child.embed].abs().sum() > 0
    assert net.blocks[space.largest().depth - 1].mlp.fc1.weight.grad is None  # a layer past the depth


def test_out_of_range_children_are_refused_in_one_line(space, supernet):
    too_deep = ViTArch(2, 64, (Layer(1, 2.0),) * 5, 16)
    with pytest.raises(InvalidArchitecture, match="depth 5 .* outside this space's choices 2,3,4") as info:
        space.decode(too_deep.to_string())
    assert "\n" not in str(info.value)
    with pytest.raises(InvalidArchitecture, match="depth 5 of .* exceeds the supernet's 4"):
        supernet(torch.zeros(1, 1, 8, 8), too_deep)
    with pytest.raises(InvalidArchitecture, match="patch size 4 .* is not this supernet's 2"):
        space.decode("p4_e64_hd16/h1_m2.0/h1_m2.0")
    with pytest.raises(InvalidArchitecture, match="layer 1 heads 8"):
        space.decode("p2_e64_hd16/h1_m2.0/h8_m2.0")
    with pytest.raises(InvalidArchitecture, match="patch size 2 does not divide"):
        space.build_supernet(DataSpec(1, 9, 9, 10))


def test_recalibration_is_a_no_op_for_layer_norm(space, supernet):
    before = {k: v.clone() for k, v in supernet.state_dict().items()}
    space.recalibrate(supernet, space.smallest(), [torch.randn(2, 1, 8, 8)])
    assert all(torch.equal(before[k], v) for k, v in supernet.state_dict().items())
    assert set(RANGES) >= {"autoformer-tiny", "autoformer-small", "digits", "digits-wide", "cifar"}


def test_wide_digits_ranges_reach_one_layer_one_head_children():
    """The range the ranking benchmark uses for vit-supernet: children from one layer, one head and a
    16-wide embedding to four layers of four heads on a 64-wide one, each extracted exactly."""
    space = SPACES.create("vit-supernet", ranges="digits-wide")
    assert space.smallest() == ViTArch(2, 16, (Layer(1, 1.0),), 16)
    assert space.largest() == ViTArch(2, 64, (Layer(4, 4.0),) * 4, 16)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = space.build_supernet(DIGITS).eval()
        for p in net.parameters():  # the head starts at zero: give every weight a value to compare
            p.data.normal_(std=0.5)
    x = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for child in [space.smallest(), space.largest()] + [space.sample(rng) for _ in range(6)]:
            torch.testing.assert_close(space.extract(net, child, DIGITS)(x), net(x, child), atol=1e-5, rtol=0)
