"""Policies over a fixed sequence of categorical decisions, for REINFORCE.

Both controllers answer the same call: sample a batch of decision sequences (or score given ones)
and return, per sequence, the log-probability and the entropy of the policy along it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import torch
from torch import nn


class _Controller(nn.Module, ABC):
    """``logit_bound`` c > 0 squashes every logit into (-c, c) by c * tanh(logit / c), which caps how
    sure the policy can become of one choice (ENAS's tanh constant, Pham et al., ICML 2018)."""

    def __init__(self, sizes: Sequence[int], logit_bound: float = 0.0) -> None:
        super().__init__()
        if not sizes or any(int(n) < 1 for n in sizes):
            raise ValueError(f"a controller needs at least one decision, each with a choice, got sizes {list(sizes)}")
        if logit_bound < 0:
            raise ValueError(f"logit_bound must be non-negative (0: unbounded), got {logit_bound}")
        self.sizes = [int(n) for n in sizes]
        self.logit_bound = float(logit_bound)

    def forward(
        self, count: int, decisions: torch.Tensor | None = None, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``count`` sequences: sampled from ``generator`` when ``decisions`` is ``None``, else scored.

        Returns the decisions ``[count, steps]``, their log-probabilities ``[count]`` and the summed
        entropy of each step's distribution ``[count]``.
        """
        chosen, log_prob, entropy = [], torch.zeros(count), torch.zeros(count)
        state = self.initial_state(count)
        for step, _size in enumerate(self.sizes):
            logits, state = self.logits(step, state, None if step == 0 else chosen[-1])
            log_probs = torch.log_softmax(logits, dim=-1)
            probs = log_probs.exp()
            if decisions is None:
                choice = torch.multinomial(probs, 1, generator=generator).squeeze(1)
            else:
                choice = decisions[:, step]
            chosen.append(choice)
            log_prob = log_prob + log_probs.gather(1, choice.unsqueeze(1)).squeeze(1)
            entropy = entropy - (probs * log_probs).sum(dim=-1)
        return torch.stack(chosen, dim=1), log_prob, entropy

    def logits(self, step: int, state, previous: torch.Tensor | None):
        """``step_logits``, bounded."""
        logits, state = self.step_logits(step, state, previous)
        if self.logit_bound > 0:
            logits = self.logit_bound * torch.tanh(logits / self.logit_bound)
        return logits, state

    @abstractmethod
    def initial_state(self, count: int):
        """The recurrent state before the first decision of ``count`` sequences."""

    @abstractmethod
    def step_logits(self, step: int, state, previous: torch.Tensor | None):
        """Logits ``[count, sizes[step]]`` of decision ``step`` and the next state."""


class LSTMController(_Controller):
    """An autoregressive LSTM policy (Zoph & Le, ICLR 2017; NASNet, Zoph et al., CVPR 2018).

    Each step feeds the embedding of the previous decision to one LSTM cell and reads the next
    decision's logits from a softmax head of its own.
    """

    def __init__(self, sizes: Sequence[int], hidden_size: int = 100, logit_bound: float = 0.0) -> None:
        super().__init__(sizes, logit_bound)
        if hidden_size < 1:
            raise ValueError(f"hidden_size must be positive, got {hidden_size}")
        self.start = nn.Parameter(torch.zeros(1, hidden_size))
        self.embeddings = nn.ModuleList(nn.Embedding(n, hidden_size) for n in self.sizes[:-1])
        self.cell = nn.LSTMCell(hidden_size, hidden_size)
        self.heads = nn.ModuleList(nn.Linear(hidden_size, n) for n in self.sizes)
        for head in self.heads:  # start near the uniform policy
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)

    def initial_state(self, count: int):
        zeros = torch.zeros(count, self.cell.hidden_size)
        return zeros, zeros

    def step_logits(self, step: int, state, previous):
        inputs = self.start.expand(state[0].shape[0], -1) if previous is None else self.embeddings[step - 1](previous)
        hidden, cell = self.cell(inputs, state)
        return self.heads[step](hidden), (hidden, cell)


class IndependentController(_Controller):
    """One independent softmax per decision, as NAS-Bench-201's REINFORCE baseline (Dong & Yang, ICLR 2020)."""

    def __init__(self, sizes: Sequence[int], logit_bound: float = 0.0) -> None:
        super().__init__(sizes, logit_bound)
        self.weights = nn.ParameterList(nn.Parameter(torch.zeros(n)) for n in self.sizes)

    def initial_state(self, count: int):
        return count

    def step_logits(self, step: int, state, previous):
        return self.weights[step].expand(state, -1), state
