"""``nasbench search``: start or resume an architecture search."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from nasbench.backends.ray import RayBackend
from nasbench.cli.common import (
    add_determinism_flag,
    add_option_flags,
    add_training_flags,
    determinism,
    drive,
    flag,
    given_options,
    parse_pairs,
    refuse_on_resume,
    training_options,
    trial_budget,
)
from nasbench.errors import NasbenchError
from nasbench.options import keyword_options
from nasbench.search_spaces.nb201.bundled import BUNDLED_NAME

#: the budget of evaluations of a search that only its time budget ends
UNBOUNDED_EVALUATIONS = 1_000_000
#: the Ray backend's options, each a flag (``--max-concurrent``, ...)
RAY_OPTIONS = tuple(keyword_options(RayBackend))


def add_parser(sub) -> None:
    p = sub.add_parser(
        "search",
        help="run an architecture search",
        description="Search a space with a strategy. With --benchmark, candidates are looked up in a results "
        "table; otherwise they are trained on --dataset (scikit-learn's digits by default).",
    )
    p.add_argument("--space", default=None, help="search space (see 'nasbench spaces'; default: nasnet)")
    p.add_argument("--strategy", default=None, help="search strategy (see 'nasbench strategies'; default: evo)")
    p.add_argument(
        "--budget", type=int, default=None, help="networks to evaluate (default: 100 on a benchmark, 12 when training)"
    )
    p.add_argument(
        "--time-budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="end the search once its evaluations cost this many seconds: measured when training, the table's "
        "training time for a benchmark, plus the proxies a strategy computed (with no --budget, only time ends it)",
    )
    p.add_argument("--seed", type=int, default=None, help="seed of the whole run (default: 0)")
    p.add_argument(
        "-S",
        "--strategy-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="strategy hyperparameter, e.g. -S population_size=20",
    )
    p.add_argument(
        "-O",
        "--space-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="space option beyond --cells/--filters",
    )
    p.add_argument("--cells", type=int, default=None, help="cells per stage of the built network")
    p.add_argument("--filters", type=int, default=None, help="filters (channels) of the first stage")
    p.add_argument(
        "--evaluator",
        default=None,
        metavar="NAME",
        help="what evaluates candidates (see 'nasbench evaluators'; default: tabular with --benchmark, else train)",
    )
    p.add_argument(
        "-E",
        "--evaluator-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="evaluator option, e.g. -E path=results.csv for a plugin's table",
    )
    p.add_argument(
        "--objective",
        action="append",
        default=[],
        metavar="METRIC[:max|:min]",
        help="metric to optimise (default: valid_accuracy); repeat for multi-objective",
    )
    g = p.add_argument_group("training (when no --benchmark is given)")
    add_training_flags(g, "training epochs per candidate (default: 4)")
    g = p.add_argument_group("costs (parameters, multiply-adds, latency on this machine)")
    g.add_argument(
        "--max-params",
        type=float,
        default=None,
        metavar="N",
        help="only sample and mutate into networks with at most N parameters",
    )
    g.add_argument(
        "--max-macs",
        type=float,
        default=None,
        metavar="N",
        help="... with at most N multiply-adds (fvcore, one image), e.g. 400e6",
    )
    g.add_argument(
        "--max-latency-ms",
        type=float,
        default=None,
        metavar="MS",
        help="... with a median batch-1 latency of at most MS on the training device (machine-dependent)",
    )
    g.add_argument(
        "--latency-model",
        default=None,
        metavar="MODEL.json",
        help="latency_ms (objective, --max-latency-ms, --mnas-target) predicted by this model "
        "('nasbench latency calibrate'), never measured",
    )
    g.add_argument(
        "--mnas-target",
        default=None,
        metavar="METRIC=VALUE",
        help="MnasNet objective ACC * (METRIC / VALUE)^w, e.g. macs=400e6 or latency_ms=80",
    )
    g.add_argument(
        "--mnas-weight",
        default=None,
        metavar="W[,W_ABOVE]",
        help="exponent w of --mnas-target (default -0.07; '0,-1' is the hard variant)",
    )
    g = p.add_argument_group("tabular benchmark")
    g.add_argument(
        "--benchmark",
        default=None,
        metavar="nb201|PATH",
        help="nb201 (the NAS-Bench-201 results bundled with nasbench), a results table (CSV) or a folder of them",
    )
    g.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="NAME=COLUMN",
        help="take metric NAME from table column COLUMN (default: NAS-Bench-201's columns)",
    )
    g = p.add_argument_group("supernet (search without retraining)")
    g.add_argument(
        "--supernet",
        default=None,
        metavar="RUN",
        help="score each candidate with the weights of the supernet trained in RUN ('nasbench supernet train'), "
        "in seconds; --space defaults to the supernet's",
    )
    g = p.add_argument_group("execution")
    g.add_argument(
        "--backend",
        default=None,
        metavar="NAME",
        help="ray: each candidate is a Ray Tune trial (default when training); local: one after another in this "
        "process (default for look-ups such as --benchmark); or a plugin's",
    )
    add_option_flags(g, RayBackend)
    add_determinism_flag(g)
    g = p.add_argument_group("output")
    g.add_argument(
        "--out", default=None, metavar="DIR", help="run folder (default: results/<space>-<strategy>-s<seed>-<time>)"
    )
    g.add_argument("--resume", default=None, metavar="DIR", help="continue the search stored in DIR")
    g.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=run)


def config_from_args(args):
    """The search configuration the flags describe (checked when the search is assembled)."""
    from nasbench.catalog import EVALUATORS, SPACES, STRATEGIES
    from nasbench.config import SearchConfig
    from nasbench.costs.constraints import Constraints
    from nasbench.objective import CostPenalty, Objective, Target
    from nasbench.options import parse_options

    supernet_config = None
    if args.supernet is not None:
        from nasbench.supernet_training.config import read_supernet_config

        supernet_config = read_supernet_config(Path(args.supernet))
        _check_supernet_space(args, supernet_config)
    space = args.space or (supernet_config.space if supernet_config else "nasnet")
    strategy = args.strategy or "evo"
    space_options = parse_options(SPACES.get(space), args.space_option, f"space '{space}'")
    for key in ("cells", "filters"):
        if getattr(args, key) is not None:
            space_options[key] = getattr(args, key)
    if supernet_config is not None:  # the only space and options its weights fit
        space_options = dict(supernet_config.space_options)
    strategy_options = parse_options(STRATEGIES.get(strategy), args.strategy_option, f"strategy '{strategy}'")
    penalty = None
    if args.mnas_target is not None:
        penalty = CostPenalty.parse(args.mnas_target, args.mnas_weight or "-0.07")
    elif args.mnas_weight is not None:
        raise NasbenchError("--mnas-weight needs --mnas-target")
    objective = Objective(tuple(Target.parse(t) for t in args.objective) or Objective().targets, penalty)
    training = training_options(args)
    given_training = [*training, *trial_budget(args)]
    default = "supernet" if args.supernet is not None else "tabular" if args.benchmark is not None else "train"
    evaluator = args.evaluator or default
    factory = EVALUATORS.get(evaluator)
    evaluator_options = parse_options(factory, args.evaluator_option, f"evaluator '{evaluator}'")
    if args.supernet is not None:
        if evaluator != "supernet" or args.benchmark is not None or args.metric:
            raise NasbenchError("--supernet and --benchmark/--metric/--evaluator are different evaluators; give one")
        fixed = [flag(k) for k in given_training if k != "device"]
        if fixed:
            raise NasbenchError(f"{', '.join(fixed)} are the supernet run's own and cannot be given with --supernet")
        evaluator_options.update(supernet=str(Path(args.supernet).resolve()), **training)
    elif given_training and evaluator != "train":
        raise NasbenchError(f"{', '.join(map(flag, given_training))} apply to training (--evaluator train) only")
    if args.benchmark is not None:
        if evaluator != "tabular":
            raise NasbenchError(f"--benchmark applies to the tabular evaluator; give '{evaluator}' its options with -E")
        # a path is stored absolute, so the run resumes from anywhere; "nb201" names the bundled table
        bundled = args.benchmark == BUNDLED_NAME
        evaluator_options["path"] = args.benchmark if bundled else str(Path(args.benchmark).resolve())
    if args.metric:
        if evaluator != "tabular":
            raise NasbenchError("--metric applies to --benchmark tables only")
        evaluator_options["columns"] = parse_pairs(args.metric, "--metric")
    if evaluator == "train":
        evaluator_options.update(training)
        wanted = [t.metric for t in objective.targets] + ([penalty.metric] if penalty else [])
        if "latency_ms" in wanted and args.latency_model is None:
            evaluator_options["measure_latency"] = True
    budget = args.budget if args.budget is not None else factory.default_budget
    if args.time_budget is not None and args.budget is None:
        budget = UNBOUNDED_EVALUATIONS
    backend_options = given_options(args, RAY_OPTIONS)
    backend = args.backend or ("local" if factory.in_process and not backend_options else "ray")
    if backend != "ray" and backend_options:
        verb = "apply" if len(backend_options) > 1 else "applies"
        raise NasbenchError(f"{', '.join(map(flag, backend_options))} {verb} to --backend ray only")
    bounds = (args.max_params, args.max_macs, args.max_latency_ms)
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
        constraints=Constraints(*bounds, device=args.device or "auto").to_dict()
        if any(b is not None for b in bounds)
        else {},
        backend=backend,
        backend_options=backend_options,
        trial_budget=trial_budget(args),
        **determinism(args),
        time_budget=args.time_budget,
        latency_model=None if args.latency_model is None else str(Path(args.latency_model).resolve()),
    )


def _check_supernet_space(args, trained) -> None:
    """A supernet's weights fit its own space and options only: refuse others rather than ignore them."""
    if args.space is not None and args.space != trained.space:
        raise NasbenchError(
            f"--supernet {args.supernet} was trained for space '{trained.space}', not '{args.space}'; leave out --space"
        )
    given = [f for f, v in (("-O", args.space_option), ("--cells", args.cells), ("--filters", args.filters)) if v]
    if given:
        own = ", ".join(f"{k}={v}" for k, v in trained.space_options.items()) or "the defaults"
        raise NasbenchError(
            f"{', '.join(given)} cannot be given with --supernet: its space options are the run's own ({own})"
        )


