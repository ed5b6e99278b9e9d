"""PyTorch modules of MBConv networks (MobileNetV2, MnasNet, EfficientNet).

The structure mirrors torchvision's EfficientNet, so an EfficientNet built here has torchvision's
parameter count to the unit. This file imports nothing but torch (and math), so an exported model
can carry it verbatim; the network is built from plain tuples, not from a genotype object.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS = {"silu": nn.SiLU, "relu": nn.ReLU, "relu6": nn.ReLU6}


def conv_bn(c_in, c_out, kernel_size, stride=1, groups=1, activation=None):
    """Convolution (no bias) + batch norm (+ activation), 'same' padding."""
    layers = [
        nn.Conv2d(c_in, c_out, kernel_size, stride, padding=(kernel_size - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(c_out),
    ]
    if activation is not None:
        layers.append(ACTIVATIONS[activation](inplace=True))
    return nn.Sequential(*layers)


class SqueezeExcite(nn.Module):
    """Global pool, 1x1 conv down, activation, 1x1 conv up, sigmoid gate (Hu et al. 2018)."""

    def __init__(self, channels, squeeze, activation):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.act = ACTIVATIONS[activation](inplace=True)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)

    def forward(self, x):
        scale = F.adaptive_avg_pool2d(x, 1)
        return x * torch.sigmoid(self.fc2(self.act(self.fc1(scale))))


class StochasticDepth(nn.Module):
    """Drops the residual branch of a whole sample with probability ``p`` while training (Huang et al. 2016)."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        survival = 1.0 - self.p
        keep = torch.empty([x.shape[0]] + [1] * (x.dim() - 1), dtype=x.dtype, device=x.device).bernoulli_(survival)
        return x * keep.div_(survival) if survival > 0.0 else x * keep


class MBConv(nn.Module):
    """Mobile inverted bottleneck: 1x1 expand, kxk depthwise, squeeze-excite, 1x1 linear projection.

    The expansion is skipped when the ratio is 1; the residual is used when ``skip`` is set, the
    stride is 1 and the channels are unchanged.
    """

    def __init__(self, c_in, c_out, kernel_size, stride, expand, se_ratio, skip, activation, drop_prob):
        super().__init__()
        hidden = c_in * expand
        layers = []
        if hidden != c_in:
            layers.append(conv_bn(c_in, hidden, 1, activation=activation))
        layers.append(conv_bn(hidden, hidden, kernel_size, stride, groups=hidden, activation=activation))
        if se_ratio > 0:
            layers.append(SqueezeExcite(hidden, max(1, int(c_in * se_ratio + 1e-9)), activation))
        layers.append(conv_bn(hidden, c_out, 1))
        self.block = nn.Sequential(*layers)
        self.residual = skip and stride == 1 and c_in == c_out
        self.stochastic_depth = StochasticDepth(drop_prob)

    def forward(self, x):
        if self.residual:
            return x + self.stochastic_depth(self.block(x))
        return self.block(x)


class MBConvNetwork(nn.Module):
    """Stem conv, stages of MBConv blocks, 1x1 head conv, global pooling, dropout, classifier.

    ``stages`` holds one ``(expand, kernel, stride, channels, repeats, se_ratio, skip)`` tuple per
    stage; the first block of a stage has the stage's stride, the others stride 1. The stochastic
    depth probability grows linearly with the block index, ``stochastic_depth * i / blocks``, as in
    torchvision. With ``resolution`` set, inputs of another size are resized (bilinear) to it first.
    """

    def __init__(
        self,
        stages,
        in_channels=3,
        num_classes=1000,
        stem=32,
        head=1280,
        stem_stride=2,
        activation="silu",
        dropout=0.2,
        resolution=None,
        stochastic_depth=0.2,
    ):
        super().__init__()
        self.resolution = resolution
        self.stem = conv_bn(in_channels, stem, 3, stem_stride, activation=activation)
        total = sum(stage[4] for stage in stages)
        blocks, c_in, index = [], stem, 0
        for expand, kernel, stride, channels, repeats, se_ratio, skip in stages:
            for r in range(repeats):
                drop = stochastic_depth * index / total
                blocks.append(
                    MBConv(c_in, channels, kernel, stride if r == 0 else 1, expand, se_ratio, skip, activation, drop)
                )
                c_in, index = channels, index + 1
        self.blocks = nn.Sequential(*blocks)
        self.head = conv_bn(c_in, head, 1, activation=activation)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(head, num_classes)
        self._init_weights()

    def _init_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                bound = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -bound, bound)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        size = self.resolution
        if size is not None and (x.shape[-2] != size or x.shape[-1] != size):
            x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
        x = self.head(self.blocks(self.stem(x)))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.classifier(self.dropout(x))
