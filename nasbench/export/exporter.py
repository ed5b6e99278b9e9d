"""Writing an architecture out as a standalone PyTorch model, and loading it back."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import shutil
import sys
import tempfile
import uuid
import warnings
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import nn

import nasbench
from nasbench.arch import Arch
from nasbench.costs.counting import count_macs, count_params
from nasbench.errors import InvalidOption, NasbenchError, ResultsError
from nasbench.export.source import model_source
from nasbench.space import Buildable, DataSpec, SearchSpace, require_capability
from nasbench.storage import atomic
from nasbench.storage.weights import load_fitting

FORMATS = ("export", "onnx")  # beyond model.py and weights.pt: torch.export program, ONNX
#: every file an export may write
EXPORT_FILES = ("model.py", "weights.pt", "arch.json", "model.pt2", "model.onnx", "model.onnx.data")


def export_architecture(
    space: SearchSpace,
    arch: Arch,
    out: str | Path,
    *,
    data: DataSpec | None = None,
    weights: dict[str, torch.Tensor] | nn.Module | None = None,
    metrics: dict[str, Any] | None = None,
    formats: Iterable[str] = (),
) -> Path:
    """Write ``model.py``, ``arch.json`` and (with ``weights``) ``weights.pt`` into ``out``.

    ``weights`` is a state dict or a trained module of this architecture. ``formats`` may add
    ``"export"`` (a ``torch.export`` program, model.pt2) and ``"onnx"`` (model.onnx).
    """
    formats = list(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise InvalidOption(f"unknown export format {', '.join(unknown)}; choose from: {', '.join(FORMATS)}")
    builder = require_capability(space, Buildable, "export")
    data = data or builder.default_data()
    spec = builder.network_spec(arch, data)
    model = spec.instantiate()
    if weights is not None:
        state = weights.state_dict() if isinstance(weights, nn.Module) else weights
        load_fitting(model, state, f"the weights do not fit architecture {arch}")
    out = Path(out)
    with _staging(out) as stage:
        _write(stage, space, arch, spec, model, data, weights is not None, metrics, formats)
    return out


def _write(stage: Path, space, arch, spec, model, data: DataSpec, trained: bool, metrics, formats) -> None:
    atomic.write_text(stage / "model.py", model_source(spec, space.name, arch.to_string(), nasbench.__version__))
    if trained:
        buffer = io.BytesIO()
        torch.save(model.state_dict(), buffer)
        atomic.write_bytes(stage / "weights.pt", buffer.getvalue())
    shape = (data.channels, data.height, data.width)
    info = {
        "space": space.name,
        "space_options": space.options(),
        "arch": arch.to_string(),
        "hash": arch.hash_key,
        "network": spec.name,
        "input": asdict(data),
        "params": count_params(model),
        "macs": count_macs(model, shape),
        "trained_weights": trained,
        "metrics": metrics or {},
        "nasbench_version": nasbench.__version__,
    }
    atomic.write_json(stage / "arch.json", info)
    example = torch.randn(2, *shape)  # a batch of 2, so the batch size stays dynamic
    with warnings.catch_warnings():  # torch's tracers warn about their own internals
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        if "export" in formats:
            program = torch.export.export(model.eval(), (example,), dynamic_shapes=({0: torch.export.Dim.DYNAMIC},))
            torch.export.save(program, str(stage / "model.pt2"))
        if "onnx" in formats:
            _export_onnx(model.eval(), example, stage / "model.onnx")


@contextlib.contextmanager
def _staging(out: Path):
    """A hidden folder inside ``out`` to write into; on success its files replace the export in ``out``.

    Files of an earlier export that this one does not write (weights of another network, a stale
    ONNX file) are removed, so ``out`` never mixes two exports; other files there are left alone.
    An ``out`` this export created is removed again if the export fails.
    """
    if out.exists() and not out.is_dir():
        raise InvalidOption(f"--out {out} is a file, not a folder")
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(dir=out, prefix=".export-"))  # same file system: the moves are atomic
    except OSError as exc:
        raise ResultsError(f"cannot write to {out}: {exc.strerror or exc}") from None
    done = False
    try:
        yield stage
        for name in EXPORT_FILES:
            if (stage / name).exists():
                os.replace(stage / name, out / name)
            elif (out / name).exists():
                (out / name).unlink()
        done = True
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if created and not done:
            shutil.rmtree(out, ignore_errors=True)


def _export_onnx(model: nn.Module, example: torch.Tensor, path: Path) -> None:
    missing = [p for p in ("onnx", "onnxscript") if importlib.util.find_spec(p) is None]
    if missing:
        raise NasbenchError(f"ONNX export needs {' and '.join(missing)}: pip install onnx onnxscript")
    with contextlib.redirect_stdout(io.StringIO()):  # the exporter prints its progress
        torch.onnx.export(
            model,
            (example,),
            str(path),
            input_names=["images"],
            output_names=["logits"],
            dynamic_shapes=({0: torch.export.Dim.DYNAMIC},),
            external_data=False,
            verbose=False,
        )


def load_exported(folder: str | Path) -> nn.Module:
    """Import an exported ``model.py`` and return its network (trained, when weights.pt is there)."""
    folder = Path(folder)
    source = folder / "model.py"
    if not source.exists():
        raise ResultsError(f"{folder} holds no exported model.py")
    name = f"nasbench_exported_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, source)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    try:
        spec.loader.exec_module(module)
        weights = folder / "weights.pt"
        if not weights.exists():
            return module.build_model()
        try:
            return module.load_model(str(weights))
        except Exception as exc:  # torch raises several types on a damaged file
            raise ResultsError(f"corrupt weights file {weights}: {str(exc).splitlines()[0]}") from None
    finally:
        sys.modules.pop(name, None)
