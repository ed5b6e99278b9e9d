"""Cost models of a built network: parameters and multiply-accumulates.

fvcore counts one "flop" per multiply-add, so its total is reported here as ``macs``
(multiply-accumulate operations), the unit of the EfficientNet and MnasNet papers.
"""

from __future__ import annotations

import logging
import warnings

import torch
from torch import nn

from nasbench.training.devices import torch_threads

#: fvcore operator groups that the papers count: convolutions and fully connected layers
CONV_LINEAR = ("conv", "linear", "matmul", "einsum", "bmm", "addmm")


def count_params(model: nn.Module) -> int:
    """Trainable and frozen parameters (BN affine included, buffers not)."""
    return sum(p.numel() for p in model.parameters())


def mac_breakdown(model: nn.Module, input_shape: tuple[int, ...], threads: int | None = 1) -> dict[str, int]:
    """Multiply-accumulates of one forward pass on a batch of one, per fvcore operator group.

    Convolutions, linear layers, batch norm and pooling are counted; element-wise activations,
    additions and multiplications are not (fvcore skips them; we silence its warnings about it).
    The counting forward runs on one CPU thread by default: on a busy machine that is several
    times faster than competing for cores (see docs/BENCHMARKS.md).
    """
    with warnings.catch_warnings():  # fvcore.nn scripts a loss function at import, which torch >= 2.9 deprecates
        warnings.simplefilter("ignore", DeprecationWarning)
        from fvcore.nn import FlopCountAnalysis

    was_training = model.training
    model.eval()
    logger = logging.getLogger("fvcore")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with torch.no_grad(), torch_threads(threads):
            inputs = torch.zeros(1, *input_shape, device=next(model.parameters()).device)
            analysis = FlopCountAnalysis(model, inputs)
            analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
            return {op: int(n) for op, n in analysis.by_operator().items()}
    finally:
        logger.setLevel(level)
        model.train(was_training)


def count_macs(model: nn.Module, input_shape: tuple[int, ...], threads: int | None = 1) -> int:
    """Multiply-accumulates of one forward pass on a batch of one, counted by fvcore (all groups)."""
    return sum(mac_breakdown(model, input_shape, threads).values())


def conv_linear_macs(breakdown: dict[str, int]) -> int:
    """The convolution and fully-connected share of a breakdown: what the papers report.

    Batch norm folds into the preceding convolution at inference, so papers leave it out.
    """
    return sum(n for op, n in breakdown.items() if op in CONV_LINEAR)
