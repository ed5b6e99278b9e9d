"""Starting, resuming and running a search from its configuration."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nasbench.catalog import BACKENDS, EVALUATORS, SPACES, STRATEGIES
from nasbench.config import SearchConfig
from nasbench.constraints import ConstrainedSpace, constrain
from nasbench.errors import InvalidOption, ResultsError
from nasbench.evaluator import derive_seed
from nasbench.objective import Objective
from nasbench.registry import keyword_options
from nasbench.results import RunFolder, RunLock, TrialRecord, is_table_column
from nasbench.session import SearchSession
from nasbench.space import DataSpec, SearchSpace
from nasbench.strategy import Strategy
from nasbench.trial import TrialState


@dataclass
class Search:
    config: SearchConfig
    folder: RunFolder
    space: SearchSpace
    strategy: Strategy
    evaluator: Any
    objective: Objective
    session: SearchSession
    backend: Any  # runs the evaluations: LocalBackend, RayBackend, or a plugin's
    lock: RunLock | None = None  # held from start (or resume) until the run returns
    strategy_summary: str | None = None  # the strategy's line about a finished run (``Strategy.summary``)

    def run(self) -> TrialRecord | None:
        """Evaluate until the budget is spent; returns the best trial."""
        try:
            self.backend.run(self)
            self.session.flush()
            self.strategy_summary = self.strategy.summary(self.folder.path)
        finally:
            try:
                self.session.flush()
            finally:
                self.release()
        return self.session.best()

    def release(self) -> None:
        """Let another process drive this run folder (``run`` does this when it returns)."""
        if self.lock is not None:
            self.lock.release()


def check_metrics(objective: Objective, available: tuple[str, ...]) -> None:
    """Refuse an objective the evaluator cannot answer, before anything is written."""
    clashing = [m for m in available if is_table_column(m)]
    if clashing:
        raise InvalidOption(
            f"metric name {', '.join(clashing)} is a column of the trial table; give the metric another name"
        )
    wanted = [t.metric for t in objective.targets] + ([objective.penalty.metric] if objective.penalty else [])
    missing = [m for m in wanted if m not in available]
    if missing:
        raise InvalidOption(f"the evaluator reports no metric {', '.join(missing)}; it reports: {', '.join(available)}")


def _with_run_dir(factory, options: dict, folder: RunFolder) -> dict:
    """An evaluator that keeps files of its own (trained weights) gets the run folder.

    It is passed at start-up and never stored in config.json, so a run folder can be moved.
    """
    if "run_dir" in keyword_options(factory):
        return {**options, "run_dir": str(folder.path)}
    return options


def _data_spec(evaluator) -> DataSpec | None:
    """The input data an evaluator trains on, when it has any (cost constraints need it)."""
    data_spec = getattr(evaluator, "data_spec", None)
    return data_spec() if callable(data_spec) else None


def run_keywords(factory: Callable, objective: Objective, folder: RunFolder | None) -> dict[str, Any]:
    """What the run itself tells a strategy (see ``Strategy.max_objectives`` and ``Strategy.run_file``)."""
    keywords: dict[str, Any] = {}
    if getattr(factory, "max_objectives", 1) > 1:
        keywords["objectives"] = objective.size
    if "value_names" in keyword_options(factory):
        keywords["value_names"] = objective.value_names()
    run_file = getattr(factory, "run_file", None)  # plugins may register plain factories
    if run_file is not None:
        keywords["storage"] = None if folder is None else str(folder.path / run_file)
    return keywords


def _assemble(config: SearchConfig, folder: RunFolder, on_record) -> Search:
    space = SPACES.create(config.space, **config.space_options)
    objective = config.objective_value()
    evaluator_options = _with_run_dir(EVALUATORS.get(config.evaluator), config.evaluator_options, folder)
    evaluator = EVALUATORS.create(config.evaluator, space, **evaluator_options)
    check_metrics(objective, evaluator.metric_names())
    space = constrain(space, config.constraints_value(), _data_spec(evaluator))
    context = run_keywords(STRATEGIES.get(config.strategy), objective, folder)
    strategy = STRATEGIES.create(config.strategy, space, seed=config.seed, **context, **config.strategy_options)
    backend = BACKENDS.create(config.backend, **config.backend_options)
    if hasattr(backend, "check"):
        backend.check(evaluator)
    session = SearchSession(strategy, objective, folder, config.budget, config.seed, on_record)
    return Search(config, folder, space, strategy, evaluator, objective, session, backend)


def _backend_options(backend, given: dict) -> dict:
    """All of a backend's options, defaults included, so that resume rebuilds it as it ran."""
    return backend.options() if hasattr(backend, "options") else dict(given)


