"""Resuming a Ray search whose driver was killed, and ending what the dead driver left running."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import psutil
import pytest
import ray_helpers

from nasbench import search as searching
from nasbench.backends.ray.processes import RECORD, end_stale_processes
from nasbench.cli import main
from nasbench.errors import ResultsError

# columns that say where and how fast a trial ran, not what it found
WHERE = ["wall_seconds", "node_id", "node_ip", "attempts"]


@pytest.fixture
def marked_env():
    """An environment whose processes (and Ray's, which inherit it) are ended after the test, by id."""
    mark = uuid.uuid4().hex
    yield {**os.environ, "RAY_AUTH_MODE": "disabled", "NASBENCH_TEST_MARK": mark}
    ray_helpers.end_processes_marked(mark, grace=1)


def _alive(entry: dict) -> bool:
    try:
        return abs(psutil.Process(entry["pid"]).create_time() - entry["started"]) < 0.01
    except psutil.Error:
        return False


def _stop_driver_mid_search(cli: list[str], run, gate, env: dict, how: signal.Signals, log) -> subprocess.Popen:
    """Start a driver, wait until its first evaluation past ``GATE_AFTER`` waits at the gate, then stop
    it: SIGKILL to the driver alone (``kill -9``), or SIGINT to its whole process group (Ctrl-C in a
    terminal)."""
    driver = subprocess.Popen([*cli, "--out", str(run)], env=env, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and driver.poll() is None:
        if (run / RECORD).exists() and len(list(gate.parent.glob("evaluation-*"))) > GATE_AFTER:
            break
        time.sleep(0.05)
    assert driver.poll() is None, "the search ended before it could be stopped"
    if how is signal.SIGKILL:
        driver.send_signal(how)
    else:
        os.killpg(driver.pid, how)
    driver.wait(timeout=120)
    return driver


#: ``nasbench`` on the command line, with the gated table registered in process (as a notebook would)
DRIVER = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C as in a terminal, not ignored as by `nohup ... &`
sys.path.insert(0, {tests!r})
import nasbench, ray.cloudpickle, ray_helpers
from nasbench.cli import main
ray.cloudpickle.register_pickle_by_value(ray_helpers)  # Ray's workers cannot import the tests folder
nasbench.register_evaluator("gated", ray_helpers.GatedTable)
sys.exit(main())
"""
#: evaluations before the gate: the driver is stopped while the next one waits there
GATE_AFTER = 20


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["sigkill", "ctrl-c"])
def test_a_stopped_driver_resumes_to_the_trials_of_an_uninterrupted_run(nb201_dir, tmp_path, marked_env, how):
    argv = ["search", "--space", "nb201", "--strategy", "evo", "--budget", "60", "--seed", "4", "--quiet"]
    assert main([*argv, "--benchmark", str(nb201_dir), "--backend", "local", "--out", str(tmp_path / "whole")]) == 0

    # the same table, on Ray, stopped while its 21st evaluation waits at a gate
    run, gate = tmp_path / "stopped", tmp_path / "gate" / "open"
    gate.parent.mkdir()
    cli = [sys.executable, "-c", DRIVER.format(tests=str(Path(__file__).parent))]
    gated = ["--evaluator", "gated", "-E", f"path={nb201_dir}", "-E", f"gate={gate}", "-E", f"first={GATE_AFTER}"]
    with open(tmp_path / "driver.log", "w") as log:
        driver = _stop_driver_mid_search(
            [*cli, *argv, *gated, "--max-concurrent", "1"], run, gate, marked_env, how, log
        )
    left = pd.read_csv(run / "trials.csv")
    assert left.state.ne("RUNNING").sum() < 60
    if how is signal.SIGKILL:
        recorded = json.loads((run / RECORD).read_text())["processes"]
        survivors = [p for p in recorded if _alive(p)]
        assert survivors  # some of Ray's processes outlive a killed driver ...
    else:
        assert (
            driver.returncode == 130
            and "continue with: nasbench search --resume" in (tmp_path / "driver.log").read_text()
        )
        assert not (run / RECORD).exists()  # an interrupted driver shuts its Ray down
        assert left.state.ne("RUNNING").sum() >= GATE_AFTER  # and writes its table first
        survivors = []

    gate.touch()
    resumed = subprocess.run(
        [*cli, "search", "--resume", str(run), "--quiet"], env=marked_env, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert not any(_alive(p) for p in survivors)  # ... until the run is resumed
    assert not (run / RECORD).exists()
    _, lingering = psutil.wait_procs(ray_helpers.processes_marked(marked_env["NASBENCH_TEST_MARK"]), timeout=20)
    assert not lingering  # nothing of either driver's Ray is left
    assert sorted(p.name for p in (run / "tune").iterdir()) == ["search-0", "search-1"]

    whole = pd.read_csv(tmp_path / "whole" / "trials.csv")
    after = pd.read_csv(run / "trials.csv")
    assert (after.attempts.dropna() == 1).all()
    pd.testing.assert_frame_equal(after.drop(columns=WHERE), whole.drop(columns="wall_seconds"))


def _sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])


def _entry(pid: int) -> dict:
    return {"pid": pid, "started": psutil.Process(pid).create_time()}


def test_stale_processes_are_ended_and_a_live_driver_is_refused(tmp_path):
    gone = _sleeper()
    dead_driver = _entry(gone.pid)
    gone.kill()
    gone.wait()
    stale, stranger, live_driver = _sleeper(), _sleeper(), _sleeper()
    try:
        reused = {**_entry(stranger.pid), "started": _entry(stranger.pid)["started"] - 100}  # same id, another process
        (tmp_path / RECORD).write_text(json.dumps({"driver": dead_driver, "processes": [_entry(stale.pid), reused]}))
        assert end_stale_processes(tmp_path) == [stale.pid]
        assert stale.wait(timeout=10) is not None and stranger.poll() is None
        assert not (tmp_path / RECORD).exists()

        (tmp_path / RECORD).write_text(
            json.dumps({"driver": _entry(live_driver.pid), "processes": [_entry(stranger.pid)]})
        )
        with pytest.raises(ResultsError, match=f"being searched by process {live_driver.pid}"):
            end_stale_processes(tmp_path)
        assert stranger.poll() is None
    finally:
        for process in (stale, stranger, live_driver):
            process.kill()
            process.wait()


def test_a_run_can_move_to_another_backend_when_resumed(nb201_dir, tmp_path):
    argv = [
        "search",
        "--space",
        "nb201",
        "--benchmark",
        str(nb201_dir),
        "--budget",
        "5",
        "--out",
        str(tmp_path),
        "--quiet",
    ]
    assert main([*argv, "--backend", "local"]) == 0
    search = searching.resume(tmp_path, backend="ray", backend_options={"max_concurrent": 3})
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["backend"] == "ray" and config["backend_options"]["max_concurrent"] == 3
    assert config["backend_options"]["max_failures"] == 1 and search.backend.max_concurrent == 3
    search.release()  # a search that is not run holds its folder until released
    searching.resume(tmp_path, backend_options={"scheduler": "none", "max_failures": 0}).release()
    options = json.loads((tmp_path / "config.json").read_text())["backend_options"]
    assert options["max_concurrent"] == 3 and options["max_failures"] == 0  # options not given are kept
