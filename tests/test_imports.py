"""The package's modules import one another without circles.

A circle works only in the order the modules happen to be imported, and shows where a helper lives
where it is used first rather than where it belongs. Imports inside functions count (they are how
circles hide), imports under ``TYPE_CHECKING`` too, except annotations inside one package.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nasbench"


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    return modules


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Line numbers of imports inside ``if TYPE_CHECKING:`` blocks."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            lines |= {n.lineno for child in node.body for n in ast.walk(child) if hasattr(n, "lineno")}
    return lines


def import_graph() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        typing_only = _type_checking_only(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                submodules = [f"{node.module}.{alias.name}" for alias in node.names]
                targets = [m for m in submodules if m in modules] or [node.module]
            else:
                continue
            for target in targets:
                if target not in modules or target == name:
                    continue
                same_package = target.rsplit(".", 1)[0] == name.rsplit(".", 1)[0]
                if node.lineno in typing_only and same_package:
                    continue  # an annotation naming a sibling's class
                graph.add_edge(name, target)
    return graph


def test_no_module_imports_itself_through_others():
    circles = [sorted(c) for c in nx.strongly_connected_components(import_graph()) if len(c) > 1]
    assert circles == []


@pytest.mark.parametrize(
    "module",
    [
        "nasbench.trial",
        "nasbench.evaluator",
        "nasbench.session",
        "nasbench.search_spaces.mbconv.space",
        "nasbench.search",
    ],
)
def test_modules_once_in_circles_import_alone(module):
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, timeout=300)
