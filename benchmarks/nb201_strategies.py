"""NAS-Bench-201 strategy benchmark: every strategy side by side, K queries, many seeds.

Each search sees a signal (validation accuracy) and is scored by the test accuracy of the
architecture with the best signal among the first K distinct networks it evaluated, averaged over
seeds. A repeated proposal (same graph hash) is answered from the cache and does not count as a
query, for the nasbench strategies (the search session de-duplicates) and for the Optuna peer alike.

- cifar10: the benchmark's standard protocol: signal = cifar10-valid validation accuracy (200 epochs,
  seed average), score = CIFAR-10 test accuracy (200 epochs, seed average).
- cifar100, imagenet16: the tables have no 200-epoch validation column. Signal = the test accuracy of
  one training seed at 200 epochs (``--signal oneseed``, the default) or 12 epochs (``--signal 12ep``);
  score = the seed-averaged 200-epoch test accuracy. The one seed is among those averaged, so the
  absolute numbers are slightly optimistic; every strategy shares that bias.

"optuna" is the peer: Optuna's own TPESampler(seed) in Optuna's ask/tell loop on the same decisions.
"bo-zc" is ``bo`` ranking its candidates by the data-free proxies shipped with the package (``-S
proxies=synflow``, on the dataset's own network): its initial design and its acquisition pool.

Every search is also scored against simulated seconds: each network costs its training time in the
table (cifar10-valid's ``train-all-time``; for CIFAR-100 and ImageNet16-120, which the tables give no
times for, that time scaled by the training set's size and resolution: x2 and x1.52), plus what the
strategy spent on proxies (the seconds the shipped table's proxies took to compute). The ``*_time_curves``
files and plots, and a table at three budgets, report it: NATS-Bench's (2e4, 4e4 and 12e4 s for
CIFAR-10, CIFAR-100 and ImageNet16-120), NAS-Bench-201's 12,000 s for CIFAR-10, and others beside them.

    python benchmarks/nb201_strategies.py --data ../shared/data/nb201 --dataset cifar10 --seeds 100 --jobs 2

Any registered space and evaluator can stand in for the NAS-Bench-201 table, to compare the
strategies on one's own search (the peer needs a space with the DecisionSequence capability):

    python benchmarks/nb201_strategies.py --space myspace --evaluator mytable -E path=results.csv \
        --metric valid_accuracy --report test_accuracy --name mine
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: dataset -> signal -> table columns (metric name -> column)
TIME = {"train_seconds": "train-all-time"}  # cifar10-valid's training time, every dataset's clock
COLUMNS = {
    "cifar10": {"valid": {"valid_accuracy": "valid-accuracy", "test_accuracy": "CIFAR10TestAccuracy200Epochs", **TIME}},
    "cifar100": {
        "oneseed": {
            "valid_accuracy": "Cifar100TestAccuracy200Epochs",
            "test_accuracy": "CIFAR100TestAccuracy200Epochs",
            **TIME,
        },
        "12ep": {
            "valid_accuracy": "Cifar100TestAccuracy12Epochs",
            "test_accuracy": "CIFAR100TestAccuracy200Epochs",
            **TIME,
        },
    },
    "imagenet16": {
        "oneseed": {
            "valid_accuracy": "ImageNet16TestAccuracy200Epochs",
            "test_accuracy": "ImageNetTestAccuracy200Epochs",
            **TIME,
        },
        "12ep": {
            "valid_accuracy": "ImageNet16TestAccuracy12Epochs",
            "test_accuracy": "ImageNetTestAccuracy200Epochs",
            **TIME,
        },
    },
}
PEER = "optuna"
#: strategies run as a registered one with options: name -> (registered name, options; "{dataset}" is filled in)
VARIANTS = {"bo-zc": ("bo", {"proxies": "synflow", "proxy_dataset": "{dataset}"})}
#: a network's training time on a dataset, as a multiple of cifar10-valid's (25,000 training images at 32 x 32):
#: CIFAR-100 trains on 50,000 at 32 x 32, ImageNet16-120 on 151,700 at 16 x 16
TIME_SCALE = {"cifar10": 1.0, "cifar100": 2.0, "imagenet16": 151_700 / 25_000 / 4}
#: the time budgets (seconds) of the table: NAS-Bench-201's and NATS-Bench's, and one beyond them
TIME_BUDGETS = {
    "cifar10": (12_000, 20_000, 40_000),
    "cifar100": (20_000, 40_000, 80_000),
    "imagenet16": (60_000, 120_000, 240_000),
}
MAX_REPEATS = 1000  # consecutive repeated proposals after which a search is stuck (as the session's limit)

_worker: dict = {}  # per-process state of the pool's workers: the space and the evaluator


@dataclass(frozen=True)
class Setting:
    """What every worker builds: a space and an evaluator from the registries, and the metrics scored."""

    space: str
    space_options: dict
    evaluator: str
    evaluator_options: dict
    metric: str  # what the searches maximise
    report: str  # what a search is scored by (of the network with the best ``metric``)
    dataset: str = ""  # NAS-Bench-201's dataset, or "" for another space and evaluator


def _init_worker(setting: Setting) -> None:
    import torch
    from threadpoolctl import threadpool_limits

    from nasbench.catalog import EVALUATORS, SPACES

    torch.set_num_threads(1)  # the RL controller is tiny; one process per core instead
    threadpool_limits(1)  # the same for the GP's linear algebra
    space = SPACES.create(setting.space, **setting.space_options)
    evaluator = EVALUATORS.create(setting.evaluator, space, **setting.evaluator_options)
    _worker.update(
        space=space, evaluator=evaluator, metric=setting.metric, report=setting.report, dataset=setting.dataset
    )


def best_so_far(evaluated: list[dict], metric: str, report: str) -> list[float]:
    """``report`` of the network with the best ``metric`` among the first k, for k = 1, 2, ..."""
    best_signal, best_report, out = -np.inf, np.nan, []
    for metrics in evaluated:
        if metrics[metric] > best_signal:
            best_signal, best_report = metrics[metric], metrics[report]
        out.append(best_report)
    return out


def nasbench_search(name: str, seed: int, budget: int) -> list[dict]:
    """The distinct networks a nasbench strategy evaluates, in order, each with ``spent_seconds``: the
    simulated seconds the search had spent when it was told (see ``TIME_SCALE``)."""
    from nasbench.catalog import STRATEGIES
    from nasbench.evaluator import run_evaluation
    from nasbench.objective import Objective, Target
    from nasbench.session import SearchSession
    from nasbench.trial import Budget, TrialState

    space, evaluator = _worker["space"], _worker["evaluator"]
    registered, options = VARIANTS.get(name, (name, {}))
    options = {k: v.format(dataset=_worker["dataset"]) if isinstance(v, str) else v for k, v in options.items()}
    strategy = STRATEGIES.create(registered, space, seed=seed, **options)
    scale = TIME_SCALE.get(_worker["dataset"], 1.0)

    def cost(metrics: dict, wall_seconds: float) -> float:
        return scale * evaluator.cost_seconds(metrics, wall_seconds)

    session = SearchSession(strategy, Objective((Target(_worker["metric"]),)), None, budget, seed, cost=cost)
    spent = {}
    # after MAX_CONSECUTIVE_DUPLICATES repeats in a row the session ends the search with what it has
    while not session.done():
        started = time.process_time()
        trial = session.next_trial()  # the strategy's asks until a new network, repeats included
        _worker["ask_seconds"].append(time.process_time() - started)
        if trial is None:
            break
        session.finish(trial, run_evaluation(evaluator, trial.arch, Budget(), seed=session.evaluation_seed(trial)))
        spent[trial.number] = session.spent_seconds()
    rows = sorted(session.records.values(), key=lambda r: r.told_at)
    done = [r for r in rows if r.duplicate_of is None and r.state is TrialState.COMPLETE]
    return [{**r.metrics, "spent_seconds": spent[r.number]} for r in done]


def optuna_peer(seed: int, budget: int) -> list[dict]:
    """Optuna's TPESampler with its defaults, driven by Optuna's own ask/tell loop."""
    import optuna

    from nasbench.strategies.optuna_base import quiet_optuna
    from nasbench.trial import Budget

    space, evaluator = _worker["space"], _worker["evaluator"]
    with quiet_optuna():
        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    seen: dict[str, dict] = {}
    evaluated, repeats, pending, spent = [], 0, [], 0.0
    while len(evaluated) < budget and repeats < MAX_REPEATS:
        started = time.process_time()
        trial = study.ask()
        arch = space.from_decisions(
            [trial.suggest_categorical(f"d{i}", list(range(n))) for i, n in enumerate(space.decision_sizes())]
        )
        if arch.hash_key not in seen:
            _worker["ask_seconds"].append(time.process_time() - started + sum(pending))
            pending.clear()
            seen[arch.hash_key] = evaluator(arch, Budget(), seed=seed)
            spent += TIME_SCALE.get(_worker["dataset"], 1.0) * evaluator.cost_seconds(seen[arch.hash_key], 0.0)
            evaluated.append({**seen[arch.hash_key], "spent_seconds": spent})
            repeats = 0
        else:
            pending.append(time.process_time() - started)  # a repeat: part of the next new network's cost
            repeats += 1
        study.tell(trial, seen[arch.hash_key][_worker["metric"]])
    return evaluated


def over_time(evaluated: list[dict], curve: list[float], grid: np.ndarray) -> list[float]:
    """The best-so-far score once each of ``grid``'s seconds were spent (NaN before the first network ends)."""
    ends = np.array([e["spent_seconds"] for e in evaluated])
    told = np.searchsorted(ends, grid, side="right")  # networks told by then
    return [curve[n - 1] if n else np.nan for n in told]


