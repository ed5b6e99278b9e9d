import textwrap

import pytest

from nasbench.catalog import EVALUATORS, SPACES, STRATEGIES
from nasbench.errors import UnknownName
from nasbench.options import RUN_KEYWORDS, keyword_options


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(UnknownName, match=r"unknown space 'nope'; choose from: .*nb201"):
        SPACES.get("nope")
    with pytest.raises(UnknownName, match=r"unknown strategy 'nope'; choose from: .*evo.*random"):
        STRATEGIES.get("nope")


def test_third_party_space_through_an_entry_point(tmp_path, monkeypatch):
    (tmp_path / "tinyplugin.py").write_text(
        textwrap.dedent(
            """
            from nasbench.search_spaces.nb201 import NB201Space

            class TinySpace(NB201Space):
                name = "tiny"
            """
        )
    )
    dist = tmp_path / "tinyplugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tinyplugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[nasbench.spaces]\ntiny = tinyplugin:TinySpace\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "tiny" in SPACES.names()
    space = SPACES.create("tiny", filters=8)
    assert space.name == "tiny" and space.options() == {"filters": 8, "cells": 5}


@pytest.mark.parametrize("name", sorted(set(SPACES.names()) - {"tiny"}))
def test_a_space_is_rebuilt_from_the_options_its_constructor_declares(name):
    space = SPACES.create(name)
    again = SPACES.create(name, **space.options())
    assert again.options() == space.options()
    assert set(space.options()) == set(keyword_options(type(space)))


@pytest.mark.parametrize("name", sorted(set(STRATEGIES.names()) - {"sweep"}))
def test_a_strategy_is_rebuilt_from_the_options_its_constructor_declares(name):
    from nasbench.search_spaces.nb201 import NB201Space

    strategy = STRATEGIES.create(name, NB201Space(), seed=3)
    again = STRATEGIES.create(name, NB201Space(), seed=3, **strategy.options())
    assert again.options() == strategy.options()
    assert set(strategy.options()) == set(keyword_options(type(strategy))) - set(RUN_KEYWORDS)


def test_a_backend_and_an_evaluator_record_every_option_with_its_default(nb201_table):
    from nasbench.backends import RayBackend

    assert RayBackend(max_concurrent=2).options() == {
        "address": None,
        "cpus_per_trial": 1.0,
        "gpus_per_trial": None,
        "max_concurrent": 2,
        "scheduler": "none",
        "grace_period": 1,
        "reduction_factor": 4.0,
        "max_failures": 1,
    }
    assert EVALUATORS.create("tabular", None, path="nb201").options()["path"] == "nb201"


def test_an_option_kept_under_another_name_is_a_clear_error():
    from nasbench.strategy import Strategy

    class Renamed(Strategy):
        name = "renamed"

        def __init__(self, space, *, seed=0, width: int = 3):
            super().__init__(space, seed=seed)
            self.stored_width = width

        def _propose(self, number):
            return None

        def tell(self, trial, outcome):
            pass

    from nasbench.search_spaces.nb201 import NB201Space

    with pytest.raises(AttributeError, match="keeps no attribute 'width' for its option width"):
        Renamed(NB201Space()).options()
