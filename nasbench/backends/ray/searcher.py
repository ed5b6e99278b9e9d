"""A search session behind Tune's ``Searcher`` interface, in the manner of Tune's Optuna bridge.

``suggest`` asks the session (which asks the strategy and de-duplicates); ``on_trial_complete``
records the outcome and tells the strategy. A strategy that waits for results makes ``suggest``
answer ``None`` (Tune asks again later); a spent budget answers ``FINISHED``.
"""

from __future__ import annotations

from ray.tune import Callback
from ray.tune.search import Searcher

from nasbench.backends.ray.outcome import outcome
from nasbench.backends.ray.trainable import ARCH, BUDGET, NUMBER, SEED
from nasbench.errors import NasbenchError
from nasbench.session import SearchSession
from nasbench.trial import Trial


class SessionSearcher(Searcher):
    """Suggests the session's trials to Tune and records what Tune reports back.

    An error raised while asking or telling (a strategy that proposes nothing, a results table
    that cannot be written) ends the suggestions and is raised again by ``raise_error`` once Tune
    returns.
    """

    def __init__(self, session: SearchSession) -> None:
        super().__init__()
        self.session = session
        self.error: BaseException | None = None
        self._trials: dict[str, Trial] = {}  # Tune trial id -> the session's trial
        self._tune_trials: dict[str, object] = {}  # Tune trial id -> Tune's Trial (attempts, error)

    def watcher(self) -> Callback:
        """The Tune callback that lets this searcher see Tune's trial objects."""
        return _TrialWatcher(self)

    def watch(self, tune_trial) -> None:
        """Keep Tune's Trial of a started trial: it counts the trial's failures and keeps its error."""
        self._tune_trials[tune_trial.trial_id] = tune_trial

    def suggest(self, trial_id: str) -> dict | str | None:
        if self.error is not None:
            return Searcher.FINISHED
        try:
            trial = self.session.next_trial()
            if trial is None:
                if self.session.budget_left() <= 0:
                    return Searcher.FINISHED
                if self.session.running() == 0:
                    raise NasbenchError(
                        f"strategy '{self.session.strategy.name}' proposes nothing although no trial is running"
                    )
                return None
        except Exception as exc:  # raised in the driver once Tune returns
            self.error = exc
            return Searcher.FINISHED
        self._trials[trial_id] = trial
        return {
            ARCH: trial.arch.to_string(),
            NUMBER: trial.number,
            SEED: self.session.evaluation_seed(trial),
            BUDGET: self.session.budget_of(trial).to_dict(),
        }

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        trial = self._trials.pop(trial_id, None)
        tune_trial = self._tune_trials.pop(trial_id, None)
        if trial is None or self.error is not None:
            return
        try:
            finished = outcome(result, error, tune_trial)
            if finished is not None:  # None: stopped before its first report; it stays RUNNING on record
                self.session.finish(trial, finished)
        except Exception as exc:
            self.error = exc

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def save(self, checkpoint_path: str) -> None:
        """Nothing to save: the run folder's trial table is this searcher's state (resume replays it)."""

    def restore(self, checkpoint_path: str) -> None:
        """Never called: a resumed search starts a new Tune experiment from the trial table."""

    def __getstate__(self) -> dict:
        # Tune pickles its configuration into tuner.pkl for Tuner.restore, which nasbench does not
        # use; the session (strategy, files, progress display) is left out.
        return {"_metric": None, "_mode": None, "error": None, "_trials": {}, "_tune_trials": {}, "session": None}


class _TrialWatcher(Callback):
    """Hands Tune's Trial objects to the searcher: they know a trial's failures and its error."""

    def __init__(self, searcher: SessionSearcher) -> None:
        self.searcher = searcher

    def on_trial_start(self, iteration: int, trials: list, trial, **info) -> None:
        self.searcher.watch(trial)
