"""The EfficientNet family as data: the official scaling table and the rule that applies a row to a network.

B1-B7 are B0 with every stage's channels and repeats, the stem and the head scaled by a row of
the TensorFlow builder's table. Channels are rounded with ``round_filters`` (multiples of 8,
never 10 % below) and repeats with ``round_repeats`` (ceil), as in the official builder. The
space decodes ``efficientnet-b3`` through it; ``nasbench.scaling`` builds compound scaling on it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from nasbench.errors import InvalidArchitecture, InvalidOption
from nasbench.search_spaces.mbconv.genotype import MBConvArch
from nasbench.search_spaces.mbconv.rounding import round_filters, round_repeats


@dataclass(frozen=True)
class Scaling:
    """How a network is scaled: multipliers of depth and width, and the resolution it runs at."""

    name: str
    depth: float
    width: float
    resolution: int
    dropout: float | None = None  # None: keep the base's


#: the official table (width, depth, resolution, dropout) of the TensorFlow builder
EFFICIENTNET: dict[str, tuple[float, float, int, float]] = {
    "b0": (1.0, 1.0, 224, 0.2),
    "b1": (1.0, 1.1, 240, 0.2),
    "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3),
    "b4": (1.4, 1.8, 380, 0.4),
    "b5": (1.6, 2.2, 456, 0.4),
    "b6": (1.8, 2.6, 528, 0.5),
    "b7": (2.0, 3.1, 600, 0.5),
}
#: the resolution of B0, to which the table's resolutions are relative
EFFICIENTNET_BASE_RESOLUTION = 224


def official(variant: str, base_res: int = EFFICIENTNET_BASE_RESOLUTION) -> Scaling:
    """A row of the EfficientNet table; its resolution is relative to B0's 224 when the base runs at another size."""
    if variant not in EFFICIENTNET:
        raise InvalidOption(f"unknown EfficientNet variant {variant!r}; choose from {', '.join(EFFICIENTNET)}")
    width, depth, resolution, dropout = EFFICIENTNET[variant]
    if base_res != EFFICIENTNET_BASE_RESOLUTION:
        resolution = max(1, round(base_res * resolution / EFFICIENTNET_BASE_RESOLUTION))
    return Scaling(variant, depth, width, resolution, dropout)


def scale(arch: MBConvArch, scaling: Scaling, divisor: int = 8) -> MBConvArch:
    """``arch`` with every stage's channels and repeats, the stem and the head scaled; any MBConv network."""
    if scaling.depth <= 0 or scaling.width <= 0:
        raise InvalidOption(f"depth and width multipliers must be positive, got {scaling.depth} and {scaling.width}")
    try:
        stages = tuple(
            replace(
                s,
                channels=round_filters(s.channels, scaling.width, divisor),
                repeats=round_repeats(s.repeats, scaling.depth),
            )
            for s in arch.stages
        )
        return replace(
            arch,
            stages=stages,
            stem=round_filters(arch.stem, scaling.width, divisor),
            head=round_filters(arch.head, scaling.width, divisor),
            resolution=scaling.resolution,
            dropout=arch.dropout if scaling.dropout is None else scaling.dropout,
        )
    except InvalidArchitecture as exc:  # a size limit of the genotype
        raise InvalidOption(f"{scaling.name} scales the base beyond what nasbench builds: {exc}") from None
