"""NAS-Bench-201 strategy benchmark: the standard protocol, every strategy side by side.

Search on cifar10-valid validation accuracy; report the CIFAR-10 test accuracy of the architecture
with the best validation accuracy among the first K evaluated networks, averaged over seeds.

    python benchmarks/nb201_strategies.py --data ../shared/data/nb201 --seeds 300
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from nasbench.catalog import STRATEGIES
from nasbench.local_backend import evaluate_in_process
from nasbench.objective import Objective
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.session import SearchSession
from nasbench.tabular import NB201_COLUMNS, TabularEvaluator
from nasbench.trial import TrialState


def trajectory(strategy_name: str, evaluator, space, seed: int, budget: int, options: dict) -> pd.DataFrame:
    """Evaluated networks in order, with the test accuracy of the best-by-validation so far."""
    strategy = STRATEGIES.create(strategy_name, space, seed=seed, **options)
    session = SearchSession(strategy, Objective(), None, budget, seed)
    evaluate_in_process(session, evaluator)
    rows = [r for r in sorted(session.records.values(), key=lambda r: r.told_at) if r.duplicate_of is None]
    best_valid, best_test, out = -np.inf, np.nan, []
    for k, r in enumerate(rows, start=1):
        if r.state is TrialState.COMPLETE and r.metrics["valid_accuracy"] > best_valid:
            best_valid, best_test = r.metrics["valid_accuracy"], r.metrics["test_accuracy"]
        out.append((k, best_test))
    return pd.DataFrame(out, columns=["queries", "test_of_best_valid"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/nb201", help="folder of the NAS-Bench-201 tables")
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--budgets", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--strategies", nargs="+", default=["random", "evo"])
    parser.add_argument("--out", default="benchmarks/results/nb201_strategies.csv", help="per-seed results")
    args = parser.parse_args()

    space = NB201Space()
    evaluator = TabularEvaluator(space, args.data, NB201_COLUMNS)
    horizon = max(args.budgets)
    rows = []
    for name in args.strategies:
        start = time.perf_counter()
        for seed in range(args.seeds):
            curve = trajectory(name, evaluator, space, seed, horizon, {})
            for k in args.budgets:
                rows.append({"strategy": name, "seed": seed, "queries": k, "test_accuracy": curve.test_of_best_valid.iloc[k - 1]})
        print(f"{name}: {args.seeds} seeds in {time.perf_counter() - start:.1f} s", flush=True)
    frame = pd.DataFrame(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    summary = frame.groupby(["strategy", "queries"]).test_accuracy.agg(["mean", "sem", "count"]).reset_index()
    table = summary.pivot(index="strategy", columns="queries", values="mean").reindex(args.strategies)
    sem = summary.pivot(index="strategy", columns="queries", values="sem").reindex(args.strategies)
    print(f"\nCIFAR-10 test accuracy of the best-by-validation architecture, mean ± s.e.m. over {args.seeds} seeds")
    print("| strategy | " + " | ".join(f"K = {k}" for k in args.budgets) + " |")
    print("|---" * (len(args.budgets) + 1) + "|")
    for name in args.strategies:
        cells = [f"{table.loc[name, k]:.2f} ± {sem.loc[name, k]:.2f}" for k in args.budgets]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
