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


def load_fitting(module: nn.Module, state: dict[str, torch.Tensor], what: str) -> nn.Module:
    """Load ``state`` into ``module``, or refuse in one line (``what: the first misfit``): a tensor the
    network lacks, one the file lacks, or a shape that differs. Weights saved by another version of a
    network, or by another network, are named as such instead of raising torch's many-line error."""
    own = module.state_dict()
    misfits = [
        *(f"it lacks {name}" for name in own if name not in state),
        *(f"it has {name}, which the network has not" for name in state if name not in own),
        *(
            f"{name} has shape {tuple(state[name].shape)}, the network's is {tuple(tensor.shape)}"
            for name, tensor in own.items()
            if name in state and state[name].shape != tensor.shape
        ),
    ]
    if misfits:
        more = f" (and {len(misfits) - 1} more)" if len(misfits) > 1 else ""
        raise ResultsError(f"{what}: {misfits[0]}{more}")
    module.load_state_dict(state)
    return module
