"""A sweep: a fixed list of (network, training budget) points, trained as the trials of one run.

Not a search: it proposes its points in order and learns nothing from their outcomes. Being a
strategy, a sweep runs through the same session and backends as a search, and so has the same
run folder, trial table, progress bar, cache (a repeated point is not trained twice) and exact
resume (replaying the table re-proposes the same points). ``nasbench.scaling.sweep`` builds the
points (a compound-scaled family, architecture strings, a run's Pareto front) across training-set
sizes, epochs and seeds.
"""

from __future__ import annotations

from nasbench.arch import Arch
from nasbench.errors import InvalidOption
from nasbench.space import SearchSpace
from nasbench.strategy import Strategy
from nasbench.trial import Budget, Outcome, Trial

#: the keys of a point; only ``arch`` is required
POINT_KEYS = ("arch", "network", "family", "train_size", "epochs", "replicate")


class Sweep(Strategy):
    """Trains a fixed grid of networks x training-set sizes x epochs x seeds (no search).

    ``points``: dicts with ``arch`` (the space's string), and optionally ``network`` (a label such
    as ``phi=1``), ``train_size``, ``epochs`` and ``replicate`` (see ``nasbench.evaluator.Budget``).
    """

    name = "sweep"

    def __init__(self, space: SearchSpace, *, seed: int = 0, points: list[dict] | None = None) -> None:
        super().__init__(space, seed=seed)
        if not points:
            raise InvalidOption("strategy 'sweep' needs its points: build a sweep with 'nasbench sweep'")
        self.points = [_checked(i, p) for i, p in enumerate(points)]
        self._archs = [space.decode(p["arch"]) for p in self.points]
        self._budgets = [
            Budget(epochs=p.get("epochs"), train_size=p.get("train_size"), replicate=p.get("replicate", 0))
            for p in self.points
        ]

    def _propose(self, number: int) -> Arch | None:
        return self._archs[number] if number < len(self._archs) else None

    def budget(self, number: int) -> Budget:
        return self._budgets[number] if number < len(self._budgets) else Budget()

    def tell(self, trial: Trial, outcome: Outcome) -> None:
        pass


def _checked(index: int, point) -> dict:
    if not isinstance(point, dict) or not isinstance(point.get("arch"), str):
        raise InvalidOption(f"sweep point {index} should be an object with an 'arch' string, got {point!r}")
    unknown = sorted(set(point) - set(POINT_KEYS))
    if unknown:
        raise InvalidOption(
            f"sweep point {index} has unknown keys {', '.join(unknown)}; known: {', '.join(POINT_KEYS)}"
        )
    return {k: point[k] for k in POINT_KEYS if point.get(k) is not None}