def _keep_costs(search: Search) -> None:
    """A constrained search keeps its cost measurements in the run folder, so resume replays them."""
    if isinstance(search.space, ConstrainedSpace):
        search.space.costs.persist_to(search.folder.costs_path)


def start(config: SearchConfig, out: str | Path, on_record: Callable[[TrialRecord], None] | None = None) -> Search:
    """A new search writing to ``out``, which must not hold a run already.

    ``config`` is left as given; ``Search.config`` is what the run records (defaults filled in).
    """
    config = copy.deepcopy(config)
    folder = RunFolder(out)
    if folder.exists():
        raise ResultsError(
            f"{folder.path} already holds a run; resume it with --resume {folder.path} or choose another --out"
        )
    defaults = getattr(STRATEGIES.get(config.strategy), "defaults_for_budget", lambda budget: {})(config.budget)
    if not defaults.keys() & config.strategy_options.keys():  # hyperparameters chosen by hand are left as given
        config.strategy_options = {**defaults, **config.strategy_options}
    search = _assemble(config, folder, on_record)  # fails on bad options before anything is written
    config.backend_options = _backend_options(search.backend, config.backend_options)
    # every hyperparameter, defaults included, so that resume rebuilds the strategy as it ran
    config.strategy_options = {**config.strategy_options, **search.strategy.options()}
    config.data = asdict(_data_spec(search.evaluator) or search.space.default_data())
    if isinstance(search.space, ConstrainedSpace):  # an impossible bound is reported now, not mid-search
        search.space.sample(np.random.default_rng(derive_seed(config.seed, "constraints")))
    search.lock = folder.lock()
    try:
        if folder.exists():  # another process started a run here meanwhile
            raise ResultsError(
                f"{folder.path} already holds a run; resume it with --resume {folder.path} or choose another --out"
            )
        folder.write_config(config.to_dict())
        _keep_costs(search)
    except BaseException:
        search.release()
        raise
    return search


def resume(
    out: str | Path,
    budget: int | None = None,
    on_record: Callable[[TrialRecord], None] | None = None,
    backend: str | None = None,
    backend_options: dict | None = None,
) -> Search:
    """The search stored in ``out``, with its strategy restored by replaying its trial table.

    ``budget`` extends the run. ``backend`` and ``backend_options`` run the rest elsewhere
    (another cluster, more trials at once); options not given keep their stored values when the
    backend stays the same. Where candidates are evaluated does not change what is searched.
    """
    folder = RunFolder(out)
    config = SearchConfig.from_dict(folder.read_config())
    folder.check_writable()
    lock = folder.lock()
    try:
        return _resume(folder, config, lock, budget, on_record, backend, backend_options)
    except BaseException:
        lock.release()
        raise


def _resume(folder, config, lock, budget, on_record, backend, backend_options) -> Search:
    records = folder.read_records()
    evaluated = sum(r.evaluated and r.state is not TrialState.RUNNING for r in records)
    if budget is not None and budget < evaluated:
        raise InvalidOption(f"--budget {budget} is below the {evaluated} networks this run has already evaluated")
    if budget is not None and budget != config.budget:
        config.budget = budget
        config.__post_init__()
    moved = backend is not None or bool(backend_options)
    if moved:
        name = backend or config.backend
        kept = config.backend_options if name == config.backend else {}
        config.backend, config.backend_options = name, {**kept, **(backend_options or {})}
    try:
        search = _assemble(config, folder, None)
    except InvalidOption as exc:  # config.json is read like the command line
        raise ResultsError(f"{folder.config_path}: {exc}") from None
    search.lock = lock
    _keep_costs(search)
    search.session.replay(records)
    search.session.on_record = on_record
    if moved:
        config.backend_options = _backend_options(search.backend, config.backend_options)
    if budget is not None or moved:
        folder.write_config(config.to_dict())
    return search
