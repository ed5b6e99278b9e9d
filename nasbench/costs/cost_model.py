"""Costs of architectures (parameters, multiply-adds, latency), cached by architecture hash.

Latency is measured, or predicted by a latency model when one is given (``latency_model``).

Each cost is computed once per (architecture hash, input shape) -- and, for latency, per device --
and optionally kept in a JSON file (``costs.json`` in a run folder). A latency-constrained search
then replays exactly on resume: the measurements it acted on are read back, not measured again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import torch

from nasbench.arch import Arch
from nasbench.costs.counting import count_macs, count_params
from nasbench.costs.latency import device_label, measure_latency_ms
from nasbench.costs.latency_model import LatencyModel
from nasbench.errors import ResultsError
from nasbench.space import Buildable, DataSpec, SearchSpace, require_capability
from nasbench.storage import atomic
from nasbench.training.devices import pick_device

#: the costs a model answers, with the unit each is given in
UNITS = {"params": "parameters", "macs": "multiply-adds", "latency_ms": "ms"}


class CostModel:
    """Parameters, multiply-adds (fvcore) and latency (median after warm-up) of a space's networks on ``data``."""

    def __init__(
        self,
        space: SearchSpace,
        data: DataSpec,
        path: str | Path | None = None,
        device: str = "cpu",
        warmup: int = 3,
        repeats: int = 10,
        latency_model: LatencyModel | None = None,
    ) -> None:
        self.space = space
        #: where latency comes from instead of a measurement (see ``latency_model``)
        self.latency_model = latency_model
        self.builder = require_capability(space, Buildable, "counting costs")
        self.data = data
        self.path = None if path is None else Path(path)
        self.device = pick_device(device)
        self.warmup = warmup
        self.repeats = repeats
        self._cache: dict[str, float] = self._load()

    def _load(self) -> dict[str, float]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ResultsError(f"corrupt cost cache {self.path}: {exc}") from None
        if not isinstance(data, dict) or not all(isinstance(v, (int, float)) for v in data.values()):
            raise ResultsError(f"corrupt cost cache {self.path}: expected an object of numbers")
        return data

    def persist_to(self, path: str | Path) -> None:
        """Keep the cache in ``path`` from now on; entries already there win (they are what a run acted on)."""
        self.path = Path(path)
        self._cache = {**self._cache, **self._load()}
        atomic.write_json(self.path, self._cache)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.data.channels, self.data.height, self.data.width)

    def _key(self, metric: str, arch: Arch, device: str = "") -> str:
        """The graph hash plus a digest of the exact string.

        Equivalent networks share a hash, yet they can differ in cost: an operation on a dead edge is
        pruned from the graph but still built, with its parameters. Keying by hash alone would let
        the first member of a class decide the cost of all of them.
        """
        shape = "x".join(map(str, (*self.input_shape, self.data.num_classes)))
        exact = hashlib.sha256(arch.to_string().encode()).hexdigest()[:12]
        return ":".join(p for p in (metric, arch.hash_key, exact, shape, device) if p)

    def _cached(self, key: str, compute: Callable[[], float]) -> float:
        if key not in self._cache:
            self._cache[key] = compute()
            if self.path is not None:
                atomic.write_json(self.path, self._cache)
        return self._cache[key]

    def _build(self, arch: Arch):
        with torch.random.fork_rng(devices=[]):  # initialisation must not move torch's global generator
            torch.manual_seed(0)
            return self.builder.build(arch, self.data)

    def params(self, arch: Arch) -> int:
        def compute():
            try:
                with torch.random.fork_rng(devices=[]), torch.device("meta"):  # shapes only: no memory, no init
                    return count_params(self.builder.build(arch, self.data))
            except Exception:  # a space whose constructor needs real tensors: build it for real
                return count_params(self._build(arch))

        return int(self._cached(self._key("params", arch), compute))

    def macs(self, arch: Arch) -> int:
        return int(self._cached(self._key("macs", arch), lambda: count_macs(self._build(arch), self.input_shape)))

    def latency_ms(self, arch: Arch) -> float:
        if self.latency_model is not None:  # predicted: nothing is built or run, nothing to keep
            return self.latency_model.predict_ms(arch)
        key = self._key("latency_ms", arch, device_label(self.device))
        return self._cached(
            key, lambda: measure_latency_ms(self._build(arch), self.input_shape, self.device, self.warmup, self.repeats)
        )

    def cost(self, metric: str, arch: Arch) -> float:
        """``params``, ``macs`` or ``latency_ms`` of ``arch``."""
        return {"params": self.params, "macs": self.macs, "latency_ms": self.latency_ms}[metric](arch)


class MeasuredCosts:
    """The costs ``names`` of an architecture, from ``model``: what a search adds to the metrics of
    an evaluator that does not report them (a table look-up has no ``macs``), so objectives, the
    Pareto front and the trial table see them. Each is counted once per network (the model caches)."""

    def __init__(self, model: CostModel, names: tuple[str, ...]) -> None:
        unknown = [n for n in names if n not in UNITS]
        if unknown:
            raise ValueError(f"no cost model for {', '.join(unknown)}; costs: {', '.join(UNITS)}")
        self.model = model
        self.names = names

    def __call__(self, arch: Arch) -> dict[str, float]:
        return {name: float(self.model.cost(name, arch)) for name in self.names}
