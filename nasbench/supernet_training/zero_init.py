"""BigNAS initialisation: the last normalisation scale of each residual block starts at zero.

Every residual block then starts as the identity, so a deep child and a shallow one begin as the same
function, which steadies the early steps of sandwich training (Yu et al. 2020, section 3.2).
"""

from __future__ import annotations

from torch import nn

from nasbench.search_spaces.mbconv_supernet.modules import ElasticMBConv


def zero_last_norm_scales(supernet: nn.Module) -> int:
    """Zero the scale of the last batch norm of every block that is residual at full size; returns how many.

    Elastic MBConv blocks are recognised; a supernet without them (a pre-norm ViT has no norm at the end
    of its residual branches) is left as it is.
    """
    count = 0
    for block in supernet.modules():
        if not isinstance(block, ElasticMBConv) or not block.skip or block.stride != 1:
            continue
        first, last = block.block[0][0], block.block[-1]
        c_in = first.weight.shape[1] if block.expands else first.weight.shape[0]
        if c_in == last[0].weight.shape[0]:
            nn.init.zeros_(last[1].weight)
            count += 1
    return count
