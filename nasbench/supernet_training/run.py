"""Starting and resuming a sandwich-training run: its folder, Ray Train, the progress bar.

A run folder holds ``config.json`` (the hyperparameters, fixed for the run), ``epochs.csv`` (loss and
validation accuracy of the largest and the smallest child per epoch), the checkpoints Ray Train
persists under ``checkpoints/`` and, once training ends, ``supernet.safetensors``.

Each start or resume is a new Ray Train run (``checkpoints/attempt-N``) that continues from the
latest complete checkpoint of the folder. Checkpoints are verified by digest when read, so a
checkpoint half-written when the process was killed is passed over, never loaded.
"""

from __future__ import annotations

import io
import re
import shutil
import sys
import threading
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from nasbench.errors import InvalidOption, NasbenchError, ResultsError
from nasbench.space import DecisionSequence, SearchSpace, require_capability
from nasbench.storage import atomic
from nasbench.storage.run_folder import RunFolder
from nasbench.supernet import WeightSharing
from nasbench.supernet_training import worker
from nasbench.supernet_training.checkpoint import checkpoint_epoch, latest_checkpoint, published_weights, read_verified
from nasbench.supernet_training.config import SupernetConfig, read_supernet_config
from nasbench.supernet_training.execution import Execution
from nasbench.supernet_training.shrinking import shrink_phases
from nasbench.training.data import load_data

_ATTEMPT = re.compile(r"^attempt-(\d+)$")
#: columns of the epoch table, in order
EPOCH_COLUMNS = (
    "epoch",
    "lr",
    "loss_largest",
    "loss_distillation",
    "valid_accuracy_largest",
    "valid_accuracy_smallest",
    "valid_loss_largest",
    "valid_loss_smallest",
    "seconds",
)


def _next_attempt(run: Path) -> str:
    attempts = RunFolder(run).checkpoints_dir.glob("attempt-*")
    numbers = [int(m.group(1)) for p in attempts if (m := _ATTEMPT.match(p.name))]
    return f"attempt-{max(numbers, default=0) + 1}"


def write_epochs(run: Path, history: list[dict]) -> None:
    buffer = io.StringIO()
    pd.DataFrame(history, columns=list(EPOCH_COLUMNS)).to_csv(buffer, index=False)
    atomic.write_text(RunFolder(run).epochs_path, buffer.getvalue())


def train_supernet(
    space: SearchSpace, config: SupernetConfig, out: str | Path, execution: Execution = Execution(), quiet=False
) -> Path:
    """Sandwich-train ``space``'s supernet into the new run folder ``out``; returns the trained weights' file."""
    config = config.resolved(require_capability(space, WeightSharing, "supernet training"))
    if config.shrink_epochs > 0:
        decisions = require_capability(space, DecisionSequence, "progressive shrinking (--shrink-epochs)")
        if config.shrink_order:
            shrink_phases(config.shrink_order, decisions.decision_kinds())
    out = Path(out)
    folder = RunFolder(out)
    if folder.exists():
        raise ResultsError(f"{out} already holds a run; resume it with --resume {out} or choose another --out")
    data = load_data(config.dataset, config.data_dir, config.split_seed, config.image_size)  # checks the data now
    _check_batches(config, execution, config.training_examples(len(data.train.labels)))
    execution.check()
    if not quiet:
        print(f"sandwich training {space.name} into {out}", file=sys.stderr)
    created = not out.exists()
    lock = folder.lock()
    try:
        folder.write_config({"supernet": config.to_dict(), "data": asdict(data.spec)})
        return _run(space, config, out, execution, quiet)
    except NasbenchError:
        if created and latest_checkpoint(out) is None:  # refused before its first epoch: leave nothing behind
            shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        lock.release()


def resume_supernet(run: str | Path, space: SearchSpace, execution: Execution = Execution(), quiet=False) -> Path:
    """Continue the run in ``run`` from its latest complete checkpoint; ``space`` is the run's own,
    built from its configuration (``read_supernet_config(run)``)."""
    run = Path(run)
    config = read_supernet_config(run)
    if space.name != config.space:
        raise InvalidOption(f"{run} trains space '{config.space}', not '{space.name}'")
    require_capability(space, WeightSharing, "supernet training")
    data = load_data(config.dataset, config.data_dir, config.split_seed, config.image_size)
    _check_batches(config, execution, config.training_examples(len(data.train.labels)))
    execution.check()
    latest_checkpoint(run)  # an altered checkpoint is refused now, before the run is locked
    lock = RunFolder(run).lock()
    try:
        return _run(space, config, run, execution, quiet)
    finally:
        lock.release()


def _check_batches(config: SupernetConfig, execution: Execution, train_size: int) -> None:
    if config.batch_size % execution.workers:
        raise InvalidOption(
            f"the batch size {config.batch_size} does not split evenly across {execution.workers} workers"
        )
    if worker.steps_per_epoch(train_size, config.batch_size) == 0:
        raise InvalidOption(f"the batch size {config.batch_size} exceeds the {train_size} training images")


