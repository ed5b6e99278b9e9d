"""MBConv networks (MobileNetV2, MnasNet, EfficientNet) as plain data, with a timm-like string form.

A network is a stem convolution, stages of mobile inverted bottleneck blocks, and a head. Each
stage is one block string in timm's grammar, e.g. ``ir_r2_k3_s2_e6_c24_se0.25``: ``r`` repeats,
``k`` depthwise kernel, ``s`` stride of the first block, ``e`` expansion ratio, ``c`` output
channels, ``se`` squeeze-excitation ratio (of the block's input channels; absent means none) and
``noskip`` to drop the residual connections. A whole network joins its segments with ``/``::

    res224/stem_c32_s2_silu/ir_r1_k3_s1_e1_c16_se0.25/.../ir_r1_k3_s1_e6_c320_se0.25/head_c1280_d0.2

``res<R>`` (optional) is the input resolution the network resizes its input to; without it the
network runs at the data's own size. The stem names the activation of the whole network.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import networkx as nx

from nasbench.arch import Arch
from nasbench.errors import InvalidArchitecture
from nasbench.graph import INPUT, OUTPUT, SUM

ACTIVATIONS = ("silu", "relu", "relu6")
SEPARATOR = "/"
_TOKEN = re.compile(r"^(se|r|k|s|e|c|d)(\d+(?:\.\d+)?(?:e-\d+)?)$")

# What a string may ask for. Far beyond any published network (EfficientNet-B7: 55 blocks, 640
# channels in a stage, 2560 in the head, 600 pixels), and small enough that hashing, building or
# counting a network within them cannot exhaust a machine's memory or time.
#: longest architecture string decoded
MAX_STRING_LENGTH = 20_000
#: characters of one number in a string
MAX_DIGITS = 12
#: stages (block strings) of a network
MAX_STAGES = 64
#: blocks of one stage, and of the whole network
MAX_REPEATS = 256
MAX_DEPTH = 1024
#: channels of any layer (stages, stem, head)
MAX_CHANNELS = 16_384
#: depthwise kernel size and expansion ratio
MAX_KERNEL = 31
MAX_EXPAND = 64
#: input resolution (pixels per side)
MAX_RESOLUTION = 4096


def _number(text: str, what: str, kind: type):
    if len(text) > MAX_DIGITS:
        raise InvalidArchitecture(f"{what} has {len(text):,} characters; a number here has at most {MAX_DIGITS}")
    try:
        value = kind(text)
    except ValueError:
        raise InvalidArchitecture(
            f"{what} should be {'an integer' if kind is int else 'a number'}, got {text!r}"
        ) from None
    return value


def _tokens(segment: str, allowed: set[str]) -> tuple[dict[str, str], list[str]]:
    """Split ``k3_s2_...`` into ``{"k": "3", ...}`` plus the bare words (``noskip``, ``silu``)."""
    values: dict[str, str] = {}
    words: list[str] = []
    for token in segment.split("_"):
        match = _TOKEN.match(token)
        if match is None:
            words.append(token)
            continue
        key, value = match.groups()
        if key not in allowed:
            raise InvalidArchitecture(f"{segment!r} takes no '{key}' option (it takes {', '.join(sorted(allowed))})")
        if key in values:
            raise InvalidArchitecture(f"{segment!r} gives '{key}' twice")
        values[key] = value
    return values, words


@dataclass(frozen=True)
class Stage:
    """``repeats`` MBConv blocks with the same settings; only the first has ``stride`` and changes channels."""

    expand: int  # expansion ratio of the 1x1 conv; 1 means no expansion conv (depthwise-separable)
    kernel: int  # depthwise kernel size
    stride: int  # stride of the stage's first block
    channels: int  # output channels
    repeats: int
    se: float = 0.0  # squeeze channels = max(1, int(block input channels * se)); 0 means no SE
    skip: bool = True  # residual connection where stride is 1 and channels are unchanged

    def __post_init__(self) -> None:
        limits = {"expand": MAX_EXPAND, "kernel": MAX_KERNEL, "channels": MAX_CHANNELS, "repeats": MAX_REPEATS}
        for name, limit in limits.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidArchitecture(f"stage {name} must be a positive integer, got {value!r}")
            if value > limit:
                raise InvalidArchitecture(f"stage {name} {value:,} is beyond the limit of {limit:,}")
        if self.kernel % 2 == 0:
            raise InvalidArchitecture(f"stage kernel must be odd, got {self.kernel}")
        if self.stride not in (1, 2):
            raise InvalidArchitecture(f"stage stride must be 1 or 2, got {self.stride!r}")
        if not 0.0 <= float(self.se) < 1.0:
            raise InvalidArchitecture(f"stage se ratio must be in [0, 1), got {self.se!r}")
        object.__setattr__(self, "se", float(self.se))

    def to_string(self) -> str:
        text = f"ir_r{self.repeats}_k{self.kernel}_s{self.stride}_e{self.expand}_c{self.channels}"
        if self.se > 0:
            text += f"_se{self.se!r}"
        return text if self.skip else text + "_noskip"

    @classmethod
    def from_string(cls, text: str) -> Stage:
        """Parse one block string; timm's ``ds`` (depthwise-separable) block reads as ``ir`` with ``e1``."""
        kind, _, rest = text.partition("_")
        if kind not in ("ir", "ds"):
            raise InvalidArchitecture(f"block {text!r} should start with 'ir' (MBConv) or 'ds' (depthwise-separable)")
        values, words = _tokens(rest, {"r", "k", "s", "e", "c", "se"})
        unknown = [w for w in words if w not in ("noskip", "skip")]
        if unknown:
            raise InvalidArchitecture(f"block {text!r}: unknown option {unknown[0]!r}")
        if kind == "ds" and values.get("e", "1") != "1":
            raise InvalidArchitecture(f"block {text!r}: a 'ds' block has no expansion; use 'ir' for e > 1")
        missing = [k for k in ("k", "c") if k not in values]
        if missing:
            raise InvalidArchitecture(
                f"block {text!r} lacks {', '.join(repr(m) for m in missing)} (kernel and channels are required)"
            )
        return cls(
            expand=_number(values.get("e", "1"), f"expansion in {text!r}", int),
            kernel=_number(values["k"], f"kernel in {text!r}", int),
            stride=_number(values.get("s", "1"), f"stride in {text!r}", int),
            channels=_number(values["c"], f"channels in {text!r}", int),
            repeats=_number(values.get("r", "1"), f"repeats in {text!r}", int),
            se=_number(values.get("se", "0"), f"se ratio in {text!r}", float),
            skip="noskip" not in words,
        )

    def plain(self) -> tuple:
        """The tuple ``MBConvNetwork`` takes: (expand, kernel, stride, channels, repeats, se, skip)."""
        return (self.expand, self.kernel, self.stride, self.channels, self.repeats, self.se, self.skip)


