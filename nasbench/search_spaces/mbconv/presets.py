"""Published MBConv networks, written in the block-string grammar.

Parameter counts for 1000 classes (checked in tests/test_mbconv_space.py): EfficientNet-B0
5,288,548 and MobileNetV2 3,504,872 and MNASNet-B1 4,383,312 are torchvision's builds to the
unit. ``mnasnet-a1`` follows Figure 7(a) of the MnasNet paper with this toolkit's SE rule (squeeze
channels = input channels / 4). ``tiny`` is a small base for proxy tasks on 8x8 to 32x32 images.
"""

from __future__ import annotations

PRESETS: dict[str, str] = {
    # Tan & Le, ICML 2019, Table 1
    "efficientnet-b0": "res224/stem_c32_s2_silu/ir_r1_k3_s1_e1_c16_se0.25/ir_r2_k3_s2_e6_c24_se0.25/"
    "ir_r2_k5_s2_e6_c40_se0.25/ir_r3_k3_s2_e6_c80_se0.25/ir_r3_k5_s1_e6_c112_se0.25/ir_r4_k5_s2_e6_c192_se0.25/"
    "ir_r1_k3_s1_e6_c320_se0.25/head_c1280_d0.2",
    # Sandler et al., CVPR 2018, Table 2
    "mobilenet-v2": "res224/stem_c32_s2_relu6/ir_r1_k3_s1_e1_c16/ir_r2_k3_s2_e6_c24/ir_r3_k3_s2_e6_c32/"
    "ir_r4_k3_s2_e6_c64/ir_r3_k3_s1_e6_c96/ir_r3_k3_s2_e6_c160/ir_r1_k3_s1_e6_c320/head_c1280_d0.2",
    # Tan et al., CVPR 2019, Figure 7(a)
    "mnasnet-a1": "res224/stem_c32_s2_relu/ir_r1_k3_s1_e1_c16_noskip/ir_r2_k3_s2_e6_c24/ir_r3_k5_s2_e3_c40_se0.25/"
    "ir_r4_k3_s2_e6_c80/ir_r2_k3_s1_e6_c112_se0.25/ir_r3_k5_s2_e6_c160_se0.25/ir_r1_k3_s1_e6_c320/head_c1280_d0.2",
    # Tan et al., CVPR 2019, the B1 variant (torchvision's mnasnet1_0)
    "mnasnet-b1": "res224/stem_c32_s2_relu/ir_r1_k3_s1_e1_c16_noskip/ir_r3_k3_s2_e3_c24/ir_r3_k5_s2_e3_c40/"
    "ir_r3_k5_s2_e6_c80/ir_r2_k3_s1_e6_c96/ir_r4_k5_s2_e6_c192/ir_r1_k3_s1_e6_c320/head_c1280_d0.2",
    # a four-stage EfficientNet-style base for small images (stem stride 1)
    "tiny": "stem_c16_s1_silu/ir_r1_k3_s1_e1_c8_se0.25/ir_r2_k3_s2_e6_c16_se0.25/ir_r2_k5_s2_e6_c24_se0.25/"
    "ir_r1_k3_s1_e6_c32_se0.25/head_c128_d0.2",
}
