"""Pieces the commands share: the one-line-error parser and flag groups."""

from __future__ import annotations

import argparse
from pathlib import Path

from nasbench.errors import NasbenchError

#: training flags, by their evaluator option names (``search`` and ``scale --grid-search`` take them)
TRAINING_FLAGS = ("dataset", "data_dir", "epochs", "batch_size", "lr", "device")


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def flag(name: str) -> str:
    """``data_dir`` -> ``--data-dir``."""
    return "--" + name.replace("_", "-")


def add_training_flags(group, epochs_help: str) -> None:
    group.add_argument(
        "--dataset",
        default=None,
        help="digits (embedded, default), cifar10 (python format) or folder (one sub-folder per class)",
    )
    group.add_argument("--data-dir", default=None, metavar="DIR", help="where cifar10 or the image folder lies")
    group.add_argument("--epochs", type=int, default=None, help=epochs_help)
    group.add_argument("--batch-size", type=int, default=None, help="training batch size (default: 64)")
    group.add_argument(
        "--lr", type=float, default=None, help="peak learning rate of the cosine schedule (default: 0.05)"
    )
    group.add_argument(
        "--device", default=None, help="auto (default: the GPU when there is one), cpu, cuda, cuda:1, ..."
    )


def training_options(args) -> dict:
    """The training flags given, as evaluator options; a data folder is stored absolute, so the run
    can be resumed (or its best network scaled) from any working directory."""
    options = {key: getattr(args, key) for key in TRAINING_FLAGS if getattr(args, key) is not None}
    if "data_dir" in options:
        options["data_dir"] = str(Path(options["data_dir"]).resolve())
    return options


def parse_pairs(items: list[str], what: str) -> dict[str, str]:
    """``["name=value", ...]`` as a dict of strings."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise NasbenchError(f"{what} {item!r} should read NAME=VALUE")
        out[key] = value
    return out
