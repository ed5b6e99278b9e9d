"""Early stopping of a deterministic search: successive halving whose decisions do not depend on timing.

Ray's ASHA (Li et al. 2020) stops a trial at a rung when its value is below the top ``1 /
reduction_factor`` of the values recorded at that rung so far: which trials have reached the rung by
then depends on timing. Here a trial is compared only with the trials a deterministic search had told
the strategy when it asked this one (numbers up to ``number - window``): all of them have ended, so
their values at every rung are known, whatever the timing. The rungs and the cut are Ray's; what
changes is that a trial is compared with fewer, earlier trials (none for the first ``window``), so a
little less is pruned early in a search (``benchmarks/deterministic.py`` measures both).

The values behind the decisions are kept in each trial's ``epoch_values`` column, so a resumed search
decides as the uninterrupted one would have.
"""

from __future__ import annotations

import math

import numpy as np
from ray.tune.schedulers import FIFOScheduler, TrialScheduler

from nasbench.backends.ray.trainable import EPOCH, NUMBER, OBJECTIVE


def parse_epoch_values(text) -> dict[int, float]:
    """``"0.5;0.61;0.7"`` (the objective after epochs 1, 2, 3) as ``{1: 0.5, 2: 0.61, 3: 0.7}``."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return {}
    return {epoch: float(value) for epoch, value in enumerate(str(text).split(";"), start=1) if value}


class OrderedASHA(FIFOScheduler):
    """ASHA's rungs (``grace_period * reduction_factor^k`` epochs, up to ``max_t``) and cut, against earlier
    trials only."""

    def __init__(
        self,
        window: int,
        max_t: int,
        grace_period: int,
        reduction_factor: float,
        known: dict[int, dict[int, float]] | None = None,
    ) -> None:
        super().__init__()
        self.window = window
        self.reduction_factor = reduction_factor
        rungs = int(np.log(max_t / grace_period) / np.log(reduction_factor) + 1)
        self.milestones = {int(grace_period * reduction_factor**k) for k in range(rungs)}
        #: trial number -> epoch -> the first objective value after it (trials of earlier drivers included)
        self.known: dict[int, dict[int, float]] = {n: dict(v) for n, v in (known or {}).items()}

    def on_trial_result(self, tune_controller, trial, result: dict) -> str:
        number, epoch, value = trial.config[NUMBER], int(result[EPOCH]), result[OBJECTIVE]
        self.known.setdefault(number, {})[epoch] = value
        if epoch not in self.milestones or value is None or math.isnan(value):
            return TrialScheduler.CONTINUE
        earlier = [v[epoch] for n, v in self.known.items() if n <= number - self.window and epoch in v]
        if not earlier:
            return TrialScheduler.CONTINUE
        cutoff = np.nanpercentile(earlier, (1 - 1 / self.reduction_factor) * 100)
        return TrialScheduler.STOP if value < cutoff else TrialScheduler.CONTINUE
