"""``mbconv-supernet``: elastic kernel, expansion, depth, width and resolution around a base network (OFA, BigNAS)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

import numpy as np

from nasbench.errors import InvalidArchitecture, InvalidOption
from nasbench.search_spaces.mbconv import MBConvArch, MBConvSpace, Stage, base_arch, round_filters
from nasbench.search_spaces.mbconv.space import network_spec
from nasbench.space import Buildable, DataSpec, DecisionSequence, NetworkSpec, SearchSpace
from nasbench.supernet.capability import WeightSharing
from nasbench.supernet.mbconv_modules import MBConvSupernet
from nasbench.supernet.slicing import copy_slices, inputs_of, recalibrate_batch_norm

#: the decisions of one stage, in order; one more decision, the resolution, comes last
STAGE_DECISIONS = ("kernel", "expand", "repeats", "channels")


def _choices(value, kind: type, what: str, allow_empty: bool = False) -> tuple:
    items = [i for i in value.split(",") if i.strip()] if isinstance(value, str) else list(value)
    try:
        parsed = tuple(sorted(kind(item) for item in items))
    except (TypeError, ValueError):
        raise InvalidOption(
            f"mbconv-supernet option {what} should be a comma-separated list of {kind.__name__}s, got {value!r}"
        ) from None
    if (not parsed and not allow_empty) or len(set(parsed)) != len(parsed) or any(p <= 0 for p in parsed):
        raise InvalidOption(f"mbconv-supernet option {what} needs distinct positive values, got {value!r}")
    return parsed


def _offsets(value) -> tuple[int, ...]:
    items = [i for i in value.split(",") if i.strip()] if isinstance(value, str) else list(value)
    try:
        parsed = tuple(int(item) for item in items)
    except (TypeError, ValueError):
        raise InvalidOption(
            f"mbconv-supernet option repeat_offsets should be comma-separated integers, got {value!r}"
        ) from None
    if not parsed:
        raise InvalidOption("mbconv-supernet option repeat_offsets needs at least one value")
    return parsed


def _text(values: tuple) -> str:
    return ",".join(repr(v) if isinstance(v, float) else str(v) for v in values)


class MBConvSupernetSpace(SearchSpace, Buildable, DecisionSequence, WeightSharing):
    """Children of an elastic MBConv supernet around ``base`` (a preset name or architecture string).

    Per stage: the depthwise kernel (the centre of the largest), the expansion ratio (stages the
    base builds without expansion keep none), the depth (the first ``repeats`` blocks: the base's
    plus one of ``repeat_offsets``, at least 1) and the width (the first channels: the base's times
    one of ``widths``, rounded to ``divisor``); for the network, the input resolution (one of
    ``resolutions``; empty: the data's own size). Stem, head, strides, SE and skips are the base's.
    Every child is an ``mbconv`` architecture.
    """

    name: ClassVar[str] = "mbconv-supernet"

    def __init__(
        self,
        base: str = "tiny",
        kernels: str = "3,5,7",
        expansions: str = "3,4,6",
        widths: str = "0.5,0.75,1.0",
        repeat_offsets: str = "-1,0,1",
        resolutions: str = "",
        divisor: int = 4,
        stochastic_depth: float = 0.0,
    ) -> None:
        self.base_name = base
        self.base = base_arch(base)
        self.kernels = _choices(kernels, int, "kernels")
        if any(k % 2 == 0 for k in self.kernels):
            raise InvalidOption(f"mbconv-supernet kernels must be odd, got {kernels!r}")
        self.expansions = _choices(expansions, int, "expansions")
        self.widths = _choices(widths, float, "widths")
        self.repeat_offsets = tuple(sorted(set(_offsets(repeat_offsets))))
        self.resolutions: tuple = _choices(resolutions, int, "resolutions", allow_empty=True) or (None,)
        if divisor < 1:
            raise InvalidOption(f"mbconv-supernet option divisor must be positive, got {divisor}")
        if not 0.0 <= stochastic_depth < 1.0:
            raise InvalidOption(f"mbconv-supernet option stochastic_depth must be in [0, 1), got {stochastic_depth}")
        self.divisor = divisor
        self.stochastic_depth = stochastic_depth
        stages = self.base.stages
        self._expands = [(1,) if s.expand == 1 else self.expansions for s in stages]
        self._repeats = [tuple(sorted({max(1, s.repeats + o) for o in self.repeat_offsets})) for s in stages]
        self._channels = [tuple(sorted({round_filters(s.channels, w, divisor) for w in self.widths})) for s in stages]

    def options(self) -> dict:
        return {
            "base": self.base_name,
            "kernels": _text(self.kernels),
            "expansions": _text(self.expansions),
            "widths": _text(self.widths),
            "repeat_offsets": _text(self.repeat_offsets),
            "resolutions": _text(tuple(r for r in self.resolutions if r is not None)),
            "divisor": self.divisor,
            "stochastic_depth": self.stochastic_depth,
        }

    # ------------------------------------------------------ DecisionSequence
    def _stage_choices(self, i: int) -> tuple[tuple, ...]:
        return (self.kernels, self._expands[i], self._repeats[i], self._channels[i])

    def decision_sizes(self) -> Sequence[int]:
        per_stage = [len(c) for i in range(len(self.base.stages)) for c in self._stage_choices(i)]
        return [*per_stage, len(self.resolutions)]

    def to_decisions(self, arch: MBConvArch) -> list[int]:
        base = self.base
        if not isinstance(arch, MBConvArch):
            raise InvalidArchitecture(f"{arch} is not an mbconv architecture")
        if (arch.stem, arch.head, arch.stem_stride, arch.activation, arch.dropout) != (
            base.stem,
            base.head,
            base.stem_stride,
            base.activation,
            base.dropout,
        ) or len(arch.stages) != len(base.stages):
            raise InvalidArchitecture(
                f"{arch} is not a child of this mbconv-supernet: its stem, head or number of stages differ from the base's"
            )
        decisions = []
        for i, (stage, base_stage) in enumerate(zip(arch.stages, base.stages)):
            if (stage.stride, stage.se, stage.skip) != (base_stage.stride, base_stage.se, base_stage.skip):
                raise InvalidArchitecture(f"stage {i} of {arch}: stride, SE and skip are fixed to the base's")
            values = (stage.kernel, stage.expand, stage.repeats, stage.channels)
            for name, value, choices in zip(STAGE_DECISIONS, values, self._stage_choices(i)):
                if value not in choices:
                    raise InvalidArchitecture(
                        f"stage {i} {name} {value} is outside this supernet's choices {', '.join(map(str, choices))}"
                    )
                decisions.append(choices.index(value))
        if arch.resolution not in self.resolutions:
            raise InvalidArchitecture(
                f"resolution {arch.resolution} is outside this supernet's choices {_text(self.resolutions)}"
            )
        decisions.append(self.resolutions.index(arch.resolution))
        return decisions

    def from_decisions(self, decisions: Sequence[int]) -> MBConvArch:
        sizes = self.decision_sizes()
        if len(decisions) != len(sizes) or any(not 0 <= int(d) < n for d, n in zip(decisions, sizes)):
            raise InvalidArchitecture(
                f"mbconv-supernet decisions must be {len(sizes)} integers below {list(sizes)}, got {list(decisions)}"
            )
        stages, per = [], len(STAGE_DECISIONS)
        for i, base_stage in enumerate(self.base.stages):
            kernel, expand, repeats, channels = (
                c[int(d)] for c, d in zip(self._stage_choices(i), decisions[i * per : (i + 1) * per])
            )
            stages.append(Stage(expand, kernel, base_stage.stride, channels, repeats, base_stage.se, base_stage.skip))
        base = self.base
        resolution = self.resolutions[int(decisions[-1])]
        return MBConvArch(
            tuple(stages), base.stem, base.head, base.stem_stride, base.activation, base.dropout, resolution
        )

    # ------------------------------------------------------------- sampling
    def sample(self, rng: np.random.Generator) -> MBConvArch:
        return self.from_decisions([int(rng.integers(n)) for n in self.decision_sizes()])

    def mutate(self, arch: MBConvArch, rng: np.random.Generator) -> MBConvArch:
        """Change one decision to another value inside the supernet's ranges."""
        decisions = self.to_decisions(arch)
        sizes = self.decision_sizes()
        for d in rng.permutation(len(sizes)):
            for value in rng.permutation(sizes[d]):
                if value != decisions[d]:
                    changed = list(decisions)
                    changed[d] = int(value)
                    return self.from_decisions(changed)
        raise InvalidArchitecture(
            f"{arch} has no neighbour in this mbconv-supernet: every decision has a single choice"
        )

    def decode(self, text: str) -> MBConvArch:
        """An ``mbconv`` string (or ``largest`` / ``smallest``); refused unless it is a child of this supernet."""
        name = text.strip().lower()
        arch = {"largest": self.largest, "smallest": self.smallest}.get(name, lambda: MBConvArch.from_string(text))()
        self.to_decisions(arch)
        return arch

    def network_spec(self, arch: MBConvArch, data: DataSpec) -> NetworkSpec:
        """The child's own ``mbconv`` network (what ``extract`` fills with the supernet's weights)."""
        self.to_decisions(arch)
        return network_spec(arch, data, self.stochastic_depth)

    def default_data(self) -> DataSpec:
        """ImageNet at the base's resolution for a base that names one, else CIFAR-10's 32 x 32."""
        if self.base.resolution:
            return DataSpec(3, self.base.resolution, self.base.resolution, 1000)
        return DataSpec(3, 32, 32, 10)

    # --------------------------------------------------------- WeightSharing
    def child_space(self) -> SearchSpace:
        se_ratios = sorted({s.se for s in self.base.stages})
        expansions = sorted({*self.expansions, *(e for choices in self._expands for e in choices)})
        return MBConvSpace(
            base=self.base_name,
            kernels=_text(self.kernels),
            expansions=_text(tuple(expansions)),
            se_ratios=_text(tuple(se_ratios)),
            widths=_text(self.widths),
            repeat_offsets=_text(self.repeat_offsets),
            divisor=self.divisor,
            stochastic_depth=self.stochastic_depth,
        )

    def largest(self) -> MBConvArch:
        return self.from_decisions([n - 1 for n in self.decision_sizes()])

    def smallest(self) -> MBConvArch:
        return self.from_decisions([0] * len(self.decision_sizes()))

    def build_supernet(self, data: DataSpec) -> MBConvSupernet:
        top = self.largest()
        return MBConvSupernet(
            [s.plain() for s in top.stages],
            data.channels,
            data.num_classes,
            top.stem,
            top.head,
            top.stem_stride,
            top.activation,
            top.dropout,
        )

    def extract(self, supernet: MBConvSupernet, child: MBConvArch, data: DataSpec):
        self.to_decisions(child)
        model = self.build(child, data)
        copy_slices(model, supernet.state_dict(), supernet.source_name(child))
        return model.train(supernet.training)

    def recalibrate(self, module, child: MBConvArch, batches: Iterable, limit: int | None = None) -> None:
        if isinstance(module, MBConvSupernet):
            self.to_decisions(child)
            recalibrate_batch_norm(module, lambda x: module(x, child), inputs_of(batches, limit))
        else:
            recalibrate_batch_norm(module, module, inputs_of(batches, limit))
