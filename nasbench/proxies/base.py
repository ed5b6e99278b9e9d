"""What every zero-cost proxy shares: the batch it sees, the layers it scores, and how it may fail.

A proxy scores an untrained network from one batch (or, for a data-free proxy, from the batch's shape
alone) in the time of a forward and a backward pass. Each works on its own copy of the network, since
several change it (absolute weights, double precision, masks).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Batch:
    """Images (N, C, H, W) and their labels, drawn from a dataset's training split, and its classes."""

    images: torch.Tensor
    labels: torch.Tensor
    num_classes: int

    @property
    def shape(self) -> tuple[int, ...]:
        """One image's shape: all a data-free proxy needs."""
        return tuple(self.images.shape[1:])

    def first(self, n: int) -> Batch:
        return Batch(self.images[:n], self.labels[:n], self.num_classes)


@dataclass(frozen=True)
class Proxy:
    """A proxy: its function of (a copy of the network, the batch, a generator), and what it needs."""

    name: str
    score: Callable[[nn.Module, Batch, torch.Generator], float]
    data_free: bool  # needs only the batch's shape
    paper: str
    batch_size: int  # images it reads (a data-free proxy: as many inputs of the data's shape)


class Undefined(Exception):
    """A proxy that has no value for this network (why: the message), recorded as a failure, never a number."""


def scored_layers(model: nn.Module) -> Iterator[nn.Module]:
    """The convolutions and fully connected layers, whose weights the pruning-at-init proxies score
    (biases, normalisation and embeddings are not scored, as in Abdelfattah et al.'s code)."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            yield module


def finite(value: float, name: str) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise Undefined(f"{name} is {value}")
    return value


def depends_on_input(model: nn.Module, shape: tuple[int, ...], generator: torch.Generator) -> bool:
    """Whether the output changes with the input at all: a network with no path from its input to its output
    (every path cut by a ``none`` operation, whose zeros stay zeros through batch norm in train mode)
    gives the same output, its classifier's bias, for any input, and has no proxy value worth ranking.

    ``model`` is a copy: its weights are redrawn at random first, because a path can exist whose output is
    constant at initialisation (a classifier initialised to zero, as ViT's is), while a cut path stays cut
    for any weights."""
    model = model.train()
    with torch.no_grad():
        for parameter in model.parameters():
            drawn = torch.randn(parameter.shape, generator=generator, dtype=parameter.dtype)
            parameter.copy_(0.5 * drawn)
        a = model(torch.randn((2, *shape), generator=generator))
        b = model(torch.randn((2, *shape), generator=generator))
    return not torch.equal(a, b)


def cross_entropy_backward(model: nn.Module, batch: Batch) -> torch.Tensor:
    """The mean cross-entropy of the batch's labels, backpropagated (the model in train mode: batch norm
    normalises with the batch's statistics, as the proxies' papers run it)."""
    model.train()
    model.zero_grad()
    loss = nn.functional.cross_entropy(model(batch.images), batch.labels)
    loss.backward()
    return loss
