"""A real two-node Ray cluster on this machine: `ray start --head`, then a second node that joins it."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest
import ray_helpers

from nasbench.backends.ray import RayBackend
from nasbench.errors import NasbenchError
from nasbench.objective import Objective
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.session import SearchSession
from nasbench.storage.run_folder import RunFolder
from nasbench.strategies import RandomSearch

pytestmark = pytest.mark.slow

RAY = str(Path(sys.executable).with_name("ray"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_ports() -> list[str]:
    """Every port a node listens on, chosen free, so that the test clashes with no other Ray."""
    workers = free_port()
    return [
        f"--node-manager-port={free_port()}",
        f"--object-manager-port={free_port()}",
        f"--dashboard-agent-listen-port={free_port()}",
        f"--dashboard-agent-grpc-port={free_port()}",
        f"--runtime-env-agent-port={free_port()}",
        f"--metrics-export-port={free_port()}",
        f"--min-worker-port={workers}",
        f"--max-worker-port={min(workers + 40, 65535)}",
    ]


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port}")


@pytest.fixture(scope="module")
def two_nodes():
    """Head and worker node, one CPU each; every process they start is ended afterwards, by id."""
    mark = uuid.uuid4().hex
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "NASBENCH_TEST_MARK": mark}
    temp = Path(tempfile.mkdtemp(prefix="nbray-", dir="/tmp"))
    gcs = free_port()
    common = ["--block", "--num-cpus=1", "--node-ip-address=127.0.0.1", "--disable-usage-stats"]
    head = [RAY, "start", "--head", f"--port={gcs}", "--include-dashboard=false"]
    head += [f"--dashboard-port={free_port()}", f"--temp-dir={temp / 'head'}", *common, *node_ports()]
    worker = [RAY, "start", f"--address=127.0.0.1:{gcs}", f"--temp-dir={temp / 'worker'}", *common, *node_ports()]
    nodes = []
    try:
        nodes.append(subprocess.Popen(head, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for_port(gcs)
        nodes.append(subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("RAY_AUTH_MODE", "disabled")
            print_before = ray_helpers.connect(f"127.0.0.1:{gcs}")
            try:
                import ray

                deadline = time.monotonic() + 180  # a loaded 2-core machine can take over a minute per node
                while len([n for n in ray.nodes() if n["Alive"]]) < 2 and time.monotonic() < deadline:
                    time.sleep(0.5)
                yield f"127.0.0.1:{gcs}", {n["NodeID"] for n in ray.nodes() if n["Alive"]}
            finally:
                ray_helpers.disconnect(print_before)
    finally:  # `ray start --block` drains for 30 s on SIGTERM: end its processes directly
        ray_helpers.end_processes_marked(mark)
        for node in nodes:
            node.wait(timeout=10)
        shutil.rmtree(temp, ignore_errors=True)


def test_trials_run_on_both_nodes_and_the_table_says_which(two_nodes, nb201_table, tmp_path):
    address, node_ids = two_nodes
    assert len(node_ids) == 2
    run, started = tmp_path / "run", tmp_path / "started"
    run.mkdir(), started.mkdir()
    session = SearchSession(RandomSearch(NB201Space(), seed=0), Objective(), RunFolder(run), budget=6, seed=0)
    RayBackend(address=address, max_concurrent=2).run(
        session, NB201Space(), ray_helpers.Rendezvous(nb201_table, str(started)), run
    )
    table = pd.read_csv(run / "trials.csv")
    table = table[table.duplicate_of.isna()]
    assert list(table.state) == ["COMPLETE"] * 6
    assert set(table.node_id) == node_ids  # each node ran some of them
    assert table.node_ip.nunique() == 1  # one host: the node id tells the nodes apart
    assert not (run / "ray.json").exists()  # a joined cluster is not this driver's to end


def test_a_trial_no_node_can_hold_is_refused_not_waited_for(two_nodes, nb201_table, tmp_path):
    """Two CPUs in the cluster, one per node: a trial of two CPUs could never start."""
    address, _ = two_nodes
    session = SearchSession(RandomSearch(NB201Space(), seed=0), Objective(), RunFolder(tmp_path), budget=2, seed=0)
    with pytest.raises(
        NasbenchError, match=r"no Ray node can hold a trial of 2 CPU\(s\) and 0 GPU\(s\) \(the largest has 1 and 0\)"
    ):
        RayBackend(address=address, cpus_per_trial=2).run(session, NB201Space(), nb201_table, tmp_path)
    assert not (tmp_path / "trials.csv").exists()
