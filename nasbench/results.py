"""The trial table of a search or sweep: one record per trial, written and read back.

``trials.csv`` has one row per trial: a RUNNING row while it is evaluated, replaced by its final state
when it ends. The table is rewritten atomically when an evaluation that takes a second or more starts and
when it finishes; faster events (table look-ups, repeated proposals) are batched so that writing
takes at most a tenth of the time, and what a crash loses of them resume recomputes identically.
``pandas.read_csv`` reads it in one call.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nasbench.errors import ResultsError
from nasbench.storage.run_folder import RunFolder
from nasbench.trial import TrialState


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
    #: a search budgeted in seconds: what it had spent when this trial was told (its evaluations' costs and
    #: its strategy's own), ``None`` otherwise
    spent_seconds: float | None = None

    @property
    def evaluated(self) -> bool:
        """False for answers given without an evaluation: repeats and constraint violations."""
        return self.duplicate_of is None and not self.violates

    def row(self) -> dict[str, Any]:
        row = {k: v for k, v in asdict(self).items() if k not in ("metrics", "values", "extra")}
        row["state"] = self.state.value
        if not self.budget:  # searches keep the table they always had
            del row["budget"]
        spent = row.pop("spent_seconds")
        if self.values is not None:
            if len(self.values) == 1:
                row["value"] = self.values[0]
            else:
                row.update({f"value_{i}": v for i, v in enumerate(self.values)})
        row.update(self.metrics)
        row.update(self.extra)
        if spent is not None:  # last: a RUNNING row has none, and the table's columns keep one order
            row["spent_seconds"] = spent
        return row


_FIXED = {"number", "arch", "hash", "state", "seed", "wall_seconds", "asked_at", "told_at", "error", "duplicate_of"}
#: fixed columns that hold numbers (``value`` and ``value_<i>`` too)
_NUMERIC = {"number", "seed", "wall_seconds", "asked_at", "told_at", "duplicate_of"}
#: fixed columns that tables written before they existed may lack
_OPTIONAL = {"violates", "budget", "spent_seconds"}
#: backend columns that hold numbers but are not metrics (read back into ``extra``): a trial's attempts, and
#: its objective after each epoch ("0.5;0.7", a single number for one epoch) where early stopping needs them
NUMERIC_EXTRAS = {"attempts", "epoch_values"}


def is_table_column(name: str) -> bool:
    """A column the trial table writes itself, so no metric may carry its name."""
    return name in _FIXED | _OPTIONAL | NUMERIC_EXTRAS | {"node_id", "node_ip"} or _is_value_column(name)


def _is_value_column(name: str) -> bool:
    return name == "value" or (name.startswith("value_") and name[6:].isdigit())


def read_trials(folder: RunFolder) -> pd.DataFrame:
    """The trial table of a run as a DataFrame (empty when no trial has been asked yet)."""
    frame = folder.read_table()
    if not len(frame.columns):
        return frame
    missing = _FIXED - set(frame.columns)
    if missing:
        raise ResultsError(f"corrupt trial table {folder.trials_path}: missing columns {', '.join(sorted(missing))}")
    states = {s.value for s in TrialState}
    unknown = frame.index[~frame["state"].isin(states)]
    if len(unknown):
        row = unknown[0]
        raise ResultsError(
            f"corrupt trial table {folder.trials_path}: line {row + 2} has state {frame['state'][row]!r}, "
            f"not one of {', '.join(sorted(states))}"
        )
    numeric = [c for c in frame.columns if c in _NUMERIC or _is_value_column(c)]
    for column in numeric:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            row = pd.to_numeric(frame[column], errors="coerce").isna() & frame[column].notna()
            first = frame.index[row][0]
            raise ResultsError(
                f"corrupt trial table {folder.trials_path}: line {first + 2} has {column} {frame[column][first]!r}, "
                "not a number"
            )
    return frame


def read_records(folder: RunFolder) -> list[TrialRecord]:
    """Records back from the table: numeric columns beyond the fixed ones are metrics, others extras."""
    frame = read_trials(folder)
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
                    spent_seconds=None if _missing(row.get("spent_seconds")) else float(row["spent_seconds"]),
                    extra=extra,
                )
            )
    except (ValueError, TypeError) as exc:
        raise ResultsError(f"corrupt trial table {folder.trials_path}: {exc}") from None
    return records


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
