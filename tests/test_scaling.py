"""Compound scaling: EfficientNet B0-B7 against the published numbers, the pure rule, and the grid search."""

from dataclasses import replace

import pytest

from nasbench.errors import InvalidOption, NasbenchError
from nasbench.evaluators.training import TrainingEvaluator
from nasbench.scaling import EFFICIENTNET, compound, efficientnet, official, parse_variants, scale
from nasbench.scaling.grid import coefficient_grid, grid_search
from nasbench.scaling.table import costs, scaling_table
from nasbench.search_spaces.mbconv import MBConvSpace, preset, round_filters
from nasbench.training.devices import torch_threads

# ../shared/REFERENCE.md, "EfficientNet B0-B7": torchvision's parameter counts (exact), the paper's
# multiply-adds and torchvision's GFLOPS column (multiply-adds of convolutions and linear layers)
PARAMS = {
    "b0": 5_288_548,
    "b1": 7_794_184,
    "b2": 9_109_994,
    "b3": 12_233_232,
    "b4": 19_341_616,
    "b5": 30_389_784,
    "b6": 43_040_704,
    "b7": 66_347_960,
}
PAPER_MACS = {"b0": 0.39e9, "b1": 0.70e9, "b2": 1.0e9, "b3": 1.8e9, "b4": 4.2e9, "b5": 9.9e9, "b6": 19e9, "b7": 37e9}
TORCHVISION_MACS = {
    "b0": 0.386e9,
    "b1": 0.687e9,
    "b3": 1.827e9,
    "b4": 4.394e9,
    "b5": 10.266e9,
    "b6": 19.068e9,
    "b7": 37.746e9,
}
#: B4 and B5 as built (torchvision's structure and parameter counts) have 4.6 % and 3.7 % more
#: multiply-adds than the paper's rounded figures; torchvision's own counts agree with ours to 0.01 %
PAPER_TOLERANCE = {"b4": 0.05, "b5": 0.04}


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def b0_to_b7():
    with torch_threads(1):
        return scaling_table(preset("efficientnet-b0"), [official(v) for v in EFFICIENTNET]).set_index("variant")


@pytest.mark.parametrize("variant", list(EFFICIENTNET))
@pytest.mark.slow
def test_every_variant_has_torchvisions_parameter_count(b0_to_b7, variant):
    assert b0_to_b7.loc[variant, "params"] == PARAMS[variant]


@pytest.mark.parametrize("variant", list(EFFICIENTNET))
def test_every_variant_has_the_papers_multiply_adds(b0_to_b7, variant):
    row = b0_to_b7.loc[variant]
    width, depth, resolution, dropout = EFFICIENTNET[variant]
    assert (row.width_factor, row.depth_factor, row.resolution, row.dropout) == (width, depth, resolution, dropout)
    assert row.conv_linear_macs == pytest.approx(PAPER_MACS[variant], rel=PAPER_TOLERANCE.get(variant, 0.03))
    if variant in TORCHVISION_MACS:
        assert row.conv_linear_macs == pytest.approx(TORCHVISION_MACS[variant], rel=0.002)
    assert row.conv_linear_macs < row.macs < 1.05 * row.conv_linear_macs  # fvcore's total adds batch norm and pooling


def test_b2_matches_torchvision_at_the_resolution_it_was_measured_at():
    b2_at_288 = replace(scale(preset("efficientnet-b0"), official("b2")), resolution=288)
    assert costs(b2_at_288, 3, 1000)["conv_linear_macs"] == pytest.approx(1.088e9, rel=0.002)


def test_fvcore_total_for_b0_is_what_reference_states():
    row = costs(efficientnet("b0"), 3, 1000)
    assert row["macs"] == pytest.approx(0.40e9, rel=0.01)  # "about 0.40 G (convolutions 0.385 G plus BN and pooling)"


def test_b7_head_is_four_times_its_last_stage():
    b7 = efficientnet("b7")
    assert (b7.stem, b7.stages[-1].channels, b7.head, b7.resolution, b7.dropout) == (64, 640, 2560, 600, 0.5)
    assert [s.repeats for s in b7.stages] == [4, 7, 7, 10, 10, 13, 4]


