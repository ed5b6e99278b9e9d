"""Zero-cost proxies: each against a value worked out independently on a tiny network, the networks that
have none, every space that builds networks, and the evaluator and command that report them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from nasbench.errors import CandidateFailed
from nasbench.proxies import PROXIES, Batch, Undefined
from nasbench.proxies.activations import JACOV_K, jacov, nwot
from nasbench.proxies.saliency import fisher, grad_norm, grasp, snip, synflow
from nasbench.proxies.scoring import score_network

torch.set_default_dtype(torch.float32)


def _linear(seed: int = 0) -> nn.Linear:
    torch.manual_seed(seed)
    return nn.Linear(3, 4)


def _batch(n: int = 6, seed: int = 1) -> Batch:
    generator = torch.Generator().manual_seed(seed)
    return Batch(torch.randn(n, 3, generator=generator), torch.randint(0, 4, (n,), generator=generator), 4)


def _softmax_gradient(layer: nn.Linear, batch: Batch) -> torch.Tensor:
    """dL/dW of the mean cross-entropy of softmax regression, by its closed form (p - y) x^T / N."""
    with torch.no_grad():
        p = torch.softmax(batch.images @ layer.weight.T + layer.bias, dim=1)
        y = nn.functional.one_hot(batch.labels, 4).float()
        return (p - y).T @ batch.images / len(batch.images)


def test_snip_and_grad_norm_of_softmax_regression_match_the_closed_form_gradient():
    layer, batch = _linear(), _batch()
    gradient = _softmax_gradient(layer, batch)
    expected_snip = float((layer.weight.detach() * gradient).abs().sum())
    assert snip(_linear(), batch, None) == pytest.approx(expected_snip, rel=1e-5)
    assert grad_norm(_linear(), batch, None) == pytest.approx(float(gradient.norm()), rel=1e-5)


def test_grasp_is_minus_the_weights_times_the_hessian_gradient_product():
    layer, batch = _linear(), _batch()
    weight = layer.weight.detach().clone()

    def loss(w):
        return nn.functional.cross_entropy(batch.images @ w.T + layer.bias.detach(), batch.labels)

    gradient = torch.autograd.grad(loss(weight.requires_grad_(True)), weight)[0]
    hessian = torch.autograd.functional.hessian(loss, weight.detach()).reshape(weight.numel(), -1)
    expected = -float((weight.detach().flatten() * (hessian @ gradient.flatten())).sum())
    assert grasp(_linear(), batch, None) == pytest.approx(expected, rel=1e-4, abs=1e-7)


def test_fisher_of_softmax_regression_sums_half_the_mean_squared_output_saliency_per_weight():
    layer, batch = _linear(), _batch()
    with torch.no_grad():
        logits = batch.images @ layer.weight.T + layer.bias
        p, y = torch.softmax(logits, dim=1), nn.functional.one_hot(batch.labels, 4).float()
        saliency = logits * (p - y) / len(batch.images)  # activation times dL/dactivation, per image and class
    expected = float((0.5 * saliency.pow(2).mean(dim=0)).sum()) * 3  # each class's value counts for its 3 weights
    assert fisher(_linear(), batch, None) == pytest.approx(expected, rel=1e-5)


def test_synflow_of_a_two_layer_network_by_hand():
    torch.manual_seed(2)
    network = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    w1, b1 = network[0].weight.detach().double().abs(), network[0].bias.detach().double().abs()
    w2 = network[2].weight.detach().double().abs()
    hidden = w1 @ torch.ones(2, dtype=torch.float64) + b1  # positive: the ReLU passes it unchanged
    flow = (w1 * w2.T).sum() + (w2 * hidden).sum()  # |w * dR/dw| with dR/dw1[i,j] = w2[i], dR/dw2[i] = hidden[i]
    shape_only = Batch(torch.zeros(1, 2), torch.zeros(1, dtype=torch.long), 1)
    assert synflow(network, shape_only, None) == pytest.approx(float(flow), rel=1e-12)


def test_jacov_of_a_linear_model_whose_rows_are_all_alike():
    layer, batch = _linear(), _batch(n=5)
    eigenvalues = np.array([5.0, 0, 0, 0, 0])  # identical input gradients: a correlation matrix of ones
    expected = -np.sum(np.log(eigenvalues + JACOV_K) + 1 / (eigenvalues + JACOV_K))
    assert jacov(layer, batch, None) == pytest.approx(expected, rel=1e-6)


def test_nwot_counts_agreeing_units_of_the_relu_codes():
    network = nn.Sequential(nn.Identity(), nn.ReLU())
    images = torch.tensor([[1.0, -1.0, 2.0], [1.0, 1.0, -2.0], [-1.0, -1.0, -1.0]])
    codes = (images > 0).double().numpy()
    kernel = codes @ codes.T + (1 - codes) @ (1 - codes).T
    batch = Batch(images, torch.zeros(3, dtype=torch.long), 1)
    assert nwot(network, batch, None) == pytest.approx(np.linalg.slogdet(kernel)[1])


def test_a_cell_with_no_path_from_input_to_output_has_no_proxy_values():
    from nasbench.search_spaces.nb201 import NB201Space
    from nasbench.space import DataSpec

    space = NB201Space(filters=4, cells=1)
    cut = space.decode("|none~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    batch = Batch(torch.randn(8, 1, 8, 8), torch.zeros(8, dtype=torch.long), 10)
    scores = score_network(lambda: space.build(cut, DataSpec(1, 8, 8, 10)), list(PROXIES), batch, seed=0)
    assert not scores.values and set(scores.undefined) == set(PROXIES)
    assert set(scores.undefined.values()) == {"no path from the input to the output"}


def test_a_non_finite_score_is_undefined_not_a_number():
    network = nn.Sequential(nn.Linear(3, 4))
    with torch.no_grad():
        network[0].weight.fill_(float("inf"))
    with pytest.raises(Undefined, match="snip is nan|snip is inf"):
        snip(network, _batch(), None)


SPACES = {
    "nb201": ("nb201", {"filters": 4, "cells": 1}),
    "nasnet": ("nasnet", {"cells": 1, "filters": 8}),
    "mbconv": ("mbconv", {"base": "tiny"}),
    "vit": ("vit", {}),
    "mbconv-supernet": ("mbconv-supernet", {}),
    "vit-supernet": ("vit-supernet", {}),
}


#: a ViT's classifier starts at zero (as timm's does): every input gradient is zero at initialisation, so
#: jacov (the correlation of the images' input gradients) is undefined, and is recorded so
UNDEFINED = {"vit": "jacov", "vit-supernet": "jacov"}


@pytest.mark.parametrize("name", sorted(SPACES))
def test_every_proxy_scores_a_network_of_every_space_that_builds_them(name, one_thread):
    from nasbench.catalog import SPACES as REGISTRY
    from nasbench.evaluators.proxies import ProxyEvaluator
    from nasbench.trial import Budget

    space_name, options = SPACES[name]
    space = REGISTRY.create(space_name, **options)
    arch = space.sample(np.random.default_rng(3))
    names = [p for p in PROXIES if p != UNDEFINED.get(name)]
    if name in UNDEFINED:
        everything = ProxyEvaluator(space, proxies=",".join(PROXIES), dataset="digits")
        with pytest.raises(CandidateFailed, match="jacov is undefined: an image's input gradient is constant"):
            everything(arch, Budget(), seed=5)
    evaluator = ProxyEvaluator(space, proxies=",".join(names), dataset="digits")
    first = evaluator(arch, Budget(), seed=5)
    assert set(first) == set(evaluator.metric_names()) and all(math.isfinite(v) for v in first.values())
    again = evaluator(arch, Budget(), seed=5)
    assert {k: v for k, v in again.items() if k != "proxy_seconds"} == {
        k: v for k, v in first.items() if k != "proxy_seconds"
    }  # the same seed, the same scores


def test_the_shipped_nas_bench_201_table_ranks_cells_as_the_paper_reports():
    """REFERENCE.md: synflow's Spearman correlation with CIFAR-10 validation accuracy over all 15,625
    cells is 0.737 (Abdelfattah et al. 2021); cells with no path rank lowest, as a zero score does."""
    from scipy.stats import spearmanr

    from nasbench.proxies import nb201_table
    from nasbench.search_spaces.nb201.bundled import bundled_table

    table, results = nb201_table("cifar10"), bundled_table()
    assert len(table) == 15_625 and list(table.columns) == ["arch", "synflow", "zen"]
    assert table["arch"].equals(results["arch_str"])
    assert table["synflow"].isna().sum() == 341  # the cells with no path from input to output
    rho = spearmanr(table["synflow"].fillna(-np.inf), results["valid-accuracy"])[0]
    assert abs(rho - 0.737) <= 0.03
    assert nb201_table("imagenet16")["zen"].notna().sum() == 15_625 - 341


def test_the_proxies_evaluator_in_a_search_and_a_cut_network_fails_with_the_reason(cli, tmp_path):
    out = tmp_path / "run"
    argv = ["search", "--space", "nb201", "--cells", "1", "--filters", "4", "--evaluator", "proxies"]
    code, _, err = cli(*argv, "-E", "proxies=synflow,jacov", "--objective", "synflow", "--budget", "12",
                       "--strategy", "random", "--seed", "1", "--out", str(out), "--quiet")  # fmt: skip
    assert code == 0, err
    table = pd.read_csv(out / "trials.csv")
    done = table[table.state == "COMPLETE"]
    assert (done.synflow > 0).all() and done.jacov.notna().all() and (done.params > 0).all()
    from nasbench.evaluators.proxies import ProxyEvaluator
    from nasbench.search_spaces.nb201 import NB201Space
    from nasbench.trial import Budget

    evaluator = ProxyEvaluator(NB201Space(filters=4, cells=1), proxies="synflow,jacov", dataset="digits")
    cut = NB201Space().decode("|none~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    with pytest.raises(CandidateFailed, match="synflow: no path from the input to the output"):
        evaluator(cut, Budget(), seed=0)  # a search records this as the trial's failure


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--space", "nb201", "--sample", "2", "--proxies", "synflow,nope"], "unknown proxy nope"),
        (["--space", "nb201", "--sample", "2", "--out", "x.txt"], "should end in .csv or .parquet"),
        (["--space", "nb201", "--sample", "0"], "--sample must be at least 1"),
        (["--sample", "2"], "--space is required"),
        (["--space", "nb201", "--arch", "|bogus~0|"], "NB201"),
        (["--space", "nb201", "--from", "run"], "--from takes the run's own space and options"),
    ],
)
def test_the_command_answers_bad_input_in_one_line(cli, tmp_path, argv, message):
    out = ["--out", str(tmp_path / "scores.csv")] if "--out" not in argv else []
    code, stdout, stderr = cli("proxies", *argv, *out)
    assert code == 2 and message in stderr and (stdout + stderr).count("\n") == 1
    assert not (tmp_path / "scores.csv").exists()


def test_the_command_writes_a_row_per_network(cli, tmp_path, one_thread):
    out = tmp_path / "scores.parquet"
    code, _, err = cli("proxies", "--space", "nb201", "-O", "filters=4", "-O", "cells=1", "--sample", "4",
                       "--proxies", "synflow,nwot", "--out", str(out), "--quiet")  # fmt: skip
    assert code == 0, err
    table = pd.read_parquet(out)
    assert len(table) == 4 and {"arch", "synflow", "nwot", "params", "macs", "synflow_seconds", "undefined"} <= set(
        table.columns
    )
    code, _, err = cli("proxies", "--space", "nb201", "--sample", "1", "--out", str(out))
    assert code == 2 and "exists" in err
