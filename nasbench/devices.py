"""Devices by name: which names are devices at all, and which of them this machine has."""

from __future__ import annotations

import torch

from nasbench.errors import InvalidOption


def check_device_name(name: str) -> None:
    """Refuse what is no device name at all (whether this machine has it is checked where it trains:
    a cluster's driver may have no GPU while its workers do)."""
    if name == "auto":
        return
    try:
        kind = torch.device(name).type
    except (RuntimeError, ValueError, TypeError):
        kind = None
    if kind not in ("cpu", "cuda"):
        raise InvalidOption(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N")


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` (the GPU when there is one), or a device this machine has."""
    check_device_name(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise InvalidOption(f"device {name!r} is not on this machine ({torch.cuda.device_count()} CUDA devices)")
    return device
