"""Where torch runs: devices by name (which names are devices at all, which this machine has) and CPU threads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Run torch's CPU kernels on ``count`` threads inside the block (``None``: leave as is)."""
    before = torch.get_num_threads()
    if count is not None and count != before:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
