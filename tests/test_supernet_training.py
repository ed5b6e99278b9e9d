"""Sandwich training's pieces without Ray: the step, dropout on the largest child only, the schedule,
checkpoints that refuse to load half-written, zero-initialised residual norms, and the supernet evaluator."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nasbench.errors import InvalidOption, ResultsError
from nasbench.evaluators.supernet import SupernetEvaluator
from nasbench.search_spaces.mbconv_supernet import MBConvSupernetSpace
from nasbench.storage import atomic
from nasbench.storage.run_folder import CONFIG, SUPERNET_WEIGHTS
from nasbench.storage.weights import save_weights
from nasbench.supernet_training.checkpoint import (
    OPTIMIZER,
    AlteredCheckpoint,
    TrainingState,
    is_complete,
    latest_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from nasbench.supernet_training.config import SupernetConfig
from nasbench.supernet_training.sandwich import (
    attentive_pools,
    distillation_loss,
    draw_step,
    dropout_off,
    sandwich_step,
    step_children,
    worst_child,
)
from nasbench.supernet_training.schedule import lr_factor, make_scheduler
from nasbench.supernet_training.shrinking import decision_growth, shrink_phases, toward_largest
from nasbench.supernet_training.worker import build_supernet
from nasbench.supernet_training.zero_init import zero_last_norm_scales
from nasbench.training.data import load_data
from nasbench.trial import Budget


@pytest.fixture(scope="module")
def digits():
    return load_data("digits")


@pytest.fixture(scope="module")
def space():
    return MBConvSupernetSpace()


def test_children_of_a_step_are_largest_smallest_then_random_from_the_seeded_generator(space):
    first = step_children(space, np.random.default_rng(3), 2)
    again = step_children(space, np.random.default_rng(3), 2)
    assert first == again and len(first) == 4
    assert first[0] == space.largest() and first[1] == space.smallest()
    extremes, pools = draw_step(space, np.random.default_rng(3), 2, 1)  # uniform: the same children, drawn alike
    assert extremes == first[:2] and pools == [[child] for child in first[2:]]


def test_progressive_shrinking_grows_the_children_from_the_largest_to_the_whole_space(space):
    """At the start only the largest trains (children equal to it are left out); halfway every decision of a
    child is its own draw's or the largest's, about half each; once grown, the draws are a plain run's."""
    decisions, largest = space.to_decisions, space.largest()
    assert draw_step(space, np.random.default_rng(5), 2, 1, 0.0) == ([largest], [])
    child = space.smallest()
    rng = np.random.default_rng(6)
    assert toward_largest(space, child, largest, 0.0, rng) == largest
    assert toward_largest(space, child, largest, 1.0, rng) == child
    mixes = [decisions(toward_largest(space, child, largest, 0.5, rng)) for _ in range(50)]
    differ = [i for i, (a, b) in enumerate(zip(decisions(child), decisions(largest))) if a != b]
    assert all(m[i] in (decisions(child)[i], decisions(largest)[i]) for m in mixes for i in range(len(m)))
    assert 0.35 < np.mean([m[i] == decisions(child)[i] for m in mixes for i in differ]) < 0.65
    extremes, pools = draw_step(space, np.random.default_rng(5), 30, 1, 0.5)
    assert largest not in [*extremes[1:], *(c for pool in pools for c in pool)]
    assert draw_step(space, np.random.default_rng(5), 2, 1, 1.0) == draw_step(space, np.random.default_rng(5), 2, 1)
    config = SupernetConfig(space="mbconv-supernet", epochs=4, shrink_epochs=2)
    assert [config.grown(e, s, 10) for e, s in ((1, 0), (1, 5), (2, 5), (3, 0), (4, 9))] == [0, 0.25, 0.75, 1, 1]
    assert SupernetConfig(space="mbconv-supernet").grown(1, 0, 10) == 1
    with pytest.raises(InvalidOption, match="shrink_epochs"):
        SupernetConfig(space="mbconv-supernet", epochs=2, shrink_epochs=3)


