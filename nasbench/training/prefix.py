"""Training sets as prefixes of the training split: nested, so each size holds every smaller one (a sweep's
data axis, a supernet trained on part of a large task). Torch-free: configurations check sizes with it."""

from __future__ import annotations

from nasbench.errors import InvalidOption


def prefix_size(train_size: int | None, available: int) -> int:
    """How many training examples a run takes: the first ``train_size`` of the split, or all ``available``
    when it gives none."""
    if train_size is None:
        return available
    if train_size > available:
        raise InvalidOption(f"train_size {train_size} exceeds the {available:,} examples of the training split")
    return train_size
