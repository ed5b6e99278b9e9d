"""Options of every component: read off its constructor, parsed from ``key=value`` text, and checked.

Numbers must be finite (a NaN slips through every ``x < 0`` test and ends in a traceback far away, or
as ``NaN`` in config.json, which is not JSON), and an option must have the type its constructor
declares: ``config.json`` is written by hand too, and resume reads it like the command line.
"""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Callable, Iterable, Mapping
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


def comma_choices(
    value, kind: type, what: str, owner: str, *, sort: bool = True, positive: bool = True, allow_empty: bool = False
) -> tuple:
    """Distinct finite values (positive ones where ``positive``) from a comma-separated string or a sequence,
    sorted where ``sort``: the choices a space option such as ``kernels="3,5,7"`` gives."""
    items = [i for i in value.split(",") if i.strip()] if isinstance(value, str) else list(value)
    try:
        parsed = tuple(kind(item) for item in items)
    except (TypeError, ValueError, OverflowError):
        raise InvalidOption(
            f"{owner} option {what} should be a comma-separated list of {kind.__name__}s, got {value!r}"
        ) from None
    check_finite(parsed, f"{owner} option {what}")
    bad = (
        (not parsed and not allow_empty)
        or len(set(parsed)) != len(parsed)
        or (positive and min(parsed, default=1) <= 0)
    )
    if bad:
        raise InvalidOption(
            f"{owner} option {what} needs distinct{' positive' if positive else ''} values, got {value!r}"
        )
    return tuple(sorted(parsed)) if sort else parsed


def comma_text(values: tuple) -> str:
    """The text ``comma_choices`` reads back as ``values`` (floats keep their exact digits)."""
    return ",".join(repr(v) if isinstance(v, float) else str(v) for v in values)


def constructor_options(component: object) -> dict[str, Any]:
    """The keywords that recreate ``component``, read off its constructor's signature.

    The convention (scikit-learn's): a constructor keeps each of its keyword options as an attribute
    of the same name. A tuple of choices is written as the comma-separated text the constructors
    parse (``comma_text``); the run's own keywords (``RUN_KEYWORDS``) are left out.
    """
    options = {}
    for name in keyword_options(type(component)):
        if name in RUN_KEYWORDS:
            continue
        try:
            value = getattr(component, name)
        except AttributeError:
            raise AttributeError(
                f"{type(component).__name__} keeps no attribute {name!r} for its option {name}: store each "
                "constructor option under its own name, or override options()"
            ) from None
        scalars = isinstance(value, tuple) and all(isinstance(v, (int, float, str)) for v in value)
        options[name] = comma_text(value) if scalars else copy.deepcopy(value)
    return options


def keyword_options(factory: Callable) -> dict[str, inspect.Parameter]:
    """The keyword parameters of a constructor, by name."""
    params = inspect.signature(factory).parameters
    return {
        name: p
        for name, p in params.items()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and name not in ("self", "space")
    }


#: keywords a run fills itself (see ``Strategy``), never taken from the command line
RUN_KEYWORDS = ("seed", "storage", "objectives", "value_names")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _convert(text: str, param: inspect.Parameter, owner: str):
    kind = type(param.default) if param.default not in (inspect.Parameter.empty, None) else None
    if kind is None:
        annotation = str(param.annotation)
        kind = next((t for t in (bool, int, float) if t.__name__ in annotation.split("|")[0]), str)
    try:
        if kind is bool:
            if text.lower() not in _TRUE | _FALSE:
                raise ValueError
            return text.lower() in _TRUE
        return kind(text)
    except ValueError:
        raise InvalidOption(f"{owner} option {param.name} takes a {kind.__name__}, got {text!r}") from None


def parse_options(factory: Callable, pairs: Iterable[str], owner: str) -> dict:
    """Turn ``["population_size=20", ...]`` into keywords for ``factory``."""
    accepted = {k: v for k, v in keyword_options(factory).items() if k not in RUN_KEYWORDS}
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InvalidOption(f"{owner} option {pair!r} should read KEY=VALUE")
        if key not in accepted:
            valid = ", ".join(accepted) or "none"
            raise InvalidOption(f"{owner} takes no option {key!r}; its options: {valid}")
        options[key] = _convert(value, accepted[key], owner)
    return options
