"""nasbench: neural architecture search and model scaling."""

from __future__ import annotations

__version__ = "0.1.0"


def register_space(name: str, space_class) -> None:
    """Make a ``nasbench.space.SearchSpace`` subclass searchable as ``name`` in this process (a notebook
    needs no package): ``nasbench search --space name`` run through ``nasbench.cli.main``, ``start``, ``resume``."""
    from nasbench.catalog import SPACES

    SPACES.register(name, space_class)


def register_strategy(name: str, strategy_class) -> None:
    """Make a ``nasbench.strategy.Strategy`` subclass available as ``name`` in this process."""
    from nasbench.catalog import STRATEGIES

    STRATEGIES.register(name, strategy_class)


def register_evaluator(name: str, evaluator_class) -> None:
    """Make a ``nasbench.evaluator.Evaluator`` subclass available as ``name`` in this process."""
    from nasbench.catalog import EVALUATORS

    EVALUATORS.register(name, evaluator_class)


def register_backend(name: str, backend_class) -> None:
    """Make a ``nasbench.backend.Backend`` subclass available as ``name`` in this process."""
    from nasbench.catalog import BACKENDS

    BACKENDS.register(name, backend_class)
