"""The data-free proxies (synflow, zen) of every NAS-Bench-201 cell, and their rank agreement with training.

``compute`` builds the benchmark's network of each of the 15,625 cells for each dataset (CIFAR-10 and
CIFAR-100: 3 x 32 x 32, 10 and 100 classes; ImageNet16-120: 3 x 16 x 16, 120 classes), initialised from a
seed per cell, and scores it; it works in chunks kept under ``--scratch`` (an interrupted run resumes)
and writes the package's table, ``nasbench/proxies/nb201_proxies.csv.gz``. Zen-score reads the features
before global pooling, which the classifier does not change: CIFAR-100's are CIFAR-10's.

``correlate`` reports each proxy's Spearman and Kendall rank correlation over all cells with CIFAR-10's
validation accuracy (cifar10-valid, 200 epochs) and CIFAR-100's and ImageNet16-120's 200-epoch test
accuracy, beside parameters and multiply-adds. A cell with no path from input to output has no proxy
value; it is ranked below every other cell ("all cells", as a zero score ranks it in Abdelfattah et al.'s
code) and left out ("defined").

    python benchmarks/nb201_proxies.py compute --workers 2
    python benchmarks/nb201_proxies.py correlate --json benchmarks/results/nb201_proxies.json
    python benchmarks/nb201_proxies.py time --cells 40
"""

from __future__ import annotations

import argparse
import json
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.stats import kendalltau, spearmanr

from nasbench.costs.nb201_cells import cell_costs
from nasbench.proxies.base import Batch
from nasbench.proxies.nb201 import DATASETS, TABLE
from nasbench.proxies.scoring import score_network
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.search_spaces.nb201.bundled import bundled_table
from nasbench.space import DataSpec
from nasbench.trial import derive_seed

#: proxies computed per dataset (CIFAR-100's zen is CIFAR-10's: see above)
COMPUTED = {"cifar10": ("synflow", "zen"), "cifar100": ("synflow",), "imagenet16": ("synflow", "zen")}
#: what each dataset's proxies are ranked against (columns of the bundled NAS-Bench-201 table)
TARGETS = {
    "cifar10": "valid-accuracy",
    "cifar100": "CIFAR100TestAccuracy200Epochs",
    "imagenet16": "ImageNetTestAccuracy200Epochs",
}
CHUNK = 250


def cell_seed(arch: str) -> int:
    return derive_seed(0, "nb201-proxies", arch)


def _chunk(job: tuple[str, int, list[str]]) -> pd.DataFrame:
    dataset, start, archs = job
    torch.set_num_threads(1)
    channels, height, width, classes = DATASETS[dataset]
    space, data = NB201Space(), DataSpec(channels, height, width, classes)
    shape_only = Batch(torch.zeros(64, channels, height, width), torch.zeros(64, dtype=torch.long), classes)
    rows = []
    for arch in archs:
        cell = space.decode(arch)
        scores = score_network(lambda: space.build(cell, data), COMPUTED[dataset], shape_only, cell_seed(arch))
        rows.append({f"{n}_{dataset}": scores.values.get(n, np.nan) for n in COMPUTED[dataset]})
    return pd.DataFrame(rows, index=range(start, start + len(archs)))


def compute(args) -> None:
    archs = list(bundled_table()["arch_str"])
    scratch = Path(args.scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    jobs = []
    for dataset in COMPUTED:
        for start in range(0, len(archs), CHUNK):
            if not (scratch / f"{dataset}-{start:05d}.csv").exists():
                jobs.append((dataset, start, archs[start : start + CHUNK]))
    print(f"{len(jobs)} chunks of {CHUNK} cells to score", flush=True)
    with Pool(args.workers) as pool:
        for done, frame in enumerate(pool.imap_unordered(_chunk, jobs), start=1):
            dataset = frame.columns[0].split("_")[-1]
            frame.to_csv(scratch / f"{dataset}-{frame.index[0]:05d}.csv", float_format="%.7g")
            print(f"{done}/{len(jobs)} chunks", flush=True)
    columns = []
    for dataset in COMPUTED:
        parts = [pd.read_csv(p, index_col=0) for p in sorted(scratch.glob(f"{dataset}-*.csv"))]
        columns.append(pd.concat(parts).sort_index())
    table = pd.concat([pd.DataFrame({"arch": archs}), *columns], axis=1)
    table["zen_cifar100"] = table["zen_cifar10"]
    order = ["arch"] + [f"{p}_{d}" for d in DATASETS for p in ("synflow", "zen")]
    table[order].to_csv(TABLE, index=False, float_format="%.7g", compression={"method": "gzip", "mtime": 0})
    print(f"wrote {TABLE} ({TABLE.stat().st_size:,} bytes)")


def correlate(args) -> None:
    from nasbench.proxies import nb201_table

    results = bundled_table()
    report = {}
    for dataset, (channels, height, width, classes) in DATASETS.items():
        proxies = nb201_table(dataset)
        costs = cell_costs(proxies["arch"], DataSpec(channels, height, width, classes))
        scores = pd.concat([proxies.drop(columns="arch"), costs], axis=1)
        target = results[TARGETS[dataset]].to_numpy()
        defined = scores["synflow"].notna().to_numpy()
        rows = {}
        for name in scores.columns:
            values = scores[name].to_numpy(float)
            lowest = np.where(np.isnan(values), -np.inf, values)
            rows[name] = {
                "spearman_all": round(float(spearmanr(lowest, target)[0]), 4),
                "kendall_all": round(float(kendalltau(lowest, target)[0]), 4),
                "spearman_defined": round(float(spearmanr(values[defined], target[defined])[0]), 4),
                "undefined": int(np.isnan(values).sum()),
            }
        report[dataset] = {"target": TARGETS[dataset], "cells": len(scores), "proxies": rows}
        print(f"\n{dataset} (against {TARGETS[dataset]}, {len(scores):,} cells)")
        print(pd.DataFrame(rows).T.to_string())
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")


def timing(args) -> None:
    """Median seconds per cell of each data-free proxy, one thread (``SECONDS_PER_CELL`` of the package)."""
    archs = list(bundled_table()["arch_str"])
    picks = np.random.default_rng(0).choice(len(archs), args.cells, replace=False)
    torch.set_num_threads(1)
    report = {}
    for dataset, (channels, height, width, classes) in DATASETS.items():
        space, data = NB201Space(), DataSpec(channels, height, width, classes)
        batch = Batch(torch.zeros(64, channels, height, width), torch.zeros(64, dtype=torch.long), classes)
        seconds = {name: [] for name in ("synflow", "zen")}
        for index in picks:
            cell = space.decode(archs[index])
            scores = score_network(lambda: space.build(cell, data), list(seconds), batch, cell_seed(archs[index]))
            for name, value in scores.seconds.items():
                if name in scores.values:
                    seconds[name].append(value)
        report[dataset] = {name: round(float(np.median(v)), 4) for name, v in seconds.items()}
    print(json.dumps(report))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    c = sub.add_parser("compute", help="score every cell and write the package's table")
    c.add_argument("--workers", type=int, default=2)
    c.add_argument("--scratch", default="results/nb201-proxies", help="where finished chunks are kept")
    c.set_defaults(func=compute)
    r = sub.add_parser("correlate", help="rank agreement of the package's table with the benchmark")
    r.add_argument("--json", default=None)
    r.set_defaults(func=correlate)
    t = sub.add_parser("time", help="median seconds per cell of each proxy, one thread")
    t.add_argument("--cells", type=int, default=40)
    t.set_defaults(func=timing)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
