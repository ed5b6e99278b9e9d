"""``nasbench sweep``: train networks x training-set sizes x epochs x seeds as the trials of one run."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from nasbench.backends.ray import RayBackend
from nasbench.cli.common import (
    add_determinism_flag,
    add_option_flags,
    determinism,
    drive,
    flag,
    given_options,
    refuse_on_resume,
)
from nasbench.errors import NasbenchError
from nasbench.options import keyword_options

#: every point of a sweep trains to its end: the Ray backend's early-stopping options do not apply
EARLY_STOPPING = ("scheduler", "grace_period", "reduction_factor")
RAY_OPTIONS = tuple(n for n in keyword_options(RayBackend) if n not in EARLY_STOPPING)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help="train a grid of networks x training-set sizes x epochs x seeds (for scaling laws)",
        description="Train every (network, training-set size, epochs, seed) as a trial of one resumable run, on Ray "
        "(default) or in process. Networks: a compound-scaled family (--base tiny --phi 0 1 2 3), width/depth "
        "multipliers (--width 0.5 1 2), architecture strings (--space S --arch ...), or an earlier run's Pareto front "
        "(--from RUN). The data is the embedded teacher task by default (131,072 training examples).",
    )
    g = p.add_argument_group("networks")
    g.add_argument("--base", default=None, help="mbconv preset or string to scale (default: tiny)")
    g.add_argument("--phi", type=float, nargs="+", default=None, help="compound coefficients of the family")
    g.add_argument("--alpha", type=float, default=None, help="depth base of the compound rule (default 1.2)")
    g.add_argument("--beta", type=float, default=None, help="width base (default 1.1)")
    g.add_argument("--gamma", type=float, default=None, help="resolution base (default 1.15)")
    g.add_argument(
        "--width", type=float, nargs="+", default=None, help="width multipliers of the base (or of each --from network)"
    )
    g.add_argument("--depth", type=float, nargs="+", default=None, help="depth multipliers of the base")
    g.add_argument("--arch", nargs="+", default=None, help="architecture strings of --space")
    g.add_argument("--space", default=None, help="space of --arch (default: mbconv)")
    g.add_argument(
        "--from",
        dest="run",
        default=None,
        metavar="RUN",
        help="the Pareto front of this run; with --width/--depth, each of its networks scaled (a family each)",
    )
    g.add_argument(
        "--architectures",
        type=int,
        default=None,
        metavar="K",
        help="with --from: at least K networks, the Pareto front followed by the next fronts (default: the front)",
    )
    g = p.add_argument_group("budgets")
    g.add_argument(
        "--train-size", type=int, nargs="+", default=None, metavar="N", help="training examples (default: all)"
    )
    g.add_argument(
        "--compute-budget",
        type=float,
        default=None,
        metavar="MACS",
        help="instead of --train-size: four training-set sizes on a log grid (x4 apart), the largest the "
        "budget of multiply-adds for all the sweep's trainings allows, e.g. 1e13; with --from and no "
        "--width/--depth, each front network at widths 0.25, 0.5, 1 and 2",
    )
    g.add_argument("--epochs", type=int, nargs="+", default=None, help="training epochs (default: 4)")
    g.add_argument("--seeds", type=int, default=None, help="independent trainings of every point (default: 1)")
    g.add_argument("--seed", type=int, default=None, help="seed of the whole run (default: 0)")
    g = p.add_argument_group("training")
    g.add_argument("--dataset", default=None, help="teacher (default), teacher-sharp, digits, cifar10 or folder")
    g.add_argument("--data-dir", default=None, metavar="DIR", help="where cifar10 or the image folder lies")
    g.add_argument("--batch-size", type=int, default=None, help="training batch size (default: 64)")
    g.add_argument("--lr", type=float, default=None, help="peak learning rate (default: 0.05)")
    g.add_argument("--device", default=None, help="auto (default), cpu, cuda, cuda:1, ...")
    g = p.add_argument_group("execution")
    g.add_argument("--backend", default=None, choices=["ray", "local"], help="ray (default) or local")
    add_option_flags(g, RayBackend, exclude=EARLY_STOPPING)
    add_determinism_flag(g)
    g = p.add_argument_group("output")
    g.add_argument("--out", default=None, metavar="DIR", help="run folder (default: results/sweep-<time>)")
    g.add_argument("--resume", default=None, metavar="DIR", help="continue the sweep stored in DIR")
    g.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=run)


#: widths (a log grid, x2 apart) each front network is trained at when only a compute budget is given
BUDGET_WIDTHS = (0.25, 0.5, 1.0, 2.0)


def _networks(args):
    """(space, space options, networks) the flags name."""
    from nasbench.scaling.rules import PAPER_COEFFICIENTS
    from nasbench.scaling.sweep import Network, compound_family, front_of_run, multiplier_family, scaled_front
    from nasbench.training.data import load_data

    kinds = [k for k in ("phi", "arch", "run") if getattr(args, k) is not None]
    widths = args.width
    if kinds == ["run"] and args.compute_budget is not None and args.depth is None:
        widths = widths or list(BUDGET_WIDTHS)  # a budget asks for laws: each front network at several widths
    if widths is not None or args.depth is not None:
        kinds.append("width/depth")
    if not kinds:
        raise NasbenchError("name the networks: --phi, --width/--depth, --arch or --from")
    if args.architectures is not None and "run" not in kinds:
        raise NasbenchError("--architectures applies to --from only")
    architectures = 1 if args.architectures is None else args.architectures  # the front alone
    if architectures < 1:
        raise NasbenchError(f"--architectures must be at least 1, got {architectures}")
    if kinds[0] != "phi" and any(v is not None for v in (args.alpha, args.beta, args.gamma)):
        raise NasbenchError("--alpha/--beta/--gamma apply to --phi only")
    if kinds == ["run", "width/depth"]:  # each network of a run's front at every width and depth: families
        resolution = load_data(args.dataset or "teacher", args.data_dir).spec.height
        return scaled_front(args.run, widths or [], args.depth or [], resolution, architectures)
    if len(kinds) != 1:
        raise NasbenchError("name the networks one way: --phi, --width/--depth, --arch or --from")
    if kinds[0] not in ("phi", "width/depth") and args.base is not None:
        raise NasbenchError("--base applies to --phi and --width/--depth only")
    if kinds[0] != "arch" and args.space is not None:
        raise NasbenchError("--space applies to --arch only")
    if kinds[0] == "run":
        return front_of_run(args.run, architectures)
    if kinds[0] == "arch":
        return args.space or "mbconv", {}, [Network(a, a) for a in args.arch]
    base = args.base or "tiny"
    resolution = load_data(args.dataset or "teacher", args.data_dir).spec.height
    if kinds[0] == "phi":
        coefficients = tuple(
            v if v is not None else d for v, d in zip((args.alpha, args.beta, args.gamma), PAPER_COEFFICIENTS)
        )
        networks = compound_family(base, args.phi, resolution, coefficients)
    else:
        networks = multiplier_family(base, args.width or [], args.depth or [], resolution)
    return "mbconv", {"base": base}, networks


def _macs(space: str, space_options: dict, networks, data) -> list[float]:
    """Multiply-adds of one example through each network (what its trainings' compute is counted in)."""
    from nasbench.catalog import SPACES
    from nasbench.costs.cost_model import CostModel

    model = CostModel(SPACES.create(space, **space_options), data)
    return [float(model.macs(model.space.decode(n.arch))) for n in networks]


def config_from_args(args):
    from nasbench.cli.common import training_options
    from nasbench.scaling.sweep import sweep_config, sweep_points, train_sizes_for_budget
    from nasbench.training.data import load_data

    space, space_options, networks = _networks(args)
    seeds = 1 if args.seeds is None else args.seeds
    training = {"dataset": "teacher", **training_options(args)}
    data = load_data(training["dataset"], training.get("data_dir"))
    available = len(data.train.labels)
    sizes = args.train_size or [None]
    if args.compute_budget is not None:
        if args.train_size is not None:
            raise NasbenchError("give --train-size or --compute-budget, not both")
        macs = _macs(space, space_options, networks, data.spec)
        sizes = train_sizes_for_budget(macs, args.compute_budget, max(args.epochs or [4]), seeds, available)
    points = sweep_points(networks, sizes, args.epochs or [None], seeds)  # --epochs: each point's
    beyond = [n for n in args.train_size or [] if n > available]
    if beyond:
        raise NasbenchError(f"--train-size {beyond[0]:,} exceeds the {available:,} examples of the training split")
    backend_options = given_options(args, RAY_OPTIONS)
    backend = args.backend or "ray"
    if backend != "ray" and backend_options:
        raise NasbenchError(f"{', '.join(map(flag, backend_options))} apply to --backend ray only")
    seed = args.seed if args.seed is not None else 0
    config = sweep_config(
        space,
        points,
        space_options=space_options,
        training=training,
        seed=seed,
        backend=backend,
        backend_options=backend_options,
    )
    config.deterministic, config.window = determinism(args).values()
    return config


def run(args) -> int:
    from nasbench import search as searching
    from nasbench.cli.progress import Progress

    progress = Progress(quiet=args.quiet)
    created = False
    if args.resume:
        refuse_on_resume(args, RAY_OPTIONS, "a sweep")
        out = Path(args.resume)
        ray_flags = given_options(args, RAY_OPTIONS)
        search = searching.resume(out, on_record=progress.record, backend=args.backend, backend_options=ray_flags)
        if search.config.strategy != "sweep":
            search.release()
            raise NasbenchError(f"{out} is a search, not a sweep; resume it with nasbench search --resume {out}")
        print(f"resuming {out}: {len(search.session.records)} trials on record", file=sys.stderr)
    else:
        config = config_from_args(args)
        out = Path(args.out or Path("results") / f"sweep-{datetime.now().strftime('%Y%m%d-%H%M%S')}")
        created = not out.exists()
        search = searching.start(config, out, on_record=progress.record)
        if not args.quiet:
            print(f"sweep of {config.budget} trainings, backend {search.config.backend}: {out}", file=sys.stderr)
    progress.start(search)
    ended, best = drive(search, progress, "sweep", created=created)
    if not ended:
        return 130
    return 0 if best is not None else 1
