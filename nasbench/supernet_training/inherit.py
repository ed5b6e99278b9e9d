"""A child of a trained supernet as a standalone network, with its inherited weights, ready to score."""

from __future__ import annotations

import torch
from torch import nn

from nasbench.arch import Arch
from nasbench.space import SearchSpace
from nasbench.supernet import WeightSharing
from nasbench.training.data import Data


def inherited_child(
    space: SearchSpace,
    supernet: nn.Module,
    child: Arch,
    data: Data,
    device: torch.device,
    bn_batches: int,
    batch_size: int,
) -> nn.Module:
    """``child`` extracted from ``supernet``, its batch norm recalibrated on training images (BigNAS).

    The supernet's running statistics were gathered over children of every size, so they fit none of
    them; a few batches through the child alone give it its own.
    """
    sharing = space.capability(WeightSharing)
    model = sharing.extract(supernet, child, data.spec).to(device)
    images = data.train.images[: bn_batches * batch_size]
    with torch.no_grad():
        sharing.recalibrate(model, child, (x.to(device) for x in images.split(batch_size)), limit=bn_batches)
    return model.eval()