def run(args) -> int:
    from nasbench import search as searching
    from nasbench.cli.progress import Progress

    created = False
    if args.resume:
        refuse_on_resume(args, RAY_OPTIONS, "a search")
        out = Path(args.resume)
        progress = Progress(quiet=args.quiet)
        ray_flags = given_options(args, RAY_OPTIONS)  # they imply Ray, as when starting
        backend = args.backend or ("ray" if ray_flags else None)
        search = searching.resume(
            out, args.budget, on_record=progress.record, backend=backend, backend_options=ray_flags
        )
        progress.start(search)
        progress.say(f"resuming {out}: {len(search.session.records)} trials on record")
    else:
        config = config_from_args(args)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path(args.out or Path("results") / f"{config.space}-{config.strategy}-s{config.seed}-{stamp}")
        progress = Progress(quiet=args.quiet)
        created = not out.exists()
        search = searching.start(config, out, on_record=progress.record)
        progress.start(search)
        ran = search.config  # with the defaults the run filled in
        options = ", ".join(f"{k}={v}" for k, v in ran.strategy_options.items())
        progress.say(
            f"{ran.space}/{ran.strategy}{f' ({options})' if options else ''}, "
            f"budget {ran.budget}, backend {ran.backend}"
        )
    ended, best = drive(search, progress, "search", created=created)
    if not ended:
        return 130
    if search.strategy_summary:
        print(search.strategy_summary)
    if search.session.exhausted:
        print(f"stopped before the budget: {search.session.exhausted}", file=sys.stderr)
    if search.objective.size > 1:
        _print_front(search)
    return 0 if best is not None else 1  # a search in which no candidate completed did not do its job


def _print_front(search) -> None:
    """Write the run's Pareto front (``pareto.csv``, ``pareto.png``) and print it."""
    from nasbench.analysis.pareto import evaluated, pareto_front
    from nasbench.analysis.plots import plot_front, png_bytes
    from nasbench.results import read_trials
    from nasbench.storage import atomic
    from nasbench.storage.run_folder import FRONT_PLOT, FRONT_TABLE

    trials = read_trials(search.folder)
    front = pareto_front(trials, search.objective)
    if front.empty:
        print("no Pareto front: no trial completed")
        return
    atomic.write_text(search.folder.path / FRONT_TABLE, front.to_csv(index=False))
    figure = plot_front(evaluated(trials), front, search.objective)
    atomic.write_bytes(search.folder.path / FRONT_PLOT, png_bytes(figure))
    columns = ["number"] + list(dict.fromkeys(t.metric for t in search.objective.targets)) + ["arch"]
    print(f"Pareto front ({len(front)} network{'' if len(front) == 1 else 's'}):")
    print(front[columns].to_string(index=False, max_rows=20))
    print(f"front: {search.folder.path / FRONT_TABLE}, {search.folder.path / FRONT_PLOT}")
