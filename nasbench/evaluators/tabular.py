"""Table look-up evaluation: a benchmark's recorded results stand in for training.

A query costs nothing; the table's training time is reported as ``train_seconds`` so a search can
be run against a simulated wall-clock budget.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from nasbench.arch import Arch
from nasbench.errors import CandidateFailed, DataError, InvalidArchitecture
from nasbench.evaluator import Evaluator, Metrics, Reporter
from nasbench.search_spaces.nb201.bundled import resolve_benchmark
from nasbench.space import SearchSpace
from nasbench.trial import Budget

#: columns that may hold the architecture string, in order of preference
KEY_COLUMNS = ("arch_str", "ArchitectureString", "arch")

#: NAS-Bench-201's standard protocol: search on cifar10-valid validation accuracy, report CIFAR-10 test
NB201_COLUMNS = {
    "valid_accuracy": "valid-accuracy",
    "test_accuracy": "CIFAR10TestAccuracy200Epochs",
    "train_seconds": "train-all-time",
}
#: default metrics that are reported, not searched on: a table without their columns still serves
NB201_REPORTED = ("test_accuracy", "train_seconds")


def _csv_files(path: Path) -> list[Path]:
    if not path.exists():
        raise DataError(f"benchmark path {path} does not exist")
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    if not files:
        raise DataError(f"benchmark folder {path} holds no .csv table")
    return files


def _read_header(file: Path) -> list[str]:
    try:
        return list(pd.read_csv(file, nrows=0).columns)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"cannot read benchmark table {file}: {str(exc).strip() or type(exc).__name__}") from None


def load_table(path: str | Path, columns: Mapping[str, str], optional: Iterable[str] = ()) -> dict[str, Metrics]:
    """Read ``columns`` (metric name -> table column) keyed by architecture string.

    ``path`` is one CSV or a folder of CSVs whose rows describe the same architectures; each wanted
    column is taken from the first file that has it. Metrics named in ``optional`` are left out
    when no file has their column.
    """
    files = _csv_files(Path(path))
    headers = {file: _read_header(file) for file in files}
    merged: pd.DataFrame | None = None
    for metric, column in columns.items():
        source = next((f for f in files if column in headers[f]), None)
        if source is None and metric in optional:
            continue
        if source is None:
            names = sorted({c for h in headers.values() for c in h if not c.startswith("Unnamed")})
            raise DataError(
                f"no benchmark table in {path} has a column '{column}' (for metric {metric}); "
                f"map one with --metric {metric}=COLUMN; columns: {', '.join(names)}"
            )
        key = next((k for k in KEY_COLUMNS if k in headers[source]), None)
        if key is None:
            raise DataError(f"benchmark table {source} has no architecture column ({' or '.join(KEY_COLUMNS)})")
        try:
            frame = pd.read_csv(source, usecols=[key, column]).rename(columns={key: "arch", column: metric})
            frame[metric] = pd.to_numeric(frame[metric], errors="raise")
        except (ValueError, pd.errors.ParserError) as exc:
            raise DataError(f"malformed benchmark table {source}: {str(exc).splitlines()[0]}") from None
        frame = frame.drop_duplicates("arch")
        merged = frame if merged is None else merged.merge(frame, on="arch", how="outer")
    assert merged is not None, "columns is never empty"
    return {row.pop("arch"): row for row in merged.to_dict("records")}


class TabularEvaluator(Evaluator):
    """Answers from a results table; the architecture's canonical string is the key.

    ``path`` is a CSV, a folder of CSVs, or ``"nb201"``: the NAS-Bench-201 results bundled with the package.
    """

    in_process = True
    default_budget = 100

    def __init__(self, space: SearchSpace | None, path: str | Path, columns: Mapping[str, str] | None = None) -> None:
        self.path = str(path)
        self.columns = dict(columns or NB201_COLUMNS)
        if not self.columns:
            raise DataError("a tabular evaluator needs at least one column")
        optional = () if columns else NB201_REPORTED
        self._table = load_table(resolve_benchmark(self.path), self.columns, optional=optional)
        first = next(iter(self._table.values()), {})
        self.columns = {m: c for m, c in self.columns.items() if m in first}
        if space is not None:
            self._check_keys(space)

    def _check_keys(self, space: SearchSpace) -> None:
        """Every row must be keyed by a canonical string of the space, or look-ups would miss it."""
        if not self._table:
            raise DataError(f"benchmark table {self.path} has no rows")
        for key in self._table:
            try:
                canonical = space.decode(key).to_string()
            except InvalidArchitecture as exc:
                raise DataError(
                    f"benchmark table {self.path} holds {key!r}, not an architecture of the '{space.name}' space: {exc}"
                ) from None
            if canonical != key:
                raise DataError(
                    f"benchmark table {self.path} writes architectures as {key!r}, not canonically ({canonical!r})"
                )

    def metric_names(self) -> tuple[str, ...]:
        return tuple(self.columns)

    def cost_seconds(self, metrics: Metrics, wall_seconds: float) -> float:
        """The table's training time of the network (``train_seconds``, NAS-Bench-201's ``train-all-time``):
        a look-up costs what its training would have; a table without it costs nothing."""
        return float(metrics.get("train_seconds", 0.0))

    def keys(self) -> list[str]:
        return list(self._table)

    def __call__(self, arch: Arch, budget: Budget, *, seed: int = 0, report: Reporter | None = None) -> Metrics:
        row = self._table.get(arch.to_string())
        if row is None:
            raise CandidateFailed(f"architecture {arch.to_string()} is not in the benchmark table {self.path}")
        metrics = {name: float(value) for name, value in row.items()}
        if report is not None:
            report(1, metrics)
        return metrics
