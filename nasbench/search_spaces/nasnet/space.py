"""The NASNet search space (Zoph et al., CVPR 2018): a normal and a reduction cell of 5 blocks each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from nasbench.errors import InvalidArchitecture, InvalidOption
from nasbench.search_spaces.nasnet.genotype import (
    COMBINERS,
    NUM_BLOCKS,
    NUM_INPUTS,
    OPS,
    Block,
    NASNetGenotype,
    unused_states,
)
from nasbench.search_spaces.nasnet.presets import cell_preset, network_preset, paper_name
from nasbench.space import Buildable, DataSpec, DecisionSequence, LatencyUnits, NetworkSpec, SearchSpace, Unit

#: the macro network searched when neither a preset nor an option says otherwise: small enough
#: that a dozen candidates train in minutes on two CPU cores (8x8 digits)
SEARCH_DEFAULTS = {
    "cells": 1,
    "filters": 8,
    "reductions": 2,
    "stem": "cifar",
    "stem_multiplier": 2.0,
    "drop_path": 0.0,
    "dropout": 0.0,
    "skip_reduction_input": False,
}
STEMS = ("cifar", "imagenet")


def _decisions_per_block(k: int) -> list[int]:
    return [NUM_INPUTS + k, len(OPS), NUM_INPUTS + k, len(OPS), len(COMBINERS)]


class NASNetSpace(SearchSpace, Buildable, DecisionSequence, LatencyUnits):
    """NASNet cells (13 operations, add or concat) in the paper's macro network, "N @ F".

    ``cells`` (N) normal cells per stage, ``filters`` in the first stage, doubled at each of the
    ``reductions`` reduction cells. ``preset`` ("cifar", "mobile", "large") takes the macro network
    of a published NASNet-A model; options given explicitly override it. ``decode`` accepts a cell
    preset name ("nasnet-a") as well as a canonical string.
    """

    name: ClassVar[str] = "nasnet"

    def __init__(
        self,
        cells: int | None = None,
        filters: int | None = None,
        reductions: int | None = None,
        stem: str | None = None,
        stem_multiplier: float | None = None,
        drop_path: float | None = None,
        dropout: float | None = None,
        skip_reduction_input: bool | None = None,
        auxiliary: bool = False,
        preset: str | None = None,
    ) -> None:
        given = {
            "cells": cells,
            "filters": filters,
            "reductions": reductions,
            "stem": stem,
            "stem_multiplier": stem_multiplier,
            "drop_path": drop_path,
            "dropout": dropout,
            "skip_reduction_input": skip_reduction_input,
        }
        base = network_preset(preset).macro() if preset is not None else SEARCH_DEFAULTS
        macro = {k: base[k] if v is None else v for k, v in given.items()}
        self.cells = int(macro["cells"])
        self.filters = int(macro["filters"])
        self.reductions = int(macro["reductions"])
        self.stem = str(macro["stem"])
        self.stem_multiplier = float(macro["stem_multiplier"])
        self.drop_path = float(macro["drop_path"])
        self.dropout = float(macro["dropout"])
        self.skip_reduction_input = bool(macro["skip_reduction_input"])
        self.auxiliary = bool(auxiliary)
        self.preset = preset
        self._check()
        if preset is not None:  # what the published model was trained on
            chosen = network_preset(preset)
            self._usual_data = DataSpec(3, chosen.image_size, chosen.image_size, chosen.num_classes)
        else:
            self._usual_data = DataSpec(3, 224, 224, 1000) if self.stem == "imagenet" else DataSpec(3, 32, 32, 10)

    def default_data(self) -> DataSpec:
        """ImageNet for the ImageNet stem (at a preset's own resolution), CIFAR-10 otherwise."""
        return self._usual_data

    def _check(self) -> None:
        if self.cells < 1 or self.reductions < 0:
            raise InvalidOption(
                f"nasnet needs cells >= 1 and reductions >= 0, got cells={self.cells}, reductions={self.reductions}"
            )
        smallest = 4 if self.stem == "imagenet" else 1  # the ImageNet stem's first cell has filters // 4
        if self.filters < smallest:
            raise InvalidOption(f"nasnet with the {self.stem} stem needs filters >= {smallest}, got {self.filters}")
        if self.stem not in STEMS:
            raise InvalidOption(f"unknown nasnet stem '{self.stem}'; choose from: {', '.join(STEMS)}")
        if self.stem_multiplier <= 0 or int(self.filters * self.stem_multiplier) < 1:
            raise InvalidOption(
                f"nasnet stem_multiplier must give the stem at least one filter, got {self.stem_multiplier}"
            )
        for key in ("drop_path", "dropout"):
            if not 0.0 <= getattr(self, key) < 1.0:
                raise InvalidOption(f"nasnet {key} is a probability in [0, 1), got {getattr(self, key)}")
        if self.auxiliary and self.reductions < 1:
            raise InvalidOption(
                "the nasnet auxiliary head sits before the last reduction cell; it needs reductions >= 1"
            )

    def paper_name(self, arch: NASNetGenotype) -> str:
        """The network ``build`` makes of ``arch``, named as in the paper ("N @ F")."""
        return paper_name(arch, self.cells, self.filters, self.reductions)

    # ------------------------------------------------------------ sampling
    def _sample_cell(self, rng: np.random.Generator) -> tuple[Block, ...]:
        blocks = []
        for k in range(NUM_BLOCKS):
            a, b = (int(i) for i in rng.integers(NUM_INPUTS + k, size=2))
            op_a, op_b = (OPS[int(i)] for i in rng.integers(len(OPS), size=2))
            blocks.append((a, op_a, b, op_b, COMBINERS[int(rng.integers(len(COMBINERS)))]))
        return tuple(blocks)

    def sample(self, rng: np.random.Generator) -> NASNetGenotype:
        """Uniform choices for every input, operation and combiner; the unused states form the output."""
        return NASNetGenotype(normal=self._sample_cell(rng), reduce=self._sample_cell(rng))

    def mutate(self, arch: NASNetGenotype, rng: np.random.Generator) -> NASNetGenotype:
        """Change one input, one operation or one combiner of one block (Real et al., AAAI 2019).

        The cell, the block and the kind of change are drawn uniformly; the new value always
        differs from the old. The cell output follows the rule (unused states) plus any states a
        published cell concatenates beyond it (NASNet-A's h_{i-1}).
        """
        cell = int(rng.integers(2))
        blocks, concat = arch.cell_specs()[cell]
        k = int(rng.integers(NUM_BLOCKS))
        block = list(blocks[k])
        kind = int(rng.integers(3))
        if kind == 0:  # hidden-state mutation
            side = 2 * int(rng.integers(2))
            choices = [s for s in range(NUM_INPUTS + k) if s != block[side]]
            block[side] = choices[int(rng.integers(len(choices)))]
        elif kind == 1:  # operation mutation
            side = 1 + 2 * int(rng.integers(2))
            choices = [op for op in OPS if op != block[side]]
            block[side] = choices[int(rng.integers(len(choices)))]
        else:
            block[4] = COMBINERS[1 - COMBINERS.index(block[4])]
        new_blocks = blocks[:k] + (tuple(block),) + blocks[k + 1 :]
        extra = set(concat) - set(unused_states(blocks))
        new_concat = tuple(sorted(set(unused_states(new_blocks)) | extra))
        if cell == 0:
            return NASNetGenotype(new_blocks, arch.reduce, new_concat, arch.reduce_concat)
        return NASNetGenotype(arch.normal, new_blocks, arch.normal_concat, new_concat)

    def decode(self, text: str) -> NASNetGenotype:
        """A canonical string, or the name of a published cell pair ("nasnet-a")."""
        text = text.strip()
        if ":" not in text:
            return cell_preset(text)
        return NASNetGenotype.from_string(text)

    def network_spec(self, arch: NASNetGenotype, data: DataSpec) -> NetworkSpec:
        if not isinstance(arch, NASNetGenotype):
            raise InvalidArchitecture(f"the nasnet space builds NASNet genotypes, got {type(arch).__name__}")
        kwargs = {
            "normal": arch.normal,
            "normal_concat": arch.normal_concat,
            "reduce": arch.reduce,
            "reduce_concat": arch.reduce_concat,
            "in_channels": data.channels,
            "num_classes": data.num_classes,
            "filters": self.filters,
            "cells": self.cells,
            "reductions": self.reductions,
            "stem": self.stem,
            "stem_multiplier": self.stem_multiplier,
            "skip_reduction_input": self.skip_reduction_input,
            "drop_path": self.drop_path,
            "auxiliary": self.auxiliary,
            "dropout": self.dropout,
            "image_size": (data.height, data.width),
        }
        return NetworkSpec("nasbench.search_spaces.nasnet.modules", "NASNetNetwork", kwargs)

    # DecisionSequence capability: per cell, per block (input_a, op_a, input_b, op_b, combiner).
    def decision_sizes(self) -> Sequence[int]:
        return [n for _ in range(2) for k in range(NUM_BLOCKS) for n in _decisions_per_block(k)]

    def to_decisions(self, arch: NASNetGenotype) -> list[int]:
        """The cells' choices; a published cell's extra output states are not among them."""
        return [
            d
            for blocks in (arch.normal, arch.reduce)
            for a, op_a, b, op_b, combiner in blocks
            for d in (a, OPS.index(op_a), b, OPS.index(op_b), COMBINERS.index(combiner))
        ]

    def from_decisions(self, decisions: Sequence[int]) -> NASNetGenotype:
        sizes = self.decision_sizes()
        if len(decisions) != len(sizes) or any(not 0 <= int(d) < n for d, n in zip(decisions, sizes)):
            raise InvalidArchitecture(
                f"nasnet decisions must be {len(sizes)} integers below {list(sizes)}, got {list(decisions)}"
            )
        d = [int(x) for x in decisions]
        cells = []
        for start in (0, len(sizes) // 2):
            blocks = []
            for k in range(NUM_BLOCKS):
                a, op_a, b, op_b, combiner = d[start + 5 * k : start + 5 * k + 5]
                blocks.append((a, OPS[op_a], b, OPS[op_b], COMBINERS[combiner]))
            cells.append(tuple(blocks))
        return NASNetGenotype(normal=cells[0], reduce=cells[1])

    # ---------------------------------------------------- LatencyUnits
    def latency_units(self, arch, data: DataSpec) -> list[Unit]:
        """The units a latency model times (imported here: a table look-up search never imports torch)."""
        from nasbench.search_spaces.nasnet.latency_units import nasnet_units

        return nasnet_units(arch, data, self.network_spec(arch, data).kwargs)
