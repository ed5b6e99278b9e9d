"""Starting or joining Ray for a search, quietly, and leaving nothing running afterwards."""

from __future__ import annotations

import builtins
import logging
import os
import socket
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nasbench.backends.ray.processes import end_stale_processes, forget_processes, record_processes
from nasbench.errors import NasbenchError

#: environment while Tune runs: the plain (silent at verbose=0) reporter, and Ctrl-C raising
#: KeyboardInterrupt in the driver at once, as with the local backend
TUNE_ENVIRONMENT = {"RAY_AIR_NEW_OUTPUT": "0", "TUNE_DISABLE_SIGINT_HANDLER": "1", "TUNE_PRINT_ALL_TRIAL_ERRORS": "0"}
#: loggers silenced while Tune runs; trial errors are in the trial table and in Tune's own logs
QUIET_LOGGERS = ("ray.tune", "ray.train", "ray.air")


@contextmanager
def ray_connection(address: str | None, folder: Path) -> Iterator[None]:
    """Ray for the duration of a search.

    ``address=None`` starts an embedded local Ray and shuts it down afterwards; an address joins a
    running cluster (``ray start --head``). If this process is already connected to Ray (a
    notebook, a test), that connection is used and left open.
    """
    import ray

    end_stale_processes(folder)
    if ray.is_initialized():
        yield
        return
    print_before = builtins.print
    try:
        ray.init(
            address=address or "local",  # never attach by accident to someone's `ray start` cluster
            include_dashboard=False,
            log_to_driver=False,  # workers' output stays in Ray's session logs
            logging_level=logging.ERROR,
        )
    except Exception as exc:  # Ray raises bare Exceptions too (a raylet that timed out on a loaded machine)
        _stop_partial_start()
        builtins.print = print_before
        where = f"join the Ray cluster at {address}" if address else "start a local Ray"
        advice = "is it running, and at that address?" if address else "retry, or run with --backend local"
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise NasbenchError(f"cannot {where}: {reason}; {advice}") from None
    try:
        if address is None:
            record_processes(folder)
        yield
    finally:
        try:
            ray.shutdown()  # may raise after Ctrl-C reached Ray's own processes first
        finally:
            builtins.print = print_before  # Ray swaps in its own print when it first shows worker output
            if address is None:
                forget_processes(folder)


def _stop_partial_start() -> None:
    """What a failed ``ray.init`` started (its GCS, a raylet) is stopped, not left running."""
    import ray

    try:
        ray.shutdown()
    except Exception:  # nothing more can be done about a start that failed half-way
        pass


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail at once on a ``host:port`` nobody listens on (Ray itself would retry for minutes)."""
    host, sep, port = address.rpartition(":")
    if not sep or "://" in address or not port.isdigit():
        return  # "auto", ray:// client addresses: left to Ray
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout).close()
    except OSError as exc:
        raise NasbenchError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}") from None


@contextmanager
def quiet_tune() -> Iterator[None]:
    """Tune without progress tables, log lines or warnings on the terminal (its files are still written)."""
    saved_env = {key: os.environ.get(key) for key in TUNE_ENVIRONMENT}
    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    saved_levels = [logger.level for logger in loggers]
    os.environ.update(TUNE_ENVIRONMENT)
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for logger, level in zip(loggers, saved_levels):
            logger.setLevel(level)
