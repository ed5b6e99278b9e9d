"""Cost models of a built network: parameters and multiply-accumulates.

fvcore counts one "flop" per multiply-add, so its total is reported here as ``macs``
(multiply-accumulate operations), the unit of the EfficientNet and MnasNet papers.
"""

from __future__ import annotations

import logging

import torch
from torch import nn


def count_params(model: nn.Module) -> int:
    """Trainable and frozen parameters (BN affine included, buffers not)."""
    return sum(p.numel() for p in model.parameters())


def count_macs(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one forward pass on a batch of one, counted by fvcore.

    Convolutions, linear layers, batch norm and pooling are counted; element-wise activations,
    additions and multiplications are not (fvcore skips them; we silence its warnings about it).
    """
    from fvcore.nn import FlopCountAnalysis

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            inputs = torch.zeros(1, *input_shape, device=next(model.parameters()).device)
            analysis = FlopCountAnalysis(model, inputs)
            analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
            logger = logging.getLogger("fvcore")
            level = logger.level
            logger.setLevel(logging.ERROR)
            try:
                return int(analysis.total())
            finally:
                logger.setLevel(level)
    finally:
        model.train(was_training)
