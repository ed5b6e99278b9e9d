"""A vision transformer as latency units: the embedding (patches, class token, positions), every layer with
its heads and MLP width, and the final norm and classifier."""

from __future__ import annotations

import torch
from torch import nn

from nasbench.search_spaces.vit.genotype import ViTArch
from nasbench.search_spaces.vit.modules import Block
from nasbench.space import DataSpec, Unit


class Embedding(nn.Module):
    """What ``ViTNetwork`` does before its first layer."""

    def __init__(self, channels: int, embed: int, patch: int, tokens: int) -> None:
        super().__init__()
        self.patch_embed = nn.Conv2d(channels, embed, patch, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed))
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens, embed))

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        return torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed


class Classifier(nn.Module):
    """What ``ViTNetwork`` does after its last layer."""

    def __init__(self, embed: int, classes: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(embed, eps=1e-6)
        self.head = nn.Linear(embed, classes)

    def forward(self, x):
        return self.head(self.norm(x)[:, 0])


def vit_units(arch: ViTArch, data: DataSpec) -> list[Unit]:
    """The units of ``arch`` on ``data`` (multiply-adds as fvcore counts the matrix products)."""
    c, h, w, p, e = data.channels, data.height, data.width, arch.patch, arch.embed
    tokens = (h // p) * (w // p) + 1
    units = [Unit("embed", (e, p), (c, h, w), c * p * p * e * (tokens - 1), lambda: Embedding(c, e, p, tokens))]
    for layer in arch.layers:
        heads, hidden = layer.heads, arch.mlp_hidden(layer)
        width = heads * arch.head_dim
        work = tokens * e * (4 * width + 2 * hidden) + 2 * tokens * tokens * width
        args = (e, heads, arch.head_dim, hidden)
        units.append(Unit("layer", args, (tokens, e), work, lambda a=args: Block(*a)))
    classes = data.num_classes
    units.append(Unit("classifier", (classes,), (tokens, e), e * classes, lambda: Classifier(e, classes)))
    return units
