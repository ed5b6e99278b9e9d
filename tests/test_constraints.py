"""Cost models, hard constraints while sampling and mutating, and the MnasNet objective."""

import json

import numpy as np
import pandas as pd
import pytest

from nasbench.costs.constraints import ConstrainedSpace, Constraints, ConstraintUnsatisfiable, constrain
from nasbench.costs.cost_model import CostModel
from nasbench.costs.counting import count_macs, count_params
from nasbench.costs.latency import measure_latency_ms
from nasbench.errors import InvalidOption
from nasbench.objective import CostPenalty
from nasbench.results import read_records
from nasbench.search_spaces.mbconv import MBConvSpace, preset
from nasbench.search_spaces.mbconv_supernet import MBConvSupernetSpace
from nasbench.space import DataSpec, DecisionSequence

DIGITS = DataSpec(1, 8, 8, 10)
TRAIN = ["--epochs", "1", "--batch-size", "16", "--quiet", "--backend", "local"]


pytestmark = pytest.mark.usefixtures("one_thread")


def test_cost_model_counts_what_the_built_network_has(tmp_path):
    space = MBConvSpace(base="tiny")
    costs = CostModel(space, DIGITS)
    arch = space.sample(np.random.default_rng(0))
    model = space.build(arch, DIGITS)
    assert costs.params(arch) == count_params(model)
    assert costs.macs(arch) == count_macs(model, (1, 8, 8))
    assert costs.latency_ms(arch) > 0


def test_cost_cache_is_keyed_by_hash_and_shape_and_read_back(tmp_path):
    space = MBConvSpace(base="tiny")
    arch = space.sample(np.random.default_rng(1))
    path = tmp_path / "costs.json"
    first = CostModel(space, DIGITS, path)
    latency = first.latency_ms(arch)
    first.params(arch)
    stored = json.loads(path.read_text())
    assert sum(k.startswith(f"params:{arch.hash_key}:") and k.endswith(":1x8x8x10") for k in stored) == 1
    assert any(
        k.startswith(f"latency_ms:{arch.hash_key}:") and ":1x8x8x10:cpu:" in k for k in stored
    )  # latency is per device
    assert CostModel(space, DIGITS, path).latency_ms(arch) == latency  # read back, not measured again
    other = CostModel(space, DataSpec(3, 32, 32, 10), path)
    assert other.params(arch) > first.params(arch)  # another input shape is another entry (3 input channels)


def test_equivalent_networks_with_different_costs_are_cached_apart():
    """A convolution on a dead edge is pruned from the graph (same hash) but is still built."""
    from nasbench.search_spaces.nb201 import NB201Cell, NB201Space

    space = NB201Space(filters=4, cells=1)
    live = NB201Cell(("none", "nor_conv_3x3", "none", "skip_connect", "avg_pool_3x3", "nor_conv_3x3"))
    dead_conv = NB201Cell(("none", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "avg_pool_3x3", "nor_conv_3x3"))
    assert live.hash_key == dead_conv.hash_key
    costs = CostModel(space, DIGITS)
    assert costs.params(live) < costs.params(dead_conv) == count_params(space.build(dead_conv, DIGITS))


def test_latency_is_a_median_after_warm_up():
    model = MBConvSpace().build(preset("tiny"), DIGITS)
    assert 0 < measure_latency_ms(model, (1, 8, 8), "cpu", warmup=1, repeats=3) < 10_000
    assert model.training  # the mode is restored
    with pytest.raises(InvalidOption, match="repeats >= 1"):
        measure_latency_ms(model, (1, 8, 8), repeats=0)


