"""Scaling-law analysis of runs: one table of trials, fitted laws with bootstrap intervals,
compute-optimal allocation, plots and an HTML report.

Import the pieces from their modules (``nasbench.analysis.power_law`` and so on); the names below
are the common entry points.
"""

from nasbench.analysis.allocation import Allocation, compute_optimal
from nasbench.analysis.backtest import Backtest, backtest
from nasbench.analysis.fitting import Interval
from nasbench.analysis.isoflop import IsoFLOP, isoflop_profiles
from nasbench.analysis.laws import LawSet, compare_at, compute_per_parameter_example, fit_laws
from nasbench.analysis.loading import load_runs, to_parquet
from nasbench.analysis.loss_law import LossLawFit, fit_loss_law
from nasbench.analysis.power_law import PowerLawFit, fit_power_law
from nasbench.analysis.regret import best_so_far, regret

__all__ = [
    "Allocation",
    "Backtest",
    "Interval",
    "IsoFLOP",
    "LawSet",
    "LossLawFit",
    "PowerLawFit",
    "backtest",
    "best_so_far",
    "compare_at",
    "compute_optimal",
    "compute_per_parameter_example",
    "fit_laws",
    "fit_loss_law",
    "isoflop_profiles",
    "fit_power_law",
    "load_runs",
    "regret",
    "to_parquet",
]
