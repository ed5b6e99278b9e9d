"""A Gaussian process over Weisfeiler-Lehman feature counts, with expected improvement.

The kernel is NAS-BOWL's (Ru et al., ICLR 2021): the WL subtree kernel, the dot product of
feature counts summed over iterations 0..h, normalised so that every graph has unit variance.
The number of iterations h and the noise are chosen by marginal likelihood over a small grid;
the signal variance has a closed form given those two (it is profiled out), so one eigen-
decomposition per h prices the whole noise grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse
from scipy.stats import norm

#: noise variance relative to the signal variance, tried when fitting
NOISE_GRID = np.logspace(-4, 0, 13)
#: the smallest spread of observed values; below it the values are taken as equal
MIN_SPREAD = 1e-9


def level_grams(left: sparse.csr_matrix, right: sparse.csr_matrix, levels: np.ndarray, depth: int) -> np.ndarray:
    """Dot products of feature counts summed over iterations 0..h, for h = 0..depth (shape depth+1, n, m)."""
    grams, total = [], 0
    for level in range(depth + 1):
        mask = sparse.diags((levels == level).astype(np.float64))
        total = total + (left @ mask @ right.T).toarray()
        grams.append(total)
    return np.stack(grams)


def squared_norms(counts: sparse.csr_matrix, levels: np.ndarray, depth: int) -> np.ndarray:
    """Each row's squared norm over iterations 0..h, for h = 0..depth (shape depth+1, n)."""
    squares = counts.multiply(counts).tocsr()
    per_level = np.stack([np.asarray(squares[:, levels == level].sum(axis=1)).ravel() for level in range(depth + 1)])
    return np.cumsum(per_level, axis=0)


@dataclass(frozen=True)
class FittedGP:
    """The posterior of a fitted GP, in standardised units (``(y - mean) / scale``)."""

    depth: int  # WL iterations h the kernel sums over
    noise: float  # noise variance relative to the signal variance
    signal: float  # signal variance (standardised units)
    log_likelihood: float
    mean: float
    scale: float
    weights: np.ndarray  # (K + noise I)^-1 y, standardised
    factor: tuple  # Cholesky factor of K + noise I (scipy.linalg.cho_factor)

    def predict(self, cross: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of the latent values (original units).

        ``cross`` holds the normalised kernel between the candidates and the training points.
        """
        mean = cross @ self.weights
        solved = linalg.cho_solve(self.factor, cross.T)
        variance = self.signal * np.clip(1.0 - np.einsum("ij,ji->i", cross, solved), 1e-12, None)
        return self.mean + self.scale * mean, self.scale * np.sqrt(variance)


def standardise(values: np.ndarray) -> tuple[np.ndarray, float, float]:
    mean = float(values.mean())
    scale = float(values.std()) if values.std() > MIN_SPREAD else 1.0
    return (values - mean) / scale, mean, scale


def fit(grams: np.ndarray, norms: np.ndarray, values: np.ndarray, depths: range) -> FittedGP:
    """The (h, noise) of largest marginal likelihood, and the posterior they give.

    ``grams[h]`` and ``norms[h]`` are the unnormalised kernel among the training points and their
    squared norms, summed over iterations 0..h.
    """
    y, mean, scale = standardise(values)
    n = len(y)
    best = None
    for depth in depths:
        kernel = normalised(grams[depth], norms[depth], norms[depth])
        eigenvalues, vectors = linalg.eigh(kernel)
        eigenvalues = np.clip(eigenvalues, 0.0, None)
        projected = (vectors.T @ y) ** 2
        for noise in NOISE_GRID:
            spectrum = eigenvalues + noise
            signal = max(float(np.sum(projected / spectrum)) / n, MIN_SPREAD)
            log_likelihood = -0.5 * n * (np.log(2 * np.pi * signal) + 1) - 0.5 * float(np.sum(np.log(spectrum)))
            if best is None or log_likelihood > best[0] + 1e-9:
                best = (log_likelihood, depth, float(noise), signal)
    log_likelihood, depth, noise, signal = best
    kernel = normalised(grams[depth], norms[depth], norms[depth])
    return posterior(kernel, y, depth, noise, signal, log_likelihood, mean, scale)


def refit(gram: np.ndarray, norms: np.ndarray, values: np.ndarray, depth: int, noise: float) -> FittedGP:
    """The posterior for given h and noise (the signal variance still profiled out)."""
    y, mean, scale = standardise(values)
    kernel = normalised(gram, norms, norms)
    factor = linalg.cho_factor(kernel + noise * np.eye(len(y)), lower=True)
    weights = linalg.cho_solve(factor, y)
    signal = max(float(y @ weights) / len(y), MIN_SPREAD)
    log_likelihood = -0.5 * len(y) * (np.log(2 * np.pi * signal) + 1) - float(np.sum(np.log(np.diag(factor[0]))))
    return FittedGP(depth, noise, signal, log_likelihood, mean, scale, weights, factor)


def posterior(kernel, y, depth, noise, signal, log_likelihood, mean, scale) -> FittedGP:
    factor = linalg.cho_factor(kernel + noise * np.eye(len(y)), lower=True)
    return FittedGP(depth, noise, signal, log_likelihood, mean, scale, linalg.cho_solve(factor, y), factor)


def normalised(gram: np.ndarray, left_norms: np.ndarray, right_norms: np.ndarray) -> np.ndarray:
    """k(x, y) / sqrt(k(x, x) k(y, y)): every graph has unit prior variance."""
    return gram / np.sqrt(np.outer(np.maximum(left_norms, MIN_SPREAD), np.maximum(right_norms, MIN_SPREAD)))


def gaussian_ranks(values: np.ndarray) -> np.ndarray:
    """Values replaced by normal quantiles of their ranks (ties share the mean rank).

    The GP then models the order of the networks, not the gaps: a few very poor networks (10 %
    accuracy among 90 % ones) would otherwise dominate the fit and flatten the top, where the
    search must discriminate.
    """
    from scipy.stats import rankdata

    return norm.ppf(rankdata(values) / (len(values) + 1))


def expected_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """E[max(f - best, 0)] under the Gaussian posterior of f."""
    gap = mean - best
    z = gap / std
    return gap * norm.cdf(z) + std * norm.pdf(z)
