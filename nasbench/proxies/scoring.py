"""Scoring one network with several proxies: each on its own copy, seeded, timed, failures with their reason."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from nasbench.proxies.base import Batch, Undefined, depends_on_input
from nasbench.trial import derive_seed


@dataclass
class Scores:
    """A network's proxy values, the proxies it has none for (name -> why), and each proxy's seconds."""

    values: dict[str, float] = field(default_factory=dict)
    undefined: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def score_network(build: Callable[[], nn.Module], names: Sequence[str], batch: Batch, seed: int) -> Scores:
    """``names`` (see ``nasbench.proxies.PROXIES``) of the network ``build`` makes, its weights initialised
    from ``seed`` (torch's global generator is left as it was), each proxy on its own copy and generator."""
    from nasbench.proxies import PROXIES

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        network = build()
    scores = Scores()
    if not depends_on_input(copy.deepcopy(network), batch.shape, torch.Generator().manual_seed(seed)):
        scores.undefined = dict.fromkeys(names, "no path from the input to the output")
        return scores
    for name in names:
        proxy = PROXIES[name]
        model = copy.deepcopy(network)
        generator = torch.Generator().manual_seed(derive_seed(seed, name))
        started = time.perf_counter()
        try:
            with torch.random.fork_rng(devices=[]):  # dropout and the like draw from the global generator
                torch.manual_seed(derive_seed(seed, name, "global"))
                scores.values[name] = proxy.score(model, batch.first(proxy.batch_size), generator)
        except Undefined as exc:
            scores.undefined[name] = str(exc)
        scores.seconds[name] = time.perf_counter() - started
    return scores


def sample_batch(images: torch.Tensor, labels: torch.Tensor, size: int, num_classes: int, seed: int) -> Batch:
    """``size`` training images drawn without replacement by ``seed``: the batch every network of a run sees."""
    order = np.random.default_rng(seed).permutation(len(labels))[:size]
    index = torch.as_tensor(order)
    return Batch(images[index].float(), labels[index].long(), num_classes)
