"""Channel and repeat rounding of the EfficientNet builder (Tan & Le, ICML 2019)."""

from __future__ import annotations

import math


def round_filters(channels: float, width: float = 1.0, divisor: int = 8) -> int:
    """``channels * width`` to a multiple of ``divisor``, to the nearest but never 10 % below."""
    scaled = channels * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


def round_repeats(repeats: int, depth: float = 1.0) -> int:
    """``repeats * depth``, rounded up."""
    return int(math.ceil(depth * repeats))
