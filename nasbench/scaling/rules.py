"""Compound scaling (Tan & Le, ICML 2019): depth, width and resolution grown together.

Two ways to get a scaled network from a base: the official EfficientNet table (B0-B7, whose
coefficients were rounded by hand), or the pure rule ``d = alpha^phi, w = beta^phi, r = gamma^phi``
for any ``phi``. Channels are rounded with ``round_filters`` (multiples of 8, never 10 % below) and
repeats with ``round_repeats`` (ceil), as in the official builder.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from nasbench.errors import InvalidArchitecture, InvalidOption
from nasbench.search_spaces.mbconv import MBConvArch, round_filters, round_repeats

#: alpha (depth), beta (width), gamma (resolution) found by the paper's grid search at phi = 1
PAPER_COEFFICIENTS = (1.2, 1.1, 1.15)


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


def parse_variants(text: str) -> list[str]:
    """``b0-b7``, ``b3`` or ``b0,b2,b4`` as a list of table rows."""
    names = list(EFFICIENTNET)
    chosen: list[str] = []
    for part in text.lower().replace(" ", "").split(","):
        match = re.fullmatch(r"(b\d)(?:-(b\d))?", part)
        if match is None or any(g is not None and g not in EFFICIENTNET for g in match.groups()):
            raise InvalidOption(
                f"variant {part!r} should name rows of the EfficientNet table ({names[0]}-{names[-1]}), e.g. b0-b7 or b1,b3"
            )
        first, last = names.index(match.group(1)), names.index(match.group(2) or match.group(1))
        if last < first:
            raise InvalidOption(f"variant range {part!r} runs backwards")
        chosen.extend(n for n in names[first : last + 1] if n not in chosen)
    return chosen


def base_resolution(arch: MBConvArch, data_resolution: int | None = None) -> int:
    """The resolution a base runs at: its own, else the data's."""
    resolution = arch.resolution or data_resolution
    if resolution is None:
        raise InvalidOption(
            f"the base network has no resolution of its own; give one with --resolution (e.g. 8 for digits): {arch}"
        )
    return resolution


def official(variant: str, base_res: int = EFFICIENTNET_BASE_RESOLUTION) -> Scaling:
    """A row of the EfficientNet table; its resolution is relative to B0's 224 when the base runs at another size."""
    if variant not in EFFICIENTNET:
        raise InvalidOption(f"unknown EfficientNet variant {variant!r}; choose from {', '.join(EFFICIENTNET)}")
    width, depth, resolution, dropout = EFFICIENTNET[variant]
    if base_res != EFFICIENTNET_BASE_RESOLUTION:
        resolution = max(1, round(base_res * resolution / EFFICIENTNET_BASE_RESOLUTION))
    return Scaling(variant, depth, width, resolution, dropout)


def check_coefficients(alpha: float, beta: float, gamma: float) -> None:
    if not all(1.0 <= c < math.inf for c in (alpha, beta, gamma)):
        raise InvalidOption(f"alpha, beta and gamma must be at least 1 (scaling up), got {alpha}, {beta}, {gamma}")


def compound(phi: float, base_res: int, alpha: float = 1.2, beta: float = 1.1, gamma: float = 1.15) -> Scaling:
    """The pure rule: depth alpha^phi, width beta^phi, resolution base * gamma^phi (nearest integer)."""
    check_coefficients(alpha, beta, gamma)
    if not 0 <= phi < math.inf:
        raise InvalidOption(f"phi must be a non-negative number, got {phi}")
    # compared in log space: alpha ** 1e9 overflows a float before it can be refused
    if phi * math.log(max(alpha, beta, gamma)) > math.log(1e6):
        raise InvalidOption(f"phi = {phi:g} scales beyond any buildable network (a factor over a million)")
    depth, width, resolution = alpha**phi, beta**phi, base_res * gamma**phi
    return Scaling(f"phi={phi:g}", depth, width, max(1, round(resolution)))


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


def efficientnet(variant: str) -> MBConvArch:
    """EfficientNet-B0 ... B7, built from B0 by the official table."""
    from nasbench.search_spaces.mbconv import preset

    return scale(preset("efficientnet-b0"), official(variant))
