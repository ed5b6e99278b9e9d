"""NASNet-A networks built by the space match the published sizes (REFERENCE.md, NASNet-A)."""

import pytest

from nasbench.costs.counting import count_macs, count_params
from nasbench.search_spaces.nasnet import NASNET_A, NASNetSpace
from nasbench.space import DataSpec


def build(preset: str, data: DataSpec):
    space = NASNetSpace(preset=preset)
    return space, space.build(space.decode("nasnet-a"), data)


def test_nasnet_a_cifar10_6_at_768():
    """REFERENCE.md: NASNet-A (6 @ 768) for CIFAR-10 has 3.3M parameters (inference network, no auxiliary head)."""
    space, model = build("cifar", DataSpec(3, 32, 32, 10))
    assert space.paper_name(NASNET_A) == "6 @ 768"
    params = count_params(model)
    assert params == pytest.approx(3.3e6, rel=0.03)
    assert params == 3_346_538  # this implementation's exact count, so a change shows


def test_nasnet_a_mobile_4_at_1056():
    """REFERENCE.md: NASNet-A Mobile (4 @ 1056, 224 x 224, 1000 classes): 5.3M parameters, 564M multiply-adds.

    The parameter count is exactly that of the released TF-slim/Keras model: Keras's NASNetMobile
    reports 5,289,978 trainable parameters (5,326,716 with batch-norm statistics).
    """
    space, model = build("mobile", DataSpec(3, 224, 224, 1000))
    assert space.paper_name(NASNET_A) == "4 @ 1056"
    params = count_params(model)
    assert params == pytest.approx(5.3e6, rel=0.03)
    assert params == 5_289_978
    macs = count_macs(model, (3, 224, 224))  # fvcore also counts batch norm and pooling: ~1.6 % above the paper
    assert macs == pytest.approx(564e6, rel=0.03)


def test_nasnet_a_large_6_at_4032():
    """REFERENCE.md: NASNet-A Large (6 @ 4032, 331 x 331): 88.9M parameters; Keras's NASNetLarge has
    88,753,150 trainable."""
    space, model = build("large", DataSpec(3, 331, 331, 1000))
    assert space.paper_name(NASNET_A) == "6 @ 4032"
    assert count_params(model) == 88_753_150
