"""A run's folder: its configuration and its trial table.

``trials.csv`` has one row per trial: a RUNNING row while it is evaluated, replaced by its final state
when it ends. The table is rewritten atomically when an evaluation that takes a second or more starts and
when it finishes; faster events (table look-ups, repeated proposals) are batched so that writing
takes at most a tenth of the time, and what a crash loses of them resume recomputes identically.
``pandas.read_csv`` reads it in one call.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nasbench import atomic
from nasbench.errors import ResultsError
from nasbench.trial import TrialState

if TYPE_CHECKING:
    from nasbench.table_text import TableText

CONFIG = "config.json"
TRIALS = "trials.csv"
COSTS = "costs.json"  # costs counted for constraints and cost objectives (nasbench.cost_model)
LOCK = ".lock"  # held by the process driving the run
#: how long a refused driver waits for the holder to write its pid into the lock file (20 x 50 ms)
HOLDER_WAITS, HOLDER_WAIT_SECONDS = 20, 0.05


@dataclass(frozen=True)
class TrialRecord:
    """One trial as stored: RUNNING while it is evaluated, then how it ended. ``asked_at``/``told_at``
    order the strategy's events (``told_at`` is ``None`` while it runs)."""

    number: int
    arch: str
    hash: str
    state: TrialState
    metrics: dict[str, float]
    values: tuple[float, ...] | None
    seed: int
    wall_seconds: float
    asked_at: int
    told_at: int | None  # None while running
    error: str = ""
    duplicate_of: int | None = None
    #: why the network was refused unevaluated (it breaks a hard cost constraint); "" otherwise
    violates: str = ""
    #: the trial's own budget (``Budget.key()``: "train_size=1024,epochs=4"), "" for the evaluator's default
    budget: str = ""
    #: backend details (node, attempts, ...), stored as extra columns
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def evaluated(self) -> bool:
        """False for answers given without an evaluation: repeats and constraint violations."""
        return self.duplicate_of is None and not self.violates

    def row(self) -> dict[str, Any]:
        row = {k: v for k, v in asdict(self).items() if k not in ("metrics", "values", "extra")}
        row["state"] = self.state.value
        if not self.budget:  # searches keep the table they always had
            del row["budget"]
        if self.values is not None:
            if len(self.values) == 1:
                row["value"] = self.values[0]
            else:
                row.update({f"value_{i}": v for i, v in enumerate(self.values)})
        row.update(self.metrics)
        row.update(self.extra)
        return row


# resume recomputes objective values from stored metrics, so floats must read back bit-exact;
# pandas >= 3 does that by default and deprecates the option
_EXACT_FLOATS = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}

_FIXED = {"number", "arch", "hash", "state", "seed", "wall_seconds", "asked_at", "told_at", "error", "duplicate_of"}
#: fixed columns that tables written before they existed may lack
_OPTIONAL = {"violates", "budget"}
#: backend columns that hold numbers but are not metrics (read back into ``extra``)
NUMERIC_EXTRAS = {"attempts"}


def is_table_column(name: str) -> bool:
    """A column the trial table writes itself, so no metric may carry its name."""
    return name in _FIXED | _OPTIONAL | NUMERIC_EXTRAS | {"node_id", "node_ip"} or _is_value_column(name)


def _is_value_column(name: str) -> bool:
    return name == "value" or (name.startswith("value_") and name[6:].isdigit())