def test_a_shrink_order_lets_one_kind_of_decision_in_after_another(space):
    """Once-for-all's order: over the first quarter of the schedule only the kernels leave the largest's,
    then the depths join, and so on; kinds the order leaves out join its last; a space that declares no
    kinds has one, "decision"."""
    from nasbench.search_spaces.nb201 import NB201Space
    from nasbench.search_spaces.vit_supernet import ViTSupernetSpace

    kinds = space.decision_kinds()
    assert kinds[:4] == ["kernel", "expand", "repeats", "channels"] and len(kinds) == len(space.decision_sizes())
    assert set(NB201Space().decision_kinds()) == {"decision"}
    vit = ViTSupernetSpace(ranges="digits")
    assert set(vit.decision_kinds()) == {"embed", "depth", "heads", "mlp_ratio"}
    assert len(vit.decision_kinds()) == len(vit.decision_sizes())
    order = "kernel,repeats,expand,channels"
    growth = decision_growth(space, 0.125, order)
    assert {k: g for k, g in zip(kinds, growth)} == {"kernel": 0.5, "repeats": 0, "expand": 0, "channels": 0,
                                                     "resolution": 0}  # fmt: skip
    np.testing.assert_allclose(decision_growth(space, 0.3, order)[[k == "repeats" for k in kinds]], 0.2)
    assert decision_growth(space, 1.0, order) == 1.0 and decision_growth(space, 0.3) == 0.3
    assert shrink_phases("kernel,repeats", kinds)["channels"] == 1  # left out: with the last
    largest, top = space.largest(), space.to_decisions(space.largest())
    extremes, pools = draw_step(space, np.random.default_rng(2), 20, 1, decision_growth(space, 0.25, order))
    drawn = [*extremes[1:], *(c for pool in pools for c in pool)]
    changed = {kinds[i] for c in drawn for i, d in enumerate(space.to_decisions(c)) if d != top[i]}
    assert changed == {"kernel"} and largest not in drawn
    for bad in ("kernal", "kernel,kernel", ""):
        with pytest.raises(InvalidOption, match="must name kinds of decision"):
            shrink_phases(bad, kinds)
    with pytest.raises(InvalidOption, match="shrink_order needs shrink_epochs"):
        SupernetConfig(space="mbconv-supernet", shrink_order="kernel")


def test_the_distillation_weight_is_the_spaces_unless_the_run_sets_one(space):
    """mbconv-supernet sums the children's losses (BigNAS); vit-supernet averages them (docs/BENCHMARKS.md:
    summed, they cost its largest child 16 points); a run recorded before the weight existed summed."""
    from nasbench.search_spaces.vit_supernet import ViTSupernetSpace
    from nasbench.supernet import WeightSharing

    vit = ViTSupernetSpace(ranges="digits").capability(WeightSharing)
    assert SupernetConfig(space="vit-supernet").resolved(vit).distill_weight == pytest.approx(1 / 3)
    assert SupernetConfig(space="vit-supernet", random_children=4).resolved(vit).distill_weight == pytest.approx(0.2)
    assert SupernetConfig(space="vit-supernet", distill_weight=0.5).resolved(vit).distill_weight == 0.5
    assert SupernetConfig(space="mbconv-supernet").resolved(space).distill_weight == 1.0
    assert SupernetConfig.from_dict({"space": "vit-supernet"}).distill_weight == 1.0


@pytest.mark.parametrize("weight", [1.0, 0.25])
def test_sandwich_step_accumulates_the_gradient_of_every_child(space, digits, one_thread, weight):
    """The largest child's gradient plus ``weight`` times each distilled child's (1: BigNAS's sum)."""
    supernet = build_supernet(space, digits, 0).train()
    x, y = digits.train.images[:16], digits.train.labels[:16]
    children = [space.largest(), space.smallest()]
    with dropout_off(supernet):  # the same function twice: no dropout noise between the two computations
        torch.manual_seed(0)
        losses = sandwich_step(supernet, children, x, y, label_smoothing=0.1, distill_weight=weight)
        summed = {n: p.grad.clone() for n, p in supernet.named_parameters() if p.grad is not None}
        supernet.zero_grad()
        logits = supernet(x, children[0])
        F.cross_entropy(logits, y, label_smoothing=0.1).backward()
        teacher = F.softmax(logits.detach(), 1)
        (weight * distillation_loss(supernet(x, children[1]), teacher)).backward()
    for name, param in supernet.named_parameters():
        if name in summed:
            torch.testing.assert_close(summed[name], param.grad, rtol=1e-4, atol=1e-6)
    assert losses.largest > 0 and losses.distillation > 0


