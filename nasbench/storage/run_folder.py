"""A run's folder, for searches, sweeps and supernet trainings alike: every file it holds, by name,
its configuration, and the lock that lets one process drive it.

A search or sweep keeps ``config.json``, ``trials.csv`` (``nasbench.results``), ``costs.json``,
``weights/<hash>.safetensors`` and, with several objectives, ``pareto.csv`` and ``pareto.png``. A
supernet training keeps ``config.json``, ``epochs.csv``, ``checkpoints/`` and, once it ends,
``supernet.safetensors``.
"""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from nasbench.errors import ResultsError
from nasbench.storage import atomic

if TYPE_CHECKING:
    from nasbench.storage.table_text import TableText

CONFIG = "config.json"
TRIALS = "trials.csv"
COSTS = "costs.json"  # costs counted for constraints and cost objectives (nasbench.costs.cost_model)
WEIGHTS_DIR = "weights"  # the weights of trained candidates, one file per graph hash
FRONT_TABLE, FRONT_PLOT = "pareto.csv", "pareto.png"  # a multi-objective search's Pareto front
EPOCHS = "epochs.csv"  # a supernet training's loss and accuracy per epoch
CHECKPOINTS = "checkpoints"  # a supernet training's checkpoints, one folder per start or resume
SUPERNET_WEIGHTS = "supernet.safetensors"  # the trained supernet, written when its training ends
LOCK = ".lock"  # held by the process driving the run
#: how long a refused driver waits for the holder to write its pid into the lock file (20 x 50 ms)
HOLDER_WAITS, HOLDER_WAIT_SECONDS = 20, 0.05

# resume recomputes objective values from stored metrics, so floats must read back bit-exact;
# pandas >= 3 does that by default and deprecates the option
EXACT_FLOATS = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


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

    @property
    def weights_dir(self) -> Path:
        return self.path / WEIGHTS_DIR

    @property
    def epochs_path(self) -> Path:
        return self.path / EPOCHS

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / CHECKPOINTS

    @property
    def supernet_weights(self) -> Path:
        return self.path / SUPERNET_WEIGHTS

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
        """Write the trial table (``nasbench.results``) atomically."""
        atomic.write_text(self.trials_path, table.text())

    def read_table(self) -> pd.DataFrame:
        """The trial table as written (``nasbench.results.read_trials`` checks its columns); empty when
        no trial has been asked yet."""
        if not self.trials_path.exists():
            return pd.DataFrame()
        try:
            text = self.trials_path.read_bytes()
        except OSError as exc:
            raise atomic.storage_error(self.trials_path, exc, "read") from None
        if text and not text.endswith(b"\n"):  # written whole every time: a cut file lost its end elsewhere
            line = text.count(b"\n") + 1
            raise ResultsError(
                f"corrupt trial table {self.trials_path}: line {line} was cut off mid-row; "
                "restore the file, or delete that line to resume without its trial"
            )
        try:
            return pd.read_csv(io.BytesIO(text), keep_default_na=False, na_values=[""], **EXACT_FLOATS)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise ResultsError(f"corrupt trial table {self.trials_path}: {str(exc).strip().splitlines()[0]}") from None
        except OSError as exc:
            raise atomic.storage_error(self.trials_path, exc, "read") from None


class RunLock:
    """An exclusive lock on a run folder; the operating system drops it if the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._created = not path.exists()
        self._before = ""  # what the file held before this process wrote its pid into it
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
            self._before = self._handle.read()
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

    def abandon(self) -> None:
        """Release the lock of a run that was refused before it changed anything, leaving the lock file as it
        found it: gone if this lock made it, with its earlier content otherwise."""
        if self._handle is not None and not self._handle.closed:
            try:
                if self._created:
                    self.path.unlink(missing_ok=True)
                else:
                    self._handle.seek(0)
                    self._handle.truncate()
                    self._handle.write(self._before)
                    self._handle.flush()
            except OSError:  # a lock file left behind harms nothing
                pass
        self.release()
