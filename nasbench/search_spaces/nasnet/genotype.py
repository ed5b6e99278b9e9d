"""The NASNet cell pair (Zoph et al., CVPR 2018) as plain data.

A genotype holds a normal cell and a reduction cell. Each cell has B = 5 blocks; block k reads
two hidden states, applies one operation to each and combines the results by element-wise
``add`` or by ``concat`` (channel concatenation). The states of a cell are numbered:

- 0: h_i, the output of the previous cell (squeezed to the cell's filter count by a 1x1 conv);
- 1: h_{i-1}, the output of the cell before that;
- 2 + k: the output of block k.

The cell's output is the concatenation of the states listed in its ``concat`` field; by the
search space's rule these are the states no block reads (``unused_states``). Published cells may
list more: NASNet-A's normal cell also concatenates h_{i-1}.

Canonical string, e.g. the NASNet-A cells::

    normal: 2=sep5x5(0)+sep3x3(1) 3=sep5x5(1)+sep3x3(1) 4=avg3x3(0)+id(1) 5=avg3x3(1)+avg3x3(1)
    6=sep3x3(0)+id(0) out=1,2,3,4,5,6 | reduction: 2=sep5x5(0)+sep7x7(1) 3=max3x3(0)+sep7x7(1)
    4=avg3x3(0)+sep5x5(1) 5=id(3)+avg3x3(2) 6=sep3x3(2)+max3x3(0) out=3,4,5,6

(one line). Read ``4=avg3x3(0)+id(1)`` as "state 4 is avg3x3 of state 0 plus identity of
state 1"; ``&`` instead of ``+`` concatenates the two results; ``out=`` lists the states the cell
outputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import networkx as nx

from nasbench.arch import Arch
from nasbench.errors import InvalidArchitecture
from nasbench.graph import IDENTITY, INPUT, OUTPUT, SUM

#: the 13 operations of the NASNet search space, in the paper's order
OPS = (
    "id",  # identity
    "conv1x3_3x1",  # 1x3 then 3x1 convolution
    "conv1x7_7x1",  # 1x7 then 7x1 convolution
    "dil3x3",  # 3x3 dilated convolution
    "avg3x3",  # 3x3 average pooling
    "max3x3",  # 3x3 max pooling
    "max5x5",  # 5x5 max pooling
    "max7x7",  # 7x7 max pooling
    "conv1x1",  # 1x1 convolution
    "conv3x3",  # 3x3 convolution
    "sep3x3",  # 3x3 depthwise-separable convolution (applied twice)
    "sep5x5",  # 5x5 depthwise-separable convolution (applied twice)
    "sep7x7",  # 7x7 depthwise-separable convolution (applied twice)
)
COMBINERS = ("add", "concat")
_SYMBOL = {"add": "+", "concat": "&"}
NUM_BLOCKS = 5
NUM_INPUTS = 2  # h_i and h_{i-1}
CELL_NAMES = ("normal", "reduction")

#: one block: (input_a, op_a, input_b, op_b, combiner)
Block = tuple[int, str, int, str, str]

_OPERAND = re.compile(r"^([a-z0-9_]+)\((\d+)\)$")
#: longest genotype string decoded (NASNet-A's is about 250 characters)
MAX_STRING_LENGTH = 2_000
#: digits of a state number: states are 0..6, so anything longer is refused before it is converted
MAX_DIGITS = 4


def unused_states(blocks: tuple[Block, ...]) -> tuple[int, ...]:
    """The states no block reads: the cell output under the search space's rule."""
    read = {b[0] for b in blocks} | {b[2] for b in blocks}
    return tuple(s for s in range(NUM_INPUTS + len(blocks)) if s not in read)


