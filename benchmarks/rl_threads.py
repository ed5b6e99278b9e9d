"""REINFORCE's controller on one CPU thread against torch's default, side by side.

    python benchmarks/rl_threads.py --budget 100 --repeats 3

One search each way (``Reinforce(threads=1)`` and ``threads=None``, torch's default count) on the
bundled NAS-Bench-201 table, alternated; both propose the same trials. Wall time and this
process's CPU time per search, medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from nasbench.backends.local import evaluate_in_process
from nasbench.evaluators.tabular import TabularEvaluator
from nasbench.objective import Objective
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.session import SearchSession
from nasbench.strategies import Reinforce


def search(table: TabularEvaluator, budget: int, threads: int | None) -> list[str]:
    session = SearchSession(Reinforce(NB201Space(), seed=0, threads=threads), Objective(), None, budget, 0)
    evaluate_in_process(session, table)
    return [r.arch for r in session.records.values()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    table = TabularEvaluator(NB201Space(), "nb201")
    settings = {"one thread": 1, f"torch's default ({torch.get_num_threads()})": None}
    wall: dict[str, list[float]] = {name: [] for name in settings}
    cpu: dict[str, list[float]] = {name: [] for name in settings}
    trials = {}
    load = os.getloadavg()[0]
    for _ in range(args.repeats):
        for name, threads in settings.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            trials[name] = search(table, args.budget, threads)
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    assert len({tuple(t) for t in trials.values()}) == 1, "the thread count must not change the trials"
    load = (load + os.getloadavg()[0]) / 2
    print(f"rl, budget {args.budget}, seed 0, {args.repeats} alternated runs; load average {load:.1f}")
    for name in settings:
        print(f"{name:>24}: wall {statistics.median(wall[name]):.2f} s, cpu {statistics.median(cpu[name]):.2f} s")


if __name__ == "__main__":
    main()
