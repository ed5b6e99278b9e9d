"""A per-device latency model: a network's latency predicted from look-up tables of its units, no network built.

A space with the ``LatencyUnits`` capability splits a network into units (an MBConv block at its input
size, a transformer layer, a cell's operation); ``calibration`` times every unit its networks are made of
on one device, thread count and batch size, and a few whole networks. A network is then predicted as

    latency = intercept + scale * (sum of its units' measured latencies) + per_unit * (number of units)

(the dispatch between units and what no unit holds), fitted by non-negative least squares on relative
error. A unit never measured (a rare combination the calibration sample missed) is estimated from the
measured units of its kind, linear in multiply-adds, and counted in ``Prediction.estimated``.

The model file (JSON) records the space and its options, the data's shape, the device, threads, batch
and the software and machine it was measured on; a search refuses one made for anything else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nasbench.arch import Arch
from nasbench.errors import InvalidOption, ResultsError
from nasbench.space import DataSpec, LatencyUnits, SearchSpace, require_capability
from nasbench.storage import atomic

FORMAT = "nasbench-latency-model"
VERSION = 1


@dataclass(frozen=True)
class Target:
    """What a model was calibrated for: a search must match all of it."""

    space: str
    space_options: dict
    data: dict  # DataSpec fields
    device: str  # "cpu" or "cuda:<device name>"
    threads: int
    batch: int

    def mismatch(self, other: Target) -> str | None:
        """The first field in which ``other`` differs, said for a user, or ``None``."""
        for name in ("space", "space_options", "data", "device", "threads", "batch"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(mine, dict) and isinstance(theirs, dict):
                for key in sorted(set(mine) | set(theirs)):
                    if mine.get(key) != theirs.get(key):
                        what = "space option" if name == "space_options" else "data"
                        return f"{what} {key} {mine.get(key)!r}, not {theirs.get(key)!r}"
            elif mine != theirs:
                return f"{name} {mine}, not {theirs}"
        return None


@dataclass(frozen=True)
class Prediction:
    ms: float
    units: int
    estimated: int  # units not in the table, estimated from their kind


@dataclass
class LatencyModel:
    """Measured unit latencies and the fit that adds them up; ``complete`` once calibration has finished."""

    target: Target
    environment: dict  # torch, python, machine, processor: where it was measured
    settings: dict  # how it was calibrated (samples, networks, seed, warmup, repeats, rounds)
    units: dict[str, float] = field(default_factory=dict)  # unit name -> median ms
    kinds: dict[str, list] = field(default_factory=dict)  # unit name -> [kind, work]
    networks: dict[str, float] = field(default_factory=dict)  # architecture string -> median ms
    fit: dict = field(default_factory=dict)  # intercept, scale, per_unit, fallback {kind: [a, b]}
    complete: bool = False
    _space: SearchSpace | None = field(default=None, init=False, repr=False, compare=False)

    # ------------------------------------------------------------ prediction
    @property
    def space(self) -> SearchSpace:
        if self._space is None:
            from nasbench.catalog import SPACES

            self._space = SPACES.create(self.target.space, **self.target.space_options)
        return self._space

    @property
    def data(self) -> DataSpec:
        return DataSpec(**self.target.data)

    def predict(self, arch: Arch) -> Prediction:
        """``arch``'s latency in milliseconds on the model's device, threads and batch."""
        if not self.complete:
            raise InvalidOption("the latency model's calibration has not finished; run calibrate again to resume it")
        units = require_capability(self.space, LatencyUnits, "a latency model").latency_units(arch, self.data)
        total, estimated = 0.0, 0
        fallback = self.fit["fallback"]
        for unit in units:
            ms = self.units.get(unit.name)
            if ms is None:
                a, b = fallback.get(unit.kind, fallback["*"])
                ms, estimated = max(a + b * unit.work, 0.0), estimated + 1
            total += ms
        fit = self.fit
        return Prediction(fit["intercept"] + fit["scale"] * total + fit["per_unit"] * len(units), len(units), estimated)

    def predict_ms(self, arch: Arch) -> float:
        return self.predict(arch).ms

    def check_for(self, target: Target, path: str | Path) -> None:
        """Refuse, in one line, to predict for anything the model was not calibrated for."""
        problem = self.target.mismatch(target)
        if problem is not None:
            raise InvalidOption(f"the latency model {path} was calibrated for {problem}")
        if not self.complete:
            raise InvalidOption(f"the latency model {path} is not finished; run 'nasbench latency calibrate' again")

    # ------------------------------------------------------------ files
    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "target": asdict(self.target),
            "environment": self.environment,
            "settings": self.settings,
            "complete": self.complete,
            "fit": self.fit,
            "networks": self.networks,
            "units": self.units,
            "kinds": self.kinds,
        }

    def save(self, path: str | Path) -> None:
        atomic.write_text(path, json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> LatencyModel:
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise InvalidOption(f"no latency model at {path}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ResultsError(f"corrupt latency model {path}: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ResultsError(f"{path} is not a nasbench latency model")
        if data.get("version") != VERSION:
            found = data.get("version")
            raise ResultsError(f"{path} is a latency model of version {found}; this nasbench reads version {VERSION}")
        try:
            model = cls(
                Target(**data["target"]),
                dict(data["environment"]),
                dict(data["settings"]),
                {str(k): float(v) for k, v in data["units"].items()},
                {str(k): [str(v[0]), float(v[1])] for k, v in data["kinds"].items()},
                {str(k): float(v) for k, v in data["networks"].items()},
                dict(data["fit"]),
                bool(data["complete"]),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ResultsError(f"corrupt latency model {path}: {type(exc).__name__} {exc}") from None
        if model.complete and not {"intercept", "scale", "per_unit", "fallback"} <= set(model.fit):
            raise ResultsError(f"corrupt latency model {path}: its fit lacks a coefficient")
        return model


def file_digest(path: str | Path) -> str:
    """A digest of a model file: a run records it, and refuses on resume a model changed since."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except FileNotFoundError:
        raise InvalidOption(f"no latency model at {path}") from None


def load_for(path: str | Path, target: Target, digest: str | None = None) -> LatencyModel:
    """The model in ``path``, refused in one line when made for anything but ``target`` (space and options,
    data, device, threads, batch) or changed since ``digest`` was taken."""
    model = LatencyModel.load(path)
    if digest is not None and file_digest(path) != digest:
        raise InvalidOption(f"the latency model {path} has changed since the run started; its predictions would too")
    model.check_for(target, path)
    return model
