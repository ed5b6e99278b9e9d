"""Supernet on a GPU: one epoch of sandwich training, then 8 small candidates scored 4 to a GPU against one at a time.

    python benchmarks/supernet_gpu.py                       # on a machine with a GPU
    python benchmarks/supernet_gpu.py --device cpu --candidates 2 --supernet RUN   # the CPU path, as in the tests

Prints one JSON object: the epoch's training seconds (Ray Train, one worker holding one GPU, NCCL),
the validation accuracy of the largest and smallest child, and the wall time of a search over
``--candidates`` children at ``--gpus-per-trial 0.25`` (Ray backend, 4 at a time on one GPU) against
the same search one candidate at a time. One Ray serves the whole script, so no figure includes
its start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def train_one_epoch(root: Path, gpus: float) -> dict:
    import pandas as pd

    from nasbench.search_spaces.mbconv_supernet import MBConvSupernetSpace
    from nasbench.storage.run_folder import EPOCHS
    from nasbench.supernet_training.config import SupernetConfig
    from nasbench.supernet_training.execution import Execution
    from nasbench.supernet_training.run import train_supernet

    space = MBConvSupernetSpace()
    run = root / "supernet"
    started = time.perf_counter()
    train_supernet(space, SupernetConfig(space=space.name, epochs=1), run, Execution(gpus_per_worker=gpus), quiet=True)
    row = pd.read_csv(run / EPOCHS).iloc[-1]
    return {
        "run": str(run),
        "train_epoch_s": float(row["seconds"]),
        "train_wall_s": time.perf_counter() - started,
        "largest_accuracy": float(row["valid_accuracy_largest"]),
        "smallest_accuracy": float(row["valid_accuracy_smallest"]),
    }


def time_search(run: str, root: Path, candidates: int, device: str, gpus_per_trial: float, concurrent: int) -> float:
    from nasbench.config import SearchConfig
    from nasbench.search import start

    config = SearchConfig(
        space="mbconv-supernet",
        strategy="random",
        evaluator="supernet",
        budget=candidates,
        evaluator_options={"supernet": run, "device": device},
        backend="ray",
        backend_options={"gpus_per_trial": gpus_per_trial, "max_concurrent": concurrent, "cpus_per_trial": 0.5},
    )
    started = time.perf_counter()
    start(config, root / f"search-{gpus_per_trial}-{concurrent}").run()
    return time.perf_counter() - started


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda", help="cuda (default) or cpu, the path the tests take")
    parser.add_argument("--candidates", type=int, default=8)
    parser.add_argument("--supernet", default=None, help="a trained run: skip the training epoch")
    args = parser.parse_args(argv)
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    from nasbench.backends.ray.cluster import ray_connection

    gpu = args.device != "cpu"
    report: dict = {"device": args.device}
    with tempfile.TemporaryDirectory() as tmp, ray_connection(None, Path(tmp)):
        # one Ray for the whole script: the two searches are timed without its start-up
        root = Path(tmp)
        if args.supernet is None:
            report.update(train_one_epoch(root, 1.0 if gpu else 0.0))
        run = args.supernet or report["run"]
        share = 0.25 if gpu else 0.0
        report["packed_s"] = time_search(run, root, args.candidates, args.device, share, 4)
        report["one_at_a_time_s"] = time_search(run, root, args.candidates, args.device, 1.0 if gpu else 0.0, 1)
        report["speedup"] = report["one_at_a_time_s"] / report["packed_s"]
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
