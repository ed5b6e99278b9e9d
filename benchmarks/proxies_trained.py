"""Zero-cost proxies against training, on an embedded task: what they are worth where NAS-Bench-201's
CIFAR images are not at hand.

``--networks`` random candidates of ``--space`` (distinct graphs, seeded) are each trained alone with
``--seeds`` seeds (the main job's training: ``--epochs`` epochs on ``--dataset``, one thread each) and
scored at initialisation by every proxy on one training batch. Reported: each proxy's Spearman rank
correlation with the candidates' mean validation accuracy, beside parameters and multiply-adds, and the
ceiling any predictor faces, the Spearman of one training seed with the mean of the others.

    python benchmarks/proxies_trained.py --space nasnet --networks 50 --seeds 3 --jobs 2 \\
        --out benchmarks/results/proxies_digits_nasnet
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

_worker: dict = {}


def _init(space_name: str, space_options: dict, dataset: str, epochs: int) -> None:
    import torch

    from nasbench.catalog import SPACES
    from nasbench.evaluators.proxies import ProxyEvaluator
    from nasbench.evaluators.training import TrainingEvaluator
    from nasbench.proxies import PROXIES

    torch.set_num_threads(1)
    space = SPACES.create(space_name, **space_options)
    _worker["space"] = space
    _worker["train"] = TrainingEvaluator(space, dataset=dataset, epochs=epochs, device="cpu", cpu_threads=1)
    _worker["proxies"] = ProxyEvaluator(space, proxies=",".join(PROXIES), dataset=dataset)


def _train(task: tuple[str, int]) -> dict:
    from nasbench.trial import Budget, derive_seed

    text, seed = task
    arch = _worker["space"].decode(text)
    metrics = _worker["train"](arch, Budget(), seed=derive_seed(seed, arch.hash_key))
    return {"arch": text, "seed": seed, "valid_accuracy": metrics["valid_accuracy"]}


def _score(text: str) -> dict:
    from nasbench.proxies.scoring import score_network
    from nasbench.trial import derive_seed

    evaluator, space = _worker["proxies"], _worker["space"]
    arch, spec = space.decode(text), evaluator.data_spec()
    scores = score_network(lambda: space.build(arch, spec), evaluator.names, evaluator.batch(), derive_seed(0, text))
    seconds = {f"{n}_seconds": v for n, v in scores.seconds.items()}
    return {"arch": text, **scores.values, **evaluator.costs(arch, spec), **seconds}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="nasnet")
    parser.add_argument("-O", "--space-option", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--networks", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/proxies_digits_nasnet", help="stem of the outputs")
    args = parser.parse_args(argv)
    from nasbench.catalog import SPACES
    from nasbench.options import parse_options
    from nasbench.proxies import PROXIES

    options = parse_options(SPACES.get(args.space), args.space_option, f"space '{args.space}'")
    space = SPACES.create(args.space, **options)
    rng, archs, seen = np.random.default_rng(0), [], set()
    while len(archs) < args.networks:
        arch = space.sample(rng)
        if arch.hash_key not in seen:
            seen.add(arch.hash_key)
            archs.append(arch.to_string())
    init = (args.space, options, args.dataset, args.epochs)
    with ProcessPoolExecutor(args.jobs, initializer=_init, initargs=init) as pool:
        trained = pd.DataFrame(pool.map(_train, [(a, s) for a in archs for s in range(args.seeds)]))
        scored = pd.DataFrame(pool.map(_score, archs))
    accuracy = trained.pivot(index="arch", columns="seed", values="valid_accuracy").loc[archs]
    table = scored.set_index("arch").join(accuracy.mean(axis=1).rename("valid_accuracy"))
    rest = accuracy[list(range(1, args.seeds))].mean(axis=1)
    report = {
        "space": args.space,
        "space_options": options,
        "dataset": args.dataset,
        "epochs": args.epochs,
        "networks": args.networks,
        "seeds": args.seeds,
        "accuracy_spread_points": round(float(table.valid_accuracy.max() - table.valid_accuracy.min()), 2),
        "seed_ceiling_spearman": round(float(spearmanr(accuracy[0], rest)[0]), 4) if args.seeds > 1 else None,
        "spearman": {
            name: round(float(spearmanr(table[name], table.valid_accuracy, nan_policy="omit")[0]), 4)
            for name in [*PROXIES, "params", "macs"]
        },
        "seconds_per_network": {name: round(float(scored[f"{name}_seconds"].median()), 3) for name in PROXIES},
    }
    stem = Path(args.out)
    stem.parent.mkdir(parents=True, exist_ok=True)
    table.join(accuracy.add_prefix("valid_accuracy_seed")).to_csv(stem.with_suffix(".csv"))
    stem.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
