"""A tiny weight-sharing space: residual conv blocks of elastic depth and width, with batch norm and dropout.

Small enough to sandwich-train on 8x8 digits in seconds; Ray workers receive it pickled by value.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import torch.nn.functional as F
from torch import nn

from nasbench.arch import Arch
from nasbench.errors import InvalidArchitecture
from nasbench.graph import INPUT, OUTPUT
from nasbench.space import Buildable, DataSpec, DecisionSequence, NetworkSpec, SearchSpace
from nasbench.supernet import WeightSharing

DEPTHS, WIDTHS, CHANNELS = (1, 2), (4, 8), 8


@dataclass(frozen=True)
class ToyChild(Arch):
    depth: int
    width: int
    space = "toy-supernet"

    def to_string(self) -> str:
        return f"d{self.depth}-w{self.width}"

    def to_graph(self) -> nx.DiGraph:
        graph = nx.DiGraph()
        graph.add_node("in", op=INPUT)
        previous = "in"
        for block in range(self.depth):
            graph.add_node(block, op=f"block_w{self.width}")
            graph.add_edge(previous, block)
            previous = block
        graph.add_node("out", op=OUTPUT)
        graph.add_edge(previous, "out")
        return graph


class ToyChildNet(nn.Module):
    def __init__(self, depth: int, width: int, channels: int, num_classes: int) -> None:
        super().__init__()
        self.stem = nn.Conv2d(channels, CHANNELS, 3, padding=1)
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(CHANNELS, width, 3, padding=1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(),
                nn.Conv2d(width, CHANNELS, 3, padding=1, bias=False),
                nn.BatchNorm2d(CHANNELS),
            )
            for _ in range(depth)
        )
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(CHANNELS, num_classes)

    def forward(self, x):
        x = F.relu(self.stem(x))
        for block in self.blocks:
            x = F.relu(x + block(x))
        return self.head(self.dropout(x.mean((2, 3))))


class ToySupernet(nn.Module):
    """Weights at maximum depth and width; ``forward(x, child)`` uses the child's slices."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.full = ToyChildNet(max(DEPTHS), max(WIDTHS), channels, num_classes)
        for block in self.full.blocks:
            nn.init.zeros_(block[4].weight)  # zero-initialised last norm scale of each residual block

    def forward(self, x, child: ToyChild):
        net = self.full
        x = F.relu(net.stem(x))
        for block in list(net.blocks)[: child.depth]:
            conv1, bn1, _, conv2, bn2 = block
            w = child.width
            h = F.conv2d(x, conv1.weight[:w], padding=1)
            h = F.batch_norm(h, bn1.running_mean[:w], bn1.running_var[:w], bn1.weight[:w], bn1.bias[:w], self.training)
            h = F.conv2d(F.relu(h), conv2.weight[:, :w], padding=1)
            x = F.relu(x + bn2(h))
        return net.head(net.dropout(x.mean((2, 3))))


class ToySupernetSpace(SearchSpace, Buildable, WeightSharing, DecisionSequence):
    """Depth 1-2 and width 4-8 of a two-block residual net."""

    name = "toy-supernet"

    def decision_sizes(self) -> list[int]:
        return [len(DEPTHS), len(WIDTHS)]

    def to_decisions(self, arch: Arch) -> list[int]:
        return [DEPTHS.index(arch.depth), WIDTHS.index(arch.width)]

    def from_decisions(self, decisions) -> Arch:
        return ToyChild(DEPTHS[decisions[0]], WIDTHS[decisions[1]])

    def sample(self, rng: np.random.Generator) -> Arch:
        return ToyChild(int(rng.choice(DEPTHS)), int(rng.choice(WIDTHS)))

    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        while (other := self.sample(rng)) == arch:
            pass
        return other

    def decode(self, text: str) -> Arch:
        try:
            depth, width = (int(part[1:]) for part in text.split("-"))
        except ValueError:
            raise InvalidArchitecture(f"not a toy child: {text!r}") from None
        if depth not in DEPTHS or width not in WIDTHS:
            raise InvalidArchitecture(f"toy child {text!r} is outside the supernet")
        return ToyChild(depth, width)

    def network_spec(self, arch: Arch, data: DataSpec) -> NetworkSpec:
        return NetworkSpec(
            __name__,
            "ToyChildNet",
            {"depth": arch.depth, "width": arch.width, "channels": data.channels, "num_classes": data.num_classes},
        )

    def child_space(self) -> SearchSpace:
        return self

    def largest(self) -> Arch:
        return ToyChild(max(DEPTHS), max(WIDTHS))

    def smallest(self) -> Arch:
        return ToyChild(min(DEPTHS), min(WIDTHS))

    def build_supernet(self, data: DataSpec) -> nn.Module:
        return ToySupernet(data.channels, data.num_classes)

    def extract(self, supernet: nn.Module, child: Arch, data: DataSpec) -> nn.Module:
        model = ToyChildNet(child.depth, child.width, data.channels, data.num_classes)  # importable by value
        full = supernet.full
        state = {}
        for name, tensor in full.state_dict().items():
            if name.startswith("blocks.") and int(name.split(".")[1]) >= child.depth:
                continue
            state[name] = tensor
        w = child.width
        for b in range(child.depth):
            for key in ("0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var"):
                state[f"blocks.{b}.{key}"] = state[f"blocks.{b}.{key}"][:w]
            state[f"blocks.{b}.3.weight"] = state[f"blocks.{b}.3.weight"][:, :w]
        model.load_state_dict({k: v.clone() for k, v in state.items()})
        return model