def test_separate_kernels_are_trained_by_the_children_of_their_size(digits, one_thread):
    """With ``kernel_weights=separate`` the smallest child (3 x 3) trains the 3 x 3 kernels of the blocks
    it runs (the first of each stage); no child of the step has a 5 x 5 kernel, so those get no gradient."""
    space = MBConvSupernetSpace(kernel_weights="separate")
    supernet = build_supernet(space, digits, 0).train()
    x, y = digits.train.images[:16], digits.train.labels[:16]
    sandwich_step(supernet, [space.largest(), space.smallest()], x, y, label_smoothing=0.1, distill_weight=1.0)
    grads = {n.rsplit(".", 1)[1]: p.grad for n, p in supernet.named_parameters() if ".kernels." in n}
    assert set(grads) == {"k3", "k5"}
    own = {n: p.grad for n, p in supernet.named_parameters() if ".kernels." in n}
    first_blocks = {f"blocks.{offset}.kernels.k3" for offset in supernet.offsets}
    assert all(own[n] is not None and own[n].abs().sum() > 0 for n in first_blocks)
    assert all(g is None for n, g in own.items() if n.endswith("k5"))


def test_attentive_sampling_trains_the_child_farthest_from_the_largest(space, digits, one_thread):
    """AttentiveNAS's WorstUp: of each pool, the child whose predictions the largest child's are farthest
    from; its gradient (not the others') joins the step's."""
    supernet = build_supernet(space, digits, 0).train()
    x, y = digits.train.images[:16], digits.train.labels[:16]
    pools = attentive_pools(space, np.random.default_rng(4), 1, 3)
    assert pools == attentive_pools(space, np.random.default_rng(4), 1, 3) and len(pools[0]) == 3
    with dropout_off(supernet):
        teacher = F.softmax(supernet(x, space.largest()).detach(), 1)
        with torch.no_grad():
            losses = [distillation_loss(supernet(x, child), teacher).item() for child in pools[0]]
        worst = worst_child(supernet, pools[0], x, teacher)
        assert worst == pools[0][int(np.argmax(losses))] and len(set(losses)) == 3
        torch.manual_seed(0)
        supernet.zero_grad()
        sandwich_step(supernet, [space.largest()], x, y, 0.1, pools)
        pooled = {n: p.grad.clone() for n, p in supernet.named_parameters() if p.grad is not None}
        supernet.zero_grad()
        sandwich_step(supernet, [space.largest(), worst], x, y, 0.1)
        for name, param in supernet.named_parameters():
            if name in pooled:
                torch.testing.assert_close(pooled[name], param.grad, rtol=1e-4, atol=1e-6)
    assert worst_child(supernet, pools[0][:1], x, teacher) == pools[0][0]  # a pool of one: no forward needed


def test_a_run_trains_on_a_prefix_of_the_training_split():
    config = SupernetConfig(space="mbconv-supernet", train_size=300)
    assert config.training_examples(1437) == 300 and SupernetConfig(space="s").training_examples(1437) == 1437
    with pytest.raises(InvalidOption, match="train_size 300 exceeds the 200 examples"):
        config.training_examples(200)
    with pytest.raises(InvalidOption, match="attentive must be 1"):
        SupernetConfig(space="s", attentive=0)
    with pytest.raises(InvalidOption, match=r"ema must be a decay in \[0, 1\), got 1.0"):
        SupernetConfig(space="s", ema=1.0)


def test_dropout_off_keeps_batch_norm_training_and_restores_dropout(space, digits):
    supernet = build_supernet(space, digits, 0).train()
    x = digits.train.images[:8]
    child = space.largest()
    torch.manual_seed(0)
    assert not torch.equal(supernet(x, child), supernet(x, child))  # dropout draws differ
    norm = next(m for m in supernet.modules() if isinstance(m, torch.nn.BatchNorm2d))
    before = norm.running_mean.clone()
    with dropout_off(supernet):
        assert torch.equal(supernet(x, child), supernet(x, child))
        assert norm.training
    assert not torch.equal(norm.running_mean, before)  # batch statistics were gathered
    assert all(m.training for m in supernet.modules())


def test_learning_rate_warms_up_then_decays_to_a_constant():
    factors = [lr_factor(step, 10, 100, 0.05) for step in range(120)]
    assert factors[0] == pytest.approx(0.1) and factors[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(factors[9:], factors[10:]))
    assert factors[100] == pytest.approx(0.05) and factors[119] == pytest.approx(0.05)


