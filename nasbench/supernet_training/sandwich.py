"""One step of BigNAS sandwich training (Yu et al. 2020, section 3.1).

The largest child learns from the labels; the smallest child and a few random children learn from
the largest child's detached predictions (inplace distillation). Every child's gradient accumulates
into the shared weights before the single optimiser step.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nasbench.arch import Arch
from nasbench.space import SearchSpace
from nasbench.supernet import WeightSharing
from nasbench.supernet_training.shrinking import toward_largest


@dataclass(frozen=True)
class StepLosses:
    largest: float  # cross-entropy of the largest child on the labels (with label smoothing)
    distillation: float  # mean KL divergence of the other children from the largest child's predictions


def step_children(space: SearchSpace, rng: np.random.Generator, random_children: int) -> list[Arch]:
    """The sandwich: the largest child first (it teaches the others), the smallest, then random ones."""
    sharing = space.capability(WeightSharing)
    return [sharing.largest(), sharing.smallest(), *(space.sample(rng) for _ in range(random_children))]


def attentive_pools(space: SearchSpace, rng: np.random.Generator, count: int, size: int) -> list[list[Arch]]:
    """``count`` pools of ``size`` random children; each step trains the worst of every pool (AttentiveNAS)."""
    return [[space.sample(rng) for _ in range(size)] for _ in range(count)]


def draw_step(
    space: SearchSpace, rng: np.random.Generator, random_children: int, attentive: int, grown: float | np.ndarray = 1.0
) -> tuple[list[Arch], list[list[Arch]]]:
    """A step's largest and smallest children and its pools for ``sandwich_step``. With ``attentive`` 1 each
    pool is one child, drawn as ``step_children`` draws it: the same children, and no extra forward pass.

    ``grown`` below 1 (one share, or one per decision: ``decision_growth``) shrinks the children towards the
    largest (``toward_largest``); children that come out as the largest are left out (the largest already
    trains on the labels)."""
    children, pools = step_children(space, rng, 0), attentive_pools(space, rng, random_children, attentive)
    if np.min(grown) >= 1:
        return children, pools  # no draws spent: runs without shrinking keep their trajectory
    largest, smallest = children
    smallest = toward_largest(space, smallest, largest, grown, rng)
    pools = [[toward_largest(space, c, largest, grown, rng) for c in pool] for pool in pools]
    pools = [kept for pool in pools if (kept := [c for c in pool if c != largest])]
    return [largest, *([smallest] if smallest != largest else [])], pools


def worst_child(supernet: nn.Module, pool: list[Arch], x: torch.Tensor, teacher: torch.Tensor) -> Arch:
    """The child of ``pool`` farthest from the largest child's predictions on this batch (AttentiveNAS's
    WorstUp, Wang et al. 2021, with the distillation loss as the measure): the one that most needs the step."""
    if len(pool) == 1:
        return pool[0]
    with torch.no_grad(), dropout_off(supernet):
        losses = [distillation_loss(supernet(x, child), teacher).item() for child in pool]
    return pool[int(np.argmax(losses))]


@contextmanager
def dropout_off(model: nn.Module) -> Iterator[None]:
    """No dropout inside the block: BigNAS regularises the largest child only.

    Dropout layers go to eval mode, and so does the root module's own flag, which a supernet's forward
    passes to ``F.dropout``; every other layer (batch norm above all) stays in training mode.
    """
    layers = [m for m in model.modules() if m is model or isinstance(m, nn.modules.dropout._DropoutNd)]
    layers = [m for m in layers if m.training]
    for layer in layers:
        layer.training = False  # this module alone, not its children
    try:
        yield
    finally:
        for layer in layers:
            layer.training = True


def distillation_loss(student_logits: torch.Tensor, teacher_probs: torch.Tensor) -> torch.Tensor:
    """KL(teacher || student), averaged over the batch."""
    return F.kl_div(F.log_softmax(student_logits.float(), dim=1), teacher_probs, reduction="batchmean")


def sandwich_step(
    supernet: nn.Module,
    children: list[Arch],
    x: torch.Tensor,
    y: torch.Tensor,
    label_smoothing: float,
    pools: list[list[Arch]] = (),
    distill_weight: float = 1.0,
) -> StepLosses:
    """Forward and backward every child on one batch, accumulating gradients; the caller steps the optimiser.

    ``pools`` (``attentive_pools``) add the worst child of each pool to ``children``. Each distilled child's
    loss is scaled by ``distill_weight`` (1: BigNAS's sum of the children's losses). Each child's graph is
    freed after its backward pass, so memory holds one child's activations at a time.
    """
    largest, *others = children
    logits = supernet(x, largest)
    loss = F.cross_entropy(logits.float(), y, label_smoothing=label_smoothing)
    loss.backward()
    teacher = F.softmax(logits.detach().float(), dim=1)
    others += [worst_child(supernet, pool, x, teacher) for pool in pools]
    distilled = 0.0
    with dropout_off(supernet):
        for child in others:
            kd = distillation_loss(supernet(x, child), teacher)
            (distill_weight * kd).backward()
            distilled += kd.item()
    return StepLosses(loss.item(), distilled / max(1, len(others)))


def average_gradients(model: nn.Module, world_size: int) -> None:
    """Average the accumulated gradients over the data-parallel workers, in one collective call.

    Done by hand rather than by DistributedDataParallel: its reducer expects one forward pass per
    backward pass over a fixed set of parameters, while a sandwich step runs several children that
    each use a different slice of the weights. Every worker draws the same children, so the same
    parameters hold gradients everywhere.
    """
    if world_size == 1:
        return
    import torch.distributed as dist

    grads = [p.grad for p in model.parameters() if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world_size
    offset = 0
    for g in grads:
        g.copy_(flat[offset : offset + g.numel()].view_as(g))
        offset += g.numel()
