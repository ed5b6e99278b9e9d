"""REINFORCE with a controller policy: Zoph & Le, ICLR 2017, as used for NASNet (Zoph et al., CVPR 2018)."""

from __future__ import annotations

import torch

from nasbench.arch import Arch
from nasbench.errors import InvalidOption
from nasbench.space import DecisionSequence
from nasbench.strategies.controller import IndependentController, LSTMController
from nasbench.strategy import Strategy
from nasbench.training.devices import torch_threads
from nasbench.trial import Outcome, Trial, TrialState

CONTROLLERS = ("lstm", "independent")


class Reinforce(Strategy):
    """A policy over the space's decision sequence, trained by REINFORCE (Williams 1992).

    Each proposal is sampled from the controller (an LSTM as in the paper, or one independent
    softmax per decision). Every ``batch_size`` outcomes the policy takes one Adam step on

        - mean_i[(R_i - b) / s * log p(a_i)] - entropy_weight * mean_i[H(p | a_i)]

    where ``b`` is an exponential moving average of the rewards (decay ``baseline_decay``) and ``s``
    the standard deviation of the rewards so far, so that the step does not depend on the reward's
    units (accuracy in percent, negated multiply-adds, ...). The reward is the first objective value.
    A search counts distinct networks, and a policy that has collapsed onto a few proposes only
    repeats. Two things keep it exploring: logits are bounded to (-``logit_bound``, ``logit_bound``)
    (ENAS's tanh constant), and a repeated network (same graph hash) teaches nothing new about the
    reward: it enters the batch with advantage 0, so once repeats dominate, the entropy bonus widens
    the policy again. Baseline and spread are over distinct networks.

    The controller runs on ``threads`` CPU threads (one by default: its matrices are tiny, and on
    torch's default of several threads a ``--budget 100`` search took twice as long; ``None``
    leaves torch's setting). The defaults (an LSTM of ``hidden_size`` 100 as in NASNet, Adam at
    0.003, one step per outcome)
    suit budgets of a few hundred evaluations (see docs/BENCHMARKS.md); searches of tens of
    thousands of models, as in the papers, want a smaller learning rate.

    Proposals never wait: asynchronous workers draw from the current policy while earlier trials
    run. A failed trial (training diverged, or a hard cost constraint refused the network) counts
    as the worst reward seen so far, so the policy learns to stay away from what fails, and so does
    a decision vector the space refuses (it is proposed again, spending no budget); pruned
    trials count with their truncated value. All randomness
    comes from a ``torch.Generator`` seeded with the strategy's seed (the controller's initial
    weights too), so replaying the same asks and tells restores the same policy.
    """

    name = "rl"
    requires = (DecisionSequence,)

    def __init__(
        self,
        space,
        *,
        seed: int = 0,
        controller: str = "lstm",
        hidden_size: int = 100,
        learning_rate: float = 0.003,
        batch_size: int = 1,
        baseline_decay: float = 0.9,
        entropy_weight: float = 0.01,
        logit_bound: float = 2.5,
        threads: int | None = 1,
    ) -> None:
        if controller not in CONTROLLERS:
            raise InvalidOption(f"controller must be one of {', '.join(CONTROLLERS)}, got {controller!r}")
        if hidden_size < 1:
            raise InvalidOption(f"hidden_size must be positive, got {hidden_size}")
        if not learning_rate > 0:
            raise InvalidOption(f"learning_rate must be positive, got {learning_rate}")
        if batch_size < 1:
            raise InvalidOption(f"batch_size must be at least 1, got {batch_size}")
        if not 0 <= baseline_decay < 1:
            raise InvalidOption(f"baseline_decay must be in [0, 1), got {baseline_decay}")
        if entropy_weight < 0:
            raise InvalidOption(f"entropy_weight must be non-negative, got {entropy_weight}")
        if logit_bound < 0:
            raise InvalidOption(f"logit_bound must be non-negative (0: unbounded), got {logit_bound}")
        if threads is not None and threads < 1:
            raise InvalidOption(f"threads must be at least 1 (or None: torch's setting), got {threads}")
        super().__init__(space, seed=seed)
        self.controller = controller
        self.hidden_size = hidden_size
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.baseline_decay = baseline_decay
        self.entropy_weight = entropy_weight
        self.logit_bound = logit_bound
        self.threads = threads

        self.decisions = space.capability(DecisionSequence)
        sizes = list(self.decisions.decision_sizes())
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            if controller == "lstm":
                self.policy = LSTMController(sizes, hidden_size, logit_bound)
            else:
                self.policy = IndependentController(sizes, logit_bound)
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=learning_rate)
        self.generator = torch.Generator().manual_seed(seed)
        self._pending: dict[int, list[int]] = {}  # asked, not told: the sampled decisions
        self._batch: list[tuple[list[int], float]] = []  # (decisions, normalised advantage)
        self._baseline: float | None = None
        self._count, self._mean, self._squares = 0, 0.0, 0.0  # running variance of the rewards (Welford)
        self._worst: float | None = None  # the lowest reward seen: what a failure is worth
        self._rewarded: set[str] = set()  # networks (graph hashes) whose reward was learnt from
        self.updates = 0

    def _propose(self, number: int) -> Arch:
        with torch.no_grad(), torch_threads(self.threads):
            decisions, _, _ = self.policy(1, generator=self.generator)
        chosen = [int(d) for d in decisions[0]]
        self._pending[number] = chosen
        return self.decisions.from_decisions(chosen)

    def tell(self, trial: Trial, outcome: Outcome) -> None:
        decisions = self._pending.pop(trial.number, None)
        if decisions is None:
            raise ValueError(f"trial {trial.number} was not asked of this strategy, or was told already")
        if outcome.state is TrialState.FAIL:
            self._learn_failure(decisions)
            return
        key = trial.arch.hash_key
        repeat = key in self._rewarded
        self._rewarded.add(key)
        self._batch.append((decisions, 0.0 if repeat else self._advantage(outcome.values[0])))
        if len(self._batch) >= self.batch_size:
            self._update()

    def _refuse(self, number: int, reason: str) -> None:
        """Decisions the space refuses are a failure, worth the worst reward seen."""
        self._learn_failure(self._pending.pop(number))

    def _learn_failure(self, decisions: list[int]) -> None:
        if self._worst is not None:
            self._batch.append((decisions, self._scaled(self._worst - self._baseline)))
            if len(self._batch) >= self.batch_size:
                self._update()

    def _advantage(self, reward: float) -> float:
        """The reward against the moving baseline, in units of the standard deviation of the rewards so far."""
        self._worst = reward if self._worst is None else min(self._worst, reward)
        self._count += 1
        delta = reward - self._mean
        self._mean += delta / self._count
        self._squares += delta * (reward - self._mean)
        if self._baseline is None:
            self._baseline = reward
            return 0.0
        advantage = reward - self._baseline
        self._baseline = self.baseline_decay * self._baseline + (1 - self.baseline_decay) * reward
        return self._scaled(advantage)

    def _scaled(self, advantage: float) -> float:
        spread = (self._squares / (self._count - 1)) ** 0.5 if self._count > 1 else 0.0
        return advantage / spread if spread > 0 else 0.0

    def _update(self) -> None:
        decisions = torch.tensor([d for d, _ in self._batch], dtype=torch.long)
        advantages = torch.tensor([a for _, a in self._batch], dtype=torch.float32)
        self._batch.clear()
        with torch_threads(self.threads):
            _, log_prob, entropy = self.policy(len(decisions), decisions)
            loss = -(advantages * log_prob).mean() - self.entropy_weight * entropy.mean()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        self.updates += 1

    def probabilities(self) -> list[list[float]]:
        """The policy's marginal probability of each choice, estimated from its greedy path (for inspection)."""
        with torch.no_grad():
            state = self.policy.initial_state(1)
            previous, out = None, []
            for step in range(len(self.policy.sizes)):
                logits, state = self.policy.logits(step, state, previous)
                probs = torch.softmax(logits, dim=-1)[0]
                out.append([float(p) for p in probs])
                previous = probs.argmax().reshape(1)
        return out
