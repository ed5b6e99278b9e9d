"""Published vision transformers and small ones for proxy tasks, in the ViT string grammar.

Parameter counts at 224 x 224 with 1000 classes (checked in tests/test_vit_space.py): ViT-B/16
86,567,656 (torchvision's ``vit_b_16``), DeiT-Ti 5,717,416 and DeiT-S 22,050,664 (Touvron et al.
2021). ``vit-digits`` suits 8 x 8 digits (patch 2), ``vit-cifar`` 32 x 32 images (patch 4).
"""

from __future__ import annotations


def _uniform(patch: int, embed: int, depth: int, heads: int, mlp: float, head_dim: int = 64) -> str:
    return "/".join([f"p{patch}_e{embed}_hd{head_dim}"] + [f"h{heads}_m{mlp!r}"] * depth)


PRESETS: dict[str, str] = {
    # Dosovitskiy et al., ICLR 2021, Table 1 (ViT-Base), torchvision's vit_b_16
    "vit-b16": _uniform(16, 768, 12, 12, 4.0),
    # Touvron et al., ICML 2021, Table 1 (DeiT-Ti and DeiT-S)
    "vit-ti16": _uniform(16, 192, 12, 3, 4.0),
    "vit-s16": _uniform(16, 384, 12, 6, 4.0),
    # small transformers for proxy tasks that train on a CPU in minutes
    "vit-digits": _uniform(2, 64, 4, 2, 2.0, head_dim=32),
    "vit-cifar": _uniform(4, 128, 6, 4, 2.0, head_dim=32),
}
