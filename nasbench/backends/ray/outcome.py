"""Turning what Tune reports about a finished trial into the session's ``Finished``."""

from __future__ import annotations

import os

from nasbench.backends.ray.trainable import EPOCH_VALUES, ERROR, FINAL, METRICS, NODE, WALL
from nasbench.trial import Finished, TrialState

_PREFIX = METRICS + "/"  # Tune hands the searcher flattened results


def outcome(result: dict | None, error: bool, tune_trial) -> Finished | None:
    """COMPLETE, FAIL or PRUNED with the backend's columns (node, attempts); ``None`` when the
    trial was stopped before it reported anything (it is evaluated again on resume)."""
    failures = 0 if tune_trial is None else tune_trial.num_failures
    if error:
        last = {} if tune_trial is None else (tune_trial.last_result or {})
        extra = {**_node(last), "attempts": max(1, failures)}
        return Finished(
            TrialState.FAIL,
            error=describe_error(tune_trial),
            wall_seconds=float(last.get("time_total_s", 0.0)),
            extra=extra,
        )
    if not result:
        return None
    extra = {**_node(result), "attempts": failures + 1, **_epoch_values(result)}
    metrics = {key[len(_PREFIX) :]: float(value) for key, value in result.items() if key.startswith(_PREFIX)}
    if not result.get(FINAL):  # the scheduler stopped it: its last report stands
        return Finished(TrialState.PRUNED, metrics, wall_seconds=float(result.get("time_total_s", 0.0)), extra=extra)
    if result.get(ERROR):
        return Finished(TrialState.FAIL, error=str(result[ERROR]), wall_seconds=float(result[WALL]), extra=extra)
    return Finished(TrialState.COMPLETE, metrics, wall_seconds=float(result[WALL]), extra=extra)


def _epoch_values(result: dict) -> dict:
    return {EPOCH_VALUES: result[EPOCH_VALUES]} if result.get(EPOCH_VALUES) else {}


def _node(result: dict) -> dict:
    """Which node ran the trial: Ray's node id (unique, also on one host) and its IP address."""
    return {"node_id": result.get(NODE, ""), "node_ip": result.get("node_ip", "")}


def describe_error(tune_trial) -> str:
    """One line: the exception a trial's last attempt raised, or how its worker died.

    Read from the files Tune has just written in its local staging folder (the copies under the
    run's tune/ folder are synchronised later).
    """
    from ray import cloudpickle
    from ray.exceptions import RayActorError, RayTaskError

    exc = _read(None if tune_trial is None else tune_trial.pickled_error_file, cloudpickle.loads)
    if exc is None:
        text = _read(None if tune_trial is None else tune_trial.error_file, bytes.decode) or ""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines[-1] if lines else "the trial failed"
    if isinstance(exc, RayTaskError) and exc.cause is not None:
        exc = exc.cause
    if isinstance(exc, RayActorError):
        return "the worker died"
    return f"{type(exc).__name__}: {exc}"


def _read(path: str | None, parse):
    if not path or not os.path.exists(path):
        return None
    try:
        with open(path, "rb") as handle:
            return parse(handle.read())
    except Exception:  # an error that cannot be unpickled here: fall back to its text
        return None
