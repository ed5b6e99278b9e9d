import json
import subprocess
import sys

import pandas as pd
import pytest


def test_search_on_the_benchmark_prints_the_best_and_resumes(cli, nb201_dir, tmp_path):
    out = tmp_path / "run"
    code, stdout, _ = cli(
        "search",
        "--space",
        "nb201",
        "--strategy",
        "evo",
        "--benchmark",
        str(nb201_dir),
        "--budget",
        "40",
        "--seed",
        "0",
        "--out",
        str(out),
        "--backend",
        "local",
    )
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
        (
            ["--space", "nb201", "--objective", "flops", "--benchmark", "{nb201}", "--budget", "3"],
            "reports no metric flops",
        ),
        (
            ["--space", "nb201", "--benchmark", "{nb201}/test_200ep_seedavg_3datasets.csv", "--budget", "3"],
            "map one with --metric",
        ),
        (["--budget", "ten"], "invalid int value"),
        (["--resume", "/no/such/run"], "no run folder at /no/such/run"),
        (["--space", "nb201", "--device", "gpu0"], "unknown device 'gpu0'"),
        (["--space", "nb201", "--device", "cuda:99", "--budget", "1"], "device 'cuda:99' is not on this machine"),
        (
            ["--space", "nb201", "--device", "cuda:99", "--budget", "1", "--backend", "local"],
            "device 'cuda:99' is not on this machine",
        ),
        (["--space", "nb201", "--data-dir", "/no/such/dir"], "digits is embedded and reads no --data-dir"),
        (
            ["--space", "nb201", "--benchmark", "{nb201}", "--scheduler", "asha"],
            "early stopping needs candidates trained for more than",
        ),
        (
            ["--space", "nb201", "--benchmark", "{nb201}", "--backend", "local", "--max-concurrent", "2"],
            "--max-concurrent applies to --backend ray only",
        ),
        (["--space", "nb201", "--benchmark", "{nb201}", "--cpus-per-trial", "0"], "cpus_per_trial must be positive"),
        (["--space", "nb201", "--cpus-per-trial", "999"], "--cpus-per-trial 999 is more than the"),
        (["--space", "nb201", "--benchmark", "{nb201}", "--max-failures", "-1"], "max_failures must be 0 or more"),
        (["--space", "nb201", "--backend", "dask"], "unknown backend 'dask'; choose from: local, ray"),
        (
            ["--space", "nb201", "--benchmark", "{nb201}", "--address", "127.0.0.1:1"],
            "cannot reach the Ray cluster at 127.0.0.1:1",
        ),
    ],
)
def test_bad_input_is_one_line_and_non_zero(cli, nb201_dir, tmp_path, argv, message):
    argv = [a.replace("{nb201}", str(nb201_dir)) for a in argv]
    code, _, err = (
        cli("search", "--out", str(tmp_path / "r"), *argv) if "--resume" not in argv else cli("search", *argv)
    )
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "r").exists()  # nothing half-written


