"""The proxies evaluator: each candidate scored at initialisation by zero-cost proxies, in about a second.

``--evaluator proxies -E proxies=synflow,nwot`` reports each proxy (higher is better for all of them),
the network's parameters and multiply-adds, and ``proxy_seconds``, the time the proxies took. The
data-dependent proxies read one batch of the dataset's training split, the same for every candidate of
a run (``batch_seed``); a candidate whose proxy is undefined (no path from its input to its output, a
score of NaN or infinity) fails, with the reason on record.
"""

from __future__ import annotations

import torch

from nasbench.arch import Arch
from nasbench.costs.counting import count_macs, count_params
from nasbench.errors import CandidateFailed, InvalidOption
from nasbench.evaluator import Evaluator, Metrics, Reporter
from nasbench.proxies import PROXIES
from nasbench.proxies.names import proxy_names
from nasbench.proxies.scoring import sample_batch, score_network
from nasbench.space import Buildable, DataSpec, SearchSpace, require_capability
from nasbench.training.data import load_data
from nasbench.training.devices import torch_threads
from nasbench.trial import Budget


class ProxyEvaluator(Evaluator):
    """Scores each candidate at initialisation with zero-cost proxies (no training)."""

    #: a candidate costs a forward and a backward pass per proxy: one at a time in this process
    in_process = True
    default_budget = 100

    def __init__(
        self,
        space: SearchSpace,
        proxies: str = "synflow,nwot",
        dataset: str = "digits",
        data_dir: str | None = None,
        split_seed: int = 0,
        image_size: int = 32,
        batch_seed: int = 0,
        cpu_threads: int | None = 1,
    ) -> None:
        self.builder = require_capability(space, Buildable, "zero-cost proxies (the 'proxies' evaluator)")
        self.names = proxy_names(proxies)
        self.proxies = ",".join(self.names)
        self.dataset = dataset
        self.data_dir = data_dir
        self.split_seed = split_seed
        self.image_size = image_size
        self.batch_seed = batch_seed
        if cpu_threads is not None and cpu_threads < 1:
            raise InvalidOption(f"cpu_threads must be positive, got {cpu_threads}")
        self.cpu_threads = cpu_threads
        self._data()  # loads (and checks) the data now, not mid-search

    def _data(self):
        return load_data(self.dataset, self.data_dir, self.split_seed, self.image_size)

    def data_spec(self) -> DataSpec:
        return self._data().spec

    def metric_names(self) -> tuple[str, ...]:
        return (*self.names, "params", "macs", "proxy_seconds")

    def batch(self):
        """The batch every candidate of the run is scored on (as many images as the hungriest proxy reads)."""
        data = self._data()
        size = min(len(data.train.labels), max(PROXIES[n].batch_size for n in self.names))
        return sample_batch(data.train.images, data.train.labels, size, data.spec.num_classes, self.batch_seed)

    def costs(self, arch: Arch, spec: DataSpec) -> Metrics:
        """Parameters and multiply-adds: the baselines every proxy must beat."""
        with torch.random.fork_rng(devices=[]):  # initialisation must not move torch's global generator
            model = self.builder.build(arch, spec)
        return {
            "params": float(count_params(model)),
            "macs": float(count_macs(model, (spec.channels, spec.height, spec.width))),
        }

    def __call__(self, arch: Arch, budget: Budget, *, seed: int, report: Reporter | None = None) -> Metrics:
        spec = self.data_spec()
        with torch_threads(self.cpu_threads):
            scores = score_network(lambda: self.builder.build(arch, spec), self.names, self.batch(), seed)
            if scores.undefined:
                reasons = "; ".join(f"{name}: {why}" for name, why in scores.undefined.items())
                raise CandidateFailed(f"proxies undefined ({reasons})")
            costs = self.costs(arch, spec)
        metrics = {**scores.values, **costs, "proxy_seconds": sum(scores.seconds.values())}
        if report is not None:
            report(1, dict(metrics))
        return metrics
