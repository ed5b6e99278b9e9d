"""The NAS-Bench-201 search space: 5^6 = 15,625 cells."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from nasbench.errors import InvalidArchitecture, InvalidOption
from nasbench.search_spaces.nb201.genotype import EDGES, OPS, NB201Cell
from nasbench.space import Buildable, DataSpec, DecisionSequence, LatencyUnits, NetworkSpec, SearchSpace, Unit


class NB201Space(SearchSpace, Buildable, DecisionSequence, LatencyUnits):
    """Cells of NAS-Bench-201; the macro network is the benchmark's (C = filters = 16, N = cells = 5 by default)."""

    name: ClassVar[str] = "nb201"

    def __init__(self, filters: int = 16, cells: int = 5) -> None:
        if filters < 1 or cells < 1:
            raise InvalidOption(f"nb201 needs filters >= 1 and cells >= 1, got filters={filters}, cells={cells}")
        self.filters = filters
        self.cells = cells

    def sample(self, rng: np.random.Generator) -> NB201Cell:
        return NB201Cell(tuple(OPS[i] for i in rng.integers(len(OPS), size=len(EDGES))))

    def mutate(self, arch: NB201Cell, rng: np.random.Generator) -> NB201Cell:
        """Replace the operation of one uniformly chosen edge by a different one."""
        edge = int(rng.integers(len(EDGES)))
        others = [op for op in OPS if op != arch.ops[edge]]
        ops = list(arch.ops)
        ops[edge] = others[int(rng.integers(len(others)))]
        return NB201Cell(tuple(ops))

    def decode(self, text: str) -> NB201Cell:
        return NB201Cell.from_string(text)

    def network_spec(self, arch: NB201Cell, data: DataSpec) -> NetworkSpec:
        return NetworkSpec(
            "nasbench.search_spaces.nb201.modules",
            "NB201Network",
            {
                "ops": arch.ops,
                "in_channels": data.channels,
                "num_classes": data.num_classes,
                "channels": self.filters,
                "cells_per_stage": self.cells,
            },
        )

    # DecisionSequence capability: one categorical decision per edge.
    def decision_sizes(self) -> Sequence[int]:
        return [len(OPS)] * len(EDGES)

    def to_decisions(self, arch: NB201Cell) -> list[int]:
        return [OPS.index(op) for op in arch.ops]

    def from_decisions(self, decisions: Sequence[int]) -> NB201Cell:
        if len(decisions) != len(EDGES) or any(not 0 <= int(d) < len(OPS) for d in decisions):
            raise InvalidArchitecture(
                f"NB201 decisions must be {len(EDGES)} integers in [0, {len(OPS)}), got {list(decisions)}"
            )
        return NB201Cell(tuple(OPS[int(d)] for d in decisions))

    # ---------------------------------------------------- LatencyUnits
    def latency_units(self, arch, data: DataSpec) -> list[Unit]:
        """The units a latency model times (imported here: a table look-up search never imports torch)."""
        from nasbench.search_spaces.nb201.latency_units import nb201_units

        return nb201_units(arch, data, self.filters, self.cells)
