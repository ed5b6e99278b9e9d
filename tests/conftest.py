"""Shared fixtures: the NAS-Bench-201 results bundled with the package, laid out as the full tables."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# the tests' Ray clusters live on localhost only, for the length of a test
os.environ.setdefault("RAY_AUTH_MODE", "disabled")


def pytest_configure(config) -> None:
    """Under pytest-xdist, each worker's torch (and the processes it starts) gets its share of the cores:
    two workers each running torch on every core would fight over them."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        share = max(1, (os.cpu_count() or 1) // workers)
        os.environ.setdefault("OMP_NUM_THREADS", str(share))
        import torch

        torch.set_num_threads(share)


#: the files that take longest (each about a minute or more on 2 cores, mostly process and Ray start-ups),
#: longest first
LONGEST_FILES = (
    "test_supernet_ray.py",
    "test_deterministic_ray.py",
    "test_benchmarks.py",
    "test_ray_resume.py",
    "test_training.py",
    "test_constraints.py",
    "test_supernet_benchmarks.py",
    "test_training_cli.py",
)


def pytest_collection_modifyitems(config, items) -> None:
    """The longest files first, then the other files with end-to-end (``slow``) tests, then the rest:
    the longest work starts early and no worker is left alone with it at the end. The order within a
    file is kept."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow") is not None}

    def rank(item) -> tuple[int, int]:
        if item.path.name in LONGEST_FILES:
            return 0, LONGEST_FILES.index(item.path.name)
        return (1 if item.path in slow_files else 2), 0

    items.sort(key=rank)


#: the full NAS-Bench-201 tables, where this machine has them (only the test that checks the bundle needs them)
FULL_NB201_DIR = Path(
    os.environ.get("NASBENCH_NB201_DIR", Path(__file__).resolve().parents[2] / "shared" / "data" / "nb201")
)


@pytest.fixture(scope="session")
def nb201_dir(tmp_path_factory) -> Path:
    """The bundled table written as the three full-table files (their names and key columns), so tests
    exercise the folder-of-CSVs path exactly as a user's copy of the full tables would."""
    from nasbench.search_spaces.nb201.bundled import SOURCE_COLUMNS, bundled_table

    folder = tmp_path_factory.mktemp("nb201")
    table = bundled_table()
    for file, columns in SOURCE_COLUMNS.items():
        key = "arch_str" if file.startswith("cifar10_valid") else "ArchitectureString"
        table[["arch_str", *columns]].rename(columns={"arch_str": key}).to_csv(folder / file, index=False)
    return folder


@pytest.fixture(scope="session")
def nb201_table():
    from nasbench.evaluators.tabular import TabularEvaluator
    from nasbench.search_spaces.nb201 import NB201Space

    return TabularEvaluator(NB201Space(), "nb201")


@pytest.fixture
def one_thread():
    """torch on one CPU thread: on a shared machine, competing for cores is several times slower."""
    from nasbench.training.devices import torch_threads

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
