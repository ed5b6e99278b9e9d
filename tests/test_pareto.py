import numpy as np
import pandas as pd
import pytest

from nasbench.analysis.pareto import evaluated, non_dominated, pareto_front
from nasbench.analysis.plots import plot_front, save
from nasbench.objective import Objective, Target

ACC_MACS = Objective((Target("valid_accuracy"), Target("macs", maximize=False)))


def table():
    rows = [  # name, state, duplicate_of, valid_accuracy, macs
        ("A", "COMPLETE", None, 90.0, 100.0),
        ("B", "COMPLETE", None, 92.0, 200.0),
        ("C", "COMPLETE", None, 91.0, 300.0),  # B is more accurate and cheaper
        ("D", "COMPLETE", None, 95.0, 500.0),
        ("E", "COMPLETE", None, 89.0, 50.0),
        ("F", "COMPLETE", None, 88.0, 60.0),  # E is more accurate and cheaper
        ("G", "COMPLETE", None, 95.0, 500.0),  # ties with D: neither dominates
        ("H", "FAIL", None, np.nan, np.nan),
        ("I", "COMPLETE", 3.0, 99.0, 5.0),  # a repeated proposal is not a new network
        ("J", "PRUNED", None, 99.5, 5.0),  # stopped early: its accuracy is not final
        ("K", "COMPLETE", None, 94.0, 500.0),  # D is more accurate at the same cost
    ]
    frame = pd.DataFrame(rows, columns=["arch", "state", "duplicate_of", "valid_accuracy", "macs"])
    frame.insert(0, "number", range(len(frame)))
    return frame


def test_front_of_a_known_set():
    front = pareto_front(table(), ACC_MACS)
    assert list(front.arch) == ["D", "G", "B", "A", "E"]


def test_directions_matter():
    front = pareto_front(table(), Objective((Target("valid_accuracy"), Target("macs"))))  # both maximised
    assert list(front.arch) == ["D", "G"]
    front = pareto_front(table(), Objective((Target("valid_accuracy", maximize=False), Target("macs", maximize=False))))
    assert list(front.arch) == ["F", "E"]


def test_non_dominated_in_three_dimensions():
    values = np.array([[1, 1, 1], [2, 2, 2], [3, 0, 0], [2, 2, 1], [0, 0, 3]])
    assert list(non_dominated(values)) == [False, True, True, False, True]


def test_a_missing_metric_is_named():
    with pytest.raises(ValueError, match="no column params"):
        pareto_front(table(), Objective((Target("valid_accuracy"), Target("params"))))


def test_plot_is_a_png(tmp_path):
    frame = table()
    (png, _) = save(plot_front(evaluated(frame), pareto_front(frame, ACC_MACS), ACC_MACS), tmp_path / "front")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_completed_trial_no_front(tmp_path):
    failed = pd.DataFrame({"number": [0, 1], "state": ["FAIL", "FAIL"], "duplicate_of": [None, None]})
    assert pareto_front(failed, ACC_MACS).empty
