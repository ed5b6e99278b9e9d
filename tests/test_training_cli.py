"""`nasbench search` training NASNet candidates for real, end to end through the command line."""

import json

import pandas as pd
import pytest

from nasbench.cli import main
from nasbench.search_spaces.nasnet import NASNetSpace


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("strategy", ["evo", "random"])
@pytest.mark.slow
def test_a_short_nasnet_search_on_digits(capsys, tmp_path, strategy):
    out = tmp_path / "run"
    code, stdout, stderr = run(
        capsys,
        "search",
        "--space",
        "nasnet",
        "--strategy",
        strategy,
        "--budget",
        "3",
        "--epochs",
        "1",
        "--out",
        str(out),
        "--backend",
        "local",
    )
    assert code == 0, stderr
    table = pd.read_csv(out / "trials.csv")
    evaluated = table[table.duplicate_of.isna()]
    assert len(evaluated) == 3 and set(evaluated.state) == {"COMPLETE"}
    assert (evaluated.epochs == 1).all() and (evaluated.params > 0).all() and (evaluated.macs > 0).all()
    for text in evaluated.arch:
        NASNetSpace().decode(text)  # every recorded architecture reads back
    best = evaluated.loc[evaluated.valid_accuracy.idxmax()]
    lines = stdout.splitlines()
    assert lines[0] == f"best: trial {best.number}  {best.arch}"
    assert "valid_accuracy" in lines[1] and "params" in lines[1] and "macs" in lines[1]
    assert f"{best.valid_accuracy:.4f}".rstrip("0").rstrip(".") in lines[1]
    assert stderr.count("trial ") == 3  # one progress line per network when stderr is not a terminal
    config = json.loads((out / "config.json").read_text())
    assert (config["space"], config["strategy"], config["evaluator"]) == ("nasnet", strategy, "train")


@pytest.mark.slow
def test_defaults_and_flags_reach_the_space_and_the_trainer(capsys, tmp_path):
    out = tmp_path / "run"
    argv = [
        "search",
        "--budget",
        "2",
        "--epochs",
        "1",
        "--cells",
        "2",
        "--filters",
        "4",
        "--dataset",
        "digits",
        "--out",
        str(out),
        "--backend",
        "local",
    ]
    code, _, stderr = run(capsys, *argv)
    assert code == 0, stderr
    config = json.loads((out / "config.json").read_text())
    assert (config["space"], config["strategy"], config["budget"]) == ("nasnet", "evo", 2)
    assert config["space_options"] == {"cells": 2, "filters": 4}
    assert config["evaluator_options"]["dataset"] == "digits" and config["trial_budget"] == {"epochs": 1}
    code, _, stderr = run(capsys, "search", "--resume", str(out), "--budget", "3")
    assert code == 0, stderr
    assert (pd.read_csv(out / "trials.csv").duplicate_of.isna()).sum() == 3


@pytest.mark.slow
def test_diverging_candidates_fail_and_the_search_finishes(capsys, tmp_path):
    out = tmp_path / "run"
    code, stdout, _ = run(
        capsys, "search", "--budget", "2", "--epochs", "1", "--lr", "1e30", "--out", str(out), "--backend", "local"
    )
    assert code == 1  # the search ran to its end, but found nothing
    table = pd.read_csv(out / "trials.csv")
    assert list(table.state) == ["FAIL", "FAIL"]
    assert all(error.startswith("loss diverged (nan)") for error in table.error)
    assert "no trial completed" in stdout and "2 failed" in stdout


def write_corrupt_cifar(root):
    root.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (root / name).write_bytes(b"\x80\x02}q\x00(X\x04\x00\x00\x00data")  # a pickle cut short


@pytest.mark.parametrize(
    "argv, message",
    [
        (["-O", "preset=huge"], "unknown NASNet network preset 'huge'; choose from: cifar, mobile, large"),
        (["--dataset", "cifar10", "--data-dir", "{tmp}/nowhere"], "data directory {tmp}/nowhere does not exist"),
        (["--dataset", "folder", "--data-dir", "{tmp}/nowhere"], "data directory {tmp}/nowhere does not exist"),
        (["--dataset", "cifar10", "--data-dir", "{tmp}/cifar"], "corrupt CIFAR-10 batch {tmp}/cifar/data_batch_1"),
        (["--dataset", "cifar10"], "dataset 'cifar10' needs --data-dir"),
        (["--dataset", "imagenet"], "unknown dataset 'imagenet'"),
        (["--cells", "0"], "nasnet needs cells >= 1"),
        (["-O", "stem=resnet"], "unknown nasnet stem 'resnet'"),
        (["--lr", "-1"], "lr must be a positive number"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(capsys, tmp_path, argv, message):
    write_corrupt_cifar(tmp_path / "cifar")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, _, err = run(capsys, "search", "--space", "nasnet", "--out", str(tmp_path / "r"), *argv)
    assert code == 2
    assert message.replace("{tmp}", str(tmp_path)) in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("flags", "reason"),
    [
        (["--epochs", "1"], "they train for 1"),  # --epochs is every trial's budget: no epoch to stop after
        (["--epochs", "3", "--grace-period", "3", "-E", "epochs=9"], "they train for 3"),  # not the evaluator's 9
    ],
)
def test_early_stopping_places_its_rungs_by_the_epochs_each_trial_trains_for(capsys, tmp_path, flags, reason):
    out = tmp_path / "run"
    code, _, stderr = run(capsys, "search", "--scheduler", "asha", *flags, "--out", str(out))
    assert code == 2 and reason in stderr and len(stderr.strip().splitlines()) == 1
    assert not out.exists()
