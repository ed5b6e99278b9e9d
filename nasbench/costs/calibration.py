"""Calibrating a latency model: time every unit a space's networks are made of, then a few whole networks.

The units come from ``samples`` random networks (their distinct units, so every common combination is
timed); ``networks`` further random networks are timed whole to fit how unit latencies add up (see
``latency_model``). Each unit and network is the median of ``rounds`` x ``repeats`` passes after a
warm-up, on the given device, threads and batch. The model file is rewritten as work goes on, so an
interrupted calibration resumes where it stopped; one begun with other settings is refused.
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import nnls

from nasbench.costs.latency import device_name, forward_times_ms
from nasbench.costs.latency_model import LatencyModel, Target
from nasbench.errors import InvalidOption
from nasbench.space import Buildable, DataSpec, LatencyUnits, SearchSpace, Unit, require_capability
from nasbench.training.devices import pick_device, torch_threads
from nasbench.trial import derive_seed

#: seconds between two writes of the model file while calibrating
CHECKPOINT_SECONDS = 10.0

#: (stage, done, total) -> None: where calibration stands ("units" then "networks")
ProgressHook = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Settings:
    samples: int = 2000  # random networks whose units are timed
    networks: int = 40  # random networks timed whole, for the fit
    seed: int = 0
    warmup: int = 5
    repeats: int = 20
    rounds: int = 3

    def __post_init__(self) -> None:
        for name in ("samples", "networks", "repeats", "rounds"):
            if getattr(self, name) < 1:
                raise InvalidOption(f"calibration needs {name} >= 1, got {getattr(self, name)}")
        if self.warmup < 0:
            raise InvalidOption(f"calibration needs warmup >= 0, got {self.warmup}")
        if self.networks < 3:
            raise InvalidOption(f"the fit has three coefficients: calibration needs networks >= 3, got {self.networks}")


def environment() -> dict:
    return {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "system": platform.platform(),
    }


def _median_ms(module, shape, device, settings: Settings, batch: int) -> float:
    times = forward_times_ms(module, shape, device, settings.warmup, settings.repeats * settings.rounds, batch)
    return float(statistics.median(times))


def _sample(space: SearchSpace, count: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    return [space.sample(rng) for _ in range(count)]


def calibration_sets(space: SearchSpace, data: DataSpec, settings: Settings) -> tuple[dict[str, Unit], list]:
    """The distinct units to time (by name, in a fixed order) and the networks to time whole."""
    units_of = require_capability(space, LatencyUnits, "a latency model").latency_units
    archs = _sample(space, settings.samples, derive_seed(settings.seed, "units"))
    whole = _sample(space, settings.networks, derive_seed(settings.seed, "networks"))
    units: dict[str, Unit] = {}
    for arch in [*archs, *whole]:
        for unit in units_of(arch, data):
            units.setdefault(unit.name, unit)
    return dict(sorted(units.items())), whole


def fit(model: LatencyModel, space: SearchSpace) -> dict:
    """The coefficients that add unit latencies up to the measured networks (least relative error), and
    each kind's fallback (linear in multiply-adds) for units never timed."""
    fallback: dict[str, list[float]] = {}
    by_kind: dict[str, list[tuple[float, float]]] = {}
    for name, ms in model.units.items():
        kind, work = model.kinds[name]
        by_kind.setdefault(kind, []).append((work, ms))
    pooled = [pair for pairs in by_kind.values() for pair in pairs]
    for kind, pairs in [*by_kind.items(), ("*", pooled)]:
        work, ms = np.array(pairs).T
        if np.ptp(work) > 0:
            slope, intercept = np.polyfit(work, ms, 1)
            fallback[kind] = [float(intercept), float(max(slope, 0.0))]
        else:
            fallback[kind] = [float(np.median(ms)), 0.0]
    units_of = require_capability(space, LatencyUnits, "a latency model").latency_units
    rows, measured = [], []
    for text, ms in model.networks.items():
        units = units_of(space.decode(text), model.data)
        total = sum(model.units.get(u.name, fallback.get(u.kind, fallback["*"])[0]) for u in units)
        rows.append([total, len(units), 1.0])
        measured.append(ms)
    design, target = np.array(rows), np.array(measured)
    weights = 1.0 / target  # relative error: a 10 % miss weighs the same on a small network and a large one
    (scale, per_unit, intercept), _ = nnls(design * weights[:, None], target * weights)
    return {"intercept": float(intercept), "scale": float(scale), "per_unit": float(per_unit), "fallback": fallback}


def calibrate(
    space_name: str,
    space_options: dict,
    data: DataSpec,
    out: str | Path,
    *,
    device: str = "cpu",
    threads: int | None = None,
    batch: int = 1,
    settings: Settings = Settings(),
    progress: ProgressHook | None = None,
) -> LatencyModel:
    """Calibrate (or resume calibrating) the latency model of ``space_name`` on ``data``, written to ``out``."""
    from nasbench.catalog import SPACES

    space = SPACES.create(space_name, **space_options)
    require_capability(space, LatencyUnits, "a latency model")
    builder = require_capability(space, Buildable, "a latency model")
    torch_device = pick_device(device)
    threads = threads if threads is not None else torch.get_num_threads()
    if threads < 1 or batch < 1:
        raise InvalidOption(f"calibration needs threads >= 1 and batch >= 1, got {threads} and {batch}")
    target = Target(space_name, space.options(), asdict(data), device_name(torch_device), threads, batch)
    model = _resume(out, target, settings) or LatencyModel(target, environment(), asdict(settings))
    if model.complete:
        return model
    units, whole = calibration_sets(space, data, settings)
    report = progress or (lambda stage, done, total: None)
    clock = _Checkpoints(model, out)
    try:
        with torch_threads(threads if torch_device.type == "cpu" else None), torch.random.fork_rng(devices=[]):
            torch.manual_seed(settings.seed)
            for done, (name, unit) in enumerate(units.items(), start=1):
                if name not in model.units:
                    model.units[name] = _median_ms(unit.build(), unit.shape, torch_device, settings, batch)
                    model.kinds[name] = [unit.kind, float(unit.work)]
                    clock.tick()
                report("units", done, len(units))
            shape = (data.channels, data.height, data.width)
            for done, arch in enumerate(whole, start=1):
                text = space.encode(arch)
                if text not in model.networks:
                    model.networks[text] = _median_ms(builder.build(arch, data), shape, torch_device, settings, batch)
                    clock.tick()
                report("networks", done, len(whole))
    except BaseException:  # interrupted: keep what was measured, for the resume
        model.save(out)
        raise
    model.fit = fit(model, space)
    model.complete = True
    model.save(out)
    return model


def _resume(out: str | Path, target: Target, settings: Settings) -> LatencyModel | None:
    if not Path(out).exists():
        return None
    model = LatencyModel.load(out)
    problem = model.target.mismatch(target)
    if problem is None and model.settings != asdict(settings):
        problem = f"settings {model.settings}, not {asdict(settings)}"
    if problem is not None:
        raise InvalidOption(f"{out} holds a calibration for {problem}: give another --out to start a new one")
    return model


class _Checkpoints:
    """Rewrites the model file at most every ``CHECKPOINT_SECONDS`` (and when calibration ends)."""

    def __init__(self, model: LatencyModel, out: str | Path) -> None:
        self.model, self.out, self.clock = model, out, time.monotonic
        self.last = self.clock()

    def tick(self) -> None:
        if self.clock() - self.last >= CHECKPOINT_SECONDS:
            self.model.save(self.out)
            self.last = self.clock()