def run_one(task: tuple[str, int, int, tuple]) -> tuple:
    """One search: its curve over queries and over ``grid`` seconds, CPU seconds, whether it got stuck, and
    the CPU seconds of each new network's asks."""
    name, seed, budget, grid = task
    _worker["ask_seconds"] = []
    start = time.process_time()
    evaluated = optuna_peer(seed, budget) if name == PEER else nasbench_search(name, seed, budget)
    curve = best_so_far(evaluated, _worker["metric"], _worker["report"])
    timed = over_time(evaluated, curve, np.asarray(grid))
    stuck = len(curve) < budget  # it keeps its best network for the queries it could not make
    curve += curve[-1:] * (budget - len(curve))
    return name, seed, curve, timed, time.process_time() - start, stuck, _worker["ask_seconds"]


def plot_regret(curves: pd.DataFrame, optimum: float, title: str, path: Path, x: str = "queries") -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), dpi=120)
    axes = figure.add_subplot()
    for name, group in curves.groupby("strategy", sort=False):
        regret = optimum - group["mean"]
        axes.plot(group.queries, regret, label=name)
        axes.fill_between(group.queries, regret - group["sem"], regret + group["sem"], alpha=0.2)
    axes.set_yscale("log")
    axes.set_xlabel("queries (distinct networks evaluated)" if x == "queries" else x)
    if x != "queries":
        axes.set_xscale("log")
    axes.set_ylabel(f"regret: {optimum:.3f} - test accuracy (%)")
    axes.set_title(title, fontsize=9)
    axes.grid(alpha=0.3, which="both")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)


