"""``nasbench supernet train`` refusals, and ``search --supernet`` then ``export --best --finetune`` end to end."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from nasbench.search_spaces.mbconv_supernet import MBConvSupernetSpace
from nasbench.storage import atomic
from nasbench.storage.run_folder import CONFIG, SUPERNET_WEIGHTS
from nasbench.storage.weights import save_weights
from nasbench.supernet_training.config import SupernetConfig
from nasbench.supernet_training.worker import build_supernet
from nasbench.training.data import load_data


@pytest.fixture
def finished_run(tmp_path):
    """A supernet run folder as training leaves it (untrained weights: what is tested is the plumbing)."""
    space = MBConvSupernetSpace()
    run = tmp_path / "supernet"
    atomic.write_json(run / CONFIG, {"supernet": SupernetConfig(space=space.name, epochs=1).to_dict()})
    save_weights(build_supernet(space, load_data("digits"), 0), run / SUPERNET_WEIGHTS)
    return run


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "--space is required"),
        (("--space", "nb201"), "needs a space with the WeightSharing capability"),
        (("--space", "mbconv-supernet", "--workers", "3"), "does not split evenly across 3 workers"),
        (("--space", "mbconv-supernet", "--epochs", "0"), "epochs must be in 1..10,000"),
        (("--space", "mbconv-supernet", "--attentive", "0"), "attentive must be 1 (uniform children) or more"),
        (("--space", "mbconv-supernet", "--train-size", "0"), "train_size must be positive"),
        (("--space", "mbconv-supernet", "--shrink-epochs", "11"), "shrink_epochs must be in [0, epochs]"),
        (("--space", "mbconv-supernet", "--distill-weight", "0"), "distill_weight must be a positive number"),
        (("--space", "mbconv-supernet", "--shrink-order", "kernel"), "shrink_order needs shrink_epochs"),
        (
            ("--space", "mbconv-supernet", "--shrink-epochs", "1", "--shrink-order", "kernal,channels"),
            "must name kinds of decision of the space, each once: kernel, expand, repeats, channels, resolution",
        ),
        (("--space", "mbconv-supernet", "--train-size", "5000"), "train_size 5000 exceeds the 1,078 examples"),
        (("--space", "nb201", "--recipe", "rank"), "needs a space with the WeightSharing capability"),
        (("--resume", "somewhere", "--recipe", "rank"), "--recipe cannot change when resuming"),
        (("--resume", "somewhere", "--epochs", "3"), "--epochs cannot change when resuming"),
        (("--resume", "nowhere"), "holds no supernet run"),
    ],
)
def test_supernet_train_refuses_bad_input_in_one_line(cli, tmp_path, argv, message):
    code, _, err = (
        cli("supernet", "train", "--out", str(tmp_path / "run"), *argv)
        if "--resume" not in argv
        else cli("supernet", "train", *argv)
    )
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run" / CONFIG).exists()


def test_search_refuses_a_missing_supernet_or_training_flags(cli, tmp_path, finished_run):
    code, _, err = cli("search", "--supernet", str(tmp_path / "none"), "--out", str(tmp_path / "s"))
    assert code == 2 and "holds no supernet run" in err
    code, _, err = cli("search", "--supernet", str(finished_run), "--epochs", "3", "--out", str(tmp_path / "s"))
    assert code == 2 and "--epochs are the supernet run's own" in err
    (finished_run / SUPERNET_WEIGHTS).unlink()
    code, _, err = cli("search", "--supernet", str(finished_run), "--out", str(tmp_path / "s"))
    assert code == 2 and "has not finished training" in err


@pytest.mark.slow
def test_search_with_supernet_weights_then_export_fine_tuned(cli, tmp_path, finished_run, one_thread):
    out = tmp_path / "search"
    code, stdout, err = cli(
        "search", "--supernet", str(finished_run), "--strategy", "evo", "--budget", "3", "--max-macs", "2e6",
        "--out", str(out), "--quiet", "--device", "cpu",
    )  # fmt: skip
    assert code == 0, err
    trials = pd.read_csv(out / "trials.csv")
    assert (trials["state"] == "COMPLETE").all() and (trials["macs"] <= 2e6).all()
    assert json.loads((out / "config.json").read_text())["space"] == "mbconv-supernet"
    code, stdout, err = cli("export", str(out), "--best", "--finetune", "1", "--out", str(tmp_path / "model"))
    assert code == 0, err
    info = json.loads((tmp_path / "model" / "arch.json").read_text())
    assert info["metrics"]["finetune_epochs"] == 1 and "finetuned_valid_accuracy" in info["metrics"]
    assert (tmp_path / "model" / "weights.pt").exists()


def test_every_training_flag_sets_the_config_field_of_its_name():
    """The flags are declared, not probed: each names a SupernetConfig field and parses into it."""
    from dataclasses import fields

    from nasbench.cli import build_parser
    from nasbench.cli.supernet_command import TRAINING_FLAGS

    names = {f.name for f in fields(SupernetConfig)}
    args = build_parser().parse_args(["supernet", "train", "--space", "mbconv-supernet"])
    assert set(TRAINING_FLAGS) <= names
    assert all(getattr(args, name) is None for name in TRAINING_FLAGS)  # unset: the config's default
    given = build_parser().parse_args(["supernet", "train", "--distill-weight", "0.5", "--shrink-epochs", "2"])
    assert (given.distill_weight, given.shrink_epochs) == (0.5, 2.0)


def test_rank_recipe_scales_to_the_epochs_and_yields_to_explicit_flags():
    """``--recipe rank``: once-for-all's order over 3/4 of the epochs for mbconv-supernet (tau 0.56 against
    the defaults' 0.38) and over half for vit-supernet (0.70 against 0.65 over six seeds, best child 0.15
    point above its own training), a warm-up of 1/16 of the epochs and a cosine to 0 (docs/BENCHMARKS.md,
    "Supernet ranking")."""
    from nasbench.cli import build_parser
    from nasbench.cli.supernet_command import training_config
    from nasbench.search_spaces.vit_supernet import ViTSupernetSpace
    from nasbench.supernet_training.shrinking import shrink_phases

    def config(space, *flags):
        args = build_parser().parse_args(["supernet", "train", "--space", space.name, *flags])
        return training_config(args, space, {})

    mbconv, vit = MBConvSupernetSpace(), ViTSupernetSpace("digits-wide")
    ranked = config(mbconv, "--recipe", "rank", "--epochs", "4")
    assert (ranked.shrink_epochs, ranked.shrink_order) == (3.0, "kernel,repeats,expand,channels")
    assert (ranked.warmup_epochs, ranked.final_lr_fraction, ranked.epochs) == (0.25, 0.0, 4)
    ranked = config(vit, "--recipe", "rank", "--epochs", "8", "--warmup-epochs", "1")
    assert (ranked.shrink_epochs, ranked.shrink_order) == (4.0, "heads,depth,mlp_ratio,embed")
    assert (ranked.warmup_epochs, ranked.final_lr_fraction) == (1.0, 0.0)  # the flag given wins
    for space in (mbconv, vit):  # the orders name the spaces' own kinds of decision
        shrink_phases(space.ranking_shrink()[1], space.decision_kinds())
        default = SupernetConfig(space=space.name)
        assert config(space) == default and config(space, "--recipe", "bignas") == default


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["evo", "bo"])
def test_a_search_recorded_before_starting_points_resumes_as_it_started(
    strategy, cli, tmp_path, finished_run, one_thread
):
    """Runs recorded before the ``starting_points`` option began with random members: resume keeps that."""
    out = tmp_path / "search"
    flags = ["--supernet", str(finished_run), "--strategy", strategy, "--device", "cpu", "--quiet"]
    assert cli("search", *flags, "--budget", "2", "-S", "starting_points=false", "--out", str(out))[0] == 0
    config = json.loads((out / CONFIG).read_text())
    del config["strategy_options"]["starting_points"]  # as an older version wrote it
    atomic.write_json(out / CONFIG, config)
    code, _, err = cli("search", "--resume", str(out), "--budget", "3", "--quiet")
    assert code == 0, err
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 3 and MBConvSupernetSpace().largest().to_string() not in set(trials["arch"])
    fresh = tmp_path / "fresh"
    assert cli("search", *flags, "--budget", "1", "--out", str(fresh))[0] == 0
    assert pd.read_csv(fresh / "trials.csv")["arch"][0] == MBConvSupernetSpace().largest().to_string()
