"""Searches budgeted in seconds: a look-up costs its table's training time, a strategy's proxies what they
cost, and a stopped run resumes to the same end."""

from __future__ import annotations

import pandas as pd
import pytest

from nasbench.config import SearchConfig
from nasbench.search import resume, start

BUDGET = 30_000  # simulated seconds: about 20 NAS-Bench-201 trainings


def _config(**options) -> SearchConfig:
    return SearchConfig(
        space="nb201", strategy="evo", evaluator="tabular", budget=1_000_000, seed=3, time_budget=BUDGET,
        evaluator_options={"path": "nb201"}, strategy_options={"population_size": 8, "tournament_size": 3}, **options,
    )  # fmt: skip


def test_a_look_up_search_spends_its_tables_training_time(tmp_path):
    start(_config(), tmp_path / "run").run()
    table = pd.read_csv(tmp_path / "run" / "trials.csv")
    told = table.sort_values("told_at")
    evaluated = told[told.duplicate_of.isna()]
    assert told.spent_seconds.is_monotonic_increasing
    assert evaluated.spent_seconds.iloc[-1] == pytest.approx(evaluated.train_seconds.sum(), rel=1e-6)
    assert evaluated.spent_seconds.iloc[-2] < BUDGET <= evaluated.spent_seconds.iloc[-1]  # the last one crossed it


def test_a_stopped_search_resumes_to_where_the_uninterrupted_one_ends(tmp_path):
    start(_config(), tmp_path / "whole").run()
    stopped = start(_config(), tmp_path / "stopped")
    stopped.session.time_budget = BUDGET / 3  # the driver dies a third of the way in
    stopped.run()
    resume(tmp_path / "stopped").run()
    whole, again = (
        pd.read_csv(tmp_path / name / "trials.csv").drop(columns="wall_seconds") for name in ("whole", "stopped")
    )
    pd.testing.assert_frame_equal(again, whole)


def test_proxies_a_strategy_ranks_by_count_against_the_budget(tmp_path):
    config = _config()
    config.strategy, config.strategy_options = "bo", {"proxies": "synflow", "n_initial": 4}
    start(config, tmp_path / "run").run()
    table = pd.read_csv(tmp_path / "run" / "trials.csv").sort_values("told_at")
    evaluated = table[table.duplicate_of.isna()]
    assert evaluated.spent_seconds.iloc[-1] > evaluated.train_seconds.sum()  # the table's proxies cost time too


def test_the_time_budget_must_be_a_positive_number(cli, tmp_path):
    for bad in ("0", "-5", "nan", "inf"):
        code, _, err = cli("search", "--space", "nb201", "--benchmark", "nb201", "--time-budget", bad,
                           "--out", str(tmp_path / "run"))  # fmt: skip
        assert code == 2 and "time budget" in err and not (tmp_path / "run").exists()