@pytest.mark.slow
def test_constrained_space_samples_and_mutates_within_the_bounds():
    inner = MBConvSpace(base="tiny")
    costs = CostModel(inner, DIGITS)
    rng = np.random.default_rng(0)
    params = sorted(costs.params(inner.sample(rng)) for _ in range(30))
    limit, mac_limit = params[len(params) // 3], 600_000
    space = ConstrainedSpace(inner, Constraints(max_params=limit, max_macs=mac_limit), costs)
    # declared, not probed: the wrapper forwards the capability whatever the interpreter's Protocol rules
    assert space.name == "mbconv" and not isinstance(space, DecisionSequence)
    assert space.capability(DecisionSequence) is inner
    assert space.capability(DecisionSequence).decision_sizes() == inner.decision_sizes()
    rng = np.random.default_rng(1)
    archs = [space.sample(rng) for _ in range(8)]
    archs += [space.mutate(a, rng) for a in archs]
    for arch in archs:
        model = inner.build(arch, DIGITS)
        assert count_params(model) <= limit and count_macs(model, (1, 8, 8)) <= mac_limit
    assert space.feasible(archs[0]) and not space.feasible(preset("efficientnet-b0"))


def test_an_impossible_bound_is_reported_with_the_smallest_cost_seen():
    inner = MBConvSpace(base="tiny")
    space = ConstrainedSpace(inner, Constraints(max_params=1000, max_tries=15), CostModel(inner, DIGITS))
    smallest = min(
        count_params(inner.build(inner.sample(r), DIGITS)) for r in [np.random.default_rng(5)] for _ in range(15)
    )
    with pytest.raises(ConstraintUnsatisfiable) as info:
        space.sample(np.random.default_rng(5))
    assert (
        str(info.value)
        == f"no architecture within --max-params 1,000 found in 15 samples; the smallest had {smallest:,} parameters"
    )


def test_constraints_are_checked_and_need_data():
    with pytest.raises(InvalidOption, match="--max-macs must be positive"):
        Constraints(max_macs=0)
    space = MBConvSpace(base="tiny")
    assert constrain(space, Constraints(), None) is space
    with pytest.raises(InvalidOption, match="need to know the input data"):
        constrain(space, Constraints(max_params=1e5), None)


def test_mnasnet_penalty_soft_and_hard():
    soft = CostPenalty.parse("macs=400e6")
    assert (soft.metric, soft.target, soft.weight) == ("macs", 400e6, -0.07)  # ../shared/REFERENCE.md
    assert soft.factor({"macs": 800e6}) == pytest.approx(2**-0.07) and soft.factor({"macs": 200e6}) == pytest.approx(
        0.5**-0.07
    )
    hard = CostPenalty.parse("latency_ms=80", "0,-1")
    assert hard.factor({"latency_ms": 40}) == 1.0 and hard.factor({"latency_ms": 160}) == pytest.approx(0.5)
    with pytest.raises(InvalidOption, match="should read METRIC=VALUE"):
        CostPenalty.parse("macs", "-0.07")


@pytest.mark.slow
def test_search_with_a_parameter_bound_records_it_and_resumes(cli, tmp_path):
    out = tmp_path / "run"
    argv = [
        "search",
        "--space",
        "mbconv",
        "-O",
        "base=tiny",
        "--strategy",
        "evo",
        "--budget",
        "3",
        "--max-params",
        "40000",
        *TRAIN,
    ]
    assert cli(*argv, "--out", str(out))[0] == 0
    config = json.loads((out / "config.json").read_text())
    assert config["constraints"]["max_params"] == 40000
    assert (out / "costs.json").exists()
    assert cli("search", "--resume", str(out), "--budget", "5", "--quiet")[0] == 0
    table = pd.read_csv(out / "trials.csv")
    assert len(table) == 5 and (table.state == "COMPLETE").all() and (table.params <= 40000).all()
    code, _, err = cli("search", "--resume", str(out), "--max-params", "1e6")
    assert code == 2 and "cannot change when resuming" in err


@pytest.mark.slow
def test_impossible_bound_on_the_command_line_writes_nothing(cli, tmp_path):
    code, _, err = cli(
        "search",
        "--space",
        "mbconv",
        "-O",
        "base=tiny",
        "--budget",
        "3",
        "--max-params",
        "1000",
        "--out",
        str(tmp_path / "r"),
        *TRAIN,
    )
    assert code == 2 and "no architecture within --max-params 1,000 found in 200 samples; the smallest had" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "r").exists()


@pytest.mark.slow
def test_latency_bound_replays_exactly_on_resume(cli, tmp_path):
    out = tmp_path / "run"
    argv = [
        "search",
        "--space",
        "mbconv",
        "-O",
        "base=tiny",
        "--strategy",
        "evo",
        "--budget",
        "2",
        "--max-latency-ms",
        "1000",
        "--device",
        "cpu",
        *TRAIN,
    ]
    assert cli(*argv, "--out", str(out))[0] == 0
    stored = json.loads((out / "costs.json").read_text())
    assert any(k.startswith("latency_ms:") for k in stored)
    assert json.loads((out / "config.json").read_text())["constraints"]["device"] == "cpu"
    code, _, err = cli("search", "--resume", str(out), "--budget", "4", "--quiet")
    assert code == 0, err
    assert len(pd.read_csv(out / "trials.csv")) == 4


