"""An MBConv network around a base as a sequence of decisions: ``mbconv`` and ``mbconv-supernet`` share it.

Per stage, the fields named by ``STAGE_FIELDS`` are decided (each from its own choices), the others
are the base's; the network's stem and head are the base's. ``mbconv-supernet`` also decides the
input resolution, as one last decision; ``mbconv`` fixes it.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

import numpy as np

from nasbench.errors import InvalidArchitecture
from nasbench.options import comma_text
from nasbench.search_spaces.mbconv.genotype import MBConvArch
from nasbench.space import DecisionSequence

#: fields of a network that always come from the base
NETWORK_FIELDS = ("stem", "head", "stem_stride", "activation", "dropout")
#: fields of a stage, in the order its decisions take them
STAGE_ORDER = ("kernel", "expand", "repeats", "channels", "se", "skip")


class StageDecisions(DecisionSequence):
    """Decisions per stage of ``base_arch``, then (where ``DECIDES_RESOLUTION``) the input resolution."""

    name: ClassVar[str]
    #: the ``Stage`` fields decided per stage, a prefix of ``STAGE_ORDER``; the others are the base's
    STAGE_FIELDS: ClassVar[tuple[str, ...]]
    #: whether the resolution is a decision (the last one) or fixed to ``fixed_resolution()``
    DECIDES_RESOLUTION: ClassVar[bool]
    base_arch: MBConvArch

    @abstractmethod
    def stage_choices(self, i: int) -> tuple[tuple, ...]:
        """The choices of stage ``i``'s decided fields, in ``STAGE_FIELDS`` order."""

    def resolution_choices(self) -> tuple:
        """The resolutions a network may have (``None``: the data's own size)."""
        return (None,)

    # ------------------------------------------------------ DecisionSequence
    def decision_sizes(self) -> Sequence[int]:
        per_stage = [len(c) for i in range(len(self.base_arch.stages)) for c in self.stage_choices(i)]
        return [*per_stage, len(self.resolution_choices())] if self.DECIDES_RESOLUTION else per_stage

    def decision_kinds(self) -> Sequence[str]:
        """Each stage's ``STAGE_FIELDS`` in turn, then ``"resolution"`` where the space decides it."""
        per_stage = [kind for _ in self.base_arch.stages for kind in self.STAGE_FIELDS]
        return [*per_stage, "resolution"] if self.DECIDES_RESOLUTION else per_stage

    def to_decisions(self, arch: MBConvArch) -> list[int]:
        base = self.base_arch
        network = NETWORK_FIELDS if self.DECIDES_RESOLUTION else (*NETWORK_FIELDS, "resolution")
        expected = {**{f: getattr(base, f) for f in NETWORK_FIELDS}, "resolution": self.resolution_choices()[0]}
        if (
            not isinstance(arch, MBConvArch)
            or any(getattr(arch, f) != expected[f] for f in network)
            or len(arch.stages) != len(base.stages)
        ):
            differ = "stem, head, resolution" if not self.DECIDES_RESOLUTION else "stem, head"
            raise InvalidArchitecture(
                f"{arch} is not in this {self.name} space: its {differ} or number of stages differ from the base's"
            )
        fixed = [f for f in ("stride", *STAGE_ORDER) if f not in self.STAGE_FIELDS]
        decisions = []
        for i, (stage, base_stage) in enumerate(zip(arch.stages, base.stages)):
            for name in fixed:
                if getattr(stage, name) != getattr(base_stage, name):
                    raise InvalidArchitecture(
                        f"stage {i} of {arch} has {name} {getattr(stage, name)}; "
                        f"this {self.name} space fixes it to the base's {getattr(base_stage, name)}"
                    )
            for name, choices in zip(self.STAGE_FIELDS, self.stage_choices(i)):
                value = getattr(stage, name)
                if value not in choices:
                    raise InvalidArchitecture(
                        f"stage {i} {name} {value} is outside this space's choices {comma_text(choices)}"
                    )
                decisions.append(choices.index(value))
        if self.DECIDES_RESOLUTION:
            resolutions = self.resolution_choices()
            if arch.resolution not in resolutions:
                raise InvalidArchitecture(
                    f"resolution {arch.resolution} is outside this space's choices {comma_text(resolutions)}"
                )
            decisions.append(resolutions.index(arch.resolution))
        return decisions

    def from_decisions(self, decisions: Sequence[int]) -> MBConvArch:
        sizes = self.decision_sizes()
        if len(decisions) != len(sizes) or any(not 0 <= int(d) < n for d, n in zip(decisions, sizes)):
            raise InvalidArchitecture(
                f"{self.name} decisions must be {len(sizes)} integers below {list(sizes)}, got {list(decisions)}"
            )
        per = len(self.STAGE_FIELDS)
        stages = []
        for i, base_stage in enumerate(self.base_arch.stages):
            picked = decisions[i * per : (i + 1) * per]
            values = {f: c[int(d)] for f, c, d in zip(self.STAGE_FIELDS, self.stage_choices(i), picked)}
            stages.append(replace(base_stage, **values))
        resolutions = self.resolution_choices()
        resolution = resolutions[int(decisions[-1])] if self.DECIDES_RESOLUTION else resolutions[0]
        base = self.base_arch
        return MBConvArch(tuple(stages), *(getattr(base, f) for f in NETWORK_FIELDS), resolution)

    # ------------------------------------------------------------- sampling
    def sample_decisions(self, rng: np.random.Generator) -> MBConvArch:
        return self.from_decisions([int(rng.integers(n)) for n in self.decision_sizes()])

    def mutate_decisions(self, arch: MBConvArch, rng: np.random.Generator) -> MBConvArch:
        """Change one decision to another value (MnasNet's mutation) so that the network differs.

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
        raise InvalidArchitecture(f"{arch} has no neighbour in this {self.name} space: every decision has one choice")
