"""One table from real search, sweep and scale runs; Parquet export; the HTML report."""

from __future__ import annotations

import pandas as pd
import pytest

from nasbench.analysis import load_runs, to_parquet
from nasbench.analysis.loading import RUN_COLUMNS
from nasbench.analysis.report import write_report


@pytest.fixture(scope="module")
def runs(tmp_path_factory, nb201_dir):
    from nasbench.cli import main

    root = tmp_path_factory.mktemp("runs")
    search = ["search", "--space", "nb201", "--strategy", "random", "--benchmark", str(nb201_dir), "--budget", "12"]
    assert main([*search, "--quiet", "--out", str(root / "search")]) == 0
    sweep = ["sweep", "--width", "0.25", "0.5", "--train-size", "64", "128", "256", "--epochs", "1"]
    training = ["--dataset", "digits", "--batch-size", "32", "--backend", "local", "--quiet"]
    assert main([*sweep, *training, "--out", str(root / "sweep")]) == 0
    scale = ["scale", "--base", "tiny", "--resolution", "8", "--phi", "0", "1", "2", "--num-classes", "10"]
    assert main([*scale, "--out", str(root / "scale.csv")]) == 0
    return root


@pytest.mark.slow
def test_one_tidy_table_from_search_sweep_and_scale_runs(runs, tmp_path):
    frame = load_runs([runs / "search", runs / "sweep", runs / "scale.csv"])
    assert list(frame.columns[: len(RUN_COLUMNS)]) == list(RUN_COLUMNS)
    search = frame[frame.kind == "search"]
    assert len(search[search.duplicate_of.isna()]) == 12  # and the repeated proposals answered from the cache
    assert (frame.kind == "sweep").sum() == 6 and (frame.kind == "scale").sum() == 3
    assert (search.space == "nb201").all() and (search.strategy == "random").all()
    assert search.valid_accuracy.notna().all() and search.train_size.isna().all()
    sweep = frame[frame.kind == "sweep"]
    assert list(sweep.train_size) == [64, 128, 256] * 2
    assert list(sweep.network.unique()) == ["width=0.25,depth=1", "width=0.5,depth=1"]
    assert (sweep.state == "COMPLETE").all()
    for column in ("params", "macs", "examples_seen", "train_compute", "valid_loss", "valid_error", "train_error"):
        assert sweep[column].notna().all(), column
    assert frame[frame.kind == "scale"].params.is_monotonic_increasing
    back = pd.read_parquet(to_parquet(frame, tmp_path / "runs.parquet"))
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)


@pytest.mark.slow
def test_the_report_holds_every_run_with_its_plots(runs, tmp_path):
    page = write_report([runs / "search", runs / "sweep", runs / "scale.csv"], tmp_path / "r.html", resamples=20)
    text = page.read_text()
    for name in ("search", "sweep", "scale"):
        assert f"<h2>{name}" in text
    assert text.count("data:image/png;base64,") >= 4  # regret, Pareto, loss vs compute, iso-loss, costs
    assert "compute-optimal N ~ C^" in text
    assert "<script" not in text and "http" not in text.split("</style>")[1]  # self-contained


def test_report_errors_are_one_line(cli, tmp_path):
    code, _, err = cli("report", str(tmp_path / "nothing"), "--out", str(tmp_path / "r.html"))
    assert code == 2 and "no run folder" in err and "Traceback" not in err
    assert not (tmp_path / "r.html").exists()
