import json
import subprocess
import sys

import pandas as pd
import pytest



def test_search_on_the_benchmark_prints_the_best_and_resumes(cli, nb201_dir, tmp_path):
    out = tmp_path / "run"
    code, stdout, _ = cli("search", "--space", "nb201", "--strategy", "evo", "--benchmark", str(nb201_dir), "--budget", "40", "--seed", "0", "--out", str(out), "--backend", "local")
    assert code == 0
    assert "best: trial" in stdout and "valid_accuracy" in stdout and str(out / "trials.csv") in stdout
    table = pd.read_csv(out / "trials.csv")
    assert (table.duplicate_of.isna()).sum() == 40
    config = json.loads((out / "config.json").read_text())
    assert config["space"] == "nb201" and config["budget"] == 40

    code, stdout, _ = cli("search", "--resume", str(out), "--budget", "60")
    assert code == 0
    assert (pd.read_csv(out / "trials.csv").duplicate_of.isna()).sum() == 60


def test_listing(cli):
    code, stdout, _ = cli("spaces")
    assert code == 0 and "nb201" in stdout
    code, stdout, _ = cli("strategies")
    assert code == 0 and "evo" in stdout and "random" in stdout


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--space", "nope"], "unknown space 'nope'; choose from:"),
        (["--space", "nb201", "--strategy", "nope"], "unknown strategy 'nope'; choose from:"),
        (["--space", "nb201", "--benchmark", "/no/such/dir"], "does not exist"),
        (["--space", "nb201", "--budget", "0", "--benchmark", "{nb201}"], "budget must be a positive"),
        (["--space", "nb201", "-S", "population=3", "--benchmark", "{nb201}"], "takes no option 'population'"),
        (["--space", "nb201", "-S", "population_size=many", "--benchmark", "{nb201}"], "takes a int"),
        (["--space", "nb201", "--objective", "accuracy:up", "--benchmark", "{nb201}"], "should read METRIC"),
        (["--space", "nb201", "--objective", "flops", "--benchmark", "{nb201}", "--budget", "3"], "reports no metric flops"),
        (["--budget", "ten"], "invalid int value"),
        (["--resume", "/no/such/run"], "no run folder at /no/such/run"),
        (["--space", "nb201", "--benchmark", "{nb201}", "--scheduler", "asha"], "early stopping needs candidates trained for more than"),
        (["--space", "nb201", "--benchmark", "{nb201}", "--backend", "local", "--max-concurrent", "2"], "--max-concurrent apply to --backend ray only"),
        (["--space", "nb201", "--benchmark", "{nb201}", "--cpus-per-trial", "0"], "cpus_per_trial must be positive"),
        (["--space", "nb201", "--benchmark", "{nb201}", "--max-failures", "-1"], "max_failures must be 0 or more"),
        (["--space", "nb201", "--backend", "dask"], "invalid choice: 'dask'"),
        (["--space", "nb201", "--benchmark", "{nb201}", "--address", "127.0.0.1:1"], "cannot reach the Ray cluster at 127.0.0.1:1"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(cli, nb201_dir, tmp_path, argv, message):
    argv = [a.replace("{nb201}", str(nb201_dir)) for a in argv]
    code, _, err = cli("search", "--out", str(tmp_path / "r"), *argv) if "--resume" not in argv else cli("search", *argv)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "r").exists()  # nothing half-written


def test_an_existing_run_is_never_overwritten(cli, nb201_dir, tmp_path):
    args = ["search", "--space", "nb201", "--benchmark", str(nb201_dir), "--budget", "5", "--out", str(tmp_path), "--backend", "local"]
    assert cli(*args)[0] == 0
    before = (tmp_path / "trials.csv").read_bytes()
    code, _, err = cli(*args)
    assert code == 2 and "already holds a run" in err
    assert (tmp_path / "trials.csv").read_bytes() == before


def test_corrupt_results_are_reported_without_touching_them(cli, tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    code, _, err = cli("search", "--resume", str(tmp_path))
    assert code == 2 and "corrupt" in err and (tmp_path / "config.json").read_text() == "{not json"


def test_console_entry_point_exits_cleanly_on_bad_input():
    proc = subprocess.run([sys.executable, "-m", "nasbench.cli", "search", "--space", "nope"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "unknown space 'nope'" in proc.stderr
