"""Exported models leave the toolkit: model.py runs where nasbench cannot be imported."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from nasbench.catalog import SPACES
from nasbench.cli import main
from nasbench.errors import ResultsError
from nasbench.export import export_architecture, export_trial, load_exported
from nasbench.space import DataSpec

#: (space, options, data) for every space; architectures are sampled from each
SPACES_TO_EXPORT = [
    ("nb201", {"filters": 8, "cells": 1}, DataSpec(1, 8, 8, 10)),
    ("mbconv", {"base": "tiny"}, DataSpec(1, 8, 8, 10)),
    ("nasnet", {"cells": 1, "filters": 8}, DataSpec(1, 8, 8, 10)),
    ("nasnet", {"cells": 1, "filters": 8, "auxiliary": True, "drop_path": 0.2}, DataSpec(3, 16, 16, 5)),
]

RUN_OUTSIDE_NASBENCH = textwrap.dedent(
    """
    import importlib.abc, sys

    class NoNasbench(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "nasbench" or name.startswith("nasbench."):
                raise ImportError("nasbench must not be needed by an exported model")

    sys.meta_path.insert(0, NoNasbench())
    import importlib.util, torch
    for folder in sys.argv[1:]:
        spec = importlib.util.spec_from_file_location("model", folder + "/model.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.load_model()
        x = torch.load(folder + "/x.pt", weights_only=True)
        with torch.no_grad():
            torch.save(model(x), folder + "/y.pt")
    """
)


def exported_samples(tmp_path, per_space=3):
    """Export sampled architectures of every space with trained-looking (random) weights."""
    cases = []
    for case, (name, options, data) in enumerate(SPACES_TO_EXPORT):
        space = SPACES.create(name, **options)
        rng = np.random.default_rng(0)
        for k in range(per_space):
            arch = space.sample(rng)
            with torch.random.fork_rng():
                torch.manual_seed(k)
                model = space.build(arch, data).eval()
            folder = export_architecture(space, arch, tmp_path / f"{case}-{name}-{k}", data=data, weights=model)
            x = torch.randn(2, data.channels, data.height, data.width, generator=torch.Generator().manual_seed(k))
            torch.save(x, folder / "x.pt")
            with torch.no_grad():
                cases.append((folder, model(x)))
    return cases


@pytest.mark.slow
def test_exported_models_run_without_nasbench_and_match(tmp_path):
    cases = exported_samples(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-I", "-c", RUN_OUTSIDE_NASBENCH, *[str(f) for f, _ in cases]],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    for folder, expected in cases:
        got = torch.load(folder / "y.pt", weights_only=True)
        torch.testing.assert_close(got, expected, atol=1e-6, rtol=0)
        assert "nasbench" not in (folder / "model.py").read_text().split("# --- the exported")[0].replace(
            "nasbench ", ""
        )


def test_round_trip_through_the_python_api(tmp_path):
    space = SPACES.create("nb201", filters=8, cells=1)
    data = DataSpec(1, 8, 8, 10)
    arch = space.sample(np.random.default_rng(1))
    model = space.build(arch, data).eval()
    folder = export_architecture(
        space, arch, tmp_path / "m", data=data, weights=model, metrics={"valid_accuracy": 97.5}, formats=["export"]
    )
    loaded = load_exported(folder)
    x = torch.randn(3, 1, 8, 8)
    torch.testing.assert_close(loaded(x), model(x), atol=1e-6, rtol=0)
    program = torch.export.load(str(folder / "model.pt2"))
    torch.testing.assert_close(program.module()(x), model(x), atol=1e-5, rtol=0)
    info = json.loads((folder / "arch.json").read_text())
    assert info["arch"] == arch.to_string() and info["hash"] == arch.hash_key
    assert info["params"] == sum(p.numel() for p in model.parameters()) and info["macs"] > 0
    assert info["metrics"] == {"valid_accuracy": 97.5} and info["trained_weights"] is True


def test_onnx_export_runs_in_onnxruntime(tmp_path):
    import onnxruntime

    space = SPACES.create("nb201", filters=4, cells=1)
    data = DataSpec(1, 8, 8, 10)
    arch = space.sample(np.random.default_rng(2))
    model = space.build(arch, data).eval()
    folder = export_architecture(space, arch, tmp_path / "m", data=data, weights=model, formats=["onnx"])
    x = torch.randn(5, 1, 8, 8)
    session = onnxruntime.InferenceSession(str(folder / "model.onnx"))
    (logits,) = session.run(None, {"images": x.numpy()})
    torch.testing.assert_close(torch.from_numpy(logits), model(x).detach(), atol=1e-5, rtol=1e-5)


def test_export_the_best_trained_trial_of_a_run(tmp_path, capsys):
    run = tmp_path / "run"
    argv = [
        "search",
        "--space",
        "nb201",
        "--filters",
        "4",
        "--cells",
        "1",
        "--budget",
        "3",
        "--epochs",
        "1",
        "--out",
        str(run),
        "--quiet",
        "--backend",
        "local",
    ]
    assert main(argv) == 0
    assert main(["export", str(run), "--best", "--out", str(tmp_path / "best")]) == 0
    assert "exported trial" in capsys.readouterr().out
    info = json.loads((tmp_path / "best" / "arch.json").read_text())
    table = __import__("pandas").read_csv(run / "trials.csv")
    best = table[table.duplicate_of.isna()].sort_values("value", ascending=False).iloc[0]
    assert info["arch"] == best.arch and info["metrics"]["valid_accuracy"] == pytest.approx(best.valid_accuracy)
    # the exported weights are the trained ones: the exported model reproduces the stored accuracy
    from nasbench.training.data import load_data
    from nasbench.training.trainer import evaluate

    model = load_exported(tmp_path / "best")
    accuracy, _ = evaluate(model, load_data("digits").valid, torch.device("cpu"))
    assert accuracy == pytest.approx(best.valid_accuracy)


def test_exported_efficientnet_b0_has_the_published_parameter_count(tmp_path, capsys):
    """REFERENCE.md: torchvision's EfficientNet-B0 has 5,288,548 parameters (1000 classes)."""
    assert main(["export", "--arch", "efficientnet-b0", "--space", "mbconv", "--out", str(tmp_path / "b0")]) == 0
    assert "params 5,288,548" in capsys.readouterr().out
    model = load_exported(tmp_path / "b0")
    assert sum(p.numel() for p in model.parameters()) == 5_288_548
    assert model(torch.randn(1, 3, 224, 224)).shape == (1, 1000)
    info = json.loads((tmp_path / "b0" / "arch.json").read_text())
    assert info["params"] == 5_288_548 and info["space"] == "mbconv"


def test_exported_nasnet_a_mobile_matches_the_published_model(tmp_path, capsys):
    """REFERENCE.md: NASNet-A Mobile (4 @ 1056, 224x224, 1000 classes) has about 5.3M parameters."""
    argv = ["export", "--arch", "nasnet-a", "--space", "nasnet", "-O", "preset=mobile", "--out", str(tmp_path / "m")]
    assert main(argv) == 0
    info = json.loads((tmp_path / "m" / "arch.json").read_text())
    assert info["input"] == {"channels": 3, "height": 224, "width": 224, "num_classes": 1000}
    assert info["params"] == 5_289_978  # the released TF-slim/Keras model, to the parameter
    model = load_exported(tmp_path / "m")
    assert sum(p.numel() for p in model.parameters()) == 5_289_978


def test_bad_export_requests(tmp_path, capsys):
    run = tmp_path / "run"
    assert (
        main(
            [
                "search",
                "--space",
                "nb201",
                "--filters",
                "4",
                "--cells",
                "1",
                "--budget",
                "2",
                "--epochs",
                "1",
                "--out",
                str(run),
                "--quiet",
                "--backend",
                "local",
            ]
        )
        == 0
    )
    capsys.readouterr()

    def fails(argv, message):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1

    fails(["export", str(run), "--trial", "99"], "has no trial 99")
    fails(["export", str(tmp_path / "nope")], "no run folder")
    fails(["export", "--arch", "|x~0|", "--space", "nb201"], "NB201")
    fails(["export", "--arch", "|x~0|"], "--arch needs --space")
    for weights in (run / "weights").iterdir():
        weights.write_bytes(b"not safetensors")
    fails(["export", str(run), "--best"], "corrupt weights file")
    for weights in (run / "weights").iterdir():
        weights.unlink()
    fails(["export", str(run), "--best", "--out", str(tmp_path / "untrained")], "trained weights of trial")
    assert not (tmp_path / "untrained").exists()

    (run / "trials.csv").write_text((run / "trials.csv").read_text().replace("COMPLETE", "FAIL"))
    with pytest.raises(ResultsError, match="no completed trial"):
        export_trial(run, tmp_path / "x")


def test_corrupt_exported_weights_are_reported(tmp_path):
    space = SPACES.create("nb201", filters=4, cells=1)
    arch = space.sample(np.random.default_rng(0))
    folder = export_architecture(
        space, arch, tmp_path / "m", data=DataSpec(1, 8, 8, 10), weights=space.build(arch, DataSpec(1, 8, 8, 10))
    )
    (folder / "weights.pt").write_bytes(b"\x00garbage")
    with pytest.raises(ResultsError, match="corrupt weights file"):
        load_exported(folder)


def test_exporting_again_replaces_the_whole_export(tmp_path):
    """A second export into the same folder leaves no file of the first (weights of another network)."""
    space = SPACES.create("nb201", filters=4, cells=1)
    data = DataSpec(1, 8, 8, 10)
    first, second = (space.sample(np.random.default_rng(k)) for k in (3, 4))
    folder = tmp_path / "m"
    export_architecture(space, first, folder, data=data, weights=space.build(first, data), formats=["onnx"])
    (folder / "notes.txt").write_text("mine")
    assert {"weights.pt", "model.onnx"} <= {p.name for p in folder.iterdir()}
    export_architecture(space, second, folder, data=data)
    assert sorted(p.name for p in folder.iterdir()) == ["arch.json", "model.py", "notes.txt"]
    assert json.loads((folder / "arch.json").read_text())["arch"] == second.to_string()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no staging folder left behind


def test_a_failed_export_leaves_no_folder_it_created(tmp_path):
    space = SPACES.create("nb201", filters=4, cells=1)
    arch = space.sample(np.random.default_rng(0))
    with pytest.raises(TypeError):  # arch.json cannot hold these metrics: the export fails half-way
        export_architecture(space, arch, tmp_path / "new", data=DataSpec(1, 8, 8, 10), metrics={"note": object()})
    assert not (tmp_path / "new").exists()
