"""PyTorch modules of the vision transformer (Dosovitskiy et al., ICLR 2021), as torchvision builds it.

Patch embedding by a strided convolution, a class token, learned position embeddings, pre-norm
blocks (LayerNorm, multi-head self-attention with qkv bias, LayerNorm, MLP with GELU), a final
LayerNorm and a linear head on the class token. A layer's attention width is ``heads * head_dim``
and need not equal the embedding. This file imports nothing but torch (and math), so an exported
model can carry it verbatim; the network is built from plain tuples, not from a genotype object.
"""

import math

import torch
from torch import nn


class Attention(nn.Module):
    """Multi-head self-attention written with two matrix products, so counters see its multiply-adds."""

    def __init__(self, dim, heads, head_dim):
        super().__init__()
        self.heads = heads
        self.head_dim = head_dim
        self.scale = head_dim**-0.5
        self.qkv = nn.Linear(dim, 3 * heads * head_dim)
        self.proj = nn.Linear(heads * head_dim, dim)

    def forward(self, x):
        batch, tokens, _ = x.shape
        qkv = self.qkv(x).reshape(batch, tokens, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        weights = torch.softmax(torch.matmul(q * self.scale, k.transpose(-2, -1)), dim=-1)
        out = torch.matmul(weights, v).transpose(1, 2).reshape(batch, tokens, self.heads * self.head_dim)
        return self.proj(out)


class MLP(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer encoder block: x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, dim, heads, head_dim, mlp_hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads, head_dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = MLP(dim, mlp_hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViTNetwork(nn.Module):
    """Vision transformer; ``layers`` holds one ``(heads, mlp_hidden)`` pair per block.

    The input must be ``image_size`` (height, width), each a multiple of ``patch``: the position
    embedding has one entry per patch plus the class token.
    """

    def __init__(
        self, layers, patch=16, embed=768, head_dim=64, in_channels=3, num_classes=1000, image_size=(224, 224)
    ):
        super().__init__()
        tokens = (image_size[0] // patch) * (image_size[1] // patch) + 1
        self.patch_embed = nn.Conv2d(in_channels, embed, patch, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed))
        self.pos_embed = nn.Parameter(torch.empty(1, tokens, embed).normal_(std=0.02))
        self.blocks = nn.ModuleList(Block(embed, heads, head_dim, hidden) for heads, hidden in layers)
        self.norm = nn.LayerNorm(embed, eps=1e-6)
        self.head = nn.Linear(embed, num_classes)
        self._init_weights(patch * patch * in_channels)

    def _init_weights(self, patch_fan_in):
        nn.init.trunc_normal_(self.patch_embed.weight, std=math.sqrt(1.0 / patch_fan_in))
        nn.init.zeros_(self.patch_embed.bias)
        for m in self.blocks.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)[:, 0])
