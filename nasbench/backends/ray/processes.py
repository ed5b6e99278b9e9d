"""The Ray processes a driver started, recorded so that a later driver can end them.

A driver killed with SIGKILL cannot shut its embedded Ray down, and some of Ray's agents outlive
it. The driver therefore records, in ``results/<run>/ray.json``, its own process and the Ray
processes it started (each with its start time, so a reused process id is never mistaken for
one of them); the next driver of the run ends those that are still alive.
"""

from __future__ import annotations

import json
from pathlib import Path

import psutil

from nasbench.errors import ResultsError
from nasbench.storage import atomic

RECORD = "ray.json"


def _entry(process: psutil.Process) -> dict:
    return {"pid": process.pid, "started": process.create_time()}


def _alive(entry: dict) -> psutil.Process | None:
    """The recorded process if it still runs (same id and same start time)."""
    try:
        process = psutil.Process(int(entry["pid"]))
        return process if abs(process.create_time() - float(entry["started"])) < 0.01 else None
    except (psutil.Error, KeyError, TypeError, ValueError):
        return None


def record_processes(folder: Path) -> None:
    """Write the record: this driver and every process it has started so far (Ray's head processes)."""
    me = psutil.Process()
    atomic.write_json(
        Path(folder) / RECORD, {"driver": _entry(me), "processes": [_entry(p) for p in me.children(recursive=True)]}
    )


def forget_processes(folder: Path) -> None:
    (Path(folder) / RECORD).unlink(missing_ok=True)


def end_stale_processes(folder: Path, timeout: float = 3.0) -> list[int]:
    """End the processes a previous driver of this run left behind; returns their ids.

    Refuses when that driver still runs: two drivers must not share a run folder.
    """
    path = Path(folder) / RECORD
    if not path.exists():
        return []
    try:
        record = json.loads(path.read_text())
        driver, entries = record["driver"], list(record["processes"])
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise ResultsError(f"corrupt {path}: {exc}") from None
    if _alive(driver) is not None and int(driver["pid"]) != psutil.Process().pid:
        raise ResultsError(f"{folder} is being searched by process {driver['pid']}; stop it before resuming")
    stale = [p for p in (_alive(e) for e in entries) if p is not None]
    for process in list(stale):
        try:
            stale.extend(process.children(recursive=True))
        except psutil.Error:
            pass
    stale = list({p.pid: p for p in stale}.values())
    end_processes(stale, timeout)
    path.unlink()
    return [p.pid for p in stale]


def end_processes(processes: list[psutil.Process], timeout: float = 3.0) -> None:
    """SIGTERM, and SIGKILL for those still running after ``timeout`` seconds."""
    for process in processes:
        try:
            process.terminate()
        except psutil.Error:
            pass
    _, left = psutil.wait_procs(processes, timeout=timeout)
    for process in left:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(left, timeout=10)  # SIGKILL is not refused
