"""The supernet overhead benchmark runs at its smallest setting."""

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("one_thread")


def test_supernet_overhead_benchmark_runs(capsys):
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "supernet_overhead.py"
    spec = importlib.util.spec_from_file_location("supernet_overhead", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--cases", "vit-digits", "mbconv-tiny-32", "--batch", "2", "--repeats", "1", "--warmup", "0"])
    rows = [
        line for line in capsys.readouterr().out.splitlines() if line.startswith("| vit") or line.startswith("| mb")
    ]
    assert len(rows) == 4 and all(row.endswith("% |") for row in rows)