def test_residual_blocks_start_with_a_zero_norm_scale(space, digits):
    supernet = build_supernet(space, digits, 0)
    zeroed = [b for b in supernet.blocks if torch.count_nonzero(b.block[-1][1].weight) == 0]
    assert len(zeroed) == zero_last_norm_scales(supernet) > 0
    for block in zeroed:  # a block that changes channels has no residual path to keep the signal
        first = block.block[0][0].weight
        assert block.skip and block.stride == 1
        assert (first.shape[1] if block.expands else first.shape[0]) == block.block[-1][0].weight.shape[0]
    assert torch.isfinite(supernet(digits.valid.images[:4], space.largest())).all()


def _trained_state(space, digits):
    supernet = build_supernet(space, digits, 0).train()
    optimizer = torch.optim.SGD(supernet.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    scheduler = make_scheduler(optimizer, 2, 10, 0.05)
    rng = np.random.default_rng(0)
    for _ in range(2):
        optimizer.zero_grad()
        sandwich_step(supernet, step_children(space, rng, 1), digits.train.images[:8], digits.train.labels[:8], 0.1)
        optimizer.step()
        scheduler.step()
    return supernet, optimizer, scheduler, TrainingState(1, rng.bit_generator.state, [{"epoch": 1}])


def test_a_checkpoint_of_another_supernet_is_refused_naming_the_misfit(space, digits, tmp_path, one_thread):
    """Resuming with a checkpoint written for another supernet (another version, other space options) says
    which tensor does not fit, in one line, instead of torch's many-line error."""
    supernet, optimizer, scheduler, state = _trained_state(space, digits)
    save_checkpoint(tmp_path, supernet, optimizer, scheduler, state)
    other = build_supernet(MBConvSupernetSpace(kernels="3,5", expansions="3,4", widths="0.5,1.0"), digits, 0)
    other_optimizer = torch.optim.SGD(other.parameters(), lr=0.1)
    with pytest.raises(ResultsError, match="does not fit this supernet: .* has shape") as refused:
        load_checkpoint(tmp_path, other, other_optimizer, make_scheduler(other_optimizer, 2, 10, 0.05))
    assert len(str(refused.value).splitlines()) == 1


def test_checkpoint_restores_model_optimizer_scheduler_and_generator(space, digits, tmp_path, one_thread):
    supernet, optimizer, scheduler, state = _trained_state(space, digits)
    save_checkpoint(tmp_path, supernet, optimizer, scheduler, state)
    fresh = build_supernet(space, digits, 1)
    fresh_optimizer = torch.optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    fresh_scheduler = make_scheduler(fresh_optimizer, 2, 10, 0.05)
    restored = load_checkpoint(tmp_path, fresh, fresh_optimizer, fresh_scheduler)
    assert restored == state
    for a, b in zip(supernet.state_dict().values(), fresh.state_dict().values()):
        assert torch.equal(a, b)
    assert fresh_scheduler.get_last_lr() == scheduler.get_last_lr()
    saved, loaded = optimizer.state_dict()["state"], fresh_optimizer.state_dict()["state"]
    assert saved.keys() == loaded.keys()
    assert all(torch.equal(saved[k]["momentum_buffer"], loaded[k]["momentum_buffer"]) for k in saved)
    continued, expected = np.random.default_rng(), np.random.default_rng(0)
    continued.bit_generator.state = json.loads(json.dumps(restored.children_rng))
    step_children(space, expected, 1), step_children(space, expected, 1)  # what the two steps drew
    assert continued.random() == expected.random()


def test_a_moving_average_of_the_weights_is_checkpointed_and_published(space, digits, tmp_path, one_thread):
    from safetensors.torch import load

    from nasbench.supernet_training.checkpoint import load_supernet_weights
    from nasbench.supernet_training.worker import moving_average

    supernet, optimizer, scheduler, state = _trained_state(space, digits)
    assert moving_average(supernet, 0.0) is None
    averaged = moving_average(supernet, 0.5)
    before = {k: v.clone() for k, v in supernet.state_dict().items()}
    averaged.update_parameters(supernet)  # the first update copies
    with torch.no_grad():
        for p in supernet.parameters():
            p.add_(1.0)
    averaged.update_parameters(supernet)  # then 0.5 old + 0.5 new
    name = next(n for n, _ in supernet.named_parameters())
    torch.testing.assert_close(averaged.module.state_dict()[name], before[name] + 0.5)
    save_checkpoint(tmp_path, supernet, optimizer, scheduler, state, averaged)
    fresh = build_supernet(space, digits, 1)
    fresh_average = moving_average(fresh, 0.5)
    fresh_optimizer = torch.optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    load_checkpoint(tmp_path, fresh, fresh_optimizer, make_scheduler(fresh_optimizer, 2, 10, 0.05), fresh_average)
    assert int(fresh_average.n_averaged) == 2
    torch.testing.assert_close(fresh_average.module.state_dict()[name], before[name] + 0.5)
    published = load_supernet_weights(tmp_path)  # what the run publishes: the average, as the supernet's keys
    assert published.keys() == supernet.state_dict().keys()
    torch.testing.assert_close(published[name], before[name] + 0.5)
    assert not torch.equal(published[name], load((tmp_path / "supernet.safetensors").read_bytes())[name])
    plain = tmp_path / "plain"
    save_checkpoint(plain, supernet, optimizer, scheduler, state)
    with pytest.raises(ResultsError, match="keeps no moving average"):
        load_checkpoint(plain, fresh, fresh_optimizer, make_scheduler(fresh_optimizer, 2, 10, 0.05), fresh_average)


@pytest.mark.parametrize(
    ("name", "kind"), [("sgd", torch.optim.SGD), ("rmsprop", torch.optim.RMSprop), ("adamw", torch.optim.AdamW)]
)
def test_each_optimizer_is_built_and_its_state_restored_from_a_checkpoint(
    space, digits, tmp_path, one_thread, name, kind
):
    from nasbench.supernet_training.worker import build_optimizer

    config = SupernetConfig(space=space.name, optimizer=name, lr=0.01)
    supernet = build_supernet(space, digits, 0).train()
    optimizer = build_optimizer(supernet, config)
    assert type(optimizer) is kind and optimizer.param_groups[0]["lr"] == 0.01
    scheduler = make_scheduler(optimizer, 1, 4, 0.05)
    for _ in range(2):
        optimizer.zero_grad()
        sandwich_step(supernet, [space.largest()], digits.train.images[:8], digits.train.labels[:8], 0.1)
        optimizer.step()
        scheduler.step()
    save_checkpoint(tmp_path, supernet, optimizer, scheduler, TrainingState(1, {}, []))
    fresh = build_supernet(space, digits, 1)
    restored = build_optimizer(fresh, config)
    load_checkpoint(tmp_path, fresh, restored, make_scheduler(restored, 1, 4, 0.05))
    saved, loaded = optimizer.state_dict()["state"], restored.state_dict()["state"]
    assert saved.keys() == loaded.keys() and saved
    for index, values in saved.items():
        for key, value in values.items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(loaded[index][key])), (index, key)
    with pytest.raises(InvalidOption, match="unknown optimizer 'adam'; choose from: sgd, rmsprop, adamw"):
        SupernetConfig(space=space.name, optimizer="adam")


