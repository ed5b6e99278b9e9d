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
    g = p.add_argument_group("costs (parameters, multiply-adds, latency on this machine)")
    g.add_argument("--max-params", type=float, default=None, metavar="N", help="only sample and mutate into networks with at most N parameters")
    g.add_argument("--max-macs", type=float, default=None, metavar="N", help="... with at most N multiply-adds (fvcore, one image), e.g. 400e6")
    g.add_argument("--max-latency-ms", type=float, default=None, metavar="MS", help="... with a median batch-1 latency of at most MS on the training device (machine-dependent)")
    g.add_argument("--mnas-target", default=None, metavar="METRIC=VALUE", help="MnasNet objective ACC * (METRIC / VALUE)^w, e.g. macs=400e6 or latency_ms=80")
    g.add_argument("--mnas-weight", default=None, metavar="W[,W_ABOVE]", help="exponent w of --mnas-target (default -0.07; '0,-1' is the hard variant)")
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
def _scale_parser(sub) -> None:
    p = sub.add_parser(
        "scale",
        help="compound-scale an MBConv network (EfficientNet B0-B7, any phi)",
        description="Scale an MBConv network by the EfficientNet table (--variants) or the rule depth alpha^phi, width "
        "beta^phi, resolution gamma^phi (--phi); print parameters and multiply-adds and write them as CSV. With "
        "--grid-search, first find alpha, beta, gamma at phi = 1 by training on a proxy task.",
    )
    p.add_argument("--base", default=None, help="preset (efficientnet-b0, mobilenet-v2, mnasnet-a1, mnasnet-b1, tiny) or architecture string (default: efficientnet-b0)")
    p.add_argument("--from", dest="run", default=None, metavar="RUN", help="scale the best network of this mbconv search (results/<run>)")
    p.add_argument("--variants", default=None, help="rows of the EfficientNet table, e.g. b0-b7 or b1,b3 (default: b0-b7 when no --phi)")
    p.add_argument("--phi", type=float, nargs="+", default=[], help="compound coefficients phi for the pure rule")
    p.add_argument("--alpha", type=float, default=None, help="depth base of the pure rule (default 1.2)")
    p.add_argument("--beta", type=float, default=None, help="width base (default 1.1)")
    p.add_argument("--gamma", type=float, default=None, help="resolution base (default 1.15)")
    p.add_argument("--num-classes", type=int, default=1000, help="classes of a preset base's classifier (default 1000)")
    p.add_argument("--latency", action="store_true", help="also measure latency (median of batch-1 runs) on --device")
    p.add_argument("--out", default=None, metavar="FILE", help="CSV file (default: results/scale-<base>-<time>.csv)")
    g = p.add_argument_group("grid search of alpha, beta, gamma (step 1 of the paper)")
    g.add_argument("--grid-search", action="store_true", help="train each grid point at phi = 1 on a proxy task; the best sets alpha, beta, gamma")
    g.add_argument("--alphas", type=float, nargs="+", default=None, help="depth candidates (default 1.1 1.15 1.2 1.25 1.3)")
    g.add_argument("--betas", type=float, nargs="+", default=None, help="width candidates (default 1.05 1.1 1.15 1.2)")
    g.add_argument("--gammas", type=float, nargs="+", default=None, help="resolution candidates (default 1.1 1.15 1.2 1.25)")
    g.add_argument("--tolerance", type=float, default=0.05, help="keep points with alpha*beta^2*gamma^2 within this fraction of 2 (default 0.05)")
    g.add_argument("--dataset", default=None, help="proxy task: digits (default), cifar10 or folder")
    g.add_argument("--data-dir", default=None, metavar="DIR")
    g.add_argument("--epochs", type=int, default=None, help="training epochs per grid point (default 4)")
    g.add_argument("--batch-size", type=int, default=None)
    g.add_argument("--lr", type=float, default=None)
    g.add_argument("--device", default=None, help="training (and --latency) device: auto, cpu, cuda, ...")
    g.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_scale)


