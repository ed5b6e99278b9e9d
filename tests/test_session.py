import shutil
import time

import pandas as pd
import pytest

from nasbench import session as sessions
from nasbench.backends.local import evaluate_in_process
from nasbench.errors import CandidateFailed, ResultsError
from nasbench.objective import Objective
from nasbench.results import read_records, read_trials
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.session import SearchSession
from nasbench.storage.run_folder import RunFolder
from nasbench.strategies import RegularizedEvolution
from nasbench.trial import TrialState


class Counting:
    """Wraps the table look-up: counts calls, fails some networks, can stop the driver."""

    def __init__(self, table, fail_ops=(), interrupt_at=None):
        self.table, self.fail_ops, self.interrupt_at, self.calls = table, fail_ops, interrupt_at, []

    def __call__(self, arch, budget, *, seed, report=None):
        if self.interrupt_at is not None and len(self.calls) == self.interrupt_at:
            raise KeyboardInterrupt
        self.calls.append(arch.hash_key)
        if arch.ops[0] in self.fail_ops:
            raise CandidateFailed("diverged")
        if arch.ops[1] in self.fail_ops:
            raise RuntimeError("boom")
        return self.table(arch, budget)


def session(folder, seed=0, budget=60):
    evo = RegularizedEvolution(NB201Space(), seed=seed, population_size=10, tournament_size=3)
    return SearchSession(evo, Objective(), folder, budget, seed)


def test_duplicates_are_answered_from_cache(nb201_table, tmp_path):
    s = session(RunFolder(tmp_path), budget=80)
    evaluator = Counting(nb201_table)
    evaluate_in_process(s, evaluator)
    assert len(evaluator.calls) == 80 == len(set(evaluator.calls))
    table = pd.read_csv(tmp_path / "trials.csv")
    dups = table[table.duplicate_of.notna()]
    assert len(dups) > 0 and len(table) == 80 + len(dups)
    original = table.set_index("number").loc[dups.duplicate_of.astype(int)]
    assert list(dups.hash) == list(original.hash)
    assert list(dups.valid_accuracy) == list(original.valid_accuracy)


def test_failures_are_recorded_and_the_search_goes_on(nb201_table, tmp_path):
    s = session(RunFolder(tmp_path), budget=40)
    evaluate_in_process(s, Counting(nb201_table, fail_ops=("avg_pool_3x3",)))
    table = pd.read_csv(tmp_path / "trials.csv")
    failed = table[table.state == "FAIL"]
    assert set(failed.error) == {"diverged", "RuntimeError: boom"}
    assert (table.state == "COMPLETE").sum() > 0 and failed.value.isna().all()


def test_table_has_what_notebooks_need(nb201_table, tmp_path):
    evaluate_in_process(session(RunFolder(tmp_path), budget=20), nb201_table)
    table = pd.read_csv(tmp_path / "trials.csv")
    for column in (
        "number",
        "arch",
        "hash",
        "state",
        "value",
        "valid_accuracy",
        "test_accuracy",
        "seed",
        "wall_seconds",
    ):
        assert column in table.columns
    assert list(table.number) == list(range(len(table)))
    assert not list(tmp_path.glob(".*tmp"))  # atomic writes leave no temporaries


def test_resume_after_interrupt_gives_the_uninterrupted_trials(nb201_table, tmp_path):
    full = session(RunFolder(tmp_path / "full"), seed=5)
    evaluate_in_process(full, nb201_table)

    cut = session(RunFolder(tmp_path / "cut"), seed=5)
    with pytest.raises(KeyboardInterrupt):
        evaluate_in_process(cut, Counting(nb201_table, interrupt_at=25))
    stored = read_records(RunFolder(tmp_path / "cut"))
    assert any(r.state is TrialState.RUNNING for r in stored)  # the interrupted trial is on record

    resumed = session(RunFolder(tmp_path / "cut"), seed=5)
    resumed.replay(stored)
    evaluator = Counting(nb201_table)
    evaluate_in_process(resumed, evaluator)
    assert len(evaluator.calls) == 60 - 25  # nothing evaluated twice
    a = pd.read_csv(tmp_path / "full" / "trials.csv").drop(columns="wall_seconds")
    b = pd.read_csv(tmp_path / "cut" / "trials.csv").drop(columns="wall_seconds")
    pd.testing.assert_frame_equal(a, b)


def test_resume_refuses_a_table_from_another_seed(nb201_table, tmp_path):
    evaluate_in_process(session(RunFolder(tmp_path), seed=1, budget=10), nb201_table)
    other = session(RunFolder(tmp_path), seed=2)
    with pytest.raises(ResultsError, match="cannot resume"):
        other.replay(read_records(RunFolder(tmp_path)))


