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
from nasbench.training.devices import check_device_name, pick_device, torch_threads
from nasbench.training.prefix import prefix_size
from nasbench.trial import MAX_EPOCHS

#: images per forward pass where no gradient is taken (evaluation, batch-norm re-estimation)
EVAL_BATCH = 512


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
    train_size: int | None = None  # training examples, a prefix of the split (overrides data_fraction)
    device: str = "auto"  # "auto": the GPU when there is one, else the CPU
    amp: bool = True  # bfloat16 autocast, on the GPU only
    aux_weight: float = 0.4  # weight of an auxiliary head's loss (NASNet, DARTS), for models returning (logits, aux)
    # intra-op threads on the CPU; None: leave torch's setting (a Ray trial sets it to the CPUs it
    # holds). Candidates are small: on a shared or busy machine one thread is many times faster
    # than several; run candidates side by side instead.
    cpu_threads: int | None = None
    # batches of training images that re-estimate batch-norm statistics before each evaluation
    # (0: keep the running averages, which after a short budget lag far behind the weights)
    bn_batches: int = 8

    def __post_init__(self) -> None:
        if not 1 <= self.epochs <= MAX_EPOCHS or self.batch_size < 1:
            raise InvalidOption(
                f"epochs must be in 1..{MAX_EPOCHS:,} and batch_size positive, got {self.epochs} and {self.batch_size}"
            )
        if not 0 < self.data_fraction <= 1:
            raise InvalidOption(f"data_fraction must be in (0, 1], got {self.data_fraction}")
        if self.train_size is not None and self.train_size < 1:
            raise InvalidOption(f"train_size must be positive, got {self.train_size}")
        check_device_name(self.device)
        if not 0 < self.lr < math.inf:
            raise InvalidOption(f"lr must be a positive number, got {self.lr}")
        if min(self.aux_weight, self.bn_batches) < 0 or (self.cpu_threads is not None and self.cpu_threads < 1):
            raise InvalidOption(
                "aux_weight and bn_batches must be non-negative and cpu_threads positive, "
                f"got {self.aux_weight}, {self.bn_batches}, {self.cpu_threads}"
            )


