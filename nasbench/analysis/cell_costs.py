"""Parameters and multiply-adds of every NAS-Bench-201 cell from a handful of built networks.

In the NAS-Bench-201 network every cell is the same, and each of its 6 edges is an independent
module whose cost does not depend on the other edges' operations. A network's cost is therefore
the cost with every edge ``none`` plus, per edge, what its operation adds: 1 + 6 x 4 = 25 fvcore
counts give all 15,625 cells (``tests/test_cell_costs.py`` checks the sum against fvcore).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from nasbench.costs import count_macs, count_params
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


def cell_costs(archs: Iterable[str], data: DataSpec = CIFAR, space: NB201Space | None = None) -> pd.DataFrame:
    """``params`` and ``macs`` (fvcore's count, one image) of each NAS-Bench-201 string, in order."""
    space = space or NB201Space()
    cells = [space.decode(a) for a in archs]
    ops = sorted({op for cell in cells for op in cell.ops} - {"none"})
    base = _costs(space, ("none",) * 6, data)
    added = {}
    for edge in range(6):
        for op in ops:
            single = ["none"] * 6
            single[edge] = op
            params, macs = _costs(space, tuple(single), data)
            added[edge, op] = (params - base[0], macs - base[1])
    rows = []
    for cell in cells:
        extra = [added[i, op] for i, op in enumerate(cell.ops) if op != "none"]
        rows.append((base[0] + sum(p for p, _ in extra), base[1] + sum(m for _, m in extra)))
    return pd.DataFrame(rows, columns=["params", "macs"])
