"""The ViT supernet with AutoFormer's weight entanglement: every child uses the leading slice of every weight.

Parameter names are ``vit.modules.ViTNetwork``'s, at maximum size, so a child's state dict is the
supernet's, sliced. The query, key and value weights are sliced each on their own (the first
``heads * head_dim`` rows of each), so a child's heads are the supernet's first heads. Nothing
about the active child is stored: each forward reads it from its argument.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from nasbench.errors import InvalidArchitecture
from nasbench.search_spaces.vit.genotype import ViTArch
from nasbench.search_spaces.vit.modules import ViTNetwork
from nasbench.supernet.slicing import leading


def qkv_slice(tensor: torch.Tensor, width: int, embed: int | None = None) -> torch.Tensor:
    """The first ``width`` rows of each of query, key and value (and the first ``embed`` columns)."""
    chunks = tensor.reshape(3, tensor.shape[0] // 3, *tensor.shape[1:])[:, :width]
    if embed is not None:
        chunks = chunks[..., :embed]
    return chunks.reshape(3 * width, *chunks.shape[2:])


def _layer_norm(x: torch.Tensor, norm: nn.LayerNorm, dim: int) -> torch.Tensor:
    return F.layer_norm(x, (dim,), norm.weight[:dim], norm.bias[:dim], norm.eps)


class ViTSupernet(nn.Module):
    """A ViT at the largest embedding, depth, heads and MLP width; ``forward(x, child)`` runs ``child``."""

    def __init__(self, patch, embed, depth, heads, mlp_hidden, head_dim, in_channels, num_classes, image_size):
        super().__init__()
        full = ViTNetwork([(heads, mlp_hidden)] * depth, patch, embed, head_dim, in_channels, num_classes, image_size)
        self.limits = (patch, embed, depth, heads, mlp_hidden, head_dim)
        self.patch_embed = full.patch_embed
        self.cls_token = full.cls_token
        self.pos_embed = full.pos_embed
        self.blocks = full.blocks
        self.norm = full.norm
        self.head = full.head

    def check(self, child: ViTArch) -> None:
        """Refuse a child that is not a slice of this supernet, naming the first thing that does not fit."""
        patch, embed, depth, heads, mlp_hidden, head_dim = self.limits
        if not isinstance(child, ViTArch) or (child.patch, child.head_dim) != (patch, head_dim):
            raise InvalidArchitecture(f"{child} is not a child of this supernet: patch {patch} and head dim {head_dim}")
        for what, value, most in (("embedding", child.embed, embed), ("depth", child.depth, depth)):
            if value > most:
                raise InvalidArchitecture(f"{what} {value} of {child} exceeds the supernet's {most}")
        for i, layer in enumerate(child.layers):
            if layer.heads > heads or child.mlp_hidden(layer) > mlp_hidden:
                raise InvalidArchitecture(
                    f"layer {i} of {child} is wider than the supernet's ({heads} heads, MLP {mlp_hidden})"
                )

    def forward(self, x, child: ViTArch):
        self.check(child)
        d, head_dim = child.embed, child.head_dim
        patch = self.patch_embed
        x = F.conv2d(x, patch.weight[:d], patch.bias[:d], patch.stride).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token[..., :d].expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed[..., :d]
        for layer, block in zip(child.layers, self.blocks):
            x = x + self._attention(_layer_norm(x, block.norm1, d), block.attn, layer.heads, head_dim)
            hidden = child.mlp_hidden(layer)
            h = F.linear(_layer_norm(x, block.norm2, d), block.mlp.fc1.weight[:hidden, :d], block.mlp.fc1.bias[:hidden])
            x = x + F.linear(block.mlp.act(h), block.mlp.fc2.weight[:d, :hidden], block.mlp.fc2.bias[:d])
        x = _layer_norm(x, self.norm, d)[:, 0]
        return F.linear(x, self.head.weight[:, :d], self.head.bias)

    @staticmethod
    def _attention(x, attn, heads: int, head_dim: int):
        """``vit.modules.Attention`` with the first ``heads`` heads, step for step."""
        batch, tokens, d = x.shape
        width = heads * head_dim
        qkv = F.linear(x, qkv_slice(attn.qkv.weight, width, d), qkv_slice(attn.qkv.bias, width))
        qkv = qkv.reshape(batch, tokens, 3, heads, head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        weights = torch.softmax(torch.matmul(q * attn.scale, k.transpose(-2, -1)), dim=-1)
        out = torch.matmul(weights, v).transpose(1, 2).reshape(batch, tokens, width)
        return F.linear(out, attn.proj.weight[:d, :width], attn.proj.bias[:d])

    @staticmethod
    def slice_for(name: str, source: torch.Tensor, shape) -> torch.Tensor:
        """The slice of supernet tensor ``source`` that the child's parameter ``name`` (of ``shape``) takes."""
        if name.endswith("attn.qkv.weight"):
            return qkv_slice(source, shape[0] // 3, shape[1])
        if name.endswith("attn.qkv.bias"):
            return qkv_slice(source, shape[0] // 3)
        return leading(source, shape)