def test_pure_rule_for_any_phi():
    b0 = preset("efficientnet-b0")
    assert scale(b0, compound(0, 224)) == b0
    rule = compound(1, 224)  # the paper's alpha 1.2, beta 1.1, gamma 1.15
    assert (rule.depth, rule.width, rule.resolution) == pytest.approx((1.2, 1.1, 258))
    scaled = scale(b0, rule)
    assert [s.channels for s in scaled.stages] == [round_filters(s.channels, 1.1) for s in b0.stages]
    assert [s.repeats for s in scaled.stages] == [2, 3, 3, 4, 4, 5, 2]  # ceil(1.2 * r)
    half = compound(2.5, 224, alpha=1.3, beta=1.05, gamma=1.1)
    assert (half.depth, half.width, half.resolution) == pytest.approx((1.3**2.5, 1.05**2.5, round(224 * 1.1**2.5)))
    with pytest.raises(InvalidOption, match="at least 1"):
        compound(1, 224, alpha=0.9)


def test_scaling_applies_to_any_mbconv_network():
    wide = scale(preset("mobilenet-v2"), official("b3"))
    assert wide.activation == "relu6" and wide.stem == 40 and wide.head == round_filters(1280, 1.2)
    tiny = preset("tiny")  # no resolution of its own: the table's is taken relative to 224
    assert scale(tiny, official("b7", base_res=8)).resolution == round(8 * 600 / 224)


def test_variant_lists():
    assert parse_variants("b0-b7") == list(EFFICIENTNET)
    assert parse_variants("b3") == ["b3"] and parse_variants("B1, b3-b4,b1") == ["b1", "b3", "b4"]
    for bad in ("b8", "b5-b2", "x1", ""):
        with pytest.raises(InvalidOption):
            parse_variants(bad)


def test_coefficient_grid_keeps_points_that_double_the_cost():
    grid = coefficient_grid()
    assert (1.2, 1.1, 1.15) in grid  # the paper's choice: 1.2 * 1.1^2 * 1.15^2 = 1.92
    assert all(abs(a * b * b * g * g / 2 - 1) <= 0.05 for a, b, g in grid)
    with pytest.raises(InvalidOption, match="within 1% of 2"):
        coefficient_grid((1.2,), (1.1,), (1.15,), tolerance=0.01)


@pytest.mark.slow
def test_grid_search_trains_each_point_on_the_proxy_task_and_picks_the_best():
    base = preset("tiny")
    evaluator = TrainingEvaluator(MBConvSpace(), dataset="digits", epochs=1, batch_size=16)
    grid = [(1.2, 1.1, 1.15), (1.0, 1.2, 1.2)]
    result = grid_search(base, evaluator, 8, grid, seed=0)
    table = result.table
    assert list(zip(table.alpha, table.beta, table.gamma)) == grid
    assert list(table.resolution) == [9, 10]  # 8 * 1.15 and 8 * 1.2, rounded: digits are upsampled
    narrow, wide = (MBConvSpace().decode(a) for a in table.arch)
    assert (narrow.head, wide.head) == (round_filters(128, 1.1), round_filters(128, 1.2))  # beta is the width
    assert result.best == grid[int(table.valid_accuracy.idxmax())]
    assert table.valid_accuracy.max() > 50  # it learned something in one epoch


def test_grid_search_keeps_failed_points_and_gives_up_only_when_all_fail():
    base = preset("tiny")
    grid = [(1.2, 1.1, 1.15), (1.0, 1.2, 1.2)]

    def fails_when_wide(arch, budget, *, seed, report=None):
        if arch.head > round_filters(128, 1.1):
            raise RuntimeError("out of memory")
        return {"valid_accuracy": 50.0}

    table = grid_search(base, fails_when_wide, 8, grid).table
    assert table.valid_accuracy.isna().tolist() == [False, True]
    assert table.error[1] == "RuntimeError: out of memory"

    def always_fails(arch, budget, *, seed, report=None):
        raise RuntimeError("out of memory")

    with pytest.raises(NasbenchError, match="every grid point failed to train; the first: RuntimeError: out of memory"):
        grid_search(base, always_fails, 8, grid)
