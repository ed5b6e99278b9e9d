"""Exporting a trial of a finished (or interrupted) search run."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from nasbench.catalog import SPACES
from nasbench.config import SearchConfig
from nasbench.errors import ResultsError
from nasbench.export.exporter import export_architecture
from nasbench.results import TrialRecord, best_record, read_records
from nasbench.space import Buildable, DataSpec, require_capability
from nasbench.storage.run_folder import WEIGHTS_DIR, RunFolder
from nasbench.storage.weights import load_fitting, load_weights
from nasbench.trial import TrialState


def pick_trial(records: list[TrialRecord], run: Path, trial: int | None) -> TrialRecord:
    """Trial ``trial`` of the run, or its best completed trial when ``trial`` is None."""
    by_number = {r.number: r for r in records}
    if trial is None:
        best = best_record(records)
        if best is None:
            raise ResultsError(f"run {run} has no completed trial to export")
        return best
    if trial not in by_number:
        raise ResultsError(f"run {run} has no trial {trial} (it has trials 0 to {len(records) - 1})")
    record = by_number[trial]
    if record.duplicate_of is not None:
        record = by_number[record.duplicate_of]
    if record.state is not TrialState.COMPLETE or not record.evaluated:
        raise ResultsError(f"trial {trial} of run {run} did not complete ({record.state.value}); pick a completed one")
    return record


def export_trial(
    run: str | Path,
    out: str | Path,
    *,
    trial: int | None = None,
    formats: Iterable[str] = (),
    finetune_epochs: int = 0,
) -> tuple[Path, TrialRecord]:
    """Export one trial of ``run`` (the best by default), with its trained weights if the run kept them.

    ``finetune_epochs`` trains the network further from those weights, on the run's data, before export.
    """
    folder = RunFolder(run)
    config = SearchConfig.from_dict(folder.read_config())
    record = pick_trial(read_records(folder), folder.path, trial)
    space = SPACES.create(config.space, **config.space_options)
    arch = space.decode(record.arch)
    weights_file = folder.path / WEIGHTS_DIR / f"{record.hash}.safetensors"
    trained = config.evaluator == "train" or weights_file.parent.is_dir()  # a look-up run keeps none
    if trained and not weights_file.exists():
        options = "".join(f" -O {key}={value}" for key, value in config.space_options.items())
        raise ResultsError(
            f"the trained weights of trial {record.number} are missing ({weights_file}); "
            f"to export the network untrained: nasbench export --arch '{record.arch}' --space {config.space}{options}"
        )
    weights = load_weights(weights_file) if trained else None
    data = DataSpec(**config.data) if config.data else require_capability(space, Buildable, "export").default_data()
    # a table written before non-finite metrics failed their trial may hold inf, which JSON cannot
    finite = {name: value for name, value in record.metrics.items() if math.isfinite(value)}
    metrics = {"trial": record.number, **finite}
    if finetune_epochs:
        from nasbench.export.finetune import finetune, run_data

        if weights is None:
            raise ResultsError(f"run {folder.path} kept no weights of trial {record.number} to fine-tune")
        model = space.build(arch, data)
        load_fitting(model, weights, f"the weights of trial {record.number} do not fit its architecture")
        tuned = finetune(model, run_data(config), finetune_epochs, seed=config.seed)
        weights = model.cpu()
        metrics.update({"finetune_epochs": finetune_epochs, "finetuned_valid_accuracy": tuned["valid_accuracy"]})
    return export_architecture(space, arch, out, data=data, weights=weights, metrics=metrics, formats=formats), record
