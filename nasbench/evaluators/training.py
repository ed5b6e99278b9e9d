"""The training evaluator: build a candidate, count its cost, train it, report its metrics."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from nasbench.arch import Arch
from nasbench.costs.counting import count_macs, count_params
from nasbench.costs.latency import measure_latency_ms
from nasbench.errors import InvalidOption
from nasbench.evaluator import Evaluator, Metrics, Reporter
from nasbench.space import Buildable, DataSpec, SearchSpace, require_capability
from nasbench.storage.run_folder import RunFolder
from nasbench.storage.weights import save_weights
from nasbench.training.data import load_data
from nasbench.training.devices import pick_device, torch_threads
from nasbench.training.trainer import TrainConfig, train
from nasbench.trial import Budget

#: what a scaling law is fitted to, derived from the training metrics
SCALING_METRICS = ("train_examples", "train_compute", "train_error", "valid_error")
#: multiply-adds of one training example: the forward pass, and a backward pass of about twice
#: that (gradients with respect to activations and to weights, each about one forward pass)
TRAIN_MACS_PER_FORWARD = 3


def scaling_metrics(metrics: Metrics, costs: Metrics) -> Metrics:
    """Training examples, training compute and errors (percent), as scaling laws use them.

    ``train_compute`` is ``3 * macs * examples_seen`` multiply-adds (6 N D FLOPs in the papers'
    count, with macs in place of 2 N): batch-norm re-estimation and evaluation passes are not counted.
    """
    return {
        "train_examples": metrics["examples_seen"] / metrics["epochs"],
        "train_compute": TRAIN_MACS_PER_FORWARD * costs["macs"] * metrics["examples_seen"],
        "train_error": 100.0 - metrics["train_accuracy"],
        "valid_error": 100.0 - metrics["valid_accuracy"],
    }


class TrainingEvaluator(Evaluator):
    """Trains each candidate from scratch on a dataset (scikit-learn's digits by default)."""

    def __init__(
        self,
        space: SearchSpace,
        dataset: str = "digits",
        data_dir: str | None = None,
        epochs: int = 4,
        batch_size: int = 64,
        lr: float = 0.05,
        weight_decay: float = 3e-4,
        label_smoothing: float = 0.0,
        split_seed: int = 0,
        image_size: int = 32,
        device: str = "auto",
        measure_latency: bool = False,
        aux_weight: float = 0.4,
        cpu_threads: int | None = None,
        bn_batches: int = 8,
        train_size: int | None = None,
    ) -> None:
        self.space = space
        self.builder = require_capability(space, Buildable, "training (the 'train' evaluator)")
        #: trained weights go to <run folder>/weights/<hash>.safetensors, for export (see attach_run_folder)
        self.weights_dir: Path | None = None
        self.dataset = dataset
        self.data_dir = data_dir
        self.epochs = epochs  # a trial's epochs when neither the search nor the trial sets them
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.label_smoothing = label_smoothing
        self.split_seed = split_seed
        self.image_size = image_size
        self.device = device
        self.measure_latency = measure_latency  # adds latency_ms: batch of one on the training device, after training
        self.aux_weight = aux_weight
        self.cpu_threads = cpu_threads
        self.bn_batches = bn_batches
        #: training examples per candidate (a prefix of the split) where the trial does not set them: a search
        #: on a subset of a large task (-E train_size=2048 on teacher's 131,072)
        self.train_size = train_size
        self.config = TrainConfig(
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            label_smoothing=label_smoothing,
            device=device,
            aux_weight=aux_weight,
            cpu_threads=cpu_threads,
            bn_batches=bn_batches,
        )
        self._has_test = self._data().test is not None  # loads (and checks) the data now, not mid-search
        if train_size is not None:
            available = len(self._data().train.labels)
            if not 1 <= train_size <= available:
                raise InvalidOption(f"train_size must be 1 to the {available:,} training examples, got {train_size}")

    def attach_run_folder(self, path: Path) -> None:
        """Trained weights are kept in the run folder, for export."""
        self.weights_dir = RunFolder(path).weights_dir

    def check_device(self) -> None:
        """Refuse a device this machine does not have (where the candidates will train here)."""
        pick_device(self.config.device)

    def _data(self):
        return load_data(self.dataset, self.data_dir, self.split_seed, self.image_size)

    def data_spec(self) -> DataSpec:
        """The shape of the data candidates are trained on."""
        return self._data().spec

    def budget_defaults(self) -> Budget:
        """``epochs`` per candidate (each reported, so an early-stopping scheduler can stop between them)."""
        return Budget(epochs=self.epochs, train_size=self.train_size)

    @property
    def uses_gpu(self) -> bool:
        """Whether candidates train on a GPU when the machine has one (a backend reserves one per trial)."""
        return self.config.device != "cpu"

    def metric_names(self) -> tuple[str, ...]:
        names = ("valid_accuracy", "valid_loss", "train_loss", "epochs", "train_seconds", "params", "macs")
        names += ("train_accuracy", "examples_seen") + SCALING_METRICS
        return (
            names + (("test_accuracy",) if self._has_test else ()) + (("latency_ms",) if self.measure_latency else ())
        )

    def build(self, arch: Arch, seed: int) -> torch.nn.Module:
        """The candidate's network, initialised from ``seed`` without touching torch's global RNG."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return self.builder.build(arch, self._data().spec)

    def __call__(self, arch: Arch, budget: Budget, *, seed: int, report: Reporter | None = None) -> Metrics:
        data = self._data()
        model = self.build(arch, seed)
        spec = data.spec
        with torch_threads(self.config.cpu_threads):  # the model is still on the CPU
            costs = {
                "params": float(count_params(model)),
                "macs": float(count_macs(model, (spec.channels, spec.height, spec.width))),
            }
        config = replace(
            self.config,
            epochs=budget.epochs or self.config.epochs,
            data_fraction=budget.data_fraction,
            train_size=budget.train_size,
        )
        with_costs = None if report is None else (lambda epoch, m: report(epoch, {**m, **costs}))
        with torch.random.fork_rng(devices=[torch.cuda.current_device()] if torch.cuda.is_available() else []):
            torch.manual_seed(seed)  # drop-path and dropout draw from the global generator
            metrics = train(model, data, config, seed, with_costs)
        if self.weights_dir is not None:
            save_weights(model, self.weights_dir / f"{arch.hash_key}.safetensors")
        if self.measure_latency:
            metrics["latency_ms"] = measure_latency_ms(
                model, (spec.channels, spec.height, spec.width), pick_device(self.config.device)
            )
        return {**metrics, **costs, **scaling_metrics(metrics, costs)}
