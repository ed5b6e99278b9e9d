"""Pieces the commands share: the one-line-error parser, flag groups derived from constructors, and
running a search or sweep to its end."""

from __future__ import annotations

import argparse
import inspect
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from nasbench.errors import NasbenchError
from nasbench.options import declared_type, keyword_options
from nasbench.trial import TrialState

if TYPE_CHECKING:
    from nasbench.results import TrialRecord

#: training flags (``search`` and ``scale --grid-search`` take them): evaluator options, and the epochs of
#: every trial's budget
TRAINING_FLAGS = ("dataset", "data_dir", "epochs", "batch_size", "lr", "device")
#: what the flags that set a constructor's options say, by option name (the flags themselves, their types
#: and defaults are read off the constructor: ``add_option_flags``)
OPTION_HELP = {
    "address": "join the Ray cluster at ADDRESS (as printed by 'ray start --head'); default: an embedded local Ray",
    "cpus_per_trial": "CPUs reserved for each trial (and its torch threads)",
    "gpus_per_trial": "GPUs for each trial; 0.5 packs two candidates onto a GPU (default: 1 when there are GPUs "
    "and the candidates train, else 0)",
    "max_concurrent": "trials running at once (default: as many as the resources allow); with 1, a run's trials "
    "do not depend on timing",
    "scheduler": "asha: stop weak candidates early, by their per-epoch results",
    "grace_period": "epochs every candidate trains before asha may stop it",
    "reduction_factor": "asha keeps the best 1/ETA of the candidates at each rung",
    "max_failures": "retries of a trial that raises or whose worker dies, before it is recorded as failed",
    "workers": "data-parallel workers",
    "cpus_per_worker": "CPUs (and torch threads) per worker",
    "gpus_per_worker": "GPUs per worker; > 0 trains on GPUs (NCCL)",
}
#: flags no command refuses on resume: they say how to run, not what
RUN_FLAGS = ("command", "action", "func", "resume", "budget", "quiet", "backend")


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
        help="digits (embedded, default), teacher or teacher-sharp (embedded, generated), "
        "cifar10 (python format) or folder (one sub-folder per class)",
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
    """The training flags given, as evaluator options (``--epochs`` is the trials' budget instead:
    ``trial_budget``); a data folder is stored absolute, so the run can be resumed (or its best
    network scaled) from any working directory."""
    options = {key: getattr(args, key) for key in TRAINING_FLAGS if key != "epochs" and getattr(args, key) is not None}
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


def add_determinism_flag(group) -> None:
    group.add_argument(
        "--deterministic",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="tell results to the strategy in ask order, so the run is a function of its seed at any "
        "concurrency (default); --no-deterministic tells them as they arrive, leaving no slot idle",
    )
    group.add_argument(
        "--window",
        type=int,
        default=None,
        metavar="K",
        help="a deterministic search asks trial m once trial m-K has been told (default: twice the trials that "
        "run at once, where several do: a slot then rarely waits for an earlier trial)",
    )


def determinism(args) -> dict:
    """The mode and window the flags ask for, as ``SearchConfig`` fields."""
    if args.window is not None and args.deterministic is False:
        raise NasbenchError("--window applies to a deterministic search; leave out --no-deterministic")
    if args.window is not None and args.window < 1:
        raise NasbenchError(f"--window must be at least 1, got {args.window}")
    return {"deterministic": args.deterministic is not False, "window": args.window}


def trial_budget(args) -> dict:
    """The budget every trial gets, from the flags (``--epochs``)."""
    return {} if args.epochs is None else {"epochs": args.epochs}


def add_option_flags(group, factory, exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    """A ``--name`` flag for each keyword option of ``factory``'s constructor (its type and default read
    off the signature, its help from ``OPTION_HELP``); returns the options' names, which are the flags' dests."""
    names = []
    for name, param in keyword_options(factory).items():
        if name in exclude:
            continue
        kind = declared_type(param) or str
        given = param.default not in (None, inspect.Parameter.empty)
        default = f" (default: {param.default:g})" if given and kind in (int, float) else ""
        default = f" (default: {param.default})" if given and kind is str else default
        help_text = OPTION_HELP.get(name, name.replace("_", " "))
        group.add_argument(flag(name), type=kind, default=None, metavar=name.split("_")[-1].upper(),
                           help=help_text + ("" if "default:" in help_text else default))  # fmt: skip
        names.append(name)
    return tuple(names)


def given_options(args, names: tuple[str, ...]) -> dict:
    """The options among ``names`` that were given on the command line."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def refuse_on_resume(args, execution: tuple[str, ...], what: str) -> None:
    """Refuse, when resuming, every flag given that would change what the run is: all but ``RUN_FLAGS`` and
    the ``execution`` flags (where and how fast it runs)."""
    fixed = [
        flag(name)
        for name, value in vars(args).items()
        if name not in RUN_FLAGS and name not in execution and value is not None and value != []
    ]
    if fixed:
        raise NasbenchError(f"{', '.join(fixed)} cannot change when resuming {what}; only the execution flags can")


def drive(search, progress, resume_command: str, created: bool = False) -> tuple[bool, TrialRecord | None]:
    """Run a started or resumed search (or sweep) to its end under its progress display, and print its
    summary. Returns whether it ended (not on Ctrl-C, after which it says how to continue) and its best trial.

    ``created``: this command made the run folder. A run refused before any trial ended (Ray would not
    start, no node can hold a trial) then leaves nothing behind, as a refusal before the start does.
    """
    started = time.perf_counter()
    try:
        best = search.run()
    except KeyboardInterrupt:
        progress.close()
        print(f"\ninterrupted; continue with: nasbench {resume_command} --resume {search.folder.path}", file=sys.stderr)
        return False, None
    except NasbenchError:
        progress.close()
        if created and all(r.state is TrialState.RUNNING for r in search.session.records.values()):
            shutil.rmtree(search.folder.path, ignore_errors=True)
        raise
    finally:
        progress.close()
    progress.summary(best, time.perf_counter() - started)
    return True, best
