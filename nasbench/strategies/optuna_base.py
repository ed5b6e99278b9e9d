"""Optuna samplers as nasbench strategies, through Optuna's own ask/tell.

The space's decision sequence becomes categorical parameters ``d0, d1, ...`` (choices 0..n-1). In
a run folder the study lives in an SQLite file (``study.db``), so Optuna's tools open it::

    optuna-dashboard sqlite:///results/<run>/study.db

Resuming replays the trial table on a fresh strategy: a trial the stored study already holds is
answered from the study (never sampled or told twice). Each new trial gets a sampler seeded from
(seed, trial number), so the trials after a resume are those of an uninterrupted run.

Optuna writes a new trial and then its parameters one by one, so a driver stopped inside an ask
leaves a trial with only some parameters. Such a trial is marked failed (Optuna's samplers learn
nothing from failed trials) and skipped: the n-th trial with all its parameters is nasbench's
trial n, whatever Optuna numbers it.

The space's starting points (``SearchSpace.starting_points``: a supernet's largest child, say) are
the first trials, asked with their decisions fixed (Optuna's ``PartialFixedSampler``), so the study
holds them as ordinary trials; at most half of the sampler's first (random) trials, none when the
``starting_points`` option is false.

Parameters the space refuses (decisions that make no architecture) are told to Optuna as a
failed trial marked with the user attribute ``refused``, and trial n is asked again with a sampler
seeded from (seed, n, attempt); resume counts the refused attempts back from the study.
"""

from __future__ import annotations

import logging
import warnings
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import optuna
from optuna.distributions import CategoricalDistribution
from optuna.trial import FrozenTrial
from optuna.trial import TrialState as OptunaState

from nasbench.arch import Arch
from nasbench.errors import InvalidArchitecture, InvalidOption, ResultsError
from nasbench.space import DecisionSequence
from nasbench.strategy import Strategy
from nasbench.trial import Outcome, Trial, TrialState, derive_seed

#: the name of the study inside ``study.db``
STUDY_NAME = "nasbench"
#: user attributes of a refused Optuna trial: why, and the nasbench trial it was drawn for
REFUSED, FOR_TRIAL = "refused", "nasbench_trial"


@contextmanager
def quiet_optuna() -> Iterator[None]:
    """Silence Optuna's INFO lines ("A new study created ...") while a search prints its own progress."""
    logger = logging.getLogger("optuna")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


