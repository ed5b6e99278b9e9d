"""Shared fixtures: the real NAS-Bench-201 tables that sit beside the project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NB201_DIR = Path(
    os.environ.get("NASBENCH_NB201_DIR", Path(__file__).resolve().parents[2] / "shared" / "data" / "nb201")
)


@pytest.fixture(scope="session")
def nb201_dir() -> Path:
    if not (NB201_DIR / "cifar10_valid_200ep_seedavg.csv").exists():
        pytest.fail(f"NAS-Bench-201 tables not found at {NB201_DIR}; set NASBENCH_NB201_DIR")
    return NB201_DIR


@pytest.fixture(scope="session")
def nb201_table(nb201_dir):
    from nasbench.search_spaces.nb201 import NB201Space
    from nasbench.tabular import TabularEvaluator

    return TabularEvaluator(NB201Space(), nb201_dir)


@pytest.fixture
def one_thread():
    """torch on one CPU thread: on a shared machine, competing for cores is several times slower."""
    from nasbench.costs import torch_threads

    with torch_threads(1):
        yield


@pytest.fixture
def cli(capsys):
    """Run the command line in-process; returns (exit code, stdout, stderr)."""
    from nasbench.cli import main

    def run(*argv):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse's own errors
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    return run
