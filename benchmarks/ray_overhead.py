"""Ray backend overhead: 16 short training trials on Ray Tune vs an in-process pool, side by side.

Every configuration evaluates the same 16 networks (random search, seed 0) on digits with the same
training evaluator. Measured, each as the median of ``--rounds`` alternating rounds:

- Ray's start-up (``ray.init`` of an embedded local instance), on its own;
- 16 trials on Ray, 2 at a time, Ray already started (its workers start inside the measurement);
- the same 16 trials in a pool of 2 fresh processes driven by the same search session (the
  in-process loop at equal parallelism);
- 16 trials on Ray 1 at a time, and in a pool of 1 process, for the speed-up of 2 concurrent
  trials over 1 (the pool's shows what the machine itself allows).

    python benchmarks/ray_overhead.py --rounds 3
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import statistics
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

from nasbench.backends.ray import RayBackend
from nasbench.evaluator import run_evaluation
from nasbench.evaluators.training import TrainingEvaluator
from nasbench.objective import Objective
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.session import SearchSession
from nasbench.strategies import RandomSearch
from nasbench.trial import Budget

TRIALS = 16


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)  # as in a Ray worker holding one CPU


#: what Ray sets in a worker that holds one CPU, given to the pool's processes too
ONE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def evaluate_in_pool(session: SearchSession, evaluator, workers: int) -> None:
    """The in-process loop, ``workers`` candidates at a time in fresh processes."""
    context = multiprocessing.get_context("spawn")
    saved = {key: os.environ.get(key) for key in ONE_THREAD_ENV}
    os.environ.update(ONE_THREAD_ENV)  # inherited by the processes the pool spawns
    try:
        _drive_pool(session, evaluator, workers, context)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key)
            else:
                os.environ[key] = value


def _drive_pool(session: SearchSession, evaluator, workers: int, context) -> None:
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_one_thread) as pool:
        running = {}
        while not session.done():
            while len(running) < workers:
                trial = session.next_trial()
                if trial is None:
                    break
                future = pool.submit(
                    run_evaluation, evaluator, trial.arch, Budget(), seed=session.evaluation_seed(trial)
                )
                running[future] = trial
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                session.finish(running.pop(future), future.result())


def session(trials: int = TRIALS) -> SearchSession:
    return SearchSession(RandomSearch(NB201Space(filters=8, cells=1), seed=0), Objective(), None, trials, 0)


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def trial_seconds(session: SearchSession) -> float:
    """Median time of one evaluation, as measured where it ran (contention shows here)."""
    return statistics.median(r.wall_seconds for r in session.records.values() if r.duplicate_of is None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--epochs", type=int, default=2, help="training epochs per trial (a short trial: about a second)"
    )
    parser.add_argument("--trials", type=int, default=TRIALS, help="trials per search")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to let Ray's processes exit each round")
    parser.add_argument(
        "--no-serial", action="store_true", help="leave out the 1-at-a-time runs (and the speed-up they give)"
    )
    args = parser.parse_args()
    widths = (2,) if args.no_serial else (2, 1)
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    import ray  # here, not at the top: the pool's spawned processes import this module

    space = NB201Space(filters=8, cells=1)
    evaluator = TrainingEvaluator(space, "digits", epochs=args.epochs, device="cpu")
    times: dict[str, list[float]] = {"startup": [], **{f"{kind}{n}": [] for n in widths for kind in ("ray", "pool")}}
    per_trial: dict[str, list[float]] = {name: [] for name in times if name != "startup"}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for name, workers in ((f"pool{n}", n) for n in widths):  # first: no Ray process is running
                run = session(args.trials)
                times[name].append(timed(lambda: evaluate_in_pool(run, evaluator, workers)))
                per_trial[name].append(trial_seconds(run))
            times["startup"].append(
                timed(
                    lambda: ray.init(
                        address="local",
                        num_cpus=2,
                        include_dashboard=False,
                        log_to_driver=False,
                        logging_level=logging.ERROR,
                    )
                )
            )
            for name, concurrent in ((f"ray{n}", n) for n in widths):
                folder, backend, run = (
                    Path(tmp) / f"{name}-{round_}",
                    RayBackend(max_concurrent=concurrent),
                    session(args.trials),
                )
                times[name].append(timed(lambda: backend.run(run, space, evaluator, folder)))
                per_trial[name].append(trial_seconds(run))
            ray.shutdown()
            time.sleep(args.settle)  # Ray's processes take a few seconds to exit
            print(" ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
    load = (load + os.getloadavg()[0]) / 2
    median = {k: statistics.median(v) for k, v in times.items()}
    trial = {k: statistics.median(v) for k, v in per_trial.items()}
    print(
        f"\nmedians of {args.rounds} rounds, {args.trials} trials of {args.epochs} epochs each; "
        f"load average {load:.1f} on {os.cpu_count()} cores"
    )
    print("| measurement | wall time | one trial (median) |")
    print("|---|---|---|")
    print(f"| Ray start-up (ray.init, embedded local) | {median['startup']:.2f} s | |")
    print(f"| Ray, 2 trials at a time | {median['ray2']:.2f} s | {trial['ray2']:.2f} s |")
    print(f"| in-process pool of 2 processes | {median['pool2']:.2f} s | {trial['pool2']:.2f} s |")
    if 1 in widths:
        print(f"| Ray, 1 trial at a time | {median['ray1']:.2f} s | {trial['ray1']:.2f} s |")
        print(f"| in-process pool of 1 process | {median['pool1']:.2f} s | {trial['pool1']:.2f} s |")
    print(f"\nRay overhead once started: {100 * (median['ray2'] / median['pool2'] - 1):+.1f} %")
    if 1 in widths:
        print(
            f"speed-up of 2 concurrent trials over 1: Ray {median['ray1'] / median['ray2']:.2f}x, "
            f"pool {median['pool1'] / median['pool2']:.2f}x"
        )


if __name__ == "__main__":
    main()
