"""Fine-tuning an exported network for a few epochs on the data its run searched with.

A child scored with a supernet's inherited weights is usually a few points short of what it reaches
with training of its own; a few epochs from those weights close most of the gap (BigNAS, section 4).
"""

from __future__ import annotations

from torch import nn

from nasbench.config import SearchConfig
from nasbench.errors import InvalidOption
from nasbench.evaluator import Metrics
from nasbench.training.data import Data, load_data
from nasbench.training.trainer import TrainConfig, train

FINETUNE_LR = 0.01  # a tenth of a from-scratch peak: the weights are already trained


def run_data(config: SearchConfig) -> Data:
    """The dataset a search run's candidates were scored on."""
    options = config.evaluator_options
    if config.evaluator == "supernet":
        from pathlib import Path

        from nasbench.supernet_training.config import read_supernet_config

        supernet = read_supernet_config(Path(options["supernet"]))
        return load_data(supernet.dataset, supernet.data_dir, supernet.split_seed, supernet.image_size)
    if config.evaluator == "train":
        return load_data(
            options.get("dataset", "digits"),
            options.get("data_dir"),
            options.get("split_seed", 0),
            options.get("image_size", 32),
        )
    raise InvalidOption(
        f"fine-tuning needs a run that scored candidates on a dataset; a '{config.evaluator}' run has none"
    )


def finetune(model: nn.Module, data: Data, epochs: int, seed: int = 0, lr: float = FINETUNE_LR) -> Metrics:
    """Train ``model`` in place for ``epochs`` from its current weights; returns its validation metrics."""
    if epochs < 1:
        raise InvalidOption(f"fine-tuning takes at least 1 epoch, got {epochs}")
    return train(model, data, TrainConfig(epochs=epochs, lr=lr), seed)
