"""The benchmark scripts at their smallest setting: they run, and write what docs/BENCHMARKS.md shows."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_script(*argv, cwd=ROOT):
    done = subprocess.run([sys.executable, *argv], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_strategy_benchmark_on_nb201(nb201_dir, tmp_path):
    script = str(ROOT / "benchmarks" / "nb201_strategies.py")
    common = ["--data", str(nb201_dir), "--dataset", "cifar100", "--seeds", "2", "--budgets", "3", "6"]
    stdout = run_script(script, *common, "--strategies", "random", "evo", "optuna", "--out", str(tmp_path))
    assert "| evo | " in stdout and "CPU ms per new network" in stdout
    table = pd.read_csv(tmp_path / "nb201_cifar100_strategies.csv")
    assert list(table.columns) == ["strategy", "seed", "queries", "test_accuracy"]
    assert len(table) == 3 * 2 * 2 and set(table.strategy) == {"random", "evo", "optuna"}
    curves = pd.read_csv(tmp_path / "nb201_cifar100_curves.csv")
    assert list(curves.columns) == ["strategy", "queries", "mean", "sem"] and curves.queries.max() == 6
    assert (tmp_path / "nb201_cifar100_regret.png").stat().st_size > 0

    # one more strategy added to the same tables, the others' rows kept
    run_script(script, *common, "--strategies", "bo", "--add", "--out", str(tmp_path))
    table = pd.read_csv(tmp_path / "nb201_cifar100_strategies.csv")
    assert set(table.strategy) == {"random", "evo", "optuna", "bo"} and len(table) == 4 * 2 * 2


def test_strategy_benchmark_on_a_registered_space_and_evaluator(nb201_dir, tmp_path):
    script = str(ROOT / "benchmarks" / "nb201_strategies.py")
    stdout = run_script(
        script,
        *("--space", "nb201", "--evaluator", "tabular", "-E", f"path={nb201_dir}"),
        *("--metric", "valid_accuracy", "--report", "test_accuracy", "--name", "mine"),
        *("--seeds", "1", "--budgets", "4", "--strategies", "random", "bo", "--out", str(tmp_path)),
    )
    assert "mine: test_accuracy of the best-by-valid_accuracy network" in stdout
    assert (tmp_path / "mine_strategies.csv").exists() and (tmp_path / "mine_regret.png").exists()


def test_strategy_benchmark_refuses_bad_options_in_one_line(tmp_path):
    script = str(ROOT / "benchmarks" / "nb201_strategies.py")
    done = subprocess.run(
        [sys.executable, script, "--evaluator", "tabular", "-E", "colour=red", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "takes no option 'colour'" in done.stderr
    assert "Traceback" not in done.stderr
