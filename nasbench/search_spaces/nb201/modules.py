"""PyTorch modules of the NAS-Bench-201 network (the benchmark's "TinyNetwork").

This file imports nothing but torch, so an exported model can carry it verbatim.
"""

import torch
from torch import nn

NB201_EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in, c_out, kernel_size, stride):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel_size, stride, padding=kernel_size // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )


class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


def nb201_op(name, channels):
    """One edge operation; every edge of a normal cell keeps the channel count."""
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1, 1)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3, 1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(f"unknown NB201 operation {name!r}")


class NB201Cell(nn.Module):
    """Node j sums op(node i) over its incoming edges i -> j; the last node is the output."""

    def __init__(self, ops, channels):
        super().__init__()
        self.edges = NB201_EDGES
        self.ops = nn.ModuleList(nb201_op(name, channels) for name in ops)

    def forward(self, x):
        nodes = [x]
        for node in range(1, 4):
            nodes.append(sum(op(nodes[src]) for op, (src, dst) in zip(self.ops, self.edges) if dst == node))
        return nodes[-1]


class ResidualReduction(nn.Module):
    """The benchmark's reduction block: a stride-2 basic residual block that doubles the channels."""

    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1)
        self.downsample = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x):
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class NB201Network(nn.Module):
    """Stem, three stages of ``cells_per_stage`` cells, a residual reduction between stages."""

    def __init__(self, ops, in_channels=3, num_classes=10, channels=16, cells_per_stage=5):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))
        layers = []
        c = channels
        for stage in range(3):
            if stage > 0:
                layers.append(ResidualReduction(c, c * 2))
                c *= 2
            layers.extend(NB201Cell(ops, c) for _ in range(cells_per_stage))
        self.cells = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=False))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x):
        x = self.head(self.cells(self.stem(x)))
        return self.classifier(torch.flatten(self.pool(x), 1))
