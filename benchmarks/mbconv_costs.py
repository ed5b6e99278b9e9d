"""Cost-model timings: fvcore multiply-add counting of EfficientNet-B0 and B7, and B0's latency.

Counting runs the network once under the JIT tracer, so its time is that of a forward pass at the
variant's resolution plus fvcore's graph walk. Each timing is the median of ``--repeats`` runs;
one thread and torch's default thread count are measured side by side in the same process.

    python benchmarks/mbconv_costs.py --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from nasbench.costs.counting import mac_breakdown
from nasbench.costs.latency import measure_latency_ms
from nasbench.scaling import efficientnet
from nasbench.search_spaces.mbconv import build_network
from nasbench.space import DataSpec
from nasbench.training.devices import torch_threads


def build(variant: str):
    arch = efficientnet(variant)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return arch, build_network(arch, DataSpec(3, arch.resolution, arch.resolution, 1000))


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--variants", nargs="+", default=["b0", "b7"])
    args = parser.parse_args()
    default_threads = torch.get_num_threads()
    thread_counts = sorted({1, default_threads})
    print(f"torch {torch.__version__}, {default_threads} threads by default")
    print("| measurement | " + " | ".join(f"{n} thread{'s' if n > 1 else ''}" for n in thread_counts) + " |")
    print("|---" * (len(thread_counts) + 1) + "|")
    for variant in args.variants:
        arch, model = build(variant)
        shape = (3, arch.resolution, arch.resolution)
        macs = sum(mac_breakdown(model, shape).values())  # warm-up, and the number being timed
        cells = [
            f"{median_seconds(lambda: mac_breakdown(model, shape, threads=n), args.repeats):.2f} s"
            for n in thread_counts
        ]
        print(
            f"| count multiply-adds, {variant.upper()} at {arch.resolution} ({macs / 1e9:.2f} G) | "
            + " | ".join(cells)
            + " |"
        )
    arch, model = build("b0")
    cells = []
    for n in thread_counts:
        with torch_threads(n):
            cells.append(
                f"{measure_latency_ms(model, (3, 224, 224), 'cpu', warmup=5, repeats=max(args.repeats, 20)):.1f} ms"
            )
    print("| latency, B0 at 224, batch 1, CPU (median) | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