def _list_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.set_defaults(func=lambda args: _cmd_list(name))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nasbench", description="Neural architecture search and model scaling.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _search_parser(sub)
    _export_parser(sub)
    _scale_parser(sub)
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
    from nasbench.constraints import Constraints
    from nasbench.objective import CostPenalty, Objective, Target
    from nasbench.options import parse_options

    space = args.space or "nasnet"
    strategy = args.strategy or "evo"
    space_options = parse_options(SPACES.get(space), args.space_option, f"space '{space}'")
    for key in ("cells", "filters"):
        if getattr(args, key) is not None:
            space_options[key] = getattr(args, key)
    strategy_options = parse_options(STRATEGIES.get(strategy), args.strategy_option, f"strategy '{strategy}'")
    penalty = None
    if args.mnas_target is not None:
        penalty = CostPenalty.parse(args.mnas_target, args.mnas_weight or "-0.07")
    elif args.mnas_weight is not None:
        raise NasbenchError("--mnas-weight needs --mnas-target")
    objective = Objective(tuple(Target.parse(t) for t in args.objective) or Objective().targets, penalty)
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
        if penalty is not None and penalty.metric == "latency_ms":
            evaluator_options["measure_latency"] = True
    budget = args.budget if args.budget is not None else default_budget
    backend, backend_options = args.backend or "ray", _ray_flags(args)
    if backend != "ray" and backend_options:
        flags = ", ".join(f"--{key.replace('_', '-')}" for key in backend_options)
        raise NasbenchError(f"{flags} apply to --backend ray only")
    bounds = (args.max_params, args.max_macs, args.max_latency_ms)
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
        constraints=Constraints(*bounds, device=args.device or "auto").to_dict() if any(b is not None for b in bounds) else {},
        backend=backend,
        backend_options=backend_options,
    )


#: flags of the Ray backend, by their option names
_RAY_FLAGS = ("address", "cpus_per_trial", "gpus_per_trial", "max_concurrent", "scheduler", "grace_period", "reduction_factor", "max_failures")


def _ray_flags(args) -> dict:
    """The Ray backend's options given on the command line."""
    return {key: getattr(args, key) for key in _RAY_FLAGS if getattr(args, key) is not None}


_CONFIG_FLAGS = (
    "space", "strategy", "seed", "cells", "filters", "benchmark", "out", "dataset", "data_dir", "epochs", "batch_size", "lr", "device",
    "max_params", "max_macs", "max_latency_ms", "mnas_target", "mnas_weight",
)


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
    if search.objective.size > 1:
        _print_front(search)
    return 0


def _cmd_scale(args) -> int:
    from nasbench.scaling import command
    from nasbench.scaling.grid import DEFAULT_ALPHAS, DEFAULT_BETAS, DEFAULT_GAMMAS
    from nasbench.scaling.rules import PAPER_COEFFICIENTS
    from nasbench.scaling.table import MACS_NOTE, format_table

    if args.run is not None and args.base is not None:
        raise NasbenchError("give --base or --from, not both")
    training = {"dataset": args.dataset, "data_dir": args.data_dir, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "device": args.device}
    if not args.grid_search:
        given = [f"--{k.replace('_', '-')}" for k in ("alphas", "betas", "gammas", "dataset", "data_dir", "epochs", "batch_size", "lr") if getattr(args, k) is not None]
        if given:
            raise NasbenchError(f"{', '.join(given)} apply to --grid-search only")
    elif any(v is not None for v in (args.alpha, args.beta, args.gamma)):
        raise NasbenchError("--alpha/--beta/--gamma are what --grid-search finds; give one or the other")
    coefficients = tuple(v if v is not None else d for v, d in zip((args.alpha, args.beta, args.gamma), PAPER_COEFFICIENTS))
    request = command.ScaleRequest(
        base=args.base or "efficientnet-b0",
        run=args.run,
        variants=args.variants,
        phis=list(args.phi),
        coefficients=coefficients,
        num_classes=args.num_classes,
        latency_device=(args.device or "cpu") if args.latency else None,
        grid_search=args.grid_search,
        grid=(tuple(args.alphas or DEFAULT_ALPHAS), tuple(args.betas or DEFAULT_BETAS), tuple(args.gammas or DEFAULT_GAMMAS)),
        tolerance=args.tolerance,
        training={k: v for k, v in training.items() if v is not None},
        seed=args.seed,
    )
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = Path(args.run).name if args.run else (args.base or "efficientnet-b0") if "/" not in (args.base or "") else "arch"
    out = command.check_out(args.out or Path("results") / f"scale-{name}-{stamp}.csv")
    report = command.run(request)
    print(f"base: {report.source} = {report.base}")
    if report.grid is not None:
        grid_out = command.write_csv(report.grid.table, out.with_name(out.stem + "-grid.csv"))
        columns = [c for c in ("alpha", "beta", "gamma", "product", "resolution", "params", "macs", "valid_accuracy") if c in report.grid.table]
        print(report.grid.table[columns].to_string(index=False))
        alpha, beta, gamma = report.grid.best
        print(f"best coefficients: alpha {alpha:g}, beta {beta:g}, gamma {gamma:g} (grid written to {grid_out})")
    if report.table is not None:
        command.write_csv(report.table, out)
        print(format_table(report.table))
        print(MACS_NOTE)
        print(f"table written to {out}")
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
        message = " ".join(str(exc).splitlines())  # one line, even when a library's message has several
        print(f"nasbench: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
