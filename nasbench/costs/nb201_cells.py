"""Parameters and multiply-adds of every NAS-Bench-201 cell from a handful of built networks.

In the NAS-Bench-201 network every cell is the same, and each of its 6 edges is an independent
module whose cost does not depend on the other edges' operations. A network's cost is therefore
the cost with every edge ``none`` plus, per edge, what its operation adds: 1 + 6 x 4 = 25 fvcore
counts give all 15,625 cells (``tests/test_cell_costs.py`` checks the sums against fvcore's count
of whole networks).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from nasbench.costs.counting import count_macs, count_params
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.space import DataSpec

CIFAR = DataSpec(3, 32, 32, 10)


def _costs(space: NB201Space, ops: tuple[str, ...], data: DataSpec) -> tuple[int, int]:
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = space.build(space.decode(_string(ops)), data)
    return count_params(model), count_macs(model, (data.channels, data.height, data.width))


def _string(ops: tuple[str, ...]) -> str:
    """The benchmark's string of six edge operations (edges 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2)."""
    a, b, c, d, e, f = ops
    return f"|{a}~0|+|{b}~0|{c}~1|+|{d}~0|{e}~1|{f}~2|"


#: fvcore's counts (parameters, multiply-adds) for ``NB201Space()`` on CIFAR-10 inputs, as
#: ``edge_costs`` measures them (``tests/test_cell_costs.py`` measures them again): the network with
#: every edge ``none``, and what each operation adds on any of the six edges (the same on each)
CIFAR_BASE = (73306, 7877248)
CIFAR_ADDED = {
    "skip_connect": (0, 0),
    "nor_conv_1x1": (28000, 4218880),
    "nor_conv_3x3": (243040, 35676160),
    "avg_pool_3x3": (0, 0),  # fvcore counts no multiply-adds for average pooling
}


def edge_costs(space: NB201Space, data: DataSpec) -> tuple[tuple[int, int], dict[tuple[int, str], tuple[int, int]]]:
    """The all-``none`` network's costs, and what each (edge, operation) adds to them: 25 fvcore counts."""
    base = _costs(space, ("none",) * 6, data)
    added = {}
    for edge in range(6):
        for op in CIFAR_ADDED:
            single = ["none"] * 6
            single[edge] = op
            params, macs = _costs(space, tuple(single), data)
            added[edge, op] = (params - base[0], macs - base[1])
    return base, added


def cell_costs(archs: Iterable[str], data: DataSpec = CIFAR, space: NB201Space | None = None) -> pd.DataFrame:
    """``params`` and ``macs`` (fvcore's count, one image) of each NAS-Bench-201 string, in order.

    The benchmark's own network on CIFAR-10 uses the stored per-edge costs; any other network or
    data is measured first (25 fvcore counts).
    """
    cells = [(space or NB201Space()).decode(a) for a in archs]
    if space is None and data == CIFAR:
        base, added = CIFAR_BASE, {(e, op): cost for e in range(6) for op, cost in CIFAR_ADDED.items()}
    else:
        base, added = edge_costs(space or NB201Space(), data)
    rows = []
    for cell in cells:
        extra = [added[i, op] for i, op in enumerate(cell.ops) if op != "none"]
        rows.append((base[0] + sum(p for p, _ in extra), base[1] + sum(m for _, m in extra)))
    return pd.DataFrame(rows, columns=["params", "macs"])
