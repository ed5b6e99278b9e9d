import numpy as np
import pandas as pd
import pytest
import torch
from toy_space import ChainSpace

from nasbench.backends.local import evaluate_in_process
from nasbench.errors import InvalidOption
from nasbench.objective import Objective
from nasbench.results import read_records
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.session import SearchSession
from nasbench.space import SearchSpace
from nasbench.storage.run_folder import RunFolder
from nasbench.strategies import Reinforce
from nasbench.trial import Outcome, Trial, TrialState

pytestmark = pytest.mark.usefixtures("one_thread")


def rewards_while_learning(strategy, space, steps):
    rewards = []
    for _ in range(steps):
        trial = strategy.ask()
        rewards.append(space.reward(trial.arch))
        strategy.tell(trial, Outcome(TrialState.COMPLETE, (rewards[-1],)))
    return np.array(rewards)


@pytest.mark.parametrize("controller", ["lstm", "independent"])
def test_reward_rises_on_a_toy_space(controller):
    """8 layers of 4 ops, reward = layers matching a hidden target: random guessing scores 2 on average."""
    space = ChainSpace()
    rl = Reinforce(
        space, seed=0, controller=controller, learning_rate=0.05 if controller == "independent" else 0.01, batch_size=4
    )
    rewards = rewards_while_learning(rl, space, 600)
    assert rewards[:50].mean() < 3
    assert rewards[-100:].mean() > 6
    assert rl.updates == 600 // 4
    best = [int(np.argmax(p)) for p in rl.probabilities()]
    assert tuple(best) == space.target


def test_the_policy_learns_to_avoid_what_fails():
    """Networks whose first layer takes choice 0 fail (they diverge, or break a cost bound): they
    count as the worst reward seen, so the policy stops proposing them."""
    space = ChainSpace()
    rl = Reinforce(space, seed=0, learning_rate=0.01, batch_size=4)
    failed = []
    for _ in range(400):
        trial = rl.ask()
        failed.append(trial.arch.choices[0] == 0)
        outcome = (
            Outcome(TrialState.FAIL)
            if failed[-1]
            else Outcome(TrialState.COMPLETE, (float(trial.arch.choices[1] == 1),))
        )
        rl.tell(trial, outcome)
    assert np.mean(failed[:50]) > 0.15 and np.mean(failed[-100:]) < 0.05


def test_batches_are_asynchronous():
    """Proposals never wait; the policy changes only once a whole batch has been told."""
    space = ChainSpace()
    rl = Reinforce(space, seed=1, batch_size=3)
    trials = [rl.ask() for _ in range(5)]
    assert all(t is not None for t in trials)
    before = [p.detach().clone() for p in rl.policy.parameters()]
    for trial in trials[:2]:
        rl.tell(trial, Outcome(TrialState.COMPLETE, (space.reward(trial.arch),)))
    assert rl.updates == 0 and all(torch.equal(a, b) for a, b in zip(before, rl.policy.parameters()))
    rl.tell(trials[4], Outcome(TrialState.FAIL))  # a failure completes the batch, as the worst reward
    assert rl.updates == 1 and not all(torch.equal(a, b) for a, b in zip(before, rl.policy.parameters()))
    rl.tell(trials[2], Outcome(TrialState.PRUNED, (1.0,)))
    assert rl.updates == 1
    with pytest.raises(ValueError, match="was not asked"):
        rl.tell(trials[0], Outcome(TrialState.COMPLETE, (1.0,)))


def test_no_global_random_state_is_used_or_changed():
    space = ChainSpace()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = rewards_while_learning(Reinforce(space, seed=7, batch_size=2), space, 40)
    assert torch.equal(torch.rand(3), expected)
    torch.manual_seed(999)  # a different global state changes nothing
    b = rewards_while_learning(Reinforce(space, seed=7, batch_size=2), space, 40)
    assert list(a) == list(b)


def test_resume_replays_to_the_same_policy(nb201_table, tmp_path):
    def session(folder):
        rl = Reinforce(NB201Space(), seed=4, batch_size=5)
        return SearchSession(rl, Objective(), RunFolder(folder), 40, 4)

    full = session(tmp_path / "full")
    evaluate_in_process(full, nb201_table)

    class Interrupt:
        calls = 0

        def __call__(self, arch, budget, *, seed, report=None):
            if Interrupt.calls == 15:
                raise KeyboardInterrupt
            Interrupt.calls += 1
            return nb201_table(arch, budget)

    cut = session(tmp_path / "cut")
    with pytest.raises(KeyboardInterrupt):
        evaluate_in_process(cut, Interrupt())
    resumed = session(tmp_path / "cut")
    resumed.replay(read_records(RunFolder(tmp_path / "cut")))
    evaluate_in_process(resumed, nb201_table)
    a = pd.read_csv(tmp_path / "full" / "trials.csv").drop(columns="wall_seconds")
    b = pd.read_csv(tmp_path / "cut" / "trials.csv").drop(columns="wall_seconds")
    pd.testing.assert_frame_equal(a, b)
    for p, q in zip(full.strategy.policy.parameters(), resumed.strategy.policy.parameters()):
        assert torch.equal(p, q)


def test_bad_hyperparameters_and_spaces():
    with pytest.raises(InvalidOption, match="controller must be one of lstm, independent"):
        Reinforce(ChainSpace(), controller="gru")
    with pytest.raises(InvalidOption, match="batch_size"):
        Reinforce(ChainSpace(), batch_size=0)
    with pytest.raises(InvalidOption, match="baseline_decay"):
        Reinforce(ChainSpace(), baseline_decay=1.0)

    class NoDecisions(SearchSpace):
        name = "plain"
        sample = mutate = decode = network_spec = None

    with pytest.raises(InvalidOption, match="needs a space with the DecisionSequence capability; 'plain'"):
        Reinforce(NoDecisions())


def test_a_repeated_network_teaches_only_entropy():
    """A repeat carries no new reward information: advantage 0, and it leaves baseline and spread alone."""
    space = ChainSpace()
    rl = Reinforce(space, seed=2, batch_size=10)
    first, second, third = rl.ask(), rl.ask(), rl.ask()
    rl.tell(first, Outcome(TrialState.COMPLETE, (1.0,)))
    rl.tell(second, Outcome(TrialState.COMPLETE, (5.0,)))
    baseline = rl._baseline
    rl.tell(Trial(third.number, first.arch), Outcome(TrialState.COMPLETE, (1.0,)))  # the first network again
    assert [a for _, a in rl._batch] == [0.0, pytest.approx(4.0 / 8**0.5), 0.0]
    assert rl._baseline == baseline
