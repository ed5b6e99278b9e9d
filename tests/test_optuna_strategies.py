import json

import optuna
import pandas as pd
import pytest
from toy_space import ChainSpace

from nasbench import search as searching
from nasbench.backends.local import evaluate_in_process
from nasbench.config import SearchConfig
from nasbench.errors import ResultsError
from nasbench.objective import Objective, Target
from nasbench.results import read_records
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.session import SearchSession
from nasbench.storage.run_folder import RunFolder
from nasbench.strategies import OptunaNSGA2, OptunaTPE
from nasbench.trial import Outcome, TrialState

COST = Objective((Target("valid_accuracy"), Target("train_seconds", maximize=False)))


class StopAfter:
    """The table look-up, interrupted (as by Ctrl-C) when asked for evaluation number ``calls``."""

    def __init__(self, table, calls):
        self.table, self.calls = table, calls

    def __call__(self, arch, budget, *, seed, report=None):
        if self.calls == 0:
            raise KeyboardInterrupt
        self.calls -= 1
        return self.table(arch, budget)


def study_session(kind, folder, budget, seed=3):
    if kind == "tpe":
        strategy, objective = OptunaTPE(NB201Space(), seed=seed, storage=str(folder / "study.db")), Objective()
    else:
        strategy, objective = (
            OptunaNSGA2(NB201Space(), seed=seed, population_size=6, storage=str(folder / "study.db")),
            COST,
        )
    return SearchSession(strategy, objective, RunFolder(folder), budget, seed)


def resume_and_compare(kind, tmp_path, budget, table):
    """Resume the run in ``cut`` to the end; its trial table must equal the uninterrupted run's in ``full``."""
    resumed = study_session(kind, tmp_path / "cut", budget)
    resumed.replay(read_records(RunFolder(tmp_path / "cut")))
    evaluate_in_process(resumed, table)
    full = pd.read_csv(tmp_path / "full" / "trials.csv").drop(columns="wall_seconds")
    cut = pd.read_csv(tmp_path / "cut" / "trials.csv").drop(columns="wall_seconds")
    pd.testing.assert_frame_equal(full, cut)
    return cut


@pytest.mark.parametrize("kind", ["tpe", "nsga2"])
@pytest.mark.slow
def test_resume_from_the_sqlite_study_repeats_the_uninterrupted_run(kind, nb201_table, tmp_path):
    evaluate_in_process(study_session(kind, tmp_path / "full", 30), nb201_table)

    crashed = study_session(kind, tmp_path / "cut", 30)
    with pytest.raises(KeyboardInterrupt):
        evaluate_in_process(crashed, StopAfter(nb201_table, 15))  # trial 15 is RUNNING in the table and the study
    cut = resume_and_compare(kind, tmp_path, 30, nb201_table)
    assert (cut.duplicate_of.isna()).sum() == 30

    study = optuna.load_study(study_name="nasbench", storage=f"sqlite:///{tmp_path / 'cut' / 'study.db'}")
    trials = study.get_trials()
    assert [t.number for t in trials] == list(cut.number)  # one Optuna trial per ask, none repeated
    assert all(t.state is optuna.trial.TrialState.COMPLETE for t in trials)
    assert [t.values[0] for t in trials] == list(cut.value if kind == "tpe" else cut.value_0)
    space = NB201Space()
    assert [space.from_decisions([t.params[f"d{i}"] for i in range(6)]).to_string() for t in trials] == list(cut.arch)
    assert [t.user_attrs["arch"] for t in trials] == list(cut.arch)


