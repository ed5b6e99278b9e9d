"""The notebooks run top to bottom at a small setting, so none can rot."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def execute(name: str, parameters: str) -> nbformat.NotebookNode:
    """Run a notebook with its ``parameters`` cell replaced; returns it with its outputs."""
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    cells = [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{name} needs one cell tagged 'parameters'"
    cells[0].source = parameters
    NotebookClient(book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return book


def text_of(book) -> str:
    return "\n".join(o.get("text", "") for c in book.cells if c.cell_type == "code" for o in c.get("outputs", []))


@pytest.mark.slow
def test_scaling_laws_notebook(tmp_path):
    book = execute(
        "1_scaling_laws.ipynb",
        "WIDTHS = [0.25, 0.5, 1.0]\nTRAIN_SIZES = [64, 128]\nEPOCHS = 1\nRESAMPLES = 20\n"
        f"OUT = {str(tmp_path / 'sweep')!r}",
    )
    text = text_of(book)
    assert "6 trainings" in text and "irreducible loss" in text and "N_opt ~ C^a" in text


@pytest.mark.slow
def test_nas_bench_201_notebook():
    text = text_of(execute("2_nas_bench_201.ipynb", "LIMIT = 300"))
    assert "300 cells" in text and "Spearman 12 vs 200 epochs" in text


@pytest.mark.slow
def test_strategies_notebook():
    text = text_of(
        execute("3_strategies.ipynb", f"MAX_QUERIES = 20\nRESULTS = {str(ROOT / 'benchmarks' / 'results')!r}")
    )
    assert "cifar10: regret after 20 queries" in text


@pytest.mark.slow
def test_scaling_choice_notebook(tmp_path):
    book = execute(
        "4_scaling_choice.ipynb",
        "SEARCH_BUDGET = 6\nARCHITECTURES = 3\nSEARCH_SIZE = 256\nWIDTHS = [0.25, 0.5]\n"
        "TRAIN_SIZES = [64, 128, 256, 512]\n"
        f"EPOCHS = 1\nRESAMPLES = 20\nOUT = {str(tmp_path / 'choice')!r}",
    )
    text = text_of(book)
    assert "6 candidates searched" in text and "median relative error" in text and "pick correct" in text
    assert "best with probability" in text and "at about" in text
