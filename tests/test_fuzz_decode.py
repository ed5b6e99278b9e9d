"""Decoding any string, up to a megabyte, ends in an architecture or in the toolkit's own error, quickly.

The strings are built from pieces of valid ones (so the fuzzer gets deep into each grammar), long
runs of digits, stray characters, and a repeat count that takes them to a megabyte.
"""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nasbench.errors import InvalidArchitecture
from nasbench.search_spaces.mbconv import MBConvSpace
from nasbench.search_spaces.mbconv_supernet import MBConvSupernetSpace
from nasbench.search_spaces.nasnet import NASNetSpace
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.search_spaces.vit import ViTSpace
from nasbench.search_spaces.vit_supernet import ViTSupernetSpace

MEGABYTE = 1_000_000
SPACES = {
    "nb201": NB201Space,
    "nasnet": NASNetSpace,
    "mbconv": lambda: MBConvSpace(base="tiny"),
    "vit": ViTSpace,
    "vit-supernet": ViTSupernetSpace,
    "mbconv-supernet": MBConvSupernetSpace,
}


def _fragments(space) -> list[str]:
    """Pieces of a few valid strings of ``space``, split at and keeping every separator."""
    rng = np.random.default_rng(0)
    pieces = set()
    for _ in range(5):
        text = space.encode(space.sample(rng))
        pieces.update(p for p in re.split(r"([|+~_/:=(),& ])", text) if p)
    return sorted(pieces)


def _texts(fragments: list[str]):
    piece = st.one_of(
        st.sampled_from(fragments),
        st.integers(1, 6000).map(lambda n: "9" * n),  # numbers past any limit, and past int()'s 4300 digits
        st.sampled_from(["nan", "inf", "-1", "1e9999", "0.5", "\x00", "é", "\n", "  ", "res", "ds", "noskip"]),
    )
    body = st.lists(piece, min_size=0, max_size=40).map("".join)
    return st.tuples(body, st.integers(1, MEGABYTE)).map(lambda t: (t[0] * (t[1] // max(1, len(t[0])) + 1))[:MEGABYTE])


def _check_decode(space, text: str) -> None:
    try:
        arch = space.decode(text)
    except InvalidArchitecture:
        return
    assert space.decode(space.encode(arch)) == arch  # what decodes round-trips


@pytest.mark.parametrize("name", sorted(SPACES))
def test_decode_raises_only_its_own_error_in_bounded_time(name):
    space = SPACES[name]()
    fragments = _fragments(space)

    @settings(max_examples=40, deadline=2000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_texts(fragments))
    def check(text):
        _check_decode(space, text)

    check()


@pytest.mark.parametrize("name", sorted(SPACES))
def test_short_strings_from_valid_pieces_reach_the_grammar(name):
    """Without the repeat, strings stay short enough to be parsed rather than refused by length."""
    space = SPACES[name]()
    fragments = _fragments(space)

    @settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.sampled_from(fragments), max_size=60).map("".join))
    def check(text):
        _check_decode(space, text)

    check()
