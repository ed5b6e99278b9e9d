"""What each Ray Train worker runs: sandwich training over its share of every global batch.

Every source of randomness is fixed by the run's seed: the initial weights, the data order (a function
of seed and epoch, not of a live generator), the children (one generator whose state the checkpoint
keeps) and dropout (reseeded per epoch and worker). A run resumed from a checkpoint therefore continues
exactly as the uninterrupted run would have.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from nasbench.space import SearchSpace
from nasbench.supernet import WeightSharing
from nasbench.supernet_training.checkpoint import TrainingState, load_checkpoint, save_checkpoint
from nasbench.supernet_training.config import SupernetConfig
from nasbench.supernet_training.inherit import inherited_child
from nasbench.supernet_training.sandwich import average_gradients, draw_step, sandwich_step
from nasbench.supernet_training.schedule import make_scheduler
from nasbench.supernet_training.shrinking import decision_growth
from nasbench.supernet_training.zero_init import zero_last_norm_scales
from nasbench.training.data import Data, load_data
from nasbench.training.trainer import evaluate
from nasbench.trial import derive_seed

# keys of the loop's configuration (plain values and the space, which Ray pickles to the workers)
CONFIG, SPACE, PROGRESS, THREADS, RESUME = "config", "space", "progress", "threads", "resume"


def build_supernet(space: SearchSpace, data: Data, seed: int) -> torch.nn.Module:
    """The supernet's initial weights, from ``seed`` alone (the same on every worker)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        supernet = space.capability(WeightSharing).build_supernet(data.spec)
    zero_last_norm_scales(supernet)
    return supernet


def build_optimizer(supernet: torch.nn.Module, config: SupernetConfig) -> torch.optim.Optimizer:
    """SGD with Nesterov momentum (the default), RMSProp (BigNAS's, Yu et al. 2020) or AdamW (AutoFormer's,
    Chen et al. 2021), with the run's learning rate, momentum and weight decay."""
    params, lr, decay = supernet.parameters(), config.lr, config.weight_decay
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.9, eps=1e-3, momentum=config.momentum, weight_decay=decay)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=decay)
    return torch.optim.SGD(params, lr=lr, momentum=config.momentum, weight_decay=decay, nesterov=config.momentum > 0)


