"""PyTorch modules of NASNet networks (Zoph et al., CVPR 2018), following the TF-slim
implementation the paper released (``nets/nasnet``): its parameter counts are the paper's.

This file imports nothing but torch and math, so an exported model can carry it verbatim.
A cell is given as plain data: blocks ``(input_a, op_a, input_b, op_b, combiner)`` and the
states it concatenates; state 0 is h_i (the previous cell's output), 1 is h_{i-1}, 2 + k is
block k.
"""

import math

import torch
from torch import nn

BN_EPS = 1e-3  # TF-slim's NASNet batch norm epsilon


def relu_conv_bn(c_in, c_out, kernel, stride=1, padding=0, dilation=1):
    return nn.Sequential(
        nn.ReLU(inplace=False),
        nn.Conv2d(c_in, c_out, kernel, stride, padding, dilation=dilation, bias=False),
        nn.BatchNorm2d(c_out, eps=BN_EPS),
    )


class SepConvStack(nn.Sequential):
    """ReLU, depthwise k x k, pointwise 1x1, BN, applied twice; only the first depthwise conv strides."""

    def __init__(self, c_in, c_out, kernel, stride):
        layers = []
        for c, s in ((c_in, stride), (c_out, 1)):
            layers += [
                nn.ReLU(inplace=False),
                nn.Conv2d(c, c, kernel, s, kernel // 2, groups=c, bias=False),
                nn.Conv2d(c, c_out, 1, bias=False),
                nn.BatchNorm2d(c_out, eps=BN_EPS),
            ]
        super().__init__(*layers)


class FactorizedConv(nn.Sequential):
    """ReLU, 1 x k conv, k x 1 conv, BN (the "1x3 then 3x1" and "1x7 then 7x1" operations)."""

    def __init__(self, c_in, c_out, kernel, stride):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, (1, kernel), (1, stride), (0, kernel // 2), bias=False),
            nn.Conv2d(c_out, c_out, (kernel, 1), (stride, 1), (kernel // 2, 0), bias=False),
            nn.BatchNorm2d(c_out, eps=BN_EPS),
        )


def pooling(kind, kernel, c_in, c_out, stride):
    """A "SAME"-padded pool; a 1x1 conv and BN follow when the channel count must change."""
    if kind == "avg":
        pool = nn.AvgPool2d(kernel, stride, kernel // 2, count_include_pad=False)
    else:
        pool = nn.MaxPool2d(kernel, stride, kernel // 2)
    if c_in == c_out:
        return pool
    return nn.Sequential(pool, nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out, eps=BN_EPS))


def nasnet_op(name, c_in, c_out, stride):
    """One of the 13 operations, mapping ``c_in`` channels to ``c_out`` with the given stride."""
    if name == "id":  # a strided (or channel-changing) identity is a 1x1 conv, as in TF-slim
        return nn.Identity() if stride == 1 and c_in == c_out else relu_conv_bn(c_in, c_out, 1, stride)
    if name.startswith("sep"):
        return SepConvStack(c_in, c_out, int(name[3]), stride)
    if name.startswith(("avg", "max")):
        return pooling(name[:3], int(name[3]), c_in, c_out, stride)
    if name == "conv1x1":
        return relu_conv_bn(c_in, c_out, 1, stride)
    if name == "conv3x3":
        return relu_conv_bn(c_in, c_out, 3, stride, 1)
    if name == "dil3x3":
        return relu_conv_bn(c_in, c_out, 3, stride, 2, dilation=2)
    if name in ("conv1x3_3x1", "conv1x7_7x1"):
        return FactorizedConv(c_in, c_out, int(name[4]), stride)
    raise ValueError(f"unknown NASNet operation {name!r}")


class FactorizedReduction(nn.Module):
    """Halve the resolution without losing pixels: two 1x1 convs on offset stride-2 grids, concatenated."""

    def __init__(self, c_in, c_out):
        super().__init__()
        self.path1 = nn.Conv2d(c_in, c_out // 2, 1, bias=False)
        self.path2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(c_out, eps=BN_EPS)

    def forward(self, x):
        shifted = nn.functional.pad(x, (0, 1, 0, 1))[:, :, 1::2, 1::2]
        return self.bn(torch.cat([self.path1(x[:, :, ::2, ::2]), self.path2(shifted)], 1))


def drop_path(x, prob, training):
    """Zero whole examples of a branch with probability ``prob`` (and rescale the others)."""
    if not training or prob <= 0.0:
        return x
    keep = 1.0 - prob
    mask = torch.empty(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device).bernoulli_(keep)
    return x * mask / keep


class NASNetCell(nn.Module):
    """A normal (stride 1) or reduction (stride 2) cell.

    ``c_prev=None`` means there is no earlier cell: h_{i-1} is h_i as it comes in (TF-slim's
    first cell). ``prev_halved``: h_{i-1} has twice h_i's resolution and is factorized-reduced.
    """

    def __init__(self, blocks, concat, c_cur, c_prev, prev_halved, filters, reduction, drop_prob=0.0):
        super().__init__()
        self.blocks = tuple(tuple(b) for b in blocks)
        self.concat = tuple(concat)
        self.drop_prob = float(drop_prob)
        read = {b[0] for b in self.blocks} | {b[2] for b in self.blocks}
        self.squeeze = relu_conv_bn(c_cur, filters, 1)
        if c_prev is None or not (1 in read or 1 in self.concat):
            self.prev, c1 = nn.Identity(), c_cur
        elif prev_halved:
            self.prev, c1 = nn.Sequential(nn.ReLU(inplace=False), FactorizedReduction(c_prev, filters)), filters
        elif c_prev != filters:
            self.prev, c1 = relu_conv_bn(c_prev, filters, 1), filters
        else:
            self.prev, c1 = nn.Identity(), filters
        channels = [filters, c1]
        ops = []
        for input_a, op_a, input_b, op_b, combiner in self.blocks:
            for state, op in ((input_a, op_a), (input_b, op_b)):
                stride = 2 if reduction and state < 2 else 1
                ops.append(nasnet_op(op, channels[state], filters, stride))
            channels.append(filters * (2 if combiner == "concat" else 1))
        self.ops = nn.ModuleList(ops)
        self.drops = tuple(b[i] != "id" for b in self.blocks for i in (1, 3))  # TF-slim: no drop-path on identities
        adjust = []
        for state in self.concat:  # cell inputs joining the output must match its resolution
            if state < 2 and reduction:
                adjust.append(FactorizedReduction(channels[state], filters))
            elif state < 2 and channels[state] != filters:
                adjust.append(
                    nn.Sequential(
                        nn.Conv2d(channels[state], filters, 1, bias=False), nn.BatchNorm2d(filters, eps=BN_EPS)
                    )
                )
            else:
                adjust.append(nn.Identity())
        self.adjust = nn.ModuleList(adjust)
        self.out_channels = sum(filters if s < 2 else channels[s] for s in self.concat)

    def forward(self, h_cur, h_prev):
        states = [self.squeeze(h_cur), self.prev(h_prev)]
        for k, block in enumerate(self.blocks):
            outs = []
            for j, state in enumerate((block[0], block[2])):
                y = self.ops[2 * k + j](states[state])
                outs.append(drop_path(y, self.drop_prob, self.training) if self.drops[2 * k + j] else y)
            states.append(outs[0] + outs[1] if block[4] == "add" else torch.cat(outs, 1))
        return torch.cat([adjust(states[s]) for s, adjust in zip(self.concat, self.adjust)], 1)


class AuxiliaryHead(nn.Module):
    """TF-slim's auxiliary classifier: 5x5/3 average pool, 1x1 conv to 128, conv to 768, linear."""

    def __init__(self, c_in, num_classes, size):
        super().__init__()
        pool = min(size) >= 5
        pooled = tuple((s - 5) // 3 + 1 for s in size) if pool else tuple(size)
        self.features = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.AvgPool2d(5, 3) if pool else nn.Identity(),
            nn.Conv2d(c_in, 128, 1, bias=False),
            nn.BatchNorm2d(128, eps=BN_EPS),
            nn.ReLU(inplace=False),
            nn.Conv2d(128, 768, pooled, bias=False),
            nn.BatchNorm2d(768, eps=BN_EPS),
            nn.ReLU(inplace=False),
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def _halve(size):
    return tuple(math.ceil(s / 2) for s in size)


class NASNetNetwork(nn.Module):
    """Stem, ``reductions + 1`` stages of ``cells`` normal cells, a reduction cell between stages.

    ``filters`` is the first stage's filter count (it doubles at each reduction). The "cifar" stem
    is a 3x3 conv to ``filters * stem_multiplier`` channels; the "imagenet" stem is a stride-2 3x3
    conv to ``32 * stem_multiplier`` channels followed by two reduction cells at a quarter and
    half of ``filters``. ``skip_reduction_input``: the normal cell after a reduction takes as
    h_{i-1} the cell before the reduction's input (NASNet-A Large). In training mode, a network
    with an auxiliary head returns ``(logits, aux_logits)``.
    """

    def __init__(
        self,
        normal,
        normal_concat,
        reduce,
        reduce_concat,
        in_channels=3,
        num_classes=10,
        filters=32,
        cells=6,
        reductions=2,
        stem="cifar",
        stem_multiplier=3.0,
        skip_reduction_input=False,
        drop_path=0.0,
        auxiliary=False,
        dropout=0.0,
        image_size=(32, 32),
    ):
        super().__init__()
        size = tuple(image_size)
        plan = []  # (is_reduction, filters, in a stem) for every cell, in order
        if stem == "imagenet":
            stem_channels = int(32 * stem_multiplier)
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, stem_channels, 3, 2, 0, bias=False), nn.BatchNorm2d(stem_channels, eps=BN_EPS)
            )
            size = tuple((s - 3) // 2 + 1 for s in size)
            plan += [(True, int(filters * 0.25), True), (True, int(filters * 0.5), True)]
        elif stem == "cifar":
            stem_channels = int(filters * stem_multiplier)
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, stem_channels, 3, 1, 1, bias=False), nn.BatchNorm2d(stem_channels, eps=BN_EPS)
            )
        else:
            raise ValueError(f"unknown NASNet stem {stem!r}; choose cifar or imagenet")
        for stage in range(reductions + 1):
            if stage:
                plan.append((True, filters * 2**stage, False))
            plan += [(False, filters * 2**stage, False)] * cells
        # states as TF-slim keeps them: (channels, resolution level); None = no cell yet
        states = [None, (stem_channels, 0)]
        layers, offsets = [], []
        self.aux_after = -1
        aux_input = None
        stage = 0
        for index, (reduction, cell_filters, in_stem) in enumerate(plan):
            after_reduction = index > 0 and plan[index - 1][0] and not plan[index - 1][2] and not reduction
            offset = 3 if skip_reduction_input and after_reduction else 2
            cur, prev = states[-1], states[-offset]
            cell = NASNetCell(
                reduce if reduction else normal,
                reduce_concat if reduction else normal_concat,
                cur[0],
                None if prev is None else prev[0],
                prev is not None and prev[1] != cur[1],
                cell_filters,
                reduction,
                drop_path * (index + 1) / len(plan),
            )
            layers.append(cell)
            offsets.append(offset)
            if reduction:
                size = _halve(size)
                stage += 0 if in_stem else 1
            states.append((cell.out_channels, cur[1] + int(reduction)))
            last_of_stage = not reduction and (index + 1 == len(plan) or plan[index + 1][0])
            if auxiliary and last_of_stage and stage == reductions - 1:
                self.aux_after, aux_input = index, (cell.out_channels, size)
        self.cells = nn.ModuleList(layers)
        self.offsets = tuple(offsets)
        if auxiliary and aux_input is None:
            raise ValueError("the auxiliary head sits before the last reduction cell; it needs reductions >= 1")
        self.aux_head = AuxiliaryHead(aux_input[0], num_classes, aux_input[1]) if auxiliary else None
        self.relu = nn.ReLU(inplace=False)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(states[-1][0], num_classes)

    def forward(self, x):
        x = self.stem(x)
        states = [x, x]  # h_{i-1} of the first cell is its own input
        aux = None
        for index, (cell, offset) in enumerate(zip(self.cells, self.offsets)):
            states = states[-2:] + [cell(states[-1], states[-offset])]
            if index == self.aux_after and self.training:
                aux = self.aux_head(states[-1])
        logits = self.classifier(self.dropout(torch.flatten(self.pool(self.relu(states[-1])), 1)))
        return (logits, aux) if aux is not None else logits
