"""The backend contract: what runs a search's evaluations (in this process, on Ray, or a plugin's way)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nasbench.evaluator import Evaluator
    from nasbench.session import SearchSession
    from nasbench.space import SearchSpace
    from nasbench.trial import Budget


class Backend(ABC):
    """Evaluates the trials a session hands out and hands back how each ended.

    A registered backend is created as ``Backend(**options)`` from the backend options of
    ``config.json``. ``run`` is required; ``check``, ``slots`` and ``options`` are optional hooks.
    """

    @abstractmethod
    def run(self, session: SearchSession, space: SearchSpace, evaluator: Evaluator, folder: Path) -> None:
        """Evaluate until ``session.done()``: take trials from ``session.next_trial()`` and give each
        ``session.finish(trial, finished)``. ``space`` decodes the trials' strings (a worker in another
        process receives strings); ``folder`` is the run folder, for the backend's own logs."""

    def check(self, evaluator: Evaluator, budget: Budget) -> None:
        """Refuse, before a run folder is written, what cannot run (a device this machine lacks, a
        cluster nobody answers at its address); ``budget`` is what every trial gets unless its strategy
        gives it another (``SearchSession.trial_budget``). No-op by default."""

    def slots(self) -> int:
        """How many trials run at once: a deterministic search asks that many ahead of its results
        (``SearchSession.window``). One by default."""
        return 1

    def options(self) -> dict[str, Any]:
        """The constructor keywords, defaults included, that recreate this backend (kept in ``config.json``,
        so resume rebuilds it as it ran), read off the constructor: keep each option as an attribute of the
        same name (``nasbench.options.constructor_options``), or override this."""
        from nasbench.options import constructor_options

        return constructor_options(self)
