"""A sweep on Ray (2 trials at a time) against the local backend (one at a time, in process).

The same points (tiny MBConv networks x training-set sizes x seeds on the teacher task) run as
one sweep per backend, one after the other, in one invocation; each wall time includes the run's
start-up (an embedded Ray for the Ray backend).

    python benchmarks/sweep_backends.py --widths 0.25 0.5 --train-sizes 256 512 1024 2048 --seeds 2
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from nasbench import search
from nasbench.scaling.sweep import multiplier_family, sweep_config, sweep_points


def run_sweep(points: list[dict], backend: str, out: Path, dataset: str) -> float:
    options = {"max_concurrent": 2, "cpus_per_trial": 1.0} if backend == "ray" else {}
    training = {"dataset": dataset, "batch_size": 64, "device": "cpu", "cpu_threads": 1}
    config = sweep_config(
        "mbconv", points, space_options={"base": "tiny"}, training=training, backend=backend, backend_options=options
    )
    started = time.perf_counter()
    run = search.start(config, out)
    run.run()
    seconds = time.perf_counter() - started
    done = sum(r.state.value == "COMPLETE" for r in run.session.records.values())
    if done != len(points):
        raise SystemExit(f"{backend}: only {done} of {len(points)} points completed")
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=float, nargs="+", default=[0.25, 0.5])
    parser.add_argument("--train-sizes", type=int, nargs="+", default=[256, 512, 1024, 2048])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--dataset", default="teacher")
    parser.add_argument("--backends", nargs="+", default=["local", "ray"], choices=["local", "ray"])
    args = parser.parse_args(argv)
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    networks = multiplier_family("tiny", args.widths, [1.0], resolution=8)
    points = sweep_points(networks, args.train_sizes, [args.epochs], args.seeds)
    seconds = {}
    with tempfile.TemporaryDirectory() as scratch:
        for backend in args.backends:
            seconds[backend] = run_sweep(points, backend, Path(scratch) / backend, args.dataset)
            print(f"{len(points)} points: {backend} {seconds[backend]:.1f} s", flush=True)
    if len(seconds) == 2:
        print(f"ray (2 at a time) over local: {seconds['local'] / seconds['ray']:.2f}x faster")


if __name__ == "__main__":
    main()
