"""Smoke tests of the scaling benchmarks at their smallest setting."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def test_fit_timing_runs(capsys):
    import scaling_fits

    scaling_fits.main(["--rows", "12", "--resamples", "3"])
    assert "3 resamples" in capsys.readouterr().out


@pytest.mark.slow
def test_sweep_backends_runs(capsys, monkeypatch):
    import sweep_backends

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    sweep_backends.main(["--widths", "0.25", "--train-sizes", "32", "--seeds", "2", "--dataset", "digits"])
    out = capsys.readouterr().out
    assert "2 points: local" in out and "2 points: ray" in out
