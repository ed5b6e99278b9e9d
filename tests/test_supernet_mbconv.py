"""The elastic MBConv supernet: children are mbconv architectures, sliced weights equal the extracted network."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench.catalog import SPACES
from nasbench.costs.cost_model import CostModel
from nasbench.errors import InvalidArchitecture, InvalidOption
from nasbench.search_spaces.mbconv import MBConvArch, MBConvSpace
from nasbench.search_spaces.mbconv_supernet import MBConvSupernetSpace
from nasbench.space import DataSpec, DecisionSequence
from nasbench.supernet import WeightSharing

SMALL = DataSpec(3, 16, 16, 5)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def space():
    return MBConvSupernetSpace(base="tiny", resolutions="12,16")


@pytest.fixture(scope="module")
def supernet(space):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = space.build_supernet(SMALL)
    return trained_looking(net).eval()


def trained_looking(net):
    """``net`` with trained-looking batch-norm statistics and scales, so that slicing them is tested too."""
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            g = torch.Generator().manual_seed(m.num_features)
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
    return net


def test_registered_with_weight_sharing_and_decisions():
    space = SPACES.create("mbconv-supernet")
    assert space.capability(WeightSharing) is space and space.capability(DecisionSequence) is space
    assert isinstance(space.child_space(), MBConvSpace)


def test_children_are_mbconv_architectures_of_the_child_space(space):
    rng = np.random.default_rng(0)
    child_space = space.child_space()
    for arch in (space.largest(), space.smallest(), space.sample(rng)):
        assert isinstance(arch, MBConvArch) and arch.space == "mbconv"
        assert child_space.decode(arch.to_string()) == arch
        assert space.decode(arch.to_string()) == arch
    assert space.decode("largest") == space.largest() and space.decode("smallest") == space.smallest()
    top, bottom = space.largest(), space.smallest()
    assert [s.kernel for s in top.stages] == [7] * 4 and [s.kernel for s in bottom.stages] == [3] * 4
    assert top.resolution == 16 and bottom.resolution == 12


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_sample_and_mutate_stay_inside_the_ranges(seed):
    space = MBConvSupernetSpace(base="tiny", resolutions="12,16")
    rng = np.random.default_rng(seed)
    arch = space.sample(rng)
    child = space.mutate(arch, rng)
    assert child != arch
    for a in (arch, child):
        space.to_decisions(a)  # raises when outside the ranges
        assert space.decode(a.to_string()) == a
        assert space.from_decisions(space.to_decisions(a)) == a


def test_extracted_children_equal_the_supernet(space, supernet):
    rng = np.random.default_rng(1)
    x = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    children = [space.largest(), space.smallest()] + [space.sample(rng) for _ in range(18)]
    with torch.no_grad():
        for child in children:
            model = space.extract(supernet, child, SMALL)
            assert not model.training
            torch.testing.assert_close(model(x), supernet(x, child), atol=1e-5, rtol=0)


def test_two_children_run_one_after_another_without_a_reset(space, supernet):
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        big = supernet(x, space.largest())
        supernet(x, space.smallest())
        torch.testing.assert_close(supernet(x, space.largest()), big, atol=0, rtol=0)


def test_weights_are_stored_once_at_maximum_size(space, supernet):
    largest = space.extract(supernet, space.largest(), SMALL)
    assert sum(p.numel() for p in supernet.parameters()) == sum(p.numel() for p in largest.parameters())


def test_out_of_range_children_are_refused_in_one_line(space, supernet):
    child = space.largest()
    too_wide = space.decode(child.to_string()).to_string().replace("c32_se", "c40_se")
    with pytest.raises(InvalidArchitecture, match="channels 40 is outside") as info:
        space.decode(too_wide)
    assert "\n" not in str(info.value)
    with pytest.raises(InvalidArchitecture, match="exceeds the supernet's"):
        supernet(torch.zeros(1, 3, 16, 16), MBConvArch.from_string(too_wide))
    with pytest.raises(InvalidArchitecture, match="resolution 20 is outside"):
        space.decode(child.to_string().replace("res16", "res20"))
    with pytest.raises(InvalidOption, match="expansions must be 2 or more, got '1,3,6'"):
        MBConvSupernetSpace(expansions="1,3,6")
    with pytest.raises(InvalidOption, match="kernels must be odd"):
        MBConvSupernetSpace(kernels="3,4")


def test_separate_kernels_are_their_own_weights_and_extract_exactly():
    """``kernel_weights=separate``: each smaller kernel has a depthwise weight of its own (single-path
    one-shot) that only children of that kernel use; an extracted child still equals the supernet."""
    space = MBConvSupernetSpace(base="tiny", kernel_weights="separate")
    with torch.random.fork_rng():
        torch.manual_seed(0)
        supernet = trained_looking(space.build_supernet(SMALL)).eval()
    own = {n for n, _ in supernet.named_parameters() if ".kernels." in n}
    assert own and {n.rsplit(".", 1)[1] for n in own} == {"k3", "k5"}  # the largest (7) is the block's own conv
    x = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    rng = np.random.default_rng(2)
    with torch.no_grad():
        for child in [space.largest(), space.smallest()] + [space.sample(rng) for _ in range(8)]:
            torch.testing.assert_close(space.extract(supernet, child, SMALL)(x), supernet(x, child), atol=1e-5, rtol=0)
        small, large = space.smallest(), space.largest()
        before_small, before_large = supernet(x, small), supernet(x, large)
        for name, weight in supernet.named_parameters():
            if name.endswith(".k3"):
                weight.mul_(-1.0)
        assert not torch.allclose(supernet(x, small), before_small)  # the 3 x 3 child reads its own kernels
        torch.testing.assert_close(supernet(x, large), before_large, atol=0, rtol=0)  # the 7 x 7 one does not
    with pytest.raises(InvalidOption, match="kernel_weights must be one of centre, separate, got 'shared'"):
        MBConvSupernetSpace(kernel_weights="shared")


def test_recalibration_changes_batch_norm_statistics(space, supernet):
    child = space.sample(np.random.default_rng(3))
    model = space.extract(supernet, child, SMALL)
    before = {n: b.clone() for n, b in model.named_buffers() if "running" in n}
    batches = [(torch.randn(4, 3, 16, 16) * 2 + 1, torch.zeros(4)) for _ in range(3)]
    space.recalibrate(model, child, batches, limit=2)
    after = dict(model.named_buffers())
    assert not model.training
    assert all(not torch.equal(before[n], after[n]) for n in before)
    # the same on the supernet gives the same statistics for that child
    copy = space.build_supernet(SMALL)
    copy.load_state_dict(supernet.state_dict())
    space.recalibrate(copy, child, batches, limit=2)
    again = space.extract(copy.eval(), child, SMALL)
    for name, buffer in again.named_buffers():
        if "running" in name:
            torch.testing.assert_close(buffer, after[name], atol=1e-5, rtol=1e-5)


def test_efficientnet_b0_supernet_names_its_extremes_and_costs_children_alone():
    space = MBConvSupernetSpace(base="efficientnet-b0", divisor=8, resolutions="192,224")
    data = space.default_data()
    top, bottom = space.largest(), space.smallest()
    assert data == DataSpec(3, 224, 224, 1000) and (top.resolution, bottom.resolution) == (224, 192)
    assert [s.channels for s in top.stages] == [16, 24, 40, 80, 112, 192, 320]  # the base's widths at 1.0
    assert [s.repeats for s in top.stages] == [2, 3, 3, 4, 4, 5, 2] and top.stages[0].expand == 1
    with torch.device("meta"):
        params = sum(p.numel() for p in space.build_supernet(data).parameters())
    costs = CostModel(space, data)
    assert costs.params(top) == params > costs.params(bottom)
