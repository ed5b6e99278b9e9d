"""Scaling-law fits recover the laws they are given, with honest bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import check_grad, minimize_scalar

from nasbench.analysis import compute_optimal, fit_loss_law, fit_power_law
from nasbench.analysis.allocation import optimal_split
from nasbench.analysis.fitting import huber_objective
from nasbench.analysis.loss_law import law
from nasbench.errors import NasbenchError

POWER = {"E": 0.5, "A": 2.0, "alpha": 0.4}
# the shape of Hoffmann et al.'s fit (E 1.69, A 406.4, alpha 0.34, B 410.7, beta 0.28)
LOSS = {"E": 1.69, "A": 406.4, "alpha": 0.34, "B": 410.7, "beta": 0.28}


def power_data(n: int, seed: int):
    rng = np.random.default_rng(seed)
    x = np.exp(rng.uniform(np.log(1e3), np.log(1e7), n))
    y = (POWER["E"] + POWER["A"] * x ** -POWER["alpha"]) * np.exp(rng.normal(0, 0.02, n))
    return x, y


def test_the_huber_gradient_is_exact():
    rng = np.random.default_rng(0)
    log_x = rng.normal(size=(30, 2))
    log_y = rng.normal(size=30) * 0.1
    theta = np.array([-0.5, 0.2, 0.4, -0.1, 0.3])
    assert (
        check_grad(lambda t: huber_objective(t, log_x, log_y)[0], lambda t: huber_objective(t, log_x, log_y)[1], theta)
        < 1e-6
    )


def test_a_power_law_is_recovered_within_its_intervals_which_shrink_with_more_data():
    small = fit_power_law(*power_data(40, seed=1), resamples=100, seed=0)
    large = fit_power_law(*power_data(400, seed=1), resamples=100, seed=0)
    for name, truth in POWER.items():
        assert truth in small.parameters()[name], (name, small.parameters()[name])
        assert truth in large.parameters()[name], (name, large.parameters()[name])
        assert large.parameters()[name].width < small.parameters()[name].width
    low, high = large.band(np.array([1e4, 1e8]))
    assert np.all(low <= large.predict([1e4, 1e8])) and np.all(large.predict([1e4, 1e8]) <= high)


def test_the_bootstrap_is_seeded():
    x, y = power_data(30, seed=2)
    a, b = (fit_power_law(x, y, resamples=20, seed=7) for _ in range(2))
    assert np.array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, fit_power_law(x, y, resamples=20, seed=8).samples)


@pytest.fixture(scope="module")
def loss_fit():
    rng = np.random.default_rng(3)
    N = np.repeat(np.geomspace(1e5, 1e8, 8), 8)
    D = np.tile(np.geomspace(1e6, 1e9, 8), 8)
    L = law(np.array(list(LOSS.values())), N, D) * np.exp(rng.normal(0, 0.01, len(N)))
    return fit_loss_law(N, D, L, resamples=100, seed=0)


def test_the_two_variable_law_is_recovered_within_its_intervals(loss_fit):
    for name, truth in LOSS.items():
        assert truth in loss_fit.parameters()[name], (name, loss_fit.parameters()[name])


def test_compute_optimal_exponents_and_extrapolation(loss_fit):
    allocation = compute_optimal(loss_fit)
    truth_a = LOSS["beta"] / (LOSS["alpha"] + LOSS["beta"])
    assert truth_a in allocation.a and 1 - truth_a in allocation.b
    assert allocation.a.value + allocation.b.value == pytest.approx(1)
    best = allocation.optimum([1e22])
    true_n, true_d = optimal_split(np.array(list(LOSS.values())), 1e22)
    true_loss = law(np.array(list(LOSS.values())), true_n, true_d)
    value, low, high = best["loss"]
    assert low[0] <= float(true_loss) <= high[0]
    assert low[0] <= value[0] <= high[0]


def test_the_closed_form_split_minimises_the_law_at_fixed_compute():
    params = np.array(list(LOSS.values()))
    compute = 1e21
    n_opt, _ = optimal_split(params, compute)
    numeric = minimize_scalar(lambda log_n: law(params, np.exp(log_n), compute / 6 / np.exp(log_n)), bounds=(5, 40))
    assert np.exp(numeric.x) == pytest.approx(n_opt, rel=1e-3)


def test_bad_data_is_refused_in_one_line():
    with pytest.raises(NasbenchError, match="positive"):
        fit_power_law([1, 2, 3, 4], [0.5, -1, 0.2, 0.1])
    with pytest.raises(NasbenchError, match="at least 2 distinct values of N, got 1"):
        fit_loss_law([1] * 6, [1, 2, 3, 4, 5, 6], [3, 2, 1, 1, 1, 1])


@pytest.mark.parametrize("points", [1, 2, 3])
def test_a_power_law_needs_more_points_than_its_three_parameters(points):
    x = [10.0**i for i in range(points)]
    with pytest.raises(NasbenchError, match=f"needs at least 4 points to fit, got {points}"):
        fit_power_law(x, [1.0 / (i + 1) for i in range(points)])


@pytest.mark.parametrize("points", [2, 4, 5])
def test_a_loss_law_needs_more_points_than_its_five_parameters(points):
    N, D = [1e3 * (1 + i % 2) for i in range(points)], [1e4 * (1 + i // 2) for i in range(points)]
    with pytest.raises(NasbenchError, match=f"needs at least 6 points to fit, got {points}"):
        fit_loss_law(N, D, [2.0 - 0.1 * i for i in range(points)])


def test_equal_x_and_unequal_lengths_are_named():
    with pytest.raises(NasbenchError, match="at least 3 distinct values of x, got 1"):
        fit_power_law([5.0] * 6, [1, 2, 3, 4, 5, 6])
    with pytest.raises(NasbenchError, match="x has 5, y has 4"):
        fit_power_law([1, 2, 3, 4, 5], [4, 3, 2, 1])
    with pytest.raises(NasbenchError, match="N has 6, D has 6, L has 5"):
        fit_loss_law([1, 2, 3, 1, 2, 3], [1, 1, 1, 2, 2, 2], [5, 4, 3, 2, 1])
