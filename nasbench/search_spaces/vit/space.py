"""The vision-transformer search space: patch size, embedding, depth, and per layer heads and MLP ratio."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from nasbench.errors import InvalidArchitecture, InvalidOption, UnknownName
from nasbench.options import comma_choices, comma_text
from nasbench.search_spaces.vit.genotype import Layer, ViTArch
from nasbench.search_spaces.vit.presets import PRESETS
from nasbench.search_spaces.vit.size import check_buildable
from nasbench.space import Buildable, DataSpec, DecisionSequence, LatencyUnits, NetworkSpec, SearchSpace, Unit


def preset(name: str) -> ViTArch:
    """A published or proxy-task transformer by name (see ``PRESETS``)."""
    if name not in PRESETS:
        raise UnknownName(f"unknown ViT network '{name}'; choose from: {', '.join(PRESETS)}")
    return ViTArch.from_string(PRESETS[name])


def network_spec(arch: ViTArch, data: DataSpec) -> NetworkSpec:
    """How to construct any ViT (a member of a space or not) for ``data``, whose sides the patch must divide."""
    if data.height % arch.patch or data.width % arch.patch:
        raise InvalidArchitecture(
            f"patch size {arch.patch} does not divide the {data.height} x {data.width} input of {arch}"
        )
    check_buildable(arch, data.channels, data.num_classes, data.height, data.width)
    kwargs = {"in_channels": data.channels, "num_classes": data.num_classes, "image_size": (data.height, data.width)}
    return NetworkSpec("nasbench.search_spaces.vit.modules", "ViTNetwork", {**arch.network_kwargs(), **kwargs})


class LayeredDecisions(DecisionSequence):
    """Decisions of a transformer: ``global_choices`` first, then the depth, then heads and MLP ratio per layer.

    Layers beyond the depth still have their two decisions (the vector has a fixed length); they
    are ignored when decoding and written as 0 when encoding, so each architecture has one vector.
    """

    head_dim: int
    depths: tuple[int, ...]
    heads: tuple[int, ...]
    mlp_ratios: tuple[float, ...]

    @abstractmethod
    def global_choices(self) -> list[tuple[str, tuple]]:
        """``(name, choices)`` of the decisions before the depth; each name is a ``ViTArch`` field."""

    @abstractmethod
    def make(self, values: dict, layers: tuple[Layer, ...]) -> ViTArch:
        """The architecture with the global ``values`` (by name) and ``layers``."""

    def decision_sizes(self) -> Sequence[int]:
        head = [len(c) for _, c in self.global_choices()] + [len(self.depths)]
        return head + [len(self.heads), len(self.mlp_ratios)] * max(self.depths)

    def decision_kinds(self) -> Sequence[str]:
        """The global choices by name, ``"depth"``, then ``"heads"`` and ``"mlp_ratio"`` of every layer."""
        head = [name for name, _ in self.global_choices()] + ["depth"]
        return head + ["heads", "mlp_ratio"] * max(self.depths)

    def to_decisions(self, arch: ViTArch) -> list[int]:
        if not isinstance(arch, ViTArch):
            raise InvalidArchitecture(f"{arch} is not a ViT architecture")
        if arch.head_dim != self.head_dim:
            raise InvalidArchitecture(f"head dimension {arch.head_dim} of {arch} is not this space's {self.head_dim}")
        decisions = []
        for name, options in [*self.global_choices(), ("depth", self.depths)]:
            value = arch.depth if name == "depth" else getattr(arch, name)
            if value not in options:
                raise InvalidArchitecture(
                    f"{name} {value} of {arch} is outside this space's choices {comma_text(options)}"
                )
            decisions.append(options.index(value))
        for i, layer in enumerate(arch.layers):
            for name, value, options in (
                ("heads", layer.heads, self.heads),
                ("MLP ratio", layer.mlp_ratio, self.mlp_ratios),
            ):
                if value not in options:
                    raise InvalidArchitecture(
                        f"layer {i} {name} {value} of {arch} is outside this space's choices {comma_text(options)}"
                    )
                decisions.append(options.index(value))
        return decisions + [0, 0] * (max(self.depths) - arch.depth)

    def from_decisions(self, decisions: Sequence[int]) -> ViTArch:
        sizes = self.decision_sizes()
        if len(decisions) != len(sizes) or any(not 0 <= int(d) < n for d, n in zip(decisions, sizes)):
            raise InvalidArchitecture(
                f"decisions must be {len(sizes)} integers below {list(sizes)}, got {list(decisions)}"
            )
        names = self.global_choices()
        values = {name: options[int(d)] for (name, options), d in zip(names, decisions)}
        depth = self.depths[int(decisions[len(names)])]
        rest = decisions[len(names) + 1 :]
        layers = tuple(Layer(self.heads[int(rest[2 * i])], self.mlp_ratios[int(rest[2 * i + 1])]) for i in range(depth))
        return self.make(values, layers)

    def sample_decisions(self, rng: np.random.Generator) -> ViTArch:
        return self.from_decisions([int(rng.integers(n)) for n in self.decision_sizes()])

    def mutate_decisions(self, arch: ViTArch, rng: np.random.Generator) -> ViTArch:
        """Change one decision that the architecture uses (a global choice, the depth, or one of its layers')."""
        decisions = self.to_decisions(arch)
        sizes = self.decision_sizes()
        used = len(self.global_choices()) + 1 + 2 * arch.depth
        for d in rng.permutation(used):
            for value in rng.permutation(sizes[d]):
                if value != decisions[d]:
                    changed = list(decisions)
                    changed[d] = int(value)
                    return self.from_decisions(changed)
        raise InvalidArchitecture(f"{arch} has no neighbour in this space: every decision has a single choice")


class ViTSpace(SearchSpace, Buildable, LayeredDecisions, LatencyUnits):
    """Vision transformers trained from scratch (AutoFormer's space without weight sharing).

    Choices: the patch size, the embedding dimension, the depth and, per layer, the number of heads
    and the MLP ratio; ``head_dim`` fixes each head's width. The defaults make small networks that
    train on 8 x 8 digits or 32 x 32 images on a CPU in minutes.
    """

    name: ClassVar[str] = "vit"

    def __init__(
        self,
        patches: str = "2,4",
        embeds: str = "32,48,64",
        depths: str = "1,2,3",
        heads: str = "1,2",
        mlp_ratios: str = "2.0,3.0,4.0",
        head_dim: int = 64,
    ) -> None:
        self.patches = comma_choices(patches, int, "patches", "vit")
        self.embeds = comma_choices(embeds, int, "embeds", "vit")
        self.depths = comma_choices(depths, int, "depths", "vit")
        self.heads = comma_choices(heads, int, "heads", "vit")
        self.mlp_ratios = comma_choices(mlp_ratios, float, "mlp_ratios", "vit")
        if isinstance(head_dim, bool) or not isinstance(head_dim, int) or head_dim < 1:
            raise InvalidOption(f"vit option head_dim must be a positive integer, got {head_dim!r}")
        self.head_dim = head_dim

    def global_choices(self) -> list[tuple[str, tuple]]:
        return [("patch", self.patches), ("embed", self.embeds)]

    def make(self, values: dict, layers: tuple[Layer, ...]) -> ViTArch:
        return ViTArch(values["patch"], values["embed"], layers, self.head_dim)

    def sample(self, rng: np.random.Generator) -> ViTArch:
        return self.sample_decisions(rng)

    def mutate(self, arch: ViTArch, rng: np.random.Generator) -> ViTArch:
        return self.mutate_decisions(arch, rng)

    def decode(self, text: str) -> ViTArch:
        """A ViT string or a preset's name (``vit-b16``, ``vit-ti16``, ``vit-s16``, ``vit-digits``, ``vit-cifar``)."""
        name = text.strip().lower()
        return preset(name) if name in PRESETS else ViTArch.from_string(text)

    def network_spec(self, arch: ViTArch, data: DataSpec) -> NetworkSpec:
        return network_spec(arch, data)

    # ---------------------------------------------------- LatencyUnits
    def latency_units(self, arch, data: DataSpec) -> list[Unit]:
        """The units a latency model times (imported here: a table look-up search never imports torch)."""
        from nasbench.search_spaces.vit.latency_units import vit_units

        return vit_units(arch, data)
