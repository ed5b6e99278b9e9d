"""Bad command lines, as a new user writes them: each is answered with one line and a non-zero exit,
and an existing run folder named on it is left byte for byte as it was."""

from pathlib import Path

import pytest

NB201 = ["--space", "nb201", "--benchmark", "nb201", "--budget", "5"]
NASNET_A = (
    "normal: 2=sep5x5(0)+sep3x3(1) 3=sep5x5(1)+sep3x3(1) 4=avg3x3(0)+id(1) 5=avg3x3(1)+avg3x3(1) 6=sep3x3(0)+id(0) "
    "out=1,2,3,4,5,6 | reduction: 2=sep5x5(0)+sep7x7(1) 3=max3x3(0)+sep7x7(1) 4=avg3x3(0)+sep5x5(1) "
    "5=id(3)+avg3x3(2) 6=sep3x3(2)+max3x3(0) out=3,4,5,6"
)

#: ``{run}`` is an existing run folder, ``{new}`` a path where nothing exists
BAD = [
    # search: names, numbers, options
    ["search", "--space", "nope"],
    ["search", "--space", "nb201", "--strategy", "nope", "--benchmark", "nb201"],
    ["search", "--budget", "ten"],
    ["search", *NB201[:-2], "--budget", "0", "--out", "{new}"],
    ["search", *NB201[:-2], "--budget", "-5", "--out", "{new}"],
    ["search", *NB201, "--seed", "-1", "--out", "{new}"],
    ["search", *NB201, "--seed", "1.5"],
    ["search", *NB201, "-S", "population_size=x", "--out", "{new}"],
    ["search", *NB201, "-S", "population_size", "--out", "{new}"],
    ["search", *NB201, "-S", "nope=1", "--out", "{new}"],
    ["search", *NB201, "-S", "population_size=1", "--out", "{new}"],
    ["search", *NB201, "-S", "population_size=4", "-S", "tournament_size=50", "--out", "{new}"],
    ["search", *NB201, "--strategy", "rl", "-S", "entropy_weight=nan", "--out", "{new}"],
    ["search", *NB201, "--strategy", "rl", "-S", "learning_rate=inf", "--out", "{new}"],
    ["search", *NB201, "--strategy", "rl", "-S", "logit_bound=-inf", "--out", "{new}"],
    ["search", *NB201, "--strategy", "rl", "-S", "controller=gru", "--out", "{new}"],
    ["search", *NB201, "--strategy", "rl", "-S", "baseline_decay=1.5", "--out", "{new}"],
    ["search", *NB201, "--strategy", "tpe", "-S", "n_startup_trials=-1", "--out", "{new}"],
    ["search", *NB201, "--strategy", "tpe", "-S", "multivariate=maybe", "--out", "{new}"],
    # objectives and constraints
    ["search", *NB201, "--objective", "accuracy:up", "--out", "{new}"],
    ["search", *NB201, "--objective", "flops", "--out", "{new}"],
    ["search", *NB201, "--mnas-weight", "-0.07", "--out", "{new}"],
    ["search", *NB201, "--mnas-target", "macs", "--out", "{new}"],
    ["search", *NB201, "--mnas-target", "train_seconds=-5", "--out", "{new}"],
    ["search", *NB201, "--mnas-target", "train_seconds=1000", "--mnas-weight", "nan", "--out", "{new}"],
    ["search", *NB201, "--mnas-target", "train_seconds=nan", "--out", "{new}"],
    ["search", "--space", "nb201", "--max-params", "-1", "--out", "{new}"],
    ["search", "--space", "nb201", "--max-params", "inf", "--out", "{new}"],
    ["search", "--space", "nb201", "--max-latency-ms", "nan", "--out", "{new}"],
    # spaces
    ["search", "--space", "mbconv", "-O", "base=tiny", "-O", "widths=nan", "--out", "{new}"],
    ["search", "--space", "mbconv", "-O", "base=tiny", "-O", "widths=inf", "--out", "{new}"],
    ["search", "--space", "mbconv", "-O", "base=nope", "--out", "{new}"],
    ["search", "--space", "mbconv", "-O", "kernels=3,x", "--out", "{new}"],
    ["search", "--space", "nasnet", "--cells", "1", "--filters", "8", "-O", "stem_multiplier=nan", "--out", "{new}"],
    ["search", "--space", "nasnet", "--cells", "1", "--filters", "8", "-O", "stem_multiplier=inf", "--out", "{new}"],
    ["search", "--space", "nasnet", "--cells", "0", "--out", "{new}"],
    # training and execution
    ["search", *NB201, "--epochs", "3", "--out", "{new}"],
    ["search", "--space", "nb201", "--lr", "nan", "--out", "{new}"],
    ["search", "--space", "nb201", "--device", "gpu0", "--out", "{new}"],
    ["search", *NB201, "--backend", "local", "--max-concurrent", "2", "--out", "{new}"],
    ["search", "--space", "nb201", "--benchmark", "/no/such/table", "--out", "{new}"],
    ["search", *NB201, "--metric", "acc", "--out", "{new}"],
    # the existing run
    ["search", *NB201, "--out", "{run}"],
    ["search", "--resume", "{run}", "--space", "nb201"],
    ["search", "--resume", "{run}", "-S", "population_size=3"],
    ["search", "--resume", "{run}", "--budget", "3"],
    ["search", "--resume", "{run}", "--budget", "0"],
    ["search", "--resume", "{run}/trials.csv"],
    ["search", "--resume", "/no/such/run"],
    # export
    ["export", "--arch", "garbage", "--space", "nb201", "--out", "{new}"],
    ["export", "--arch", "stem_c16_s1_silu/ir_r1000000_k3_s1_e1_c8/head_c128_d0.2", "--space", "mbconv",
     "--out", "{new}"],
    ["export", "--arch", NASNET_A.replace("(0)", "(" + "1" * 4301 + ")", 1), "--space", "nasnet", "--out", "{new}"],
    ["export", "--arch", NASNET_A.replace("(0)", "(" + "1" * 50 + ")", 1), "--space", "nasnet", "--out", "{new}"],
    ["export", "--arch", "x", "--space", "nope", "--out", "{new}"],
    ["export", "{run}", "--trial", "999", "--out", "{new}"],
    ["export", "/no/such/run"],
    # scale
    ["scale", "--base", "tiny", "--resolution", "8", "--phi", "40", "--out", "{new}.csv"],
    ["scale", "--base", "tiny", "--resolution", "8", "--phi", "25", "--out", "{new}.csv"],
    ["scale", "--base", "tiny", "--resolution", "8", "--phi", "1e9", "--out", "{new}.csv"],
    ["scale", "--base", "tiny", "--resolution", "8", "--phi", "-1", "--out", "{new}.csv"],
    ["scale", "--base", "tiny", "--resolution", "8", "--phi", "nan", "--out", "{new}.csv"],
    ["scale", "--base", "tiny", "--resolution", "8", "--phi", "1", "--alpha", "nan", "--out", "{new}.csv"],
    ["scale", "--base", "nope", "--out", "{new}.csv"],
    ["scale", "--base", "tiny", "--variants", "b9", "--out", "{new}.csv"],
    ["scale", "--base", "tiny", "--resolution", "8", "--phi", "1", "--out", "{run}/trials.csv"],
    ["scale", "--from", "{run}", "--out", "{new}.csv"],
    # the command itself
    ["nope"],
    [],
]  # fmt: skip


@pytest.fixture(scope="module")
def existing_run(tmp_path_factory) -> Path:
    from nasbench.cli import main

    run = tmp_path_factory.mktemp("existing") / "run"
    assert main(["search", *NB201, "--out", str(run), "--quiet"]) == 0
    return run


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("argv", BAD, ids=lambda argv: " ".join(argv)[:60])
def test_a_bad_command_line_gets_one_line_and_changes_nothing(cli, existing_run, tmp_path, argv):
    new = tmp_path / "new"
    before = _files(existing_run)
    code, stdout, stderr = cli(*(a.replace("{run}", str(existing_run)).replace("{new}", str(new)) for a in argv))
    output = stdout + stderr
    assert code not in (0, None), output
    assert output.count("\n") == 1 and output.endswith("\n"), output
    assert "Traceback" not in output and "error" in output
    assert _files(existing_run) == before
    assert not new.exists() and not Path(f"{new}.csv").exists()
