"""NASNet benchmarks: published sizes of the NASNet-A networks, and the cost of training candidates.

    python benchmarks/nasnet.py presets            # parameters and multiply-adds vs the paper
    python benchmarks/nasnet.py threads --repeats 3  # one candidate's evaluation, 1 CPU thread vs torch's default

The second compares, side by side (alternating runs), the evaluator's default of one intra-op thread
per candidate with torch's default thread count, on the default search's digits network.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from nasbench.costs.counting import count_macs, count_params
from nasbench.evaluators.training import TrainingEvaluator
from nasbench.search_spaces.nasnet import NASNET_A, NETWORKS, NASNetSpace
from nasbench.space import DataSpec
from nasbench.trial import Budget

#: Zoph et al. 2018 (REFERENCE.md): parameters and multiply-adds (None: not published)
PAPER = {"cifar": (3.3e6, None), "mobile": (5.3e6, 564e6), "large": (88.9e6, 23.8e9)}


def presets(with_large_macs: bool, names: list[str]) -> None:
    print(
        f"{'network':8s} {'N @ F':>9s} {'params':>12s} {'paper':>7s} "
        f"{'MACs (fvcore)':>15s} {'paper':>7s} {'seconds':>8s}"
    )
    for name in names:
        preset = NETWORKS[name]
        space = NASNetSpace(preset=name)
        size = preset.image_size
        model = space.build(NASNET_A, DataSpec(3, size, size, preset.num_classes))
        start = time.perf_counter()
        macs = count_macs(model, (3, size, size)) if name != "large" or with_large_macs else None
        seconds = time.perf_counter() - start
        paper_params, paper_macs = PAPER[name]
        print(
            f"{name:8s} {space.paper_name(NASNET_A):>9s} {count_params(model):>12,d} {paper_params / 1e6:>6.1f}M "
            f"{'-' if macs is None else f'{macs:,d}':>15s} "
            f"{'-' if paper_macs is None else f'{paper_macs / 1e6:,.0f}M':>7s} {seconds:8.1f}"
        )


def threads(repeats: int, epochs: int) -> None:
    default = torch.get_num_threads()
    space = NASNetSpace()
    arch = space.sample(np.random.default_rng(0))
    evaluators = {
        1: TrainingEvaluator(space, epochs=epochs, cpu_threads=1),
        default: TrainingEvaluator(space, epochs=epochs, cpu_threads=default),
    }
    times: dict[int, list[float]] = {1: [], default: []}
    for _ in range(repeats):
        for count, evaluator in evaluators.items():
            start = time.perf_counter()
            evaluator(arch, Budget(), seed=0)
            times[count].append(time.perf_counter() - start)
    for count, values in times.items():
        print(
            f"cpu_threads={count}: median {np.median(values):.2f} s per candidate ({epochs} epochs), "
            f"runs {', '.join(f'{v:.2f}' for v in values)}"
        )
    ratios = [b / a for a, b in zip(times[1], times[default])]
    print(f"torch's default ({default} threads) / one thread: median {np.median(ratios):.2f}x (pairwise)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("presets")
    p.add_argument(
        "--large-macs", action="store_true", help="also count NASNet-A Large's multiply-adds (about a minute)"
    )
    p.add_argument("--networks", nargs="+", choices=list(NETWORKS), default=list(NETWORKS))
    p = sub.add_parser("threads")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    if args.what == "presets":
        presets(args.large_macs, args.networks)
    else:
        threads(args.repeats, args.epochs)


if __name__ == "__main__":
    main()
