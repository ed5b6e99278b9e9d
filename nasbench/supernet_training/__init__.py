"""BigNAS sandwich training of a weight-sharing supernet on Ray Train.

- ``config``: the run's hyperparameters (``SupernetConfig``), recorded in ``config.json``.
- ``schedule``: learning-rate warm-up, then cosine decay to a small constant.
- ``sandwich``: one training step (largest, smallest and random children; inplace distillation).
- ``checkpoint``: the training state as files (safetensors and JSON), verified when read back.
- ``worker``: the loop each Ray Train worker runs.
- ``run``: starting and resuming a run from the driver (``train_supernet``, ``resume_supernet``).
- ``inherit``: a child with the weights it inherits, its batch norm recalibrated.

The evaluator that scores children with a trained supernet is ``nasbench.evaluators.supernet``.
"""
