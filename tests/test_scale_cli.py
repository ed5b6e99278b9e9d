"""``nasbench scale``: the table, the file it writes, scaling a search's best network, and bad input."""

import json

import pandas as pd
import pytest

pytestmark = pytest.mark.usefixtures("one_thread")


def test_variants_and_phis_print_a_table_and_write_it(cli, tmp_path):
    out = tmp_path / "b0.csv"
    code, stdout, _ = cli("scale", "--base", "efficientnet-b0", "--variants", "b0-b1", "--phi", "1", "--out", str(out))
    assert code == 0
    assert "5,288,548" in stdout and "7,794,184" in stdout and "multiply-adds" in stdout and str(out) in stdout
    table = pd.read_csv(out)
    assert list(table.variant) == ["b0", "b1", "phi=1"]
    assert list(table.params[:2]) == [5_288_548, 7_794_184]  # ../shared/REFERENCE.md
    assert list(table.resolution) == [224, 240, 258]
    assert table.depth_factor[2] == pytest.approx(1.2) and table.width_factor[2] == pytest.approx(1.1)
    assert {"macs", "conv_linear_macs", "blocks", "dropout", "arch"} <= set(table.columns)


def test_search_then_scale_its_best_network(cli, tmp_path):
    run_dir = tmp_path / "run"
    args = [
        "search",
        "--space",
        "mbconv",
        "-O",
        "base=tiny",
        "--strategy",
        "random",
        "--budget",
        "2",
        "--epochs",
        "1",
        "--batch-size",
        "16",
        "--backend",
        "local",
    ]
    assert cli(*args, "--out", str(run_dir), "--quiet")[0] == 0
    best = pd.read_csv(run_dir / "trials.csv").sort_values("value", ascending=False).iloc[0]
    out = tmp_path / "scaled.csv"
    code, stdout, err = cli("scale", "--from", str(run_dir), "--phi", "0", "2", "--out", str(out))
    assert code == 0, err
    assert f"trial {int(best.number)} of {run_dir}" in stdout
    table = pd.read_csv(out)
    assert list(table.resolution) == [8, round(8 * 1.15**2)]  # digits are 8x8
    assert table.params[0] == best.params  # phi = 0 is the searched network itself, same data (1 channel, 10 classes)
    assert table.params[1] > table.params[0]


@pytest.mark.slow
def test_grid_search_from_the_command_line(cli, tmp_path):
    out = tmp_path / "tiny.csv"
    argv = [
        "scale",
        "--base",
        "tiny",
        "--grid-search",
        "--alphas",
        "1.2",
        "--betas",
        "1.1",
        "--gammas",
        "1.15",
        "1.2",
        "--tolerance",
        "0.1",
    ]
    code, stdout, err = cli(*argv, "--epochs", "1", "--batch-size", "16", "--phi", "1", "--out", str(out))
    assert code == 0, err
    grid = pd.read_csv(tmp_path / "tiny-grid.csv")
    assert len(grid) == 2 and "valid_accuracy" in grid  # 1.2 * 1.1^2 * 1.2^2 = 2.09 is within 10 % of 2
    best = grid.loc[grid.valid_accuracy.idxmax()]
    assert f"best coefficients: alpha 1.2, beta 1.1, gamma {best.gamma:g}" in stdout
    scaled = pd.read_csv(out)
    assert scaled.resolution[0] == round(8 * best.gamma)


def _nb201_run(cli, nb201_dir, path):
    assert (
        cli(
            "search",
            "--space",
            "nb201",
            "--benchmark",
            str(nb201_dir),
            "--budget",
            "2",
            "--out",
            str(path),
            "--quiet",
            "--backend",
            "local",
        )[0]
        == 0
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--from", "{tmp}/missing"], "no run folder at"),
        (["--from", "{nb201run}"], "searched the 'nb201' space; only mbconv networks can be scaled"),
        (["--from", "{empty}"], "has no completed trial to scale"),
        (["--variants", "b9"], "should name rows of the EfficientNet table"),
        (["--base", "b9"], "unknown MBConv network 'b9'"),
        (["--base", "tiny", "--from", "{empty}"], "give --base or --from, not both"),
        (["--alphas", "1.2"], "apply to --grid-search only"),
        (["--grid-search", "--alpha", "1.3"], "what --grid-search finds"),
        (["--phi", "1", "--alpha", "0.5"], "at least 1"),
        (["--base", "tiny", "--phi", "1"], "has no resolution of its own; give one with --resolution"),
        (["--base", "tiny", "--phi", "1", "--resolution", "0"], "--resolution must be a positive"),
        (["--out", "{tmp}"], "is a folder"),
        (["--out", "{nb201run}/trials.csv"], "is inside the run folder"),
        (["--variants", ""], "should name rows of the EfficientNet table"),
        (["--phi", "nan"], "phi must be a non-negative number"),
        (["--phi", "1e9"], "scales beyond any buildable network"),
        (["--phi", "1", "--alpha", "inf"], "at least 1"),
    ],
)
def test_bad_input_is_one_line(cli, tmp_path, nb201_dir, argv, message):
    if any("{nb201run}" in a for a in argv):
        _nb201_run(cli, nb201_dir, tmp_path / "nb201")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.json").write_text(
        json.dumps(
            {
                "space": "mbconv",
                "strategy": "random",
                "evaluator": "train",
                "budget": 2,
                "space_options": {"base": "tiny"},
            }
        )
    )
    argv = [
        a.replace("{tmp}", str(tmp_path)).replace("{nb201run}", str(tmp_path / "nb201")).replace("{empty}", str(empty))
        for a in argv
    ]
    code, _, err = cli("scale", *argv)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_base_without_a_resolution_takes_one_from_the_command_line(cli, tmp_path):
    out = tmp_path / "tiny.csv"
    code, _, err = cli(
        "scale", "--base", "tiny", "--resolution", "8", "--phi", "0", "1", "--num-classes", "10", "--out", str(out)
    )
    assert code == 0, err
    table = pd.read_csv(out)
    assert list(table.resolution) == [8, round(8 * 1.15)]
    assert table.params[1] > table.params[0]


def test_a_folder_with_its_own_config_json_is_not_taken_for_a_run(cli, tmp_path):
    (tmp_path / "config.json").write_text("{}")  # some project's configuration, no trial table
    code, _, err = cli("scale", "--variants", "b0", "--out", str(tmp_path / "b0.csv"))
    assert code == 0, err
    assert (tmp_path / "b0.csv").exists()
