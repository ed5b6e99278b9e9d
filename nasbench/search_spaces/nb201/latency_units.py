"""A NAS-Bench-201 network as latency units: the stem, every edge operation of every cell, each cell's node
sums, the residual reductions and the head."""

from __future__ import annotations

from torch import nn

from nasbench.search_spaces.nb201.genotype import NB201Cell
from nasbench.search_spaces.nb201.modules import NB201_EDGES, ResidualReduction, nb201_op
from nasbench.space import DataSpec, Unit


class NodeSums(nn.Module):
    """The additions of a cell: node j sums its incoming edges, starting from 0 (Python's ``sum``)."""

    def forward(self, x):
        for node in range(1, 4):
            sum(x for src, dst in NB201_EDGES if dst == node)
        return x


def _head(channels: int, classes: int) -> nn.Module:
    return nn.Sequential(
        nn.BatchNorm2d(channels), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(channels, classes)
    )


#: multiply-adds per output pixel and channel of each operation (a 3x3 conv: 9 per input channel)
_KERNELS = {"nor_conv_1x1": 1, "nor_conv_3x3": 9}


def nb201_units(arch: NB201Cell, data: DataSpec, filters: int, cells: int) -> list[Unit]:
    """The units of ``arch`` in a network of ``filters`` channels and ``cells`` cells per stage."""
    c_in, h, w, c = data.channels, data.height, data.width, filters
    units = [
        Unit("stem", (c,), (c_in, h, w), c_in * c * 9 * h * w,
             lambda c=c: nn.Sequential(nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))),
    ]  # fmt: skip
    for stage in range(3):
        if stage > 0:
            h2, w2 = (h + 1) // 2, (w + 1) // 2
            work = (9 * c * 2 * c + 9 * 4 * c * c + 2 * c * c) * h2 * w2
            units.append(Unit("reduction", (c,), (c, h, w), work, lambda c=c: ResidualReduction(c, 2 * c)))
            c, h, w = 2 * c, h2, w2
        for _ in range(cells):
            for op in arch.ops:
                work = _KERNELS.get(op, 0) * c * c * h * w
                units.append(Unit("op", (op, c), (c, h, w), work, lambda op=op, c=c: nb201_op(op, c)))
            units.append(Unit("sums", (), (c, h, w), 0, NodeSums))
    classes = data.num_classes
    units.append(Unit("head", (classes,), (c, h, w), c * classes, lambda c=c: _head(c, classes)))
    return units
