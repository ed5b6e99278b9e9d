"""Compound model scaling: the EfficientNet table, the pure rule for any phi, and the coefficient grid search."""

from nasbench.scaling.rules import (
    EFFICIENTNET,
    PAPER_COEFFICIENTS,
    Scaling,
    base_resolution,
    compound,
    efficientnet,
    official,
    parse_variants,
    scale,
)

__all__ = [
    "EFFICIENTNET",
    "PAPER_COEFFICIENTS",
    "Scaling",
    "base_resolution",
    "compound",
    "efficientnet",
    "official",
    "parse_variants",
    "scale",
]
