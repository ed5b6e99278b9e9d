"""Bad inputs to the newer commands (supernet train, sweep, report, search --supernet) and hand-edited or
cut run files: each is answered with one line and exit code 2, nothing is written at ``--out``, and every
run folder named is left byte for byte as it was."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from nasbench.search_spaces.mbconv_supernet import MBConvSupernetSpace
from nasbench.storage import atomic
from nasbench.storage.run_folder import CONFIG, SUPERNET_WEIGHTS
from nasbench.storage.weights import save_weights
from nasbench.supernet_training.config import SupernetConfig
from nasbench.supernet_training.worker import build_supernet
from nasbench.training.data import load_data

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "runs-0.1"
SEARCH = FIXTURES / "search-nb201"


def _supernet_run(folder: Path, **space_options) -> Path:
    """A supernet run folder as training leaves it (untrained weights: what is tested is the plumbing)."""
    space = MBConvSupernetSpace(**space_options)
    config = SupernetConfig(space=space.name, space_options=space_options, epochs=1)
    atomic.write_json(folder / CONFIG, {"supernet": config.to_dict()})
    save_weights(build_supernet(space, load_data("digits"), 0), folder / SUPERNET_WEIGHTS)
    return folder


def _edited_table(folder: Path, column: str, row: int, text: str) -> Path:
    """The NAS-Bench-201 search with one cell of its trial table changed by hand."""
    shutil.copytree(SEARCH, folder)
    table = pd.read_csv(folder / "trials.csv", dtype=object)
    table.loc[row, column] = text
    table.to_csv(folder / "trials.csv", index=False)
    return folder


def _cut_table(folder: Path) -> Path:
    shutil.copytree(SEARCH, folder)
    text = (folder / "trials.csv").read_text()
    (folder / "trials.csv").write_text(text[: text.rindex(",") + 4])  # the last row ends mid-number
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    supernet = _supernet_run(root / "supernet", resolutions="4,8")
    corrupt = root / "corrupt-supernet"
    shutil.copytree(supernet, corrupt)
    (corrupt / SUPERNET_WEIGHTS).write_bytes((supernet / SUPERNET_WEIGHTS).read_bytes()[:500])
    no_supernet = root / "no-supernet"
    shutil.copytree(FIXTURES / "supernet-killed", no_supernet)
    stored = json.loads((no_supernet / CONFIG).read_text())
    stored["supernet"]["space"], stored["supernet"]["space_options"] = "mbconv", {}
    (no_supernet / CONFIG).write_text(json.dumps(stored))
    return {
        "supernet": supernet,
        "corrupt": corrupt,
        "no-supernet": no_supernet,
        "text-value": _edited_table(root / "text-value", "value", 3, "abc"),
        "odd-state": _edited_table(root / "odd-state", "state", 2, "DONE"),
        "odd-arch": _edited_table(root / "odd-arch", "arch", 2, "|x~0|"),
        "cut": _cut_table(root / "cut"),
    }


#: (command line, what its one line says); ``{name}`` is a run of the ``runs`` fixture, ``{new}`` a path
#: where nothing exists
TRAIN = ["supernet", "train", "--space", "mbconv-supernet"]
BAD = [
    ([*TRAIN, "--warmup-epochs", "nan"], "--warmup-epochs must be a finite"),
    ([*TRAIN, "--weight-decay", "inf"], "--weight-decay must be a finite"),
    ([*TRAIN, "--final-lr-fraction", "2"], "final_lr_fraction must be in [0, 1]"),
    ([*TRAIN, "-O", "widths=nan"], "widths[0] must be a finite"),
    ([*TRAIN, "--gpus-per-worker", "nan"], "--gpus-per-worker must be a finite"),
    ([*TRAIN, "--gpus-per-worker", "64"], "GPUs torch sees on this machine"),
    ([*TRAIN, "--epochs", "10" + "0" * 20], "epochs must be in 1..10,000"),
    ([*TRAIN, "--address", "127.0.0.1:1"], "cannot reach the Ray cluster"),
    ([*TRAIN, "--workers", "64", "--batch-size", "64"], "CPUs of this machine"),
    (["supernet", "train", "--resume", "{no-supernet}"], "needs a space with the WeightSharing capability"),
    (["supernet", "train", "--resume", str(SEARCH)], "holds no supernet training"),
    (["sweep", "--width", "nan"], "--width must be a finite number"),
    (["sweep", "--depth", "inf"], "--depth must be a finite number"),
    (["sweep", "--width", "0.5", "--seeds", "0"], "at least one seed per point, got 0"),
    (["sweep", "--width", "0.5", "--train-size", "99999999999", "--backend", "local"], "exceeds the 131,072 examples"),
    (["report", "{text-value}", "--out", "{new}"], "has value 'abc', not a number"),
    (["report", "{odd-state}", "--out", "{new}"], "has state 'DONE', not one of"),
    (["report", "{odd-arch}", "--out", "{new}"], "not an architecture of the 'nb201' space"),
    (["report", "{cut}", "--out", "{new}"], "was cut off mid-row"),
    (["search", "--resume", "{cut}"], "was cut off mid-row"),
    (["search", "--supernet", "{supernet}", "-O", "resolutions=8"], "-O cannot be given with --supernet"),
    (["search", "--supernet", "{supernet}", "--space", "vit-supernet"], "was trained for space 'mbconv-supernet'"),
    (["search", "--supernet", "{corrupt}"], "corrupt weights file"),
]  # fmt: skip


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(("argv", "message"), BAD, ids=lambda a: " ".join(a)[:70] if isinstance(a, list) else "")
def test_a_bad_input_gets_one_line_and_writes_nothing(cli, runs, tmp_path, argv, message):
    new = tmp_path / "new"
    before = {name: _files(folder) for name, folder in runs.items()}
    argv = [a.replace("{new}", str(new)).format(**{k: str(v) for k, v in runs.items()}) for a in argv]
    if argv[0] != "report" and "--resume" not in argv:
        argv += ["--out", str(new)]
    code, stdout, stderr = cli(*argv)
    output = stdout + stderr
    assert code == 2 and message in output, output
    assert output.count("\n") == 1 and "Traceback" not in output
    assert not new.exists()
    assert {name: _files(folder) for name, folder in runs.items()} == before


def test_a_search_of_a_supernet_takes_the_runs_own_space_options(cli, runs, tmp_path):
    out = tmp_path / "search"
    code, _, err = cli("search", "--supernet", str(runs["supernet"]), "--budget", "3", "--out", str(out), "--quiet")
    assert code == 0, err
    assert json.loads((out / CONFIG).read_text())["space_options"] == {"resolutions": "4,8"}
    resolutions = {
        MBConvSupernetSpace(resolutions="4,8").decode(a).resolution for a in pd.read_csv(out / "trials.csv").arch
    }
    assert resolutions <= {4, 8}  # fmt: skip


@pytest.mark.parametrize(
    "command", [["search", "--space", "nb201", "--benchmark", "nb201", "--backend", "ray"], ["sweep", "--width", "0.5"]]
)
def test_a_ray_that_cannot_start_is_one_line_and_leaves_no_run_folder(tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {**os.environ, "RAY_TMPDIR": str(blocker / "ray")}  # Ray's session folder cannot be made
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "nasbench.cli", *command, "--out", str(out), "--quiet"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "cannot start a local Ray" in done.stderr and "--backend local" in done.stderr
    assert not out.exists()
