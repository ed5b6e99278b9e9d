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

    python benchmarks/nb201_strategies.py --data ../shared/data/nb201 --dataset cifar10 --seeds 100 --jobs 2
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

#: dataset -> signal -> table columns (metric name -> column)
COLUMNS = {
    "cifar10": {"valid": {"valid_accuracy": "valid-accuracy", "test_accuracy": "CIFAR10TestAccuracy200Epochs"}},
    "cifar100": {
        "oneseed": {
            "valid_accuracy": "Cifar100TestAccuracy200Epochs",
            "test_accuracy": "CIFAR100TestAccuracy200Epochs",
        },
        "12ep": {"valid_accuracy": "Cifar100TestAccuracy12Epochs", "test_accuracy": "CIFAR100TestAccuracy200Epochs"},
    },
    "imagenet16": {
        "oneseed": {
            "valid_accuracy": "ImageNet16TestAccuracy200Epochs",
            "test_accuracy": "ImageNetTestAccuracy200Epochs",
        },
        "12ep": {"valid_accuracy": "ImageNet16TestAccuracy12Epochs", "test_accuracy": "ImageNetTestAccuracy200Epochs"},
    },
}
PEER = "optuna"
MAX_REPEATS = 1000  # consecutive repeated proposals after which a search is stuck (as the session's limit)

_worker: dict = {}  # per-process state of the pool's workers: the space and the table


def _init_worker(data: str, columns: dict) -> None:
    import torch

    from nasbench.search_spaces.nb201 import NB201Space
    from nasbench.tabular import TabularEvaluator

    torch.set_num_threads(1)  # the RL controller is tiny; one process per core instead
    space = NB201Space()
    _worker.update(space=space, evaluator=TabularEvaluator(space, data, columns))


def best_so_far(evaluated: list[dict]) -> list[float]:
    """Test accuracy of the best-signal network among the first k, for k = 1, 2, ..."""
    best_valid, best_test, out = -np.inf, np.nan, []
    for metrics in evaluated:
        if metrics["valid_accuracy"] > best_valid:
            best_valid, best_test = metrics["valid_accuracy"], metrics["test_accuracy"]
        out.append(best_test)
    return out


def nasbench_search(name: str, seed: int, budget: int) -> list[dict]:
    """The distinct networks a nasbench strategy evaluates, in order."""
    from nasbench.catalog import STRATEGIES
    from nasbench.local_backend import evaluate_in_process
    from nasbench.objective import Objective
    from nasbench.session import SearchExhausted, SearchSession
    from nasbench.trial import TrialState

    space, evaluator = _worker["space"], _worker["evaluator"]
    strategy = STRATEGIES.create(name, space, seed=seed)
    session = SearchSession(strategy, Objective(), None, budget, seed)
    try:
        evaluate_in_process(session, evaluator)
    except SearchExhausted:  # MAX_REPEATS repeats in a row: the search is stuck with what it has
        pass
    rows = sorted(session.records.values(), key=lambda r: r.told_at)
    return [r.metrics for r in rows if r.duplicate_of is None and r.state is TrialState.COMPLETE]


def optuna_peer(seed: int, budget: int) -> list[dict]:
    """Optuna's TPESampler with its defaults, driven by Optuna's own ask/tell loop."""
    import optuna

    from nasbench.evaluator import Budget
    from nasbench.strategies.optuna_base import quiet_optuna

    space, evaluator = _worker["space"], _worker["evaluator"]
    with quiet_optuna():
        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    seen: dict[str, dict] = {}
    evaluated, repeats = [], 0
    while len(evaluated) < budget and repeats < MAX_REPEATS:
        trial = study.ask()
        arch = space.from_decisions(
            [trial.suggest_categorical(f"d{i}", list(range(n))) for i, n in enumerate(space.decision_sizes())]
        )
        if arch.hash_key not in seen:
            seen[arch.hash_key] = evaluator(arch, Budget(), seed=seed)
            evaluated.append(seen[arch.hash_key])
            repeats = 0
        else:
            repeats += 1
        study.tell(trial, seen[arch.hash_key]["valid_accuracy"])
    return evaluated


def run_one(task: tuple[str, int, int]) -> tuple[str, int, list[float], float, bool]:
    name, seed, budget = task
    start = time.process_time()
    evaluated = optuna_peer(seed, budget) if name == PEER else nasbench_search(name, seed, budget)
    curve = best_so_far(evaluated)
    stuck = len(curve) < budget  # it keeps its best network for the queries it could not make
    curve += curve[-1:] * (budget - len(curve))
    return name, seed, curve, time.process_time() - start, stuck


