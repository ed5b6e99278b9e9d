"""The supernet benchmark scripts run at their smallest setting (the GPU one on its CPU path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nasbench.search_spaces.mbconv_supernet import MBConvSupernetSpace
from nasbench.storage import atomic
from nasbench.storage.run_folder import CONFIG, SUPERNET_WEIGHTS
from nasbench.storage.weights import save_weights
from nasbench.supernet_training.config import SupernetConfig
from nasbench.supernet_training.worker import build_supernet
from nasbench.training.data import load_data

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def run_benchmark(*argv: str, timeout: float = 900) -> dict:
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.fixture
def untrained_run(tmp_path) -> Path:
    """A supernet run folder with untrained weights: what the scripts read, without the training
    (tests/test_supernet_ray.py and test_supernet_cli.py train on Ray)."""
    space = MBConvSupernetSpace()
    atomic.write_json(tmp_path / CONFIG, {"supernet": SupernetConfig(space=space.name, epochs=1).to_dict()})
    save_weights(build_supernet(space, load_data("digits"), 0), tmp_path / SUPERNET_WEIGHTS)
    return tmp_path


def test_supernet_benchmark_smallest_setting(untrained_run):
    report = run_benchmark(
        "benchmarks/supernet.py", "--supernet", str(untrained_run), "--children", "2", "--search-budget", "2",
        "--rounds", "1",
    )  # fmt: skip
    assert report["epochs"] == 1 and len(report["children_alone"]) == 2
    assert {"kendall_tau", "kendall_tau_loss", "best_gap", "ratio", "ceiling_speedup"} <= set(report)


def test_ranking_protocol_smallest_setting(untrained_run, tmp_path):
    argv = ("benchmarks/supernet_ranking.py", "--supernet", str(untrained_run), "--dataset", "digits",
            "--train-size", "128", "--epochs", "1", "--children", "3", "--alone-seeds", "2", "--search-budget", "2",
            "--rounds", "1", "--jobs", "1", "--work", str(tmp_path / "w"),
            "--json", str(tmp_path / "r.json"))  # fmt: skip
    alone_only = run_benchmark(*argv, "--alone-only")  # what a second process trains beside the supernets
    assert alone_only["trainings"] == 5 * 2
    ahead = (tmp_path / "w" / "alone.jsonl").read_text().splitlines()
    report = run_benchmark(*argv)
    after = (tmp_path / "w" / "alone.jsonl").read_text().splitlines()
    protocol = {json.loads(line)["child"] for line in ahead}
    assert after[: len(ahead)] == ahead and not protocol & {json.loads(line)["child"] for line in after[len(ahead) :]}
    needed = {"kendall_tau", "spearman", "seed_ceiling_tau", "alone_spread_points", "best_child_inherited",
              "best_child_alone", "sandwich_epoch_ratio", "resolution"}  # fmt: skip
    assert needed <= set(report) and report["children"] == 3 and report["alone_seeds"] == 2
    assert -1 <= report["loss"]["seed_ceiling_tau"] <= 1
    table = json.loads((tmp_path / "r.json").read_text())["table"]
    assert len(table) == 5 and all(len(row["alone_seeds"]) == 2 for row in table)  # 3 random, largest, smallest
    trained = (tmp_path / "w" / "alone.jsonl").read_text().splitlines()
    assert run_benchmark(*argv)["kendall_tau"] == report["kendall_tau"]  # resumed: nothing trained again
    assert (tmp_path / "w" / "alone.jsonl").read_text().splitlines() == trained


def test_ranking_protocol_under_a_bound_the_largest_child_breaks(untrained_run, tmp_path):
    """--max-macs median: the search stays within the random children's median multiply-adds (so it cannot
    start from the largest child), and its best child is judged against the children within the bound."""
    argv = ("benchmarks/supernet_ranking.py", "--supernet", str(untrained_run), "--dataset", "digits",
            "--train-size", "128", "--epochs", "1", "--children", "5", "--alone-seeds", "1", "--search-budget", "3",
            "--rounds", "0", "--jobs", "1", "--max-macs", "median", "--work", str(tmp_path / "w"))  # fmt: skip
    report = run_benchmark(*argv)
    bounded = report["within_bound"]
    assert bounded["children"] == 3  # of 5 random children, those at or below their median
    assert bounded["best_child_macs"] <= bounded["max_macs"] < report["largest_macs"]
    assert bounded["best_alone"] >= bounded["median_alone"]
    assert bounded["best_beats_median"] == (report["best_child_alone"] > bounded["median_alone"])
    assert (tmp_path / "w" / f"baseline-search-macs{bounded['max_macs']:.0f}").is_dir()


def test_gpu_benchmark_on_its_cpu_path(untrained_run):
    report = run_benchmark(
        "benchmarks/supernet_gpu.py", "--device", "cpu", "--candidates", "2", "--supernet", str(untrained_run)
    )
    assert report["packed_s"] > 0 and report["one_at_a_time_s"] > 0


def _ranking_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("supernet_ranking", ROOT / "benchmarks" / "supernet_ranking.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ranking_protocol_averages_several_supernet_seeds():
    """One supernet per seed in its own run folder, the headline figures their mean (one supernet's tau moves
    by 0.28 between seeds: docs/BENCHMARKS.md); one seed keeps the variant's own folder, as before."""
    ranking = _ranking_module()
    assert ranking.run_folders(ranking.parse(["--variant", "v"])) == [(None, "v")]
    assert ranking.run_folders(ranking.parse(["--variant", "v", "--supernet-seed", "1"])) == [(1, "v")]
    several = ranking.parse(["--variant", "v", "--supernet-seed", "0", "2"])
    assert ranking.run_folders(several) == [(0, "v-s0"), (2, "v-s2")]
    with pytest.raises(SystemExit):
        ranking.parse(["--supernet", "run", "--supernet-seed", "0", "1"])
    assert ranking.parse(["--max-macs", "median"]).max_macs == "median"
    assert ranking.parse(["--max-macs", "2e5"]).max_macs == 200_000.0
    with pytest.raises(SystemExit):  # refused before anything trains
        ranking.parse(["--max-macs", "lots"])
    with pytest.raises(SystemExit):
        ranking.parse(["--max-macs", "nan"])

    def seed(tau, gap, beats):
        pair = {"kendall_tau": tau, "spearman": tau}
        return {"kendall_tau": tau, "spearman": tau, "top5_overlap": 2, "best_child_inherited": 70.0 + gap,
                "best_child_alone": 70.0, "best_child_gap": gap, "best_beats_median": beats, "loss": pair,
                "with_extremes": pair, "largest": {"inherited": 76.0, "alone": 75.0},
                "smallest": {"inherited": 68.0 + gap, "alone": 65.0}}  # fmt: skip

    mean = ranking.averaged([seed(0.1, -1.0, True), seed(0.5, -3.0, True), seed(0.3, -2.0, False)])
    assert mean["kendall_tau"] == pytest.approx(0.3) and mean["kendall_tau_range"] == [0.1, 0.5]
    assert mean["best_child_gap"] == pytest.approx(-2.0) and mean["loss"]["spearman"] == pytest.approx(0.3)
    assert mean["smallest"] == {"inherited": pytest.approx(66.0), "alone": 65.0}
    assert mean["best_beats_median"] is False  # only if every seed's best beats the median


