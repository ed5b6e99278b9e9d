"""Deterministic searches on Ray, several trials at once: the same seed writes the same trial table, a
driver killed at any moment resumes to it, and early stopping decides the same way every time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest
import ray_helpers

from nasbench.backends.ray import RayBackend
from nasbench.config import SearchConfig
from nasbench.objective import Objective
from nasbench.search import start
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.session import SearchSession
from nasbench.storage.run_folder import RunFolder
from nasbench.strategies import RegularizedEvolution

pytestmark = pytest.mark.slow
TESTS = Path(__file__).resolve().parent
#: columns that say where and how fast a trial ran, not what the search did
WHERE = ["wall_seconds", "train_seconds", "node_id", "node_ip", "attempts"]


def _table(run: Path) -> pd.DataFrame:
    return pd.read_csv(run / "trials.csv").drop(columns=WHERE, errors="ignore")


@pytest.mark.parametrize(
    "argv",
    [
        # the main job's command, smaller: NASNet candidates trained two at a time
        ["search", "--space", "nasnet", "--strategy", "evo", "--budget", "6", "--epochs", "1", "--cells", "1",
         "--filters", "8", "-E", "cpu_threads=1", "--max-concurrent", "2"],
        ["search", "--space", "nb201", "--benchmark", "nb201", "--backend", "ray", "--budget", "40",
         "--max-concurrent", "4"],
        ["sweep", "--width", "0.25", "0.5", "--train-size", "64", "128", "--epochs", "1", "--dataset", "digits",
         "--max-concurrent", "2"],
    ],
    ids=["nasnet", "nb201", "sweep"],
)  # fmt: skip
def test_the_same_command_twice_writes_the_same_trial_table(cli, tmp_path, argv):
    for name in ("first", "second"):
        code, _, err = cli(*argv, "--seed", "3", "--out", str(tmp_path / name), "--quiet")
        assert code == 0, err
    first, second = _table(tmp_path / "first"), _table(tmp_path / "second")
    pd.testing.assert_frame_equal(first, second)
    config = json.loads((tmp_path / "first" / "config.json").read_text())
    assert config["deterministic"] is True and config["window"] == 2 * int(argv[argv.index("--max-concurrent") + 1])


#: ``nasbench`` on the command line, with the gated table registered in process (as a notebook would)
DRIVER = """
import sys
sys.path.insert(0, {tests!r})
import nasbench, ray.cloudpickle, ray_helpers
from nasbench.cli import main
ray.cloudpickle.register_pickle_by_value(ray_helpers)  # Ray's workers cannot import the tests folder
nasbench.register_evaluator("gates", ray_helpers.Gates)
sys.exit(main())
"""
STOPS = (8, 16, 24)


def _evaluations(folder: Path) -> int:
    return len(list(folder.glob("evaluation-*")))


def test_a_driver_killed_at_three_moments_resumes_to_the_uninterrupted_search(nb201_dir, tmp_path):
    mark = uuid.uuid4().hex
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "NASBENCH_TEST_MARK": mark}
    gates, run = tmp_path / "gates", tmp_path / "run"
    gates.mkdir()
    cli = [sys.executable, "-c", DRIVER.format(tests=str(TESTS))]
    argv = ["search", "--space", "nb201", "--strategy", "evo", "--budget", "40", "--seed", "5", "--quiet"]
    gated = ["--evaluator", "gates", "-E", f"path={nb201_dir}", "-E", f"folder={gates}", "-E", "stops=8,16,24"]
    commands = [[*cli, *argv, *gated, "--max-concurrent", "2", "--out", str(run)]]
    commands += [[*cli, "search", "--resume", str(run), "--quiet"]] * len(STOPS)
    try:
        with open(tmp_path / "drivers.log", "w") as log:
            for stop, command in zip(STOPS, commands):
                driver = subprocess.Popen(command, env=env, stdout=log, stderr=log)
                deadline = time.monotonic() + 240
                while _evaluations(gates) <= stop and driver.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert driver.poll() is None, (tmp_path / "drivers.log").read_text()
                time.sleep(0.5)  # the other slot's trial runs on meanwhile, as it would in a real kill
                driver.send_signal(signal.SIGKILL)
                driver.wait()
                (gates / f"open-{stop}").touch()
            last = subprocess.run(commands[-1], env=env, capture_output=True, text=True, timeout=300)
        assert last.returncode == 0, last.stderr
    finally:
        ray_helpers.end_processes_marked(mark, grace=1)
    # the same search in process, one trial at a time with the same window: what the window decides
    config = SearchConfig(
        space="nb201", strategy="evo", evaluator="tabular", budget=40, seed=5,
        evaluator_options={"path": str(nb201_dir)}, strategy_options={"population_size": 20, "tournament_size": 5},
    )  # fmt: skip
    stopped = json.loads((run / "config.json").read_text())
    config.strategy_options, config.window = stopped["strategy_options"], stopped["window"]
    start(config, tmp_path / "whole").run()
    pd.testing.assert_frame_equal(_table(run), _table(tmp_path / "whole"))


@pytest.fixture(scope="module")
def ray_two_cpus():
    print_before = ray_helpers.connect(num_cpus=2)
    try:
        yield
    finally:
        ray_helpers.disconnect(print_before)


def test_deterministic_early_stopping_prunes_the_same_trials_every_time(nb201_table, tmp_path, ray_two_cpus):
    tables = []
    for name in ("first", "second"):
        evaluator = ray_helpers.Curves(nb201_table, epochs=4)
        strategy = RegularizedEvolution(NB201Space(), seed=2, population_size=6, tournament_size=3)
        session = SearchSession(
            strategy, Objective(), RunFolder(tmp_path / name), 24, 2, trial_budget=evaluator.budget_defaults(), window=2
        )
        (tmp_path / name).mkdir()
        RayBackend(max_concurrent=2, scheduler="asha", reduction_factor=2).run(
            session, NB201Space(), evaluator, tmp_path / name
        )
        tables.append(_table(tmp_path / name))
    pd.testing.assert_frame_equal(tables[0], tables[1])
    evaluated = tables[0][tables[0].duplicate_of.isna()]
    assert (evaluated.state == "PRUNED").sum() > 0 and evaluated.epoch_values.notna().all()
