"""Parameters and multiply-adds as objectives of a benchmark search, whose table reports neither.

NAS-Bench-201 accuracy against multiply-adds is the standard multi-objective benchmark: the costs
come from the cost model (networks built for CIFAR-10, the space's default data), counted once per
network and kept in the run's costs.json.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from nasbench.analysis.pareto import pareto_front
from nasbench.costs.cost_model import CostModel
from nasbench.objective import Objective, Target
from nasbench.search_spaces.nb201 import NB201Space


@pytest.mark.usefixtures("one_thread")
def test_accuracy_against_multiply_adds_on_the_bundled_benchmark(cli, tmp_path):
    out = tmp_path / "run"
    argv = ["search", "--space", "nb201", "--benchmark", "nb201", "--strategy", "nsga2", "--seed", "1"]
    argv += ["--objective", "valid_accuracy", "--objective", "macs:min", "--objective", "params:min", "--quiet"]
    code, stdout, err = cli(*argv, "--budget", "4", "--out", str(out))
    assert code == 0, err
    code, stdout, err = cli("search", "--resume", str(out), "--budget", "6", "--quiet")
    assert code == 0, err
    trials = pd.read_csv(out / "trials.csv")
    evaluated = trials[trials.duplicate_of.isna()]
    assert len(evaluated) == 6 and (evaluated.macs > 0).all() and (evaluated.params > 0).all()
    costs = CostModel(NB201Space(), NB201Space().default_data())
    space = NB201Space()
    first = evaluated.iloc[0]
    assert first.macs == costs.macs(space.decode(first.arch)) and first.params == costs.params(space.decode(first.arch))
    assert list(trials.value_1) == list(-trials.macs)  # minimised: negated for the strategy
    front = pd.read_csv(out / "pareto.csv")
    objective = Objective((Target("valid_accuracy"), Target("macs", False), Target("params", False)))
    assert list(front.number) == list(pareto_front(trials, objective).number) and len(front) >= 1
    cached = json.loads((out / "costs.json").read_text())
    assert sum(key.startswith("macs:") for key in cached) == len(evaluated)  # counted once per network


def test_an_objective_no_cost_model_answers_is_refused(cli, tmp_path):
    code, _, err = cli(
        "search", "--space", "nb201", "--benchmark", "nb201", "--objective", "flops:min", "--out", str(tmp_path / "r")
    )
    assert code == 2 and "reports no metric flops; it reports: valid_accuracy, test_accuracy" in err
    assert "params, macs, latency_ms" in err and not (tmp_path / "r").exists()
