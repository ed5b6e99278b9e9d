"""An MBConv network as latency units: the resize (where the network has a resolution of its own), the stem,
every block with its input size, and the head (1x1 conv, pooling, classifier)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from nasbench.search_spaces.mbconv.genotype import MBConvArch
from nasbench.search_spaces.mbconv.modules import MBConv, conv_bn
from nasbench.space import DataSpec, Unit


class Resize(nn.Module):
    """What ``MBConvNetwork`` does to an input of another size than its resolution."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def forward(self, x):
        return F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)


def _head(c_in: int, channels: int, classes: int, activation: str) -> nn.Module:
    return nn.Sequential(
        conv_bn(c_in, channels, 1, activation=activation),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(1),
        nn.Linear(channels, classes),
    )


def _out(size: int, stride: int) -> int:
    return (size + stride - 1) // stride


def mbconv_units(arch: MBConvArch, data: DataSpec) -> list[Unit]:
    """The units of ``arch`` on ``data`` (multiply-adds counted as ``size.estimate_costs`` counts them)."""
    c, h, w = data.channels, data.height, data.width
    units = []
    if arch.resolution is not None and (h, w) != (arch.resolution, arch.resolution):
        size = arch.resolution
        units.append(Unit("resize", (size,), (c, h, w), c * size * size, lambda: Resize(size)))
        h = w = size
    stem, stride, act = arch.stem, arch.stem_stride, arch.activation
    oh, ow = _out(h, stride), _out(w, stride)
    work = c * stem * 9 * oh * ow
    units.append(Unit("stem", (stem, stride, act), (c, h, w), work, lambda: conv_bn(c, stem, 3, stride, 1, act)))
    h, w = oh, ow
    for block in arch.blocks():
        hidden = block.c_in * block.expand
        squeeze = max(1, int(block.c_in * block.se + 1e-9)) if block.se > 0 else 0
        oh, ow = _out(h, block.stride), _out(w, block.stride)
        work = (block.c_in * hidden if block.expand != 1 else 0) * h * w
        work += (hidden * block.kernel**2 + hidden * block.c_out) * oh * ow + 2 * hidden * squeeze
        args = (block.c_in, block.c_out, block.kernel, block.stride, block.expand, block.se, block.residual, act)
        units.append(Unit("mbconv", args, (block.c_in, h, w), work, lambda a=args: MBConv(*a, drop_prob=0.0)))
        h, w = oh, ow
    last, head, classes = arch.stages[-1].channels, arch.head, data.num_classes
    work = last * head * h * w + head * classes
    units.append(Unit("head", (head, classes, act), (last, h, w), work, lambda: _head(last, head, classes, act)))
    return units
