"""Starting, resuming and running a search from its configuration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from nasbench.catalog import BACKENDS, EVALUATORS, SPACES, STRATEGIES
from nasbench.config import SearchConfig
from nasbench.errors import InvalidOption, ResultsError
from nasbench.objective import Objective
from nasbench.results import RunFolder, TrialRecord
from nasbench.session import SearchSession
from nasbench.space import SearchSpace
from nasbench.strategy import Strategy


@dataclass
class Search:
    config: SearchConfig
    folder: RunFolder
    space: SearchSpace
    strategy: Strategy
    evaluator: Any
    objective: Objective
    session: SearchSession

    def run(self) -> TrialRecord | None:
        """Evaluate until the budget is spent; returns the best trial."""
        BACKENDS.get(self.config.backend)(self)
        return self.session.best()


def check_metrics(objective: Objective, available: tuple[str, ...]) -> None:
    """Refuse an objective the evaluator cannot answer, before anything is written."""
    wanted = [t.metric for t in objective.targets] + ([objective.penalty.metric] if objective.penalty else [])
    missing = [m for m in wanted if m not in available]
    if missing:
        raise InvalidOption(f"the evaluator reports no metric {', '.join(missing)}; it reports: {', '.join(available)}")


def run_keywords(factory: Callable, objective: Objective, folder: RunFolder | None) -> dict[str, Any]:
    """What the run itself tells a strategy (see ``Strategy.max_objectives`` and ``Strategy.run_file``)."""
    keywords: dict[str, Any] = {}
    if getattr(factory, "max_objectives", 1) > 1:
        keywords["objectives"] = objective.size
    run_file = getattr(factory, "run_file", None)  # plugins may register plain factories
    if run_file is not None:
        keywords["storage"] = None if folder is None else str(folder.path / run_file)
    return keywords


def _assemble(config: SearchConfig, folder: RunFolder, on_record) -> Search:
    space = SPACES.create(config.space, **config.space_options)
    objective = config.objective_value()
    context = run_keywords(STRATEGIES.get(config.strategy), objective, folder)
    strategy = STRATEGIES.create(config.strategy, space, seed=config.seed, **context, **config.strategy_options)
    evaluator = EVALUATORS.create(config.evaluator, space, **config.evaluator_options)
    check_metrics(objective, evaluator.metric_names())
    session = SearchSession(strategy, objective, folder, config.budget, config.seed, on_record)
    return Search(config, folder, space, strategy, evaluator, objective, session)


def start(config: SearchConfig, out: str | Path, on_record: Callable[[TrialRecord], None] | None = None) -> Search:
    """A new search writing to ``out``, which must not hold a run already."""
    folder = RunFolder(out)
    if folder.exists():
        raise ResultsError(f"{folder.path} already holds a run; resume it with --resume {folder.path} or choose another --out")
    search = _assemble(config, folder, on_record)  # fails on bad options before anything is written
    folder.write_config(config.to_dict())
    return search


def resume(out: str | Path, budget: int | None = None, on_record: Callable[[TrialRecord], None] | None = None) -> Search:
    """The search stored in ``out``, with its strategy restored by replaying its trial table."""
    folder = RunFolder(out)
    config = SearchConfig.from_dict(folder.read_config())
    records = folder.read_records()
    if budget is not None and budget != config.budget:
        config.budget = budget
        config.__post_init__()
    search = _assemble(config, folder, None)
    search.session.replay(records)
    search.session.on_record = on_record
    if budget is not None:
        folder.write_config(config.to_dict())
    return search
