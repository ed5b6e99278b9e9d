"""Starting, resuming and running a search from its configuration."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nasbench.backend import Backend
from nasbench.catalog import BACKENDS, EVALUATORS, SPACES, STRATEGIES
from nasbench.config import SearchConfig
from nasbench.costs.constraints import ConstrainedSpace
from nasbench.costs.cost_model import UNITS, CostModel, MeasuredCosts
from nasbench.costs.latency import device_name
from nasbench.costs.latency_model import LatencyModel, Target, file_digest, load_for
from nasbench.errors import InvalidOption, ResultsError
from nasbench.evaluator import Evaluator
from nasbench.objective import Objective
from nasbench.options import keyword_options
from nasbench.results import TrialRecord, is_table_column, read_records
from nasbench.session import SearchSession, default_window
from nasbench.space import Buildable, DataSpec, SearchSpace
from nasbench.storage.run_folder import RunFolder, RunLock
from nasbench.strategy import Strategy
from nasbench.training.devices import pick_device
from nasbench.trial import TrialState, derive_seed


@dataclass
class Search:
    config: SearchConfig
    folder: RunFolder
    space: SearchSpace
    strategy: Strategy
    evaluator: Evaluator
    objective: Objective
    session: SearchSession
    backend: Backend  # runs the evaluations: LocalBackend, RayBackend, or a plugin's
    lock: RunLock | None = None  # held from start (or resume) until the run returns
    costs: CostModel | None = None  # counts what constraints and cost objectives need, cached in costs.json
    strategy_summary: str | None = None  # the strategy's line about a finished run (``Strategy.summary``)

    def run(self) -> TrialRecord | None:
        """Evaluate until the budget is spent; returns the best trial."""
        try:
            self.backend.run(self.session, self.space, self.evaluator, self.folder.path)
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


def wanted_metrics(objective: Objective) -> list[str]:
    """The metrics an objective is computed from."""
    return [t.metric for t in objective.targets] + ([objective.penalty.metric] if objective.penalty else [])


def check_metrics(objective: Objective, available: tuple[str, ...], costs: tuple[str, ...] = ()) -> None:
    """Refuse an objective the evaluator cannot answer, before anything is written.

    ``costs`` are the metrics a cost model can add (parameters, multiply-adds, latency) when the
    space builds networks.
    """
    clashing = [m for m in available if is_table_column(m)]
    if clashing:
        raise InvalidOption(
            f"metric name {', '.join(clashing)} is a column of the trial table; give the metric another name"
        )
    missing = [m for m in wanted_metrics(objective) if m not in available and m not in costs]
    if missing:
        offered = ", ".join(dict.fromkeys((*available, *costs)))
        raise InvalidOption(f"the evaluator reports no metric {', '.join(missing)}; it reports: {offered}")


def data_of(evaluator: Evaluator, space: SearchSpace) -> DataSpec | None:
    """What networks are built for: the evaluator's data, else the space's default (``None`` for a
    space whose networks are only looked up)."""
    builder = space.capability(Buildable)
    return evaluator.data_spec() or (builder.default_data() if builder is not None else None)


def run_keywords(factory: type[Strategy], objective: Objective, folder: RunFolder | None) -> dict[str, Any]:
    """What the run itself tells a strategy (see ``Strategy.max_objectives`` and ``Strategy.run_file``)."""
    keywords: dict[str, Any] = {}
    if factory.max_objectives > 1:
        keywords["objectives"] = objective.size
    if "value_names" in keyword_options(factory):
        keywords["value_names"] = objective.value_names()
    if factory.run_file is not None:
        keywords["storage"] = None if folder is None else str(folder.path / factory.run_file)
    return keywords


def _cost_model(space: SearchSpace, data: DataSpec | None, device: str, why: str, latency=None) -> CostModel:
    if space.capability(Buildable) is None or data is None:
        raise InvalidOption(f"{why} needs a space whose networks can be built; '{space.name}' only looks them up")
    return CostModel(space, data, device=device, latency_model=latency)


def _latency_model(config: SearchConfig, space: SearchSpace, data: DataSpec | None) -> LatencyModel | None:
    """The run's latency model, refused unless made for its space, data, device and threads (those a trial
    trains with: the evaluator's ``cpu_threads``, else Ray's CPUs per trial, else torch's count)."""
    if config.latency_model is None:
        return None
    if data is None:
        raise InvalidOption(f"a latency model needs a space whose networks can be built; '{space.name}' looks them up")
    constraints = config.constraints_value()
    device = constraints.device if constraints.active() else config.evaluator_options.get("device", "auto")
    threads = config.evaluator_options.get("cpu_threads") or config.backend_options.get("cpus_per_trial")
    target = Target(
        config.space, space.options(), asdict(data), device_name(pick_device(device)),
        int(threads or torch.get_num_threads()), 1,
    )  # fmt: skip
    return load_for(config.latency_model, target, config.latency_model_digest)


