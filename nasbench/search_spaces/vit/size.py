"""The largest vision transformer nasbench builds, checked from its genotype before anything is allocated.

The genotype's limits bound each number; together they still allow networks far beyond any machine's
memory (a thousand layers at an embedding of 65,536). A network beyond ``MAX_PARAMS`` parameters or
``MAX_MACS`` multiply-adds is refused from a count made without building it: its parameters exactly
(the ViT formula of the standard paper, with each layer's attention width ``heads * head_dim``), its
multiply-adds those of its convolution, linear layers and attention products (fvcore adds layer norms).
"""

from __future__ import annotations

from nasbench.errors import InvalidArchitecture
from nasbench.search_spaces.vit.genotype import ViTArch

#: as for MBConv networks (``nasbench.search_spaces.mbconv.size``): ViT-H/14 has 632 million parameters
MAX_PARAMS = 1_000_000_000
MAX_MACS = 1_000_000_000_000


def vit_costs(arch: ViTArch, in_channels: int, num_classes: int, height: int, width: int) -> tuple[int, int]:
    """(parameters, multiply-adds of one image) of ``arch``; the multiply-adds include the two attention
    products, as ``ViTNetwork`` writes them."""
    d, patch = arch.embed, arch.patch
    patches = (height // patch) * (width // patch)
    tokens = patches + 1  # and the class token
    params = in_channels * patch * patch * d + d + d + tokens * d
    macs = patches * in_channels * patch * patch * d
    for layer in arch.layers:
        attention, hidden = layer.heads * arch.head_dim, arch.mlp_hidden(layer)
        params += 4 * d + (3 * d * attention + 3 * attention) + (attention * d + d) + (2 * hidden * d + hidden + d)
        macs += tokens * (3 * d * attention + attention * d + 2 * hidden * d) + 2 * tokens * tokens * attention
    params += 2 * d + d * num_classes + num_classes
    return params, macs + d * num_classes


def check_buildable(arch: ViTArch, in_channels: int, num_classes: int, height: int, width: int) -> None:
    """Refuse a network beyond ``MAX_PARAMS`` or ``MAX_MACS`` before anything is allocated for it."""
    params, macs = vit_costs(arch, in_channels, num_classes, height, width)
    if params > MAX_PARAMS or macs > MAX_MACS:
        raise InvalidArchitecture(
            f"the network has {params:,} parameters and {macs:,} multiply-adds; nasbench builds at most "
            f"{MAX_PARAMS:,} parameters and {MAX_MACS:,} multiply-adds"
        )
