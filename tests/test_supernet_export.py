"""A child taken out of a supernet is an ordinary found model: it exports, reloads standalone and costs the same."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from test_export import RUN_OUTSIDE_NASBENCH

from nasbench.costs.constraints import ConstrainedSpace, Constraints
from nasbench.costs.cost_model import CostModel
from nasbench.costs.counting import count_macs, count_params
from nasbench.export import export_architecture, load_exported
from nasbench.search_spaces.mbconv_supernet import MBConvSupernetSpace
from nasbench.search_spaces.vit_supernet import ViTSupernetSpace
from nasbench.space import DataSpec

pytestmark = pytest.mark.usefixtures("one_thread")

CASES = [
    (MBConvSupernetSpace(base="tiny"), DataSpec(1, 8, 8, 10)),
    (ViTSupernetSpace("digits"), DataSpec(1, 8, 8, 10)),
]


def trained_looking(space, data):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = space.build_supernet(data)
        for p in net.parameters():
            p.data.normal_(std=0.3)
    return net.eval()


def test_extracted_children_export_and_run_in_a_clean_interpreter(tmp_path):
    folders = []
    for case, (space, data) in enumerate(CASES):
        supernet = trained_looking(space, data)
        child = space.sample(np.random.default_rng(case))
        model = space.extract(supernet, child, data)
        folder = export_architecture(space.child_space(), child, tmp_path / f"{case}", data=data, weights=model)
        x = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(case))
        torch.save(x, folder / "x.pt")
        with torch.no_grad():
            folders.append((folder, supernet(x, child)))
        torch.testing.assert_close(load_exported(folder)(x), folders[-1][1], atol=1e-5, rtol=0)
    proc = subprocess.run(
        [sys.executable, "-I", "-c", RUN_OUTSIDE_NASBENCH, *[str(f) for f, _ in folders]],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    for folder, expected in folders:
        torch.testing.assert_close(torch.load(folder / "y.pt", weights_only=True), expected, atol=1e-5, rtol=0)


@pytest.mark.slow
def test_an_extracted_vit_child_exports_to_torch_export_and_onnx(tmp_path):
    import onnxruntime

    space, data = CASES[1]
    supernet = trained_looking(space, data)
    child = space.sample(np.random.default_rng(5))
    model = space.extract(supernet, child, data)
    folder = export_architecture(space, child, tmp_path / "m", data=data, weights=model, formats=["export", "onnx"])
    x = torch.randn(3, 1, 8, 8)
    with torch.no_grad():
        expected = supernet(x, child)
    program = torch.export.load(str(folder / "model.pt2"))
    torch.testing.assert_close(program.module()(x), expected, atol=1e-5, rtol=0)
    (logits,) = onnxruntime.InferenceSession(str(folder / "model.onnx")).run(None, {"images": x.numpy()})
    torch.testing.assert_close(torch.from_numpy(logits), expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("space, data", CASES)
def test_costs_and_constraints_work_on_children_unchanged(space, data):
    costs = CostModel(space, data)
    supernet = trained_looking(space, data)
    child = space.smallest()
    model = space.extract(supernet, child, data)
    assert costs.params(child) == count_params(model) and costs.macs(child) == count_macs(model, (1, 8, 8))
    assert costs.params(child) < costs.params(space.largest())
    limit = (costs.params(space.smallest()) + costs.params(space.largest())) / 2
    bounded = ConstrainedSpace(space, Constraints(max_params=limit), costs)
    rng = np.random.default_rng(0)
    for _ in range(5):
        arch = bounded.sample(rng)
        space.to_decisions(arch)
        assert costs.params(arch) <= limit
    assert child.hash_key == space.child_space().decode(child.to_string()).hash_key


def test_the_command_line_exports_children_and_refuses_others_in_one_line(cli, tmp_path):
    child = "p2_e32_hd16/h1_m2.0/h4_m3.0"
    code, _, err = cli("export", "--arch", child, "--space", "vit-supernet", "--out", str(tmp_path / "ok"))
    assert code == 0, err
    assert (tmp_path / "ok" / "model.py").exists()
    for arch, space, message in (
        ("p2_e32_hd16/h1_m2.0/h9_m3.0", "vit-supernet", "layer 1 heads 9"),
        ("p2_e32_hd16/h1_m2.0/h1_x3.0", "vit", "should read h<heads>_m<mlp ratio>"),
        ("largest", "mbconv", "should read"),
    ):
        code, _, err = cli("export", "--arch", arch, "--space", space, "--out", str(tmp_path / "bad"))
        assert code != 0 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "bad").exists()