def _assemble(config: SearchConfig, folder: RunFolder, on_record) -> Search:
    space = SPACES.create(config.space, **config.space_options)
    objective = config.objective_value()
    evaluator = EVALUATORS.create(config.evaluator, space, **config.evaluator_options)
    evaluator.attach_run_folder(folder.path)
    reported = tuple(evaluator.metric_names())
    buildable = space.capability(Buildable) is not None
    check_metrics(objective, reported, tuple(UNITS) if buildable else ())
    # costs the objective needs and the evaluator does not report come from a cost model, in the driver
    measured = tuple(m for m in dict.fromkeys(wanted_metrics(objective)) if m in UNITS and m not in reported)
    latency = _latency_model(config, space, data_of(evaluator, space))
    if latency is not None and "latency_ms" not in reported + measured:
        measured += ("latency_ms",)  # predicted for every trial: the table shows what the search acted on
    constraints = config.constraints_value()
    costs = None
    if constraints.active() or measured:
        why = "cost constraints" if constraints.active() else f"the objective {', '.join(measured)}"
        costs = _cost_model(space, data_of(evaluator, space), constraints.device, why, latency)
    if constraints.active():
        space = ConstrainedSpace(space, constraints, costs)
    context = run_keywords(STRATEGIES.get(config.strategy), objective, folder)
    strategy = STRATEGIES.create(config.strategy, space, seed=config.seed, **context, **config.strategy_options)
    trial_budget = config.trial_budget_value().over(evaluator.budget_defaults())
    backend = BACKENDS.create(config.backend, **config.backend_options)
    backend.check(evaluator, trial_budget)
    window = (config.window or default_window(backend.slots())) if config.deterministic else None
    session = SearchSession(
        strategy,
        objective,
        folder,
        config.budget,
        config.seed,
        on_record,
        costs=MeasuredCosts(costs, measured) if measured else None,
        trial_budget=trial_budget,
        window=window,
        time_budget=config.time_budget,
        cost=evaluator.cost_seconds,
    )
    return Search(config, folder, space, strategy, evaluator, objective, session, backend, costs=costs)


def _backend_options(backend: Backend, given: dict) -> dict:
    """All of a backend's options, defaults included, so that resume rebuilds it as it ran."""
    return {**given, **backend.options()}


def _keep_costs(search: Search) -> None:
    """A search that measures costs keeps them in the run folder, so resume replays them."""
    if search.costs is not None:
        search.costs.persist_to(search.folder.costs_path)


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
    if config.latency_model is not None and config.latency_model_digest is None:
        config.latency_model_digest = file_digest(config.latency_model)
    defaults = STRATEGIES.get(config.strategy).defaults_for_budget(config.budget)
    if not defaults.keys() & config.strategy_options.keys():  # hyperparameters chosen by hand are left as given
        config.strategy_options = {**defaults, **config.strategy_options}
    search = _assemble(config, folder, on_record)  # fails on bad options before anything is written
    config.backend_options = _backend_options(search.backend, config.backend_options)
    # every option, defaults included, so that resume rebuilds the strategy and evaluator as they ran
    config.strategy_options = {**config.strategy_options, **search.strategy.options()}
    config.evaluator_options = {**config.evaluator_options, **search.evaluator.options()}
    config.trial_budget = search.session.trial_budget.to_dict()  # what every trial trains for, spelled out
    config.window = search.session.window
    data = data_of(search.evaluator, search.space)
    config.data = None if data is None else asdict(data)  # a look-up-only space builds no networks
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
    backend stays the same. Where candidates are evaluated does not change what is searched: a
    deterministic search keeps its window (and so ends as an uninterrupted run would), unless
    ``max_concurrent`` is given anew.
    """
    folder = RunFolder(out)
    config = SearchConfig.from_dict(folder.read_config())
    folder.check_writable()
    lock = folder.lock()
    try:
        return _resume(folder, config, lock, budget, on_record, backend, backend_options)
    except BaseException:
        lock.abandon()  # refused: the run folder stays as it was
        raise


def _resume(folder, config, lock, budget, on_record, backend, backend_options) -> Search:
    records = read_records(folder)
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
        if "max_concurrent" in (backend_options or {}):  # else the run keeps its window: it ends as it would have
            config.window = None
    try:
        older = STRATEGIES.get(config.strategy).options_of_older_runs
        config.strategy_options = {**older, **config.strategy_options}
        search = _assemble(config, folder, None)
    except InvalidOption as exc:  # config.json is read like the command line
        raise ResultsError(f"{folder.config_path}: {exc}") from None
    search.lock = lock
    _keep_costs(search)
    search.session.replay(records)
    search.session.on_record = on_record
    if moved:
        config.backend_options = _backend_options(search.backend, config.backend_options)
        config.window = search.session.window
    if budget is not None or moved:
        folder.write_config(config.to_dict())
    return search
