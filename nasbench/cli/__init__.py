"""The ``nasbench`` command line: ``search``, ``export``, ``scale``, ``supernet``, ``sweep``, ``report``,
``proxies``, ``latency``, and lists of what is registered.

Every problem with the user's input surfaces as one ``nasbench: error: ...`` line and exit code 2.
"""

from __future__ import annotations

import argparse
import errno
import sys

from nasbench.cli import (
    export_command,
    latency_command,
    proxies_command,
    report_command,
    scale_command,
    search_command,
    supernet_command,
    sweep_command,
)
from nasbench.cli.common import Parser
from nasbench.errors import NasbenchError


def _list_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.set_defaults(func=lambda args: _cmd_list(name))


def _cmd_list(kind: str) -> int:
    from nasbench.catalog import BACKENDS, EVALUATORS, SPACES, STRATEGIES

    registry = {"spaces": SPACES, "strategies": STRATEGIES, "evaluators": EVALUATORS, "backends": BACKENDS}[kind]
    for name in registry.names():
        doc = (registry.get(name).__doc__ or "").strip().splitlines()
        print(f"{name:12s} {doc[0] if doc else ''}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="nasbench", description="Neural architecture search and model scaling.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    search_command.add_parser(sub)
    export_command.add_parser(sub)
    scale_command.add_parser(sub)
    supernet_command.add_parser(sub)
    sweep_command.add_parser(sub)
    report_command.add_parser(sub)
    proxies_command.add_parser(sub)
    latency_command.add_parser(sub)
    _list_parser(sub, "spaces", "list the registered search spaces")
    _list_parser(sub, "strategies", "list the registered search strategies")
    _list_parser(sub, "evaluators", "list the registered evaluators")
    _list_parser(sub, "backends", "list the registered backends")
    return parser


#: the disk's own faults, from a file nasbench does not reach through nasbench.storage.atomic (a plot, a
#: library's files)
DISK_FAULTS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO})
#: the longest error line printed: a message quoting a megabyte of input is cut
MAX_MESSAGE = 500


def _error(message: str) -> int:
    message = " ".join(message.splitlines())  # one line, even when a library's message has several
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 30] + f"... ({len(message):,} characters)"
    print(f"nasbench: error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except NasbenchError as exc:
        return _error(str(exc))
    except OSError as exc:
        if exc.errno not in DISK_FAULTS:
            raise
        return _error(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc))
