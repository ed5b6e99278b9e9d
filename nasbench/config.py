"""A search's complete configuration: what ``config.json`` holds and what resume rebuilds from."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from nasbench.errors import InvalidOption, ResultsError
from nasbench.objective import Objective
from nasbench.options import check_positive


@dataclass
class SearchConfig:
    space: str
    strategy: str
    evaluator: str  # "tabular" (benchmark look-up) or "train" (real training)
    budget: int  # number of distinct networks to evaluate
    seed: int = 0
    space_options: dict = field(default_factory=dict)
    strategy_options: dict = field(default_factory=dict)
    evaluator_options: dict = field(default_factory=dict)
    objective: dict = field(default_factory=lambda: Objective().to_dict())
    backend: str = "local"  # "local" (in-process) or "ray" (Ray Tune trials)
    backend_options: dict = field(default_factory=dict)
    #: input and classes of the built networks (DataSpec fields), for export; filled in at start
    data: dict | None = None
    constraints: dict = field(default_factory=dict)  # hard cost bounds (nasbench.costs.constraints.Constraints)
    #: what every trial is trained for (``nasbench.trial.Budget`` fields, e.g. {"epochs": 4}) unless its
    #: strategy gives it a budget of its own; a field left out is the evaluator's default
    trial_budget: dict = field(default_factory=dict)
    #: results told to the strategy in ask order, each trial asked once the one ``window`` before it was told,
    #: so the run is a function of its seed at any concurrency (``SearchSession``); runs written before the
    #: mode existed told results as they arrived
    deterministic: bool = True
    #: the trials a deterministic search asks ahead: the backend's slots when the run started
    window: int | None = None
    #: seconds the search may spend (``Evaluator.cost_seconds`` of its evaluations, simulated for a look-up,
    #: and what its strategy spends itself); ``None``: the budget of evaluations alone ends it
    time_budget: float | None = None
    #: a latency model file (``nasbench latency calibrate``): ``latency_ms`` is predicted by it, never measured;
    #: with the digest of the file when the run started, so a resume refuses a model changed since
    latency_model: str | None = None
    latency_model_digest: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.budget, int) or self.budget < 1:
            raise InvalidOption(f"the budget must be a positive number of evaluations, got {self.budget!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise InvalidOption(f"the seed must be a non-negative integer, got {self.seed!r}")
        if self.time_budget is not None:
            check_positive(self.time_budget, "the time budget (seconds)")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SearchConfig:
        if not isinstance(data, dict):
            raise ResultsError("run configuration is not a JSON object")
        missing = sorted({"space", "strategy", "evaluator", "budget"} - set(data))
        if missing:
            raise ResultsError(f"run configuration lacks {', '.join(missing)}")
        names = {f.name for f in fields(cls)}
        for name in ("space", "strategy", "evaluator", "backend"):
            if name in data and not isinstance(data[name], str):
                raise ResultsError(f"run configuration: {name} should be a name, got {data[name]!r}")
        for name in (
            "space_options",
            "strategy_options",
            "evaluator_options",
            "objective",
            "backend_options",
            "constraints",
            "trial_budget",
        ):
            if name in data and not isinstance(data[name], dict):
                raise ResultsError(f"run configuration: {name} should be an object, got {data[name]!r}")
        if not isinstance(data.get("deterministic", False), bool):
            raise ResultsError(f"run configuration: deterministic should be true or false, got {data['deterministic']}")
        window = data.get("window")
        if window is not None and (not isinstance(window, int) or isinstance(window, bool) or window < 1):
            raise ResultsError(f"run configuration: window should be a positive number of trials, got {window!r}")
        for name in ("latency_model", "latency_model_digest"):
            if data.get(name) is not None and not isinstance(data[name], str):
                raise ResultsError(f"run configuration: {name} should be a string, got {data[name]!r}")
        data = {"deterministic": False, **data}  # a run of 0.1 told results as they arrived
        try:
            return cls(**{k: v for k, v in data.items() if k in names})
        except InvalidOption as exc:
            raise ResultsError(f"run configuration: {exc}") from None

    def objective_value(self) -> Objective:
        try:
            return Objective.from_dict(self.objective)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ResultsError(f"run configuration: malformed objective {self.objective!r} ({exc})") from None

    def trial_budget_value(self):
        """``trial_budget`` as a ``nasbench.trial.Budget`` (the evaluator's defaults fill what it leaves out)."""
        from nasbench.trial import Budget

        try:
            return Budget.from_dict(self.trial_budget)
        except TypeError as exc:
            raise ResultsError(f"run configuration has a malformed trial_budget: {exc}") from None

    def constraints_value(self):
        """The hard cost bounds, as ``nasbench.constraints.Constraints``."""
        from nasbench.costs.constraints import Constraints

        try:
            return Constraints.from_dict(self.constraints)
        except TypeError as exc:
            raise ResultsError(f"run configuration has malformed constraints: {exc}") from None
