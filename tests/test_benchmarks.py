"""Every benchmark script runs at its smallest setting, so none can rot unnoticed.

The numbers they print are not checked (timing is the machine's business): that they run to the
end and print their summary is.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_benchmark(*argv: str, timeout: float = 600) -> str:
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_table_writes():
    out = run_benchmark("benchmarks/table_writes.py", "--data", "nb201", "--budget", "30", "--rounds", "1")
    assert "shipped:" in out and "naive:" in out


@pytest.mark.slow
def test_training_loop():
    out = run_benchmark("benchmarks/training_loop.py", "--repeats", "1", "--epochs", "1")
    assert "cpu nasbench / bare:" in out


@pytest.mark.slow
def test_nasnet_presets_and_threads():
    out = run_benchmark("benchmarks/nasnet.py", "presets", "--networks", "cifar")
    assert "cifar" in out and "3.3M" in out
    out = run_benchmark("benchmarks/nasnet.py", "threads", "--repeats", "1", "--epochs", "1")
    assert "one thread: median" in out


@pytest.mark.slow
def test_mbconv_costs():
    out = run_benchmark("benchmarks/mbconv_costs.py", "--repeats", "1", "--variants", "b0")
    assert "count multiply-adds, B0 at 224" in out and "latency, B0 at 224" in out


@pytest.mark.slow
def test_ray_overhead():
    out = run_benchmark(
        "benchmarks/ray_overhead.py", "--rounds", "1", "--epochs", "1", "--trials", "1", "--settle", "0", "--no-serial"
    )
    assert "Ray overhead once started" in out


@pytest.mark.slow
def test_rl_threads():
    out = run_benchmark("benchmarks/rl_threads.py", "--budget", "5", "--repeats", "1")
    assert "one thread: wall" in out


@pytest.mark.slow
def test_process_startup():
    out = run_benchmark("benchmarks/process_startup.py", "--repeats", "1")
    assert "digits, embedded copy" in out and "table trial's imports + torch" in out
