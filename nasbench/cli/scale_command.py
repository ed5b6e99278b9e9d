"""``nasbench scale``: EfficientNet compound scaling of an MBConv network."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from nasbench.cli.common import add_training_flags, flag, training_options, trial_budget
from nasbench.errors import NasbenchError
from nasbench.training.devices import pick_device


def add_parser(sub) -> None:
    p = sub.add_parser(
        "scale",
        help="compound-scale an MBConv network (EfficientNet B0-B7, any phi)",
        description="Scale an MBConv network by the EfficientNet table (--variants) or the rule depth alpha^phi, width "
        "beta^phi, resolution gamma^phi (--phi); print parameters and multiply-adds and write them as CSV. With "
        "--grid-search, first find alpha, beta, gamma at phi = 1 by training on a proxy task.",
    )
    p.add_argument(
        "--base",
        default=None,
        help="preset (efficientnet-b0, mobilenet-v2, mnasnet-a1, mnasnet-b1, tiny) or architecture string "
        "(default: efficientnet-b0)",
    )
    p.add_argument(
        "--from",
        dest="run",
        default=None,
        metavar="RUN",
        help="scale the best network of this mbconv search (results/<run>)",
    )
    p.add_argument(
        "--variants",
        default=None,
        help="rows of the EfficientNet table, e.g. b0-b7 or b1,b3 (default: b0-b7 when no --phi)",
    )
    p.add_argument("--phi", type=float, nargs="+", default=[], help="compound coefficients phi for the pure rule")
    p.add_argument("--alpha", type=float, default=None, help="depth base of the pure rule (default 1.2)")
    p.add_argument("--beta", type=float, default=None, help="width base (default 1.1)")
    p.add_argument("--gamma", type=float, default=None, help="resolution base (default 1.15)")
    p.add_argument(
        "--resolution",
        type=int,
        default=None,
        help="input size of a base without one of its own (tiny, a run's best), e.g. 8 for digits",
    )
    p.add_argument("--num-classes", type=int, default=1000, help="classes of a preset base's classifier (default 1000)")
    p.add_argument("--latency", action="store_true", help="also measure latency (median of batch-1 runs) on --device")
    p.add_argument("--out", default=None, metavar="FILE", help="CSV file (default: results/scale-<base>-<time>.csv)")
    g = p.add_argument_group("grid search of alpha, beta, gamma (step 1 of the paper)")
    g.add_argument(
        "--grid-search",
        action="store_true",
        help="train each grid point at phi = 1 on a proxy task; the best sets alpha, beta, gamma",
    )
    g.add_argument(
        "--alphas", type=float, nargs="+", default=None, help="depth candidates (default 1.1 1.15 1.2 1.25 1.3)"
    )
    g.add_argument("--betas", type=float, nargs="+", default=None, help="width candidates (default 1.05 1.1 1.15 1.2)")
    g.add_argument(
        "--gammas", type=float, nargs="+", default=None, help="resolution candidates (default 1.1 1.15 1.2 1.25)"
    )
    g.add_argument(
        "--tolerance",
        type=float,
        default=0.05,
        help="keep points with alpha*beta^2*gamma^2 within this fraction of 2 (default 0.05)",
    )
    add_training_flags(g, "training epochs per grid point (default: 4)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument(
        "--grid-run",
        default=None,
        metavar="DIR",
        help="the grid's sweep run folder (default: beside --out); an interrupted grid there is resumed",
    )
    g.add_argument(
        "--backend", default=None, choices=["local", "ray"], help="train the grid in process (default) or on Ray"
    )
    g.add_argument("--max-concurrent", type=int, default=None, metavar="N", help="grid points at once on Ray")
    p.set_defaults(func=run)


def run(args) -> int:
    from nasbench.scaling import command
    from nasbench.scaling.grid import DEFAULT_ALPHAS, DEFAULT_BETAS, DEFAULT_GAMMAS
    from nasbench.scaling.rules import PAPER_COEFFICIENTS
    from nasbench.scaling.table import MACS_NOTE, format_table

    if args.run is not None and args.base is not None:
        raise NasbenchError("give --base or --from, not both")
    if args.resolution is not None and args.resolution < 1:
        raise NasbenchError(f"--resolution must be a positive number of pixels, got {args.resolution}")
    training = {**training_options(args), **trial_budget(args)}  # the proxy task's evaluator options
    if args.device is not None:
        pick_device(args.device)  # latency is measured here, in this process
    if not args.grid_search:
        given = [flag(k) for k in ("alphas", "betas", "gammas") if getattr(args, k) is not None]
        given += [flag(k) for k in training if k != "device"]  # --device also places --latency
        given += [flag(k) for k in ("grid_run", "backend", "max_concurrent") if getattr(args, k) is not None]
        if given:
            raise NasbenchError(f"{', '.join(given)} apply to --grid-search only")
    elif any(v is not None for v in (args.alpha, args.beta, args.gamma)):
        raise NasbenchError("--alpha/--beta/--gamma are what --grid-search finds; give one or the other")
    coefficients = tuple(
        v if v is not None else d for v, d in zip((args.alpha, args.beta, args.gamma), PAPER_COEFFICIENTS)
    )
    request = command.ScaleRequest(
        base=args.base or "efficientnet-b0",
        run=args.run,
        variants=args.variants,
        phis=list(args.phi),
        coefficients=coefficients,
        num_classes=args.num_classes,
        resolution=args.resolution,
        latency_device=(args.device or "cpu") if args.latency else None,
        grid_search=args.grid_search,
        grid=(
            tuple(args.alphas or DEFAULT_ALPHAS),
            tuple(args.betas or DEFAULT_BETAS),
            tuple(args.gammas or DEFAULT_GAMMAS),
        ),
        tolerance=args.tolerance,
        training=training,
        seed=args.seed,
    )
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = (
        Path(args.run).name
        if args.run
        else (args.base or "efficientnet-b0")
        if "/" not in (args.base or "")
        else "arch"
    )
    out = command.check_out(args.out or Path("results") / f"scale-{name}-{stamp}.csv")
    if args.grid_search:
        request.grid_run = args.grid_run or str(out.with_name(out.stem + "-grid-run"))
        request.backend = args.backend or "local"
        if args.max_concurrent is not None:
            if request.backend != "ray":
                raise NasbenchError("--max-concurrent applies to --backend ray only")
            request.backend_options = {"max_concurrent": args.max_concurrent}
    report = command.run(request)
    print(f"base: {report.source} = {report.base}")
    if report.grid is not None:
        grid_out = command.write_csv(report.grid.table, out.with_name(out.stem + "-grid.csv"))
        columns = [
            c
            for c in ("alpha", "beta", "gamma", "product", "resolution", "params", "macs", "valid_accuracy")
            if c in report.grid.table
        ]
        print(report.grid.table[columns].to_string(index=False))
        alpha, beta, gamma = report.grid.best
        print(f"best coefficients: alpha {alpha:g}, beta {beta:g}, gamma {gamma:g} (grid written to {grid_out})")
    if report.table is not None:
        command.write_csv(report.table, out)
        print(format_table(report.table))
        print(MACS_NOTE)
        print(f"table written to {out}")
    return 0
