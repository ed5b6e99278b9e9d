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

# Limits far beyond any published transformer (ViT-H/14: patch 14, embedding 1280, 32 layers of 16
# heads of 80, MLP ratio 4); ``nasbench.search_spaces.vit.size`` bounds the whole network besides.
#: the longest string read
MAX_STRING_LENGTH = 50_000
#: characters of one number in a string
MAX_DIGITS = 12
MAX_PATCH = 1024
MAX_EMBED = 65_536
MAX_HEAD_DIM = 4096
MAX_HEADS = 1024
MAX_DEPTH = 1024
MAX_MLP_RATIO = 64.0


def _positive_int(value, what: str, limit: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArchitecture(f"{what} must be a positive integer, got {value!r}")
    if value > limit:
        raise InvalidArchitecture(f"{what} {value:,} is beyond the limit of {limit:,}")


def _number(text: str, what: str, kind: type):
    if len(text) > MAX_DIGITS:
        raise InvalidArchitecture(f"{what} has {len(text):,} characters; a number here has at most {MAX_DIGITS}")
    return kind(text)


@dataclass(frozen=True)
class Layer:
    """One transformer block: its number of attention heads and its MLP expansion ratio."""

    heads: int
    mlp_ratio: float

    def __post_init__(self) -> None:
        _positive_int(self.heads, "a layer's heads", MAX_HEADS)
        ratio = self.mlp_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= MAX_MLP_RATIO:
            raise InvalidArchitecture(f"a layer's MLP ratio must be a number in (0, {MAX_MLP_RATIO:g}], got {ratio!r}")
        object.__setattr__(self, "mlp_ratio", float(ratio))

    def to_string(self) -> str:
        return f"h{self.heads}_m{self.mlp_ratio!r}"

    @classmethod
    def from_string(cls, text: str) -> Layer:
        match = _LAYER.match(text)
        if match is None:
            raise InvalidArchitecture(f"layer {text!r} should read h<heads>_m<mlp ratio>, e.g. h12_m4.0")
        return cls(
            _number(match.group(1), "a layer's heads", int), _number(match.group(2), "a layer's MLP ratio", float)
        )


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
        _positive_int(self.patch, "patch size", MAX_PATCH)
        _positive_int(self.embed, "embedding dimension", MAX_EMBED)
        _positive_int(self.head_dim, "head dimension", MAX_HEAD_DIM)
        if not self.layers or not all(isinstance(layer, Layer) for layer in self.layers):
            raise InvalidArchitecture("a vision transformer needs at least one layer of Layer values")
        if len(self.layers) > MAX_DEPTH:
            raise InvalidArchitecture(f"{len(self.layers):,} layers are beyond the limit of {MAX_DEPTH:,}")

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
        if len(text) > MAX_STRING_LENGTH:
            raise InvalidArchitecture(f"ViT string of {len(text):,} characters; the limit is {MAX_STRING_LENGTH:,}")
        parts = text.strip().split(SEPARATOR)
        if len(parts) > MAX_DEPTH + 1:
            raise InvalidArchitecture(f"ViT string of {len(parts):,} segments; at most {MAX_DEPTH:,} layers")
        match = _STEM.match(parts[0])
        if match is None:
            raise InvalidArchitecture(
                f"ViT string {text!r} should start with p<patch>_e<embed>_hd<head dim>, e.g. p16_e768_hd64"
            )
        if len(parts) < 2 or any(not p for p in parts[1:]):
            raise InvalidArchitecture(f"ViT string {text!r} needs at least one layer after the stem, e.g. /h12_m4.0")
        patch, embed, head_dim = (
            _number(g, what, int) for g, what in zip(match.groups(), ("patch", "embed", "head dim"))
        )
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