class OptunaStrategy(Strategy):
    """Base of the strategies that delegate proposals to an Optuna sampler.

    ``objectives`` is the number of objective values (all maximised); ``storage`` the SQLite file
    of the study, or ``None`` to keep it in memory. A trial that was stopped early is told to
    Optuna as complete with its truncated values (as Ray Tune's Optuna searcher does).
    ``first_trials`` is how many trials the sampler draws before it models (its random start): the
    starting points take at most half of them (none by default: a subclass that passes it declares
    ``starting_points`` as its option, and ``options_of_older_runs`` for runs recorded before).
    """

    requires = (DecisionSequence,)
    max_objectives = 16
    run_file = "study.db"

    def __init__(
        self,
        space,
        *,
        seed: int = 0,
        objectives: int = 1,
        storage: str | None = None,
        value_names: Sequence[str] | None = None,
        starting_points: bool = True,
        first_trials: int = 0,
    ) -> None:
        if not 1 <= objectives <= self.max_objectives:
            raise InvalidOption(f"objectives must be in [1, {self.max_objectives}], got {objectives}")
        super().__init__(space, seed=seed)
        self.objectives = objectives
        self.storage = storage
        self.value_names = None if value_names is None else list(value_names)  # shown by Optuna's tools
        if self.value_names is not None and len(self.value_names) != objectives:
            raise InvalidOption(f"{len(self.value_names)} value names for {objectives} objective(s)")
        self.decisions = space.capability(DecisionSequence)
        sizes = self.decisions.decision_sizes()
        self.names = [f"d{i}" for i in range(len(sizes))]
        self.distributions = {
            name: CategoricalDistribution(list(range(int(size)))) for name, size in zip(self.names, sizes)
        }
        self.starting_points = starting_points
        self._starts = [
            dict(zip(self.names, self.decisions.to_decisions(arch)))
            for arch in self.starts(starting_points, first_trials)
        ]
        self._study: optuna.Study | None = None  # opened on first use: nothing is written before a run starts
        self._stored: dict[int, FrozenTrial] = {}  # the study's whole trials when it was opened, by nasbench number
        self._optuna_number: dict[int, int] = {}  # nasbench trial number -> Optuna's
        self._attempts: dict[int, int] = {}  # nasbench trial number -> proposals of it refused so far

    @abstractmethod
    def sampler(self, seed: int) -> optuna.samplers.BaseSampler:
        """A fresh sampler with this strategy's settings, seeded with ``seed``."""

    @property
    def study(self) -> optuna.Study:
        """The Optuna study (created, or loaded from ``storage``, on first use)."""
        if self._study is None:
            self._study = self._open()
        return self._study

    def _open(self) -> optuna.Study:
        url = None
        if self.storage is not None:
            path = Path(self.storage).resolve()
            path.parent.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{path}"
        with quiet_optuna():
            study = optuna.create_study(
                storage=url,
                study_name=STUDY_NAME,
                directions=["maximize"] * self.objectives,
                sampler=self.sampler(self.seed),
                load_if_exists=True,
            )
        if len(study.directions) != self.objectives or any(
            d != optuna.study.StudyDirection.MAXIMIZE for d in study.directions
        ):
            raise ResultsError(
                f"the study in {self.storage} does not maximise {self.objectives} objective(s); "
                "it belongs to another run"
            )
        if self.value_names is not None and study.metric_names != self.value_names:
            with warnings.catch_warnings():  # "experimental" since Optuna 3.2
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                study.set_metric_names(self.value_names)
        whole = []
        for stored in study.get_trials(deepcopy=False):
            if REFUSED in stored.user_attrs:
                number = int(stored.user_attrs[FOR_TRIAL])
                self._attempts[number] = self._attempts.get(number, 0) + 1
            elif set(stored.distributions) == set(self.distributions):
                whole.append(stored)
            elif stored.state is OptunaState.RUNNING and set(stored.distributions) < set(self.distributions):
                study.tell(stored.number, state=OptunaState.FAIL)  # cut short inside an ask
            elif stored.state is not OptunaState.FAIL:
                self._arch(stored.params, stored.distributions)  # another run's parameters: refused there
        self._stored = dict(enumerate(whole))
        self._optuna_number = {number: stored.number for number, stored in self._stored.items()}
        return study

    def _propose(self, number: int) -> Arch:
        study = self.study
        stored = self._stored.get(number)
        if stored is not None:
            return self._arch(stored.params, stored.distributions)
        if number != len(self._optuna_number):
            raise ResultsError(
                f"the study in {self.storage} holds {len(self._optuna_number)} trials, the run asks for "
                f"trial {number}; it belongs to another run"
            )
        attempt = self._attempts.get(number, 0)
        keys = (number,) if attempt == 0 else (number, attempt)
        study.sampler = self.sampler(derive_seed(self.seed, "optuna", *keys))
        if number < len(self._starts):
            with warnings.catch_warnings():  # "experimental" in Optuna
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                study.sampler = optuna.samplers.PartialFixedSampler(self._starts[number], study.sampler)
        with quiet_optuna():
            trial = study.ask(self.distributions)
        try:
            arch = self._arch(trial.params, self.distributions)
        except InvalidArchitecture as exc:
            trial.set_user_attr(REFUSED, str(exc))
            trial.set_user_attr(FOR_TRIAL, number)
            study.tell(trial.number, state=OptunaState.FAIL)
            self._attempts[number] = attempt + 1
            raise
        self._optuna_number[number] = trial.number
        trial.set_user_attr("arch", arch.to_string())  # readable in Optuna's tools, beside d0, d1, ...
        return arch

    def _arch(self, params: dict, distributions: dict) -> Arch:
        if distributions != self.distributions:
            raise ResultsError(
                f"the study in {self.storage} has parameters {sorted(distributions)} "
                "that are not this space's decisions"
            )
        return self.decisions.from_decisions([params[name] for name in self.names])

    def tell(self, trial: Trial, outcome: Outcome) -> None:
        stored = self._stored.get(trial.number)
        if stored is not None and stored.state.is_finished():
            return  # told before the run was resumed
        number = self._optuna_number[trial.number]
        if outcome.state is TrialState.FAIL:
            self.study.tell(number, state=OptunaState.FAIL)
            return
        if len(outcome.values) != self.objectives:
            raise ValueError(
                f"strategy '{self.name}' optimises {self.objectives} objective(s); "
                f"trial {trial.number} has {len(outcome.values)} values"
            )
        self.study.tell(number, list(outcome.values))
