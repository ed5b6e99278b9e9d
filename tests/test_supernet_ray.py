"""Sandwich training on a localhost Ray: two DDP workers against one, and a run killed and resumed.

The supernet is the tiny toy one (batch norm and dropout included) on 8x8 digits, 3 short epochs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from nasbench.storage.run_folder import CHECKPOINTS, EPOCHS, SUPERNET_WEIGHTS
from nasbench.supernet_training.config import SupernetConfig
from nasbench.supernet_training.execution import Execution
from nasbench.supernet_training.run import resume_supernet, train_supernet

pytestmark = pytest.mark.slow
TESTS = Path(__file__).resolve().parent
CONFIG = SupernetConfig(space="toy-supernet", epochs=3, batch_size=32, lr=0.2, warmup_epochs=0.5, seed=5)
#: two workers see the same global batches and average their gradients; what differs is batch norm's
#: statistics (each worker normalises its half batch) and dropout's draws, which move the loss by well
#: under this share
DDP_TOLERANCE = 0.03


@pytest.fixture(scope="module")
def ray_toy():
    import ray.cloudpickle
    import toy_supernet
    from ray_helpers import connect, disconnect

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    print_before = connect(num_cpus=2)
    ray.cloudpickle.register_pickle_by_value(toy_supernet)
    try:
        yield toy_supernet.ToySupernetSpace()
    finally:
        ray.cloudpickle.unregister_pickle_by_value(toy_supernet)
        disconnect(print_before)


@pytest.fixture(scope="module")
def one_worker(ray_toy, tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("one") / "run"
    train_supernet(ray_toy, CONFIG, run, Execution(workers=1), quiet=True)
    return run


def test_one_worker_run_folder_holds_config_epoch_table_and_weights(one_worker):
    table = pd.read_csv(one_worker / EPOCHS)
    assert list(table["epoch"]) == [1, 2, 3]
    assert table["loss_largest"].iloc[-1] < table["loss_largest"].iloc[0]
    assert {"valid_accuracy_largest", "valid_accuracy_smallest"} <= set(table.columns)
    assert (one_worker / "config.json").exists() and (one_worker / SUPERNET_WEIGHTS).exists()
    recorded = json.loads((one_worker / "config.json").read_text())["supernet"]
    assert recorded["distill_weight"] == 1.0  # none given: the space's, recorded so a resume sums alike
    assert len(list((one_worker / CHECKPOINTS).glob("attempt-*/epoch-*"))) == 1  # only the latest is kept


def test_two_workers_give_the_loss_curve_of_one_with_the_same_global_batch(ray_toy, one_worker, tmp_path):
    run = tmp_path / "two"
    train_supernet(ray_toy, CONFIG, run, Execution(workers=2), quiet=True)
    one = pd.read_csv(one_worker / EPOCHS)["loss_largest"]
    two = pd.read_csv(run / EPOCHS)["loss_largest"]
    assert len(one) == len(two) == 3
    assert ((two - one).abs() / one).max() < DDP_TOLERANCE, (list(one), list(two))


_TRAIN = textwrap.dedent(
    """
    import logging, os, sys
    sys.path.insert(0, {tests!r})
    import ray, ray.cloudpickle, toy_supernet
    from nasbench.supernet_training.config import SupernetConfig
    from nasbench.supernet_training.run import train_supernet
    ray.init(address={address!r}, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    ray.cloudpickle.register_pickle_by_value(toy_supernet)
    train_supernet(toy_supernet.ToySupernetSpace(), SupernetConfig.from_dict({config!r}), {run!r}, quiet=True)
    """
)


def test_a_killed_run_resumes_to_the_weights_of_an_uninterrupted_one(ray_toy, one_worker, tmp_path):
    import ray
    from ray_helpers import end_processes_marked

    run = tmp_path / "killed"
    # the driver joins the module's Ray, as a driver on a cluster would: its death ends its actors
    address = ray.get_runtime_context().gcs_address
    script = _TRAIN.format(tests=str(TESTS), address=address, config=CONFIG.to_dict(), run=str(run))
    env = {**os.environ, "NASBENCH_TEST_MARK": f"sandwich-{os.getpid()}"}
    process = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 600
        while not list((run / CHECKPOINTS).glob("attempt-1/epoch-0001/state.json")):
            assert process.poll() is None, "the run ended before its first checkpoint"
            assert time.monotonic() < deadline, "no checkpoint within 10 minutes"
            time.sleep(0.2)
        process.send_signal(signal.SIGKILL)  # mid-way through epoch 2: no chance to clean up
        process.wait()
        assert not (run / SUPERNET_WEIGHTS).exists()
        resume_supernet(run, ray_toy, Execution(workers=1), quiet=True)
    finally:
        if process.poll() is None:
            process.kill()
        end_processes_marked(env["NASBENCH_TEST_MARK"])
    assert (run / SUPERNET_WEIGHTS).read_bytes() == (one_worker / SUPERNET_WEIGHTS).read_bytes()
    pd.testing.assert_series_equal(
        pd.read_csv(run / EPOCHS)["loss_largest"], pd.read_csv(one_worker / EPOCHS)["loss_largest"]
    )
    assert [p.name for p in (run / CHECKPOINTS).iterdir() if p.is_dir()] == ["attempt-2"]


def test_attentive_shrinking_children_on_a_prefix_of_the_data_with_averaged_weights_train_on_ray(ray_toy, tmp_path):
    from safetensors.torch import load

    from nasbench.supernet_training.checkpoint import EMA, SUPERNET, latest_checkpoint

    config = SupernetConfig(
        space="toy-supernet",
        epochs=2,
        batch_size=32,
        lr=0.2,
        seed=5,
        train_size=256,
        attentive=3,
        ema=0.9,
        shrink_epochs=1,
        shrink_order="decision",  # the toy's one kind: the order's path through the workers, drawing as without
        distill_weight=0.5,
    )
    run = tmp_path / "run"
    train_supernet(ray_toy, config, run, Execution(workers=1), quiet=True)
    table = pd.read_csv(run / EPOCHS)
    assert list(table["epoch"]) == [1, 2] and table["loss_largest"].iloc[-1] < table["loss_largest"].iloc[0]
    stored = SupernetConfig.from_dict(json.loads((run / "config.json").read_text())["supernet"])
    assert (stored.train_size, stored.attentive, stored.ema, stored.shrink_epochs, stored.distill_weight) == (
        256,
        3,
        0.9,
        1,
        0.5,
    )
    assert stored.shrink_order == "decision"
    checkpoint = latest_checkpoint(run)
    averaged, trained = load((checkpoint / EMA).read_bytes()), load((checkpoint / SUPERNET).read_bytes())
    published = load((run / SUPERNET_WEIGHTS).read_bytes())
    assert int(averaged["n_averaged"]) == 2 * (256 // 32)  # one update per step
    name = next(k for k in published if k.endswith("weight"))
    assert torch.equal(published[name], averaged[f"module.{name}"]) and not torch.equal(published[name], trained[name])
