"""The largest scaled network ``nasbench scale`` builds, checked from its shape before it is built.

Building and counting a network allocates its weights and runs it once; a phi that is fine for the
rule can still ask for more memory than the machine has. The estimate counts the weights and
multiply-adds of the convolutions and the classifier (batch norm adds about 1 %), from the block
list alone.
"""

from __future__ import annotations

from nasbench.errors import InvalidOption
from nasbench.search_spaces.mbconv import MBConvArch

#: parameters of the largest network built (EfficientNet-B7 has 66 million)
MAX_PARAMS = 1_000_000_000
#: multiply-adds of one image through the largest network built (EfficientNet-B7: 37 billion)
MAX_MACS = 1_000_000_000_000


def _out_size(size: int, stride: int) -> int:
    return (size + stride - 1) // stride


def estimate_costs(arch: MBConvArch, in_channels: int, num_classes: int) -> tuple[int, int]:
    """(parameters, multiply-adds) of ``arch`` at its resolution, from its blocks alone."""
    size = _out_size(arch.resolution, arch.stem_stride)
    params = in_channels * arch.stem * 9
    macs = params * size * size
    for block in arch.blocks():
        hidden = block.c_in * block.expand
        expand = block.c_in * hidden if block.expand != 1 else 0
        macs += expand * size * size
        size = _out_size(size, block.stride)
        squeeze = max(1, int(block.c_in * block.se + 1e-9)) if block.se > 0 else 0
        squeeze_excite = 2 * hidden * squeeze + hidden + squeeze
        depthwise, project = hidden * block.kernel**2, hidden * block.c_out
        params += expand + depthwise + squeeze_excite + project
        macs += (depthwise + project) * size * size + 2 * hidden * squeeze
    last = arch.stages[-1].channels
    head = last * arch.head + arch.head * num_classes + num_classes
    return params + head, macs + last * arch.head * size * size + arch.head * num_classes


def check_buildable(arch: MBConvArch, in_channels: int, num_classes: int, name: str) -> None:
    """Refuse a network beyond ``MAX_PARAMS`` or ``MAX_MACS`` before anything is allocated for it."""
    params, macs = estimate_costs(arch, in_channels, num_classes)
    if params > MAX_PARAMS or macs > MAX_MACS:
        raise InvalidOption(
            f"{name} asks for about {params:,} parameters and {macs:,} multiply-adds; nasbench builds at most "
            f"{MAX_PARAMS:,} parameters and {MAX_MACS:,} multiply-adds (choose a smaller phi or variant)"
        )
