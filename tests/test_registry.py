import textwrap

import pytest

from nasbench.catalog import SPACES, STRATEGIES
from nasbench.errors import UnknownName


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