def moving_average(supernet: torch.nn.Module, decay: float) -> torch.optim.swa_utils.AveragedModel | None:
    """The exponential moving average of the weights (and batch-norm buffers) BigNAS validates, or None."""
    if decay == 0:
        return None
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    return AveragedModel(supernet, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


def epoch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    return torch.randperm(n, generator=torch.Generator().manual_seed(derive_seed(seed, "order", epoch)))


def validate(space, supernet, data: Data, device, config: SupernetConfig) -> dict[str, float]:
    """Validation accuracy and loss of the largest and the smallest child, with inherited weights."""
    sharing = space.capability(WeightSharing)
    row = {}
    for name, child in (("largest", sharing.largest()), ("smallest", sharing.smallest())):
        model = inherited_child(space, supernet, child, data, device, config.bn_batches, config.batch_size)
        accuracy, loss = evaluate(model, data.valid, device)
        row[f"valid_accuracy_{name}"], row[f"valid_loss_{name}"] = accuracy, loss
    return row


def train_loop(loop_config: dict) -> None:
    """Ray Train's ``train_loop_per_worker``."""
    import ray.train
    import ray.train.torch

    config = SupernetConfig.from_dict(loop_config[CONFIG])
    space: SearchSpace = loop_config[SPACE]
    progress = loop_config[PROGRESS]  # a ray.util.queue.Queue to the driver's progress bar, or None
    context = ray.train.get_context()
    rank, world = context.get_world_rank(), context.get_world_size()
    device = ray.train.torch.get_device()
    if device.type == "cpu":
        torch.set_num_threads(loop_config[THREADS])
    data = load_data(config.dataset, config.data_dir, config.split_seed, config.image_size)
    supernet = build_supernet(space, data, config.seed).to(device)
    optimizer = build_optimizer(supernet, config)
    examples = config.training_examples(len(data.train.labels))
    train_images, train_labels = data.train.images[:examples], data.train.labels[:examples]
    steps = steps_per_epoch(examples, config.batch_size)
    scheduler = make_scheduler(
        optimizer, round(config.warmup_epochs * steps), config.epochs * steps, config.final_lr_fraction
    )
    averaged = moving_average(supernet, config.ema)
    children_rng = np.random.default_rng(derive_seed(config.seed, "children"))
    state = TrainingState(0, children_rng.bit_generator.state, [])
    # a checkpoint of this attempt (Ray Train restarting its workers) before the one the run resumes from
    checkpoint = ray.train.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as folder:
            state = load_checkpoint(Path(folder), supernet, optimizer, scheduler, averaged)
    elif loop_config[RESUME] is not None:
        state = load_checkpoint(Path(loop_config[RESUME]), supernet, optimizer, scheduler, averaged)
    children_rng.bit_generator.state = state.children_rng
    shard = config.batch_size // world
    for epoch in range(state.epoch + 1, config.epochs + 1):
        start = time.perf_counter()
        torch.manual_seed(derive_seed(config.seed, "dropout", epoch, rank))
        order = epoch_order(examples, config.seed, epoch)
        supernet.train()
        totals = torch.zeros(2, dtype=torch.float64)
        for step in range(steps):
            batch = order[step * config.batch_size : (step + 1) * config.batch_size]
            mine = batch[rank * shard : (rank + 1) * shard]
            x, y = train_images[mine].to(device), train_labels[mine].to(device)
            grown = decision_growth(space, config.grown(epoch, step, steps), config.shrink_order)
            children, pools = draw_step(space, children_rng, config.random_children, config.attentive, grown)
            optimizer.zero_grad(set_to_none=True)
            losses = sandwich_step(supernet, children, x, y, config.label_smoothing, pools, config.distill_weight)
            if not math.isfinite(losses.largest):
                raise FloatingPointError(f"the largest child's loss diverged ({losses.largest}) in epoch {epoch}")
            average_gradients(supernet, world)
            torch.nn.utils.clip_grad_norm_(supernet.parameters(), config.grad_clip)
            optimizer.step()
            scheduler.step()
            if averaged is not None:
                averaged.update_parameters(supernet)
            totals += torch.tensor([losses.largest, losses.distillation], dtype=torch.float64)
            if rank == 0 and progress is not None:
                progress.put_nowait(("step", epoch, step + 1, steps))
        seconds = time.perf_counter() - start  # the training steps, without validation
        if world > 1:  # the epoch's mean loss over every worker's share
            import torch.distributed as dist

            dist.all_reduce(totals)
            totals /= world
        if rank != 0:
            ray.train.report({})
            continue
        row = {
            "epoch": epoch,
            "lr": scheduler.get_last_lr()[0],
            "loss_largest": totals[0].item() / steps,
            "loss_distillation": totals[1].item() / steps,
            **validate(space, supernet if averaged is None else averaged.module, data, device, config),
            "seconds": seconds,
        }
        state = TrainingState(epoch, children_rng.bit_generator.state, [*state.history, row])
        with tempfile.TemporaryDirectory() as folder:
            save_checkpoint(Path(folder), supernet, optimizer, scheduler, state, averaged)
            ray.train.report(
                row,
                checkpoint=ray.train.Checkpoint.from_directory(folder),
                checkpoint_dir_name=f"epoch-{epoch:04d}",
            )
        if progress is not None:
            progress.put_nowait(("epoch", state.history))


def steps_per_epoch(train_size: int, batch_size: int) -> int:
    """Whole global batches only: every worker gets an equal share of every batch."""
    return train_size // batch_size
