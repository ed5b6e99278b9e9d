"""Sizes a string or a scaling may ask for are bounded by limits stated in the error."""

import pytest

from nasbench.errors import InvalidArchitecture, InvalidOption
from nasbench.scaling.rules import compound, scale
from nasbench.search_spaces.mbconv import MBConvSpace, build_network, preset, size
from nasbench.search_spaces.mbconv import genotype as mbconv
from nasbench.search_spaces.mbconv.size import check_buildable, estimate_costs
from nasbench.search_spaces.nasnet import NASNetSpace
from nasbench.search_spaces.nasnet import genotype as nasnet
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.search_spaces.vit import ViTSpace

NASNET_A = (
    "normal: 2=sep5x5(0)+sep3x3(1) 3=sep5x5(1)+sep3x3(1) 4=avg3x3(0)+id(1) 5=avg3x3(1)+avg3x3(1) 6=sep3x3(0)+id(0) "
    "out=1,2,3,4,5,6 | reduction: 2=sep5x5(0)+sep7x7(1) 3=max3x3(0)+sep7x7(1) 4=avg3x3(0)+sep5x5(1) "
    "5=id(3)+avg3x3(2) 6=sep3x3(2)+max3x3(0) out=3,4,5,6"
)


@pytest.mark.parametrize(
    "text, message",
    [
        ("stem_c16_s1_silu/ir_r1000000_k3_s1_e1_c8/head_c128_d0.2", "repeats 1,000,000 is beyond the limit of 256"),
        ("stem_c16_s1_silu/ir_r1_k3_s1_e1_c100000/head_c128_d0.2", "channels 100,000 is beyond the limit of 16,384"),
        ("stem_c99999_s1_silu/ir_r1_k3_s1_e1_c8/head_c128_d0.2", "stem channels 99,999 are beyond the limit"),
        ("stem_c16_s1_silu/ir_r1_k99_s1_e1_c8/head_c128_d0.2", "kernel 99 is beyond the limit of 31"),
        ("stem_c16_s1_silu/ir_r1_k3_s1_e100_c8/head_c128_d0.2", "expand 100 is beyond the limit of 64"),
        ("res100000/stem_c16_s1_silu/ir_r1_k3_s1_e1_c8/head_c128_d0.2", "resolution 100,000 is beyond the limit"),
        ("stem_c16_s1_silu/" + "ir_r200_k3_s1_e1_c8/" * 6 + "head_c128_d0.2", "1,200 blocks are beyond the limit"),
        ("stem_c16_s1_silu/" + "ir_r1_k3_s1_e1_c8/" * 70 + "head_c128_d0.2", "at most 64 stages"),
        ("stem_c16_s1_silu/ir_r" + "9" * 5000 + "_k3_s1_e1_c8/head_c128_d0.2", "a number here has at most 12"),
        ("stem_c16/" + "x" * 30_000, "the limit is 20,000"),
    ],
)
def test_mbconv_strings_are_bounded(text, message):
    with pytest.raises(InvalidArchitecture, match=message):
        MBConvSpace(base="tiny").decode(text)


def test_the_limits_admit_the_largest_published_network():
    b7 = MBConvSpace().decode("efficientnet-b7")
    assert b7.depth() <= mbconv.MAX_DEPTH and max(s.channels for s in b7.stages) <= mbconv.MAX_CHANNELS


@pytest.mark.parametrize(
    "text, message",
    [
        (NASNET_A.replace("sep5x5(0)", "sep5x5(" + "1" * 40 + ")", 1), "a state number of 40 digits"),
        (NASNET_A.replace("out=3,4,5,6", "out=3,4,5," + "6" * 500), "should list state numbers"),
        (NASNET_A.replace("sep5x5(0)", "sep5x5(" + "1" * 4301 + ")", 1), "of 4,556 characters; the limit is 2,000"),
        (NASNET_A + " 7=id(0)+id(1)" * 300, "the limit is 2,000"),
    ],
)
def test_nasnet_state_numbers_are_bounded_before_conversion(text, message):
    assert NASNetSpace().decode(NASNET_A).to_string() == NASNET_A
    with pytest.raises(InvalidArchitecture, match=message):
        NASNetSpace().decode(text)
    assert nasnet.MAX_DIGITS < 4300  # Python's own limit on int() of a string, which would raise ValueError


@pytest.mark.parametrize(
    "text, message",
    [
        ("p16_e" + "9" * 5000 + "_hd64/h1_m4.0", "embed has 5,000 characters; a number here has at most 12"),
        ("p16_e768_hd64/h1000000_m4.0", "heads 1,000,000 is beyond the limit of 1,024"),
        ("p16_e768_hd64/h12_m" + "9" * 400, "MLP ratio has 400 characters"),
        ("p16_e768_hd64/h12_m99.0", r"MLP ratio must be a number in \(0, 64\]"),
        ("p2000_e768_hd64/h12_m4.0", "patch size 2,000 is beyond the limit of 1,024"),
        ("p16_e768_hd64" + "/h1_m1.0" * 1100, "at most 1,024 layers"),
        ("p16/" + "x" * 60_000, "the limit is 50,000"),
    ],
)
def test_vit_strings_are_bounded(text, message):
    with pytest.raises(InvalidArchitecture, match=message):
        ViTSpace().decode(text)


