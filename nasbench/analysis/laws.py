"""One law ``L(N, D) = E + A / N^alpha + B / D^beta`` per architecture, fitted jointly from one sweep table.

``fit_laws`` fits every group (an architecture, or a family) at once: the parameters named in ``shared``
(the irreducible loss ``E`` a task sets for every network, say, or the exponents) are one value for all
groups, the others one per group, in a single Huber fit on log L (Hoffmann et al.'s approach 3, as
``loss_law`` fits one law). Bootstrap intervals resample rows within each group and refit jointly, so
a parameter's samples are aligned across groups: ``compare_at`` reads from them the probability that
an architecture is the best at a compute none of them was trained at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from nasbench.analysis.allocation import optimal_split
from nasbench.analysis.fitting import (
    Interval,
    check_enough,
    check_lengths,
    check_positive,
    fit_lse,
    huber_objective,
    interval,
    one_thread,
    ranked_starts,
)
from nasbench.analysis.loss_law import NAMES, LossLawFit, _grid, law
from nasbench.errors import NasbenchError

#: where each parameter sits in the log-sum-exp vector of one law (e, a, alpha, b, beta)
_LSE = {"E": 0, "A": 1, "alpha": 2, "B": 3, "beta": 4}
#: the parameters that can be given instead of fitted, and their value in the log-sum-exp vector (A and B
#: are scaled there by N's and D's geometric means to the power of the exponents, so they are not offered)
_FIXABLE = {"E": np.log, "alpha": float, "beta": float}


@dataclass(frozen=True)
class LawSet:
    """The laws of several groups fitted jointly; ``laws[g]`` is group g's law with its intervals."""

    groups: tuple[str, ...]
    shared: tuple[str, ...]
    laws: dict[str, LossLawFit]
    fixed: dict[str, float] = field(default_factory=dict)  # given, not fitted (also listed in shared)

    def samples(self, group: str) -> np.ndarray:
        """Bootstrap (E, A, alpha, B, beta) of ``group``, row r of every group from the same resample."""
        return self.laws[group].samples

    def predict(self, group: str, N, D) -> np.ndarray:
        return self.laws[group].predict(N, D)


def _layout(groups: Sequence[str], shared: Sequence[str]) -> tuple[int, np.ndarray]:
    """How many free numbers the joint fit has, and for each group the index of each of its 5 parameters."""
    index = np.zeros((len(groups), 5), dtype=int)
    position = {name: i for i, name in enumerate(shared)}
    count = len(shared)
    for g in range(len(groups)):
        for name, slot in _LSE.items():
            if name in position:
                index[g, slot] = position[name]
            else:
                index[g, slot] = count
                count += 1
    return count, index


def _joint(theta: np.ndarray, index: np.ndarray, parts) -> tuple[float, np.ndarray]:
    total, grad = 0.0, np.zeros_like(theta)
    for g, (log_x, log_y) in enumerate(parts):
        if len(log_y) == 0:
            continue
        loss, g_grad = huber_objective(theta[index[g]], log_x, log_y)
        total += loss
        np.add.at(grad, index[g], g_grad)
    return total, grad


def _fit_joint(start: np.ndarray, index: np.ndarray, parts, pinned: dict[int, float]) -> np.ndarray:
    bounds = [(None, None)] * len(start)
    for slot in (_LSE["alpha"], _LSE["beta"]):
        for i in set(index[:, slot]):
            bounds[i] = (0.0, 10.0)  # a law whose term grows with scale is no scaling law
    for i, value in pinned.items():
        bounds[i] = (value, value)
    result = minimize(_joint, start, args=(index, parts), jac=True, method="L-BFGS-B", bounds=bounds)
    return result.x


