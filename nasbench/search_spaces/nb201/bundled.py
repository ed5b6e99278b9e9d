"""The NAS-Bench-201 results that ship with the package, so look-up searches need no download.

One gzipped CSV in benchmark-index order with the architecture string and the columns the toolkit
reads, under the full tables' own names, so ``--metric NAME=COLUMN`` works on either. The full
tables (every loss, time and seed column) remain usable wherever a user keeps them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: the name ``--benchmark`` takes for the bundled table
BUNDLED_NAME = "nb201"
BUNDLED_FILE = Path(__file__).with_name("nb201_results.csv.gz")

#: full-table file -> the columns kept from it
SOURCE_COLUMNS = {
    "cifar10_valid_200ep_seedavg.csv": (
        "valid-accuracy",
        "test-accuracy",
        "train-per-time",
        "train-all-time",
    ),
    "test_200ep_seedavg_3datasets.csv": (
        "CIFAR10TestAccuracy200Epochs",
        "CIFAR100TestAccuracy200Epochs",
        "ImageNetTestAccuracy200Epochs",
    ),
    "test_12ep_200ep_oneseed_3datasets.csv": (
        "Cifar10TestAccuracy12Epochs",
        "Cifar100TestAccuracy12Epochs",
        "ImageNet16TestAccuracy12Epochs",
        "Cifar10TestAccuracy200Epochs",
        "Cifar100TestAccuracy200Epochs",
        "ImageNet16TestAccuracy200Epochs",
    ),
}
#: decimals kept: the tables' accuracies are means of a few runs, far coarser than this
DECIMALS = 4


def bundled_table() -> pd.DataFrame:
    """The bundled table: ``arch_str`` and the kept columns, row i = benchmark index i."""
    return pd.read_csv(BUNDLED_FILE)


def resolve_benchmark(path: str | Path) -> Path:
    """``nb201`` names the bundled table; anything else is a path to a user's CSV or folder of CSVs."""
    return BUNDLED_FILE if str(path) == BUNDLED_NAME else Path(path)


def build_bundled_table(full_tables: str | Path, out: str | Path = BUNDLED_FILE) -> pd.DataFrame:
    """Rebuild the bundled file from the full NAS-Bench-201 CSVs (all in benchmark-index order)."""
    folder = Path(full_tables)
    arch = pd.read_csv(folder / "cifar10_valid_200ep_seedavg.csv", usecols=["arch_str"])["arch_str"]
    frame = pd.DataFrame({"arch_str": arch})
    for file, columns in SOURCE_COLUMNS.items():
        source = pd.read_csv(folder / file)
        key = "arch_str" if "arch_str" in source else "ArchitectureString"
        if not source[key].equals(arch):
            raise ValueError(f"{file} is not in benchmark-index order")
        for column in columns:
            frame[column] = source[column].round(DECIMALS)
    frame.to_csv(out, index=False, compression={"method": "gzip", "mtime": 0})
    return frame
