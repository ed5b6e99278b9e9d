"""``key=value`` options from the command line, typed by the constructor they are meant for."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable

from nasbench.errors import InvalidOption
from nasbench.registry import keyword_options

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
