"""Values that are not finite or not of their declared type are refused before a run folder exists;
a metric or objective value that is not finite fails its trial."""

import json

import pytest

from nasbench.backends.local import evaluate_in_process
from nasbench.errors import InvalidOption
from nasbench.objective import CostPenalty, Objective
from nasbench.options import check_finite, check_options
from nasbench.results import read_records
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.session import SearchSession
from nasbench.storage.run_folder import RunFolder
from nasbench.strategies import RegularizedEvolution
from nasbench.trial import TrialState

NB201 = ["search", "--space", "nb201", "--benchmark", "nb201", "--budget", "20", "--quiet"]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--strategy", "rl", "-S", "entropy_weight=nan"], "strategy 'rl' option entropy_weight must be a finite"),
        (["--strategy", "rl", "-S", "learning_rate=inf"], "strategy 'rl' option learning_rate must be a finite"),
        (["--strategy", "rl", "-S", "logit_bound=nan"], "strategy 'rl' option logit_bound must be a finite"),
        (["--strategy", "nsga2", "--objective", "valid_accuracy", "--objective", "train_seconds:min",
          "-S", "crossover_prob=nan"], "option crossover_prob must be a finite"),
        (["--mnas-target", "train_seconds=1000", "--mnas-weight", "nan"], "MnasNet cost weight must be a finite"),
        (["--mnas-target", "train_seconds=inf"], "MnasNet cost target must be a finite"),
        (["--mnas-target", "train_seconds=1000", "--mnas-weight", "0,-inf"], "cost weight above must be a finite"),
    ],
)  # fmt: skip
def test_non_finite_options_are_refused_before_the_run_folder_is_written(cli, tmp_path, extra, message):
    out = tmp_path / "run"
    code, stdout, stderr = cli(*NB201, "--out", str(out), *extra)
    assert code == 2 and stdout == ""
    assert stderr.count("\n") == 1 and message in stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--space", "nasnet", "--cells", "1", "--filters", "8", "-O", "stem_multiplier=nan"], "stem_multiplier"),
        (["--space", "nasnet", "--cells", "1", "--filters", "8", "-O", "stem_multiplier=inf"], "stem_multiplier"),
        (["--space", "mbconv", "-O", "base=tiny", "-O", "widths=nan"], "mbconv option widths[0] must be a finite"),
        (["--space", "mbconv", "-O", "base=tiny", "-O", "widths=1.0,inf"], "mbconv option widths[1] must be a finite"),
        (["--space", "nb201", "--lr", "nan"], "option lr must be a finite"),
        (["--space", "nb201", "--max-params", "inf"], "--max-params must be a finite"),
        (["--space", "nb201", "--max-macs", "nan"], "--max-macs must be a finite"),
    ],
)
def test_non_finite_space_training_and_constraint_options_are_refused(cli, tmp_path, argv, message):
    out = tmp_path / "run"
    code, _, stderr = cli("search", *argv, "--budget", "1", "--epochs", "1", "--out", str(out), "--backend", "local")
    assert code == 2 and stderr.count("\n") == 1 and message in stderr
    assert not out.exists()


def test_check_options_names_the_key_and_the_declared_type():
    from nasbench.options import keyword_options

    params = keyword_options(RegularizedEvolution)
    check_options(params, {"population_size": 8, "tournament_size": 2}, "strategy 'evo'")
    with pytest.raises(InvalidOption, match="option population_size takes a int, got 'x'"):
        check_options(params, {"population_size": "x"}, "strategy 'evo'")
    with pytest.raises(InvalidOption, match="population_size takes a int, got True"):
        check_options(params, {"population_size": True}, "strategy 'evo'")
    with pytest.raises(InvalidOption, match=r"columns\.acc must be a finite number"):
        check_finite({"acc": float("nan")}, "columns")
    assert CostPenalty("macs", 4e8, -0.07).weight == -0.07


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("strategy_options", {"population_size": "x"}, "option population_size takes a int, got 'x'"),
        ("strategy_options", {"tournament_size": 2.5}, "option tournament_size takes a int, got 2.5"),
        ("strategy_options", {"population_size": 1}, "population_size must be at least 2"),
        ("space_options", {"nope": 1}, "takes no option nope"),
        ("objective", {"targets": ["valid_accuracy"], "penalty": {"metric": "train_seconds", "target": 1000,
                                                                  "weight": float("nan")}}, "weight must be a finite"),
        ("budget", "ten", "budget must be a positive number"),
    ],
)  # fmt: skip
def test_a_hand_edited_config_is_checked_on_resume_like_the_command_line(cli, tmp_path, key, value, message):
    out = tmp_path / "run"
    assert cli(*NB201, "--out", str(out))[0] == 0
    config = json.loads((out / "config.json").read_text())
    config[key] = value if not isinstance(value, dict) or key == "objective" else {**config[key], **value}
    (out / "config.json").write_text(json.dumps(config))  # json writes NaN as the token NaN, as an editor might
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code, stdout, stderr = cli("search", "--resume", str(out), "--budget", "30", "--quiet")
    assert code == 2 and stdout == "" and stderr.count("\n") == 1
    assert "config.json" in stderr or "run configuration" in stderr
    assert message in stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


class Reporting:
    """The table look-up, with one network's accuracy replaced by ``value``."""

    def __init__(self, table, value, at=2):
        self.table, self.value, self.at, self.calls = table, value, at, 0

    def __call__(self, arch, budget, *, seed, report=None):
        self.calls += 1
        metrics = dict(self.table(arch, budget))
        if self.calls == self.at:
            metrics["valid_accuracy"] = self.value
        return metrics


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_non_finite_metric_fails_its_trial_with_the_reason(nb201_table, tmp_path, value):
    evo = RegularizedEvolution(NB201Space(), seed=0, population_size=4, tournament_size=2)
    session = SearchSession(evo, Objective(), RunFolder(tmp_path), 8, 0)
    evaluate_in_process(session, Reporting(nb201_table, value))
    broken = session.records[1]
    assert broken.state is TrialState.FAIL and broken.error == f"metric 'valid_accuracy' is {value}"
    assert broken.values is None and session.best().number != 1
    stored = {r.number: r for r in read_records(RunFolder(tmp_path))}
    assert stored[1].state is TrialState.FAIL and stored[1].values is None


def test_an_objective_value_that_is_not_finite_fails_its_trial(nb201_table, tmp_path):
    """A cost penalty can overflow where every metric is finite: a tiny cost to a large negative power."""
    objective = Objective(penalty=CostPenalty("train_seconds", 1e300, -2.0))
    evo = RegularizedEvolution(NB201Space(), seed=0, population_size=4, tournament_size=2)
    session = SearchSession(evo, objective, RunFolder(tmp_path), 4, 0)
    evaluate_in_process(session, nb201_table)
    assert all(r.state is TrialState.FAIL for r in session.records.values())
    assert all("objective" in r.error for r in session.records.values())
    assert session.best() is None
