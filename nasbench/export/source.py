"""The source of an exported ``model.py``: the space's torch-only modules plus the architecture."""

from __future__ import annotations

import ast
import importlib.util
import pprint
from pathlib import Path

from nasbench.space import NetworkSpec

#: what an exported model may import: torch and a few standard-library modules
ALLOWED_IMPORTS = {"torch", "math", "typing", "collections", "functools", "itertools", "__future__"}


def module_source(module: str) -> str:
    """The text of a space's modules file, checked to import nothing beyond ``ALLOWED_IMPORTS``."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ValueError(f"cannot find the source of {module}")
    text = Path(spec.origin).read_text()
    for node in ast.walk(ast.parse(text)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else ["." * node.level]
        for name in names:
            if name.split(".")[0] not in ALLOWED_IMPORTS:
                raise ValueError(
                    f"{module} imports {name}; an exported model may import only {sorted(ALLOWED_IMPORTS)}"
                )
    return text


def _literal(value) -> str:
    """A readable Python literal; long tuples are broken over lines."""
    text = repr(value)
    if len(text) <= 88:
        return text
    return pprint.pformat(value, width=88, indent=4).replace("\n", "\n    ")


def model_source(spec: NetworkSpec, space: str, arch: str, version: str) -> str:
    """A standalone ``model.py``: ``build_model()`` and ``load_model(weights)``, importing only torch."""
    header = (
        f"# Exported by nasbench {version}: the '{space}' network of architecture\n"
        f"#   {arch}\n"
        "# Plain PyTorch. Use:  model = load_model()  (trained weights.pt beside this file)\n"
        "#                 or:  model = build_model()  (freshly initialised)\n\n"
    )
    body = module_source(spec.module).rstrip() + "\n"
    kwargs = "dict(\n" + "".join(f"    {k}={_literal(v)},\n" for k, v in spec.kwargs.items()) + ")"
    footer = f'''

# --- the exported architecture ---------------------------------------------------------------

import torch  # noqa: E402  (the modules above may import only parts of it)

ARCHITECTURE = {arch!r}
NETWORK_ARGS = {kwargs}


def build_model():
    return {spec.name}(**NETWORK_ARGS)


def load_model(weights=None, map_location="cpu"):
    """The trained network in eval mode; ``weights`` defaults to weights.pt beside this file."""
    import os

    path = weights or os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights.pt")
    model = build_model()
    model.load_state_dict(torch.load(path, map_location=map_location, weights_only=True))
    return model.eval()
'''
    return header + body + footer
