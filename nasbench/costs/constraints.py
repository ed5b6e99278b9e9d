"""Hard resource constraints, enforced while sampling and mutating.

``ConstrainedSpace`` wraps any search space: its ``sample`` and ``mutate`` draw until a candidate
fits every budget, so a strategy never proposes (and a search never spends an evaluation on) a
network that breaks one. A budget nothing in the space can meet is reported after a bounded number
of draws, with the smallest cost seen. Strategies that build architectures from decisions (RL,
Optuna) bypass ``sample``: the search session checks their proposals with ``explain_violation`` and
answers a violating one as failed, without spending an evaluation on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nasbench.arch import Arch
from nasbench.costs.cost_model import UNITS, CostModel
from nasbench.errors import InvalidOption, NasbenchError
from nasbench.options import check_positive
from nasbench.space import DataSpec, SearchSpace
from nasbench.training.devices import check_device_name


class ConstraintUnsatisfiable(NasbenchError):
    """No architecture of the space met the constraints within the allowed number of draws."""


@dataclass(frozen=True)
class Constraints:
    """Upper bounds on a network's cost; ``None`` means unbounded."""

    max_params: float | None = None
    max_macs: float | None = None  # multiply-adds, as fvcore counts them
    max_latency_ms: float | None = None  # measured on ``device``: machine-dependent
    device: str = "cpu"  # where latency is measured ("auto": the GPU when there is one)
    max_tries: int = 200  # draws before a constraint is declared impossible

    def __post_init__(self) -> None:
        check_device_name(self.device)
        for name, value in self.limits().items():
            check_positive(value, f"--{_flag(name)}")
        if self.max_tries < 1:
            raise InvalidOption(f"max_tries must be at least 1, got {self.max_tries}")

    def limits(self) -> dict[str, float]:
        """Active bounds by cost name (``params``, ``macs``, ``latency_ms``), cheapest to check first."""
        bounds = {"params": self.max_params, "macs": self.max_macs, "latency_ms": self.max_latency_ms}
        return {name: float(v) for name, v in bounds.items() if v is not None}

    def active(self) -> bool:
        return bool(self.limits())

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Constraints:
        return cls(**data)


def _flag(cost: str) -> str:
    return {"params": "max-params", "macs": "max-macs", "latency_ms": "max-latency-ms"}.get(cost, cost).replace(
        "_", "-"
    )


def _amount(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


class ConstrainedSpace(SearchSpace):
    """``space`` restricted to networks within ``constraints`` (costs from ``costs``).

    Everything but ``sample``, ``mutate`` and ``explain_violation`` is the wrapped space's, including
    its capabilities (forwarded by ``capability``).
    """

    def __init__(self, space: SearchSpace, constraints: Constraints, costs: CostModel) -> None:
        self.inner = space
        self.name = space.name
        self.constraints = constraints
        self.costs = costs

    def capability(self, kind):
        """The wrapped space's capabilities; those that build from decisions bypass the bounds, so the
        session refuses their proposals with ``explain_violation``."""
        return self.inner.capability(kind)

    def violation(self, arch: Arch) -> tuple[str, float] | None:
        """The first bound ``arch`` breaks, with its cost; ``None`` when it fits them all."""
        for cost, limit in self.constraints.limits().items():
            value = self.costs.cost(cost, arch)
            if value > limit:
                return cost, value
        return None

    def explain_violation(self, arch: Arch) -> str | None:
        """``"12,345 parameters > --max-params 10,000"`` when ``arch`` breaks a bound, else ``None``."""
        broken = self.violation(arch)
        if broken is None:
            return None
        cost, value = broken
        return f"{_amount(value)} {UNITS[cost]} > --{_flag(cost)} {_amount(self.constraints.limits()[cost])}"

    def feasible(self, arch: Arch) -> bool:
        return self.violation(arch) is None

    def _draw(self, propose: Callable[[], Arch], what: str) -> Arch:
        smallest: dict[str, float] = {}
        for _ in range(self.constraints.max_tries):
            arch = propose()
            broken = self.violation(arch)
            if broken is None:
                return arch
            cost, value = broken
            smallest[cost] = min(value, smallest.get(cost, value))
        limits = self.constraints.limits()
        seen = "; ".join(f"the smallest had {_amount(v)} {UNITS[cost]}" for cost, v in smallest.items())
        bounds = ", ".join(f"--{_flag(c)} {_amount(limits[c])}" for c in limits)
        raise ConstraintUnsatisfiable(
            f"no architecture within {bounds} found in {self.constraints.max_tries} {what}; {seen}"
        )

    def sample(self, rng: np.random.Generator) -> Arch:
        return self._draw(lambda: self.inner.sample(rng), "samples")

    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        """A mutation that fits; when ``max_tries`` mutations all break a bound, a fitting sample instead."""
        for _ in range(self.constraints.max_tries):
            child = self.inner.mutate(arch, rng)
            if self.feasible(child):
                return child
        return self.sample(rng)

    def starting_points(self) -> tuple[Arch, ...]:
        """The inner space's starting points that fit the bounds."""
        return tuple(arch for arch in self.inner.starting_points() if self.feasible(arch))

    def decode(self, text: str) -> Arch:
        return self.inner.decode(text)

    def encode(self, arch: Arch) -> str:
        return self.inner.encode(arch)

    def to_graph(self, arch: Arch):
        return self.inner.to_graph(arch)

    def options(self) -> dict[str, Any]:
        return self.inner.options()


def constrain(space: SearchSpace, constraints: Constraints, data: DataSpec | None) -> SearchSpace:
    """``space`` itself when nothing is bounded, else the constrained wrapper."""
    if not constraints.active():
        return space
    if data is None:
        raise InvalidOption("cost constraints need to know the input data; use the training evaluator (--dataset)")
    return ConstrainedSpace(space, constraints, CostModel(space, data, device=constraints.device))