def _check_cell(name: str, blocks: tuple[Block, ...], concat: tuple[int, ...]) -> None:
    if len(blocks) != NUM_BLOCKS:
        raise InvalidArchitecture(f"a NASNet {name} cell has {NUM_BLOCKS} blocks, got {len(blocks)}")
    for k, block in enumerate(blocks):
        if len(block) != 5:
            raise InvalidArchitecture(
                f"{name} block {k} should be (input_a, op_a, input_b, op_b, combiner), got {block!r}"
            )
        input_a, op_a, input_b, op_b, combiner = block
        for state in (input_a, input_b):
            if not isinstance(state, int) or not 0 <= state < NUM_INPUTS + k:
                raise InvalidArchitecture(
                    f"{name} block {k} (state {NUM_INPUTS + k}) can read states 0..{NUM_INPUTS + k - 1}, got {state!r}"
                )
        for op in (op_a, op_b):
            if op not in OPS:
                raise InvalidArchitecture(
                    f"unknown NASNet operation '{op}' in {name} block {k}; choose from {', '.join(OPS)}"
                )
        if combiner not in COMBINERS:
            raise InvalidArchitecture(f"{name} block {k} combines by {combiner!r}; choose add or concat")
    states = NUM_INPUTS + NUM_BLOCKS
    if (
        not concat
        or list(concat) != sorted(set(concat))
        or not all(isinstance(s, int) and 0 <= s < states for s in concat)
    ):
        raise InvalidArchitecture(
            f"the {name} cell's output must list distinct states in 0..{states - 1} in increasing order, got {concat!r}"
        )
    dead = [s for s in unused_states(blocks) if s >= NUM_INPUTS and s not in concat]
    if dead:
        raise InvalidArchitecture(f"{name} state {dead[0]} is neither read by a block nor part of the cell output")


def _cell_string(name: str, blocks: tuple[Block, ...], concat: tuple[int, ...]) -> str:
    parts = [f"{name}:"]
    for k, (input_a, op_a, input_b, op_b, combiner) in enumerate(blocks):
        parts.append(f"{NUM_INPUTS + k}={op_a}({input_a}){_SYMBOL[combiner]}{op_b}({input_b})")
    parts.append("out=" + ",".join(str(s) for s in concat))
    return " ".join(parts)


def _parse_operand(name: str, text: str, where: str) -> tuple[int, str]:
    match = _OPERAND.match(text)
    if match is None:
        raise InvalidArchitecture(f"{name} block {where}: operand {text!r} should read op(state), e.g. sep3x3(0)")
    return _state(match.group(2), f"{name} block {where}"), match.group(1)


def _state(text: str, where: str) -> int:
    """A state number, refused unconverted when it has more than ``MAX_DIGITS`` digits."""
    if len(text) > MAX_DIGITS:
        raise InvalidArchitecture(f"{where}: a state number of {len(text):,} digits; states have at most {MAX_DIGITS}")
    return int(text)


def _parse_cell(name: str, text: str) -> tuple[tuple[Block, ...], tuple[int, ...]]:
    head, sep, body = text.strip().partition(":")
    if not sep or head.strip() != name:
        raise InvalidArchitecture(f"NASNet cell {text.strip()[:40]!r} should start with '{name}:'")
    tokens = body.split()
    if not tokens or not tokens[-1].startswith("out="):
        raise InvalidArchitecture(f"the {name} cell should end with out=STATES, e.g. out=2,3,4,5,6")
    blocks = []
    for k, token in enumerate(tokens[:-1]):
        label, sep, expr = token.partition("=")
        if not sep or label != str(NUM_INPUTS + k):
            raise InvalidArchitecture(f"{name} block {token!r} should read {NUM_INPUTS + k}=op(state)+op(state)")
        symbols = [c for c in expr if c in "+&"]
        if len(symbols) != 1:
            raise InvalidArchitecture(
                f"{name} block {token!r} needs one '+' (add) or '&' (concat) between its two operands"
            )
        left, right = expr.split(symbols[0])
        input_a, op_a = _parse_operand(name, left, label)
        input_b, op_b = _parse_operand(name, right, label)
        blocks.append((input_a, op_a, input_b, op_b, "add" if symbols[0] == "+" else "concat"))
    try:
        concat = tuple(_state(s, f"the {name} cell's out=") for s in tokens[-1][len("out=") :].split(","))
    except ValueError:
        raise InvalidArchitecture(
            f"the {name} cell's {tokens[-1]!r} should list state numbers, e.g. out=2,3,4,5,6"
        ) from None
    return tuple(blocks), concat


