"""The weight-sharing capability: a space whose architectures are children of one trained supernet."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable
from typing import Any

from nasbench.arch import Arch
from nasbench.space import Capability, DataSpec, SearchSpace


class WeightSharing(Capability):
    """Capability: one set of weights, stored at maximum size, from which every architecture is sliced.

    The space's architectures (its *children*) are ordinary architectures of ``child_space()`` (the
    same genotype type and strings), so hashing, cost models, constraints and export work on them
    unchanged. The supernet module is stateless with respect to the child: ``supernet(x, child)``
    runs ``child`` and leaves nothing behind, so two children can run one after another.
    """

    @abstractmethod
    def child_space(self) -> SearchSpace:
        """The space whose network a child is (``mbconv`` or ``vit``): it decodes, builds and exports children."""

    @abstractmethod
    def largest(self) -> Arch:
        """The child with every choice at its maximum (the supernet's own size)."""

    @abstractmethod
    def smallest(self) -> Arch:
        """The child with every choice at its minimum."""

    @abstractmethod
    def build_supernet(self, data: DataSpec) -> Any:
        """A ``torch.nn.Module`` with weights at maximum size; ``module(x, child)`` gives the child's logits."""

    @abstractmethod
    def extract(self, supernet: Any, child: Arch, data: DataSpec) -> Any:
        """``child_space()``'s own network for ``child`` with the supernet's sliced weights copied in.

        In eval mode its outputs equal ``supernet(x, child)``; it exports like any other network.
        """

    def distill_weight(self, distilled: int) -> float:
        """The weight of each distilled child's loss in a sandwich step when the run sets none, for
        ``distilled`` children a step (the smallest and the random ones). 1 is BigNAS's sum of the
        children's losses; a space whose shared weights the summed distillation overwhelms returns less.
        """
        return 1.0

    def ranking_shrink(self) -> tuple[float, str]:
        """The progressive shrinking measured to rank this space's children best (``--recipe rank``): the
        share of the epochs it lasts and the order its kinds of decision come in (``--shrink-order``).
        ``(0.0, "")``, the default: none measured, and the recipe is refused for the space."""
        return 0.0, ""

    @abstractmethod
    def recalibrate(self, module: Any, child: Arch, batches: Iterable, limit: int | None = None) -> None:
        """Re-estimate normalisation statistics of ``child`` on ``batches`` (BigNAS); a no-op without batch norm.

        ``module`` is the supernet (run as ``module(x, child)``) or an extracted child (run as
        ``module(x)``). ``batches`` yields input tensors or ``(inputs, labels)`` pairs; at most
        ``limit`` of them are used. Running statistics are reset first and then averaged over the
        batches with equal weight; the module's training mode is restored afterwards.
        """