def test_a_vit_within_the_string_limits_but_beyond_the_ceiling_is_not_built():
    from nasbench.space import DataSpec

    arch = ViTSpace().decode("p2_e65536_hd4096/" + "/".join(["h1024_m64.0"] * 4))
    with pytest.raises(InvalidArchitecture, match="nasbench builds at most 1,000,000,000 parameters"):
        ViTSpace().build(arch, DataSpec(1, 8, 8, 10))


def test_the_vit_cost_count_is_the_networks_own(one_thread):
    from nasbench.costs.counting import count_params
    from nasbench.search_spaces.vit import preset
    from nasbench.search_spaces.vit.size import vit_costs
    from nasbench.space import DataSpec

    arch = ViTSpace().decode("p2_e48_hd16/h3_m2.5/h1_m4.0")
    assert vit_costs(arch, 1, 10, 8, 8)[0] == count_params(ViTSpace().build(arch, DataSpec(1, 8, 8, 10)))
    assert vit_costs(preset("vit-b16"), 3, 1000, 224, 224)[0] == 86_567_656  # REFERENCE.md: torchvision's vit_b_16


def test_nb201_strings_are_bounded():
    with pytest.raises(InvalidArchitecture, match="the limit is 200"):
        NB201Space().decode("|none~0|" * 1000)


def test_the_cost_estimate_is_the_counted_convolutions_and_classifier(one_thread):
    from dataclasses import replace

    from nasbench.scaling.table import costs

    tiny = replace(preset("tiny"), resolution=16)
    params, macs = estimate_costs(tiny, 3, 10, 16, 16)
    counted = costs(tiny, 3, 10)
    assert macs == counted["conv_linear_macs"]
    assert 0.9 * counted["params"] <= params <= counted["params"]  # batch norm (6 % of this small one) is left out


def test_a_scaling_beyond_the_ceiling_is_refused_before_building():
    base = preset("tiny")
    with pytest.raises(InvalidOption, match="phi=40 scales the base beyond what nasbench builds: stage repeats"):
        scale(base, compound(40, 8))
    huge = scale(base, compound(25, 8))  # within every genotype limit, but far past the cost ceiling
    with pytest.raises(InvalidArchitecture, match=f"nasbench builds at most {size.MAX_PARAMS:,} parameters"):
        check_buildable(huge, 3, 1000, 8, 8)
    check_buildable(scale(base, compound(2, 8)), 3, 1000, 8, 8)


def test_a_network_within_the_string_limits_but_beyond_the_ceiling_is_not_built():
    from nasbench.space import DataSpec

    text = "stem_c16_s1_silu/" + "ir_r200_k31_s1_e64_c16384/" * 2 + "head_c128_d0.2"
    arch = MBConvSpace().decode(text)
    with pytest.raises(InvalidArchitecture, match="nasbench builds at most"):
        build_network(arch, DataSpec(3, 8, 8, 10))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["scale", "--base", "tiny", "--resolution", "8", "--phi", "40"], "beyond what nasbench builds"),
        (["scale", "--base", "tiny", "--resolution", "8", "--phi", "25"], "variant phi=25: the network has about"),
        (
            ["export", "--arch", "stem_c16_s1_silu/ir_r200_k31_s1_e64_c16384/head_c128_d0.2", "--space", "mbconv"],
            "nasbench builds at most",
        ),
        (
            ["export", "--arch", "stem_c16_s1_silu/ir_r1000000_k3_s1_e1_c8/head_c128_d0.2", "--space", "mbconv"],
            "repeats 1,000,000 is beyond the limit",
        ),
        (["export", "--arch", NASNET_A.replace("(0)", "(" + "1" * 4301 + ")", 1), "--space", "nasnet"], "the limit"),
        (["export", "--arch", NASNET_A.replace("(0)", "(" + "1" * 50 + ")", 1), "--space", "nasnet"], "50 digits"),
        (["export", "--arch", "p16_e768_hd64/h1000000_m4.0", "--space", "vit"], "beyond the limit of 1,024"),
        (["export", "--arch", "p2_e65536_hd4096/h1024_m64.0", "--space", "vit"], "nasbench builds at most"),
    ],
)
def test_the_commands_answer_oversized_requests_in_one_line(cli, tmp_path, argv, message):
    out = tmp_path / "out"
    code, stdout, stderr = cli(*argv, "--out", str(out if argv[0] == "export" else tmp_path / "scale.csv"))
    assert code == 2 and stdout == "" and stderr.count("\n") == 1 and message in stderr
    assert not out.exists() and not (tmp_path / "scale.csv").exists()
