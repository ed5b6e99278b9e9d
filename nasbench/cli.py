"""The ``nasbench`` command line."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

from nasbench.errors import NasbenchError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _search_parser(sub) -> None:
    p = sub.add_parser(
        "search",
        help="run an architecture search",
        description="Search a space with a strategy. With --benchmark, candidates are looked up in a results "
        "table; otherwise they are trained on --dataset (scikit-learn's digits by default).",
    )
    p.add_argument("--space", default=None, help="search space (see 'nasbench spaces'; default: nasnet)")
    p.add_argument("--strategy", default=None, help="search strategy (see 'nasbench strategies'; default: evo)")
    p.add_argument("--budget", type=int, default=None, help="networks to evaluate (default: 100 on a benchmark, 12 when training)")
    p.add_argument("--seed", type=int, default=None, help="seed of the whole run (default: 0)")
    p.add_argument("-S", "--strategy-option", action="append", default=[], metavar="KEY=VALUE", help="strategy hyperparameter, e.g. -S population_size=20")
    p.add_argument("-O", "--space-option", action="append", default=[], metavar="KEY=VALUE", help="space option beyond --cells/--filters")
    p.add_argument("--cells", type=int, default=None, help="cells per stage of the built network")
    p.add_argument("--filters", type=int, default=None, help="filters (channels) of the first stage")
    p.add_argument("--objective", action="append", default=[], metavar="METRIC[:max|:min]", help="metric to optimise (default: valid_accuracy); repeat for multi-objective")
    g = p.add_argument_group("training (when no --benchmark is given)")
    g.add_argument("--dataset", default=None, help="digits (embedded, default), cifar10 (python format) or folder (one sub-folder per class)")
    g.add_argument("--data-dir", default=None, metavar="DIR", help="where cifar10 or the image folder lies")
    g.add_argument("--epochs", type=int, default=None, help="training epochs per candidate (default: 4)")
    g.add_argument("--batch-size", type=int, default=None, help="training batch size (default: 64)")
    g.add_argument("--lr", type=float, default=None, help="peak learning rate of the cosine schedule (default: 0.05)")
    g.add_argument("--device", default=None, help="auto (default: the GPU when there is one), cpu, cuda, cuda:1, ...")
    g = p.add_argument_group("tabular benchmark")
    g.add_argument("--benchmark", default=None, metavar="PATH", help="a results table (CSV) or a folder of them, e.g. ../shared/data/nb201")
    g.add_argument("--metric", action="append", default=[], metavar="NAME=COLUMN", help="take metric NAME from table column COLUMN (default: NAS-Bench-201's columns)")
    g = p.add_argument_group("output")
    g.add_argument("--out", default=None, metavar="DIR", help="run folder (default: results/<space>-<strategy>-s<seed>-<time>)")
    g.add_argument("--resume", default=None, metavar="DIR", help="continue the search stored in DIR")
    g.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=_cmd_search)


def _list_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.set_defaults(func=lambda args: _cmd_list(name))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nasbench", description="Neural architecture search and model scaling.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _search_parser(sub)
    _list_parser(sub, "spaces", "list the registered search spaces")
    _list_parser(sub, "strategies", "list the registered search strategies")
    return parser


def _cmd_list(kind: str) -> int:
    from nasbench.catalog import SPACES, STRATEGIES

    registry = SPACES if kind == "spaces" else STRATEGIES
    for name in registry.names():
        doc = (registry.get(name).__doc__ or "").strip().splitlines()
        print(f"{name:12s} {doc[0] if doc else ''}")
    return 0


def _pairs(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise NasbenchError(f"{what} {item!r} should read NAME=VALUE")
        out[key] = value
    return out


def _config_from_args(args):
    from nasbench.catalog import SPACES, STRATEGIES
    from nasbench.config import SearchConfig
    from nasbench.objective import Objective, Target
    from nasbench.options import parse_options

    space = args.space or "nasnet"
    strategy = args.strategy or "evo"
    space_options = parse_options(SPACES.get(space), args.space_option, f"space '{space}'")
    for key in ("cells", "filters"):
        if getattr(args, key) is not None:
            space_options[key] = getattr(args, key)
    strategy_options = parse_options(STRATEGIES.get(strategy), args.strategy_option, f"strategy '{strategy}'")
    objective = Objective(tuple(Target.parse(t) for t in args.objective) or Objective().targets)
    training_flags = {"dataset": args.dataset, "data_dir": args.data_dir, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "device": args.device}
    if args.benchmark is not None:
        given = [f"--{k.replace('_', '-')}" for k, v in training_flags.items() if v is not None]
        if given:
            raise NasbenchError(f"{', '.join(given)} apply to training and cannot be combined with --benchmark")
        evaluator, default_budget = "tabular", 100
        evaluator_options = {"path": str(args.benchmark)}
        if args.metric:
            evaluator_options["columns"] = _pairs(args.metric, "--metric")
    else:
        if args.metric:
            raise NasbenchError("--metric applies to --benchmark tables only")
        evaluator, default_budget = "train", 12
        evaluator_options = {k: v for k, v in training_flags.items() if v is not None}
    budget = args.budget if args.budget is not None else default_budget
    if isinstance(budget, int) and budget > 0:
        strategy_options = {**STRATEGIES.get(strategy).defaults_for_budget(budget), **strategy_options}
    return SearchConfig(
        space=space,
        strategy=strategy,
        evaluator=evaluator,
        budget=budget,
        seed=args.seed if args.seed is not None else 0,
        space_options=space_options,
        strategy_options=strategy_options,
        evaluator_options=evaluator_options,
        objective=objective.to_dict(),
    )


_CONFIG_FLAGS = ("space", "strategy", "seed", "cells", "filters", "benchmark", "out", "dataset", "data_dir", "epochs", "batch_size", "lr", "device")


def _cmd_search(args) -> int:
    from nasbench import search as searching
    from nasbench.progress import Progress

    if args.resume:
        fixed = [f"--{f.replace('_', '-')}" for f in _CONFIG_FLAGS if getattr(args, f) is not None]
        fixed += [f"--{f.replace('_', '-')}" for f in ("strategy_option", "space_option", "metric", "objective") if getattr(args, f)]
        if fixed:
            raise NasbenchError(f"{', '.join(fixed)} cannot change when resuming; only --budget can")
        out = Path(args.resume)
        progress = Progress(quiet=args.quiet)
        search = searching.resume(out, args.budget, on_record=progress.record)
        progress.start(search)
        print(f"resuming {out}: {len(search.session.records)} trials on record", file=sys.stderr)
    else:
        config = _config_from_args(args)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path(args.out or Path("results") / f"{config.space}-{config.strategy}-s{config.seed}-{stamp}")
        progress = Progress(quiet=args.quiet)
        search = searching.start(config, out, on_record=progress.record)
        progress.start(search)
    started = time.perf_counter()
    try:
        best = search.run()
    except KeyboardInterrupt:
        progress.close()
        print(f"\ninterrupted; continue with: nasbench search --resume {out}", file=sys.stderr)
        return 130
    finally:
        progress.close()
    progress.summary(best, time.perf_counter() - started)
    if search.objective.size > 1:
        _print_front(search)
    return 0


def _print_front(search) -> None:
    from nasbench.pareto import FRONT_PLOT, FRONT_TABLE, write_front

    front = write_front(search.folder, search.objective)
    if front.empty:
        print("no Pareto front: no trial completed")
        return
    columns = ["number"] + list(dict.fromkeys(t.metric for t in search.objective.targets)) + ["arch"]
    print(f"Pareto front ({len(front)} network{'' if len(front) == 1 else 's'}):")
    print(front[columns].to_string(index=False, max_rows=20))
    print(f"front: {search.folder.path / FRONT_TABLE}, {search.folder.path / FRONT_PLOT}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except NasbenchError as exc:
        print(f"nasbench: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