def _run(space: SearchSpace, config: SupernetConfig, run: Path, execution: Execution, quiet: bool) -> Path:
    from nasbench.backends.ray.cluster import quiet_tune, ray_connection

    start = latest_checkpoint(run)
    done = 0 if start is None else checkpoint_epoch(start)
    if done >= config.epochs:
        _finish(run, start)
        return RunFolder(run).supernet_weights
    if not quiet and start is not None:
        print(f"resuming {run} after epoch {done} of {config.epochs}", file=sys.stderr)
    with ray_connection(execution.address, run), quiet_tune():
        final = _fit(space, config, run, execution, start, quiet)
    _finish(run, final)
    return RunFolder(run).supernet_weights


def _fit(space, config, run, execution, start, quiet) -> Path:
    import ray.train
    from ray.train.torch import TorchConfig, TorchTrainer
    from ray.util.queue import Queue

    use_gpu = execution.gpus_per_worker > 0
    resources = {"CPU": execution.cpus_per_worker, **({"GPU": execution.gpus_per_worker} if use_gpu else {})}
    _check_cluster_holds(resources, execution.workers)
    progress = Queue(actor_options={"num_cpus": 0})  # the epoch table is written from it, quiet or not
    trainer = TorchTrainer(
        worker.train_loop,
        train_loop_config={
            worker.CONFIG: config.to_dict(),
            worker.SPACE: space,
            worker.PROGRESS: progress,
            worker.THREADS: max(1, int(execution.cpus_per_worker)),
            # passed as a path: Ray Train 2.60 refuses resume_from_checkpoint (ray-project/ray#49454)
            worker.RESUME: None if start is None else str(start.resolve()),
        },
        torch_config=TorchConfig(backend="nccl" if use_gpu else "gloo"),
        scaling_config=ray.train.ScalingConfig(
            num_workers=execution.workers, use_gpu=use_gpu, resources_per_worker=resources
        ),
        run_config=ray.train.RunConfig(
            name=_next_attempt(run),
            storage_path=str(RunFolder(run).checkpoints_dir.resolve()),
            checkpoint_config=ray.train.CheckpointConfig(num_to_keep=1),
            failure_config=ray.train.FailureConfig(max_failures=0),
        ),
    )
    bar = _ProgressBar(progress, run, config.epochs, show=not quiet)
    try:
        result = trainer.fit()
    except ray.train.TrainingFailedError as exc:
        raise NasbenchError(f"supernet training failed: {_first_line(exc)}") from None
    finally:
        bar.stop()
    if result.checkpoint is None:
        raise NasbenchError("supernet training ended without a checkpoint")
    return Path(result.checkpoint.path)


def _check_cluster_holds(resources: dict[str, float], workers: int) -> None:
    """Ray Train would wait forever for workers the cluster cannot hold; say so instead."""
    import ray

    total = ray.cluster_resources()
    short = [f"{workers * need:g} {kind}s" for kind, need in resources.items() if workers * need > total.get(kind, 0)]
    if short:
        have = ", ".join(f"{total.get(kind, 0):g} {kind}s" for kind in resources)
        raise NasbenchError(f"{workers} worker(s) need {' and '.join(short)}; the Ray cluster has {have}")


def _first_line(exc: BaseException) -> str:
    cause = exc
    while cause.__cause__ is not None:
        cause = cause.__cause__
    lines = [line for line in str(cause).strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(cause).__name__


def _finish(run: Path, checkpoint: Path) -> None:
    """Publish the trained weights and the epoch table, and drop the checkpoints of earlier attempts."""
    folder = RunFolder(run)
    meta, files = read_verified(checkpoint)
    atomic.write_bytes(folder.supernet_weights, published_weights(files))
    write_epochs(run, meta["history"])
    kept = checkpoint.parent.resolve()  # Ray reports absolute paths; the run folder may be relative
    for attempt in folder.checkpoints_dir.glob("attempt-*"):
        if attempt.resolve() != kept:
            shutil.rmtree(attempt, ignore_errors=True)


class _ProgressBar:
    """A bar per epoch over its steps (with ``show``), fed by the first worker through a Ray queue; writes
    the epoch table as each epoch ends."""

    def __init__(self, queue, run: Path, epochs: int, show: bool = True) -> None:
        self.queue, self.run, self.epochs, self.show = queue, run, epochs, show
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._follow, daemon=True)
        self.thread.start()

    def _follow(self) -> None:
        from ray.util.queue import Empty
        from tqdm import tqdm

        bar = None
        while not self.stopping.is_set():
            try:
                kind, *event = self.queue.get(timeout=0.5)
            except Empty:
                continue
            except Exception:  # Ray shut down under us: the run is over
                break
            if kind == "step" and self.show:
                epoch, step, steps = event
                if bar is None or bar.desc != f"epoch {epoch}/{self.epochs}":
                    if bar is not None:
                        bar.close()
                    bar = tqdm(total=steps, desc=f"epoch {epoch}/{self.epochs}", unit="step", file=sys.stderr)
                bar.update(step - bar.n)
            elif kind == "epoch":
                (history,) = event
                row = history[-1]
                write_epochs(self.run, history)
                if bar is not None:
                    bar.set_postfix(
                        loss=f"{row['loss_largest']:.3f}",
                        largest=f"{row['valid_accuracy_largest']:.1f}%",
                        smallest=f"{row['valid_accuracy_smallest']:.1f}%",
                    )
                    bar.close()
                    bar = None
        if bar is not None:
            bar.close()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
