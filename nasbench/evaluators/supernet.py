"""The supernet evaluator: a child scored with the weights it inherits from a trained supernet.

No training: the child is extracted, its batch norm recalibrated on a few training batches, and it is
validated, in seconds. Each process reads the supernet's file once (repeated evaluations reuse it).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch

from nasbench.arch import Arch
from nasbench.costs.counting import count_macs, count_params
from nasbench.errors import InvalidOption, ResultsError
from nasbench.evaluator import Evaluator, Metrics, Reporter
from nasbench.space import DataSpec, SearchSpace, require_capability
from nasbench.storage.run_folder import RunFolder
from nasbench.storage.weights import load_fitting, load_weights, save_weights
from nasbench.supernet import WeightSharing
from nasbench.supernet_training.config import read_supernet_config
from nasbench.supernet_training.inherit import inherited_child
from nasbench.training.data import load_data
from nasbench.training.devices import check_device_name, pick_device, torch_threads
from nasbench.training.trainer import evaluate
from nasbench.trial import Budget


@lru_cache(maxsize=2)  # a worker scores many children of the same supernet
def _supernet_weights(path: str, modified_ns: int) -> dict[str, torch.Tensor]:
    return load_weights(path)


class SupernetEvaluator(Evaluator):
    """Scores each child with the weights of the supernet trained in the run folder ``supernet``."""

    #: a child is scored in seconds, with no training: one at a time in this process unless Ray is asked for
    in_process = True
    default_budget = 50

    def __init__(
        self,
        space: SearchSpace,
        supernet: str,
        device: str = "auto",
        bn_batches: int | None = None,
        cpu_threads: int | None = None,
    ) -> None:
        require_capability(space, WeightSharing, "a search with --supernet")
        self.space = space
        self.run = Path(supernet).resolve()
        self.supernet = str(self.run)
        self.config = read_supernet_config(self.run)
        if self.config.space != space.name:
            raise InvalidOption(
                f"the supernet in {self.run} was trained for space '{self.config.space}', not '{space.name}'"
            )
        trained = type(space)(**self.config.space_options).options()
        if trained != space.options():
            differ = sorted(k for k in trained if trained[k] != space.options().get(k))
            raise InvalidOption(
                f"the supernet in {self.run} was trained with space options "
                f"{', '.join(f'{k}={trained[k]}' for k in differ)}; its weights fit no other"
            )
        weights = RunFolder(self.run).supernet_weights
        if not weights.exists():
            raise ResultsError(
                f"the supernet in {self.run} has not finished training; "
                f"continue it with: nasbench supernet train --resume {self.run}"
            )
        self.device = device
        check_device_name(device)
        self.bn_batches = self.config.bn_batches if bn_batches is None else bn_batches
        #: each scored child's inherited weights go to <run folder>/weights/<hash>.safetensors, for export
        self.weights_dir: Path | None = None
        self.cpu_threads = cpu_threads
        self._has_test = self._data().test is not None
        self.load_supernet(torch.device("cpu"))  # a corrupt file, or one of another supernet, is refused now

    def _data(self):
        c = self.config
        return load_data(c.dataset, c.data_dir, c.split_seed, c.image_size)

    def attach_run_folder(self, path: Path) -> None:
        self.weights_dir = RunFolder(path).weights_dir

    def data_spec(self) -> DataSpec:
        return self._data().spec

    def check_device(self) -> None:
        pick_device(self.device)

    @property
    def uses_gpu(self) -> bool:
        return self.device != "cpu"

    def metric_names(self) -> tuple[str, ...]:
        return ("valid_accuracy", "valid_loss", "params", "macs") + (("test_accuracy",) if self._has_test else ())

    def load_supernet(self, device: torch.device) -> torch.nn.Module:
        """The trained supernet on ``device``."""
        path = RunFolder(self.run).supernet_weights
        weights = _supernet_weights(str(path), path.stat().st_mtime_ns)
        module = self.space.capability(WeightSharing).build_supernet(self._data().spec)
        load_fitting(module, weights, f"the supernet weights in {path} do not fit space '{self.space.name}'")
        return module.to(device).eval()

    def child(self, arch: Arch, device: torch.device) -> torch.nn.Module:
        """``arch`` with its inherited weights and recalibrated batch norm."""
        return inherited_child(
            self.space, self.load_supernet(device), arch, self._data(), device, self.bn_batches, self.config.batch_size
        )

    def __call__(self, arch: Arch, budget: Budget, *, seed: int, report: Reporter | None = None) -> Metrics:
        data = self._data()
        device = pick_device(self.device)
        with torch_threads(self.cpu_threads if device.type == "cpu" else None):
            model = self.child(arch, device)
            accuracy, loss = evaluate(model, data.valid, device)
            metrics = {"valid_accuracy": accuracy, "valid_loss": loss}
            if data.test is not None:
                metrics["test_accuracy"] = evaluate(model, data.test, device)[0]
            model = model.cpu()
            spec = data.spec
            metrics["params"] = float(count_params(model))
            metrics["macs"] = float(count_macs(model, (spec.channels, spec.height, spec.width)))
        if self.weights_dir is not None:
            save_weights(model, self.weights_dir / f"{arch.hash_key}.safetensors")
        if report is not None:
            report(1, dict(metrics))
        return metrics
