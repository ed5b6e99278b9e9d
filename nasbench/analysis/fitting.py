"""What every law here shares: a Huber loss on log y of a log-sum-exp form, L-BFGS from a grid
of starting points (best of them), and intervals by a seeded bootstrap over rows.

The form follows Hoffmann et al. (2022, approach 3) as re-examined by Besiroglu et al. (2024):
a law ``y = E + sum_k A_k * x_k^(-alpha_k)`` is written ``log y = LSE(e, a_k - alpha_k log x_k)``
with ``E = exp(e)``, ``A_k = exp(a_k)``, and fitted by minimising ``sum Huber_delta(LSE(...) - log y)``
with delta = 1e-3. The optimiser is scipy's L-BFGS-B; nothing here is an optimiser of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from nasbench.errors import NasbenchError

HUBER_DELTA = 1e-3
#: bootstrap fits start from the full-data optimum and this many of the full data's best grid starts
BOOTSTRAP_STARTS = 1


@dataclass(frozen=True)
class Interval:
    """A point estimate with its bootstrap percentile interval."""

    value: float
    low: float
    high: float

    def __contains__(self, x: float) -> bool:
        return self.low <= x <= self.high

    @property
    def width(self) -> float:
        return self.high - self.low

    def __str__(self) -> str:
        return f"{self.value:.4g} [{self.low:.4g}, {self.high:.4g}]"


def huber_objective(theta: np.ndarray, log_x: np.ndarray, log_y: np.ndarray) -> tuple[float, np.ndarray]:
    """Sum of Huber losses of ``LSE(e, a_k - alpha_k log x_k) - log y`` and its gradient.

    ``theta = (e, a_1, alpha_1, ..., a_K, alpha_K)``; ``log_x`` is n x K.
    """
    k = log_x.shape[1]
    terms = np.empty((len(log_y), k + 1))
    terms[:, 0] = theta[0]
    terms[:, 1:] = theta[1::2][:k] - theta[2::2][:k] * log_x
    top = terms.max(axis=1, keepdims=True)
    shifted = np.exp(terms - top)
    total = shifted.sum(axis=1)
    r = top[:, 0] + np.log(total) - log_y  # log-sum-exp, by hand: scipy's costs more than the fit
    dr = np.clip(r, -HUBER_DELTA, HUBER_DELTA)  # d Huber / d r
    loss = float((dr * (r - 0.5 * dr)).sum())  # 0.5 r^2 inside the band, delta (|r| - delta/2) outside
    weights = shifted * (dr / total)[:, None]  # softmax of the terms, times d Huber / d r
    grad = np.empty_like(theta)
    grad[0] = weights[:, 0].sum()
    grad[1::2] = weights[:, 1:].sum(axis=0)
    grad[2::2] = -(weights[:, 1:] * log_x).sum(axis=0)
    return loss, grad


def fit_lse(log_x: np.ndarray, log_y: np.ndarray, starts: Sequence[np.ndarray]) -> tuple[np.ndarray, float]:
    """L-BFGS from every start; the parameters with the lowest loss, and that loss.

    Exponents are bounded to [0, 10]: a law whose term grows with scale is no scaling law.
    """
    k = log_x.shape[1]
    bounds = [(None, None)] + [(None, None), (0.0, 10.0)] * k
    best, best_loss = None, np.inf
    for start in starts:
        result = minimize(huber_objective, start, args=(log_x, log_y), jac=True, method="L-BFGS-B", bounds=bounds)
        if result.fun < best_loss:
            best, best_loss = result.x, float(result.fun)
    if best is None:
        raise NasbenchError("no starting point of the fit converged")
    return best, best_loss


def one_thread():
    """One BLAS thread while fitting: L-BFGS-B's tiny products spend most of their time waking
    threads otherwise (twenty times slower on a busy machine). Entered once per fit: it is not free."""
    return threadpool_limits(limits=1)


def ranked_starts(grid: list[np.ndarray], log_x: np.ndarray, log_y: np.ndarray) -> list[np.ndarray]:
    """The grid's starting points, those with the lowest initial loss first."""
    return sorted(grid, key=lambda t: huber_objective(t, log_x, log_y)[0])


def bootstrap(n: int, fit_rows: Callable[[np.ndarray], np.ndarray], resamples: int, seed: int) -> np.ndarray:
    """Parameters refitted on ``resamples`` resamplings of the n rows (with replacement), one row each."""
    rng = np.random.default_rng(seed)
    return np.stack([fit_rows(rng.integers(0, n, n)) for _ in range(resamples)]) if resamples else np.empty((0,))


def interval(value: float, samples: np.ndarray, level: float = 0.95) -> Interval:
    if len(samples) == 0:
        return Interval(float(value), float("nan"), float("nan"))
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(samples, [tail, 100 - tail])
    return Interval(float(value), float(low), float(high))


def check_positive(name: str, values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) == 0:
        raise NasbenchError(f"{name} must be a non-empty list of numbers")
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise NasbenchError(f"{name} must be positive and finite for a power law (log scale)")
    return values


def check_enough(points: int, parameters: int, law: str, distinct: dict[str, tuple[int, int]]) -> None:
    """Refuse a fit with no more points than parameters (it would pass through every point, with
    intervals of zero width) or with too few distinct values of a variable (``name: (found, needed)``)."""
    if points <= parameters:
        raise NasbenchError(
            f"{law} has {parameters} parameters: it needs at least {parameters + 1} points to fit, got {points}"
        )
    for name, (found, needed) in distinct.items():
        if found < needed:
            raise NasbenchError(f"{law} needs at least {needed} distinct values of {name}, got {found}")


def check_lengths(**columns: np.ndarray) -> None:
    """Columns of one table must be equally long."""
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        text = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise NasbenchError(f"{' and '.join(lengths)} must have one value per point: {text}")