def test_ranking_protocol_tells_noise_from_bias_between_supernet_seeds():
    """Two supernets that agree with each other and disagree with the children alone: a bias, which their
    mean keeps (ten 8-epoch supernets agree at 0.73, their mean ranks at 0.51: docs/BENCHMARKS.md)."""
    ranking = _ranking_module()
    alone = [1.0, 2.0, 3.0, 4.0]
    same = ranking.between_supernets([[4.0, 3.0, 2.0, 1.0], [4.0, 3.0, 2.0, 1.0]], alone)
    assert same == {"kendall_tau": pytest.approx(1.0), "seed_mean_tau": pytest.approx(-1.0)}
    noisy = ranking.between_supernets([[2.0, 1.0, 3.0, 4.0], [1.0, 3.0, 2.0, 4.0]], alone)
    assert noisy["kendall_tau"] == pytest.approx(1 / 3) and noisy["seed_mean_tau"] == pytest.approx(1.0)


def test_ranking_protocol_names_the_kind_of_decision_the_supernet_misjudges():
    """A supernet that ranks shallow children below their training alone shows a negative bias for the
    depths (the 8-epoch supernets: -0.42 over ten seeds, docs/BENCHMARKS.md), and none for the kernels."""
    ranking = _ranking_module()
    space = MBConvSupernetSpace()
    texts = [str(c) for c in ranking.children(space, 12)[:12]]
    depth = [sum(int(part[len("ir_r")]) for part in t.split("/") if part.startswith("ir_r")) for t in texts]
    alone = [float(i) for i in range(len(texts))]
    shallow_low = [a + 100.0 * d for a, d in zip(alone, depth)]  # the deeper, the higher, whatever alone says
    bias = ranking.bias_by_kind(space, texts, shallow_low, alone)
    assert bias["repeats"] < -0.5 and abs(bias["kernel"]) < -bias["repeats"]
    assert ranking.bias_by_kind(space, texts, alone, alone) == {}


def test_ranking_protocol_ranks_the_children_against_a_longer_training(tmp_path):
    """``--against-epochs``: the children alone against their longer trainings in alone.jsonl (every seed held
    there averaged); a child without one is named as missing instead of being skipped."""
    ranking = _ranking_module()
    rows = [
        {"child": child, "seed": seed, "epochs": epochs, "train_size": 8, "dataset": "teacher", "valid_accuracy": acc}
        for child, seed, epochs, acc in [
            ("a", 0, 8, 80.0), ("a", 1, 8, 82.0), ("b", 0, 8, 75.0), ("c", 0, 8, 78.0),
            ("c", 0, 4, 10.0), ("b", 0, 8 * 2, 99.0),  # other settings: not read
        ]
    ]  # fmt: skip
    (tmp_path / "alone.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = ranking.parse(["--work", str(tmp_path), "--train-size", "8", "--against-epochs", "8"])
    longer = ranking.longer_trainings(args, ["a", "b", "c"])
    against = ranking.alone_against(args, ["a", "b", "c"], [70.0, 60.0, 65.0], longer)
    assert against["kendall_tau"] == pytest.approx(1.0) and against["seeds"] == 1
    assert against["spread_points"] == pytest.approx(6.0) and against["median"] == pytest.approx(78.0)
    with pytest.raises(SystemExit, match="1 of the children have no 8-epoch training"):
        ranking.longer_trainings(args, ["a", "b", "d"])