def fit_laws(
    frame: pd.DataFrame,
    by: str,
    *,
    N: str = "params",
    D: str = "examples_seen",
    loss: str = "valid_loss",
    shared: Sequence[str] = (),
    fixed: dict[str, float] | None = None,
    resamples: int = 1000,
    seed: int = 0,
) -> LawSet:
    """A law per value of ``frame[by]`` (architectures, families), ``shared`` parameters common to all.

    ``fixed`` holds parameters known beforehand, not fitted (``{"E": floor}`` where the task's
    irreducible loss is known, as the teacher task's is): each is shared and held at its value.

    Each group needs more rows than its law has free parameters, with two sizes and two training-set
    sizes at least; rows whose loss is not a positive finite number are refused, naming the first.
    """
    fixed = dict(fixed or {})
    unknown = sorted(set(shared) - set(NAMES))
    if unknown:
        raise NasbenchError(f"shared parameters are among {', '.join(NAMES)}, not {', '.join(unknown)}")
    unknown = sorted(set(fixed) - set(_FIXABLE))
    if unknown:
        raise NasbenchError(f"fixed parameters are among {', '.join(_FIXABLE)}, not {', '.join(unknown)}")
    bad = [name for name, value in fixed.items() if not (np.isfinite(value) and value > 0)]
    if bad:
        raise NasbenchError(f"a fixed {bad[0]} must be a positive number, got {fixed[bad[0]]}")
    shared = tuple(shared) + tuple(name for name in fixed if name not in shared)
    missing = [c for c in (by, N, D, loss) if c not in frame.columns]
    if missing:
        raise NasbenchError(f"the table has no column {', '.join(missing)}")
    groups = tuple(str(g) for g in pd.unique(frame[by].astype(str)))
    if len(groups) < 2:
        raise NasbenchError(f"laws per {by} need at least two groups; the table has {len(groups)}: use fit_loss_law")
    n_all, d_all, l_all = (check_positive(name, frame[name].to_numpy()) for name in (N, D, loss))
    check_lengths(N=n_all, D=d_all, L=l_all)
    labels = frame[by].astype(str).to_numpy()
    n_scale, d_scale = float(np.exp(np.log(n_all).mean())), float(np.exp(np.log(d_all).mean()))
    parts, rows = [], []
    free = 5 - len(set(shared))  # a fixed parameter is shared, so it is no group's own
    for group in groups:
        mask = labels == group
        n, d = n_all[mask], d_all[mask]
        distinct = {"N": (len(np.unique(n)), 2), "D": (len(np.unique(d)), 2)}
        check_enough(int(mask.sum()), free, f"the law of {by} {group!r} (free parameters)", distinct)
        parts.append((np.stack([np.log(n / n_scale), np.log(d / d_scale)], axis=1), np.log(l_all[mask])))
        rows.append(np.flatnonzero(mask))
    size, index = _layout(groups, shared)
    with one_thread():
        alone = [fit_lse(lx, ly, ranked_starts(_grid(ly), lx, ly)[:27])[0] for lx, ly in parts]
        start = np.zeros(size)
        for g, theta in enumerate(alone):
            for slot in range(5):
                start[index[g, slot]] += theta[slot] / (len(groups) if index[g, slot] < len(shared) else 1)
        pinned = {index[0, _LSE[name]]: _FIXABLE[name](value) for name, value in fixed.items()}
        for i, value in pinned.items():
            start[i] = value
        best = _fit_joint(start, index, parts, pinned)
        rng = np.random.default_rng(seed)
        samples = []
        for _ in range(resamples):
            picks = [rng.integers(0, len(ly), len(ly)) for _, ly in parts]
            resampled = [(lx[p], ly[p]) for (lx, ly), p in zip(parts, picks)]
            samples.append(_fit_joint(best, index, resampled, pinned))
    samples = np.array(samples).reshape(-1, size)

    def natural(theta: np.ndarray) -> np.ndarray:
        e, a, alpha, b, beta = theta
        return np.array([np.exp(e), np.exp(a) * n_scale**alpha, alpha, np.exp(b) * d_scale**beta, beta])

    laws = {}
    for g, group in enumerate(groups):
        value = natural(best[index[g]])
        draws = np.array([natural(s[index[g]]) for s in samples]).reshape(-1, 5)
        laws[group] = LossLawFit(*(interval(value[i], draws[:, i]) for i in range(5)), samples=draws, n=len(rows[g]))
    return LawSet(groups, tuple(shared), laws, fixed)


def compute_per_parameter_example(frame: pd.DataFrame, by: str, compute: str = "train_compute") -> dict[str, float]:
    """Each group's training compute per parameter and example seen (its own FLOPs-per-weight ratio: a
    convolution reuses a weight at every position, a transformer's ``6`` does not hold)."""
    ratio = frame[compute] / (frame["params"] * frame["examples_seen"])
    return {str(g): float(r.median()) for g, r in ratio.groupby(frame[by].astype(str))}


def compare_at(laws: LawSet, compute: float, k: dict[str, float], level: float = 0.95) -> pd.DataFrame:
    """At a training compute none was trained at: each group's lowest predicted loss (its compute-optimal
    size and data there, ``compute = k[g] N D``) with intervals, and the probability that it is the best
    (the share of bootstrap resamples in which its loss is the lowest)."""
    tail = 100 * (1 - level) / 2
    rows, draws = [], []
    for group in laws.groups:
        fit = laws.laws[group]
        best = np.array([p.value for p in fit.parameters().values()])

        def at(params, group=group):
            n, d = optimal_split(params, compute, k[group])
            return float(n), float(d), float(law(params, n, d))

        n, d, loss = at(best)
        sampled = np.array([at(p) for p in fit.samples]) if len(fit.samples) else np.full((1, 3), np.nan)
        draws.append(sampled[:, 2])
        low, high = np.nanpercentile(sampled, [tail, 100 - tail], axis=0)
        rows.append({"group": group, "loss": loss, "loss_low": low[2], "loss_high": high[2],
                     "N_opt": n, "N_opt_low": low[0], "N_opt_high": high[0], "D_opt": d})  # fmt: skip
    table = pd.DataFrame(rows)
    stacked = np.vstack(draws)
    winners = np.nanargmin(np.where(np.isnan(stacked), np.inf, stacked), axis=0)
    table["p_best"] = [float(np.mean(winners == g)) for g in range(len(laws.groups))]
    return table.sort_values("loss").reset_index(drop=True)


def prediction_interval(
    fit: LossLawFit, N, D, residuals: np.ndarray, level: float = 0.9, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Where an observed loss at (N, D) should fall: the law's bootstrap draws, each times a residual of the
    fit drawn at random (the scatter of single trainings about the law, in log space)."""
    N, D = np.atleast_1d(np.asarray(N, float)), np.atleast_1d(np.asarray(D, float))
    rng = np.random.default_rng(seed)
    curves = np.stack([law(p, N, D) for p in fit.samples])
    noise = np.exp(rng.choice(residuals, size=curves.shape)) if len(residuals) else 1.0
    tail = 100 * (1 - level) / 2
    return tuple(np.nanpercentile(curves * noise, [tail, 100 - tail], axis=0))


def log_residuals(fit: LossLawFit, N, D, L) -> np.ndarray:
    return np.log(np.asarray(L, float)) - np.log(fit.predict(N, D))


__all__ = ["Interval", "LawSet", "compare_at", "compute_per_parameter_example", "fit_laws", "prediction_interval"]
