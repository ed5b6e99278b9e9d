"""BigNAS sandwich training of a weight-sharing supernet on Ray Train, and scoring its children.

- ``config``: the run's hyperparameters (``SupernetConfig``), recorded in ``config.json``.
- ``schedule``: learning-rate warm-up, then cosine decay to a small constant.
- ``sandwich``: one training step (largest, smallest and random children; inplace distillation).
- ``checkpoint``: the training state as files (safetensors and JSON), verified when read back.
- ``worker``: the loop each Ray Train worker runs.
- ``run``: starting and resuming a run from the driver, its run folder, its progress bar.
- ``evaluator``: a search's evaluator that scores a child with the trained supernet's weights.
"""

from nasbench.supernet_training.config import SupernetConfig
from nasbench.supernet_training.evaluator import SupernetEvaluator
from nasbench.supernet_training.run import resume_supernet, train_supernet

__all__ = ["SupernetConfig", "SupernetEvaluator", "resume_supernet", "train_supernet"]
