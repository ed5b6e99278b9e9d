"""Sweeps: networks x training-set sizes x epochs x seeds as one resumable run, on Ray or in process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from nasbench.errors import InvalidOption
from nasbench.results import read_records
from nasbench.scaling.sweep import Network, multiplier_family, sweep_points
from nasbench.search_spaces.mbconv import MBConvSpace
from nasbench.storage.run_folder import RunFolder
from nasbench.strategies.sweep import Sweep
from nasbench.trial import Budget, Trial

# two small networks x two training-set sizes of digits, one epoch each
SWEEP = ["sweep", "--width", "0.25", "0.5", "--train-size", "64", "128", "--epochs", "1", "--dataset", "digits",
         "--batch-size", "32", "--quiet"]  # fmt: skip
TIMING = ["wall_seconds", "train_seconds"]


def test_points_cover_the_grid_and_carry_their_budgets():
    networks = multiplier_family("tiny", [0.5, 1.0], [1.0], resolution=8)
    points = sweep_points(networks, [64, 256], [1, 2], replicates=2)
    assert len(points) == 2 * 2 * 2 * 2
    strategy = Sweep(MBConvSpace(base="tiny"), points=points)
    trials = [strategy.ask() for _ in points]
    assert strategy.ask() is None
    assert trials[0].budget == Budget(epochs=1, train_size=64, replicate=0)
    assert trials[1].budget == Budget(epochs=1, train_size=64, replicate=1)
    # the same network at another budget is another evaluation; the default budget keeps the plain hash
    assert len({t.key for t in trials}) == len(trials)
    assert Trial(0, trials[0].arch).key == trials[0].arch.hash_key


def test_bad_sweeps_are_refused():
    with pytest.raises(InvalidOption, match="needs its points"):
        Sweep(MBConvSpace(base="tiny"))
    with pytest.raises(InvalidOption, match="positive"):
        sweep_points([Network("a", "tiny")], [0])


def test_flags_are_checked_in_one_line(cli, tmp_path):
    code, _, err = cli("sweep", "--phi", "0", "--width", "1", "--out", str(tmp_path / "x"))
    assert code == 2 and "one way" in err and "Traceback" not in err
    code, _, err = cli("sweep", "--arch", "tiny", "--alpha", "1.2")
    assert code == 2 and "--phi only" in err


def _table(path) -> pd.DataFrame:
    return pd.read_csv(path / "trials.csv").drop(columns=TIMING)


def _sweep_process(*args) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "nasbench.cli", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_a_sweep_killed_and_resumed_equals_an_uninterrupted_one(tmp_path):
    whole = _sweep_process(*SWEEP, "--backend", "local", "--out", str(tmp_path / "whole"))
    assert whole.wait(timeout=600) == 0, whole.stderr.read().decode()

    killed = _sweep_process(*SWEEP, "--backend", "local", "--out", str(tmp_path / "killed"))
    trials = tmp_path / "killed" / "trials.csv"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:  # kill it once the first point has finished
        if trials.exists() and (pd.read_csv(trials).state == "COMPLETE").any():
            break
        time.sleep(0.2)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert len([r for r in read_records(RunFolder(tmp_path / "killed")) if r.state.value == "COMPLETE"]) < 4

    resumed = _sweep_process("sweep", "--resume", str(tmp_path / "killed"), "--quiet")
    assert resumed.wait(timeout=600) == 0, resumed.stderr.read().decode()
    pd.testing.assert_frame_equal(_table(tmp_path / "whole"), _table(tmp_path / "killed"))
    table = _table(tmp_path / "whole")
    assert list(table.train_examples) == [64, 128, 64, 128]
    assert (table.train_compute == 3 * table.macs * table.examples_seen).all()
    assert list(table.budget) == ["epochs=1,train_size=64", "epochs=1,train_size=128"] * 2


@pytest.mark.slow
def test_a_sweep_runs_on_ray_two_at_a_time(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    code, out, err = cli(*SWEEP, "--max-concurrent", "2", "--out", str(tmp_path / "ray"))
    assert code == 0, err
    table = pd.read_csv(tmp_path / "ray" / "trials.csv").sort_values("number")
    assert list(table.state) == ["COMPLETE"] * 4
    assert list(table.train_examples) == [64, 128, 64, 128]  # each trial trained on its own budget
    assert table.seed.nunique() == 4
