"""The MnasNet / EfficientNet factorized hierarchical search space (Tan et al., CVPR 2019)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from nasbench.errors import InvalidArchitecture, InvalidOption, UnknownName
from nasbench.search_spaces.mbconv.efficientnet import EFFICIENTNET, official, scale
from nasbench.search_spaces.mbconv.genotype import MBConvArch, Stage
from nasbench.search_spaces.mbconv.presets import PRESETS
from nasbench.search_spaces.mbconv.rounding import round_filters
from nasbench.search_spaces.mbconv.size import check_buildable
from nasbench.space import Buildable, DataSpec, DecisionSequence, NetworkSpec, SearchSpace
from nasbench.validation import check_finite

#: rows of the official EfficientNet table, decodable as efficientnet-b0 .. efficientnet-b7
#: the decisions of one stage, in order
STAGE_DECISIONS = ("kernel", "expand", "repeats", "channels", "se", "skip")


def preset(name: str) -> MBConvArch:
    """A published network by name (see ``PRESETS``)."""
    if name not in PRESETS:
        raise UnknownName(f"unknown MBConv network '{name}'; choose from: {', '.join(PRESETS)}")
    return MBConvArch.from_string(PRESETS[name])


def base_arch(base: str) -> MBConvArch:
    """A preset name or an architecture string."""
    return preset(base) if base in PRESETS or "/" not in base else MBConvArch.from_string(base)


def network_spec(arch: MBConvArch, data: DataSpec, stochastic_depth: float = 0.2) -> NetworkSpec:
    """How to construct any MBConv network (a member of a space or not) from plain data."""
    check_buildable(arch, data.channels, data.num_classes, data.height, data.width)
    kwargs = {"in_channels": data.channels, "num_classes": data.num_classes, "stochastic_depth": stochastic_depth}
    return NetworkSpec("nasbench.search_spaces.mbconv.modules", "MBConvNetwork", {**kwargs, **arch.network_kwargs()})


def build_network(arch: MBConvArch, data: DataSpec, stochastic_depth: float = 0.2):
    """The ``torch.nn.Module`` of any MBConv network (a member of a space or not)."""
    return network_spec(arch, data, stochastic_depth).instantiate()


def _choices(value, kind: type, what: str) -> tuple:
    items = value.split(",") if isinstance(value, str) else list(value)
    try:
        parsed = tuple(kind(item) for item in items)
    except (TypeError, ValueError):
        raise InvalidOption(
            f"mbconv option {what} should be a comma-separated list of {kind.__name__}s, got {value!r}"
        ) from None
    check_finite(parsed, f"mbconv option {what}")
    if not parsed or len(set(parsed)) != len(parsed):
        raise InvalidOption(f"mbconv option {what} needs distinct values, got {value!r}")
    return parsed


def _text(values: tuple) -> str:
    return ",".join(repr(v) if isinstance(v, float) else str(v) for v in values)


class MBConvSpace(SearchSpace, Buildable, DecisionSequence):
    """Per stage of a base network: kernel, expansion, repeats, width, SE and skip (MnasNet's space).

    Strides, stem and head come from ``base`` (a preset name or an architecture string). Each
    stage's repeats are the base's plus one of ``repeat_offsets`` (at least 1), its channels the
    base's times one of ``widths`` rounded to a multiple of ``divisor``. Sampled networks run at
    ``resolution`` (default: the data's own size, whatever the base's resolution).
    """

    name: ClassVar[str] = "mbconv"

    def __init__(
        self,
        base: str = "efficientnet-b0",
        kernels: str = "3,5,7",
        expansions: str = "1,3,4,6",
        se_ratios: str = "0.0,0.25",
        widths: str = "0.75,1.0,1.25",
        repeat_offsets: str = "-1,0,1",
        divisor: int = 8,
        resolution: int | None = None,
        stochastic_depth: float = 0.2,
    ) -> None:
        self.base_name = base
        self.base = base_arch(base)
        self.kernels = _choices(kernels, int, "kernels")
        self.expansions = _choices(expansions, int, "expansions")
        self.se_ratios = _choices(se_ratios, float, "se_ratios")
        self.widths = _choices(widths, float, "widths")
        self.repeat_offsets = _choices(repeat_offsets, int, "repeat_offsets")
        if divisor < 1:
            raise InvalidOption(f"mbconv option divisor must be positive, got {divisor}")
        if resolution is not None and resolution < 1:
            raise InvalidOption(f"mbconv option resolution must be positive, got {resolution}")
        if not 0.0 <= stochastic_depth < 1.0:
            raise InvalidOption(f"mbconv option stochastic_depth must be in [0, 1), got {stochastic_depth}")
        self.divisor = divisor
        self.resolution = resolution
        self.stochastic_depth = stochastic_depth
        self._repeats = [tuple(sorted({max(1, s.repeats + o) for o in self.repeat_offsets})) for s in self.base.stages]
        self._channels = [
            tuple(sorted({round_filters(s.channels, w, divisor) for w in self.widths})) for s in self.base.stages
        ]
        self.sample(np.random.default_rng(0))  # fails now, not mid-search, on choices that make no network

    def options(self) -> dict:
        return {
            "base": self.base_name,
            "kernels": _text(self.kernels),
            "expansions": _text(self.expansions),
            "se_ratios": _text(self.se_ratios),
            "widths": _text(self.widths),
            "repeat_offsets": _text(self.repeat_offsets),
            "divisor": self.divisor,
            "resolution": self.resolution,
            "stochastic_depth": self.stochastic_depth,
        }

    # ------------------------------------------------------ DecisionSequence
    def _stage_choices(self, i: int) -> tuple[tuple, ...]:
        return (self.kernels, self.expansions, self._repeats[i], self._channels[i], self.se_ratios, (True, False))

    def decision_sizes(self) -> Sequence[int]:
        return [len(c) for i in range(len(self.base.stages)) for c in self._stage_choices(i)]

    def to_decisions(self, arch: MBConvArch) -> list[int]:
        base = self.base
        if (arch.stem, arch.head, arch.stem_stride, arch.activation, arch.dropout, arch.resolution) != (
            base.stem,
            base.head,
            base.stem_stride,
            base.activation,
            base.dropout,
            self.resolution,
        ) or len(arch.stages) != len(base.stages):
            raise InvalidArchitecture(
                f"{arch} is not in this mbconv space: its stem, head, resolution or number of stages differ from the base's"
            )
        decisions = []
        for i, (stage, base_stage) in enumerate(zip(arch.stages, base.stages)):
            if stage.stride != base_stage.stride:
                raise InvalidArchitecture(
                    f"stage {i} of {arch} has stride {stage.stride}; this space fixes it to {base_stage.stride}"
                )
            values = (stage.kernel, stage.expand, stage.repeats, stage.channels, stage.se, stage.skip)
            for name, value, choices in zip(STAGE_DECISIONS, values, self._stage_choices(i)):
                if value not in choices:
                    raise InvalidArchitecture(
                        f"stage {i} {name} {value} is not one of this space's choices {', '.join(map(str, choices))}"
                    )
                decisions.append(choices.index(value))
        return decisions

    def from_decisions(self, decisions: Sequence[int]) -> MBConvArch:
        sizes = self.decision_sizes()
        if len(decisions) != len(sizes) or any(not 0 <= int(d) < n for d, n in zip(decisions, sizes)):
            raise InvalidArchitecture(
                f"mbconv decisions must be {len(sizes)} integers below {list(sizes)}, got {list(decisions)}"
            )
        stages = []
        per = len(STAGE_DECISIONS)
        for i, base_stage in enumerate(self.base.stages):
            kernel, expand, repeats, channels, se, skip = (
                c[int(d)] for c, d in zip(self._stage_choices(i), decisions[i * per : (i + 1) * per])
            )
            stages.append(Stage(expand, kernel, base_stage.stride, channels, repeats, se, skip))
        base = self.base
        return MBConvArch(
            tuple(stages), base.stem, base.head, base.stem_stride, base.activation, base.dropout, self.resolution
        )

    # ------------------------------------------------------------- sampling
    def sample(self, rng: np.random.Generator) -> MBConvArch:
        return self.from_decisions([int(rng.integers(n)) for n in self.decision_sizes()])

    def mutate(self, arch: MBConvArch, rng: np.random.Generator) -> MBConvArch:
        """Change one decision of one stage to another value (MnasNet's mutation) so the network differs.

        A change that leaves the network as it was (``noskip`` where no residual applies) is skipped.
        """
        decisions = self.to_decisions(arch)
        sizes = self.decision_sizes()
        for d in rng.permutation(len(sizes)):
            for value in rng.permutation(sizes[d]):
                if value == decisions[d]:
                    continue
                changed = list(decisions)
                changed[d] = int(value)
                child = self.from_decisions(changed)
                if child.hash_key != arch.hash_key:
                    return child
        raise InvalidArchitecture(f"{arch} has no neighbour in this mbconv space: every decision has a single choice")

    def decode(self, text: str) -> MBConvArch:
        """A block string, or a network's name: a preset or ``efficientnet-b0`` .. ``efficientnet-b7``."""
        name = text.strip().lower()
        if name in PRESETS:
            return preset(name)
        if name.startswith("efficientnet-b") and name[len("efficientnet-") :] in EFFICIENTNET:
            return scale(preset("efficientnet-b0"), official(name[len("efficientnet-") :]))
        return MBConvArch.from_string(text)

    def network_spec(self, arch: MBConvArch, data: DataSpec) -> NetworkSpec:
        return network_spec(arch, data, self.stochastic_depth)

    def default_data(self) -> DataSpec:
        """ImageNet: 1000 classes of RGB images at the base network's resolution (224 when it has none)."""
        size = self.base.resolution or 224
        return DataSpec(3, size, size, 1000)