def test_an_existing_run_is_never_overwritten(cli, nb201_dir, tmp_path):
    args = [
        "search",
        "--space",
        "nb201",
        "--benchmark",
        str(nb201_dir),
        "--budget",
        "5",
        "--out",
        str(tmp_path),
        "--backend",
        "local",
    ]
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
    proc = subprocess.run(
        [sys.executable, "-m", "nasbench.cli", "search", "--space", "nope"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "unknown space 'nope'" in proc.stderr


def test_paths_are_stored_absolute_so_runs_resume_from_anywhere(cli, nb201_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(nb201_dir.parent)
    out = tmp_path / "run"
    args = [
        "search",
        "--space",
        "nb201",
        "--benchmark",
        nb201_dir.name,
        "--budget",
        "4",
        "--out",
        str(out),
        "--backend",
        "local",
    ]
    assert cli(*args)[0] == 0
    assert json.loads((out / "config.json").read_text())["evaluator_options"]["path"] == str(nb201_dir.resolve())
    monkeypatch.chdir(tmp_path)
    assert cli("search", "--resume", str(out), "--budget", "6")[0] == 0


def test_a_run_is_driven_by_one_process_at_a_time(nb201_dir, tmp_path):
    from nasbench import search as searching
    from nasbench.config import SearchConfig
    from nasbench.errors import ResultsError

    config = SearchConfig(
        space="nb201", strategy="evo", evaluator="tabular", budget=5, evaluator_options={"path": str(nb201_dir)}
    )
    first = searching.start(config, tmp_path)
    with pytest.raises(ResultsError, match="in use by another nasbench process"):
        searching.resume(tmp_path)
    first.run()  # returning lets go of the folder
    searching.resume(tmp_path).release()


def test_resume_cannot_shrink_the_budget_below_what_was_evaluated(cli, nb201_dir, tmp_path):
    assert (
        cli(
            "search",
            "--space",
            "nb201",
            "--benchmark",
            str(nb201_dir),
            "--budget",
            "5",
            "--out",
            str(tmp_path),
            "--backend",
            "local",
        )[0]
        == 0
    )
    code, _, err = cli("search", "--resume", str(tmp_path), "--budget", "3")
    assert code == 2 and "below the 5 networks this run has already evaluated" in err
    assert json.loads((tmp_path / "config.json").read_text())["budget"] == 5


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--metric", "seed=valid-accuracy", "--objective", "seed"], "metric name seed is a column of the trial table"),
        (["--metric", "value=valid-accuracy"], "metric name value is a column"),
    ],
)
def test_metrics_cannot_take_the_names_of_table_columns(cli, nb201_dir, tmp_path, argv, message):
    code, _, err = cli("search", "--space", "nb201", "--benchmark", str(nb201_dir), "--out", str(tmp_path / "r"), *argv)
    assert code == 2 and message in err and not (tmp_path / "r").exists()


def test_out_must_be_a_folder(cli, nb201_dir, tmp_path):
    (tmp_path / "file").write_text("keep me")
    code, _, err = cli(
        "search",
        "--space",
        "nb201",
        "--benchmark",
        str(nb201_dir),
        "--budget",
        "2",
        "--out",
        str(tmp_path / "file"),
        "--backend",
        "local",
    )
    assert code == 2 and "is a file" in err and (tmp_path / "file").read_text() == "keep me"


@pytest.mark.parametrize(
    "config, message",
    [
        (
            {"space": "nb201", "strategy": "evo", "evaluator": "tabular", "budget": 3, "space_options": [1]},
            "space_options should be an object",
        ),
        ({"space": "nb201", "strategy": "evo", "evaluator": "tabular", "budget": -3}, "budget must be a positive"),
        ({"space": 5, "strategy": "evo", "evaluator": "tabular", "budget": 3}, "space should be a name"),
        (
            {"space": "nb201", "strategy": "evo", "evaluator": "tabular", "budget": 3, "objective": {"x": 1}},
            "malformed objective",
        ),
    ],
)
def test_malformed_configurations_are_one_line(cli, tmp_path, config, message):
    (tmp_path / "config.json").write_text(json.dumps(config))
    code, _, err = cli("search", "--resume", str(tmp_path))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_budget_defaults_reach_python_runs_too(nb201_dir, tmp_path):
    """Evolution's population shrinks for small budgets through the API as on the command line."""
    from nasbench import search as searching
    from nasbench.config import SearchConfig

    config = SearchConfig(
        space="nb201", strategy="evo", evaluator="tabular", budget=12, evaluator_options={"path": str(nb201_dir)}
    )
    search = searching.start(config, tmp_path)
    assert search.strategy.population_size == 3
    search.release()
    assert json.loads((tmp_path / "config.json").read_text())["strategy_options"] == {
        "population_size": 3,
        "tournament_size": 2,
        "starting_points": True,
    }


def test_benchmark_look_ups_run_in_process_unless_ray_is_asked_for(cli, nb201_dir, tmp_path):
    """Look-ups are too cheap for Ray, and in-process they follow the seed alone: two runs agree."""
    tables = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        assert (
            cli(
                "search",
                "--space",
                "nb201",
                "--benchmark",
                str(nb201_dir),
                "--budget",
                "30",
                "--seed",
                "3",
                "--out",
                str(out),
                "--quiet",
            )[0]
            == 0
        )
        assert json.loads((out / "config.json").read_text())["backend"] == "local"
        tables.append(pd.read_csv(out / "trials.csv"))
    assert list(tables[0].arch) == list(tables[1].arch)


def test_hyperparameters_given_by_hand_are_not_scaled_to_the_budget(cli, nb201_dir, tmp_path):
    args = [
        "search",
        "--space",
        "nb201",
        "--benchmark",
        str(nb201_dir),
        "--budget",
        "12",
        "-S",
        "population_size=10",
        "--out",
        str(tmp_path),
    ]
    code, _, err = cli(*args)
    assert code == 0
    assert json.loads((tmp_path / "config.json").read_text())["strategy_options"] == {
        "population_size": 10,
        "tournament_size": 5,
        "starting_points": True,
    }
    assert "nb201/evo (population_size=10, tournament_size=5, starting_points=True), budget 12, backend local" in err


def test_starting_leaves_the_callers_configuration_as_given(nb201_dir, tmp_path):
    """A sweep reusing one configuration gets each budget's own defaults."""
    from nasbench import search as searching
    from nasbench.config import SearchConfig

    config = SearchConfig(
        space="nb201", strategy="evo", evaluator="tabular", budget=12, evaluator_options={"path": str(nb201_dir)}
    )
    small = searching.start(config, tmp_path / "small")
    small.release()
    assert config.strategy_options == {} and small.config.strategy_options["population_size"] == 3
    config.budget = 400
    large = searching.start(config, tmp_path / "large")
    large.release()
    assert large.strategy.population_size == 20
