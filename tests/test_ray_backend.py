"""The Ray Tune backend on an embedded local Ray (one instance for the whole module)."""

import json

import pandas as pd
import pytest
import ray_helpers

from nasbench.backends.ray import RayBackend
from nasbench.cli import main
from nasbench.objective import Objective
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.session import SearchSession
from nasbench.storage.run_folder import RunFolder
from nasbench.strategies import RandomSearch
from nasbench.trial import TrialState

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RAY_AUTH_MODE", "disabled")
        print_before = ray_helpers.connect(num_cpus=2)
        yield
        ray_helpers.disconnect(print_before)


class Listening(RandomSearch):
    """Random search that remembers what it was told."""

    def __init__(self, space, *, seed=0):
        super().__init__(space, seed=seed)
        self.heard = {}

    def tell(self, trial, outcome):
        self.heard[trial.number] = outcome


def search(folder, evaluator, budget, seed=0, **options):
    strategy = Listening(NB201Space(), seed=seed)
    trial_budget = evaluator.budget_defaults()
    session = SearchSession(strategy, Objective(), RunFolder(folder), budget, seed, trial_budget=trial_budget)
    RayBackend(**options).run(session, NB201Space(), evaluator, folder)
    return strategy, pd.read_csv(folder / "trials.csv")


def test_a_digits_search_runs_two_trials_at_once(tmp_path):
    out = tmp_path / "run"
    argv = ["search", "--space", "nb201", "--strategy", "random", "--cells", "1", "--filters", "4", "--epochs", "1"]
    assert main([*argv, "--budget", "4", "--max-concurrent", "2", "--window", "2", "--out", str(out), "--quiet"]) == 0
    table = pd.read_csv(out / "trials.csv")
    assert list(table.state) == ["COMPLETE"] * 4 and (table.params > 0).all() and (table.epochs == 1).all()
    assert table.valid_accuracy.max() > 20  # trained: chance is 10 % on 10 classes
    assert set(table.attempts) == {1} and table.node_id.str.len().min() > 0
    # two at once: two trials were handed out before the first result came back, to two worker processes
    assert (table.asked_at < table.told_at.min()).sum() == 2
    results = [
        json.loads(line)
        for f in (out / "tune" / "search-0").glob("trial_*/result.json")
        for line in f.read_text().splitlines()
    ]
    assert {r["config"]["number"] for r in results} == {0, 1, 2, 3}
    assert len({r["pid"] for r in results}) >= 2
    config = json.loads((out / "config.json").read_text())
    assert config["backend"] == "ray" and config["backend_options"]["max_concurrent"] == 2


@pytest.mark.parametrize("crash", [False, True], ids=["raises", "worker-dies"])
def test_a_candidate_that_fails_its_first_attempt_succeeds_on_its_retry(nb201_table, tmp_path, crash):
    markers = tmp_path / "markers"
    markers.mkdir()
    _, table = search(tmp_path, ray_helpers.FailsFirst(nb201_table, markers, crash=crash), budget=2, max_failures=1)
    assert list(table.state) == ["COMPLETE", "COMPLETE"] and list(table.attempts) == [2, 2]
    assert sorted(p.name for p in markers.iterdir()) == sorted(table.hash)  # each failed once
    space = NB201Space()
    assert list(table.valid_accuracy) == [nb201_table(space.decode(a), None)["valid_accuracy"] for a in table.arch]


def test_a_table_look_up_trial_does_not_import_torch(nb201_table, tmp_path):
    """Each trial process is a fresh one: importing torch there would cost it seconds for nothing."""
    _, table = search(tmp_path, ray_helpers.ImportsSeen(nb201_table), budget=1)
    assert list(table.state) == ["COMPLETE"] and list(table.torch_imported) == [0.0]


def test_retries_run_out_and_the_search_goes_on(nb201_table, tmp_path):
    strategy, table = search(tmp_path, ray_helpers.Broken(nb201_table), budget=4, seed=2, max_failures=1)
    assert len(table) == 4 and (table.state == "FAIL").all() and "value" not in table
    broken = table[table.arch.str.startswith("|nor_conv")]
    diverged = table[~table.arch.str.startswith("|nor_conv")]
    assert len(broken) and len(diverged)
    assert set(broken.error) == {"RuntimeError: broken for good"} and set(broken.attempts) == {2}  # retried once
    assert set(diverged.error) == {"diverged"} and set(diverged.attempts) == {
        1
    }  # a candidate's own failure: not retried
    assert all(o.state is TrialState.FAIL for o in strategy.heard.values())


def test_asha_stops_weak_candidates_and_the_strategy_hears_pruned(nb201_table, tmp_path):
    epochs = 4
    strategy, table = search(
        tmp_path,
        ray_helpers.Curves(nb201_table, epochs),
        budget=10,
        seed=1,
        max_concurrent=1,
        scheduler="asha",
        reduction_factor=2,
    )
    pruned, complete = table[table.state == "PRUNED"], table[table.state == "COMPLETE"]
    assert len(pruned) and len(complete) and len(pruned) + len(complete) == 10
    assert (complete.epochs == epochs).all() and complete.test_accuracy.notna().all()
    assert (pruned.epochs < epochs).all() and pruned.test_accuracy.isna().all()  # stopped before its last epoch
    space = NB201Space()
    for row in pruned.itertuples():
        reached = nb201_table(space.decode(row.arch), None)["valid_accuracy"] * row.epochs / epochs
        assert row.valid_accuracy == pytest.approx(reached) and row.value == row.valid_accuracy
        heard = strategy.heard[row.number]
        assert heard.state is TrialState.PRUNED and heard.values == pytest.approx((row.value,))
