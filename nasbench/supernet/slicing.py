"""Slicing maximum-size weights: the functional ops of a supernet's forward and the copy into a child."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice

import torch
import torch.nn.functional as F
from torch import nn


def leading(tensor: torch.Tensor, shape: tuple[int, ...] | torch.Size) -> torch.Tensor:
    """The leading slice of ``tensor`` with ``shape``; a convolution's kernel (dims 2 and 3) is cut from its centre.

    Once-for-all's elastic kernel takes the centre of the largest kernel; every other dimension keeps
    its first entries (AutoFormer's weight entanglement).
    """
    if len(shape) != tensor.dim() or any(s > t for s, t in zip(shape, tensor.shape)):
        raise ValueError(f"cannot slice a tensor of shape {tuple(tensor.shape)} to {tuple(shape)}")
    index = []
    for dim, (size, full) in enumerate(zip(shape, tensor.shape)):
        start = (full - size) // 2 if dim >= 2 and tensor.dim() == 4 else 0
        index.append(slice(start, start + size))
    return tensor[tuple(index)]


def batch_norm(x: torch.Tensor, bn: nn.BatchNorm2d, channels: int) -> torch.Tensor:
    """``bn`` on the first ``channels`` channels, updating the slices of its running statistics as
    ``nn.BatchNorm2d`` would.

    The slices are views, so training updates land in the full buffers; a ``momentum`` of ``None``
    gives the cumulative average that recalibration uses.
    """
    factor = 0.0
    if bn.training:
        bn.num_batches_tracked.add_(1)
        factor = 1.0 / float(bn.num_batches_tracked) if bn.momentum is None else bn.momentum
    return F.batch_norm(
        x,
        bn.running_mean[:channels],
        bn.running_var[:channels],
        bn.weight[:channels],
        bn.bias[:channels],
        bn.training,
        factor,
        bn.eps,
    )


def copy_slices(
    child: nn.Module,
    tensors: dict[str, torch.Tensor],
    source_name: Callable[[str], str] = str,
    slice_for: Callable[[str, torch.Tensor, torch.Size], torch.Tensor] = lambda name, source, shape: leading(
        source, shape
    ),
) -> nn.Module:
    """Fill every parameter and buffer of ``child`` with its slice of the supernet tensor it maps to.

    ``source_name`` maps a child's name to the supernet's; ``slice_for(name, source, shape)`` cuts
    the slice (the leading one by default).
    """
    state = {}
    for name, target in child.state_dict().items():
        source = tensors[source_name(name)]
        state[name] = source.clone() if target.dim() == 0 else slice_for(name, source, target.shape).clone()
    child.load_state_dict(state)
    return child


def inputs_of(batches: Iterable, limit: int | None) -> Iterator[torch.Tensor]:
    """The input tensors of ``batches`` (tensors or ``(inputs, labels)`` pairs), at most ``limit`` of them."""
    for batch in islice(batches, limit):
        yield batch[0] if isinstance(batch, (tuple, list)) else batch


@torch.no_grad()
def recalibrate_batch_norm(module: nn.Module, run: Callable[[torch.Tensor], object], inputs: Iterable) -> int:
    """Reset every batch norm of ``module`` and re-estimate its statistics as the plain mean over ``inputs``.

    BigNAS: a child's statistics differ from any running average seen while the supernet trained.
    Returns the number of batches used; momentum and training mode are restored afterwards.
    """
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [bn.momentum for bn in norms]
    was_training = module.training
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average: every batch counts equally
    module.train()
    count = 0
    try:
        device = next(module.parameters()).device
        for x in inputs:
            run(x.to(device))
            count += 1
    finally:
        for bn, momentum in zip(norms, momenta):
            bn.momentum = momentum
        module.train(was_training)
    return count
