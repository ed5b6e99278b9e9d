"""Compound scaling (Tan & Le, ICML 2019): depth, width and resolution grown together.

Two ways to get a scaled network from a base: the official EfficientNet table (B0-B7, whose
coefficients were rounded by hand), or the pure rule ``d = alpha^phi, w = beta^phi, r = gamma^phi``
for any ``phi``. Channels are rounded with ``round_filters`` (multiples of 8, never 10 % below) and
repeats with ``round_repeats`` (ceil), as in the official builder.
"""

from __future__ import annotations

import math
import re

from nasbench.errors import InvalidOption
from nasbench.search_spaces.mbconv import MBConvArch, preset
from nasbench.search_spaces.mbconv.efficientnet import (
    EFFICIENTNET,
    EFFICIENTNET_BASE_RESOLUTION,
    Scaling,
    official,
    scale,
)

#: alpha (depth), beta (width), gamma (resolution) found by the paper's grid search at phi = 1
PAPER_COEFFICIENTS = (1.2, 1.1, 1.15)


def parse_variants(text: str) -> list[str]:
    """``b0-b7``, ``b3`` or ``b0,b2,b4`` as a list of table rows."""
    names = list(EFFICIENTNET)
    chosen: list[str] = []
    for part in text.lower().replace(" ", "").split(","):
        match = re.fullmatch(r"(b\d)(?:-(b\d))?", part)
        if match is None or any(g is not None and g not in EFFICIENTNET for g in match.groups()):
            raise InvalidOption(
                f"variant {part!r} should name rows of the EfficientNet table ({names[0]}-{names[-1]}), "
                "e.g. b0-b7 or b1,b3"
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


def efficientnet(variant: str) -> MBConvArch:
    """EfficientNet-B0 ... B7, built from B0 by the official table."""
    return scale(preset("efficientnet-b0"), official(variant))


__all__ = [
    "EFFICIENTNET",
    "EFFICIENTNET_BASE_RESOLUTION",
    "PAPER_COEFFICIENTS",
    "Scaling",
    "base_resolution",
    "check_coefficients",
    "compound",
    "efficientnet",
    "official",
    "parse_variants",
    "scale",
]
