"""A NASNet network as latency units: the stem; per cell its input convolutions, every operation, every
block's combination, the adjustments of the states it concatenates and the concatenation; the head.

The channel and resolution bookkeeping follows ``modules.NASNetNetwork`` and ``modules.NASNetCell``; a test
checks that the units hold the network's parameters exactly. Drop-path and the auxiliary head act only
in training, so an inference pass has neither.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from nasbench.search_spaces.nasnet.genotype import NASNetGenotype
from nasbench.search_spaces.nasnet.modules import BN_EPS, FactorizedReduction, nasnet_op, relu_conv_bn
from nasbench.space import DataSpec, Unit

#: multiply-adds per output pixel, per input and output channel, of each operation (pools: none)
_KERNELS = {"conv1x1": 1, "conv3x3": 9, "dil3x3": 9, "conv1x3_3x1": 6, "conv1x7_7x1": 14, "id": 1}


class Combine(nn.Module):
    """A block's combination of its two operations' outputs (timed on one output twice)."""

    def __init__(self, combiner: str) -> None:
        super().__init__()
        self.combiner = combiner

    def forward(self, x):
        return x + x if self.combiner == "add" else torch.cat([x, x], 1)


class Concat(nn.Module):
    """A cell's output: its states concatenated (timed as ``parts`` equal slices put back together)."""

    def __init__(self, parts: int) -> None:
        super().__init__()
        self.parts = parts

    def forward(self, x):
        return torch.cat(torch.chunk(x, self.parts, 1), 1)


def _halve(size):
    return tuple(math.ceil(s / 2) for s in size)


def _op_work(op: str, c_in: int, c_out: int, size) -> float:
    pixels = size[0] * size[1]
    if op.startswith("sep"):
        k = int(op[3])
        return (c_in * k * k + c_in * c_out + c_out * k * k + c_out * c_out) * pixels
    return _KERNELS.get(op, 1 if c_in != c_out else 0) * c_in * c_out * pixels


def _cell_units(units, blocks, concat, cur, prev, filters, reduction) -> tuple[int, tuple, int]:
    """Append one cell's units; returns its output's channels, size and resolution level (as the network
    keeps its states: ``prev`` is ``None`` for the first cell)."""
    (c_cur, size, level), (c_prev, prev_size, prev_level) = cur, prev if prev is not None else (None, None, None)
    read = {b[0] for b in blocks} | {b[2] for b in blocks}
    units.append(
        Unit("squeeze", (filters,), (c_cur, *size), c_cur * filters * size[0] * size[1],
             lambda: relu_conv_bn(c_cur, filters, 1)),
    )  # fmt: skip
    c1 = c_cur
    if c_prev is not None and (1 in read or 1 in concat):
        pixels = size[0] * size[1]
        if prev_level != level:
            c1 = filters
            units.append(
                Unit("prev_reduce", (filters,), (c_prev, *prev_size), c_prev * filters * pixels,
                     lambda: nn.Sequential(nn.ReLU(), FactorizedReduction(c_prev, filters))),
            )  # fmt: skip
        elif c_prev != filters:
            c1 = filters
            units.append(
                Unit("prev_conv", (filters,), (c_prev, *prev_size), c_prev * filters * pixels,
                     lambda: relu_conv_bn(c_prev, filters, 1)),
            )  # fmt: skip
        else:
            c1 = filters
    out_size = _halve(size) if reduction else size
    channels, sizes = [filters, c1], [size, size]
    for input_a, op_a, input_b, op_b, combiner in blocks:
        for state, op in ((input_a, op_a), (input_b, op_b)):
            stride = 2 if reduction and state < 2 else 1
            c_in, at = channels[state], sizes[state]
            work = _op_work(op, c_in, filters, out_size)
            units.append(
                Unit("op", (op, filters, stride), (c_in, *at), work,
                     lambda op=op, c_in=c_in, stride=stride: nasnet_op(op, c_in, filters, stride)),
            )  # fmt: skip
        units.append(Unit("combine", (combiner,), (filters, *out_size), 0, lambda c=combiner: Combine(c)))
        channels.append(filters * (2 if combiner == "concat" else 1))
        sizes.append(out_size)
    for state in concat:
        c_in = channels[state]
        if state < 2 and reduction:
            units.append(
                Unit("adjust_reduce", (filters,), (c_in, *size), c_in * filters * out_size[0] * out_size[1],
                     lambda c_in=c_in: FactorizedReduction(c_in, filters)),
            )  # fmt: skip
        elif state < 2 and c_in != filters:
            units.append(
                Unit("adjust_conv", (filters,), (c_in, *size), c_in * filters * size[0] * size[1],
                     lambda c_in=c_in: nn.Sequential(nn.Conv2d(c_in, filters, 1, bias=False),
                                                     nn.BatchNorm2d(filters, eps=BN_EPS))),
            )  # fmt: skip
    out = sum(filters if s < 2 else channels[s] for s in concat)
    units.append(Unit("concat", (len(concat),), (out, *out_size), 0, lambda n=len(concat): Concat(n)))
    return out, out_size, level + int(reduction)


def nasnet_units(arch: NASNetGenotype, data: DataSpec, network: dict) -> list[Unit]:
    """The units of ``arch`` in the network the space's ``network`` options (filters, cells, reductions,
    stem, stem_multiplier, skip_reduction_input) describe."""
    filters, multiplier, c = network["filters"], network["stem_multiplier"], data.channels
    size = (data.height, data.width)
    units, plan = [], []
    if network["stem"] == "imagenet":
        stem = int(32 * multiplier)
        build = lambda: nn.Sequential(nn.Conv2d(c, stem, 3, 2, 0, bias=False), nn.BatchNorm2d(stem, eps=BN_EPS))  # noqa: E731
        after = tuple((s - 3) // 2 + 1 for s in size)
        plan += [(True, int(filters * 0.25), True), (True, int(filters * 0.5), True)]
    else:
        stem = int(filters * multiplier)
        build = lambda: nn.Sequential(nn.Conv2d(c, stem, 3, 1, 1, bias=False), nn.BatchNorm2d(stem, eps=BN_EPS))  # noqa: E731
        after = size
    units.append(Unit("stem", (stem, network["stem"]), (c, *size), c * stem * 9 * after[0] * after[1], build))
    for stage in range(network["reductions"] + 1):
        if stage:
            plan.append((True, filters * 2**stage, False))
        plan += [(False, filters * 2**stage, False)] * network["cells"]
    states = [None, (stem, after, 0)]
    for index, (reduction, cell_filters, _) in enumerate(plan):
        after_reduction = index > 0 and plan[index - 1][0] and not plan[index - 1][2] and not reduction
        offset = 3 if network["skip_reduction_input"] and after_reduction else 2
        blocks, concat = (arch.reduce, arch.reduce_concat) if reduction else (arch.normal, arch.normal_concat)
        states.append(_cell_units(units, blocks, concat, states[-1], states[-offset], cell_filters, reduction))
    last, at, _ = states[-1]
    classes = data.num_classes
    units.append(
        Unit("head", (classes,), (last, *at), last * classes,
             lambda: nn.Sequential(nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(last, classes))),
    )  # fmt: skip
    return units
