"""The in-process backend: evaluate one candidate at a time in the driver."""

from __future__ import annotations

from pathlib import Path

from nasbench.backend import Backend
from nasbench.errors import NasbenchError
from nasbench.evaluator import Evaluator, run_evaluation
from nasbench.session import SearchSession
from nasbench.space import SearchSpace
from nasbench.trial import Budget


def evaluate_in_process(session: SearchSession, evaluator: Evaluator) -> None:
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
            budget, seed = session.budget_of(trial), session.evaluation_seed(trial)
            session.finish(trial, run_evaluation(evaluator, trial.arch, budget, seed=seed))
    finally:
        session.flush()


class LocalBackend(Backend):
    """Evaluates candidates one after another in this process (no options)."""

    def check(self, evaluator: Evaluator, budget: Budget) -> None:
        """Every evaluator runs in process, on a device this machine must have."""
        evaluator.check_device()

    def run(self, session: SearchSession, space: SearchSpace, evaluator: Evaluator, folder: Path) -> None:
        evaluate_in_process(session, evaluator)
