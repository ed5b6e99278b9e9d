"""Laws per architecture: recovered jointly with a shared E, compared at a compute none was trained at,
backtested on held-out trainings, and IsoFLOP minima without a parabola's bias."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nasbench.analysis.backtest import backtest
from nasbench.analysis.isoflop import isoflop_profiles
from nasbench.analysis.laws import compare_at, compute_per_parameter_example, fit_laws
from nasbench.analysis.loss_law import law
from nasbench.errors import NasbenchError

E = 1.5
#: two architectures whose order flips with compute: "wide" is better at the sweep's smallest compute,
#: "deep" (a faster exponent in size) at its largest and beyond
TRUTH = {
    "deep": np.array([E, 400.0, 0.5, 300.0, 0.45]),
    "wide": np.array([E, 40.0, 0.3, 300.0, 0.45]),
}
K = {"deep": 3.0, "wide": 3.0}  # training compute = 3 N D


def sweep(noise: float = 0.01, seed: int = 0, truth=TRUTH) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for family, params in truth.items():
        for n in np.geomspace(1e4, 1e7, 6):
            for d in np.geomspace(1e5, 1e8, 6):
                loss = law(params, n, d) * np.exp(rng.normal(0, noise))
                rows.append({"family": family, "params": n, "examples_seen": d, "valid_loss": loss,
                             "train_compute": K[family] * n * d})  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def laws():
    return fit_laws(sweep(), "family", shared=("E",), resamples=60, seed=0)


def test_each_law_is_recovered_with_the_shared_e_one_value(laws):
    assert laws.groups == ("deep", "wide") and laws.shared == ("E",)
    assert laws.laws["deep"].E.value == laws.laws["wide"].E.value
    for family, params in TRUTH.items():
        fitted = laws.laws[family]
        assert fitted.alpha.value == pytest.approx(params[2], abs=0.05)
        assert fitted.beta.value == pytest.approx(params[4], abs=0.05)
        assert fitted.E.value == pytest.approx(E, rel=0.05)
    assert np.array_equal(laws.samples("deep")[:, 0], laws.samples("wide")[:, 0])  # resamples aligned


def test_compare_at_names_the_architecture_that_wins_far_beyond_the_sweep(laws):
    k = compute_per_parameter_example(sweep(), "family")
    assert k == pytest.approx(K)
    target = 100 * sweep().train_compute.max()
    truth_at = {f: float(law(p, *_opt(p, target))) for f, p in TRUTH.items()}
    table = compare_at(laws, target, k)
    assert table.group.iloc[0] == min(truth_at, key=truth_at.get) == "deep"
    assert table.p_best.sum() == pytest.approx(1.0) and table.p_best.iloc[0] > 0.8
    assert (table.loss_low <= table.loss).all() and (table.loss <= table.loss_high).all()


def _opt(params, compute):
    from nasbench.analysis.allocation import optimal_split

    return optimal_split(params, compute, 3.0)


def test_a_backtest_of_the_dearest_quarter_is_accurate_and_its_intervals_cover():
    frame = sweep(noise=0.01, seed=3)
    check = backtest(frame, "family", shared=("E",), resamples=80, seed=0)
    summary = check.summary()
    assert summary["median_rel_error"] < 0.03 and summary["coverage_90"] >= 0.8
    cutoffs = frame.family.map(check.cutoffs)
    held = int((frame.train_compute > cutoffs).sum())  # each family's dearest quarter; ties at it stay in the fit
    assert summary["points"] == held >= 10 and summary["architectures"] == 2
    assert set(check.points.group) == {"deep", "wide"}
    assert summary["pick"] == summary["observed_best"] == "deep"
    assert set(check.points.columns) >= {"group", "predicted", "low", "high", "rel_error", "covered"}


def test_a_known_floor_is_held_not_fitted_and_tightens_the_other_parameters():
    frame = sweep(noise=0.02, seed=5)
    free = fit_laws(frame, "family", shared=("E",), resamples=40, seed=0)
    pinned = fit_laws(frame, "family", fixed={"E": E}, resamples=40, seed=0)
    assert pinned.shared == ("E",) and pinned.fixed == {"E": E}
    for family, params in TRUTH.items():
        fitted = pinned.laws[family]
        assert fitted.E.value == pytest.approx(E, rel=1e-9)
        assert np.allclose(pinned.samples(family)[:, 0], E)  # every resample keeps it
        assert fitted.alpha.value == pytest.approx(params[2], abs=0.05)
        width = fitted.beta.high - fitted.beta.low
        assert width < free.laws[family].beta.high - free.laws[family].beta.low
    with pytest.raises(NasbenchError, match="fixed parameters are among E, alpha, beta, not A"):
        fit_laws(frame, "family", fixed={"A": 1.0}, resamples=0)
    with pytest.raises(NasbenchError, match="a fixed E must be a positive number, got -1"):
        fit_laws(frame, "family", fixed={"E": -1.0}, resamples=0)


def test_a_backtest_of_one_law_needs_no_groups():
    frame = sweep(noise=0.01, seed=4)
    frame = frame[frame.family == "deep"].drop(columns="family")
    check = backtest(frame, None, resamples=60, seed=0)
    assert check.laws.groups == ("all",) and check.pick == "all"
    assert check.median_rel_error < 0.03 and check.coverage >= 0.8
    assert check.points.train_compute.min() > check.cutoffs["all"]
    with pytest.raises(NasbenchError, match="fixed parameters are shared across groups"):
        backtest(frame, None, fixed={"E": E}, resamples=0)
    with pytest.raises(NasbenchError, match="at least two groups"):  # a column of one group is not one law
        backtest(frame.assign(family="deep"), "family", resamples=0)


def test_isoflop_minima_follow_the_law_not_a_parabola():
    rng = np.random.default_rng(1)
    params, rows = np.array([1.7, 400.0, 0.34, 410.0, 0.28]), []
    for compute in np.geomspace(1e13, 1e16, 4):
        for n in np.geomspace(1e4, 1e7, 9):
            d = compute / (6 * n)
            rows.append({"params": n, "examples_seen": d, "train_compute": compute,
                         "valid_loss": law(params, n, d) * np.exp(rng.normal(0, 0.003))})  # fmt: skip
    result = isoflop_profiles(pd.DataFrame(rows), resamples=50)
    assert len(result.profiles) == 4
    assert result.a.value == pytest.approx(0.28 / (0.34 + 0.28), abs=0.05)  # Hoffmann et al.'s N_opt ~ C^(b/(a+b))


def test_bad_inputs_are_named_in_one_line():
    frame = sweep()
    with pytest.raises(NasbenchError, match="at least two groups"):
        fit_laws(frame[frame.family == "deep"], "family", resamples=0)
    with pytest.raises(NasbenchError, match="shared parameters are among"):
        fit_laws(frame, "family", shared=("gamma",), resamples=0)
    with pytest.raises(NasbenchError, match="positive and finite"):
        fit_laws(frame.assign(valid_loss=frame.valid_loss.where(frame.index != 3, np.nan)), "family", resamples=0)
    with pytest.raises(NasbenchError, match="needs at least"):
        fit_laws(frame.groupby("family").head(3), "family", resamples=0)
