"""The largest MBConv network nasbench builds, checked from its block list before anything is allocated.

The genotype's limits bound each number a string may hold; together they still allow networks far
beyond any machine's memory (a thousand blocks of 16,384 channels). Building a network allocates
its weights, and counting its costs runs it once, so a network beyond ``MAX_PARAMS`` or ``MAX_MACS``
is refused from an estimate: the weights and multiply-adds of its convolutions and classifier,
counted exactly (batch norm, a few percent of the parameters, is left out).
"""

from __future__ import annotations

from nasbench.errors import InvalidArchitecture
from nasbench.search_spaces.mbconv.genotype import MBConvArch

#: parameters of the largest network built (EfficientNet-B7 has 66 million)
MAX_PARAMS = 1_000_000_000
#: multiply-adds of one image through the largest network built (EfficientNet-B7: 37 billion)
MAX_MACS = 1_000_000_000_000


def _out_size(size: int, stride: int) -> int:
    return (size + stride - 1) // stride


def estimate_costs(arch: MBConvArch, in_channels: int, num_classes: int, height: int, width: int) -> tuple[int, int]:
    """(parameters, multiply-adds) of ``arch`` on images of ``height`` x ``width`` (its own resolution if it
    has one)."""
    if arch.resolution is not None:
        height = width = arch.resolution
    h, w = _out_size(height, arch.stem_stride), _out_size(width, arch.stem_stride)
    params = in_channels * arch.stem * 9
    macs = params * h * w
    for block in arch.blocks():
        hidden = block.c_in * block.expand
        expand = block.c_in * hidden if block.expand != 1 else 0
        macs += expand * h * w
        h, w = _out_size(h, block.stride), _out_size(w, block.stride)
        squeeze = max(1, int(block.c_in * block.se + 1e-9)) if block.se > 0 else 0
        depthwise, project = hidden * block.kernel**2, hidden * block.c_out
        squeeze_excite = 2 * hidden * squeeze + hidden + squeeze if squeeze else 0
        params += expand + depthwise + squeeze_excite + project
        macs += (depthwise + project) * h * w + 2 * hidden * squeeze
    last = arch.stages[-1].channels
    params += last * arch.head + arch.head * num_classes + num_classes
    return params, macs + last * arch.head * h * w + arch.head * num_classes


def check_buildable(arch: MBConvArch, in_channels: int, num_classes: int, height: int, width: int) -> None:
    """Refuse a network beyond ``MAX_PARAMS`` or ``MAX_MACS`` before anything is allocated for it."""
    params, macs = estimate_costs(arch, in_channels, num_classes, height, width)
    if params > MAX_PARAMS or macs > MAX_MACS:
        raise InvalidArchitecture(
            f"the network has about {params:,} parameters and {macs:,} multiply-adds; nasbench builds at most "
            f"{MAX_PARAMS:,} parameters and {MAX_MACS:,} multiply-adds"
        )