@pytest.mark.parametrize("kind", ["tpe", "nsga2"])
@pytest.mark.slow
def test_a_driver_stopped_inside_optunas_ask_resumes_to_the_uninterrupted_run(kind, nb201_table, tmp_path):
    """Optuna writes a trial, then its parameters one by one: a kill in between leaves a trial with
    some parameters (here d0 and d1). Resume must get past it and end with the uninterrupted trials."""
    evaluate_in_process(study_session(kind, tmp_path / "full", 24), nb201_table)

    crashed = study_session(kind, tmp_path / "cut", 24)
    with pytest.raises(KeyboardInterrupt):
        evaluate_in_process(crashed, StopAfter(nb201_table, 10))
    crashed.flush()
    study = optuna.load_study(study_name="nasbench", storage=f"sqlite:///{tmp_path / 'cut' / 'study.db'}")
    cut_short = study.ask()
    cut_short.suggest_categorical("d0", [0, 1, 2, 3, 4])
    cut_short.suggest_categorical("d1", [0, 1, 2, 3, 4])

    cut = resume_and_compare(kind, tmp_path, 24, nb201_table)
    states = [
        t.state
        for t in optuna.load_study(
            study_name="nasbench", storage=f"sqlite:///{tmp_path / 'cut' / 'study.db'}"
        ).get_trials()
    ]
    assert states.count(optuna.trial.TrialState.FAIL) == 1 and states[cut_short.number] is optuna.trial.TrialState.FAIL
    assert states.count(optuna.trial.TrialState.COMPLETE) == len(cut)  # one per ask, repeats included


def test_the_search_keeps_the_study_in_the_run_folder(nb201_dir, tmp_path):
    config = SearchConfig(
        space="nb201",
        strategy="tpe",
        evaluator="tabular",
        budget=12,
        seed=1,
        evaluator_options={"path": str(nb201_dir)},
    )
    searching.start(config, tmp_path / "run").run()
    searching.resume(tmp_path / "run", budget=20).run()
    study = optuna.load_study(study_name="nasbench", storage=f"sqlite:///{tmp_path / 'run' / 'study.db'}")
    table = pd.read_csv(tmp_path / "run" / "trials.csv")
    assert len(study.trials) == len(table) and (table.duplicate_of.isna()).sum() == 20
    options = json.loads((tmp_path / "run" / "config.json").read_text())["strategy_options"]
    assert "storage" not in options  # the study's path is the run's business, not a recorded option
    assert study.metric_names == ["valid_accuracy"]
    assert options == {
        "n_startup_trials": 10,
        "multivariate": None,
        "constant_liar": True,
        "starting_points": True,
    }  # every hyperparameter, as it ran


def test_a_study_of_another_kind_is_refused(tmp_path):
    OptunaNSGA2(ChainSpace(), seed=0, objectives=2, storage=str(tmp_path / "study.db")).ask()
    with pytest.raises(ResultsError, match="does not maximise 1 objective"):
        OptunaTPE(ChainSpace(), seed=0, storage=str(tmp_path / "study.db")).ask()
    with pytest.raises(ResultsError, match="not this space's decisions"):
        OptunaNSGA2(ChainSpace(layers=3), seed=0, objectives=2, storage=str(tmp_path / "study.db")).ask()


def test_nsga2_is_seeded_and_multi_objective(nb201_table):
    def front_trials(seed):
        nsga = OptunaNSGA2(NB201Space(), seed=seed, population_size=8)
        session = SearchSession(nsga, COST, None, 40, seed)
        evaluate_in_process(session, nb201_table)
        return [r.arch for r in sorted(session.records.values(), key=lambda r: r.number)], nsga

    a, nsga = front_trials(2)
    assert a == front_trials(2)[0] and a != front_trials(3)[0]
    study = nsga.study
    assert len(study.directions) == 2 and len(study.best_trials) >= 1
    generations = {t.system_attrs.get("NSGAIISampler:generation") for t in study.trials}
    assert len(generations) > 2  # it bred new generations


def test_failures_and_wrong_value_counts(nb201_table):
    tpe = OptunaTPE(ChainSpace(), seed=0)
    first, second = tpe.ask(), tpe.ask()  # asynchronous: two running at once
    tpe.tell(second, Outcome(TrialState.FAIL))
    with pytest.raises(ValueError, match="optimises 1 objective"):
        tpe.tell(first, Outcome(TrialState.COMPLETE, (1.0, 2.0)))
    tpe.tell(first, Outcome(TrialState.PRUNED, (1.0,)))  # stopped early: complete with its last value
    states = [t.state for t in tpe.study.trials]
    assert states == [optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL]