def test_half_written_checkpoint_is_never_loaded(space, digits, tmp_path, one_thread):
    supernet, optimizer, scheduler, state = _trained_state(space, digits)
    good = tmp_path / "checkpoints" / "attempt-1" / "epoch-0001"
    half = tmp_path / "checkpoints" / "attempt-2" / "epoch-0002"
    save_checkpoint(good, supernet, optimizer, scheduler, state)
    save_checkpoint(half, supernet, optimizer, scheduler, TrainingState(2, state.children_rng, state.history))
    data = (half / OPTIMIZER).read_bytes()
    (half / OPTIMIZER).write_bytes(data[: len(data) // 2])  # the process died while this file was written
    assert is_complete(good) and not is_complete(half)
    assert latest_checkpoint(tmp_path) == good
    with pytest.raises(ResultsError, match="incomplete checkpoint"):
        load_checkpoint(half, supernet, optimizer, scheduler)


@pytest.mark.parametrize(("key", "edit"), [("epoch", lambda v: v + 1), ("epoch", lambda v: 999), ("scheduler", None)])
def test_a_checkpoint_edited_by_hand_is_refused_not_loaded(space, digits, tmp_path, one_thread, key, edit):
    supernet, optimizer, scheduler, state = _trained_state(space, digits)
    folder = tmp_path / "checkpoints" / "attempt-1" / "epoch-0001"
    save_checkpoint(folder, supernet, optimizer, scheduler, state)
    meta = json.loads((folder / "state.json").read_text())
    if key == "scheduler":  # the learning rate ten times larger
        meta["scheduler"]["base_lrs"] = [10 * lr for lr in meta["scheduler"]["base_lrs"]]
    else:
        meta[key] = edit(meta[key])
    (folder / "state.json").write_text(json.dumps(meta))
    with pytest.raises(AlteredCheckpoint, match="was altered: its state.json does not match its digest"):
        latest_checkpoint(tmp_path)
    with pytest.raises(AlteredCheckpoint):
        load_checkpoint(folder, supernet, optimizer, scheduler)


def _finished_run(folder, space, digits):
    """A run folder as training leaves it (untrained weights: the evaluator's mechanics are under test)."""
    config = SupernetConfig(space=space.name, epochs=1)
    atomic.write_json(folder / CONFIG, {"supernet": config.to_dict()})
    save_weights(build_supernet(space, digits, 0), folder / SUPERNET_WEIGHTS)
    return folder


def test_supernet_evaluator_scores_the_extracted_child_with_inherited_weights(space, digits, tmp_path, one_thread):
    run = _finished_run(tmp_path / "run", space, digits)
    evaluator = SupernetEvaluator(space, str(run), device="cpu")
    evaluator.attach_run_folder(tmp_path / "search")
    child = space.sample(np.random.default_rng(1))
    metrics = evaluator(child, Budget(), seed=0)
    assert set(evaluator.metric_names()) == set(metrics)
    assert metrics["params"] < sum(p.numel() for p in build_supernet(space, digits, 0).parameters())
    model = evaluator.child(child, torch.device("cpu"))
    supernet = evaluator.load_supernet(torch.device("cpu"))
    batches = digits.train.images[: evaluator.bn_batches * 64].split(64)  # the run's recalibration batches
    space.recalibrate(supernet, child, batches)
    x = digits.valid.images[:32]
    torch.testing.assert_close(model(x), supernet.eval()(x, child), rtol=1e-4, atol=1e-4)
    assert (tmp_path / "search" / "weights" / f"{child.hash_key}.safetensors").exists()


def test_supernet_evaluator_refuses_an_unfinished_run_or_another_space(space, digits, tmp_path):
    run = _finished_run(tmp_path / "run", space, digits)
    (run / SUPERNET_WEIGHTS).unlink()
    with pytest.raises(ResultsError, match="has not finished training"):
        SupernetEvaluator(space, str(run))
    with pytest.raises(ResultsError, match="holds no supernet run"):
        SupernetEvaluator(space, str(tmp_path / "nothing"))


def test_supernet_evaluator_refuses_weights_of_another_network_naming_the_misfit(space, digits, tmp_path, cli):
    """Weights saved by another version of the supernet (a tensor more, one less, another shape) are refused
    before the search starts, in one line that names the tensor, and nothing is written."""
    from safetensors.torch import save_file

    from nasbench.storage.weights import load_weights

    run = _finished_run(tmp_path / "run", space, digits)
    good = load_weights(run / SUPERNET_WEIGHTS)
    extra = {**good, "blocks.0.kernel_transforms.matrices.3": torch.eye(9)}
    fewer = {k: v for k, v in good.items() if k != "classifier.bias"}
    reshaped = {**good, "classifier.bias": torch.zeros(3)}
    for state, misfit in (
        (extra, "it has blocks.0.kernel_transforms.matrices.3, which the network has not"),
        (fewer, "it lacks classifier.bias"),
        (reshaped, "classifier.bias has shape (3,), the network's is (10,)"),
    ):
        save_file(state, str(run / SUPERNET_WEIGHTS))
        with pytest.raises(ResultsError, match="do not fit space 'mbconv-supernet'") as refused:
            SupernetEvaluator(space, str(run), device="cpu")
        assert misfit in str(refused.value)
    code, _, err = cli("search", "--supernet", str(run), "--budget", "2", "--out", str(tmp_path / "s"), "--quiet")
    assert code == 2 and "classifier.bias has shape" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "s").exists()
