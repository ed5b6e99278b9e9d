"""What a search prints per trial: a short line, whatever the length of the architecture's string."""

from __future__ import annotations

import numpy as np

from nasbench.cli.progress import trial_line
from nasbench.objective import Objective, Target
from nasbench.results import TrialRecord
from nasbench.search_spaces.nasnet import NASNetSpace
from nasbench.trial import TrialState


def _record(state=TrialState.COMPLETE, metrics=None, values=(91.25,), error=""):
    arch = NASNetSpace().sample(np.random.default_rng(0))
    assert len(arch.to_string()) > 200  # what the line used to carry whole
    return TrialRecord(
        number=7,
        arch=arch.to_string(),
        hash=arch.hash_key,
        state=state,
        metrics=metrics or {},
        values=values,
        seed=0,
        wall_seconds=1.0,
        asked_at=0,
        told_at=1,
        error=error,
    )


def test_a_trial_line_is_short_and_names_the_network_by_hash():
    metrics = {"valid_accuracy": 91.25, "valid_loss": 0.31, "train_seconds": 12.5, "params": 123456.0, "macs": 2.5e6}
    line = trial_line(_record(metrics=metrics), Objective())
    assert line.startswith("trial 7: COMPLETE  value 91.25  valid_accuracy 91.25")
    assert "params 123,456" in line and "macs 2,500,000" in line and "valid_loss" not in line
    record = _record(metrics=metrics)
    assert line.endswith(f"hash {record.hash[:8]}") and record.arch not in line and len(line) < 150


def test_a_failed_trial_line_shows_the_start_of_its_error():
    line = trial_line(
        _record(TrialState.FAIL, values=None, error="RuntimeError: " + "x" * 500),
        Objective((Target("valid_accuracy"), Target("macs", False))),
    )
    assert line.startswith("trial 7: FAIL  RuntimeError: xxx") and "..." in line and len(line) < 150
