"""The Ray backend: its options, checked before a run folder is written, and a search run as one Tune experiment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from nasbench.backend import Backend
from nasbench.backends.ray.cluster import check_reachable
from nasbench.errors import InvalidOption, NasbenchError

if TYPE_CHECKING:
    from nasbench.evaluator import Evaluator
    from nasbench.session import SearchSession
    from nasbench.space import SearchSpace
    from nasbench.trial import Budget

SCHEDULERS = ("none", "asha")


class RayBackend(Backend):
    """Runs each candidate as a Ray Tune trial: an embedded local Ray, or a cluster joined at ``address``.

    ``gpus_per_trial=None`` gives each trial one GPU when the cluster has GPUs and the evaluator
    trains on one, none otherwise; fractions (0.5) pack several small candidates onto a GPU.
    ``max_concurrent=None`` runs as many trials at once as the resources allow. ``scheduler="asha"``
    stops weak candidates early (asynchronous successive halving over epochs, Li et al. 2020);
    a trial that raises or whose worker dies is retried up to ``max_failures`` times.

    With ``max_concurrent=1`` a search proposes exactly what the local backend proposes, and a
    resumed run ends with the trials of an uninterrupted one. With more trials at once, results
    come back in an order that depends on timing, and so may the strategy's later proposals.
    """

    def __init__(
        self,
        address: str | None = None,
        cpus_per_trial: float = 1.0,
        gpus_per_trial: float | None = None,
        max_concurrent: int | None = None,
        scheduler: str = "none",
        grace_period: int = 1,
        reduction_factor: float = 4.0,
        max_failures: int = 1,
    ) -> None:
        if not cpus_per_trial > 0:
            raise InvalidOption(f"cpus_per_trial must be positive, got {cpus_per_trial}")
        if gpus_per_trial is not None and not gpus_per_trial >= 0:
            raise InvalidOption(f"gpus_per_trial must be 0 or more, got {gpus_per_trial}")
        if max_concurrent is not None and max_concurrent < 1:
            raise InvalidOption(f"max_concurrent must be at least 1, got {max_concurrent}")
        if scheduler not in SCHEDULERS:
            raise InvalidOption(f"unknown scheduler '{scheduler}'; choose from: {', '.join(SCHEDULERS)}")
        if grace_period < 1:
            raise InvalidOption(f"grace_period must be at least 1 epoch, got {grace_period}")
        if not reduction_factor > 1:
            raise InvalidOption(f"reduction_factor must be greater than 1, got {reduction_factor}")
        if max_failures < 0:
            raise InvalidOption(f"max_failures must be 0 or more, got {max_failures}")
        self.address = address
        self.cpus_per_trial = float(cpus_per_trial)
        self.gpus_per_trial = None if gpus_per_trial is None else float(gpus_per_trial)
        self.max_concurrent = max_concurrent
        self.scheduler = scheduler
        self.grace_period = grace_period
        self.reduction_factor = float(reduction_factor)
        self.max_failures = max_failures

    def check(self, evaluator: Evaluator, budget: Budget) -> None:
        """Refuse, before anything is written, what cannot run: a cluster nobody answers at
        ``address``, a device the embedded Ray's machine (this one) lacks, early stopping of trials
        without epochs to stop at."""
        if self.address is not None:
            check_reachable(self.address)  # its nodes' devices are theirs to check
        else:
            self._check_fits_this_machine()
            evaluator.check_device()
        self._check_early_stopping(budget)

    def _check_early_stopping(self, budget: Budget) -> None:
        if self.scheduler == "asha" and (budget.epochs or 1) - 1 < self.grace_period:
            raise InvalidOption(
                f"early stopping needs candidates trained for more than grace_period={self.grace_period} epoch(s); "
                f"they train for {budget.epochs or 1}"
            )

    def slots(self) -> int:
        """``max_concurrent``, or as many trials as this machine's CPUs (and GPUs) hold for an embedded Ray.

        A cluster's size is known only once it is joined, and a deterministic search must know it before:
        there, give ``max_concurrent``."""
        if self.max_concurrent is not None:
            return self.max_concurrent
        if self.address is not None:
            raise InvalidOption(
                "a deterministic search on a cluster needs --max-concurrent (the trials that run at once); "
                "or give --no-deterministic"
            )
        slots = int((os.cpu_count() or 1) // self.cpus_per_trial)
        if self.gpus_per_trial:
            import torch

            slots = min(slots, int(torch.cuda.device_count() // self.gpus_per_trial))
        return max(1, slots)

    def _check_fits_this_machine(self) -> None:
        """A trial asking for more than the machine has would wait for it forever."""
        import torch

        cpus = os.cpu_count() or 1
        if self.cpus_per_trial > cpus:
            raise InvalidOption(
                f"--cpus-per-trial {self.cpus_per_trial:g} is more than the {cpus} CPUs of this machine; "
                "no trial could start"
            )
        if self.gpus_per_trial and not torch.cuda.is_available():
            raise InvalidOption(
                f"--gpus-per-trial {self.gpus_per_trial:g} but torch sees no GPU on this machine; no trial could start"
            )

    def run(self, session: SearchSession, space: SearchSpace, evaluator: Evaluator, folder: Path) -> None:
        """Run the session's remaining evaluations as Tune trials; Tune's logs go to ``folder/tune``."""
        from ray import tune

        from nasbench.backends.ray import tuning
        from nasbench.backends.ray.cluster import quiet_tune, ray_connection
        from nasbench.backends.ray.searcher import SessionSearcher
        from nasbench.backends.ray.trainable import evaluate_trial

        folder = Path(folder).resolve()
        if session.done():
            return
        scheduler = None
        if self.scheduler == "asha":
            self._check_early_stopping(session.trial_budget)
            scheduler = tuning.asha(session, self.grace_period, self.reduction_factor)
        storage = folder / tuning.TUNE_DIR
        with ray_connection(self.address, folder):
            resources = {"cpu": self.cpus_per_trial, "gpu": tuning.gpus_per_trial(self.gpus_per_trial, evaluator)}
            tuning.check_some_node_fits(resources, folder)
            trainable = tune.with_parameters(
                evaluate_trial,
                space=space,
                evaluator=evaluator,
                objective=session.objective,
                workdir=os.getcwd(),
                threads=max(1, int(self.cpus_per_trial)),  # torch in the worker uses the CPUs the trial holds
                keep_epoch_values=scheduler is not None and session.window is not None,
            )
            searcher = SessionSearcher(session)
            with quiet_tune():
                tune.Tuner(
                    tune.with_resources(trainable, resources),
                    tune_config=tune.TuneConfig(
                        search_alg=searcher,
                        scheduler=scheduler,
                        num_samples=-1,  # the searcher says when the budget is spent
                        max_concurrent_trials=self.max_concurrent,
                        reuse_actors=True,
                        trial_name_creator=tuning.trial_name,
                        trial_dirname_creator=tuning.trial_name,
                    ),
                    run_config=tune.RunConfig(
                        name=tuning.experiment_name(storage),
                        storage_path=str(storage),
                        failure_config=tune.FailureConfig(max_failures=self.max_failures),
                        callbacks=[searcher.watcher()],
                        verbose=0,
                    ),
                ).fit()
        session.flush()
        searcher.raise_error()
        if not session.done():
            raise NasbenchError(
                f"Tune stopped with {session.running()} trial(s) unfinished; resume the run to evaluate them"
            )
