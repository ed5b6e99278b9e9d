"""BigNAS on digits: sandwich-train an mbconv supernet, then check what its weights are worth.

Measured in one run:

- accuracy: validation accuracy of the largest and the smallest child after ``--epochs`` of sandwich
  training (Ray Train, one worker);
- rank agreement: for ``--children`` random children, Kendall tau between the accuracy inherited
  from the supernet (after batch-norm recalibration) and the accuracy of the same child trained alone
  for the same number of epochs;
- one-shot search: regularised evolution over ``--search-budget`` children scored with the supernet's
  weights; the best child's inherited accuracy against its accuracy trained alone;
- step time: one sandwich step (largest, smallest, 2 random children) against one step of the
  largest child alone, same batch, one thread, median of ``--rounds``;
- data parallelism: an epoch of sandwich training with 2 Ray Train workers against 1 (same global
  batch), and the machine's ceiling measured the same way as the Ray benchmark: the same steps in 1
  plain process against 2 plain processes each taking half of every batch, side by side, no Ray.

    python benchmarks/supernet.py --epochs 8 --children 12 --search-budget 40 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def _steps(batch_size: int, steps: int, shard: int, shards: int) -> float:
    """Seconds for ``steps`` sandwich steps on shard ``shard`` of ``shards`` of each global batch."""
    import torch

    from nasbench.search_spaces.mbconv_supernet import MBConvSupernetSpace
    from nasbench.supernet_training.sandwich import sandwich_step, step_children
    from nasbench.supernet_training.worker import build_supernet
    from nasbench.training.data import load_data

    torch.set_num_threads(1)
    space, data = MBConvSupernetSpace(), load_data("digits")
    supernet = build_supernet(space, data, 0).train()
    optimizer = torch.optim.SGD(supernet.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    size = batch_size // shards
    start = time.perf_counter()
    for step in range(steps):
        x = data.train.images[step * batch_size :][shard * size : (shard + 1) * size]
        y = data.train.labels[step * batch_size :][shard * size : (shard + 1) * size]
        optimizer.zero_grad()
        sandwich_step(supernet, step_children(space, rng, 2), x, y, 0.1)
        optimizer.step()
    return time.perf_counter() - start


def step_times(rounds: int, batch_size: int) -> dict:
    """Median seconds of a sandwich step and of a step of the largest child alone, alternating."""
    import torch
    import torch.nn.functional as F

    from nasbench.search_spaces.mbconv_supernet import MBConvSupernetSpace
    from nasbench.supernet_training.sandwich import sandwich_step, step_children
    from nasbench.supernet_training.worker import build_supernet
    from nasbench.training.data import load_data

    torch.set_num_threads(1)
    space, data = MBConvSupernetSpace(), load_data("digits")
    supernet = build_supernet(space, data, 0).train()
    largest = space.largest()
    rng = np.random.default_rng(0)
    x, y = data.train.images[:batch_size], data.train.labels[:batch_size]
    sandwich, alone = [], []
    for _ in range(rounds + 1):  # the first round warms up
        start = time.perf_counter()
        supernet.zero_grad()
        sandwich_step(supernet, step_children(space, rng, 2), x, y, 0.1)
        sandwich.append(time.perf_counter() - start)
        start = time.perf_counter()
        supernet.zero_grad()
        F.cross_entropy(supernet(x, largest), y).backward()
        alone.append(time.perf_counter() - start)
    s, a = statistics.median(sandwich[1:]), statistics.median(alone[1:])
    return {"sandwich_step_s": s, "largest_step_s": a, "ratio": s / a}


def ceiling(batch_size: int, steps: int) -> float:
    """Speed-up of 2 plain processes (half of every batch each) over 1, without Ray or communication."""
    context = multiprocessing.get_context("spawn")
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=context, initializer=_one_thread) as pool:
        one = pool.submit(_steps, batch_size, steps, 0, 1).result()
    with ProcessPoolExecutor(2, mp_context=context, initializer=_one_thread) as pool:
        futures = [pool.submit(_steps, batch_size, steps, shard, 2) for shard in range(2)]
        two = max(f.result() for f in futures)
    return one / two


def kendall_tau(a, b) -> float:
    from scipy.stats import kendalltau

    return float(kendalltau(a, b).statistic)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--children", type=int, default=12)
    parser.add_argument("--search-budget", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the step-time comparison (0: skip)")
    parser.add_argument(
        "--alone-seeds", type=int, default=1, help="training seeds averaged for each child trained alone"
    )
    parser.add_argument(
        "-O", "--space-option", action="append", default=[], metavar="KEY=VALUE", help="mbconv-supernet options"
    )
    parser.add_argument("--ddp-epochs", type=int, default=1, help="epochs of the 1- and 2-worker runs (0: skip)")
    parser.add_argument(
        "--supernet", default=None, help="a trained run (nasbench supernet train): skip training and --ddp-epochs"
    )
    parser.add_argument("--out", default=None, help="folder for the runs (default: a temporary one)")
    args = parser.parse_args(argv)
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    with tempfile.TemporaryDirectory() as tmp:
        return _measure(args, Path(args.out or tmp))


def _accuracies(run: Path) -> dict:
    import pandas as pd

    from nasbench.storage.run_folder import EPOCHS

    last = pd.read_csv(run / EPOCHS).iloc[-1]
    return {
        "largest_accuracy": float(last["valid_accuracy_largest"]),
        "smallest_accuracy": float(last["valid_accuracy_smallest"]),
    }


def _train(args, space, options: dict, run: Path, root: Path, report: dict) -> None:
    """Sandwich-train the supernet, then (with ``--ddp-epochs``) time 1 and 2 data-parallel workers."""
    import pandas as pd

    from nasbench.storage.run_folder import EPOCHS
    from nasbench.supernet_training.config import SupernetConfig
    from nasbench.supernet_training.execution import Execution
    from nasbench.supernet_training.run import train_supernet

    started = time.perf_counter()
    config = SupernetConfig(space=space.name, space_options=options, epochs=args.epochs)
    train_supernet(space, config, run, quiet=True)
    report["train_seconds"] = time.perf_counter() - started
    report.update(_accuracies(run))
    print(json.dumps(report), file=sys.stderr)
    if args.ddp_epochs:
        seconds = {}
        for workers in (1, 2):
            folder = root / f"ddp-{workers}"
            config = SupernetConfig(space=space.name, space_options=options, epochs=args.ddp_epochs, seed=1)
            train_supernet(space, config, folder, Execution(workers=workers), quiet=True)
            table = pd.read_csv(folder / EPOCHS)
            seconds[workers] = float(table["seconds"].sum())
            report[f"ddp_{workers}_loss"] = [round(v, 4) for v in table["loss_largest"]]
        report["ddp_speedup"] = seconds[1] / seconds[2]
        report["ddp_epoch_seconds"] = seconds


def _measure(args, root: Path) -> dict:
    from nasbench.backends.ray.cluster import ray_connection
    from nasbench.config import SearchConfig
    from nasbench.evaluators.supernet import SupernetEvaluator
    from nasbench.evaluators.training import TrainingEvaluator
    from nasbench.options import parse_options
    from nasbench.search import start
    from nasbench.search_spaces.mbconv_supernet import MBConvSupernetSpace
    from nasbench.storage.run_folder import EPOCHS
    from nasbench.supernet_training.config import read_supernet_config
    from nasbench.trial import Budget

    if args.supernet:  # a trained run: its space, options and epochs
        run = Path(args.supernet)
        trained = read_supernet_config(run)
        options, epochs = trained.space_options, trained.epochs
    else:
        run, epochs = root / "supernet", args.epochs
        options = parse_options(MBConvSupernetSpace, args.space_option, "mbconv-supernet")
    report: dict = {"epochs": epochs, "space_options": options, "alone_seeds": args.alone_seeds}
    space = MBConvSupernetSpace(**options)
    if not args.supernet:
        with ray_connection(None, root):  # one Ray for the training and the two DDP runs
            _train(args, space, options, run, root, report)
    elif (run / EPOCHS).exists():
        report.update(_accuracies(run))
    evaluator = SupernetEvaluator(space, str(run), device="cpu", cpu_threads=1)
    trainer = TrainingEvaluator(space.child_space(), epochs=epochs, device="cpu", cpu_threads=1)
    rng = np.random.default_rng(2020)
    children = []
    while len(children) < args.children:
        child = space.sample(rng)
        if child not in children:
            children.append(child)
    inherited, alone, inherited_loss, alone_loss = [], [], [], []
    for child in children:
        scored = evaluator(child, Budget(), seed=0)
        inherited.append(scored["valid_accuracy"])
        inherited_loss.append(scored["valid_loss"])
        # seed-averaged, so that the order of children is less the order of training noise
        trained = [trainer(child, Budget(), seed=seed) for seed in range(args.alone_seeds)]
        alone.append(statistics.fmean(m["valid_accuracy"] for m in trained))
        alone_loss.append(statistics.fmean(m["valid_loss"] for m in trained))
    report["children"] = [str(child) for child in children]
    report["children_inherited"] = inherited
    report["children_alone"] = alone
    report["kendall_tau"] = kendall_tau(inherited, alone)
    report["kendall_tau_loss"] = kendall_tau(inherited_loss, alone_loss)
    print(json.dumps(report), file=sys.stderr)
    if args.search_budget:
        config = SearchConfig(
            space=space.name,
            strategy="evo",
            evaluator="supernet",
            budget=args.search_budget,
            space_options=options,
            evaluator_options={"supernet": str(run), "device": "cpu", "cpu_threads": 1},
        )
        started = time.perf_counter()
        best = start(config, root / "search").run()
        report["search_seconds_per_child"] = (time.perf_counter() - started) / args.search_budget
        arch = space.decode(best.arch)
        report["best_child"] = best.arch
        report["best_inherited"] = best.metrics["valid_accuracy"]
        report["best_alone"] = trainer(arch, Budget(), seed=0)["valid_accuracy"]
        report["best_gap"] = report["best_inherited"] - report["best_alone"]
    if args.rounds:
        report.update(step_times(args.rounds, 64))
        report["ceiling_speedup"] = ceiling(64, max(2, args.rounds * 2))
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
