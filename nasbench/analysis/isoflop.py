"""IsoFLOP profiles (Hoffmann et al. 2022, approach 2): at each compute, the loss against model size, its
minimum, and how the compute-optimal size grows with compute.

Rows are grouped into compute levels (a sweep laid out on iso-compute lines gives them exactly; otherwise
levels are bins of width ``bin_width`` in log10 compute). The minimum of a profile is not taken from a
parabola in log N: a parabola is biased when the profile is asymmetric, which it is (the data term
grows as a power of N). Each profile is fitted with the law's own shape along an iso-compute line,
``L(N) = E_c + A_c N^-alpha + B_c N^beta`` (``D`` being ``C / (k N)``), its exponents those of the
approach-3 law fitted to all rows, its coefficients by non-negative least squares; the minimum is then
exact, ``N* = (alpha A_c / (beta B_c))^(1 / (alpha + beta))``. ``N* ~ C^a`` is fitted in log-log, its
interval from a bootstrap of rows within each level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from nasbench.analysis.fitting import Interval, interval
from nasbench.analysis.loss_law import LossLawFit, fit_loss_law
from nasbench.errors import NasbenchError


@dataclass(frozen=True)
class IsoFLOP:
    profiles: pd.DataFrame  # one row per level: compute, N_opt, loss at the optimum, points
    a: Interval  # N_opt ~ C^a
    law: LossLawFit  # the approach-3 law whose exponents shape each profile

    def profile_curve(self, level: int, N) -> np.ndarray:
        """The fitted profile of a level at sizes ``N``."""
        row = self.profiles.iloc[level]
        N = np.asarray(N, float)
        return row.E_c + row.A_c * N**-self.law.alpha.value + row.B_c * N**self.law.beta.value


def _minimum(N: np.ndarray, L: np.ndarray, alpha: float, beta: float) -> tuple[float, float, float, float, float]:
    design = np.stack([np.ones_like(N), N**-alpha, N**beta], axis=1)
    scale = design.max(axis=0)
    (e, a, b), _ = nnls(design / scale, L)
    e, a, b = e / scale[0], a / scale[1], b / scale[2]
    if a <= 0 or b <= 0:  # a profile with no minimum inside (monotone): its best trained size stands
        n_opt = float(N[np.argmin(L)])
    else:
        n_opt = float((alpha * a / (beta * b)) ** (1.0 / (alpha + beta)))
    return n_opt, float(e + a * n_opt**-alpha + b * n_opt**beta), e, a, b


def isoflop_profiles(
    frame: pd.DataFrame,
    *,
    compute: str = "train_compute",
    level: str | None = None,
    bin_width: float = 0.25,
    resamples: int = 500,
    seed: int = 0,
) -> IsoFLOP:
    """The profiles of ``frame``'s rows (``params``, ``examples_seen``, ``valid_loss``, ``compute``) and the
    exponent of ``N_opt(C)``; ``level`` names a column of compute levels, else levels are log10 bins."""
    law = fit_loss_law(frame.params, frame.examples_seen, frame.valid_loss, resamples=0)
    alpha, beta = law.alpha.value, law.beta.value
    levels = frame[level] if level is not None else (np.log10(frame[compute]) / bin_width).round()
    usable = [(lv, rows) for lv, rows in frame.groupby(levels) if rows.params.nunique() >= 3]
    if len(usable) < 2:
        raise NasbenchError(
            "IsoFLOP profiles need at least two compute levels with three model sizes each; "
            f"the table has {len(usable)}"
        )
    profiles = []
    for _, rows in usable:
        n_opt, loss, e, a, b = _minimum(rows.params.to_numpy(float), rows.valid_loss.to_numpy(float), alpha, beta)
        profiles.append({"compute": float(np.exp(np.log(rows[compute]).mean())), "N_opt": n_opt, "loss": loss,
                         "points": len(rows), "E_c": e, "A_c": a, "B_c": b})  # fmt: skip
    table = pd.DataFrame(profiles).sort_values("compute").reset_index(drop=True)
    slope = float(np.polyfit(np.log(table.compute), np.log(table.N_opt), 1)[0])
    rng, draws = np.random.default_rng(seed), []
    for _ in range(resamples):
        minima = []
        for _, rows in usable:
            pick = rows.iloc[rng.integers(0, len(rows), len(rows))]
            if pick.params.nunique() < 3:
                pick = rows
            n_opt = _minimum(pick.params.to_numpy(float), pick.valid_loss.to_numpy(float), alpha, beta)[0]
            minima.append((np.exp(np.log(rows[compute]).mean()), n_opt))
        c, n = np.array(minima).T
        draws.append(np.polyfit(np.log(c), np.log(n), 1)[0])
    return IsoFLOP(table, interval(slope, np.array(draws)), law)
