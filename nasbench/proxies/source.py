"""Proxy values for a strategy that ranks candidates before evaluating them (``bo`` with ``proxies=...``).

For NAS-Bench-201's own network the values come from the table shipped with the package (no network
is built); for any other space that builds networks, the data-free proxies are computed on its default
input (a strategy has no data at hand), once per network. Either way the seconds they cost are counted
(``spent``), for searches budgeted in seconds.
"""

from __future__ import annotations

import numpy as np
import torch

from nasbench.arch import Arch
from nasbench.errors import InvalidOption
from nasbench.proxies.base import Batch
from nasbench.proxies.nb201 import SECONDS_PER_CELL, nb201_table
from nasbench.proxies.scoring import score_network
from nasbench.space import Buildable, SearchSpace, require_capability
from nasbench.trial import derive_seed


class ProxySource:
    """The values of data-free proxies ``names`` for architectures of ``space`` (``None``: undefined)."""

    def __init__(self, space: SearchSpace, names: tuple[str, ...], dataset: str = "cifar10") -> None:
        from nasbench.proxies import DATA_FREE
        from nasbench.search_spaces.nb201 import NB201Space

        needing_data = [n for n in names if n not in DATA_FREE]
        if needing_data:
            raise InvalidOption(
                f"a strategy ranks candidates by data-free proxies only ({', '.join(DATA_FREE)}), "
                f"not {', '.join(needing_data)}"
            )
        self.names = names
        self.builder = require_capability(space, Buildable, "ranking candidates by proxies")
        self.spent = 0.0  # seconds the values cost
        self._cache: dict[str, np.ndarray | None] = {}
        self._table: dict[str, np.ndarray] | None = None
        self._table_seconds = 0.0
        nb201 = isinstance(self.builder, NB201Space) and self.builder.options() == NB201Space().options()
        if nb201:
            table = nb201_table(dataset)  # refuses a dataset it has no column for
            values = table[list(names)].to_numpy(float)
            self._table = dict(zip(table["arch"], values))
            self._table_seconds = sum(SECONDS_PER_CELL[dataset][n] for n in names)

    def __call__(self, arch: Arch) -> np.ndarray | None:
        key = arch.to_string()
        if key not in self._cache:
            self._cache[key] = self._table_values(key) if self._table is not None else self._computed(arch)
        return self._cache[key]

    def _table_values(self, key: str) -> np.ndarray | None:
        self.spent += self._table_seconds  # what computing them cost when the table was made
        values = self._table[key]
        return None if np.isnan(values).any() else values

    def _computed(self, arch: Arch) -> np.ndarray | None:
        data = self.builder.default_data()
        shape_only = Batch(torch.zeros(64, data.channels, data.height, data.width), torch.zeros(64).long(), 1)
        seed = derive_seed(0, arch.to_string())
        scores = score_network(lambda: self.builder.build(arch, data), self.names, shape_only, seed)
        self.spent += sum(scores.seconds.values())
        return None if scores.undefined else np.array([scores.values[n] for n in self.names])


def combined_rank(values: list[np.ndarray | None]) -> np.ndarray:
    """One score per candidate: the sum over proxies of its rank among the candidates (undefined: last)."""
    defined = [v for v in values if v is not None]
    if not defined:
        return np.zeros(len(values))
    columns = len(defined[0])
    table = np.array([v if v is not None else np.full(columns, -np.inf) for v in values])
    ranks = table.argsort(axis=0, kind="stable").argsort(axis=0, kind="stable")
    return ranks.sum(axis=1).astype(float)
