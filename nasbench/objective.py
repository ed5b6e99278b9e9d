"""Turning an evaluation's metrics into the values a strategy maximises."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from nasbench.errors import InvalidOption, NasbenchError
from nasbench.options import check_finite


@dataclass(frozen=True)
class Target:
    """One metric and whether larger is better."""

    metric: str
    maximize: bool = True

    @classmethod
    def parse(cls, text: str) -> Target:
        """``valid_accuracy`` or ``macs:min`` / ``valid_accuracy:max``."""
        metric, _, direction = text.partition(":")
        if direction not in ("", "max", "min") or not metric:
            raise InvalidOption(f"objective {text!r} should read METRIC, METRIC:max or METRIC:min")
        return cls(metric, direction != "min")

    def __str__(self) -> str:
        return f"{self.metric}:{'max' if self.maximize else 'min'}"


@dataclass(frozen=True)
class CostPenalty:
    """The MnasNet objective's cost factor (Tan et al., CVPR 2019): value * (cost / target) ** w.

    ``w = weight`` while the cost is at most the target and ``weight_above`` (default: the same)
    beyond it. The soft constraint is ``weight = weight_above = -0.07``; ``weight = 0,
    weight_above = -1`` is the paper's hard variant.
    """

    metric: str
    target: float
    weight: float = -0.07
    weight_above: float | None = None

    def __post_init__(self) -> None:
        for name in ("target", "weight", "weight_above"):
            if getattr(self, name) is not None:
                check_finite(float(getattr(self, name)), f"the MnasNet cost {name.replace('_', ' ')}")
        if not self.target > 0:
            raise InvalidOption(f"the cost target must be positive, got {self.target}")

    @classmethod
    def parse(cls, target: str, weight: str = "-0.07") -> CostPenalty:
        """``macs=400e6`` and ``-0.07`` (or ``0,-1``: below and above the target)."""
        metric, sep, value = target.partition("=")
        weights = weight.split(",")
        try:
            numbers = [float(value)] + [float(w) for w in weights]
        except ValueError:
            numbers = []
        if not sep or not metric or len(numbers) not in (2, 3):
            raise InvalidOption(
                f"MnasNet target {target!r} with weight {weight!r} should read METRIC=VALUE (e.g. macs=400e6) "
                "and W or W_BELOW,W_ABOVE"
            )
        return cls(metric, numbers[0], numbers[1], numbers[2] if len(numbers) == 3 else None)

    def factor(self, metrics: Mapping[str, float]) -> float:
        ratio = _metric(metrics, self.metric) / self.target
        above = self.weight if self.weight_above is None else self.weight_above
        return ratio ** (self.weight if ratio <= 1 else above)


@dataclass(frozen=True)
class Objective:
    """What a search optimises: one or more targets, the first optionally cost-penalised."""

    targets: tuple[Target, ...] = (Target("valid_accuracy"),)
    penalty: CostPenalty | None = None

    def __post_init__(self) -> None:
        if not self.targets:
            raise InvalidOption("an objective needs at least one metric")
        if self.penalty is not None and len(self.targets) > 1:
            raise InvalidOption("the MnasNet cost penalty applies to single-objective searches only")

    @property
    def size(self) -> int:
        return len(self.targets)

    def values(self, metrics: Mapping[str, float]) -> tuple[float, ...]:
        """The objective values, each to be maximised (minimised metrics are negated)."""
        values = []
        for target in self.targets:
            value = _metric(metrics, target.metric)
            values.append(value if target.maximize else -value)
        if self.penalty is not None:
            values[0] *= self.penalty.factor(metrics)
        return tuple(values)

    def value_names(self) -> tuple[str, ...]:
        """What each of ``values`` is, in words: ``-macs`` for a negated metric."""
        names = [t.metric if t.maximize else f"-{t.metric}" for t in self.targets]
        if self.penalty is not None:
            names[0] += f" x ({self.penalty.metric}/{self.penalty.target:g})^w"
        return tuple(names)

    def to_dict(self) -> dict:
        penalty = None if self.penalty is None else {k: v for k, v in vars(self.penalty).items() if v is not None}
        return {"targets": [str(t) for t in self.targets], "penalty": penalty}

    @classmethod
    def from_dict(cls, data: dict) -> Objective:
        penalty = data.get("penalty")
        return cls(tuple(Target.parse(t) for t in data["targets"]), CostPenalty(**penalty) if penalty else None)


def _metric(metrics: Mapping[str, float], name: str) -> float:
    if name not in metrics:
        raise NasbenchError(f"the evaluator reports no metric '{name}'; it reports: {', '.join(sorted(metrics))}")
    value = float(metrics[name])
    if math.isnan(value):
        raise NasbenchError(f"metric '{name}' is NaN")
    return value
