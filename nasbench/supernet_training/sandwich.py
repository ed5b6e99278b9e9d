"""One step of BigNAS sandwich training (Yu et al. 2020, section 3.1).

The largest child learns from the labels; the smallest child and a few random children learn from
the largest child's detached predictions (inplace distillation). Every child's gradient accumulates
into the shared weights before the single optimiser step.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nasbench.arch import Arch
from nasbench.errors import InvalidArchitecture, InvalidOption
from nasbench.space import DecisionSequence, SearchSpace, require_capability
from nasbench.supernet import WeightSharing


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


def shrink_phases(order: str, kinds: Sequence[str]) -> dict[str, int]:
    """The phase of progressive shrinking in which each kind of ``kinds`` is let in: its place in ``order``
    (comma-separated kinds); kinds the order leaves out join its last. Unknown or repeated kinds are refused."""
    phases = [kind.strip() for kind in order.split(",") if kind.strip()]
    known = list(dict.fromkeys(kinds))
    if not phases or len(set(phases)) < len(phases) or not set(phases) <= set(known):
        raise InvalidOption(
            f"shrink order {order!r} must name kinds of decision of the space, each once: {', '.join(known)}"
        )
    return {kind: phases.index(kind) if kind in phases else len(phases) - 1 for kind in known}


def decision_growth(space: SearchSpace, grown: float, order: str = "") -> float | np.ndarray:
    """Each decision's share drawn from the whole space when progressive shrinking has ``grown`` through its
    schedule: the same for all without an ``order``; with one, its kinds of decision in turn, each over an
    equal part of the schedule (once-for-all: the kernel, then the depth, then the widths)."""
    if not order or grown >= 1:
        return grown
    kinds = require_capability(space, DecisionSequence, "progressive shrinking").decision_kinds()
    phase = shrink_phases(order, kinds)
    return np.clip(grown * (max(phase.values()) + 1) - np.array([phase[kind] for kind in kinds]), 0.0, 1.0)


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


def toward_largest(
    space: SearchSpace, child: Arch, largest: Arch, grown: float | np.ndarray, rng: np.random.Generator
) -> Arch:
    """``child`` with each decision kept with probability ``grown`` (one, or one per decision) and the
    largest's taken otherwise.

    Progressive shrinking (Cai et al. 2020, once-for-all) starts from the largest network and lets the
    elastic choices in over training, one kind of choice after another (``decision_growth`` with an
    order), or every decision alike. A mix the space refuses falls back to ``child``."""
    decisions = require_capability(space, DecisionSequence, "progressive shrinking")
    own, top = decisions.to_decisions(child), decisions.to_decisions(largest)
    keep = rng.random(len(own)) < grown
    try:
        return decisions.from_decisions([a if k else b for a, b, k in zip(own, top, keep)])
    except InvalidArchitecture:
        return child


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
