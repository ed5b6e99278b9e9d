"""Vision transformers as plain data (AutoFormer / NASViT style), with a canonical string form.

A network is a patch size, an embedding dimension, a head dimension and one ``(heads, mlp_ratio)``
layer per block; its depth is the number of layers. The string joins the segments with ``/``::

    p16_e768_hd64/h12_m4.0/h12_m4.0/.../h12_m4.0

A layer's attention width is ``heads * head_dim`` and its MLP width ``int(embed * mlp_ratio)``
(AutoFormer's rounding).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import networkx as nx

from nasbench.arch import Arch
from nasbench.errors import InvalidArchitecture
from nasbench.graph import INPUT, OUTPUT

SEPARATOR = "/"
_STEM = re.compile(r"^p(\d+)_e(\d+)_hd(\d+)$")
_LAYER = re.compile(r"^h(\d+)_m(\d+(?:\.\d+)?)$")


def _positive_int(value, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArchitecture(f"{what} must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class Layer:
    """One transformer block: its number of attention heads and its MLP expansion ratio."""

    heads: int
    mlp_ratio: float

    def __post_init__(self) -> None:
        _positive_int(self.heads, "a layer's heads")
        if isinstance(self.mlp_ratio, bool) or not isinstance(self.mlp_ratio, (int, float)) or self.mlp_ratio <= 0:
            raise InvalidArchitecture(f"a layer's MLP ratio must be a positive number, got {self.mlp_ratio!r}")
        object.__setattr__(self, "mlp_ratio", float(self.mlp_ratio))

    def to_string(self) -> str:
        return f"h{self.heads}_m{self.mlp_ratio!r}"

    @classmethod
    def from_string(cls, text: str) -> Layer:
        match = _LAYER.match(text)
        if match is None:
            raise InvalidArchitecture(f"layer {text!r} should read h<heads>_m<mlp ratio>, e.g. h12_m4.0")
        return cls(int(match.group(1)), float(match.group(2)))


@dataclass(frozen=True)
class ViTArch(Arch):
    """A whole vision transformer: patch size, embedding, head dimension and its layers."""

    patch: int
    embed: int
    layers: tuple[Layer, ...]
    head_dim: int = 64
    space = "vit"

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        _positive_int(self.patch, "patch size")
        _positive_int(self.embed, "embedding dimension")
        _positive_int(self.head_dim, "head dimension")
        if not self.layers or not all(isinstance(layer, Layer) for layer in self.layers):
            raise InvalidArchitecture("a vision transformer needs at least one layer of Layer values")

    @property
    def depth(self) -> int:
        return len(self.layers)

    def mlp_hidden(self, layer: Layer) -> int:
        return int(self.embed * layer.mlp_ratio)

    # ------------------------------------------------------------------ strings
    def to_string(self) -> str:
        stem = f"p{self.patch}_e{self.embed}_hd{self.head_dim}"
        return SEPARATOR.join([stem, *(layer.to_string() for layer in self.layers)])

    @classmethod
    def from_string(cls, text: str) -> ViTArch:
        parts = text.strip().split(SEPARATOR)
        match = _STEM.match(parts[0])
        if match is None:
            raise InvalidArchitecture(
                f"ViT string {text!r} should start with p<patch>_e<embed>_hd<head dim>, e.g. p16_e768_hd64"
            )
        if len(parts) < 2 or any(not p for p in parts[1:]):
            raise InvalidArchitecture(f"ViT string {text!r} needs at least one layer after the stem, e.g. /h12_m4.0")
        patch, embed, head_dim = (int(g) for g in match.groups())
        return cls(patch, embed, tuple(Layer.from_string(p) for p in parts[1:]), head_dim)

    # -------------------------------------------------------------- structure
    def to_graph(self) -> nx.DiGraph:
        """A chain: patch embedding, one node per layer with its choices as the op, head.

        Each layer's label carries its position (the Weisfeiler-Lehman hash only looks a few nodes
        along a chain) and the widths it is built with; there are no nodes past the depth.
        """
        graph = nx.DiGraph()
        graph.add_node("input", op=INPUT)
        graph.add_node("patch", op=f"patch{self.patch}_e{self.embed}_cls_pos")
        graph.add_edge("input", "patch")
        previous = "patch"
        for i, layer in enumerate(self.layers):
            node = f"l{i}"
            op = f"block_e{self.embed}_h{layer.heads}x{self.head_dim}_mlp{self.mlp_hidden(layer)}#{i}"
            graph.add_node(node, op=op)
            graph.add_edge(previous, node)
            previous = node
        graph.add_node("head", op=f"norm_linear_e{self.embed}")
        graph.add_edge(previous, "head")
        graph.add_node("output", op=OUTPUT)
        graph.add_edge("head", "output")
        return graph

    def network_kwargs(self) -> dict:
        """Keywords of ``modules.ViTNetwork``: plain tuples and numbers only."""
        return {
            "layers": tuple((layer.heads, self.mlp_hidden(layer)) for layer in self.layers),
            "patch": self.patch,
            "embed": self.embed,
            "head_dim": self.head_dim,
        }
