"""The two-variable law ``L(N, D) = E + A / N^alpha + B / D^beta`` (Hoffmann et al. 2022, approach 3),
fitted as Besiroglu et al. (2024) do, with bootstrap intervals for every parameter."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from nasbench.analysis.fitting import (
    BOOTSTRAP_STARTS,
    Interval,
    bootstrap,
    check_enough,
    check_lengths,
    check_positive,
    fit_lse,
    interval,
    one_thread,
    ranked_starts,
)

NAMES = ("E", "A", "alpha", "B", "beta")


@dataclass(frozen=True)
class LossLawFit:
    E: Interval
    A: Interval
    alpha: Interval
    B: Interval
    beta: Interval
    samples: np.ndarray  # bootstrap (E, A, alpha, B, beta), one row per resample
    n: int

    def predict(self, N, D) -> np.ndarray:
        return law(np.array([p.value for p in self.parameters().values()]), N, D)

    def parameters(self) -> dict[str, Interval]:
        return dict(zip(NAMES, (self.E, self.A, self.alpha, self.B, self.beta)))


def law(params: np.ndarray, N, D) -> np.ndarray:
    """``E + A N^-alpha + B D^-beta`` for parameters (E, A, alpha, B, beta); N and D broadcast."""
    E, A, alpha, B, beta = params
    return E + A * np.asarray(N, dtype=float) ** (-alpha) + B * np.asarray(D, dtype=float) ** (-beta)


def _grid(log_y: np.ndarray) -> list[np.ndarray]:
    floor, mean = log_y.min(), log_y.mean()
    return [
        np.array([floor + np.log(f), mean + da, alpha, mean + db, beta])
        for f, da, alpha, db, beta in itertools.product(
            (0.1, 0.5, 0.9), (-2.0, -0.5, 1.0), (0.2, 0.5, 1.0), (-2.0, -0.5, 1.0), (0.2, 0.5, 1.0)
        )
    ]


def fit_loss_law(N, D, L, *, resamples: int = 1000, seed: int = 0) -> LossLawFit:
    """Fit ``L(N, D)``: Huber (delta 1e-3) on log L of the log-sum-exp form, L-BFGS from a grid of
    243 starting points, the best of them; then ``resamples`` bootstrap refits (rows resampled with
    ``seed``), each from the full-data optimum and the full data's best grid start.

    N and D are rescaled by their geometric means while fitting.
    """
    N, D, L = check_positive("N", N), check_positive("D", D), check_positive("L", L)
    check_lengths(N=N, D=D, L=L)
    distinct = {"N": (len(np.unique(N)), 2), "D": (len(np.unique(D)), 2)}
    check_enough(len(L), 5, "the law L(N, D) = E + A/N^alpha + B/D^beta", distinct)
    n_scale, d_scale = float(np.exp(np.log(N).mean())), float(np.exp(np.log(D).mean()))
    log_x = np.stack([np.log(N / n_scale), np.log(D / d_scale)], axis=1)
    log_y = np.log(L)
    with one_thread():
        starts = ranked_starts(_grid(log_y), log_x, log_y)
        theta, _ = fit_lse(log_x, log_y, starts)
    resample_starts = [theta] + starts[:BOOTSTRAP_STARTS]

    def natural(t: np.ndarray) -> np.ndarray:
        return np.array([np.exp(t[0]), np.exp(t[1]) * n_scale ** t[2], t[2], np.exp(t[3]) * d_scale ** t[4], t[4]])

    def refit(rows: np.ndarray) -> np.ndarray:
        lx, ly = log_x[rows], log_y[rows]
        return natural(fit_lse(lx, ly, resample_starts)[0])

    with one_thread():
        samples = bootstrap(len(L), refit, resamples, seed).reshape(-1, 5)
    best = natural(theta)
    return LossLawFit(*(interval(best[i], samples[:, i]) for i in range(5)), samples=samples, n=len(L))
