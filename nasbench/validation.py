"""Checks every component's options pass before anything is built or written.

Numbers must be finite (a NaN slips through every ``x < 0`` test and ends in a traceback far away, or
as ``NaN`` in config.json, which is not JSON), and an option must have the type its constructor
declares: ``config.json`` is written by hand too, and resume reads it like the command line.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from typing import Any

from nasbench.errors import InvalidOption


def check_finite(value: Any, name: str) -> None:
    """Refuse NaN and infinity in ``value``, or anywhere inside it (lists, tuples, dicts)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidOption(f"{name} must be a finite number, got {value}")
    if isinstance(value, Mapping):
        for key, item in value.items():
            check_finite(item, f"{name}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            check_finite(item, f"{name}[{index}]")


def check_positive(value: float, name: str) -> None:
    """A finite number above zero."""
    check_finite(float(value), name)
    if not value > 0:
        raise InvalidOption(f"{name} must be positive, got {value}")


def declared_type(param: inspect.Parameter) -> type | None:
    """``bool``, ``int``, ``float`` or ``str`` when the parameter's default or annotation says so, else ``None``."""
    if param.default not in (inspect.Parameter.empty, None) and type(param.default) in (bool, int, float, str):
        return type(param.default)
    annotation = param.annotation if isinstance(param.annotation, str) else getattr(param.annotation, "__name__", "")
    first = str(annotation).split("|")[0].strip()
    return {"bool": bool, "int": int, "float": float, "str": str}.get(first)


def _has_type(value: Any, kind: type) -> bool:
    if kind is float:  # an integer is a fine float; a bool is not a number
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def check_options(params: Mapping[str, inspect.Parameter], options: Mapping[str, Any], owner: str) -> None:
    """Each option finite and of the type its parameter declares (``None`` where the default is ``None``)."""
    for key, value in options.items():
        check_finite(value, f"{owner} option {key}")
        param = params.get(key)
        kind = None if param is None else declared_type(param)
        if kind is None or (value is None and param.default is None):
            continue
        if not _has_type(value, kind):
            raise InvalidOption(f"{owner} option {key} takes a {kind.__name__}, got {value!r}")