def test_corrupt_tables_are_reported(tmp_path):
    (tmp_path / "trials.csv").write_text("number,arch\n0,x\n")
    with pytest.raises(ResultsError, match="missing columns"):
        read_records(RunFolder(tmp_path))
    (tmp_path / "trials.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ResultsError, match="corrupt"):
        read_records(RunFolder(tmp_path))


def test_an_exhausted_space_ends_the_search_with_what_it_found(tmp_path):
    """A toy space of 2^3 = 8 chains and a budget of 20: the search stops after the 8, keeping its best."""
    from toy_space import ChainSpace

    from nasbench.strategies import RandomSearch

    space = ChainSpace(layers=3, ops=2)
    folder = RunFolder(tmp_path)
    run = SearchSession(RandomSearch(space, seed=0), Objective(), folder, 20, 0)
    evaluate_in_process(run, lambda arch, budget, *, seed, report=None: {"valid_accuracy": space.reward(arch)})
    assert "the space looks exhausted after 8 networks" in run.exhausted
    assert run.done() and run.best().metrics["valid_accuracy"] == 3.0
    table = read_trials(folder)
    assert table.duplicate_of.isna().sum() == 8 and (table.state == "COMPLETE").all()


class Watching:
    """A slow table look-up (it takes the write interval), checking the table on disk as each
    evaluation runs; one network's metric is NaN."""

    def __init__(self, table, folder, nan_at):
        self.table, self.folder, self.nan_at, self.finished = table, folder, nan_at, 0

    def __call__(self, arch, budget, *, seed, report=None):
        rows = pd.read_csv(self.folder / "trials.csv")
        evaluations = rows[rows.duplicate_of.isna()]
        assert evaluations.state.iloc[-1] == "RUNNING"  # this one, while it runs
        assert (evaluations.state.iloc[:-1] != "RUNNING").sum() == self.finished  # every earlier result, at once
        self.finished += 1
        time.sleep(sessions.SLOW_EVALUATION)
        metrics = dict(self.table(arch, budget))
        if self.finished == self.nan_at:
            metrics["valid_accuracy"] = float("nan")
        return metrics


def test_slow_evaluations_are_on_disk_while_they_run_and_resume_past_a_nan(nb201_table, tmp_path, monkeypatch):
    monkeypatch.setattr(sessions, "SLOW_EVALUATION", 0.05)  # "slow": at least this long
    first = session(RunFolder(tmp_path), seed=4, budget=12)
    evaluate_in_process(first, Watching(nb201_table, tmp_path, nan_at=3))
    stored = read_records(RunFolder(tmp_path))
    nan_trial = [r for r in stored if r.error == "metric 'valid_accuracy' is nan"]
    assert len(nan_trial) == 1 and nan_trial[0].state is TrialState.FAIL
    assert pd.read_csv(tmp_path / "trials.csv", keep_default_na=False, na_values=[""]).valid_accuracy.dtype == float

    resumed = session(RunFolder(tmp_path), seed=4, budget=20)
    resumed.replay(stored)
    evaluate_in_process(resumed, nb201_table)
    assert sum(r.evaluated for r in resumed.records.values()) == 20


class Snapshot:
    """The table look-up; at evaluation ``at`` it copies the run folder as it is on disk, as a
    SIGKILL at that moment would leave it (the in-memory table is not flushed first)."""

    def __init__(self, table, folder, copy, at):
        self.table, self.folder, self.copy, self.at, self.calls = table, folder, copy, at, 0

    def __call__(self, arch, budget, *, seed, report=None):
        self.calls += 1
        if self.calls == self.at:
            shutil.copytree(self.folder, self.copy)
        return self.table(arch, budget)


def test_fast_evaluations_are_batched_and_a_killed_run_still_resumes_exactly(nb201_table, tmp_path):
    full = session(RunFolder(tmp_path / "full"), seed=6, budget=80)
    evaluate_in_process(full, Snapshot(nb201_table, tmp_path / "full", tmp_path / "killed", at=50))
    on_disk = read_records(RunFolder(tmp_path / "killed"))  # look-ups are fast: this lags behind the 49 done

    resumed = session(RunFolder(tmp_path / "killed"), seed=6, budget=80)
    resumed.replay(on_disk)
    evaluate_in_process(resumed, nb201_table)
    a = pd.read_csv(tmp_path / "full" / "trials.csv").drop(columns="wall_seconds")
    b = pd.read_csv(tmp_path / "killed" / "trials.csv").drop(columns="wall_seconds")
    pd.testing.assert_frame_equal(a, b)
