"""Every benchmark script runs at its smallest setting, so none can rot unnoticed.

The numbers they print are not checked (timing is the machine's business): that they run to the
end and print their summary is.
"""

from __future__ import annotations

import json
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
                  "--train-size", "32", "64", "256", "--more-train-size", "128", "512", "--min-examples", "64",
                  "--resamples", "20")  # fmt: skip
    report = json.loads((tmp_path / "s.json").read_text())
    assert "median_rel_error" in report and (tmp_path / "w" / "sweep-more" / "trials.csv").exists()
    per_size = report["trainings_left_out"]  # the 32-example trainings: one per network and width
    assert per_size > 0 and report["trainings"] == 4 * per_size  # sizes 64, 128 (second folder), 256, 512


def test_published_scaling_refits_a_table_in_the_published_layout(tmp_path):
    """Runs drawn from Besiroglu et al.'s law, in their table's columns: the script recovers it; a
    missing table is one line."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    n = np.geomspace(5e7, 1e10, 16).repeat(16)
    flop = np.tile(np.geomspace(6e18, 3e21, 16), 16)
    d = flop / (6 * n)
    loss = 1.81686 + 482.00572 / n**0.34781 + 2085.4342 / d**0.36585
    table = pd.DataFrame({"Model Size": n, "Training FLOP": flop, "loss": loss * np.exp(rng.normal(0, 0.005, len(n)))})
    table.to_csv(tmp_path / "runs.csv", index=False)
    run_benchmark("benchmarks/published_scaling.py", "--data", str(tmp_path / "runs.csv"), "--resamples", "30",
                  "--json", str(tmp_path / "r.json"))  # fmt: skip
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["runs"] == 251  # the five of highest loss dropped, as Besiroglu et al. do
    for name, truth in (("E", 1.81686), ("alpha", 0.34781), ("beta", 0.36585)):
        assert result["parameters"][name]["ours"] == pytest.approx(truth, rel=0.05)
        assert result["parameters"][name]["ours_within_published"]
    missing = subprocess.run([sys.executable, "benchmarks/published_scaling.py", "--data", str(tmp_path / "no.csv")],
                             cwd=ROOT, capture_output=True, text=True, check=False)  # fmt: skip
    assert missing.returncode != 0 and missing.stderr.strip().startswith("error: cannot read the published runs")
    assert len(missing.stderr.strip().splitlines()) == 1
