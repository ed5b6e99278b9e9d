"""Measured latency of a network on the current device.

Latency depends on the machine, its load, torch's thread count and the device: compare numbers
measured side by side on one machine only, and resume a latency-constrained search on the same kind
of machine (measurements are cached in the run folder, keyed by architecture and device).
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn

from nasbench.errors import InvalidOption


def device_label(device: torch.device) -> str:
    """A readable name of the device latencies are measured on (part of the cache key)."""
    if device.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(device)}"
    return f"{device.type}:{torch.get_num_threads()}threads"


def device_name(device: torch.device) -> str:
    """The device a latency model was measured on, as its file records it (its threads are recorded apart)."""
    return f"cuda:{torch.cuda.get_device_name(device)}" if device.type == "cuda" else "cpu"


def forward_times_ms(
    model: nn.Module,
    input_shape: tuple[int, ...],
    device: torch.device | str = "cpu",
    warmup: int = 3,
    repeats: int = 10,
    batch: int = 1,
) -> list[float]:
    """Wall time in milliseconds of each of ``repeats`` forward passes on a batch of ``batch`` zeros, after
    ``warmup`` passes; the model in eval mode without gradients, each pass synchronised on a GPU."""
    if warmup < 0 or repeats < 1 or batch < 1:
        raise InvalidOption(f"latency needs warmup >= 0, repeats >= 1 and batch >= 1, got {warmup}, {repeats}, {batch}")
    device = torch.device(device)
    was_training = model.training
    model.eval()
    try:
        model.to(device)
        inputs = torch.zeros(batch, *input_shape, device=device)
        sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
        times = []
        with torch.inference_mode():
            for k in range(warmup + repeats):
                sync()
                start = time.perf_counter()
                model(inputs)
                sync()
                if k >= warmup:
                    times.append(1000.0 * (time.perf_counter() - start))
        return times
    finally:
        model.train(was_training)


def measure_latency_ms(
    model: nn.Module,
    input_shape: tuple[int, ...],
    device: torch.device | str = "cpu",
    warmup: int = 3,
    repeats: int = 10,
) -> float:
    """Median wall time in milliseconds of a forward pass on a batch of one, after ``warmup`` passes."""
    return statistics.median(forward_times_ms(model, input_shape, device, warmup, repeats))
