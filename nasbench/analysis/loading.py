"""Every trial of any mix of runs (searches, sweeps, ``nasbench scale`` tables) as one tidy DataFrame."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from nasbench.config import SearchConfig
from nasbench.errors import InvalidArchitecture, NasbenchError, ResultsError
from nasbench.results import read_trials
from nasbench.storage import atomic
from nasbench.storage.run_folder import RunFolder

#: the columns every loaded row has, first (metrics and costs follow, as the runs report them)
RUN_COLUMNS = (
    "run",  # the run folder's (or table's) name
    "kind",  # search, sweep or scale
    "space",
    "strategy",
    "evaluator",
    "run_seed",  # the run's seed (``seed`` is the trial's training seed)
    "run_budget",  # networks the run was to evaluate
    "number",
    "arch",
    "hash",
    "state",
    "network",  # a sweep point's label (phi=1, width=2, ...); the variant of a scale table
    "family",  # the network a sweep point's was scaled from (a run's front, swept at several widths)
    "train_size",  # a sweep point's training examples (empty: all)
    "budget_epochs",  # a sweep point's epochs (empty: the evaluator's)
    "replicate",
)


def load_runs(paths: Iterable[str | Path]) -> pd.DataFrame:
    """One row per trial of every run given: run folders (search or sweep) and scale CSV tables.

    Columns: ``RUN_COLUMNS``, then every metric and cost column the runs have (a run lacking one
    has it empty), then the rest of the trial table (seeds, timings, errors, backend columns).
    """
    frames = [_load(Path(p)) for p in paths]
    if not frames:
        raise ResultsError("no runs given")
    frame = pd.concat(frames, ignore_index=True, sort=False)
    first = [c for c in RUN_COLUMNS if c in frame.columns]
    return frame[first + [c for c in frame.columns if c not in first]]


def _load(path: Path) -> pd.DataFrame:
    if path.is_file() and path.suffix == ".csv":
        return _scale_table(path)
    folder = RunFolder(path)
    config = SearchConfig.from_dict(folder.read_config())
    table = read_trials(folder)
    _check_archs(table, config, folder)
    kind = "sweep" if config.strategy == "sweep" else "search"
    run = {
        "run": path.name,
        "kind": kind,
        "space": config.space,
        "strategy": config.strategy,
        "evaluator": config.evaluator,
        "run_seed": config.seed,
        "run_budget": config.budget,
    }
    frame = table.assign(**run)
    points = config.strategy_options.get("points") if kind == "sweep" else None
    frame["network"] = [points[n].get("network", "") for n in frame["number"]] if points else ""
    frame["family"] = [points[n].get("family", "") for n in frame["number"]] if points else ""
    budgets = [_budget(text) for text in frame.get("budget", pd.Series([""] * len(frame))).fillna("")]
    frame["train_size"] = pd.array([b.get("train_size") for b in budgets], dtype="Int64")
    frame["budget_epochs"] = pd.array([b.get("epochs") for b in budgets], dtype="Int64")
    frame["replicate"] = pd.array([b.get("replicate", 0) for b in budgets], dtype="Int64")
    return frame


def _check_archs(table: pd.DataFrame, config: SearchConfig, folder: RunFolder) -> None:
    """Every architecture of the table must be one of the run's space: a table edited by hand is refused
    rather than reported as if its rows were networks."""
    from nasbench.catalog import SPACES

    try:
        space = SPACES.create(config.space, **config.space_options)
    except NasbenchError as exc:
        raise ResultsError(f"{folder.config_path}: {exc}") from None
    for line, text in zip(table.index + 2, table.get("arch", [])):
        try:
            space.decode(str(text))
        except InvalidArchitecture as exc:
            raise ResultsError(
                f"corrupt trial table {folder.trials_path}: line {line} holds {str(text)[:80]!r}, not an "
                f"architecture of the '{config.space}' space ({exc})"
            ) from None


def _budget(text: str) -> dict[str, int]:
    """``"epochs=2,train_size=512"`` as a dict (``Budget.key()``'s form)."""
    out = {}
    for part in filter(None, str(text).split(",")):
        key, _, value = part.partition("=")
        out[key] = int(float(value))
    return out


def _scale_table(path: Path) -> pd.DataFrame:
    """A table written by ``nasbench scale`` (networks and costs) or its ``-grid.csv`` (trained points)."""
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ResultsError(f"cannot read {path}: {exc}") from None
    if "arch" not in table.columns or "params" not in table.columns:
        raise ResultsError(f"{path} is neither a run folder nor a table written by nasbench scale")
    grid = "alpha" in table.columns
    frame = table.assign(
        run=path.stem,
        kind="scale",
        space="mbconv",
        strategy="grid" if grid else "",
        evaluator="train" if grid else "",
        number=range(len(table)),
        state="COMPLETE"
        if not grid
        else table.get("valid_accuracy", pd.Series(index=table.index)).notna().map({True: "COMPLETE", False: "FAIL"}),
    )
    if "variant" in frame.columns:
        frame["network"] = frame["variant"]
    elif grid:
        frame["network"] = [
            f"alpha={a:g},beta={b:g},gamma={g:g}" for a, b, g in zip(frame.alpha, frame.beta, frame.gamma)
        ]
    return frame


def to_parquet(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write the table as Parquet, atomically (a reader never sees half a file)."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    path = Path(path)
    atomic.write_bytes(path, buffer.getvalue())
    return path