def plot_regret(curves: pd.DataFrame, optimum: float, title: str, path: Path) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), dpi=120)
    axes = figure.add_subplot()
    for name, group in curves.groupby("strategy", sort=False):
        regret = optimum - group["mean"]
        axes.plot(group.queries, regret, label=name)
        axes.fill_between(group.queries, regret - group["sem"], regret + group["sem"], alpha=0.2)
    axes.set_yscale("log")
    axes.set_xlabel("queries (distinct networks evaluated)")
    axes.set_ylabel(f"regret: {optimum:.3f} - test accuracy (%)")
    axes.set_title(title, fontsize=9)
    axes.grid(alpha=0.3, which="both")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/nb201", help="folder of the NAS-Bench-201 tables")
    parser.add_argument("--dataset", choices=sorted(COLUMNS), default="cifar10")
    parser.add_argument("--signal", default=None, help="cifar10: valid; cifar100/imagenet16: oneseed (default) or 12ep")
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--budgets", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--strategies", nargs="+", default=["random", "evo", "rl", "tpe", PEER])
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--out", default="benchmarks/results", help="folder for the per-seed table, the curves and the plot"
    )
    args = parser.parse_args()

    signals = COLUMNS[args.dataset]
    signal = args.signal or next(iter(signals))
    if signal not in signals:
        parser.error(f"--signal for {args.dataset} is one of {', '.join(signals)}")
    columns = signals[signal]
    horizon = max(args.budgets)
    tasks = [(name, seed, horizon) for name in args.strategies for seed in range(args.seeds)]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.jobs, initializer=_init_worker, initargs=(args.data, columns)) as pool:
        results = list(pool.map(run_one, tasks, chunksize=1))
    print(f"{len(tasks)} searches in {time.perf_counter() - started:.0f} s with {args.jobs} worker(s)")

    from nasbench.tabular import load_table

    optimum = max(
        row["test_accuracy"] for row in load_table(args.data, {"test_accuracy": columns["test_accuracy"]}).values()
    )
    rows, curve_rows, seconds, stuck = [], [], {}, {}
    for name, seed, curve, cpu, stalled in results:
        seconds.setdefault(name, []).append(cpu)
        stuck[name] = stuck.get(name, 0) + stalled
        rows += [{"strategy": name, "seed": seed, "queries": k, "test_accuracy": curve[k - 1]} for k in args.budgets]
        curve_rows += [
            {"strategy": name, "seed": seed, "queries": k + 1, "test_accuracy": v} for k, v in enumerate(curve)
        ]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"nb201_{args.dataset}" + ("" if signal == next(iter(signals)) else f"_{signal}")
    frame = pd.DataFrame(rows)
    frame.to_csv(out / f"{stem}_strategies.csv", index=False)
    curves = (
        pd.DataFrame(curve_rows)
        .groupby(["strategy", "queries"], sort=False)
        .test_accuracy.agg(["mean", "sem"])
        .reset_index()
    )
    curves.to_csv(out / f"{stem}_curves.csv", index=False)
    title = f"NAS-Bench-201 {args.dataset} (signal: {signal}), mean ± s.e.m. over {args.seeds} seeds"
    plot_regret(curves, optimum, title, out / f"{stem}_regret.png")

    summary = frame.groupby(["strategy", "queries"]).test_accuracy.agg(["mean", "sem", "count"])
    print(
        f"\n{args.dataset} test accuracy (%) of the best-by-{signal} architecture, mean ± s.e.m. over seeds; best in the space {optimum:.3f}"
    )
    print(
        "| strategy | "
        + " | ".join(f"K = {k}" for k in args.budgets)
        + " | seeds | stuck | CPU s per search (K = "
        + f"{horizon}) |"
    )
    print("|---" * (len(args.budgets) + 4) + "|")
    for name in args.strategies:
        cells = [f"{summary.loc[(name, k), 'mean']:.2f} ± {summary.loc[(name, k), 'sem']:.2f}" for k in args.budgets]
        count = int(summary.loc[(name, args.budgets[0]), "count"])
        print(f"| {name} | " + " | ".join(cells) + f" | {count} | {stuck[name]} | {np.mean(seconds[name]):.2f} |")
    print(f"\nwrote {out / (stem + '_strategies.csv')}, {out / (stem + '_curves.csv')}, {out / (stem + '_regret.png')}")


if __name__ == "__main__":
    main()
