"""Training recipes of ``nasbench supernet train --recipe``: named settings scaled to a run's epochs.

``bignas`` is the defaults (``SupernetConfig``). ``rank`` is what was measured to rank a space's
children best in a one-shot search: the space's progressive shrinking (``WeightSharing.ranking_shrink``),
a warm-up of 1/16 of the epochs and a cosine to zero, measured at 4 epochs on the teacher task; at
8 or 12 epochs the defaults ranked better (docs/BENCHMARKS.md, "Supernet ranking"). A recipe only
fills in flags: a flag given explicitly wins, and the run's ``config.json`` records the values used,
so a resume needs no recipe.
"""

from __future__ import annotations

from nasbench.errors import InvalidOption
from nasbench.space import SearchSpace, require_capability
from nasbench.supernet import WeightSharing

RECIPES = ("bignas", "rank")
RANK_WARMUP_SHARE = 1 / 16  # a quarter epoch of 4: with shrinking, the whole space trains only at the end


def recipe_settings(recipe: str, space: SearchSpace, epochs: int) -> dict:
    """The ``SupernetConfig`` fields ``recipe`` sets for a run of ``epochs`` on ``space``."""
    if recipe not in RECIPES:
        raise InvalidOption(f"unknown recipe '{recipe}'; choose from: {', '.join(RECIPES)}")
    if recipe == "bignas":
        return {}
    share, order = require_capability(space, WeightSharing, f"--recipe {recipe}").ranking_shrink()
    if share == 0:
        raise InvalidOption(
            f"space '{space.name}' has no measured ranking recipe; set --shrink-epochs and --shrink-order instead"
        )
    return {
        "shrink_epochs": share * epochs,
        "shrink_order": order,
        "warmup_epochs": RANK_WARMUP_SHARE * epochs,
        "final_lr_fraction": 0.0,
    }


def under_recipe(recipe: str, space: SearchSpace, epochs: int, given: dict) -> dict:
    """The fields ``given`` explicitly over ``recipe``'s settings for ``epochs``: a flag given wins."""
    return {**recipe_settings(recipe, space, epochs), **given}
