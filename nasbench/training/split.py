"""A dataset in memory: its splits as tensors and what a network built for it must accept."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nasbench.space import DataSpec


@dataclass(frozen=True)
class Split:
    images: torch.Tensor  # float32, N x C x H x W, normalised with the training split's statistics
    labels: torch.Tensor  # int64, N


@dataclass(frozen=True)
class Data:
    spec: DataSpec
    train: Split
    valid: Split
    test: Split | None
    augment: bool  # random crops and flips suit natural images, not digits
