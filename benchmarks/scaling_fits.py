"""Time of the scaling-law fits with 1,000 bootstrap resamples, on synthetic data of a sweep's size.

python benchmarks/scaling_fits.py --rows 48 --resamples 1000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nasbench.analysis import fit_loss_law, fit_power_law
from nasbench.analysis.loss_law import law


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=48)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    N = np.exp(rng.uniform(np.log(1e4), np.log(1e6), args.rows))
    D = np.exp(rng.uniform(np.log(1e3), np.log(1e5), args.rows))
    L = law(np.array([0.3, 40.0, 0.4, 30.0, 0.35]), N, D) * np.exp(rng.normal(0, 0.02, args.rows))
    started = time.perf_counter()
    fit_power_law(6 * N * D, L, resamples=args.resamples, seed=0)
    power = time.perf_counter() - started
    started = time.perf_counter()
    fit_loss_law(N, D, L, resamples=args.resamples, seed=0)
    two = time.perf_counter() - started
    print(f"{args.rows} rows, {args.resamples} resamples: power law {power:.1f} s, L(N, D) {two:.1f} s")


if __name__ == "__main__":
    main()