def _setting(args, parser) -> tuple[Setting, str, str]:
    """The space, evaluator and metrics to search, the stem of the output files and the signal's name."""
    from nasbench.catalog import EVALUATORS, SPACES
    from nasbench.options import parse_options

    nb201 = args.space == "nb201" and args.evaluator == "tabular" and not args.evaluator_option
    space_options = parse_options(SPACES.get(args.space), args.space_option, f"space '{args.space}'")
    if nb201:
        signals = COLUMNS[args.dataset]
        signal = args.signal or next(iter(signals))
        if signal not in signals:
            parser.error(f"--signal for {args.dataset} is one of {', '.join(signals)}")
        options = {"path": args.data, "columns": signals[signal]}
        stem = f"nb201_{args.dataset}" + ("" if signal == next(iter(signals)) else f"_{signal}")
        metric, report = "valid_accuracy", "test_accuracy"
    else:
        factory = EVALUATORS.get(args.evaluator)
        options = parse_options(factory, args.evaluator_option, f"evaluator '{args.evaluator}'")
        stem, signal = args.name or f"{args.space}_{args.evaluator}", args.metric
        metric, report = args.metric, args.report or args.metric
    dataset = args.dataset if nb201 else ""
    return Setting(args.space, space_options, args.evaluator, options, metric, report, dataset), stem, signal


def _optimum(setting: Setting) -> float | None:
    """The best reported value in a look-up table (where regret has a meaning), else None."""
    if setting.evaluator != "tabular":
        return None
    from nasbench.catalog import EVALUATORS
    from nasbench.evaluators.tabular import load_table

    evaluator = EVALUATORS.create("tabular", None, **setting.evaluator_options)
    column = evaluator.columns[setting.report]
    return max(row[setting.report] for row in load_table(evaluator.path, {setting.report: column}).values())


