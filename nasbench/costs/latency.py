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


def measure_latency_ms(
    model: nn.Module,
    input_shape: tuple[int, ...],
    device: torch.device | str = "cpu",
    warmup: int = 3,
    repeats: int = 10,
) -> float:
    """Median wall time in milliseconds of a forward pass on a batch of one, after ``warmup`` passes.

    The model runs in eval mode without gradients; on a GPU each pass is synchronised.
    """
    if warmup < 0 or repeats < 1:
        raise InvalidOption(f"latency needs warmup >= 0 and repeats >= 1, got {warmup} and {repeats}")
    device = torch.device(device)
    was_training = model.training
    model.eval()
    try:
        model.to(device)
        inputs = torch.zeros(1, *input_shape, device=device)
        sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
        times = []
        with torch.no_grad():
            for k in range(warmup + repeats):
                sync()
                start = time.perf_counter()
                model(inputs)
                sync()
                if k >= warmup:
                    times.append(time.perf_counter() - start)
        return 1000.0 * statistics.median(times)
    finally:
        model.train(was_training)
