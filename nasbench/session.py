"""The bookkeeping every backend shares: asks, de-duplication, results, and resume by replay.

A backend (the in-process loop, Ray Tune) asks the session for trials to evaluate and hands back
what happened; the session tells the strategy, writes the trial table, and never lets the same
network (same graph hash) be evaluated twice in one run.

Every ask and every tell goes into the trial table (asked trials as RUNNING rows), so the table is
also the strategy's event log: resuming replays it on a fresh strategy. An evaluation that takes
a second or more is written when it starts (its RUNNING row) and when it ends; faster events
(table look-ups, repeated proposals) are batched (see ``_flush_soon``).

With a ``window`` (a deterministic search) the order of events no longer depends on timing: results
are told to the strategy in ask order (one that arrives early is held, and written with its state but
no ``told_at``, until every trial asked before it has been told), and trial ``m`` is asked right after
trial ``m - window`` is told. The strategy then sees one sequence of asks and tells, whatever the
backend's timing, so the same seed gives the same search at any concurrency; the price is a slot
left idle while an earlier trial still runs. Without one, results are told as they arrive.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable
from dataclasses import replace

from nasbench.arch import Arch
from nasbench.errors import NasbenchError, ResultsError
from nasbench.evaluator import Metrics
from nasbench.objective import Objective
from nasbench.results import TrialRecord, best_record
from nasbench.storage.run_folder import RunFolder
from nasbench.storage.table_text import TableText
from nasbench.strategy import Strategy
from nasbench.trial import Budget, Finished, Outcome, Trial, TrialState, derive_seed

#: consecutive already-seen proposals after which the space is taken to be exhausted
MAX_CONSECUTIVE_DUPLICATES = 1000
#: an evaluation this long (seconds) is written when it starts and when it ends
SLOW_EVALUATION = 1.0
#: the most of a search's time that rewriting the trial table after fast events may take
WRITE_SHARE = 0.1
#: a deterministic search with several slots asks this many trials per slot ahead of its results: with one
#: per slot, a slot idles whenever a later trial ends before an earlier one (docs/BENCHMARKS.md measures both)
WINDOW_PER_SLOT = 2


def default_window(slots: int) -> int:
    """The window of a deterministic search on a backend that runs ``slots`` trials at once: one trial at a
    time never idles, and asks no further ahead; several ask ``WINDOW_PER_SLOT`` per slot."""
    return 1 if slots == 1 else WINDOW_PER_SLOT * slots


class SearchSession:
    """Drives one strategy for a budget of evaluations and records every trial.

    With ``folder=None`` nothing is written (benchmarks, notebooks). ``costs``, when given, adds
    metrics to every evaluation's own (those the evaluator reports win): the costs a cost model counts.
    ``trial_budget`` is what each trial is evaluated with (``budget_of``): its epochs, say.
    """

    def __init__(
        self,
        strategy: Strategy,
        objective: Objective,
        folder: RunFolder | None,
        budget: int,
        seed: int,
        on_record: Callable[[TrialRecord], None] | None = None,
        costs: Callable[[Arch], Metrics] | None = None,
        trial_budget: Budget = Budget(),
        window: int | None = None,
        time_budget: float | None = None,
        cost: Callable[[Metrics, float], float] | None = None,
    ) -> None:
        if strategy.max_objectives < objective.size:
            raise NasbenchError(
                f"strategy '{strategy.name}' optimises {strategy.max_objectives} objective(s); "
                f"this search has {objective.size}"
            )
        self.strategy = strategy
        self.objective = objective
        self.folder = folder
        self.budget = budget
        self.seed = seed
        self.on_record = on_record
        self.costs = costs
        #: what every trial is trained for unless its strategy gives it a budget of its own (a sweep's points)
        self.trial_budget = trial_budget
        self.records: dict[int, TrialRecord] = {}
        self.exhausted: str | None = None  # why the search stopped before its budget, if it did
        self._table = TableText()  # the table's rows, by trial number
        self._unwritten = False
        self._written_at = -math.inf
        self._write_seconds = 0.0  # how long the last write of the table took
        self._last_evaluation_seconds = math.inf  # until one is timed, evaluations count as slow
        self._trials: dict[int, Trial] = {}  # asked and not finished
        self._events = 0
        self._by_hash: dict[str, TrialRecord] = {}  # finished evaluations, by trial key
        self._running: dict[str, Trial] = {}  # trial key -> trial under evaluation
        self._waiting: dict[str, list[Trial]] = {}  # duplicates of a running trial
        self._started = 0  # evaluations handed to the backend, or queued for it
        self._queue: list[Trial] = []  # asked and not yet handed to the backend (resumed, or asked ahead)
        if window is not None and window < 1:
            raise ValueError(f"a deterministic search's window must be at least 1, got {window}")
        #: trials asked ahead of being told (deterministic search), ``None``: results are told as they arrive
        self.window = window
        self._told = 0  # deterministic search: every trial numbered below this has been told
        #: seconds the search may spend (its evaluations' costs, ``cost(metrics, wall_seconds)``, and its
        #: strategy's own): no trial is asked once they are spent
        self.time_budget = time_budget
        self.cost = cost or (lambda metrics, wall_seconds: wall_seconds)
        self._evaluated_seconds = 0.0  # the costs of the evaluations told so far
        self._held: dict[int, tuple] = {}  # deterministic search: answers waiting for their turn, by number

    # ----------------------------------------------------------------- asking
    def budget_left(self) -> int:
        if self.time_budget is not None and self.spent_seconds() >= self.time_budget:
            return 0
        return self.budget - self._started

    def spent_seconds(self) -> float:
        """What the search has spent against a time budget: its told evaluations' costs and its strategy's own."""
        return self._evaluated_seconds + self.strategy.spent_seconds()

    def running(self) -> int:
        return len(self._running)

    def done(self) -> bool:
        return self.budget_left() <= 0 and not self._running and not self._queue and not self._held

    def next_trial(self) -> Trial | None:
        """A trial to evaluate now, or ``None`` (budget spent, or the strategy waits for results)."""
        trial = self._next_trial() if self.window is None else self._next_in_order()
        if trial is not None and self._last_evaluation_seconds >= SLOW_EVALUATION:
            self.flush()  # a slow evaluation starts: its RUNNING row is on disk while it runs
        else:
            self._flush_soon()
        return trial

    def _next_trial(self) -> Trial | None:
        if self._queue:
            trial = self._queue.pop(0)
            self._running[trial.key] = trial
            return trial
        in_a_row = 0
        while self.budget_left() > 0:
            kind, trial = self._ask()
            if kind != "answered":
                return trial
            in_a_row += 1
            if self._exhausted(in_a_row):
                return None
        return None

    def _next_in_order(self) -> Trial | None:
        self._advance()
        if not self._queue:
            return None
        trial = self._queue.pop(0)
        self._running[trial.key] = trial
        return trial

    def _fill(self) -> None:
        """Ask while the window allows (trial ``m`` once trial ``m - window`` has been told), until the
        strategy waits for results."""
        in_a_row = 0
        while self.budget_left() > 0 and len(self.records) < self._told + self.window:
            kind, trial = self._ask()
            if kind == "wait":
                return
            if kind == "evaluate":
                del self._running[trial.key]  # handed out by ``_next_in_order``, in ask order
                self._queue.append(trial)
                in_a_row = 0
                continue
            in_a_row += 1
            if self._exhausted(in_a_row):
                return

    def _ask(self) -> tuple[str, Trial | None]:
        """Ask the strategy once: ``("evaluate", trial)`` for a network to evaluate, ``("answered", trial)`` for
        one answered without an evaluation (a repeat, a constraint violation, or a repeat of a running one,
        answered when it ends), ``("wait", None)`` when the strategy waits for results."""
        trial = self.strategy.ask()
        if trial is None:
            return "wait", None
        asked_at = self._next_event()
        key = trial.key
        violation = self._violation(trial)
        self._trials[trial.number] = trial
        if violation is not None:  # proposed from decisions, past the constrained sampler
            self._answer(trial, asked_at, Finished(TrialState.FAIL, error=violation), None, violation)
        elif key in self._by_hash:
            original = self._by_hash[key]
            self._answer(trial, asked_at, self._as_duplicate(original), original.number)
        elif key in self._running or any(t.key == key for t in self._queue):
            original = self._running.get(key) or next(t for t in self._queue if t.key == key)
            self._waiting.setdefault(key, []).append(trial)
            self._write_running(trial, asked_at, duplicate_of=original.number)
        else:
            self._running[key] = trial
            self._started += 1
            self._write_running(trial, asked_at, duplicate_of=None)
            return "evaluate", trial
        return "answered", trial

    def _exhausted(self, in_a_row: int) -> bool:
        """After ``MAX_CONSECUTIVE_DUPLICATES`` answers in a row the search ends as if its budget were
        spent: what it found stands."""
        if in_a_row < MAX_CONSECUTIVE_DUPLICATES:
            return False
        self.exhausted = (
            f"strategy '{self.strategy.name}' proposed {in_a_row} already evaluated or constraint-breaking "
            f"architectures in a row; the space looks exhausted after {self._started} networks"
        )
        self.budget = self._started
        self.flush()
        return True

    def _violation(self, trial: Trial) -> str | None:
        """Why a hard cost constraint of the space refuses this network, if it does."""
        return self.strategy.space.explain_violation(trial.arch)

    def _next_event(self) -> int:
        self._events += 1
        return self._events - 1

    def budget_of(self, trial: Trial) -> Budget:
        """What ``trial`` is evaluated with: its own budget's fields over the search's ``trial_budget``."""
        return trial.budget.over(self.trial_budget)

    def evaluation_seed(self, trial: Trial) -> int:
        """Training seed of a trial: the same network (and budget) trains the same way, whenever it runs."""
        return derive_seed(self.seed, trial.key)

    def _write_running(self, trial: Trial, asked_at: int, duplicate_of: int | None) -> None:
        self._trials[trial.number] = trial
        self._store(self._record(trial, asked_at, None, Finished(TrialState.RUNNING), None, duplicate_of))

    # ---------------------------------------------------------------- telling
    def finish(self, trial: Trial, finished: Finished) -> TrialRecord:
        """Record the evaluation of ``trial`` and tell the strategy."""
        key = trial.key
        if self._running.get(key) is not trial:
            raise ValueError(f"trial {trial.number} is not running")
        del self._running[key]
        if self.costs is not None and finished.state is not TrialState.FAIL:
            finished = replace(finished, metrics={**self.costs(trial.arch), **finished.metrics})
        record = self._answer(trial, self.records[trial.number].asked_at, finished, None)
        self._by_hash[key] = record
        for waiting in self._waiting.pop(key, []):
            self._answer(waiting, self.records[waiting.number].asked_at, self._as_duplicate(record), record.number)
        self._advance()
        self._last_evaluation_seconds = finished.wall_seconds
        if finished.wall_seconds >= SLOW_EVALUATION:
            self.flush()  # a result that took time to get is written at once
        else:
            self._flush_soon()
        return record

    def _answer(
        self, trial: Trial, asked_at: int, finished: Finished, duplicate_of: int | None, violates: str = ""
    ) -> TrialRecord:
        """Tell the strategy how ``trial`` ended: now, or (deterministic search) once every trial asked
        before it has been told; meanwhile its record has its state and no ``told_at``."""
        if self.window is None:
            return self._tell(trial, asked_at, finished, duplicate_of, violates)
        self._held[trial.number] = (trial, asked_at, finished, duplicate_of, violates)
        record = self._record(trial, asked_at, None, finished, None, duplicate_of, violates)
        self._store(record)
        return record

    def _advance(self) -> None:
        """Deterministic search: ask what the window allows, tell the held answer whose turn has come, and
        again, until neither moves. Each tell is followed by the asks it allows, as the window says."""
        if self.window is None:
            return
        while True:
            self._fill()
            if self._told not in self._held:
                return
            self._tell(*self._held.pop(self._told))
            self._told += 1

    @staticmethod
    def _as_duplicate(original: TrialRecord) -> Finished:
        return Finished(original.state, original.metrics, original.error)

    def _tell(
        self, trial: Trial, asked_at: int, finished: Finished, duplicate_of: int | None, violates: str = ""
    ) -> TrialRecord:
        state, error = finished.state, finished.error
        values = None
        if state is not TrialState.FAIL:
            values, why = self._objective_values(finished.metrics)
            if values is None:
                state, error = TrialState.FAIL, error or why
        self.strategy.tell(trial, Outcome(state, values))
        del self._trials[trial.number]
        if duplicate_of is None and not violates:
            self._evaluated_seconds += self.cost(finished.metrics, finished.wall_seconds)
        finished = Finished(state, finished.metrics, error, finished.wall_seconds, finished.extra)
        record = self._record(trial, asked_at, self._next_event(), finished, values, duplicate_of, violates)
        if self.time_budget is not None:
            record = replace(record, spent_seconds=round(self.spent_seconds(), 6))
        self._store(record)
        if self.on_record is not None:
            self.on_record(record)
        return record

    def _objective_values(self, metrics: Metrics) -> tuple[tuple[float, ...] | None, str]:
        """The objective values, or ``None`` and why not: a NaN or infinite metric or value cannot be
        compared, so it must neither become the best trial nor reach the strategy."""
        broken = [name for name, v in metrics.items() if isinstance(v, numbers.Real) and not math.isfinite(v)]
        if broken:
            return None, ", ".join(f"metric '{name}' is {metrics[name]}" for name in broken)
        try:
            values = self.objective.values(metrics)
        except (OverflowError, ZeroDivisionError) as exc:
            return None, f"the objective cannot be computed: {exc}"
        if not all(math.isfinite(v) for v in values):
            return None, f"the objective value is {', '.join(str(v) for v in values)}"
        return values, ""

    def _record(self, trial, asked_at, told_at, finished: Finished, values, duplicate_of, violates="") -> TrialRecord:
        return TrialRecord(
            number=trial.number,
            arch=trial.arch.to_string(),
            hash=trial.arch.hash_key,
            state=finished.state,
            metrics=dict(finished.metrics),
            values=values,
            seed=self.evaluation_seed(trial),
            wall_seconds=round(finished.wall_seconds, 6),
            asked_at=asked_at,
            told_at=told_at,
            error=finished.error,
            duplicate_of=duplicate_of,
            violates=violates,
            budget=trial.budget.key(),
            extra=dict(finished.extra),
        )

    def _store(self, record: TrialRecord) -> None:
        self.records[record.number] = record
        self._table.put(record.number, record.row())
        self._unwritten = True

    def flush(self) -> None:
        """Write the trial table now (atomically), if anything changed since it was last written."""
        if self.folder is not None and self._unwritten:
            started = time.monotonic()
            self.folder.write_table(self._table)
            self._written_at = time.monotonic()
            self._write_seconds = self._written_at - started
        self._unwritten = False

    def _flush_soon(self) -> None:
        """Fast events (table look-ups, repeated proposals) would cost time quadratic in the
        table's length if each rewrote it: they are written once the time since the last write is
        ``1 / WRITE_SHARE`` times what that write took (every few milliseconds for a short table,
        less often for a long one). The table on disk is always a snapshot of every event up to
        some moment, so replaying it restores the strategy exactly; the events after that moment
        are recomputed, identically, by the resumed strategy."""
        if time.monotonic() - self._written_at >= self._write_seconds / WRITE_SHARE:
            self.flush()

    # ----------------------------------------------------------------- resume
    def replay(self, records: list[TrialRecord]) -> None:
        """Restore the strategy and the bookkeeping from a stored trial table.

        Asks and tells are re-applied in their original order. Trials that were running when the
        previous driver stopped are queued to be evaluated again (or, for duplicates, told once
        their original finishes).
        """
        by_number = {r.number: r for r in records}
        if sorted(by_number) != list(range(len(by_number))):
            raise ResultsError("cannot resume: the trial table's numbers are not 0, 1, 2, ...")
        events = [(r.asked_at, r) for r in records] + [(r.told_at, r) for r in records if r.told_at is not None]
        trials: dict[int, Trial] = {}
        for at, record in sorted(events, key=lambda e: e[0]):
            if at == record.asked_at:
                trial = self.strategy.ask()
                if trial is None or trial.number != record.number or trial.arch.to_string() != record.arch:
                    found = "nothing" if trial is None else f"trial {trial.number} = {trial.arch}"
                    raise ResultsError(
                        f"cannot resume: the strategy replays {found} where the table has trial {record.number} = "
                        f"{record.arch}; were the run's configuration or trial table changed?"
                    )
                trials[record.number] = trial
            else:
                values = None if record.state is TrialState.FAIL else self.objective.values(record.metrics)
                trial = trials.pop(record.number)
                self.strategy.tell(trial, Outcome(record.state, values))
                self._store(record)
                if record.evaluated:
                    self._by_hash[trial.key] = record
                    self._started += 1
                    self._evaluated_seconds += self.cost(record.metrics, record.wall_seconds)
        self._events = 1 + max((e[0] for e in events), default=-1)
        self._told = len(records) - len(trials)
        if self.window is not None and any(n >= self._told for n in by_number if n not in trials):
            raise ResultsError("cannot resume: the trial table of a deterministic search was told out of order")
        for number in sorted(trials):  # asked and not told when the driver stopped
            trial, record = trials[number], by_number[number]
            self._store(record)
            self._trials[number] = trial
            key = trial.key
            if record.state is not TrialState.RUNNING:  # answered, waiting for its turn (deterministic search)
                answer = Finished(record.state, record.metrics, record.error, record.wall_seconds, record.extra)
                self._held[number] = (trial, record.asked_at, answer, record.duplicate_of, record.violates)
                if record.evaluated:
                    self._by_hash[key] = record
                    self._started += 1
            elif record.duplicate_of is None:
                self._started += 1
                self._queue.append(trial)
            elif key in self._by_hash:
                original = self._by_hash[key]
                self._answer(trial, record.asked_at, self._as_duplicate(original), original.number)
            else:
                self._waiting.setdefault(key, []).append(trial)
        self._advance()
        self.flush()

    def best(self) -> TrialRecord | None:
        """The completed evaluation with the largest first objective value."""
        return best_record(self.records.values())
