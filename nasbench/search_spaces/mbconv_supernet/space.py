"""``mbconv-supernet``: elastic kernel, expansion, depth, width and resolution around a base network (OFA, BigNAS)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import numpy as np

from nasbench.errors import InvalidOption
from nasbench.options import comma_choices, comma_text
from nasbench.search_spaces.mbconv import MBConvArch, MBConvSpace, base_arch, round_filters
from nasbench.search_spaces.mbconv.decisions import StageDecisions
from nasbench.search_spaces.mbconv.space import network_spec
from nasbench.search_spaces.mbconv_supernet.modules import MBConvSupernet
from nasbench.space import Buildable, DataSpec, LatencyUnits, NetworkSpec, SearchSpace, Unit
from nasbench.supernet.capability import WeightSharing
from nasbench.supernet.slicing import copy_slices, inputs_of, recalibrate_batch_norm


def _choices(value, kind: type, what: str, allow_empty: bool = False) -> tuple:
    return comma_choices(value, kind, what, "mbconv-supernet", allow_empty=allow_empty)


def _offsets(value) -> tuple[int, ...]:
    """Depth offsets: any integers, negative ones included."""
    return comma_choices(value, int, "repeat_offsets", "mbconv-supernet", positive=False)


#: how a supernet holds the smaller depthwise kernels (see ``MBConvSupernetSpace``)
KERNEL_WEIGHTS = ("centre", "separate")


class MBConvSupernetSpace(SearchSpace, Buildable, StageDecisions, WeightSharing, LatencyUnits):
    """Children of an elastic MBConv supernet around ``base`` (a preset name or architecture string).

    Per stage: the depthwise kernel (the centre of the largest), the expansion ratio (stages the
    base builds without expansion keep none), the depth (the first ``repeats`` blocks: the base's
    plus one of ``repeat_offsets``, at least 1) and the width (the first channels: the base's times
    one of ``widths``, rounded to ``divisor``); for the network, the input resolution (one of
    ``resolutions``; empty: the data's own size). Stem, head, strides, SE and skips are the base's.
    Every child is an ``mbconv`` architecture.

    ``kernel_weights`` says how the supernet holds the smaller kernels: ``centre``, the centre of the
    largest (once-for-all, BigNAS), or ``separate``, a depthwise kernel of their own per size and
    block (single-path one-shot), the rest of the block shared either way.
    """

    name: ClassVar[str] = "mbconv-supernet"
    STAGE_FIELDS: ClassVar[tuple[str, ...]] = ("kernel", "expand", "repeats", "channels")
    DECIDES_RESOLUTION: ClassVar[bool] = True

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
        kernel_weights: str = "centre",
    ) -> None:
        self.base = base
        self.base_arch = base_arch(base)
        self.kernels = _choices(kernels, int, "kernels")
        if any(k % 2 == 0 for k in self.kernels):
            raise InvalidOption(f"mbconv-supernet kernels must be odd, got {kernels!r}")
        self.expansions = _choices(expansions, int, "expansions")
        if min(self.expansions) < 2:
            # an expansion of 1 has no expanding convolution: a block of another kind than the supernet's
            raise InvalidOption(f"mbconv-supernet expansions must be 2 or more, got {expansions!r}")
        self.widths = _choices(widths, float, "widths")
        self.repeat_offsets = tuple(sorted(set(_offsets(repeat_offsets))))
        self.resolutions = _choices(resolutions, int, "resolutions", allow_empty=True)
        if divisor < 1:
            raise InvalidOption(f"mbconv-supernet option divisor must be positive, got {divisor}")
        if not 0.0 <= stochastic_depth < 1.0:
            raise InvalidOption(f"mbconv-supernet option stochastic_depth must be in [0, 1), got {stochastic_depth}")
        if kernel_weights not in KERNEL_WEIGHTS:
            choices = ", ".join(KERNEL_WEIGHTS)
            raise InvalidOption(
                f"mbconv-supernet option kernel_weights must be one of {choices}, got {kernel_weights!r}"
            )
        self.divisor = divisor
        self.stochastic_depth = stochastic_depth
        self.kernel_weights = kernel_weights
        stages = self.base_arch.stages
        self._expands = [(1,) if s.expand == 1 else self.expansions for s in stages]
        self._repeats = [tuple(sorted({max(1, s.repeats + o) for o in self.repeat_offsets})) for s in stages]
        self._channels = [tuple(sorted({round_filters(s.channels, w, divisor) for w in self.widths})) for s in stages]

    # ------------------------------------------------------ StageDecisions
    def stage_choices(self, i: int) -> tuple[tuple, ...]:
        return (self.kernels, self._expands[i], self._repeats[i], self._channels[i])

    def resolution_choices(self) -> tuple:
        return self.resolutions or (None,)

    # ------------------------------------------------------------- sampling
    def sample(self, rng: np.random.Generator) -> MBConvArch:
        return self.sample_decisions(rng)

    def mutate(self, arch: MBConvArch, rng: np.random.Generator) -> MBConvArch:
        """Change one decision to another value inside the supernet's ranges."""
        return self.mutate_decisions(arch, rng)

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
        if self.base_arch.resolution:
            return DataSpec(3, self.base_arch.resolution, self.base_arch.resolution, 1000)
        return DataSpec(3, 32, 32, 10)

    # --------------------------------------------------------- WeightSharing
    def child_space(self) -> SearchSpace:
        se_ratios = sorted({s.se for s in self.base_arch.stages})
        expansions = sorted({*self.expansions, *(e for choices in self._expands for e in choices)})
        return MBConvSpace(
            base=self.base,
            kernels=comma_text(self.kernels),
            expansions=comma_text(tuple(expansions)),
            se_ratios=comma_text(tuple(se_ratios)),
            widths=comma_text(self.widths),
            repeat_offsets=comma_text(self.repeat_offsets),
            divisor=self.divisor,
            stochastic_depth=self.stochastic_depth,
        )

    def largest(self) -> MBConvArch:
        return self.from_decisions([n - 1 for n in self.decision_sizes()])

    def smallest(self) -> MBConvArch:
        return self.from_decisions([0] * len(self.decision_sizes()))

    def starting_points(self) -> tuple[MBConvArch, ...]:
        """The largest child: sandwich training trains it at every step, and it is the one to beat."""
        return (self.largest(),)

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
            self.kernels if self.kernel_weights == "separate" else (),
        )

    def extract(self, supernet: MBConvSupernet, child: MBConvArch, data: DataSpec):
        self.to_decisions(child)
        model = self.build(child, data)
        copy_slices(model, supernet.state_dict(), supernet.source_name(child))
        return model.train(supernet.training)

    def ranking_shrink(self) -> tuple[float, str]:
        """Once-for-all's order (kernel, depth, expansion, width) over 3/4 of the epochs: Kendall tau 0.56
        against the defaults' 0.38 on the capacity task (docs/BENCHMARKS.md, "Ranking by capacity")."""
        return 0.75, "kernel,repeats,expand,channels"

    def recalibrate(self, module, child: MBConvArch, batches: Iterable, limit: int | None = None) -> None:
        if isinstance(module, MBConvSupernet):
            self.to_decisions(child)
            recalibrate_batch_norm(module, lambda x: module(x, child), inputs_of(batches, limit))
        else:
            recalibrate_batch_norm(module, module, inputs_of(batches, limit))

    # ---------------------------------------------------- LatencyUnits
    def latency_units(self, arch, data: DataSpec) -> list[Unit]:
        """The units a latency model times (imported here: a table look-up search never imports torch)."""
        from nasbench.search_spaces.mbconv.latency_units import mbconv_units

        return mbconv_units(arch, data)  # a child is its own mbconv network
