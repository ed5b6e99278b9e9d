"""``vit-supernet``: AutoFormer's elastic depth, embedding, heads and MLP ratio with weight entanglement."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import numpy as np

from nasbench.errors import InvalidArchitecture, InvalidOption, UnknownName
from nasbench.options import comma_choices, comma_text
from nasbench.search_spaces.vit import Layer, ViTArch, ViTSpace, network_spec
from nasbench.search_spaces.vit.space import LayeredDecisions
from nasbench.search_spaces.vit_supernet.modules import ViTSupernet
from nasbench.space import Buildable, DataSpec, LatencyUnits, NetworkSpec, SearchSpace, Unit
from nasbench.supernet.capability import WeightSharing
from nasbench.supernet.slicing import copy_slices

#: ranges of a supernet by name: AutoFormer's tiny and small (Chen et al. 2021; ../shared/REFERENCE.md) at
#: 224 x 224, and three for proxy tasks (8 x 8 digits with patch 2, narrow and wide; 32 x 32 images with patch 4)
RANGES: dict[str, dict] = {
    "autoformer-tiny": {
        "patch": 16,
        "embeds": "192,216,240",
        "depths": "12,13,14",
        "heads": "3,4",
        "mlp_ratios": "3.5,4.0",
        "head_dim": 64,
        "data": (3, 224, 224, 1000),
    },
    "autoformer-small": {
        "patch": 16,
        "embeds": "320,384,448",
        "depths": "12,13,14",
        "heads": "5,6,7",
        "mlp_ratios": "3.0,3.5,4.0",
        "head_dim": 64,
        "data": (3, 224, 224, 1000),
    },
    "digits": {
        "patch": 2,
        "embeds": "32,48,64",
        "depths": "2,3,4",
        "heads": "1,2,4",
        "mlp_ratios": "2.0,3.0,4.0",
        "head_dim": 16,
        "data": (1, 8, 8, 10),
    },
    # the digits proxy widened until children differ by what they can learn: a one-layer child and a
    # four-layer one lie 20 points apart on the teacher task (docs/BENCHMARKS.md, supernet ranking)
    "digits-wide": {
        "patch": 2,
        "embeds": "16,32,64",
        "depths": "1,2,4",
        "heads": "1,2,4",
        "mlp_ratios": "1.0,2.0,4.0",
        "head_dim": 16,
        "data": (1, 8, 8, 10),
    },
    "cifar": {
        "patch": 4,
        "embeds": "64,96,128",
        "depths": "4,5,6",
        "heads": "2,3,4",
        "mlp_ratios": "2.0,3.0,4.0",
        "head_dim": 32,
        "data": (3, 32, 32, 10),
    },
}


class ViTSupernetSpace(SearchSpace, Buildable, LayeredDecisions, WeightSharing, LatencyUnits):
    """Children of a weight-entangled ViT supernet (AutoFormer, Chen et al. ICCV 2021); each is a ``vit`` architecture.

    ``ranges`` names a row of ``RANGES``; any of ``embeds``, ``depths``, ``heads``, ``mlp_ratios``,
    ``patch`` and ``head_dim`` given here replaces that row's. The patch size and head dimension
    are fixed; the embedding is shared by all layers; heads and MLP ratio are chosen per layer.
    """

    name: ClassVar[str] = "vit-supernet"

    def __init__(
        self,
        ranges: str = "digits",
        embeds: str | None = None,
        depths: str | None = None,
        heads: str | None = None,
        mlp_ratios: str | None = None,
        patch: int | None = None,
        head_dim: int | None = None,
    ) -> None:
        if ranges not in RANGES:
            raise UnknownName(f"unknown vit-supernet ranges '{ranges}'; choose from: {', '.join(RANGES)}")
        row = RANGES[ranges]
        self.ranges = ranges
        self.embeds = comma_choices(row["embeds"] if embeds is None else embeds, int, "embeds", self.name)
        self.depths = comma_choices(row["depths"] if depths is None else depths, int, "depths", self.name)
        self.heads = comma_choices(row["heads"] if heads is None else heads, int, "heads", self.name)
        self.mlp_ratios = comma_choices(
            row["mlp_ratios"] if mlp_ratios is None else mlp_ratios, float, "mlp_ratios", self.name
        )
        self.patch = row["patch"] if patch is None else patch
        self.head_dim = row["head_dim"] if head_dim is None else head_dim
        for what, value in (("patch", self.patch), ("head_dim", self.head_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidOption(f"vit-supernet option {what} must be a positive integer, got {value!r}")
        self._data = DataSpec(*row["data"])

    # ------------------------------------------------------ DecisionSequence
    def global_choices(self) -> list[tuple[str, tuple]]:
        return [("embed", self.embeds)]

    def make(self, values: dict, layers: tuple[Layer, ...]) -> ViTArch:
        return ViTArch(self.patch, values["embed"], layers, self.head_dim)

    def to_decisions(self, arch: ViTArch) -> list[int]:
        if isinstance(arch, ViTArch) and arch.patch != self.patch:
            raise InvalidArchitecture(f"patch size {arch.patch} of {arch} is not this supernet's {self.patch}")
        return super().to_decisions(arch)

    # ------------------------------------------------------------- sampling
    def sample(self, rng: np.random.Generator) -> ViTArch:
        return self.sample_decisions(rng)

    def mutate(self, arch: ViTArch, rng: np.random.Generator) -> ViTArch:
        return self.mutate_decisions(arch, rng)

    def decode(self, text: str) -> ViTArch:
        """A ``vit`` string (or ``largest`` / ``smallest``); refused unless it is a child of this supernet."""
        name = text.strip().lower()
        arch = {"largest": self.largest, "smallest": self.smallest}.get(name, lambda: ViTArch.from_string(text))()
        self.to_decisions(arch)
        return arch

    def network_spec(self, arch: ViTArch, data: DataSpec) -> NetworkSpec:
        """The child's own ``vit`` network (what ``extract`` fills with the supernet's weights)."""
        self.to_decisions(arch)
        return network_spec(arch, data)

    def default_data(self) -> DataSpec:
        """The data the ranges were made for: ImageNet at 224 for AutoFormer's, digits or CIFAR-10 for the others."""
        return self._data

    # --------------------------------------------------------- WeightSharing
    def child_space(self) -> SearchSpace:
        return ViTSpace(
            patches=str(self.patch),
            embeds=comma_text(self.embeds),
            depths=comma_text(self.depths),
            heads=comma_text(self.heads),
            mlp_ratios=comma_text(self.mlp_ratios),
            head_dim=self.head_dim,
        )

    def largest(self) -> ViTArch:
        return self.from_decisions([n - 1 for n in self.decision_sizes()])

    def smallest(self) -> ViTArch:
        return self.from_decisions([0] * len(self.decision_sizes()))

    def starting_points(self) -> tuple[ViTArch, ...]:
        """The largest child: sandwich training trains it at every step, and it is the one to beat."""
        return (self.largest(),)

    def build_supernet(self, data: DataSpec) -> ViTSupernet:
        top = self.largest()
        network_spec(top, data)  # refuses an input the patch does not divide
        return ViTSupernet(
            self.patch,
            top.embed,
            top.depth,
            max(self.heads),
            top.mlp_hidden(Layer(1, max(self.mlp_ratios))),
            self.head_dim,
            data.channels,
            data.num_classes,
            (data.height, data.width),
        )

    def extract(self, supernet: ViTSupernet, child: ViTArch, data: DataSpec):
        self.to_decisions(child)
        model = self.build(child, data)
        copy_slices(model, supernet.state_dict(), slice_for=ViTSupernet.slice_for)
        return model.train(supernet.training)

    def distill_weight(self, distilled: int) -> float:
        """The mean of the children's losses, not BigNAS's sum: summed, the distillation of the smallest and
        2 random children outweighs the largest child's own loss and costs it 16 points on the teacher task
        (docs/BENCHMARKS.md, "Supernet ranking"), while the mean leaves it as good as trained alone."""
        return 1.0 / max(1, distilled)

    def ranking_shrink(self) -> tuple[float, str]:
        """Once-for-all's order (heads first, the embedding last) over half the epochs: over six supernet seeds
        Kendall tau 0.70 and the best one-shot child 0.15 point above its own training on
        ``ranges=digits-wide`` (docs/BENCHMARKS.md)."""
        return 0.5, "heads,depth,mlp_ratio,embed"

    def recalibrate(self, module, child: ViTArch, batches: Iterable, limit: int | None = None) -> None:
        """A no-op: layer norm computes its statistics per token, so a ViT child has none to re-estimate."""
        self.to_decisions(child)

    # ---------------------------------------------------- LatencyUnits
    def latency_units(self, arch, data: DataSpec) -> list[Unit]:
        """The units a latency model times (imported here: a table look-up search never imports torch)."""
        from nasbench.search_spaces.vit.latency_units import vit_units

        return vit_units(arch, data)  # a child is its own vit network
