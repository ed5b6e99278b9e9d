"""A tiny space with the DecisionSequence capability: a chain of layers, each picking one of a few ops."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import torch

from nasbench.arch import Arch
from nasbench.errors import InvalidArchitecture
from nasbench.graph import INPUT, OUTPUT
from nasbench.space import Buildable, DataSpec, DecisionSequence, NetworkSpec, SearchSpace


@dataclass(frozen=True)
class Chain(Arch):
    choices: tuple[int, ...]
    space = "toy"

    def to_string(self) -> str:
        return "-".join(str(c) for c in self.choices)

    def to_graph(self) -> nx.DiGraph:
        graph = nx.DiGraph()
        graph.add_node("in", op=INPUT)
        previous = "in"
        for layer, choice in enumerate(self.choices):
            graph.add_node(layer, op=f"layer{layer}_op{choice}")
            graph.add_edge(previous, layer)
            previous = layer
        graph.add_node("out", op=OUTPUT)
        graph.add_edge(previous, "out")
        return graph


class ChainSpace(SearchSpace, Buildable, DecisionSequence):
    """``layers`` decisions of ``ops`` choices each; the reward of a chain is how many layers match ``target``."""

    name = "toy"

    def __init__(self, layers: int = 8, ops: int = 4) -> None:
        self.layers, self.ops = layers, ops
        self.target = tuple((3 * i + 1) % ops for i in range(layers))

    def sample(self, rng: np.random.Generator) -> Chain:
        return Chain(tuple(int(c) for c in rng.integers(self.ops, size=self.layers)))

    def mutate(self, arch: Chain, rng: np.random.Generator) -> Chain:
        layer = int(rng.integers(self.layers))
        choices = list(arch.choices)
        choices[layer] = (choices[layer] + 1 + int(rng.integers(self.ops - 1))) % self.ops
        return Chain(tuple(choices))

    def decode(self, text: str) -> Chain:
        try:
            return self.from_decisions([int(c) for c in text.split("-")])
        except ValueError:
            raise InvalidArchitecture(f"toy chain {text!r} should read like 0-3-1") from None

    def network_spec(self, arch: Chain, data: DataSpec) -> NetworkSpec:
        return NetworkSpec(
            __name__,
            "ChainNet",
            {"choices": arch.choices, "inputs": data.channels * data.height * data.width, "classes": data.num_classes},
        )

    def reward(self, arch: Chain) -> float:
        return float(sum(a == b for a, b in zip(arch.choices, self.target)))

    def decision_sizes(self) -> Sequence[int]:
        return [self.ops] * self.layers

    def to_decisions(self, arch: Chain) -> list[int]:
        return list(arch.choices)

    def from_decisions(self, decisions: Sequence[int]) -> Chain:
        if len(decisions) != self.layers or any(not 0 <= int(d) < self.ops for d in decisions):
            raise InvalidArchitecture(
                f"a toy chain needs {self.layers} choices in [0, {self.ops}), got {list(decisions)}"
            )
        return Chain(tuple(int(d) for d in decisions))


class ChainNet(torch.nn.Sequential):
    """A toy network: one hidden layer per choice, as wide as the choice plus one."""

    def __init__(self, choices, inputs, classes):
        layers, width = [torch.nn.Flatten()], inputs
        for choice in choices:
            layers += [torch.nn.Linear(width, choice + 1), torch.nn.ReLU()]
            width = choice + 1
        super().__init__(*layers, torch.nn.Linear(width, classes))
