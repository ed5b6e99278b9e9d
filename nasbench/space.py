"""The search-space protocol and the optional capabilities a strategy can ask for."""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import networkx as nx
import numpy as np

from nasbench.arch import Arch


@dataclass(frozen=True)
class DataSpec:
    """What a built network must accept and produce."""

    channels: int
    height: int
    width: int
    num_classes: int

    def __post_init__(self) -> None:
        from nasbench.errors import InvalidOption

        for name in ("channels", "height", "width", "num_classes"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise InvalidOption(
                    f"the input's {name.replace('_', ' ')} must be a positive whole number, got {value!r}"
                )


@dataclass(frozen=True)
class NetworkSpec:
    """How to construct one network from plain data; building and exporting both go through it.

    ``module`` holds torch-only code (it imports nothing from nasbench), so an exported model can
    carry that file verbatim and call ``name(**kwargs)`` exactly as the toolkit does.
    """

    module: str  # dotted module path, e.g. "nasbench.search_spaces.nb201.modules"
    name: str  # the network class in that module
    kwargs: dict[str, Any] = field(default_factory=dict)  # tuples, strings and numbers only

    def instantiate(self) -> Any:
        return getattr(importlib.import_module(self.module), self.name)(**self.kwargs)


C = TypeVar("C", bound="Capability")


class SearchSpace(ABC):
    """A set of architectures with the operations a search needs.

    Constructor keywords are macro-architecture options (cells, filters, ...); ``options()``
    returns them so a run can record and rebuild the space. A space whose architectures are
    PyTorch networks also inherits ``Buildable``; one without it is searched by look-up only.
    """

    name: ClassVar[str]

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> Arch:
        """A random architecture, drawn only from ``rng``."""

    @abstractmethod
    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        """A neighbour of ``arch`` that differs from it."""

    @abstractmethod
    def decode(self, text: str) -> Arch:
        """Parse a canonical string; raises ``InvalidArchitecture`` saying what is wrong."""

    def encode(self, arch: Arch) -> str:
        return arch.to_string()

    def to_graph(self, arch: Arch) -> nx.DiGraph:
        return arch.to_graph()

    def options(self) -> dict[str, Any]:
        """The constructor keywords that recreate this space, read off the constructor: keep each option
        as an attribute of the same name (``nasbench.options.constructor_options``), or override this."""
        from nasbench.options import constructor_options

        return constructor_options(self)

    def capability(self, kind: type[C]) -> C | None:
        """What offers capability ``kind`` for this space: the space itself when it inherits ``kind``, else ``None``."""
        return self if isinstance(self, kind) else None

    def explain_violation(self, arch: Arch) -> str | None:
        """Why ``arch`` breaks a bound of the space (a cost constraint, say), or ``None``: no-op by default."""
        return None

    def starting_points(self) -> tuple[Arch, ...]:
        """Architectures a population-based search evaluates before its random ones, because the space
        knows them to be strong (a supernet's largest child, trained at every step). None by default."""
        return ()


class Capability:
    """An optional ability of a space, declared by inheriting it (``class MySpace(SearchSpace, DecisionSequence)``).

    Code that needs one asks ``space.capability(Kind)``: a wrapper answers for what it wraps, so a
    capability is found by declaration, never by probing attributes.
    """


class Buildable(Capability):
    """Capability: every architecture is a ``torch.nn.Module`` the toolkit can build.

    Training, cost constraints, cost objectives and export need it; a space without it (its
    networks are only looked up in a table) is refused by them with a clear message.
    """

    @abstractmethod
    def network_spec(self, arch: Arch, data: DataSpec) -> NetworkSpec:
        """The network class and plain-data arguments that build ``arch`` for ``data``."""

    def build(self, arch: Arch, data: DataSpec) -> Any:
        """A ``torch.nn.Module`` for ``arch`` that maps a batch shaped like ``data`` to logits."""
        return self.network_spec(arch, data).instantiate()

    def default_data(self) -> DataSpec:
        """The input and classes the space's networks are usually built for (CIFAR-10 here)."""
        return DataSpec(3, 32, 32, 10)


class DecisionSequence(Capability):
    """Capability: an architecture is a fixed-length sequence of categorical decisions.

    Reinforcement-learning controllers and Optuna's samplers work through it.
    """

    @abstractmethod
    def decision_sizes(self) -> Sequence[int]:
        """Number of choices of each decision, in order."""

    @abstractmethod
    def to_decisions(self, arch: Arch) -> list[int]:
        """The decisions that make ``arch``."""

    @abstractmethod
    def from_decisions(self, decisions: Sequence[int]) -> Arch:
        """The architecture these decisions make; raises ``InvalidArchitecture`` for a vector that is none."""

    def decision_kinds(self) -> Sequence[str]:
        """What each decision chooses (``"kernel"``, ``"channels"``, ...), in order: schedules that let one
        kind of choice in after another (once-for-all's progressive shrinking) read it. No-op default:
        every decision of one kind, ``"decision"``."""
        return ("decision",) * len(self.decision_sizes())


@dataclass(frozen=True)
class Unit:
    """A piece of a network timed on its own, whose latencies add up to the network's (a block, a cell's
    operation, a stem or a head).

    ``kind`` and ``key`` (plain values) say what it is, ``shape`` the input it gets (without the batch):
    together they name it in a latency model. ``work`` is its multiply-adds per example, what a model falls
    back on for a unit it never measured; ``build`` makes its module, to measure it.
    """

    kind: str
    key: tuple
    shape: tuple[int, ...]
    work: float
    build: Callable[[], Any] = field(compare=False, hash=False, repr=False)

    @property
    def name(self) -> str:
        return f"{self.kind}{self.key}@{'x'.join(map(str, self.shape))}"


class LatencyUnits(Capability):
    """Capability: a network is a list of units run one after another (``nasbench.costs.latency_model``
    times each once and predicts a network from them, without building it)."""

    @abstractmethod
    def latency_units(self, arch: Arch, data: DataSpec) -> list[Unit]:
        """The units of ``arch``'s network for ``data``, in the order they run; fast (no module is built)."""


def require_capability(space: SearchSpace, capability: type[C], who: str) -> C:
    """What offers ``capability`` for the space; fails with a clear message when ``who`` needs it and the
    space lacks it."""
    from nasbench.errors import InvalidOption

    found = space.capability(capability)
    if found is None:
        name = capability.__name__
        raise InvalidOption(
            f"{who} needs a space with the {name} capability; '{space.name}' does not have it (a space class "
            f"declares it by inheriting it, e.g. class {type(space).__name__}(SearchSpace, {name}); "
            "having its methods is not enough)"
        )
    return found
