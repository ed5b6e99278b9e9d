"""The state of a sandwich-training run as files: safetensors for tensors, JSON for the rest, no pickle.

A checkpoint folder holds ``supernet.safetensors``, ``optimizer.safetensors`` and ``state.json``
(epoch, optimiser and scheduler settings, the child sampler's generator state, the epoch table, and
the SHA-256 of each tensor file). A folder whose files are missing or do not match their digests is
a half-written checkpoint and is never loaded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load, save

from nasbench.errors import ResultsError
from nasbench.storage import atomic
from nasbench.storage.run_folder import RunFolder
from nasbench.storage.weights import load_fitting

STATE = "state.json"
SUPERNET = "supernet.safetensors"
OPTIMIZER = "optimizer.safetensors"
EMA = "ema.safetensors"  # the moving average of the weights, where the run keeps one (``SupernetConfig.ema``)


@dataclass(frozen=True)
class TrainingState:
    epoch: int  # epochs completed
    children_rng: dict  # numpy bit-generator state of the child sampler
    history: list[dict]  # one row per completed epoch (the epoch table)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _split_optimizer(state: dict) -> tuple[dict[str, torch.Tensor], dict]:
    """An optimiser's state dict as (tensors keyed ``<param>.<name>``, the JSON-able rest)."""
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, dict] = {}
    for index, values in state["state"].items():
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{index}.{name}"] = value.detach().cpu().contiguous()
            else:
                plain.setdefault(str(index), {})[name] = value
    return tensors, {"param_groups": state["param_groups"], "state": plain}


def _join_optimizer(tensors: dict[str, torch.Tensor], rest: dict) -> dict:
    state: dict[int, dict[str, Any]] = {int(i): dict(v) for i, v in rest["state"].items()}
    for key, tensor in tensors.items():
        index, _, name = key.partition(".")
        state.setdefault(int(index), {})[name] = tensor
    return {"state": state, "param_groups": rest["param_groups"]}


def model_bytes(model: torch.nn.Module) -> bytes:
    return save({k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()})


def save_checkpoint(
    folder: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    state: TrainingState,
    ema: torch.nn.Module | None = None,
) -> None:
    """Write the checkpoint into ``folder`` (a fresh local folder that Ray Train then persists); ``ema`` is
    the ``AveragedModel`` of a run that keeps a moving average of its weights."""
    folder = Path(folder)
    optimizer_tensors, optimizer_rest = _split_optimizer(optimizer.state_dict())
    files = {SUPERNET: model_bytes(model), OPTIMIZER: save(optimizer_tensors)}
    if ema is not None:
        files[EMA] = model_bytes(ema)
    for name, data in files.items():
        atomic.write_bytes(folder / name, data)
    meta = {
        "epoch": state.epoch,
        "children_rng": state.children_rng,
        "history": state.history,
        "optimizer": optimizer_rest,
        "scheduler": scheduler.state_dict(),
    }
    digests = {name: _digest(data) for name, data in files.items()}
    atomic.write_json(folder / STATE, {**meta, "digests": {**digests, STATE: _state_digest(meta)}})


class AlteredCheckpoint(ResultsError):
    """A checkpoint whose ``state.json`` reads whole but does not match its own digest: edited by hand."""


def _state_digest(meta: dict) -> str:
    """The digest of everything ``state.json`` holds but the digests (keys sorted: the same on any write)."""
    return _digest(json.dumps({k: v for k, v in meta.items() if k != "digests"}, sort_keys=True).encode())


def read_verified(folder: Path) -> tuple[dict, dict[str, bytes]]:
    """``state.json`` and the tensor files, refusing a checkpoint that is incomplete or altered.

    A tensor file that does not match its digest was not copied whole (``ResultsError``); a ``state.json``
    that parses but does not match its own digest was edited (``AlteredCheckpoint``). Checkpoints written
    before ``state.json`` carried its own digest are checked by their tensor files only.
    """
    try:
        meta = json.loads((folder / STATE).read_text())
        digests = meta["digests"]
        names = (SUPERNET, OPTIMIZER, *((EMA,) if EMA in digests else ()))
        files = {name: (folder / name).read_bytes() for name in names}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ResultsError(f"incomplete checkpoint {folder}: {exc}") from None
    if STATE in digests and digests[STATE] != _state_digest(meta):
        raise AlteredCheckpoint(
            f"checkpoint {folder} was altered: its {STATE} does not match its digest; "
            "restore it, or delete that folder to resume from the checkpoint before it"
        )
    for name, data in files.items():
        if digests.get(name) != _digest(data):
            raise ResultsError(f"incomplete checkpoint {folder}: {name} does not match its digest")
    return meta, files


def is_complete(folder: Path) -> bool:
    """Whether a checkpoint was written whole (one half-written when its process died is passed over);
    an altered one is refused, not passed over (``AlteredCheckpoint``)."""
    try:
        read_verified(Path(folder))
    except AlteredCheckpoint:
        raise
    except ResultsError:
        return False
    return True


def checkpoint_epoch(folder: Path) -> int:
    return int(read_verified(Path(folder))[0]["epoch"])


def load_checkpoint(
    folder: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    ema: torch.nn.Module | None = None,
) -> TrainingState:
    """Restore model, optimiser, scheduler (and the weights' moving average) in place; returns the rest."""
    meta, files = read_verified(Path(folder))
    device = next(model.parameters()).device
    load_fitting(model, load(files[SUPERNET]), f"checkpoint {folder} does not fit this supernet")
    if ema is not None:
        if EMA not in files:
            raise ResultsError(f"checkpoint {folder} keeps no moving average of the weights")
        ema.load_state_dict({k: v.to(device) for k, v in load(files[EMA]).items()})
    optimizer_tensors = {k: v.to(device) for k, v in load(files[OPTIMIZER]).items()}
    optimizer.load_state_dict(_join_optimizer(optimizer_tensors, meta["optimizer"]))
    scheduler.load_state_dict(meta["scheduler"])
    return TrainingState(int(meta["epoch"]), meta["children_rng"], list(meta["history"]))


def published_weights(files: dict[str, bytes]) -> bytes:
    """The weights a run publishes: the moving average where it keeps one (its ``module.`` entries), else
    the weights as trained."""
    if EMA not in files:
        return files[SUPERNET]
    prefix = "module."
    averaged = {k[len(prefix) :]: v for k, v in load(files[EMA]).items() if k.startswith(prefix)}
    return save(averaged)


def load_supernet_weights(folder: Path) -> dict[str, torch.Tensor]:
    """The supernet's published weights from a verified checkpoint."""
    return load(published_weights(read_verified(Path(folder))[1]))


def latest_checkpoint(run: Path) -> Path | None:
    """The complete checkpoint of the most epochs in the run folder, or None."""
    attempts = RunFolder(run).checkpoints_dir.glob("attempt-*/epoch-*")
    found = [p for p in attempts if p.is_dir() and is_complete(p)]
    return max(found, key=lambda p: (checkpoint_epoch(p), p.parent.name), default=None)