def _add_cell(graph: nx.DiGraph, prefix: str, blocks: tuple[Block, ...], concat: tuple[int, ...]) -> str:
    """One cell as a subgraph; returns its output node.

    h_i and h_{i-1} are both ``input`` nodes (so pruning sees them as sources); h_{i-1} passes
    through a ``prev`` marker so the two cannot be swapped. Labels carry the cell's prefix, so
    the same operation in a normal and in a reduction cell (where it may stride) differ.
    """
    graph.add_node(f"{prefix}0", op=INPUT)
    graph.add_node(f"{prefix}1in", op=INPUT)
    graph.add_node(f"{prefix}1", op=f"{prefix}:prev")
    graph.add_edge(f"{prefix}1in", f"{prefix}1")
    for k, (input_a, op_a, input_b, op_b, combiner) in enumerate(blocks):
        node = f"{prefix}{NUM_INPUTS + k}"
        graph.add_node(node, op=SUM if combiner == "add" else f"{prefix}:concat")
        for side, (state, op) in zip("ab", ((input_a, op_a), (input_b, op_b))):
            op_node = f"{node}{side}"
            graph.add_node(op_node, op=IDENTITY if op == "id" else f"{prefix}:{op}")
            graph.add_edge(f"{prefix}{state}", op_node)
            graph.add_edge(op_node, node)
    out = f"{prefix}out"
    graph.add_node(out, op=f"{prefix}:output")
    for state in concat:
        graph.add_edge(f"{prefix}{state}", out)
    return out


@dataclass(frozen=True)
class NASNetGenotype(Arch):
    """A normal and a reduction cell: blocks ``(input_a, op_a, input_b, op_b, combiner)``.

    ``normal_concat`` / ``reduce_concat`` default to the unused states of each cell.
    """

    normal: tuple[Block, ...]
    reduce: tuple[Block, ...]
    normal_concat: tuple[int, ...] | None = None
    reduce_concat: tuple[int, ...] | None = None
    space = "nasnet"

    def __post_init__(self) -> None:
        for field_name in ("normal", "reduce"):
            blocks = getattr(self, field_name)
            if not isinstance(blocks, (tuple, list)):
                raise InvalidArchitecture(f"{field_name} should be a tuple of {NUM_BLOCKS} blocks, got {blocks!r}")
            object.__setattr__(self, field_name, tuple(tuple(b) if isinstance(b, (tuple, list)) else b for b in blocks))
        for cell, field_name in zip(CELL_NAMES, ("normal", "reduce")):
            blocks = getattr(self, field_name)
            concat = getattr(self, f"{field_name}_concat")
            concat = unused_states(blocks) if concat is None else tuple(concat)
            _check_cell(cell, blocks, concat)
            object.__setattr__(self, f"{field_name}_concat", concat)

    def cell_specs(self) -> tuple[tuple[tuple[Block, ...], tuple[int, ...]], ...]:
        """(blocks, concat) of the normal and of the reduction cell."""
        return ((self.normal, self.normal_concat), (self.reduce, self.reduce_concat))

    def to_string(self) -> str:
        return " | ".join(
            _cell_string(name, blocks, concat) for name, (blocks, concat) in zip(CELL_NAMES, self.cell_specs())
        )

    @classmethod
    def from_string(cls, text: str) -> NASNetGenotype:
        if len(text) > MAX_STRING_LENGTH:
            raise InvalidArchitecture(
                f"NASNet genotype string of {len(text):,} characters; the limit is {MAX_STRING_LENGTH:,}"
            )
        parts = text.split("|")
        if len(parts) != 2:
            raise InvalidArchitecture(
                f"a NASNet genotype is 'normal: ... | reduction: ...', got {len(parts)} part(s) separated by '|'"
            )
        (normal, normal_concat), (reduce, reduce_concat) = (_parse_cell(n, p) for n, p in zip(CELL_NAMES, parts))
        return cls(normal, reduce, normal_concat, reduce_concat)

    def to_graph(self) -> nx.DiGraph:
        """Both cells as disjoint subgraphs whose outputs feed the one ``output`` node."""
        graph = nx.DiGraph()
        graph.add_node("output", op=OUTPUT)
        for prefix, (blocks, concat) in zip("nr", self.cell_specs()):
            graph.add_edge(_add_cell(graph, prefix, blocks, concat), "output")
        return graph
