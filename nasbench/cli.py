"""The ``nasbench`` command line."""

from __future__ import annotations

import argparse
import json
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
    g = p.add_argument_group("execution")
    g.add_argument("--backend", default=None, choices=["ray", "local"], help="ray: each candidate is a Ray Tune trial (default); local: one after another in this process")
    g.add_argument("--address", default=None, help="join the Ray cluster at ADDRESS (as printed by 'ray start --head'); default: an embedded local Ray")
    g.add_argument("--cpus-per-trial", type=float, default=None, metavar="N", help="CPUs reserved for each trial (default: 1)")
    g.add_argument("--gpus-per-trial", type=float, default=None, metavar="N", help="GPUs for each trial; 0.5 packs two candidates onto a GPU (default: 1 when there are GPUs and the candidates train, else 0)")
    g.add_argument("--max-concurrent", type=int, default=None, metavar="N", help="trials running at once (default: as many as the resources allow); with 1, a run's trials do not depend on timing")
    g.add_argument("--scheduler", default=None, choices=["none", "asha"], help="asha: stop weak candidates early, by their per-epoch results (default: none)")
    g.add_argument("--grace-period", type=int, default=None, metavar="EPOCHS", help="epochs every candidate trains before asha may stop it (default: 1)")
    g.add_argument("--reduction-factor", type=float, default=None, metavar="ETA", help="asha keeps the best 1/ETA of the candidates at each rung (default: 4)")
    g.add_argument("--max-failures", type=int, default=None, metavar="N", help="retries of a trial that raises or whose worker dies, before it is recorded as failed (default: 1)")
    g = p.add_argument_group("output")
    g.add_argument("--out", default=None, metavar="DIR", help="run folder (default: results/<space>-<strategy>-s<seed>-<time>)")
    g.add_argument("--resume", default=None, metavar="DIR", help="continue the search stored in DIR")
    g.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=_cmd_search)


def _export_parser(sub) -> None:
    p = sub.add_parser(
        "export",
        help="write a found architecture as a standalone PyTorch model",
        description="Write model.py (plain PyTorch, importing only torch), weights.pt (when the run trained "
        "the network; loads with torch.load(weights_only=True)) and arch.json. Pick a trial of a run, or give "
        "an architecture string and its space.",
    )
    p.add_argument("run", nargs="?", help="a run folder, e.g. results/<run>")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--best", action="store_true", help="the run's best completed trial (default)")
    which.add_argument("--trial", type=int, default=None, help="trial number in the run's trials.csv")
    p.add_argument("--arch", default=None, help="an architecture string (instead of a run), with --space")
    p.add_argument("--space", default=None, help="the space of --arch")
    p.add_argument("-O", "--space-option", action="append", default=[], metavar="KEY=VALUE", help="space option for --arch")
    p.add_argument("--cells", type=int, default=None, help="cells per stage, for --arch")
    p.add_argument("--filters", type=int, default=None, help="filters of the first stage, for --arch")
    p.add_argument("--num-classes", type=int, default=None, help="classes of the head, for --arch (default: the space's usual data)")
    p.add_argument("--in-channels", type=int, default=None, help="input channels, for --arch")
    p.add_argument("--image-size", type=int, default=None, help="input height and width, for --arch")
    p.add_argument("--format", action="append", default=[], choices=["export", "onnx"], help="also write a torch.export program (model.pt2) or ONNX (model.onnx)")
    p.add_argument("--out", default=None, metavar="DIR", help="output folder (default: <run>/export, or export-<space>-<hash> for --arch)")
    p.set_defaults(func=_cmd_export)


def _cmd_export(args) -> int:
    from dataclasses import replace

    from nasbench.catalog import SPACES
    from nasbench.export import export_architecture, export_trial
    from nasbench.options import parse_options
    from nasbench.progress import format_metrics

    if (args.run is None) == (args.arch is None):
        raise NasbenchError("give either a run folder or --arch STRING --space NAME")
    if args.run is not None:
        extra = [f for f in ("space", "cells", "filters", "num_classes", "in_channels", "image_size") if getattr(args, f) is not None]
        if extra or args.space_option:
            raise NasbenchError("options describing an architecture apply to --arch only; a run records its own")
        out = Path(args.out or Path(args.run) / "export")
        folder, record = export_trial(args.run, out, trial=args.trial, formats=args.format)
        print(f"exported trial {record.number}: {record.arch}")
    else:
        if args.space is None:
            raise NasbenchError("--arch needs --space NAME")
        options = parse_options(SPACES.get(args.space), args.space_option, f"space '{args.space}'")
        options.update({k: getattr(args, k) for k in ("cells", "filters") if getattr(args, k) is not None})
        space = SPACES.create(args.space, **options)
        arch = space.decode(args.arch)
        data = space.default_data()
        if args.image_size is not None:
            data = replace(data, height=args.image_size, width=args.image_size)
        if args.num_classes is not None:
            data = replace(data, num_classes=args.num_classes)
        if args.in_channels is not None:
            data = replace(data, channels=args.in_channels)
        out = Path(args.out or f"export-{space.name}-{arch.hash_key[:8]}")
        folder = export_architecture(space, arch, out, data=data, formats=args.format)
        print(f"exported {arch}")
    info = json.loads((folder / "arch.json").read_text())
    files = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    metrics = {k: v for k, v in info["metrics"].items() if k not in ("params", "macs", "trial")}
    print(f"  params {info['params']:,}  macs {info['macs']:,}  {format_metrics(metrics)}".rstrip())
    print(f"  {folder}: {', '.join(files)}")
    return 0


def _list_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.set_defaults(func=lambda args: _cmd_list(name))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nasbench", description="Neural architecture search and model scaling.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _search_parser(sub)
    _export_parser(sub)
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
    backend, backend_options = args.backend or "ray", _ray_flags(args)
    if backend != "ray" and backend_options:
        flags = ", ".join(f"--{key.replace('_', '-')}" for key in backend_options)
        raise NasbenchError(f"{flags} apply to --backend ray only")
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
        backend=backend,
        backend_options=backend_options,
    )


#: flags of the Ray backend, by their option names
_RAY_FLAGS = ("address", "cpus_per_trial", "gpus_per_trial", "max_concurrent", "scheduler", "grace_period", "reduction_factor", "max_failures")


def _ray_flags(args) -> dict:
    """The Ray backend's options given on the command line."""
    return {key: getattr(args, key) for key in _RAY_FLAGS if getattr(args, key) is not None}


_CONFIG_FLAGS = ("space", "strategy", "seed", "cells", "filters", "benchmark", "out", "dataset", "data_dir", "epochs", "batch_size", "lr", "device")


def _cmd_search(args) -> int:
    from nasbench import search as searching
    from nasbench.progress import Progress

    if args.resume:
        fixed = [f"--{f.replace('_', '-')}" for f in _CONFIG_FLAGS if getattr(args, f) is not None]
        fixed += [f"--{f.replace('_', '-')}" for f in ("strategy_option", "space_option", "metric", "objective") if getattr(args, f)]
        if fixed:
            raise NasbenchError(f"{', '.join(fixed)} cannot change when resuming; only --budget and the execution flags can")
        out = Path(args.resume)
        progress = Progress(quiet=args.quiet)
        search = searching.resume(out, args.budget, on_record=progress.record, backend=args.backend, backend_options=_ray_flags(args))
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
    return 0


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
