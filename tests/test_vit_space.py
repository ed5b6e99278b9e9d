"""The vit space: string grammar, graph hash, published parameter counts, costs, decisions and a search."""

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench.backends.local import evaluate_in_process
from nasbench.catalog import SPACES, STRATEGIES
from nasbench.costs.cost_model import CostModel
from nasbench.costs.counting import count_params, mac_breakdown
from nasbench.errors import InvalidArchitecture, InvalidOption
from nasbench.objective import Objective, Target
from nasbench.search_spaces.vit import PRESETS, Layer, ViTArch, ViTSpace, preset
from nasbench.session import SearchSession
from nasbench.space import DataSpec, DecisionSequence

IMAGENET = DataSpec(3, 224, 224, 1000)
DIGITS = DataSpec(1, 8, 8, 10)

pytestmark = pytest.mark.usefixtures("one_thread")


def reference_params(patch, embed, depth, mlp_ratio, classes=1000, size=224):
    """../shared/REFERENCE.md: torchvision's ViT parameter count when heads x head_dim equals the embedding."""
    d, r, tokens = embed, mlp_ratio, (size // patch) ** 2 + 1
    block = 4 * d + 3 * d * d + 3 * d + d * d + d + 2 * r * d * d + r * d + d
    return int(3 * patch * patch * d + d + d + tokens * d + depth * block + 2 * d + d * classes + classes)


@pytest.mark.parametrize(
    "name, params",
    [
        ("vit-b16", 86_567_656),  # REFERENCE.md: torchvision vit_b_16
        ("vit-ti16", 5_717_416),  # DeiT-Ti (Touvron et al. 2021)
        ("vit-s16", 22_050_664),  # DeiT-S
    ],
)
def test_presets_have_the_reference_parameter_counts(name, params):
    arch = preset(name)
    assert reference_params(arch.patch, arch.embed, arch.depth, arch.layers[0].mlp_ratio) == params
    with torch.device("meta"):
        assert count_params(ViTSpace().build(arch, IMAGENET)) == params
    assert CostModel(ViTSpace(), IMAGENET).params(arch) == params


def test_vit_b16_is_written_as_in_the_paper():
    arch = ViTSpace().decode("vit-b16")
    assert (arch.patch, arch.embed, arch.depth, arch.head_dim) == (16, 768, 12, 64)
    assert set(arch.layers) == {Layer(12, 4.0)}
    assert arch.to_string() == PRESETS["vit-b16"] and arch.to_string().startswith("p16_e768_hd64/h12_m4.0/")


@pytest.mark.parametrize("name, data", [("vit-digits", DIGITS), ("vit-cifar", DataSpec(3, 32, 32, 10))])
def test_small_presets_run_on_their_data(name, data):
    model = ViTSpace().build(preset(name), data).eval()
    with torch.no_grad():
        assert model(torch.zeros(2, data.channels, data.height, data.width)).shape == (2, 10)


def test_multiply_adds_count_the_attention_matmuls():
    """fvcore counts the two attention products (torch.matmul) as 'matmul'; it would skip
    scaled_dot_product_attention entirely, so the network does not use it."""
    arch = ViTSpace().decode("p4_e16_hd8/h2_m2.0/h3_m1.5")
    tokens, d = (8 // 4) ** 2 + 1, 16
    patch = 4 * d * (4 * 4 * 1)  # 4 patches, each a 16-wide dot product of 4 x 4 x 1 pixels
    linear = 0
    attention = 0
    for heads, hidden in ((2, 32), (3, 24)):
        width = heads * 8
        linear += tokens * (d * 3 * width + width * d + d * hidden + hidden * d)
        attention += 2 * heads * tokens * tokens * 8  # q k^T and weights @ v
    linear += d * 10  # the head, on the class token only
    counted = mac_breakdown(ViTSpace().build(arch, DIGITS), (1, 8, 8))
    assert counted["conv"] == patch and counted["linear"] == linear and counted["matmul"] == attention
    assert counted["layer_norm"] == 5 * tokens * d * 5  # fvcore: 5 per element, five norms over all tokens
    assert CostModel(ViTSpace(), DIGITS).macs(arch) == sum(counted.values())


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_samples_and_mutants_round_trip_and_stay_in_the_space(seed):
    space = ViTSpace()
    rng = np.random.default_rng(seed)
    arch = space.sample(rng)
    child = space.mutate(arch, rng)
    assert child != arch and child.hash_key != arch.hash_key
    for a in (arch, child):
        assert space.decode(a.to_string()) == a
        assert space.from_decisions(space.to_decisions(a)) == a
        graph = a.to_graph()
        assert len(graph) == a.depth + 4  # input, patch embedding, one node per layer, head, output
        assert ViTArch.from_string(a.to_string()).hash_key == a.hash_key


@settings(max_examples=30, deadline=None)
@given(
    layers=st.lists(st.tuples(st.integers(1, 4), st.sampled_from([1.0, 2.0, 3.5, 4.0])), min_size=1, max_size=5),
    patch=st.sampled_from([2, 4, 16]),
    embed=st.integers(1, 512),
)
def test_any_transformer_round_trips(layers, patch, embed):
    arch = ViTArch(patch, embed, tuple(Layer(h, m) for h, m in layers), 32)
    assert ViTArch.from_string(arch.to_string()) == arch
    assert ViTArch.from_string(arch.to_string()).hash_key == arch.hash_key


def test_hash_sees_every_choice_and_the_order_of_layers():
    space = ViTSpace()
    base = space.decode("p4_e32_hd64/h1_m2.0/h2_m4.0/h1_m2.0")
    others = [
        "p4_e32_hd64/h2_m4.0/h1_m2.0/h1_m2.0",  # same layers, another order
        "p2_e32_hd64/h1_m2.0/h2_m4.0/h1_m2.0",
        "p4_e48_hd64/h1_m2.0/h2_m4.0/h1_m2.0",
        "p4_e32_hd32/h1_m2.0/h2_m4.0/h1_m2.0",
        "p4_e32_hd64/h1_m2.0/h2_m4.0",
        "p4_e32_hd64/h1_m2.0/h2_m3.0/h1_m2.0",
    ]
    hashes = {base.hash_key} | {space.decode(o).hash_key for o in others}
    assert len(hashes) == len(others) + 1
    assert space.decode("p4_e32_hd64/h1_m2/h2_m4/h1_m2") == base  # a ratio may be written without ".0"


@pytest.mark.parametrize(
    "text, message",
    [
        ("p16_e768/h12_m4.0", "should start with p<patch>_e<embed>_hd<head dim>"),
        ("p16_e768_hd64", "needs at least one layer"),
        ("p16_e768_hd64//h12_m4.0", "needs at least one layer"),
        ("p16_e768_hd64/h12", "should read h<heads>_m<mlp ratio>"),
        ("p16_e768_hd64/h0_m4.0", "heads must be a positive integer"),
        ("p16_e768_hd64/h12_m0", "MLP ratio must be a number in (0, 64]"),
        ("p0_e768_hd64/h12_m4.0", "patch size must be a positive integer"),
    ],
)
def test_bad_strings_are_refused_in_one_line(text, message):
    with pytest.raises(InvalidArchitecture) as info:
        ViTSpace().decode(text)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_out_of_space_architectures_and_inputs_are_refused():
    space = ViTSpace()
    with pytest.raises(InvalidArchitecture, match="patch 16 of p16_e768_hd64/.* is outside this space.s choices 2,4"):
        space.to_decisions(preset("vit-b16"))
    with pytest.raises(InvalidArchitecture, match="patch size 16 does not divide the 8 x 8 input"):
        space.build(preset("vit-b16"), DIGITS)
    with pytest.raises(InvalidOption, match="distinct positive values"):
        ViTSpace(heads="2,2")


class ProxyScore:
    """A cheap evaluator: a made-up accuracy that prefers wide, deep transformers."""

    def __call__(self, arch, budget, *, seed, report=None):
        score = arch.embed + sum(layer.heads * layer.mlp_ratio for layer in arch.layers)
        return {"valid_accuracy": float(score), "size": float(arch.embed * arch.depth)}

    def metric_names(self):
        return ("valid_accuracy", "size")


@pytest.mark.parametrize("name", ["rl", "tpe", "nsga2", "evo"])
def test_decision_strategies_search_the_space(name):
    options = {"population_size": 4} if name == "nsga2" else {}
    space = SPACES.create("vit")
    assert space.capability(DecisionSequence) is space
    targets = ("valid_accuracy", "size:min") if name == "nsga2" else ("valid_accuracy",)
    objective = Objective(tuple(Target.parse(t) for t in targets))
    session = SearchSession(STRATEGIES.create(name, space, seed=0, **options), objective, None, 12, 0)
    evaluate_in_process(session, ProxyScore())
    arches = [space.decode(r.arch) for r in session.records.values()]
    assert len(arches) >= 12 and len({a.hash_key for a in arches}) > 1  # repeats are recorded too
    for arch in arches:
        space.to_decisions(arch)  # inside the space's choices


@pytest.mark.slow
def test_vit_search_trains_on_digits(cli, tmp_path):
    out = tmp_path / "run"
    code, _, err = cli(
        "search", "--space", "vit", "--strategy", "evo", "--budget", "2", "--epochs", "1", "--batch-size", "64",
        "--max-params", "200000", "--backend", "local", "--quiet", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    table = pd.read_csv(out / "trials.csv")
    assert len(table) == 2 and (table.state == "COMPLETE").all()
    assert (table.valid_accuracy > 10).all() and (table.params <= 200000).all()
    assert all(ViTSpace().decode(a).depth >= 1 for a in table.arch)
