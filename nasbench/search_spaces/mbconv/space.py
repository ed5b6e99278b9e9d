"""The MnasNet / EfficientNet factorized hierarchical search space (Tan et al., CVPR 2019)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from nasbench.errors import InvalidOption, UnknownName
from nasbench.options import comma_choices
from nasbench.search_spaces.mbconv.decisions import StageDecisions
from nasbench.search_spaces.mbconv.efficientnet import EFFICIENTNET, official, scale
from nasbench.search_spaces.mbconv.genotype import MBConvArch
from nasbench.search_spaces.mbconv.presets import PRESETS
from nasbench.search_spaces.mbconv.rounding import round_filters
from nasbench.search_spaces.mbconv.size import check_buildable
from nasbench.space import Buildable, DataSpec, LatencyUnits, NetworkSpec, SearchSpace, Unit


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
    return comma_choices(value, kind, what, "mbconv", sort=False, positive=False)


class MBConvSpace(SearchSpace, Buildable, StageDecisions, LatencyUnits):
    """Per stage of a base network: kernel, expansion, repeats, width, SE and skip (MnasNet's space).

    Strides, stem and head come from ``base`` (a preset name or an architecture string). Each
    stage's repeats are the base's plus one of ``repeat_offsets`` (at least 1), its channels the
    base's times one of ``widths`` rounded to a multiple of ``divisor``. Sampled networks run at
    ``resolution`` (default: the data's own size, whatever the base's resolution).
    """

    name: ClassVar[str] = "mbconv"
    STAGE_FIELDS: ClassVar[tuple[str, ...]] = ("kernel", "expand", "repeats", "channels", "se", "skip")
    DECIDES_RESOLUTION: ClassVar[bool] = False

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
        self.base = base
        self.base_arch = base_arch(base)
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
        stages = self.base_arch.stages
        self._repeats = [tuple(sorted({max(1, s.repeats + o) for o in self.repeat_offsets})) for s in stages]
        self._channels = [tuple(sorted({round_filters(s.channels, w, divisor) for w in self.widths})) for s in stages]
        self.sample(np.random.default_rng(0))  # fails now, not mid-search, on choices that make no network

    # ------------------------------------------------------ StageDecisions
    def stage_choices(self, i: int) -> tuple[tuple, ...]:
        return (self.kernels, self.expansions, self._repeats[i], self._channels[i], self.se_ratios, (True, False))

    def resolution_choices(self) -> tuple:
        return (self.resolution,)

    # ------------------------------------------------------------- sampling
    def sample(self, rng: np.random.Generator) -> MBConvArch:
        return self.sample_decisions(rng)

    def mutate(self, arch: MBConvArch, rng: np.random.Generator) -> MBConvArch:
        return self.mutate_decisions(arch, rng)

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
        size = self.base_arch.resolution or 224
        return DataSpec(3, size, size, 1000)

    # ---------------------------------------------------- LatencyUnits
    def latency_units(self, arch, data: DataSpec) -> list[Unit]:
        """The units a latency model times (imported here: a table look-up search never imports torch)."""
        from nasbench.search_spaces.mbconv.latency_units import mbconv_units

        return mbconv_units(arch, data)
