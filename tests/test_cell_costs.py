"""NAS-Bench-201 costs summed per edge equal fvcore's count of the whole network."""

from __future__ import annotations

from nasbench.analysis.cell_costs import CIFAR, _costs, cell_costs
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