class RunFolder:
    """Reads and writes ``results/<run>/``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG

    @property
    def trials_path(self) -> Path:
        return self.path / TRIALS

    @property
    def costs_path(self) -> Path:
        return self.path / COSTS

    def exists(self) -> bool:
        return self.config_path.exists()

    def lock(self) -> RunLock:
        """Hold the run for this process: a second driver on the same folder is refused."""
        if self.path.exists() and not self.path.is_dir():
            raise ResultsError(f"{self.path} is a file, not a run folder")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResultsError(f"cannot create the run folder {self.path}: {exc.strerror or exc}") from None
        return RunLock(self.path / LOCK)

    def write_config(self, config: dict) -> None:
        atomic.write_json(self.config_path, config)

    def read_config(self) -> dict:
        if not self.path.is_dir():
            raise ResultsError(f"no run folder at {self.path}")
        if not self.config_path.exists():
            raise ResultsError(f"{self.path} is not a nasbench run: it has no {CONFIG}")
        try:
            return json.loads(self.config_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ResultsError(f"corrupt {self.config_path}: {exc}") from None
        except OSError as exc:
            raise atomic.storage_error(self.config_path, exc, "read") from None

    def check_writable(self) -> None:
        """Refuse, before anything is written, to go on with a run whose files were made read-only."""
        for path in (self.config_path, self.trials_path, self.costs_path):
            atomic.check_replaceable(path)

    def write_table(self, table: TableText) -> None:
        """Write the trial table atomically."""
        atomic.write_text(self.trials_path, table.text())

    def read_table(self) -> pd.DataFrame:
        """The trial table as a DataFrame (empty when no trial has finished yet)."""
        if not self.trials_path.exists():
            return pd.DataFrame()
        try:
            frame = pd.read_csv(self.trials_path, keep_default_na=False, na_values=[""], **_EXACT_FLOATS)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise ResultsError(f"corrupt trial table {self.trials_path}: {str(exc).strip().splitlines()[0]}") from None
        except OSError as exc:
            raise atomic.storage_error(self.trials_path, exc, "read") from None
        missing = _FIXED - set(frame.columns)
        if missing:
            raise ResultsError(f"corrupt trial table {self.trials_path}: missing columns {', '.join(sorted(missing))}")
        return frame

    def read_records(self) -> list[TrialRecord]:
        """Records back from the table: numeric columns beyond the fixed ones are metrics, others extras."""
        frame = self.read_table()
        records = []
        value_columns = sorted((c for c in frame.columns if _is_value_column(c)), key=lambda c: (len(c), c))
        other = [c for c in frame.columns if c not in _FIXED | _OPTIONAL and c not in value_columns]
        metric_set = {c for c in other if pd.api.types.is_numeric_dtype(frame[c]) and c not in NUMERIC_EXTRAS}
        try:
            for row in frame.to_dict("records"):
                values = tuple(float(row[c]) for c in value_columns if not _missing(row[c]))
                metrics = {c: float(row[c]) for c in other if c in metric_set and not _missing(row[c])}
                extra = {c: _plain(row[c]) for c in other if c not in metric_set and not _missing(row[c])}
                duplicate = row["duplicate_of"]
                records.append(
                    TrialRecord(
                        number=int(row["number"]),
                        arch=str(row["arch"]),
                        hash=str(row["hash"]),
                        state=TrialState(row["state"]),
                        metrics=metrics,
                        values=values or None,
                        seed=int(row["seed"]),
                        wall_seconds=float(row["wall_seconds"]),
                        asked_at=int(row["asked_at"]),
                        told_at=None if _missing(row["told_at"]) else int(row["told_at"]),
                        error="" if _missing(row["error"]) else str(row["error"]),
                        duplicate_of=None if _missing(duplicate) else int(duplicate),
                        violates="" if _missing(row.get("violates")) else str(row["violates"]),
                        budget="" if _missing(row.get("budget")) else str(row["budget"]),
                        extra=extra,
                    )
                )
        except (ValueError, TypeError) as exc:
            raise ResultsError(f"corrupt trial table {self.trials_path}: {exc}") from None
        return records


class RunLock:
    """An exclusive lock on a run folder; the operating system drops it if the process dies."""

    def __init__(self, path: Path) -> None:
        try:
            import fcntl
        except ImportError:  # no advisory locks on this platform: run unguarded
            self._handle = None
            return
        try:
            self._handle = open(path, "a+")
        except OSError as exc:
            raise atomic.storage_error(path, exc) from None
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = self._holder()
            self._handle.close()
            raise ResultsError(
                f"{path.parent} is in use by another nasbench process (pid {holder}); wait for it or stop it"
            ) from None
        try:
            self._handle.seek(0)
            self._handle.truncate()
            self._handle.write(str(os.getpid()))
            self._handle.flush()
        except OSError as exc:
            self._handle.close()
            raise atomic.storage_error(path, exc) from None

    def _holder(self) -> str:
        """The pid the holder writes just after it locks: a reader between the two waits for it."""
        for _ in range(HOLDER_WAITS):
            self._handle.seek(0)
            holder = self._handle.read().strip()
            if holder:
                return holder
            time.sleep(HOLDER_WAIT_SECONDS)
        return "unknown"

    def release(self) -> None:
        if self._handle is not None and not self._handle.closed:
            self._handle.close()  # closing drops the lock


def best_record(records: Iterable[TrialRecord]) -> TrialRecord | None:
    """The completed evaluation with the largest first objective value (the earliest among equals)."""
    done = [r for r in records if r.state is TrialState.COMPLETE and r.evaluated and r.values]
    return max(done, key=lambda r: (r.values[0], -r.number), default=None)


def _plain(value: Any) -> Any:
    """A cell as a Python value: whole numbers as int (a column with gaps reads back as floats)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value.item() if isinstance(value, np.generic) else value  # numpy scalars as Python's


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
