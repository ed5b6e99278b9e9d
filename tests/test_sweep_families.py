"""A search's front swept as families (each network at several widths) and training-set sizes chosen by a
compute budget; the report's laws per architecture."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nasbench.analysis.loading import load_runs
from nasbench.cli import build_parser
from nasbench.cli.sweep_command import BUDGET_WIDTHS, config_from_args
from nasbench.errors import InvalidOption
from nasbench.scaling.sweep import train_sizes_for_budget

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def search_run(tmp_path_factory):
    from nasbench.cli import main

    out = tmp_path_factory.mktemp("front") / "run"
    argv = ["search", "--space", "mbconv", "-O", "base=tiny", "--strategy", "random", "--budget", "3",
            "--epochs", "1", "--batch-size", "32", "--backend", "local", "--quiet", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    return out


def _config(*argv):
    return config_from_args(build_parser().parse_args(["sweep", *argv]))


def test_sizes_for_a_budget_are_a_log_grid_that_fits_it():
    macs = [1e5, 4e5]
    sizes = train_sizes_for_budget(macs, 1e12, epochs=2, seeds=1, available=10**9)
    assert len(sizes) == 4 and all(b == pytest.approx(4 * a, rel=0.01) for a, b in zip(sizes, sizes[1:]))
    spent = 3 * sum(macs) * 2 * sum(sizes)
    assert spent <= 1e12 and spent > 0.99e12  # the largest size is as large as the budget allows
    assert train_sizes_for_budget(macs, 1e15, 2, 1, available=5000)[-1] == 5000  # capped by the data
    with pytest.raises(InvalidOption, match="buys no 4 training-set sizes"):
        train_sizes_for_budget(macs, 1e6, 2, 1, available=5000)


def test_a_budget_over_a_front_gives_families_at_each_width(search_run):
    config = _config("--from", str(search_run), "--compute-budget", "1e11", "--epochs", "1", "--dataset", "digits")
    points = config.strategy_options["points"]
    families = {p["family"] for p in points}
    assert families and all(f.startswith("trial ") for f in families)
    sizes = sorted({p["train_size"] for p in points})
    assert len(sizes) == 4 and len(points) == len(families) * len(BUDGET_WIDTHS) * 4
    assert {p["network"].split(", ")[1] for p in points} == {f"width={w:g},depth=1" for w in BUDGET_WIDTHS}


def test_budget_flags_are_checked_in_one_line(cli, search_run):
    code, _, err = cli("sweep", "--from", str(search_run), "--compute-budget", "1e11", "--train-size", "64")
    assert code == 2 and "not both" in err and "Traceback" not in err
    code, _, err = cli("sweep", "--from", str(search_run), "--compute-budget", "100", "--dataset", "digits")
    assert code == 2 and "buys no 4 training-set sizes" in err
    code, _, err = cli("sweep", "--width", "1", "--compute-budget", "-5", "--dataset", "digits")
    assert code == 2 and "--compute-budget" in err and "Traceback" not in err


@pytest.mark.slow
def test_a_swept_front_is_reported_with_laws_per_architecture(cli, search_run, tmp_path):
    out = tmp_path / "sweep"
    code, _, err = cli("sweep", "--from", str(search_run), "--width", "0.25", "0.5", "--train-size", "64", "128",
                       "256", "512", "--epochs", "1", "--dataset", "digits", "--batch-size", "32", "--backend", "local",
                       "--quiet", "--out", str(out))  # fmt: skip
    assert code == 0, err
    frame = load_runs([out])
    assert frame.family.str.startswith("trial ").all() and len(frame) == frame.family.nunique() * 8
    code, _, err = cli("report", str(out), "--out", str(tmp_path / "report.html"))
    assert code == 0, err
    page = (tmp_path / "report.html").read_text()
    # laws per architecture, or (a front of one network) the one-line reason there are none
    assert "100 x the largest trained" in page or "laws per family need at least two groups" in page
    if frame.family.nunique() > 1:
        assert "Backtest, the dearest quarter of each" in page
    assert np.isfinite(pd.to_numeric(frame.valid_loss)).all()
