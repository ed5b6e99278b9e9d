"""The hyperparameters of a sandwich-training run: what ``config.json`` records and resume rebuilds from."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from nasbench.errors import InvalidOption, ResultsError
from nasbench.options import check_finite
from nasbench.storage.run_folder import CONFIG, RunFolder
from nasbench.supernet import WeightSharing
from nasbench.training.prefix import prefix_size
from nasbench.trial import MAX_EPOCHS

OPTIMIZERS = ("sgd", "rmsprop", "adamw")


@dataclass(frozen=True)
class SupernetConfig:
    """BigNAS training (Yu et al. 2020) at the scale of a small dataset.

    Kept from the paper: the sandwich rule (largest, smallest and ``random_children`` random children
    each step), inplace distillation of every child but the largest from the largest's detached
    predictions, regularisation (label smoothing, dropout) on the largest child only, and a learning
    rate warmed up and then decayed to a small constant. Weight decay is applied once per step by the
    optimiser; since the largest child holds every weight, that is weight decay on the largest child.
    """

    space: str  # registry name of a space with the WeightSharing capability
    space_options: dict = field(default_factory=dict)
    dataset: str = "digits"
    data_dir: str | None = None
    split_seed: int = 0
    image_size: int = 32
    train_size: int | None = None  # training examples, a prefix of the split (a subset of a large task)
    seed: int = 0
    epochs: int = 10
    batch_size: int = 64  # global batch: split evenly across the workers
    lr: float = 0.1  # peak learning rate, reached after the warm-up
    warmup_epochs: float = 1.0
    final_lr_fraction: float = 0.05  # the constant the learning rate decays to, as a share of the peak
    momentum: float = 0.9
    optimizer: str = "sgd"  # "sgd" (Nesterov momentum), "rmsprop" (BigNAS) or "adamw" (AutoFormer)
    weight_decay: float = 3e-5
    label_smoothing: float = 0.1  # on the largest child's loss only
    random_children: int = 2  # children drawn at random each step, besides the largest and the smallest
    attentive: int = 1  # each random child is the worst of this many by distillation loss (AttentiveNAS); 1: uniform
    shrink_epochs: float = 0.0  # children grow from the largest to the whole space over these epochs; 0: none
    shrink_order: str = ""  # kinds of decision let in one after another while shrinking (once-for-all); "": all at once
    distill_weight: float | None = None  # scales each distilled child's loss; None: the space's (resolved)
    grad_clip: float = 5.0  # max norm of the accumulated gradient
    # training batches that recalibrate a child's batch norm before it is validated: 2,048 images at the
    # default batch, about once-for-all's 2,000 (8 ranked children worse on both ranking tasks)
    bn_batches: int = 32
    ema: float = 0.0  # decay of a moving average of the weights, validated and published instead (BigNAS); 0: none

    def __post_init__(self) -> None:
        for f in fields(self):
            check_finite(getattr(self, f.name), f"--{f.name.replace('_', '-')}")
        if not 1 <= self.epochs <= MAX_EPOCHS or self.batch_size < 1:
            raise InvalidOption(
                f"epochs must be in 1..{MAX_EPOCHS:,} and the batch size positive, "
                f"got {self.epochs} and {self.batch_size}"
            )
        if not 0 < self.lr < math.inf:
            raise InvalidOption(f"lr must be a positive number, got {self.lr}")
        if self.random_children < 0:
            raise InvalidOption(f"random children must be 0 or more, got {self.random_children}")
        if self.optimizer not in OPTIMIZERS:
            raise InvalidOption(f"unknown optimizer '{self.optimizer}'; choose from: {', '.join(OPTIMIZERS)}")
        if not 0 <= self.ema < 1:
            raise InvalidOption(f"ema must be a decay in [0, 1), got {self.ema}")
        if self.attentive < 1:
            raise InvalidOption(f"attentive must be 1 (uniform children) or more, got {self.attentive}")
        if self.distill_weight is not None and not 0 < self.distill_weight < math.inf:
            raise InvalidOption(f"distill_weight must be a positive number, got {self.distill_weight}")
        if not 0 <= self.shrink_epochs <= self.epochs:
            raise InvalidOption(f"shrink_epochs must be in [0, epochs], got {self.shrink_epochs}")
        if self.shrink_order and self.shrink_epochs == 0:
            raise InvalidOption("shrink_order needs shrink_epochs: the order is that of progressive shrinking")
        if self.train_size is not None and self.train_size < 1:
            raise InvalidOption(f"train_size must be positive, got {self.train_size}")
        if not 0 <= self.final_lr_fraction <= 1 or self.warmup_epochs < 0:
            raise InvalidOption(
                f"final_lr_fraction must be in [0, 1] and warmup_epochs non-negative, "
                f"got {self.final_lr_fraction} and {self.warmup_epochs}"
            )
        if min(self.weight_decay, self.momentum, self.grad_clip, self.bn_batches) < 0:
            raise InvalidOption("weight decay, momentum, grad clip and bn batches must be non-negative")
        if not 0 <= self.label_smoothing < 1:
            raise InvalidOption(f"label smoothing must be in [0, 1), got {self.label_smoothing}")
        if self.seed < 0:
            raise InvalidOption(f"the seed must be a non-negative integer, got {self.seed}")

    def grown(self, epoch: int, step: int, steps: int) -> float:
        """The share of a child's decisions drawn from the whole space at ``step`` of ``steps`` of ``epoch``
        (1-based): 1 without progressive shrinking, else rising linearly from 0 over ``shrink_epochs``."""
        if self.shrink_epochs == 0:
            return 1.0
        return min(1.0, (epoch - 1 + step / steps) / self.shrink_epochs)

    def resolved(self, sharing: WeightSharing) -> SupernetConfig:
        """This configuration with the distillation weight the run will use (the space's where none is set)."""
        if self.distill_weight is not None:
            return self
        return replace(self, distill_weight=sharing.distill_weight(1 + self.random_children))

    def training_examples(self, available: int) -> int:
        """How many of the ``available`` training examples the run trains on (a prefix of the split)."""
        return prefix_size(self.train_size, available)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SupernetConfig:
        names = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or "space" not in data:
            raise ResultsError("supernet run configuration lacks its space")
        unknown = sorted(set(data) - names)
        if unknown:
            raise ResultsError(f"supernet run configuration has unknown fields: {', '.join(unknown)}")
        data = {"distill_weight": 1.0, **data}  # runs recorded before the weight existed summed the losses
        try:
            return cls(**data)
        except (InvalidOption, TypeError) as exc:
            raise ResultsError(f"supernet run configuration: {exc}") from None


def read_supernet_config(run: str | Path) -> SupernetConfig:
    """The configuration of the supernet training in the run folder ``run``."""
    folder = RunFolder(run)
    if not folder.exists():
        raise ResultsError(f"{run} holds no supernet run ({CONFIG} is missing)")
    stored = folder.read_config()
    if not isinstance(stored, dict) or "supernet" not in stored:
        raise ResultsError(f"{run} holds no supernet training (its {CONFIG} has no 'supernet' section)")
    return SupernetConfig.from_dict(stored["supernet"])
