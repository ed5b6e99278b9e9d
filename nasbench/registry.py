"""Explicit registries of named components, extendable by entry points.

A third-party package adds a space or strategy by declaring, in its own pyproject.toml::

    [project.entry-points."nasbench.spaces"]
    myspace = "mypackage.spaces:MySpace"
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from nasbench.errors import InvalidOption, UnknownName
from nasbench.validation import check_options

T = TypeVar("T")


class Registry(Generic[T]):
    """Names to factories: the built-in dict first, then the entry-point group."""

    def __init__(self, kind: str, group: str, builtins: dict[str, Callable[..., T]]) -> None:
        self.kind = kind
        self.group = group
        self._builtins = dict(builtins)

    def _plugins(self) -> dict[str, Any]:
        return {ep.name: ep for ep in entry_points(group=self.group)}

    def names(self) -> list[str]:
        return sorted(set(self._builtins) | set(self._plugins()))

    def get(self, name: str) -> Callable[..., T]:
        if name in self._builtins:
            return self._builtins[name]
        plugin = self._plugins().get(name)
        if plugin is None:
            raise UnknownName(f"unknown {self.kind} '{name}'; choose from: {', '.join(self.names())}")
        return plugin.load()

    def create(self, name: str, *args: Any, **options: Any) -> T:
        """Instantiate ``name``, rejecting options its constructor does not take."""
        factory = self.get(name)
        accepted = keyword_options(factory)
        unknown = sorted(set(options) - set(accepted))
        if unknown:
            valid = ", ".join(accepted) or "none"
            raise InvalidOption(f"{self.kind} '{name}' takes no option {', '.join(unknown)}; its options: {valid}")
        check_options(accepted, options, f"{self.kind} '{name}'")  # finite, and of the declared types
        return factory(*args, **options)


def keyword_options(factory: Callable) -> dict[str, inspect.Parameter]:
    """The keyword parameters of a constructor, by name."""
    params = inspect.signature(factory).parameters
    return {
        name: p
        for name, p in params.items()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and name not in ("self", "space")
    }
