"""Explicit registries of named components, extendable by entry points and in process.

A third-party package adds a space or strategy by declaring, in its own pyproject.toml::

    [project.entry-points."nasbench.spaces"]
    myspace = "mypackage.spaces:MySpace"

A notebook or script registers one in its own process, with no package to install::

    nasbench.register_space("myspace", MySpace)

Every registered component is a subclass of its kind's base class (``SearchSpace``, ``Strategy``,
``Evaluator``, ``Backend``), whose documented hooks are all the contract there is.
"""

from __future__ import annotations

import inspect
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from nasbench.errors import InvalidOption, UnknownName
from nasbench.options import check_options, keyword_options

T = TypeVar("T")


class Registry(Generic[T]):
    """Names to factories: the built-in dict first, then the entry-point group."""

    def __init__(self, kind: str, group: str, base: type[T], builtins: dict[str, type[T]]) -> None:
        self.kind = kind
        self.group = group
        self.base = base
        self._builtins = dict(builtins)
        self._registered: dict[str, type[T]] = {}  # added in this process by ``register``

    def _plugins(self) -> dict[str, Any]:
        return {ep.name: ep for ep in entry_points(group=self.group)}

    def names(self) -> list[str]:
        return sorted(set(self._builtins) | set(self._registered) | set(self._plugins()))

    def register(self, name: str, factory: type[T]) -> None:
        """Make ``factory`` (a subclass of the kind's base class) available as ``name`` in this process.

        A built-in name cannot be taken; registering a name again replaces the earlier class (a
        notebook cell run twice), and shadows an entry point of that name.
        """
        if not isinstance(name, str) or not name or name != name.strip() or "=" in name:
            raise InvalidOption(f"a {self.kind} name must be a non-empty word, got {name!r}")
        if name in self._builtins:
            raise InvalidOption(f"'{name}' is a built-in {self.kind}; register yours under another name")
        self._registered[name] = self._checked(name, factory)

    def get(self, name: str) -> type[T]:
        if name in self._builtins:
            return self._builtins[name]
        if name in self._registered:
            return self._registered[name]
        plugin = self._plugins().get(name)
        if plugin is None:
            raise UnknownName(f"unknown {self.kind} '{name}'; choose from: {', '.join(self.names())}")
        return self._checked(name, plugin.load())

    def _checked(self, name: str, factory: Any) -> type[T]:
        if not (isinstance(factory, type) and issubclass(factory, self.base)):
            raise InvalidOption(
                f"{self.kind} '{name}' is {factory!r}, not a subclass of {self.base.__module__}.{self.base.__name__}"
            )
        return factory

    def create(self, name: str, *args: Any, **options: Any) -> T:
        """Instantiate ``name``, rejecting options its constructor does not take."""
        factory = self.get(name)
        accepted = keyword_options(factory)
        unknown = sorted(set(options) - set(accepted))
        if unknown:
            valid = ", ".join(accepted) or "none"
            raise InvalidOption(f"{self.kind} '{name}' takes no option {', '.join(unknown)}; its options: {valid}")
        try:
            inspect.signature(factory).bind(*args, **options)
        except TypeError as exc:  # a required option not given
            raise InvalidOption(f"{self.kind} '{name}' cannot be created: {exc}") from None
        check_options(accepted, options, f"{self.kind} '{name}'")  # finite, and of the declared types
        return factory(*args, **options)
