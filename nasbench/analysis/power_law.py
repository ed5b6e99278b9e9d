"""The saturating power law ``y = E + A * x^(-alpha)`` of error or loss against one scale
(parameters, multiply-adds, training compute, examples), with bootstrap intervals."""

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


@dataclass(frozen=True)
class PowerLawFit:
    E: Interval  # the irreducible part: y as x grows without bound
    A: Interval
    alpha: Interval
    samples: np.ndarray  # bootstrap (E, A, alpha), one row per resample
    n: int  # rows fitted

    def predict(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return self.E.value + self.A.value * x ** (-self.alpha.value)

    def band(self, x, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise bootstrap interval of the fitted curve at ``x``."""
        x = np.asarray(x, dtype=float)
        curves = self.samples[:, :1] + self.samples[:, 1:2] * x[None, :] ** (-self.samples[:, 2:3])
        tail = 100 * (1 - level) / 2
        return np.percentile(curves, tail, axis=0), np.percentile(curves, 100 - tail, axis=0)

    def parameters(self) -> dict[str, Interval]:
        return {"E": self.E, "A": self.A, "alpha": self.alpha}


def _grid(log_y: np.ndarray) -> list[np.ndarray]:
    floor = log_y.min()
    return [
        np.array([floor + np.log(f), log_y.mean() + da, alpha])
        for f, da, alpha in itertools.product((0.05, 0.5, 0.9), (-2.0, 0.0, 1.0), (0.1, 0.3, 0.6, 1.0, 2.0))
    ]


def fit_power_law(x, y, *, resamples: int = 1000, seed: int = 0) -> PowerLawFit:
    """Fit ``y = E + A x^-alpha`` (Huber on log y, L-BFGS from a grid; see ``fitting``) and bootstrap it.

    ``x`` is rescaled by its geometric mean while fitting, so the starting grid suits any unit.
    """
    x, y = check_positive("x", x), check_positive("y", y)
    check_lengths(x=x, y=y)
    check_enough(len(x), 3, "a power law E + A x^-alpha", {"x": (len(np.unique(x)), 3)})
    scale = float(np.exp(np.log(x).mean()))
    log_x, log_y = np.log(x / scale)[:, None], np.log(y)
    with one_thread():
        starts = ranked_starts(_grid(log_y), log_x, log_y)
        theta, _ = fit_lse(log_x, log_y, starts)
    resample_starts = [theta] + starts[:BOOTSTRAP_STARTS]

    def natural(t: np.ndarray) -> np.ndarray:  # (E, A, alpha) in the units of x
        return np.array([np.exp(t[0]), np.exp(t[1]) * scale ** t[2], t[2]])

    def refit(rows: np.ndarray) -> np.ndarray:
        lx, ly = log_x[rows], log_y[rows]
        return natural(fit_lse(lx, ly, resample_starts)[0])

    with one_thread():
        samples = bootstrap(len(x), refit, resamples, seed)
    samples = samples.reshape(-1, 3)
    best = natural(theta)
    return PowerLawFit(*(interval(best[i], samples[:, i]) for i in range(3)), samples=samples, n=len(x))
