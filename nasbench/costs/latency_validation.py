"""How good a latency model is: random networks predicted, then measured, side by side.

Networks are drawn from a seed other than calibration's. Each is measured in ``rounds`` rounds; within a
round the networks run in a random order (so a slow spell of the machine spreads over all of them, not
one), and a network's measurement is the median of its rounds' medians. The noise floor is what the
same network measured twice disagrees by (round one against round two): no model can beat it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from nasbench.costs.latency import forward_times_ms
from nasbench.costs.latency_model import LatencyModel
from nasbench.space import Buildable, require_capability
from nasbench.training.devices import pick_device, torch_threads
from nasbench.trial import derive_seed

ProgressHook = Callable[[int, int], None]


@dataclass(frozen=True)
class Validation:
    archs: list[str]
    predicted: np.ndarray  # ms
    measured: np.ndarray  # ms, median of the rounds' medians
    rounds: np.ndarray  # ms, [network, round]
    estimated: np.ndarray  # units of each network not in the table
    predict_ms: float  # mean time of one prediction

    @property
    def ape(self) -> np.ndarray:
        return np.abs(self.predicted - self.measured) / self.measured

    def summary(self) -> dict:
        noise = np.abs(self.rounds[:, 0] - self.rounds[:, 1]) / self.rounds[:, 1] if self.rounds.shape[1] > 1 else []
        return {
            "networks": len(self.archs),
            "share_within_10pct": round(float(np.mean(self.ape <= 0.10)), 4),
            "median_ape": round(float(np.median(self.ape)), 4),
            "p95_ape": round(float(np.percentile(self.ape, 95)), 4),
            "noise_floor_ape": round(float(np.median(noise)), 4) if len(noise) else None,
            "noise_share_within_10pct": round(float(np.mean(noise <= 0.10)), 4) if len(noise) else None,
            "networks_with_estimated_units": int(np.sum(self.estimated > 0)),
            "predict_ms_per_network": round(self.predict_ms, 4),
            "measured_ms_median": round(float(np.median(self.measured)), 4),
        }


def validate(
    model: LatencyModel, sample: int, seed: int = 0, rounds: int = 3, progress: ProgressHook | None = None
) -> Validation:
    """Predict ``sample`` random networks of the model's space, then measure them (see the module docstring)."""
    space, data = model.space, model.data
    builder = require_capability(space, Buildable, "validating a latency model")
    rng = np.random.default_rng(derive_seed(seed, "latency-validation"))
    archs = [space.sample(rng) for _ in range(sample)]
    started = time.perf_counter()
    predictions = [model.predict(arch) for arch in archs]
    predict_ms = 1000.0 * (time.perf_counter() - started) / max(1, sample)
    settings, target = model.settings, model.target
    device = pick_device("cuda" if target.device.startswith("cuda") else "cpu")
    shape = (data.channels, data.height, data.width)
    measured = np.zeros((sample, rounds))
    report = progress or (lambda done, total: None)
    with torch_threads(target.threads if device.type == "cpu" else None), torch.random.fork_rng(devices=[]):
        for r in range(rounds):
            for done, i in enumerate(rng.permutation(sample), start=1):
                torch.manual_seed(settings.get("seed", 0))
                network = builder.build(archs[i], data)
                times = forward_times_ms(network, shape, device, settings["warmup"], settings["repeats"], target.batch)
                measured[i, r] = statistics.median(times)
                report(r * sample + done, rounds * sample)
    return Validation(
        [space.encode(a) for a in archs],
        np.array([p.ms for p in predictions]),
        np.median(measured, axis=1),
        measured,
        np.array([p.estimated for p in predictions]),
        predict_ms,
    )
