"""Trained weights on disk, as safetensors: no pickle, so a file from anyone is safe to open."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from nasbench.errors import ResultsError
from nasbench.storage import atomic

#: sub-folder of a run that holds the weights of trained candidates, one file per graph hash
WEIGHTS_DIR = "weights"


def save_weights(model: nn.Module, path: str | Path) -> None:
    from safetensors.torch import save

    state = {name: tensor.detach().to("cpu").contiguous().clone() for name, tensor in model.state_dict().items()}
    atomic.write_bytes(path, save(state))


def load_weights(path: str | Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load

    path = Path(path)
    if not path.exists():
        raise ResultsError(f"weights file {path} does not exist")
    try:
        return load(path.read_bytes())
    except (SafetensorError, ValueError, OSError) as exc:
        raise ResultsError(f"corrupt weights file {path}: {exc}") from None
