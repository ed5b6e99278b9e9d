"""The elastic MBConv supernet (Once-for-all / BigNAS): weights at maximum size, the child passed to forward.

The module names mirror ``mbconv.modules.MBConvNetwork`` (``stem``, ``blocks.<i>.block.<j>``, ``head``,
``classifier``), so a child's state dict is the supernet's, sliced, with its block indices mapped.
Nothing about the active child is stored: each forward reads it from its argument.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from nasbench.errors import InvalidArchitecture
from nasbench.search_spaces.mbconv.genotype import MBConvArch
from nasbench.search_spaces.mbconv.modules import MBConvNetwork, SqueezeExcite, conv_bn
from nasbench.supernet.slicing import batch_norm, leading


def _conv_bn_act(
    seq: nn.Sequential, x: torch.Tensor, c_out: int, kernel: int, stride: int, groups: int = 1, weight=None
):
    """Run a ``conv_bn`` block on the leading ``c_out`` filters (centre ``kernel`` of its kernel, or of
    ``weight`` when given: a kernel of its own in place of the convolution's)."""
    source = seq[0].weight if weight is None else weight
    weight = leading(source, (c_out, x.shape[1] // groups, kernel, kernel))
    x = batch_norm(F.conv2d(x, weight, None, stride, (kernel - 1) // 2, 1, groups), seq[1], c_out)
    return seq[2](x) if len(seq) > 2 else x


class ElasticMBConv(nn.Module):
    """An MBConv block at its largest kernel, expansion and widths; ``forward`` runs any smaller one.

    A smaller kernel is the centre of the largest (once-for-all), except the sizes in ``own_kernels``:
    each of those has a depthwise kernel of its own (single-path one-shot's separate choices), in
    ``kernels["k<size>"]``, while the rest of the block stays shared.
    """

    def __init__(self, c_in, c_out, kernel, stride, expand, se_ratio, skip, activation, own_kernels=()):
        super().__init__()
        self.stride = stride
        self.skip = skip
        self.se_ratio = se_ratio
        self.expands = expand != 1  # a stage without expansion (e1) keeps none in every child
        hidden = c_in * expand
        layers = []
        if self.expands:
            layers.append(conv_bn(c_in, hidden, 1, activation=activation))
        layers.append(conv_bn(hidden, hidden, kernel, stride, groups=hidden, activation=activation))
        if se_ratio > 0:
            layers.append(SqueezeExcite(hidden, max(1, int(c_in * se_ratio + 1e-9)), activation))
        layers.append(conv_bn(hidden, c_out, 1))
        self.block = nn.Sequential(*layers)
        self.depthwise_index = 1 if self.expands else 0  # in ``block``
        self.kernels = nn.ParameterDict({f"k{k}": nn.Parameter(torch.empty(hidden, 1, k, k)) for k in own_kernels})
        for weight in self.kernels.values():
            nn.init.kaiming_normal_(weight, mode="fan_out")  # as a standalone depthwise convolution's

    def own_kernel(self, kernel: int) -> str | None:
        """The key in ``kernels`` of this size's kernel of its own; None where it is the largest's centre."""
        key = f"k{kernel}"
        return key if key in self.kernels else None

    def forward(self, x, c_out: int, kernel: int, expand: int, residual: bool):
        c_in = x.shape[1]
        hidden = c_in * expand
        layers = iter(self.block)
        h = _conv_bn_act(next(layers), x, hidden, 1, 1) if self.expands else x
        own = self.own_kernel(kernel)
        weight = None if own is None else self.kernels[own]
        h = _conv_bn_act(next(layers), h, hidden, kernel, self.stride, groups=hidden, weight=weight)
        if self.se_ratio > 0:
            se = next(layers)
            squeeze = max(1, int(c_in * self.se_ratio + 1e-9))
            scale = F.adaptive_avg_pool2d(h, 1)
            scale = F.conv2d(scale, leading(se.fc1.weight, (squeeze, hidden, 1, 1)), se.fc1.bias[:squeeze])
            scale = F.conv2d(se.act(scale), leading(se.fc2.weight, (hidden, squeeze, 1, 1)), se.fc2.bias[:hidden])
            h = h * torch.sigmoid(scale)
        h = _conv_bn_act(next(layers), h, c_out, 1, 1)
        return x + h if residual else h


class MBConvSupernet(nn.Module):
    """Stem, the largest blocks of every stage, head and classifier; ``forward(x, child)`` runs ``child``.

    ``stages`` holds one ``(expand, kernel, stride, channels, repeats, se_ratio, skip)`` tuple per
    stage at its maximum. A child takes the first ``repeats`` blocks of a stage, the first
    ``channels`` filters, the first ``channels * expand`` hidden channels and the centre of each
    kernel (or the kernel of its own, for the sizes in ``own_kernels``); its input is resized to its
    resolution first, when it names one.
    """

    def __init__(self, stages, in_channels, num_classes, stem, head, stem_stride, activation, dropout, own_kernels=()):
        super().__init__()
        self.limits = tuple(tuple(stage) for stage in stages)
        self.fixed = (stem, head, stem_stride, activation)
        self.dropout = dropout
        self.stem = conv_bn(in_channels, stem, 3, stem_stride, activation=activation)
        blocks, offsets, c_in = [], [], stem
        for expand, kernel, stride, channels, repeats, se_ratio, skip in self.limits:
            offsets.append(len(blocks))
            for r in range(repeats):
                own = tuple(k for k in own_kernels if k < kernel)
                blocks.append(
                    ElasticMBConv(
                        c_in, channels, kernel, stride if r == 0 else 1, expand, se_ratio, skip, activation, own
                    )
                )
                c_in = channels
        self.offsets = tuple(offsets)  # index of each stage's first block
        self.blocks = nn.ModuleList(blocks)
        self.head = conv_bn(c_in, head, 1, activation=activation)
        self.classifier = nn.Linear(head, num_classes)
        MBConvNetwork._init_weights(self)  # the standalone network's initialisation, at maximum size

    def check(self, child: MBConvArch) -> None:
        """Refuse a child that is not a slice of this supernet, naming the first thing that does not fit."""
        if (child.stem, child.head, child.stem_stride, child.activation) != self.fixed:
            raise InvalidArchitecture(f"{child} is not a child of this supernet: its stem or head differ")
        if len(child.stages) != len(self.limits):
            raise InvalidArchitecture(f"{child} has {len(child.stages)} stages; this supernet has {len(self.limits)}")
        for i, (stage, (expand, kernel, stride, channels, repeats, se, skip)) in enumerate(
            zip(child.stages, self.limits)
        ):
            if (stage.stride, stage.se, stage.skip) != (stride, se, skip) or (stage.expand == 1) != (expand == 1):
                raise InvalidArchitecture(
                    f"stage {i} of {child}: stride, SE, skip or expansion kind differ from the supernet's"
                )
            for what, value, most in (
                ("kernel", stage.kernel, kernel),
                ("expansion", stage.expand, expand),
                ("channels", stage.channels, channels),
                ("repeats", stage.repeats, repeats),
            ):
                if value > most:
                    raise InvalidArchitecture(f"stage {i} of {child}: {what} {value} exceeds the supernet's {most}")

    def forward(self, x, child: MBConvArch):
        self.check(child)
        size = child.resolution
        if size is not None and (x.shape[-2] != size or x.shape[-1] != size):
            x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
        x = self.stem(x)
        for offset, stage in zip(self.offsets, child.stages):
            for r in range(stage.repeats):
                block = self.blocks[offset + r]
                residual = block.skip and block.stride == 1 and x.shape[1] == stage.channels
                x = block(x, stage.channels, stage.kernel, stage.expand, residual)
        x = _conv_bn_act(self.head, x, self.fixed[1], 1, 1)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.classifier(F.dropout(x, self.dropout, self.training))

    def source_name(self, child: MBConvArch):
        """Maps a parameter name of ``child``'s ``MBConvNetwork`` to the supernet's."""
        index, own = {}, {}  # child block -> supernet block; child depthwise weight -> a kernel of its own
        for offset, stage in zip(self.offsets, child.stages):
            for r in range(stage.repeats):
                block = self.blocks[offset + r]
                key = block.own_kernel(stage.kernel)
                if key is not None:
                    own[f"blocks.{len(index)}.block.{block.depthwise_index}.0.weight"] = (
                        f"blocks.{offset + r}.kernels.{key}"
                    )
                index[str(len(index))] = str(offset + r)

        def name(child_name: str) -> str:
            if child_name in own:
                return own[child_name]
            parts = child_name.split(".")
            if parts[0] == "blocks":
                parts[1] = index[parts[1]]
            return ".".join(parts)

        return name
