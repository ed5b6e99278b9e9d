"""The in-process backend: evaluate one candidate at a time in the driver."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nasbench.errors import NasbenchError
from nasbench.evaluator import Budget, Evaluator, run_evaluation
from nasbench.session import SearchSession

if TYPE_CHECKING:
    from nasbench.search import Search


def evaluate_in_process(session: SearchSession, evaluator: Evaluator, budget: Budget = Budget()) -> None:
    """Ask, evaluate, tell until the session's budget is spent."""
    try:
        while not session.done():
            trial = session.next_trial()
            if trial is None:
                if session.budget_left() > 0:
                    raise NasbenchError(
                        f"strategy '{session.strategy.name}' proposes nothing although no trial is running"
                    )
                break
            own = trial.budget if trial.budget.key() else budget  # a sweep's point brings its own
            session.finish(trial, run_evaluation(evaluator, trial.arch, own, seed=session.evaluation_seed(trial)))
    finally:
        session.flush()


class LocalBackend:
    """Evaluates candidates one after another in this process (no options)."""

    def options(self) -> dict:
        return {}

    def check(self, evaluator: Evaluator) -> None:
        """Every evaluator runs in process, on a device this machine must have."""
        if hasattr(evaluator, "check_device"):
            evaluator.check_device()

    def run(self, search: Search) -> None:
        evaluate_in_process(search.session, search.evaluator)