def _augment(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random crop after 4-pixel zero padding, and random horizontal flip (per image)."""
    n, _, h, w = images.shape
    padded = F.pad(images, (4, 4, 4, 4))
    dx = torch.randint(0, 9, (n,), generator=generator)
    dy = torch.randint(0, 9, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(h)[None, :]).to(images.device)
    cols = (dx[:, None] + torch.arange(w)[None, :]).to(images.device)
    cropped = padded[
        torch.arange(n, device=images.device)[:, None, None, None],
        torch.arange(images.shape[1], device=images.device)[None, :, None, None],
        rows[:, None, :, None],
        cols[:, None, None, :],
    ]
    flip = (torch.rand(n, generator=generator) < 0.5).to(images.device)
    return torch.where(flip[:, None, None, None], cropped.flip(3), cropped)


def batch_norms(model: nn.Module) -> list[nn.Module]:
    """The batch-norm layers that keep running statistics."""
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]


@torch.no_grad()
def recalibrate_batch_norm(
    model: nn.Module,
    images: torch.Tensor,
    device: torch.device,
    batches: int,
    batch_size: int,
    norms: list[nn.Module] | None = None,
) -> None:
    """Recompute batch-norm statistics as plain averages over ``batches`` batches of ``images``.

    Only the batch-norm layers run in training mode, so drop-path and dropout stay off. ``norms``
    are the model's ``batch_norms`` when the caller has them already.
    """
    norms = batch_norms(model) if norms is None else norms
    if not norms or batches == 0:
        return
    model.eval()
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
        m.train()
    try:
        # the same images in passes of up to EVAL_BATCH: on the CPU, a few large passes cost a
        # third less than many small ones (the mean is the same; the variance is taken over more)
        chunk = max(batch_size, EVAL_BATCH)
        for start in range(0, min(len(images), batches * batch_size), chunk):
            x = images[start : min(start + chunk, batches * batch_size)].to(device)
            model(x.contiguous(memory_format=torch.channels_last) if device.type == "cuda" else x)
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        model.eval()


@torch.no_grad()
def evaluate(model: nn.Module, split: Split, device: torch.device, batch_size: int = EVAL_BATCH) -> tuple[float, float]:
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
    with torch_threads(config.cpu_threads if device.type == "cpu" else None):
        return _train(model, data, config, seed, device, report)


def _loss(output, y: torch.Tensor, config: TrainConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss to minimise, main-head loss); ``output`` is logits or (logits, auxiliary logits)."""
    logits, aux = output if isinstance(output, tuple) else (output, None)
    main = F.cross_entropy(logits.float(), y, label_smoothing=config.label_smoothing)
    if aux is None or config.aux_weight == 0:
        return main, main
    return main + config.aux_weight * F.cross_entropy(aux.float(), y, label_smoothing=config.label_smoothing), main


def _train(
    model: nn.Module, data: Data, config: TrainConfig, seed: int, device: torch.device, report: Reporter | None
) -> Metrics:
    use_amp = config.amp and device.type == "cuda"
    model.to(device)
    if device.type == "cuda":
        model.to(memory_format=torch.channels_last)
    generator = torch.Generator().manual_seed(seed)
    available = len(data.train.labels)
    if config.train_size is not None:
        n_train = prefix_size(config.train_size, available)
        subset = torch.arange(n_train)
    else:
        n_train = max(1, int(round(available * config.data_fraction)))
        subset = torch.randperm(available, generator=generator)[:n_train]
    images, labels = data.train.images[subset], data.train.labels[subset]
    steps_per_epoch = math.ceil(n_train / config.batch_size)
    parameters = [p for p in model.parameters() if p.requires_grad]  # once, not per step
    # foreach: one kernel per step over all parameters instead of one per tensor (the default on
    # GPUs only); candidates are many small tensors, so on the CPU it saves a fifth of a step
    optimizer = torch.optim.SGD(
        parameters,
        lr=config.lr,
        momentum=config.momentum,
        weight_decay=config.weight_decay,
        nesterov=True,
        foreach=True,
    )
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs * steps_per_epoch)
    norms = batch_norms(model)
    start = time.perf_counter()
    metrics: Metrics = {}
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = torch.randperm(n_train, generator=generator)
        # summed on the device and read once per epoch: a read per step would wait for the GPU each step
        total, auxiliary, correct = (torch.zeros((), dtype=torch.float64, device=device) for _ in range(3))
        for step in range(steps_per_epoch):
            idx = order[step * config.batch_size : (step + 1) * config.batch_size]
            x, y = images[idx], labels[idx]
            if data.augment:
                x = _augment(x, generator)
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            if device.type == "cuda":
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                output = model(x)
                loss, main = _loss(output, y, config)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(parameters, config.grad_clip, foreach=True)
            optimizer.step()
            schedule.step()
            total += main.detach() * len(y)
            if loss is not main:
                auxiliary += loss.detach()
            logits = output[0] if isinstance(output, tuple) else output
            correct += (logits.detach().argmax(1) == y).sum()
        # a non-finite loss makes every later step's too: checking once per epoch catches it
        train_loss = total.item() / n_train
        if not math.isfinite(train_loss) or not math.isfinite(auxiliary.item()):
            raise CandidateFailed(f"loss diverged ({train_loss}) in epoch {epoch}")
        recalibrate_batch_norm(model, images, device, config.bn_batches, config.batch_size, norms)
        valid_accuracy, valid_loss = evaluate(model, data.valid, device)
        metrics = {
            "valid_accuracy": valid_accuracy,
            "valid_loss": valid_loss,
            "train_loss": train_loss,
            "train_accuracy": 100.0 * correct.item() / n_train,  # running, over the epoch's batches (as train_loss)
            "examples_seen": float(epoch * n_train),
            "epochs": float(epoch),
            "train_seconds": time.perf_counter() - start,
        }
        if report is not None:
            report(epoch, dict(metrics))
    if data.test is not None:
        metrics["test_accuracy"] = evaluate(model, data.test, device)[0]
    return metrics
