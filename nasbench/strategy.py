"""The ask/tell strategy protocol.

A strategy is a deterministic function of its seed and of the sequence of asks and tells it has
seen. That is what makes a run resumable: replaying the recorded events on a fresh strategy
restores its exact state (population, controller weights, random generator).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

import numpy as np

from nasbench.arch import Arch
from nasbench.errors import InvalidArchitecture, NasbenchError
from nasbench.options import constructor_options
from nasbench.space import SearchSpace, require_capability
from nasbench.trial import Budget, Outcome, Trial

#: proposals in a row the space may refuse (``InvalidArchitecture``) before the search gives up
MAX_REFUSED_IN_A_ROW = 1000


class Strategy(ABC):
    """Proposes architectures (``ask``) and learns from their outcomes (``tell``).

    Subclasses take their hyperparameters as explicit keywords and draw randomness only from
    ``self.rng``, seeded in the constructor.
    """

    name: ClassVar[str]
    #: capabilities (protocol classes) the space must have
    requires: ClassVar[tuple[type, ...]] = ()
    #: how many objective values the strategy can optimise at once; a strategy that allows more
    #: than one takes an ``objectives`` keyword, which the search fills with the objective's size
    max_objectives: ClassVar[int] = 1
    #: options added after runs were first recorded, with the value that replays a run recorded without
    #: them (resume fills them in: an older run goes on as it started)
    options_of_older_runs: ClassVar[dict] = {}
    #: a file the strategy keeps in the run folder (an Optuna study, say); the search passes its
    #: path as the ``storage`` keyword, and ``None`` (keep everything in memory) when there is no folder
    run_file: ClassVar[str | None] = None

    def __init__(self, space: SearchSpace, *, seed: int = 0) -> None:
        for capability in self.requires:
            require_capability(space, capability, f"strategy '{self.name}'")
        self.space = space
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self._asked = 0
        #: proposals the space refused, in this process (a decision vector that is no architecture)
        self.refused = 0

    def ask(self) -> Trial | None:
        """The next trial, or ``None`` when the strategy must first hear back about running ones.

        A proposal the space refuses (``_propose`` raises ``InvalidArchitecture``: decisions that
        make no architecture) is told to the strategy through ``_refuse`` and proposed again; it is
        no trial and spends no budget. Replaying the same asks and tells refuses the same proposals.
        """
        for _ in range(MAX_REFUSED_IN_A_ROW):
            try:
                arch = self._propose(self._asked)
            except InvalidArchitecture as exc:
                self.refused += 1
                self._refuse(self._asked, str(exc))
                reason = str(exc)
                continue
            if arch is None:
                return None
            trial = Trial(self._asked, arch, self.budget(self._asked))
            self._asked += 1
            return trial
        raise NasbenchError(
            f"strategy '{self.name}' proposed {MAX_REFUSED_IN_A_ROW} architectures in a row that space "
            f"'{self.space.name}' refuses; the last: {reason}"
        )

    @abstractmethod
    def _propose(self, number: int) -> Arch | None:
        """The architecture of trial ``number``, or ``None`` to wait."""

    def budget(self, number: int) -> Budget:
        """The training budget of trial ``number``: the evaluator's default, unless a strategy
        (a sweep) proposes points of its own."""
        return Budget()

    @abstractmethod
    def tell(self, trial: Trial, outcome: Outcome) -> None:
        """Record how ``trial`` ended."""

    def _refuse(self, number: int, reason: str) -> None:
        """The space refused what ``_propose(number)`` drew (``reason`` says why): learn from it and
        forget the draw, so the next ``_propose(number)`` draws anew. No-op by default."""

    def starts(self, enabled: bool, random_start: int) -> tuple[Arch, ...]:
        """The space's starting points a strategy evaluates first, in place of the first of its
        ``random_start`` random trials: at most half of them, so that it still samples the space; none
        unless ``enabled`` (the strategy's ``starting_points`` option)."""
        return self.space.starting_points()[: random_start // 2] if enabled else ()

    def spent_seconds(self) -> float:
        """Seconds the strategy itself has spent on what counts against a search's time budget (the zero-cost
        proxies it computed to rank candidates, say); none by default."""
        return 0.0

    def options(self) -> dict:
        """The constructor keywords (besides space, seed and what the run fills in) that recreate this
        strategy, read off the constructor: keep each option as an attribute of the same name
        (``nasbench.options.constructor_options``), or override this."""
        return constructor_options(self)

    def summary(self, folder: Path) -> str | None:
        """Called once a run has spent its budget: write what the strategy learnt into the run folder
        and return one line for the screen, or ``None``. Does nothing by default."""
        return None

    @classmethod
    def defaults_for_budget(cls, budget: int) -> dict:
        """Hyperparameters that suit a budget of ``budget`` evaluations, where the defaults would not."""
        return {}