@dataclass(frozen=True)
class Block:
    """One block of a built network, with its actual input channels and stride."""

    index: int
    c_in: int
    c_out: int
    kernel: int
    stride: int
    expand: int
    se: float
    residual: bool

    def label(self) -> str:
        se = f"_se{max(1, int(self.c_in * self.se + 1e-9))}" if self.se > 0 else ""
        return f"mbconv_k{self.kernel}_s{self.stride}_e{self.expand}_c{self.c_out}{se}#{self.index}"


@dataclass(frozen=True)
class MBConvArch(Arch):
    """A whole MBConv network: stem, stages, head, and (optionally) its input resolution."""

    stages: tuple[Stage, ...]
    stem: int = 32  # channels of the 3x3 stem conv
    head: int = 1280  # channels of the 1x1 conv before pooling
    stem_stride: int = 2
    activation: str = "silu"
    dropout: float = 0.2  # before the classifier
    resolution: int | None = None  # input size the network resizes to; None: the data's own size
    space = "mbconv"

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(self.stages))
        if not self.stages or not all(isinstance(s, Stage) for s in self.stages):
            raise InvalidArchitecture("an MBConv network needs at least one stage of Stage values")
        if len(self.stages) > MAX_STAGES:
            raise InvalidArchitecture(f"{len(self.stages):,} stages are beyond the limit of {MAX_STAGES}")
        if self.depth() > MAX_DEPTH:
            raise InvalidArchitecture(f"{self.depth():,} blocks are beyond the limit of {MAX_DEPTH:,}")
        for name in ("stem", "head"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidArchitecture(f"{name} channels must be a positive integer, got {value!r}")
            if value > MAX_CHANNELS:
                raise InvalidArchitecture(f"{name} channels {value:,} are beyond the limit of {MAX_CHANNELS:,}")
        if self.stem_stride not in (1, 2):
            raise InvalidArchitecture(f"stem stride must be 1 or 2, got {self.stem_stride!r}")
        if self.activation not in ACTIVATIONS:
            raise InvalidArchitecture(f"unknown activation {self.activation!r}; choose from {', '.join(ACTIVATIONS)}")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise InvalidArchitecture(f"dropout must be in [0, 1), got {self.dropout!r}")
        object.__setattr__(self, "dropout", float(self.dropout))
        if self.resolution is not None and (
            isinstance(self.resolution, bool) or not isinstance(self.resolution, int) or self.resolution < 1
        ):
            raise InvalidArchitecture(f"resolution must be a positive integer, got {self.resolution!r}")
        if self.resolution is not None and self.resolution > MAX_RESOLUTION:
            raise InvalidArchitecture(f"resolution {self.resolution:,} is beyond the limit of {MAX_RESOLUTION:,}")

    # ------------------------------------------------------------------ strings
    def to_string(self) -> str:
        parts = [] if self.resolution is None else [f"res{self.resolution}"]
        parts.append(f"stem_c{self.stem}_s{self.stem_stride}_{self.activation}")
        parts.extend(stage.to_string() for stage in self.stages)
        parts.append(f"head_c{self.head}_d{self.dropout!r}")
        return SEPARATOR.join(parts)

    @classmethod
    def from_string(cls, text: str) -> MBConvArch:
        if len(text) > MAX_STRING_LENGTH:
            raise InvalidArchitecture(f"MBConv string of {len(text):,} characters; the limit is {MAX_STRING_LENGTH:,}")
        parts = [p for p in text.strip().split(SEPARATOR)]
        if len(parts) > MAX_STAGES + 3:
            raise InvalidArchitecture(f"MBConv string of {len(parts):,} segments; at most {MAX_STAGES} stages")
        if any(not p for p in parts):
            raise InvalidArchitecture(f"MBConv string {text!r} has an empty segment between '{SEPARATOR}'")
        resolution = None
        if parts and parts[0].startswith("res"):
            resolution = _number(parts.pop(0)[3:], "resolution 'res<N>'", int)
        if len(parts) < 3 or not parts[0].startswith("stem") or not parts[-1].startswith("head"):
            raise InvalidArchitecture(
                f"MBConv string {text!r} should read "
                f"[res<N>{SEPARATOR}]stem_...{SEPARATOR}<block>{SEPARATOR}...{SEPARATOR}head_..."
            )
        stem, stem_words = _tokens(parts[0][len("stem") :].lstrip("_"), {"c", "s"})
        head, head_words = _tokens(parts[-1][len("head") :].lstrip("_"), {"c", "d"})
        activation = [w for w in stem_words if w]
        if len(activation) > 1 or [w for w in head_words if w]:
            extra = activation[1:] or [w for w in head_words if w]
            raise InvalidArchitecture(f"MBConv string {text!r}: unknown option {extra[0]!r}")
        return cls(
            stages=tuple(Stage.from_string(p) for p in parts[1:-1]),
            stem=_number(stem.get("c", "32"), "stem channels", int),
            head=_number(head.get("c", "1280"), "head channels", int),
            stem_stride=_number(stem.get("s", "2"), "stem stride", int),
            activation=activation[0] if activation else "silu",
            dropout=_number(head.get("d", "0.2"), "dropout", float),
            resolution=resolution,
        )

    # -------------------------------------------------------------- structure
    def blocks(self) -> Iterator[Block]:
        """Every block in order, with the input channels and stride it is built with."""
        c_in, index = self.stem, 0
        for stage in self.stages:
            for r in range(stage.repeats):
                stride = stage.stride if r == 0 else 1
                residual = stage.skip and stride == 1 and c_in == stage.channels
                yield Block(index, c_in, stage.channels, stage.kernel, stride, stage.expand, stage.se, residual)
                c_in, index = stage.channels, index + 1

    def depth(self) -> int:
        """Number of MBConv blocks."""
        return sum(stage.repeats for stage in self.stages)

    def to_graph(self) -> nx.DiGraph:
        """A chain of blocks, with a sum node wherever a residual connection adds the block input.

        Each block label carries its position: the Weisfeiler-Lehman hash only looks a few nodes
        along a chain, and two different orders of the same blocks must not share a hash. Splitting
        a stage in two, or writing ``ds`` for ``ir ... e1``, gives the same graph.
        """
        graph = nx.DiGraph()
        graph.add_node("input", op=INPUT)
        previous = "input"
        if self.resolution is not None:
            graph.add_node("resize", op=f"resize_{self.resolution}")
            graph.add_edge(previous, "resize")
            previous = "resize"
        graph.add_node("stem", op=f"conv3x3_s{self.stem_stride}_c{self.stem}_{self.activation}")
        graph.add_edge(previous, "stem")
        previous = "stem"
        for block in self.blocks():
            node = f"b{block.index}"
            graph.add_node(node, op=block.label())
            graph.add_edge(previous, node)
            if block.residual:
                graph.add_node(f"add{block.index}", op=SUM)
                graph.add_edge(previous, f"add{block.index}")
                graph.add_edge(node, f"add{block.index}")
                node = f"add{block.index}"
            previous = node
        graph.add_node("head", op=f"conv1x1_c{self.head}_{self.activation}_pool_dropout{self.dropout!r}_linear")
        graph.add_edge(previous, "head")
        graph.add_node("output", op=OUTPUT)
        graph.add_edge("head", "output")
        return graph

    def network_kwargs(self) -> dict:
        """Keywords of ``modules.MBConvNetwork``: plain tuples, numbers and strings only."""
        return {
            "stages": tuple(stage.plain() for stage in self.stages),
            "stem": self.stem,
            "head": self.head,
            "stem_stride": self.stem_stride,
            "activation": self.activation,
            "dropout": self.dropout,
            "resolution": self.resolution,
        }
