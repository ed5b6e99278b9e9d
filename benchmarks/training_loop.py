"""The training loop against a bare PyTorch loop, side by side.

    python benchmarks/training_loop.py --repeats 3 --epochs 4

Both train the default search's NASNet candidate (``NASNetSpace().sample(default_rng(0))``) on
the digits with one CPU thread: the same initial weights, batches, SGD with Nesterov momentum,
cosine schedule and validation after every epoch. nasbench's loop adds what a bare loop lacks:
gradient clipping, the divergence check, batch-norm statistics re-estimated before each
validation, the per-epoch report and its metrics. A third column trains without the batch-norm
re-estimation (``bn_batches=0``), to show what that feature costs. Runs alternate (bare, nasbench, bare, ...) so
both see the same machine load; the ratio is the median of the pairwise ratios, of wall time and
of this process's CPU time (with one thread, the work done, whatever else the machine runs).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F

from nasbench.search_spaces.nasnet import NASNetSpace
from nasbench.training.data import load_data
from nasbench.training.devices import torch_threads
from nasbench.training.trainer import TrainConfig, evaluate, train


def candidate(seed: int = 0) -> torch.nn.Module:
    space = NASNetSpace()
    arch = space.sample(np.random.default_rng(0))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return space.build(arch, load_data("digits").spec)


def bare_loop(model: torch.nn.Module, config: TrainConfig, seed: int) -> float:
    """The loop a PyTorch tutorial writes; returns the last validation accuracy."""
    data = load_data("digits")
    generator = torch.Generator().manual_seed(seed)
    images, labels = data.train.images, data.train.labels
    n = len(labels)
    steps = math.ceil(n / config.batch_size)
    optimizer = torch.optim.SGD(
        model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay, nesterov=True
    )
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs * steps)
    accuracy = 0.0
    for _ in range(config.epochs):
        model.train()
        order = torch.randperm(n, generator=generator)
        for step in range(steps):
            idx = order[step * config.batch_size : (step + 1) * config.batch_size]
            loss = F.cross_entropy(model(images[idx]), labels[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        accuracy = evaluate(model, data.valid, torch.device("cpu"))[0]
    return accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    config = TrainConfig(epochs=args.epochs, device="cpu", cpu_threads=1)
    data = load_data("digits")
    no_bn = replace(config, bn_batches=0)
    runs = {
        "bare": lambda: bare_loop(candidate(), config, seed=0),
        "nasbench": lambda: train(candidate(), data, config, seed=0)["valid_accuracy"],
        "nasbench, bn_batches=0": lambda: train(candidate(), data, no_bn, seed=0)["valid_accuracy"],
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    load = os.getloadavg()[0]
    with torch_threads(1):
        for _ in range(args.repeats):
            for name, run in runs.items():
                start, start_cpu = time.perf_counter(), time.process_time()
                run()
                times[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
    load = (load + os.getloadavg()[0]) / 2
    print(f"{args.epochs} epochs on digits, one thread, {args.repeats} alternated runs; load average {load:.1f}")
    for what, measured in (("wall", times), ("cpu", cpu)):
        for name, values in measured.items():
            listed = ", ".join(f"{v:.2f}" for v in values)
            print(f"{what:>4} {name:>22}: median {statistics.median(values):.2f} s  runs {listed}")
        for name in list(runs)[1:]:
            ratios = [b / a for a, b in zip(measured["bare"], measured[name])]
            print(f"{what:>4} {name} / bare: {statistics.median(ratios):.3f}x (median of pairwise ratios)")


if __name__ == "__main__":
    main()
