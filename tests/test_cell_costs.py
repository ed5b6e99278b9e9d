"""NAS-Bench-201 costs summed per edge equal fvcore's count of the whole network."""

from __future__ import annotations

import pytest

from nasbench.costs.nb201_cells import CIFAR, CIFAR_ADDED, CIFAR_BASE, _costs, cell_costs, edge_costs
from nasbench.search_spaces.nb201 import NB201Space

CELLS = [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
    "|avg_pool_3x3~0|+|none~0|skip_connect~1|+|nor_conv_1x1~0|none~1|avg_pool_3x3~2|",
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
]


def test_edge_sums_match_fvcore_on_whole_networks():
    space = NB201Space()
    table = cell_costs(CELLS)
    for cell, row in zip(CELLS, table.itertuples()):
        assert (row.params, row.macs) == _costs(space, tuple(space.decode(cell).ops), CIFAR)


@pytest.mark.slow
def test_the_stored_edge_costs_are_fvcores():
    base, added = edge_costs(NB201Space(), CIFAR)
    assert base == CIFAR_BASE
    assert added == {(e, op): cost for e in range(6) for op, cost in CIFAR_ADDED.items()}


def test_other_data_is_measured():
    space = NB201Space(filters=4, cells=1)
    small = cell_costs(CELLS[:1], data=CIFAR, space=space).iloc[0]
    assert (small.params, small.macs) == _costs(space, tuple(space.decode(CELLS[0]).ops), CIFAR)
