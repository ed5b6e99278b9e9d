"""Published NASNet cells and networks as data, and the paper's "N @ F" naming.

A NASNet network is named "N @ F" (Zoph et al. 2018): N normal cells per stage and F filters in
the penultimate layer, i.e. the channels of the last cell's output. With 2 reductions F is
(states the normal cell concatenates) x filters x 4, so NASNet-A's "6 @ 768" on CIFAR-10 has
32 filters in its first stage (6 x 32 x 4 = 768).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nasbench.errors import InvalidArchitecture, InvalidOption
from nasbench.search_spaces.nasnet.genotype import NUM_INPUTS, Block, NASNetGenotype


def _cell(inputs: list[int], ops: list[str]) -> tuple[Block, ...]:
    """TF-slim's encoding: ``hiddenstate_indices`` and ``operations``, two per block, all combined by add."""
    return tuple((inputs[i], ops[i], inputs[i + 1], ops[i + 1], "add") for i in range(0, len(ops), 2))


#: NASNet-A (TF-slim ``NasNetANormalCell`` / ``NasNetAReductionCell``); the concatenated states
#: are the complement of its ``used_hiddenstates`` ([1,0,0,0,0,0,0] and [1,1,1,0,0,0,0])
NASNET_A = NASNetGenotype(
    normal=_cell(
        [0, 1, 1, 1, 0, 1, 1, 1, 0, 0],
        ["sep5x5", "sep3x3", "sep5x5", "sep3x3", "avg3x3", "id", "avg3x3", "avg3x3", "sep3x3", "id"],
    ),
    reduce=_cell(
        [0, 1, 0, 1, 0, 1, 3, 2, 2, 0],
        ["sep5x5", "sep7x7", "max3x3", "sep7x7", "avg3x3", "sep5x5", "id", "avg3x3", "sep3x3", "max3x3"],
    ),
    normal_concat=(1, 2, 3, 4, 5, 6),
    reduce_concat=(3, 4, 5, 6),
)

CELLS = {"nasnet-a": NASNET_A}


def cell_preset(name: str) -> NASNetGenotype:
    if name not in CELLS:
        raise InvalidArchitecture(f"unknown NASNet cell preset '{name}'; choose from: {', '.join(CELLS)}")
    return CELLS[name]


def output_multiplier(blocks: tuple[Block, ...], concat: tuple[int, ...]) -> int:
    """A cell's output channels in units of its filter count (a concat-combined block counts twice)."""
    return sum(1 if s < NUM_INPUTS or blocks[s - NUM_INPUTS][4] == "add" else 2 for s in concat)


def penultimate_filters(arch: NASNetGenotype, filters: int, reductions: int = 2) -> int:
    """F of "N @ F": channels of the last normal cell's output."""
    return output_multiplier(arch.normal, arch.normal_concat) * filters * 2**reductions


def paper_name(arch: NASNetGenotype, cells: int, filters: int, reductions: int = 2) -> str:
    """The paper's name of a network, e.g. ``"6 @ 768"``."""
    return f"{cells} @ {penultimate_filters(arch, filters, reductions)}"


def parse_paper_name(text: str, arch: NASNetGenotype = NASNET_A, reductions: int = 2) -> tuple[int, int]:
    """``"6 @ 768"`` -> (cells per stage, first-stage filters) for the cells of ``arch``."""
    match = re.fullmatch(r"\s*(\d+)\s*@\s*(\d+)\s*", text)
    if match is None:
        raise InvalidOption(f"a NASNet size reads 'N @ F', e.g. '6 @ 768'; got {text!r}")
    cells, penultimate = int(match.group(1)), int(match.group(2))
    unit = output_multiplier(arch.normal, arch.normal_concat) * 2**reductions
    if cells < 1 or penultimate % unit:
        raise InvalidOption(f"'{text}' does not fit these cells: F must be a multiple of {unit} and N at least 1")
    return cells, penultimate // unit


@dataclass(frozen=True)
class NetworkPreset:
    """The macro network of a published NASNet-A model (TF-slim's hyperparameters)."""

    size: str  # "N @ F" for the NASNet-A cells
    stem: str  # "cifar" (3x3 conv) or "imagenet" (stride-2 conv and two reduction cells)
    stem_multiplier: float
    drop_path: float  # 1 - TF-slim's drop_path_keep_prob
    dropout: float  # 1 - TF-slim's dense_dropout_keep_prob
    skip_reduction_input: bool
    image_size: int  # the resolution the model was trained at
    num_classes: int

    def macro(self) -> dict:
        """Space options of this network (cells and filters from its "N @ F")."""
        cells, filters = parse_paper_name(self.size)
        return {
            "cells": cells,
            "filters": filters,
            "reductions": 2,
            "stem": self.stem,
            "stem_multiplier": self.stem_multiplier,
            "drop_path": self.drop_path,
            "dropout": self.dropout,
            "skip_reduction_input": self.skip_reduction_input,
        }


NETWORKS = {
    "cifar": NetworkPreset("6 @ 768", "cifar", 3.0, 0.4, 0.0, False, 32, 10),
    "mobile": NetworkPreset("4 @ 1056", "imagenet", 1.0, 0.0, 0.5, False, 224, 1000),
    "large": NetworkPreset("6 @ 4032", "imagenet", 3.0, 0.3, 0.5, True, 331, 1000),
}


def network_preset(name: str) -> NetworkPreset:
    if name not in NETWORKS:
        raise InvalidOption(f"unknown NASNet network preset '{name}'; choose from: {', '.join(NETWORKS)}")
    return NETWORKS[name]