def _kept(path: Path, replaced: list[str]) -> pd.DataFrame:
    """The rows of an earlier table at ``path`` for strategies other than ``replaced``."""
    if not path.exists():
        raise SystemExit(f"error: --add needs the earlier table {path}")
    earlier = pd.read_csv(path)
    return earlier[~earlier.strategy.isin(replaced)]


def plot_scores(curves: pd.DataFrame, report: str, title: str, path: Path) -> None:
    """The best-so-far score itself, where the best in the space is unknown."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), dpi=120)
    axes = figure.add_subplot()
    for name, group in curves.groupby("strategy", sort=False):
        axes.plot(group.queries, group["mean"], label=name)
        axes.fill_between(group.queries, group["mean"] - group["sem"], group["mean"] + group["sem"], alpha=0.2)
    axes.set_xlabel("queries (distinct networks evaluated)")
    axes.set_ylabel(report)
    axes.set_title(title, fontsize=9)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/nb201", help="folder of the NAS-Bench-201 tables")
    parser.add_argument("--dataset", choices=sorted(COLUMNS), default="cifar10")
    parser.add_argument("--signal", default=None, help="cifar10: valid; cifar100/imagenet16: oneseed (default) or 12ep")
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--budgets", type=int, nargs="+", default=[10, 25, 50, 100, 200])
    parser.add_argument("--strategies", nargs="+", default=["random", "evo", "rl", "tpe", "bo", "bo-zc", PEER])
    parser.add_argument(
        "--time-budgets", type=float, nargs="+", default=None, help="seconds of the time table (default: TIME_BUDGETS)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--out", default="benchmarks/results", help="folder for the per-seed table, the curves and the plot"
    )
    parser.add_argument(
        "--add",
        action="store_true",
        help="add these strategies to the tables already in --out (their earlier rows are replaced, "
        "other strategies' rows kept), e.g. a new strategy without running the others again",
    )
    own = parser.add_argument_group("another space or evaluator (instead of --data, --dataset, --signal)")
    own.add_argument("--space", default="nb201", help="a registered search space (default: nb201)")
    own.add_argument("-S", "--space-option", action="append", default=[], metavar="KEY=VALUE")
    own.add_argument("--evaluator", default="tabular", help="a registered evaluator (default: tabular)")
    own.add_argument("-E", "--evaluator-option", action="append", default=[], metavar="KEY=VALUE")
    own.add_argument("--metric", default="valid_accuracy", help="the metric searched on (default: valid_accuracy)")
    own.add_argument("--report", default=None, help="the metric scored (default: the searched metric)")
    own.add_argument("--name", default=None, help="stem of the output files (default: SPACE_EVALUATOR)")
    args = parser.parse_args(argv)

    from nasbench.errors import NasbenchError

    try:
        setting, stem, signal = _setting(args, parser)
        _init_worker(setting)  # bad options fail here, in one line, before any worker starts
    except NasbenchError as exc:
        parser.exit(2, f"error: {exc}\n")
    from nasbench.space import DecisionSequence

    if PEER in args.strategies and not isinstance(_worker["space"], DecisionSequence):
        parser.error(f"the peer '{PEER}' needs a space with the DecisionSequence capability; leave it out")
    missing = {setting.metric, setting.report} - set(_worker["evaluator"].metric_names())
    if missing:
        parser.error(f"the evaluator reports no {', '.join(sorted(missing))}: use --metric / --report")
    horizon = max(args.budgets)
    time_budgets = tuple(args.time_budgets or TIME_BUDGETS.get(setting.dataset, (1e3, 1e4, 1e5)))
    grid = tuple(sorted({*np.geomspace(max(time_budgets) / 100, max(time_budgets), 100).round(), *time_budgets}))
    tasks = [(name, seed, horizon, grid) for name in args.strategies for seed in range(args.seeds)]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.jobs, initializer=_init_worker, initargs=(setting,)) as pool:
        results = list(pool.map(run_one, tasks, chunksize=1))
    print(f"{len(tasks)} searches in {time.perf_counter() - started:.0f} s with {args.jobs} worker(s)")

    optimum = _optimum(setting)
    rows, curve_rows, time_rows, seconds, stuck, asks = [], [], [], {}, {}, {}
    for name, seed, curve, timed, cpu, stalled, ask_seconds in results:
        time_rows += [{"strategy": name, "seed": seed, "seconds": t, "test_accuracy": v} for t, v in zip(grid, timed)]
        seconds.setdefault(name, []).append(cpu)
        stuck[name] = stuck.get(name, 0) + stalled
        asks.setdefault(name, []).extend(ask_seconds)
        rows += [{"strategy": name, "seed": seed, "queries": k, "test_accuracy": curve[k - 1]} for k in args.budgets]
        curve_rows += [
            {"strategy": name, "seed": seed, "queries": k + 1, "test_accuracy": v} for k, v in enumerate(curve)
        ]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows)  # the column keeps its name, test_accuracy, whatever is reported
    curves = (
        pd.DataFrame(curve_rows)
        .groupby(["strategy", "queries"], sort=False)
        .test_accuracy.agg(["mean", "sem"])
        .reset_index()
    )
    if args.add:  # the other strategies' rows of an earlier run stay; these strategies' rows are replaced
        frame = pd.concat([_kept(out / f"{stem}_strategies.csv", args.strategies), frame], ignore_index=True)
        curves = pd.concat([_kept(out / f"{stem}_curves.csv", args.strategies), curves], ignore_index=True)
    frame.to_csv(out / f"{stem}_strategies.csv", index=False)
    curves.to_csv(out / f"{stem}_curves.csv", index=False)
    timed = pd.DataFrame(time_rows)
    time_curves = timed.groupby(["strategy", "seconds"], sort=False).test_accuracy.agg(["mean", "sem"]).reset_index()
    if args.add:
        time_curves = pd.concat(
            [_kept(out / f"{stem}_time_curves.csv", args.strategies), time_curves], ignore_index=True
        )
    time_curves.to_csv(out / f"{stem}_time_curves.csv", index=False)
    where = f"NAS-Bench-201 {args.dataset}" if stem.startswith("nb201_") else f"{setting.space}, {setting.evaluator}"
    seeds = frame.groupby("strategy").seed.nunique()
    counts = f"{seeds.max()} seeds" if seeds.min() == seeds.max() else f"{seeds.min()}-{seeds.max()} seeds"
    title = f"{where} (signal: {signal}), mean ± s.e.m. over {counts}"
    plot = out / f"{stem}_regret.png" if optimum is not None else out / f"{stem}_scores.png"
    if optimum is not None:
        plot_regret(curves, optimum, title, plot)
        time_plot = out / f"{stem}_time_regret.png"
        plot_regret(time_curves.rename(columns={"seconds": "queries"}), optimum, title, time_plot, "simulated seconds")
    else:
        plot_scores(curves, setting.report, title, plot)

    summary = frame.groupby(["strategy", "queries"]).test_accuracy.agg(["mean", "sem", "count"])
    best = "" if optimum is None else f"; best in the space {optimum:.3f}"
    print(f"\n{stem}: {setting.report} of the best-by-{signal} network, mean ± s.e.m. over seeds{best}")
    print(
        "| strategy | "
        + " | ".join(f"K = {k}" for k in args.budgets)
        + f" | seeds | stuck | CPU s per search (K = {horizon}) | CPU ms per new network, median |"
    )
    print("|---" * (len(args.budgets) + 5) + "|")
    for name in args.strategies:
        cells = [f"{summary.loc[(name, k), 'mean']:.2f} ± {summary.loc[(name, k), 'sem']:.2f}" for k in args.budgets]
        count = int(summary.loc[(name, args.budgets[0]), "count"])
        print(
            f"| {name} | "
            + " | ".join(cells)
            + f" | {count} | {stuck[name]} | {np.mean(seconds[name]):.2f} | {1000 * np.median(asks[name]):.1f} |"
        )
    at = timed[timed.seconds.isin(time_budgets)].groupby(["strategy", "seconds"]).test_accuracy
    table = at.agg(["mean", "sem"])
    print(f"\n{stem}: {setting.report} of the best-by-{signal} network within simulated seconds, mean ± s.e.m.")
    print("| strategy | " + " | ".join(f"{t:,.0f} s" for t in time_budgets) + " |")
    print("|---" * (len(time_budgets) + 1) + "|")
    for name in args.strategies:
        cells = [f"{table.loc[(name, t), 'mean']:.2f} ± {table.loc[(name, t), 'sem']:.2f}" for t in time_budgets]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\nwrote {out / (stem + '_strategies.csv')}, {out / (stem + '_curves.csv')}, {plot} and the time curves")


if __name__ == "__main__":
    main()
