"""Proxy names as options take them: ``"synflow,nwot"``."""

from __future__ import annotations

from nasbench.errors import InvalidOption
from nasbench.proxies import PROXIES


def proxy_names(text: str) -> tuple[str, ...]:
    """``"synflow,nwot"`` as known proxy names, in order."""
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in PROXIES]
    if not names or unknown:
        raise InvalidOption(f"unknown proxy {', '.join(unknown) or repr(text)}; choose from: {', '.join(PROXIES)}")
    if len(set(names)) != len(names):
        raise InvalidOption(f"proxies {text!r} name one twice")
    return names