@pytest.mark.slow
def test_mnasnet_objective_from_the_command_line(cli, tmp_path):
    out = tmp_path / "run"
    argv = [
        "search",
        "--space",
        "mbconv",
        "-O",
        "base=tiny",
        "--strategy",
        "random",
        "--budget",
        "2",
        "--mnas-target",
        "macs=400e3",
        *TRAIN,
    ]
    assert cli(*argv, "--out", str(out))[0] == 0
    table = pd.read_csv(out / "trials.csv")
    expected = table.valid_accuracy * (table.macs / 400e3) ** -0.07
    assert np.allclose(table.value, expected)
    assert json.loads((out / "config.json").read_text())["objective"]["penalty"] == {
        "metric": "macs",
        "target": 400e3,
        "weight": -0.07,
    }
    assert cli("search", "--resume", str(out), "--budget", "3", "--quiet")[0] == 0
    table = pd.read_csv(out / "trials.csv")
    assert len(table) == 3 and np.allclose(table.value, table.valid_accuracy * (table.macs / 400e3) ** -0.07)


def test_mnasnet_latency_target_measures_latency(cli, tmp_path):
    out = tmp_path / "run"
    argv = [
        "search",
        "--space",
        "mbconv",
        "-O",
        "base=tiny",
        "--strategy",
        "random",
        "--budget",
        "2",
        "--mnas-target",
        "latency_ms=5",
        "--mnas-weight",
        "0,-1",
    ]
    assert cli(*argv, "--device", "cpu", "--out", str(out), *TRAIN)[0] == 0
    table = pd.read_csv(out / "trials.csv")
    assert (table.latency_ms > 0).all()
    factor = np.where(table.latency_ms <= 5, 1.0, (table.latency_ms / 5) ** -1.0)
    assert np.allclose(table.value, table.valid_accuracy * factor)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--max-params", "0"], "--max-params must be positive"),
        (["--mnas-weight", "-0.07"], "--mnas-weight needs --mnas-target"),
        (["--mnas-target", "flops=1e6"], "reports no metric flops"),
        # a benchmark's networks are counted as built for the space's default data (CIFAR-10 for nb201)
        (["--max-params", "1", "--benchmark", "{nb201}"], "no architecture within --max-params 1 found"),
    ],
)
def test_bad_cost_flags_are_one_line(cli, tmp_path, nb201_dir, argv, message):
    argv = [a.replace("{nb201}", str(nb201_dir)) for a in argv]
    space = ["--space", "nb201"] if "--benchmark" in argv else ["--space", "mbconv", "-O", "base=tiny"]
    code, _, err = cli("search", *space, "--budget", "2", "--out", str(tmp_path / "r"), *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_decision_strategies_cannot_slip_past_the_bounds(nb201_table, tmp_path):
    """RL builds networks from decisions, not from the constrained sampler: the session refuses
    the ones over the bound without evaluating them, and a resumed run replays the refusals."""
    from nasbench.backends.local import evaluate_in_process
    from nasbench.objective import Objective
    from nasbench.search_spaces.nb201 import NB201Space
    from nasbench.session import SearchSession
    from nasbench.storage.run_folder import RunFolder
    from nasbench.strategies import Reinforce

    data = DataSpec(1, 8, 8, 10)
    bound = 6000

    def session(folder, budget):
        space = constrain(NB201Space(filters=4, cells=1), Constraints(max_params=bound), data)
        return SearchSession(Reinforce(space, seed=0), Objective(), folder, budget, 0), space

    evaluated = []

    def evaluator(arch, budget, *, seed, report=None):
        evaluated.append(arch)
        return nb201_table(arch, budget)

    full, space = session(RunFolder(tmp_path / "full"), 30)
    evaluate_in_process(full, evaluator)
    assert len(evaluated) == 30 and all(space.costs.params(a) <= bound for a in evaluated)
    table = pd.read_csv(tmp_path / "full" / "trials.csv")
    refused = table[table.violates.notna()]
    assert (
        len(refused) > 0 and (refused.state == "FAIL").all() and refused.error.str.contains("--max-params 6,000").all()
    )

    cut, _ = session(RunFolder(tmp_path / "cut"), 15)
    evaluate_in_process(cut, evaluator)
    resumed, _ = session(RunFolder(tmp_path / "cut"), 30)
    resumed.replay(read_records(RunFolder(tmp_path / "cut")))
    evaluate_in_process(resumed, evaluator)
    a = pd.read_csv(tmp_path / "full" / "trials.csv").drop(columns="wall_seconds")
    b = pd.read_csv(tmp_path / "cut" / "trials.csv").drop(columns="wall_seconds")
    pd.testing.assert_frame_equal(a, b)


def test_a_starting_point_that_breaks_a_bound_is_left_out():
    inner = MBConvSupernetSpace(base="tiny")
    costs = CostModel(inner, DIGITS)
    largest = costs.params(inner.largest())
    assert ConstrainedSpace(inner, Constraints(max_params=largest), costs).starting_points() == (inner.largest(),)
    assert ConstrainedSpace(inner, Constraints(max_params=largest - 1), costs).starting_points() == ()
