"""Progressive shrinking (Cai et al. 2020, once-for-all): children start as the largest network and the
elastic choices come in over training, every decision alike or one kind of decision after another."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nasbench.arch import Arch
from nasbench.errors import InvalidArchitecture, InvalidOption
from nasbench.space import DecisionSequence, SearchSpace, require_capability


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
