"""Latency models on this machine: calibrate each space, then predict and measure random networks side by side.

python benchmarks/latency_model.py --spaces mbconv vit nasnet nb201 --threads 1 2 --sample 200

For each space and thread count: ``nasbench latency calibrate`` (default settings, CIFAR-shaped input
3 x 32 x 32, batch 1, CPU; its wall time recorded) and ``nasbench latency validate`` on ``--sample``
networks drawn from another seed. Writes benchmarks/results/latency_<space>_<threads>t.json (the
validation's figures, the calibration's time and size, each network's prediction and measurement).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from nasbench.costs.calibration import Settings, calibrate
from nasbench.costs.latency_validation import validate
from nasbench.space import DataSpec
from nasbench.storage import atomic

#: the spaces' options: their defaults, for CIFAR-sized input
OPTIONS = {"mbconv": {"base": "tiny"}, "vit": {}, "nasnet": {}, "nb201": {}}
CIFAR = DataSpec(3, 32, 32, 10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaces", nargs="+", default=list(OPTIONS))
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--work", type=Path, default=Path("/tmp/latency-models"))
    parser.add_argument("--results", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    for space in args.spaces:
        for threads in args.threads:
            model_path = args.work / f"{space}_{threads}t.json"
            started = time.perf_counter()
            model = calibrate(space, OPTIONS[space], CIFAR, model_path, threads=threads, settings=Settings())
            calibration_seconds = time.perf_counter() - started
            result = validate(model, args.sample, seed=0)
            summary = {
                **result.summary(),
                "space": space,
                "space_options": OPTIONS[space],
                "threads": threads,
                "input": "3x32x32",
                "units_timed": len(model.units),
                "calibration_networks": len(model.networks),
                "calibration_seconds": round(calibration_seconds, 1),
                "fit": {k: v for k, v in model.fit.items() if k != "fallback"},
                "environment": model.environment,
                "command": f"python benchmarks/latency_model.py --spaces {space} --threads {threads} "
                f"--sample {args.sample}",
            }
            per_network = [
                {"arch": a, "predicted_ms": round(float(p), 5), "measured_ms": round(float(m), 5)}
                for a, p, m in zip(result.archs, result.predicted, result.measured)
            ]
            atomic.write_text(
                args.results / f"latency_{space}_{threads}t.json",
                json.dumps({**summary, "per_network": per_network}, indent=1) + "\n",
            )
            print(json.dumps({k: summary[k] for k in list(summary)[:10]}), flush=True)


if __name__ == "__main__":
    main()
