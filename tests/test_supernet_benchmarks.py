"""The supernet benchmark scripts run at their smallest setting (the GPU one on its CPU path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nasbench import atomic
from nasbench.supernet import MBConvSupernetSpace
from nasbench.supernet_training import SupernetConfig
from nasbench.supernet_training.run import CONFIG, WEIGHTS
from nasbench.supernet_training.worker import build_supernet
from nasbench.training.data import load_data
from nasbench.weights import save_weights

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def run_benchmark(*argv: str, timeout: float = 900) -> dict:
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_supernet_benchmark_smallest_setting():
    report = run_benchmark(
        "benchmarks/supernet.py", "--epochs", "1", "--children", "2", "--search-budget", "2", "--rounds", "1",
        "--ddp-epochs", "0",
    )  # fmt: skip
    assert 0 <= report["largest_accuracy"] <= 100 and len(report["children_alone"]) == 2
    assert {"kendall_tau", "best_gap", "ratio", "ceiling_speedup"} <= set(report)


def test_gpu_benchmark_on_its_cpu_path(tmp_path):
    space = MBConvSupernetSpace()
    atomic.write_json(tmp_path / CONFIG, {"supernet": SupernetConfig(space=space.name, epochs=1).to_dict()})
    save_weights(build_supernet(space, load_data("digits"), 0), tmp_path / WEIGHTS)
    report = run_benchmark(
        "benchmarks/supernet_gpu.py", "--device", "cpu", "--candidates", "2", "--supernet", str(tmp_path)
    )
    assert report["packed_s"] > 0 and report["one_at_a_time_s"] > 0
