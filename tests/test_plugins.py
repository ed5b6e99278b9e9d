"""A space and an evaluator defined here, used exactly like the built-in ones.

The space's networks are only looked up (it builds no PyTorch module) and it refuses some decision
vectors; the evaluator scores a word by a formula. Both reach the search through the in-process
registry (``nasbench.register_space``) and through the entry points of an installed package.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import nasbench
from nasbench import search as searching
from nasbench.arch import Arch
from nasbench.catalog import EVALUATORS, SPACES, STRATEGIES
from nasbench.config import SearchConfig
from nasbench.errors import InvalidArchitecture, InvalidOption
from nasbench.evaluator import Evaluator
from nasbench.graph import INPUT, OUTPUT
from nasbench.space import DecisionSequence, SearchSpace
from nasbench.strategies import Reinforce
from nasbench.trial import Budget

LETTERS = 4
LENGTH = 5
#: the first letter may not be this one: from_decisions refuses such a vector
FORBIDDEN_FIRST = 3


@dataclass(frozen=True)
class Word(Arch):
    letters: tuple[int, ...]
    space = "words"

    def to_string(self) -> str:
        return "".join("abcd"[c] for c in self.letters)

    def to_graph(self) -> nx.DiGraph:
        graph = nx.DiGraph()
        graph.add_node("in", op=INPUT)
        previous = "in"
        for position, letter in enumerate(self.letters):
            graph.add_node(position, op=f"p{position}_{letter}")
            graph.add_edge(previous, position)
            previous = position
        graph.add_node("out", op=OUTPUT)
        graph.add_edge(previous, "out")
        return graph


class WordSpace(SearchSpace, DecisionSequence):
    """Words of five letters a-d that do not start with d; looked up, never built."""

    name = "words"

    def sample(self, rng: np.random.Generator) -> Word:
        first = int(rng.integers(LETTERS - 1))
        return Word((first, *(int(c) for c in rng.integers(LETTERS, size=LENGTH - 1))))

    def mutate(self, arch: Word, rng: np.random.Generator) -> Word:
        position = int(rng.integers(LENGTH))
        choices = [c for c in range(LETTERS) if c != arch.letters[position] and (position or c != FORBIDDEN_FIRST)]
        letters = list(arch.letters)
        letters[position] = int(rng.choice(choices))
        return Word(tuple(letters))

    def decode(self, text: str) -> Word:
        if any(c not in "abcd" for c in text):
            raise InvalidArchitecture(f"a word is made of the letters a-d, got {text!r}")
        return self.from_decisions(["abcd".index(c) for c in text])

    def decision_sizes(self) -> Sequence[int]:
        return [LETTERS] * LENGTH

    def to_decisions(self, arch: Word) -> list[int]:
        return list(arch.letters)

    def from_decisions(self, decisions: Sequence[int]) -> Word:
        if len(decisions) != LENGTH or decisions[0] == FORBIDDEN_FIRST:
            raise InvalidArchitecture(f"a word has {LENGTH} letters and does not start with d, got {list(decisions)}")
        return Word(tuple(int(d) for d in decisions))


class WordScore(Evaluator):
    """Letters in place against a target word, plus ``bonus``: a look-up, as fast as a table."""

    in_process = True

    def __init__(self, space: SearchSpace, bonus: float = 0.0) -> None:
        self.bonus = bonus

    def metric_names(self) -> tuple[str, ...]:
        return ("score", "length")

    def __call__(self, arch: Word, budget: Budget, *, seed: int, report=None) -> dict[str, float]:
        target = (2, 1, 0, 3, 2)
        score = sum(a == b for a, b in zip(arch.letters, target)) + self.bonus
        return {"score": float(score), "length": float(len(set(arch.letters)))}


STRATEGY_OPTIONS = {
    "random": {},
    "evo": {"population_size": 6, "tournament_size": 2},
    "rl": {"learning_rate": 0.05},
    "tpe": {"n_startup_trials": 4},
}


@pytest.fixture
def registered(monkeypatch):
    """The space and evaluator registered in this process only (a notebook's way)."""
    monkeypatch.setattr(SPACES, "_registered", {})
    monkeypatch.setattr(EVALUATORS, "_registered", {})
    nasbench.register_space("words", WordSpace)
    nasbench.register_evaluator("wordscore", WordScore)


def _config(strategy: str, budget: int) -> SearchConfig:
    return SearchConfig(
        space="words",
        strategy=strategy,
        evaluator="wordscore",
        budget=budget,
        seed=3,
        strategy_options=dict(STRATEGY_OPTIONS[strategy]),
        evaluator_options={"bonus": 0.5},
        objective={"targets": ["score"], "penalty": None},
    )


def _trials(folder) -> pd.DataFrame:
    return pd.read_csv(folder / "trials.csv")[["number", "arch", "state", "value", "score"]]


@pytest.mark.parametrize("strategy", list(STRATEGY_OPTIONS))
@pytest.mark.slow
def test_a_registered_space_is_searched_and_resumed_from_python(registered, tmp_path, strategy):
    whole = searching.start(_config(strategy, 24), tmp_path / "whole")
    best = whole.run()
    assert best is not None and best.metrics["score"] >= 2.5
    assert len(whole.session.records) >= 24 and whole.config.data is None  # no image-shaped data recorded
    if strategy in ("rl", "tpe"):  # proposed from decisions: some start with d, are refused and proposed again
        assert whole.strategy.refused > 0
    assert not _trials(tmp_path / "whole").arch.str.startswith("d").any()

    searching.start(_config(strategy, 12), tmp_path / "cut").run()
    resumed = searching.resume(tmp_path / "cut", budget=24)
    resumed.run()
    pd.testing.assert_frame_equal(_trials(tmp_path / "cut"), _trials(tmp_path / "whole"))


def _install(tmp_path, monkeypatch) -> None:
    """A package declaring the space and evaluator as entry points, as pip would install it."""
    (tmp_path / "wordplugin.py").write_text(
        textwrap.dedent(
            """
            from test_plugins import WordScore, WordSpace
            """
        )
    )
    dist = tmp_path / "wordplugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: wordplugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[nasbench.spaces]\nwords = wordplugin:WordSpace\n[nasbench.evaluators]\nwordscore = wordplugin:WordScore\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))


@pytest.mark.parametrize("strategy", list(STRATEGY_OPTIONS))
@pytest.mark.parametrize("how", [pytest.param("entry points", marks=pytest.mark.slow), "registered"])
def test_a_plugin_is_searched_and_resumed_from_the_command_line(cli, tmp_path, monkeypatch, strategy, how):
    if how == "entry points":
        (tmp_path / "site").mkdir()
        _install(tmp_path / "site", monkeypatch)
    else:
        monkeypatch.setattr(SPACES, "_registered", {})
        monkeypatch.setattr(EVALUATORS, "_registered", {})
        nasbench.register_space("words", WordSpace)
        nasbench.register_evaluator("wordscore", WordScore)
    options = [f"-S{k}={v}" for k, v in STRATEGY_OPTIONS[strategy].items()]
    common = ["--space", "words", "--evaluator", "wordscore", "-E", "bonus=0.5", "--strategy", strategy]
    common += ["--seed", "3", "--objective", "score", *options, "--quiet"]
    code, out, err = cli("search", *common, "--budget", "16", "--out", str(tmp_path / "whole"))
    assert code == 0, err
    assert "best: trial" in out
    config = json.loads((tmp_path / "whole" / "config.json").read_text())
    assert config["evaluator_options"] == {"bonus": 0.5} and config["backend"] == "local"  # a look-up runs in process
    assert cli("search", *common, "--budget", "8", "--out", str(tmp_path / "cut"))[0] == 0
    code, _, err = cli("search", "--resume", str(tmp_path / "cut"), "--budget", "16", "--quiet")
    assert code == 0, err
    pd.testing.assert_frame_equal(_trials(tmp_path / "cut"), _trials(tmp_path / "whole"))


def test_a_look_up_space_is_refused_training_before_any_folder_is_written(registered, cli, tmp_path):
    code, _, err = cli("search", "--space", "words", "--out", str(tmp_path / "r"))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "training (the 'train' evaluator) needs a space with the Buildable capability; 'words'" in err
    code, _, err = cli(
        "search",
        "--space",
        "words",
        "--evaluator",
        "wordscore",
        "--objective",
        "macs:min",
        "--out",
        str(tmp_path / "r"),
    )
    assert code == 2 and "reports no metric macs; it reports: score, length" in err
    code, _, err = cli(
        "search", "--space", "words", "--evaluator", "wordscore", "-E", "bonus=x", "--out", str(tmp_path)
    )
    assert code == 2 and "evaluator 'wordscore' option bonus takes a float, got 'x'" in err
    code, _, err = cli("search", "--space", "nb201", "--evaluator", "tabular", "--out", str(tmp_path / "r"))
    assert code == 2 and "evaluator 'tabular' cannot be created: missing a required argument: 'path'" in err
    assert not (tmp_path / "r").exists()


def test_registration_takes_subclasses_under_new_names(monkeypatch):
    monkeypatch.setattr(STRATEGIES, "_registered", {})
    with pytest.raises(InvalidOption, match="not a subclass of nasbench.strategy.Strategy"):
        nasbench.register_strategy("mine", WordSpace)
    with pytest.raises(InvalidOption, match="'evo' is a built-in strategy"):
        nasbench.register_strategy("evo", STRATEGIES.get("random"))
    nasbench.register_strategy("mine", STRATEGIES.get("random"))
    assert "mine" in STRATEGIES.names()


def test_a_space_with_a_capabilitys_methods_but_not_its_class_is_told_to_inherit_it():
    class Undeclared(SearchSpace):  # WordSpace's decisions, without declaring DecisionSequence
        name = "undeclared"
        sample, mutate, decode = WordSpace.sample, WordSpace.mutate, WordSpace.decode
        decision_sizes, to_decisions, from_decisions = (
            WordSpace.decision_sizes,
            WordSpace.to_decisions,
            WordSpace.from_decisions,
        )

    with pytest.raises(InvalidOption, match=r"class Undeclared\(SearchSpace, DecisionSequence\)"):
        Reinforce(Undeclared(), seed=0)
