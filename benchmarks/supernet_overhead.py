"""Slicing overhead of the supernets: a child run through ``supernet(x, child)`` against the same child built
standalone.

For the largest and the smallest child of each supernet, the standalone network is ``extract``'s
(the child space's own network with the sliced weights); both run in eval mode without gradients
on the same batch. Timings alternate between the two in one process (ABBA); each is the median of
``--repeats`` forward passes after ``--warmup`` passes.

    python benchmarks/supernet_overhead.py --repeats 20 --threads 1
    python benchmarks/supernet_overhead.py --cases vit-digits --repeats 2 --warmup 1 --batch 2   # smoke
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from nasbench.search_spaces.mbconv_supernet import MBConvSupernetSpace
from nasbench.search_spaces.vit_supernet import ViTSupernetSpace
from nasbench.space import DataSpec

#: name -> (supernet space, data)
CASES = {
    "mbconv-tiny-32": (lambda: MBConvSupernetSpace(base="tiny"), DataSpec(3, 32, 32, 10)),
    "mbconv-b0-224": (lambda: MBConvSupernetSpace(base="efficientnet-b0", divisor=8), DataSpec(3, 224, 224, 1000)),
    "vit-digits": (lambda: ViTSupernetSpace("digits"), DataSpec(1, 8, 8, 10)),
    "vit-cifar": (lambda: ViTSupernetSpace("cifar"), DataSpec(3, 32, 32, 10)),
    "autoformer-tiny-224": (lambda: ViTSupernetSpace("autoformer-tiny"), DataSpec(3, 224, 224, 1000)),
}


@torch.no_grad()
def side_by_side(run_a, run_b, x, repeats: int, warmup: int) -> tuple[float, float]:
    """Median seconds of ``run_a(x)`` and ``run_b(x)``, alternating which goes first (ABBA), so neither
    always runs on the other's leftovers (cache, allocator)."""
    for _ in range(warmup):
        run_a(x)
        run_b(x)
    times_a, times_b = [], []
    for i in range(repeats):
        pairs = ((run_a, times_a), (run_b, times_b))
        for run, times in pairs if i % 2 == 0 else pairs[::-1]:
            start = time.perf_counter()
            run(x)
            times.append(time.perf_counter() - start)
    return statistics.median(times_a), statistics.median(times_b)


def measure(name: str, batch: int, repeats: int, warmup: int, device: str) -> list[str]:
    make_space, data = CASES[name]
    space = make_space()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        supernet = space.build_supernet(data).eval().to(device)
    x = torch.randn(batch, data.channels, data.height, data.width, generator=torch.Generator().manual_seed(0))
    x = x.to(device)
    rows = []
    for which, child in (("largest", space.largest()), ("smallest", space.smallest())):
        standalone = space.extract(supernet, child, data).eval().to(device)
        sliced, alone = side_by_side(lambda v: supernet(v, child), standalone, x, repeats, warmup)
        rows.append(
            f"| {name} | {which} | {sliced * 1e3:.2f} ms | {alone * 1e3:.2f} ms | {(sliced / alone - 1) * 100:+.1f} % |"
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}, batch {args.batch}")
    print("| supernet | child | supernet(x, child) | standalone | overhead |")
    print("|---|---|---|---|---|")
    for name in args.cases:
        for row in measure(name, args.batch, args.repeats, args.warmup, args.device):
            print(row, flush=True)


if __name__ == "__main__":
    main()
