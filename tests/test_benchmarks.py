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


@pytest.mark.slow
def test_latency_model(tmp_path):
    run_benchmark("benchmarks/latency_model.py", "--spaces", "vit", "--threads", "1", "--sample", "3",
                  "--work", str(tmp_path / "models"), "--results", str(tmp_path))  # fmt: skip
    assert (tmp_path / "latency_vit_1t.json").exists()


@pytest.mark.slow
def test_nb201_proxies_time_and_correlate(tmp_path):
    assert "synflow" in run_benchmark("benchmarks/nb201_proxies.py", "time", "--cells", "2")
    run_benchmark("benchmarks/nb201_proxies.py", "correlate", "--json", str(tmp_path / "c.json"))
    assert "synflow" in (tmp_path / "c.json").read_text()


@pytest.mark.slow
def test_proxies_trained(tmp_path):
    out = run_benchmark("benchmarks/proxies_trained.py", "--space", "nb201", "-O", "cells=1", "-O", "filters=4",
                        "--networks", "4", "--seeds", "2", "--epochs", "1", "--jobs", "1",
                        "--out", str(tmp_path / "p"))  # fmt: skip
    assert "seed_ceiling_spearman" in out and (tmp_path / "p.csv").exists()


@pytest.mark.slow
def test_scaling_backtest(tmp_path):
    run_benchmark("benchmarks/scaling_backtest.py", "--work", str(tmp_path / "w"), "--json", str(tmp_path / "s.json"),
                  "--budget", "4", "--search-size", "256", "--width", "0.25", "0.5",
                  "--train-size", "64", "128", "256", "512", "--resamples", "20")  # fmt: skip
    assert "median_rel_error" in (tmp_path / "s.json").read_text()
