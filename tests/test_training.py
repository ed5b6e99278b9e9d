"""The training evaluator: real (short) training of NASNet candidates on the embedded digits."""

import numpy as np
import pytest
import torch

from nasbench.backends.local import evaluate_in_process
from nasbench.costs.counting import count_params
from nasbench.errors import CandidateFailed, InvalidOption
from nasbench.evaluators.training import TrainingEvaluator
from nasbench.objective import Objective
from nasbench.search_spaces.nasnet import NASNET_A, NASNetSpace
from nasbench.session import SearchSession
from nasbench.strategies import RandomSearch
from nasbench.training.data import load_data
from nasbench.training.devices import torch_threads
from nasbench.training.trainer import TrainConfig, recalibrate_batch_norm
from nasbench.trial import Budget, TrialState

DIVERGING_LR = 1e30  # weight decay then overflows the weights to inf on the second step


def without_time(metrics):
    return {k: v for k, v in metrics.items() if k != "train_seconds"}


@pytest.mark.slow
def test_training_is_a_function_of_the_seed():
    evaluator = TrainingEvaluator(NASNetSpace(), epochs=1)
    arch = NASNetSpace().sample(np.random.default_rng(2))
    before = torch.random.get_rng_state()
    a, b = (evaluator(arch, Budget(), seed=5) for _ in range(2))
    c = evaluator(arch, Budget(), seed=6)
    assert without_time(a) == without_time(b)
    assert a["valid_loss"] != c["valid_loss"]
    assert torch.equal(torch.random.get_rng_state(), before)  # the global generator is left alone
    assert set(a) == set(evaluator.metric_names())
    assert 10 < a["valid_accuracy"] <= 100 and a["params"] > 0 and a["macs"] > 0 and a["epochs"] == 1


@pytest.mark.slow
def test_the_budget_sets_epochs_and_data_fraction():
    evaluator = TrainingEvaluator(NASNetSpace(), epochs=3)
    epochs = []
    metrics = evaluator(
        NASNET_A,
        Budget(epochs=2, data_fraction=0.25),
        seed=0,
        report=lambda epoch, m: epochs.append((epoch, m["macs"])),
    )
    assert metrics["epochs"] == 2 and [e for e, _ in epochs] == [1, 2]
    assert epochs[0][1] == metrics["macs"]  # reports carry the costs too
    full = evaluator(NASNET_A, Budget(epochs=2), seed=0)
    assert full["train_loss"] != metrics["train_loss"]


@pytest.mark.slow
def test_learning_on_digits_works():
    metrics = TrainingEvaluator(NASNetSpace(), epochs=3)(NASNET_A, Budget(), seed=0)
    assert metrics["valid_accuracy"] > 80  # ten classes: chance is 10 %


def test_batch_norm_statistics_are_re_estimated_without_dropout():
    model = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.BatchNorm2d(3), torch.nn.Dropout(0.5))
    images = torch.randn(40, 3, 4, 4) * 3 + 2
    recalibrate_batch_norm(model, images, torch.device("cpu"), batches=2, batch_size=20)
    bn = model[1]
    assert torch.allclose(bn.running_mean, images.mean(dim=(0, 2, 3)), atol=1e-5)
    assert torch.allclose(bn.running_var, images.transpose(0, 1).reshape(3, -1).var(dim=1), rtol=0.05)
    assert bn.momentum == 0.1 and not model.training


@pytest.mark.slow
def test_short_budgets_are_measured_with_recalibrated_statistics():
    """After one epoch the running averages lag the weights; the accuracy must reflect the weights."""
    arch = NASNetSpace().sample(np.random.default_rng(2))
    stale = TrainingEvaluator(NASNetSpace(), epochs=1, bn_batches=0)(arch, Budget(), seed=5)
    fresh = TrainingEvaluator(NASNetSpace(), epochs=1)(arch, Budget(), seed=5)
    assert fresh["train_loss"] == stale["train_loss"]  # the same training
    assert fresh["valid_accuracy"] > 60 > stale["valid_accuracy"]


@pytest.mark.slow
def test_an_auxiliary_head_is_trained_alongside():
    space = NASNetSpace(auxiliary=True)
    spec = load_data("digits").spec
    assert isinstance(space.build(NASNET_A, spec)(torch.zeros(2, 1, 8, 8)), tuple)  # (logits, aux) in training
    with_aux = TrainingEvaluator(space, epochs=1)(NASNET_A, Budget(), seed=0)
    ignored = TrainingEvaluator(space, epochs=1, aux_weight=0.0)(NASNET_A, Budget(), seed=0)
    assert with_aux["params"] > count_params(NASNetSpace().build(NASNET_A, spec))  # the head's parameters count
    assert with_aux["valid_loss"] != ignored["valid_loss"]  # the auxiliary loss changed the training


def test_divergence_raises_candidate_failed():
    evaluator = TrainingEvaluator(NASNetSpace(), epochs=1, lr=DIVERGING_LR)
    with pytest.raises(CandidateFailed, match=r"loss diverged \(nan\) in epoch 1"):
        evaluator(NASNET_A, Budget(), seed=0)


class SometimesBroken:
    """Real training for every candidate; odd seeds train with a diverging learning rate, and one
    candidate's evaluation raises (as a CUDA out-of-memory would)."""

    def __init__(self, space):
        self.good = TrainingEvaluator(space, epochs=1)
        self.diverging = TrainingEvaluator(space, epochs=1, lr=DIVERGING_LR)
        self.calls = 0

    def metric_names(self):
        return self.good.metric_names()

    def __call__(self, arch, budget, *, seed, report=None):
        self.calls += 1
        if self.calls == 2:
            raise RuntimeError("CUDA out of memory")
        return (self.diverging if seed % 2 else self.good)(arch, budget, seed=seed, report=report)


@pytest.mark.slow
def test_failed_candidates_are_recorded_and_the_search_goes_on():
    space = NASNetSpace()
    session = SearchSession(RandomSearch(space, seed=0), Objective(), None, 6, seed=0)
    evaluate_in_process(session, SometimesBroken(space))
    records = sorted(session.records.values(), key=lambda r: r.number)
    assert len(records) == 6
    errors = [r.error for r in records if r.state is TrialState.FAIL]
    assert "RuntimeError: CUDA out of memory" in errors
    assert any("loss diverged" in e for e in errors)
    done = [r for r in records if r.state is TrialState.COMPLETE]
    assert done and all(r.seed % 2 == 0 for r in done)
    assert session.best() in done


def test_bad_training_options():
    with pytest.raises(InvalidOption, match="lr must be a positive number"):
        TrainConfig(lr=float("inf"))
    with pytest.raises(InvalidOption, match="data_fraction"):
        TrainConfig(data_fraction=0.0)
    with pytest.raises(InvalidOption, match="cpu_threads"):
        TrainConfig(cpu_threads=0)


def test_cpu_threads_are_restored():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
