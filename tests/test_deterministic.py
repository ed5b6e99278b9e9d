"""A deterministic search is a function of its seed at any concurrency, and resumes exactly.

``Jostling`` stands in for a backend that runs several trials at once: it keeps ``slots`` trials
running and ends them in an order drawn from its own "timing" generator, as a loaded machine would.
With a window, every timing gives the same trial table; without one, timing changes the search.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nasbench.backend import Backend
from nasbench.evaluator import run_evaluation
from nasbench.objective import Objective
from nasbench.results import read_records
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.session import SearchSession
from nasbench.storage.run_folder import RunFolder
from nasbench.strategies import OptunaTPE, RandomSearch, RegularizedEvolution, Reinforce, WLBayesOpt

STRATEGIES = {
    "evo": lambda space, seed: RegularizedEvolution(space, seed=seed, population_size=8, tournament_size=3),
    "rl": lambda space, seed: Reinforce(space, seed=seed, batch_size=2),
    "bo": lambda space, seed: WLBayesOpt(space, seed=seed, n_initial=5, pool_random=30),
    "tpe": lambda space, seed: OptunaTPE(space, seed=seed, n_startup_trials=5),
    "random": lambda space, seed: RandomSearch(space, seed=seed),
}
#: what depends on where and how fast a trial ran, not on what the search did
TIMING = ["wall_seconds"]


class Stop(Exception):
    """The driver dies after a number of results."""


class Jostling(Backend):
    """Up to ``slots`` trials at once, each ended at a moment drawn from ``timing`` (not the search's seed)."""

    def __init__(self, slots: int = 3, timing: int = 0, stop_after: int | None = None) -> None:
        self.slots, self.timing, self.stop_after = slots, timing, stop_after
        self.evaluated = 0

    def run(self, session, space, evaluator, folder) -> None:
        rng, running = np.random.default_rng(self.timing), []
        while not session.done():
            while len(running) < self.slots and (trial := session.next_trial()) is not None:
                running.append(trial)
            if not running:
                raise AssertionError("the session hands out nothing although nothing runs")
            trial = running.pop(int(rng.integers(len(running))))
            budget, seed = session.budget_of(trial), session.evaluation_seed(trial)
            session.finish(trial, run_evaluation(evaluator, trial.arch, budget, seed=seed))
            self.evaluated += 1
            if self.evaluated == self.stop_after:
                session.flush()
                raise Stop


def _search(table, strategy: str, folder=None, window: int | None = 3, replay=None, **backend) -> pd.DataFrame:
    session = SearchSession(
        STRATEGIES[strategy](NB201Space(), 7), Objective(), folder and RunFolder(folder), 40, 7, window=window
    )
    if replay is not None:
        session.replay(replay)
    jostling = Jostling(**backend)
    jostling.run(session, NB201Space(), table, folder)
    session.flush()
    rows = pd.DataFrame([r.row() for r in sorted(session.records.values(), key=lambda r: r.number)])
    return rows.assign(evaluated_here=jostling.evaluated) if replay is not None else rows


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_the_same_seed_gives_the_same_search_whatever_the_timing(nb201_table, strategy):
    tables = [_search(nb201_table, strategy, timing=t).drop(columns=TIMING) for t in range(4)]
    for table in tables[1:]:
        pd.testing.assert_frame_equal(table, tables[0])
    # the window, not the backend, decides the search: one slot at a time with the same window agrees
    pd.testing.assert_frame_equal(_search(nb201_table, strategy, slots=1).drop(columns=TIMING), tables[0])


def test_without_a_window_the_timing_changes_the_search(nb201_table):
    tables = [_search(nb201_table, "evo", window=None, timing=t).drop(columns=TIMING) for t in range(4)]
    assert any(not table.equals(tables[0]) for table in tables[1:])


@pytest.mark.parametrize("strategy", ["evo", "bo", "rl"])
@pytest.mark.parametrize("stop_after", [5, 17, 31])
def test_a_run_stopped_with_trials_running_resumes_to_the_uninterrupted_one(
    nb201_table, tmp_path, strategy, stop_after
):
    whole = _search(nb201_table, strategy, timing=1)
    with pytest.raises(Stop):
        _search(nb201_table, strategy, tmp_path, timing=2, stop_after=stop_after)
    on_record = read_records(RunFolder(tmp_path))
    resumed = _search(nb201_table, strategy, tmp_path, timing=3, replay=on_record)
    pd.testing.assert_frame_equal(resumed.drop(columns=[*TIMING, "evaluated_here"]), whole.drop(columns=TIMING))
    # what was on record, results held for their turn included, is not evaluated again
    done = sum(r.evaluated and r.state.value != "RUNNING" for r in on_record)
    assert resumed.evaluated_here[0] == 40 - done
