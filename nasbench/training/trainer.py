"""Training one candidate: SGD with Nesterov momentum and a cosine learning-rate schedule."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from nasbench.errors import CandidateFailed, InvalidOption
from nasbench.evaluator import Metrics, Reporter
from nasbench.training.data import Data, Split


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 4
    batch_size: int = 64
    lr: float = 0.05  # peak learning rate; cosine-annealed to zero over all steps
    momentum: float = 0.9
    weight_decay: float = 3e-4
    grad_clip: float = 5.0  # max gradient norm, as in NASNet/DARTS training
    label_smoothing: float = 0.0
    data_fraction: float = 1.0  # share of the training split used (a cheaper, lower-fidelity budget)
    device: str = "auto"  # "auto": the GPU when there is one, else the CPU
    amp: bool = True  # bfloat16 autocast, on the GPU only

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise InvalidOption(f"epochs and batch_size must be positive, got {self.epochs} and {self.batch_size}")
        if not 0 < self.data_fraction <= 1:
            raise InvalidOption(f"data_fraction must be in (0, 1], got {self.data_fraction}")
        if self.lr <= 0:
            raise InvalidOption(f"lr must be positive, got {self.lr}")


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _augment(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random crop after 4-pixel zero padding, and random horizontal flip (per image)."""
    n, _, h, w = images.shape
    padded = F.pad(images, (4, 4, 4, 4))
    dx = torch.randint(0, 9, (n,), generator=generator)
    dy = torch.randint(0, 9, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(h)[None, :]).to(images.device)
    cols = (dx[:, None] + torch.arange(w)[None, :]).to(images.device)
    cropped = padded[torch.arange(n, device=images.device)[:, None, None, None], torch.arange(images.shape[1], device=images.device)[None, :, None, None], rows[:, None, :, None], cols[:, None, None, :]]
    flip = (torch.rand(n, generator=generator) < 0.5).to(images.device)
    return torch.where(flip[:, None, None, None], cropped.flip(3), cropped)


@torch.no_grad()
def evaluate(model: nn.Module, split: Split, device: torch.device, batch_size: int = 512) -> tuple[float, float]:
    """Accuracy (percent) and mean cross-entropy on a split, in eval mode."""
    model.eval()
    correct, loss = 0, 0.0
    for start in range(0, len(split.labels), batch_size):
        x = split.images[start : start + batch_size].to(device)
        y = split.labels[start : start + batch_size].to(device)
        logits = model(x).float()
        loss += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
    n = max(1, len(split.labels))
    return 100.0 * correct / n, loss / n


def train(model: nn.Module, data: Data, config: TrainConfig, seed: int, report: Reporter | None = None) -> Metrics:
    """Train in place and return validation (and test) metrics; raises ``CandidateFailed`` on divergence."""
    device = pick_device(config.device)
    use_amp = config.amp and device.type == "cuda"
    model.to(device)
    if device.type == "cuda":
        model.to(memory_format=torch.channels_last)
    generator = torch.Generator().manual_seed(seed)
    n_train = max(1, int(round(len(data.train.labels) * config.data_fraction)))
    subset = torch.randperm(len(data.train.labels), generator=generator)[:n_train]
    images, labels = data.train.images[subset], data.train.labels[subset]
    steps_per_epoch = math.ceil(n_train / config.batch_size)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay, nesterov=True)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs * steps_per_epoch)
    start = time.perf_counter()
    metrics: Metrics = {}
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = torch.randperm(n_train, generator=generator)
        total, seen = 0.0, 0
        for step in range(steps_per_epoch):
            idx = order[step * config.batch_size : (step + 1) * config.batch_size]
            x, y = images[idx], labels[idx]
            if data.augment:
                x = _augment(x, generator)
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            if device.type == "cuda":
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                loss = F.cross_entropy(model(x).float(), y, label_smoothing=config.label_smoothing)
            if not torch.isfinite(loss):
                raise CandidateFailed(f"loss diverged ({loss.item()}) in epoch {epoch}")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            schedule.step()
            total += loss.item() * len(y)
            seen += len(y)
        valid_accuracy, valid_loss = evaluate(model, data.valid, device)
        metrics = {
            "valid_accuracy": valid_accuracy,
            "valid_loss": valid_loss,
            "train_loss": total / seen,
            "epochs": float(epoch),
            "train_seconds": time.perf_counter() - start,
        }
        if report is not None:
            report(epoch, dict(metrics))
    if data.test is not None:
        metrics["test_accuracy"] = evaluate(model, data.test, device)[0]
    return metrics
