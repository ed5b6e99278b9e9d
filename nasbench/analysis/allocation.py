"""Compute-optimal allocation from a fitted ``L(N, D)``: how to split a compute budget between
parameters and data, its exponents, and the loss extrapolated to a larger budget.

With compute ``C = k N D`` (k = 6 FLOPs per parameter and example for a dense network, forward
and backward; k = 3 with multiply-adds), minimising ``E + A N^-alpha + B D^-beta`` gives
``N_opt = G (C/k)^a`` and ``D_opt = (C/k)^b / G`` with ``a = beta / (alpha + beta)``,
``b = alpha / (alpha + beta)`` and ``G = (alpha A / (beta B))^(1 / (alpha + beta))``
(Hoffmann et al. 2022, appendix D). Intervals come from the law's bootstrap samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nasbench.analysis.fitting import Interval, interval
from nasbench.analysis.loss_law import LossLawFit, law

FLOPS_PER_PARAMETER_EXAMPLE = 6.0


def optimal_split(params: np.ndarray, compute, k: float = FLOPS_PER_PARAMETER_EXAMPLE) -> tuple[np.ndarray, np.ndarray]:
    """(N_opt, D_opt) at ``compute`` for one parameter vector (E, A, alpha, B, beta)."""
    _, A, alpha, B, beta = params
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # extreme bootstrap draws give inf
        g = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
        c = np.asarray(compute, dtype=float) / k
        n_opt = g * c ** (beta / (alpha + beta))
        return n_opt, c / n_opt


@dataclass(frozen=True)
class Allocation:
    a: Interval  # N_opt grows as C^a
    b: Interval  # D_opt grows as C^b (a + b = 1)
    k: float  # compute = k N D
    fit: LossLawFit

    def optimum(self, compute, level: float = 0.95) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """N_opt, D_opt and the loss there at each compute: (value, low, high) each."""
        compute = np.atleast_1d(np.asarray(compute, dtype=float))
        best = np.array([p.value for p in self.fit.parameters().values()])

        def at(params):
            n, d = optimal_split(params, compute, self.k)
            return n, d, law(params, n, d)

        values = at(best)
        draws = [at(p) for p in self.fit.samples] if len(self.fit.samples) else []
        tail = 100 * (1 - level) / 2
        out = {}
        for i, name in enumerate(("N_opt", "D_opt", "loss")):
            if draws:
                stack = np.stack([d[i] for d in draws])
                # order statistics, not interpolation: a draw without a finite optimum (inf) stays inf
                low = np.nanpercentile(stack, tail, axis=0, method="lower")
                high = np.nanpercentile(stack, 100 - tail, axis=0, method="higher")
            else:
                low = high = np.full_like(values[i], np.nan)
            out[name] = (values[i], low, high)
        return out


def compute_optimal(fit: LossLawFit, k: float = FLOPS_PER_PARAMETER_EXAMPLE) -> Allocation:
    """The exponents of ``N_opt(C)`` and ``D_opt(C)`` with intervals; ``optimum(C)`` extrapolates."""
    alpha, beta = fit.alpha.value, fit.beta.value
    s = fit.samples
    a_samples = s[:, 4] / (s[:, 2] + s[:, 4]) if len(s) else np.empty(0)
    return Allocation(
        a=interval(beta / (alpha + beta), a_samples),
        b=interval(alpha / (alpha + beta), 1 - a_samples),
        k=k,
        fit=fit,
    )
