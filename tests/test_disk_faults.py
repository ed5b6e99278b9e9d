"""Disk faults end in one line naming the path and the cause, and the run folder stays as it was.

The faults are real: tests run as root, whom permission bits do not stop, so a read-only folder or
file is made immutable (``chattr +i``), a read-only or full disk is a small tmpfs mounted for the
test. Where this machine allows neither, the test is skipped with the reason. Nothing is left
behind: every mount is unmounted and every immutable flag cleared, also when a test fails.
"""

import contextlib
import fcntl
import os
import shutil
import subprocess
import threading
import time

import pandas as pd
import pytest

from nasbench.errors import ResultsError
from nasbench.storage.run_folder import RunLock

SEARCH = ["search", "--space", "nb201", "--benchmark", "nb201", "--seed", "3", "--quiet"]
SEARCH += ["-S", "population_size=10", "-S", "tournament_size=3"]


def _run(*argv) -> bool:
    return subprocess.run(argv, capture_output=True).returncode == 0


@contextlib.contextmanager
def immutable(path):
    """``path`` with the immutable flag: not even root may change, replace or add to it."""
    if shutil.which("chattr") is None or not _run("chattr", "+i", str(path)):
        pytest.skip("chattr +i is not available on this file system")
    try:
        yield path
    finally:
        _run("chattr", "-i", str(path))


@pytest.fixture
def tmpfs(tmp_path):
    """A 512 KiB tmpfs at ``tmp_path / "disk"``, unmounted afterwards."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if shutil.which("mount") is None or not _run("mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(disk)):
        pytest.skip("mounting a tmpfs needs privileges this machine does not give")
    try:
        yield disk
    finally:
        _run("umount", "-l", str(disk))


def _read_only(disk) -> None:
    assert _run("mount", "-o", "remount,ro", str(disk))


def _snapshot(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _one_line_error(result, *parts) -> None:
    """Exit 2 and one error line (with --quiet, a resume announces nothing before it)."""
    code, stdout, stderr = result
    lines = stderr.splitlines()
    assert code == 2 and stdout == "" and stderr.endswith("\n")
    assert len(lines) == 1 and lines[0].startswith("nasbench: error: ")
    for part in parts:
        assert part in stderr


def _table(folder) -> pd.DataFrame:
    return pd.read_csv(folder / "trials.csv")[["number", "arch", "state", "value", "duplicate_of"]]


def test_out_on_a_read_only_disk(cli, tmpfs):
    _read_only(tmpfs)
    _one_line_error(cli(*SEARCH, "--budget", "5", "--out", str(tmpfs)), f"{tmpfs}/.lock", "Read-only file system")
    _one_line_error(cli(*SEARCH, "--budget", "5", "--out", str(tmpfs / "run")), str(tmpfs / "run"), "Read-only")


def test_out_into_an_immutable_folder(cli, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    with immutable(folder):
        _one_line_error(cli(*SEARCH, "--budget", "5", "--out", str(folder)), f"{folder}/.lock", "not permitted")
    assert list(folder.iterdir()) == []


def test_resume_of_a_run_on_a_read_only_disk(cli, tmpfs):
    run = tmpfs / "run"
    assert cli(*SEARCH, "--budget", "10", "--out", str(run))[0] == 0
    before = _snapshot(run)
    _read_only(tmpfs)
    _one_line_error(cli("search", "--quiet", "--resume", str(run), "--budget", "20"), str(run), "Read-only file system")
    assert _snapshot(run) == before


@pytest.mark.parametrize("what", ["trials.csv", "folder"])
def test_resume_of_a_run_whose_table_or_folder_is_immutable(cli, tmp_path, what):
    run = tmp_path / "run"
    assert cli(*SEARCH, "--budget", "10", "--out", str(run))[0] == 0
    before = _snapshot(run)
    with immutable(run / "trials.csv" if what == "trials.csv" else run):
        result = cli("search", "--quiet", "--resume", str(run), "--budget", "20")
    _one_line_error(result, str(run / "trials.csv"), "Operation not permitted")
    assert _snapshot(run) == before and not list(run.glob(".*.tmp"))


def test_resume_refuses_a_read_only_table_and_keeps_its_mode(cli, tmp_path):
    run = tmp_path / "run"
    assert cli(*SEARCH, "--budget", "10", "--out", str(run))[0] == 0
    (run / "trials.csv").chmod(0o444)
    before = _snapshot(run)
    result = cli("search", "--quiet", "--resume", str(run), "--budget", "20")
    _one_line_error(result, str(run / "trials.csv"), "is read-only (mode 0444)", "chmod u+w")
    assert _snapshot(run) == before and (run / "trials.csv").stat().st_mode & 0o777 == 0o444
    (run / "trials.csv").chmod(0o644)  # made writable, the run goes on
    assert cli("search", "--quiet", "--resume", str(run), "--budget", "20")[0] == 0


def _fill(disk, leave: int) -> None:
    """Fill ``disk`` until about ``leave`` bytes are free."""
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize
    (disk / "filler").write_bytes(b"\0" * max(0, free - leave))


def test_a_disk_that_fills_mid_run_loses_nothing(cli, tmpfs, tmp_path):
    whole = tmp_path / "whole"
    assert cli(*SEARCH, "--budget", "150", "--out", str(whole))[0] == 0
    run = tmpfs / "run"
    assert cli(*SEARCH, "--budget", "20", "--out", str(run))[0] == 0
    table = (run / "trials.csv").stat().st_size
    _fill(tmpfs, leave=2 * table + 8192)  # room for the first rewrites of the table, not for the whole run
    result = cli("search", "--quiet", "--resume", str(run), "--budget", "150")
    _one_line_error(result, str(run / "trials.csv"), "No space left on device")
    stored = _table(run)  # a whole table, of the events up to some moment
    assert 20 <= len(stored) < len(_table(whole)) and not list(run.glob(".*.tmp"))
    done = stored[stored.state != "RUNNING"]  # a snapshot may end with the trial that was running
    assert (stored.arch == _table(whole).arch.iloc[: len(stored)]).all()
    pd.testing.assert_frame_equal(done, _table(whole).loc[done.index])

    (tmpfs / "filler").unlink()
    assert cli("search", "--quiet", "--resume", str(run), "--budget", "150")[0] == 0
    pd.testing.assert_frame_equal(_table(run), _table(whole))


def test_a_refused_driver_waits_for_the_holder_to_write_its_pid(tmp_path):
    """The holder locks, then writes its pid: a second driver in between reads an empty file."""
    path = tmp_path / ".lock"
    with open(path, "a+") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)

        def write_pid():
            time.sleep(0.2)
            holder.write("4242")
            holder.flush()

        writer = threading.Thread(target=write_pid)
        writer.start()
        try:
            with pytest.raises(ResultsError, match=r"in use by another nasbench process \(pid 4242\)"):
                RunLock(path)
        finally:
            writer.join()
