"""The data-free proxies of every NAS-Bench-201 cell, shipped with the package, as ``benchmarks/nb201_proxies.py``
computed them (the benchmark's network for each dataset, weights initialised from a seed per cell)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from nasbench.errors import InvalidOption

TABLE = Path(__file__).with_name("nb201_proxies.csv.gz")
#: the datasets of NAS-Bench-201, with the input and classes of their networks
DATASETS = {"cifar10": (3, 32, 32, 10), "cifar100": (3, 32, 32, 100), "imagenet16": (3, 16, 16, 120)}
#: what each proxy of the table cost per cell, on one CPU thread (medians of ``benchmarks/nb201_proxies.py``):
#: a search budgeted in seconds that ranks candidates by them counts it
SECONDS_PER_CELL = {
    "cifar10": {"synflow": 0.014, "zen": 0.27},
    "cifar100": {"synflow": 0.014, "zen": 0.27},
    "imagenet16": {"synflow": 0.006, "zen": 0.07},
}


@lru_cache(maxsize=1)
def _stored() -> pd.DataFrame:
    return pd.read_csv(TABLE)


def nb201_table(dataset: str = "cifar10") -> pd.DataFrame:
    """One row per cell, in benchmark-index order: ``arch`` (the benchmark's string) and one column per
    data-free proxy for ``dataset`` (cifar10, cifar100 or imagenet16); a proxy undefined for a cell (no
    path from input to output) is empty there."""
    if dataset not in DATASETS:
        raise InvalidOption(f"unknown NAS-Bench-201 dataset '{dataset}'; choose from: {', '.join(DATASETS)}")
    stored = _stored()
    suffix = f"_{dataset}"
    columns = {c: c[: -len(suffix)] for c in stored.columns if c.endswith(suffix)}
    return pd.concat([stored[["arch"]], stored[list(columns)].rename(columns=columns)], axis=1)
