import optuna
import pandas as pd
import pytest

from nasbench.analysis.pareto import pareto_front
from nasbench.cli import main
from nasbench.objective import Objective, Target


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_nsga2_run_writes_its_pareto_front(capsys, nb201_dir, tmp_path):
    out = tmp_path / "run"
    code, stdout, _ = run(
        capsys, "search", "--backend", "local", "--space", "nb201", "--strategy", "nsga2",
        "--benchmark", str(nb201_dir), "--budget", "20",
        "--objective", "valid_accuracy", "--objective", "train_seconds:min", "--out", str(out), "--quiet",
    )  # fmt: skip
    assert code == 0
    assert "Pareto front (" in stdout and str(out / "pareto.csv") in stdout
    trials = pd.read_csv(out / "trials.csv")
    front = pd.read_csv(out / "pareto.csv")
    objective = Objective((Target("valid_accuracy"), Target("train_seconds", maximize=False)))
    assert list(front.number) == list(pareto_front(trials, objective).number)
    assert len(front) >= 1 and set(front.number) <= set(trials.number)
    assert (out / "pareto.png").read_bytes()[:4] == b"\x89PNG"
    study = optuna.load_study(study_name="nasbench", storage=f"sqlite:///{out / 'study.db'}")
    assert study.metric_names == [
        "valid_accuracy",
        "-train_seconds",
    ]  # what the dashboard shows: minimised ones negated
    assert [t.user_attrs["arch"] for t in study.trials] == list(trials.arch)


@pytest.mark.usefixtures("one_thread")
def test_single_objective_runs_write_no_front(capsys, nb201_dir, tmp_path):
    out = tmp_path / "run"
    code, stdout, _ = run(
        capsys,
        "search",
        "--backend",
        "local",
        "--space",
        "nb201",
        "--strategy",
        "rl",
        "--benchmark",
        str(nb201_dir),
        "--budget",
        "8",
        "--out",
        str(out),
        "--quiet",
    )
    assert code == 0 and "Pareto" not in stdout and not (out / "pareto.csv").exists()


def test_run_keywords_are_not_options(capsys, nb201_dir, tmp_path):
    code, _, err = run(
        capsys,
        "search",
        "--backend",
        "local",
        "--space",
        "nb201",
        "--strategy",
        "tpe",
        "-S",
        "storage=x.db",
        "--benchmark",
        str(nb201_dir),
        "--out",
        str(tmp_path / "r"),
    )
    assert code == 2 and "takes no option 'storage'; its options: n_startup_trials, multivariate, constant_liar" in err
    code, _, err = run(
        capsys,
        "search",
        "--backend",
        "local",
        "--space",
        "nb201",
        "--strategy",
        "evo",
        "--objective",
        "valid_accuracy",
        "--objective",
        "train_seconds:min",
        "--benchmark",
        str(nb201_dir),
        "--out",
        str(tmp_path / "r"),
    )
    assert code == 2 and "strategy 'evo' optimises 1 objective(s); this search has 2" in err
    assert not (tmp_path / "r").exists()
