"""Proxies from a network's activations or its input gradients: NASWOT, Jacobian covariance and Zen-score."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from nasbench.proxies.base import Batch, Undefined, finite

#: the activations whose input signs make NASWOT's binary codes (the ReLU's, and the sign of the
#: pre-activation for the smooth activations of MBConv and ViT networks)
ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.SiLU, nn.GELU, nn.Hardswish)
#: Jacobian covariance's constant (Mellor et al.)
JACOV_K = 1e-5
#: Zen-score's perturbation of the Gaussian input (Lin et al.)
ZEN_GAMMA = 1e-2


def nwot(model: nn.Module, batch: Batch, generator: torch.Generator) -> float:
    """NASWOT (Mellor et al., ICML 2021): each image's binary code, whether each activation's input is
    positive, over all activations; the kernel K[i, j] counts the units where images i and j agree
    (c c^T + (1-c)(1-c)^T, summed over the activation layers); the score is log|det K|. Train mode."""
    n = len(batch.images)
    kernel = torch.zeros((n, n), dtype=torch.float64)

    def count(module, inputs):
        codes = (inputs[0].detach() > 0).reshape(n, -1).double()
        kernel.add_(codes @ codes.T + (1 - codes) @ (1 - codes).T)

    hooks = [m.register_forward_pre_hook(count) for m in model.modules() if isinstance(m, ACTIVATIONS)]
    try:
        with torch.no_grad():
            model.train()(batch.images)
    finally:
        for hook in hooks:
            hook.remove()
    if not hooks:
        raise Undefined("nwot is undefined: the network has no activation layers to read codes from")
    return finite(torch.linalg.slogdet(kernel)[1], "nwot")


def jacov(model: nn.Module, batch: Batch, generator: torch.Generator) -> float:
    """Jacobian covariance (Mellor et al. 2020, v1): J = d(sum of the logits)/d(image) for each image of
    the batch; with v the eigenvalues of the correlation matrix of the rows of J,
    score = -sum(log(v + k) + 1 / (v + k)), k = 1e-5. Train mode."""
    images = batch.images.clone().requires_grad_(True)
    model.train().zero_grad()
    logits = model(images)
    logits.backward(torch.ones_like(logits))
    jacobian = images.grad.reshape(len(images), -1).double().numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.corrcoef(jacobian)
    if not np.all(np.isfinite(correlation)):
        raise Undefined("jacov is undefined: an image's input gradient is constant")
    eigenvalues = np.linalg.eigvalsh(correlation)
    if eigenvalues.min() <= -JACOV_K:
        raise Undefined("jacov is undefined: the correlation matrix has a negative eigenvalue")
    return finite(-np.sum(np.log(eigenvalues + JACOV_K) + 1.0 / (eigenvalues + JACOV_K)), "jacov")


def zen(model: nn.Module, batch: Batch, generator: torch.Generator) -> float:
    """Zen-score (Lin et al., ICCV 2021): with Zen-NAS's initialisation (convolution and linear weights
    N(0, 1), biases 0, batch norm scale 1 and shift 0) and Gaussian inputs x and x + 0.01 e,
    log(mean over images of sum |f(x) - f(x + 0.01 e)|) for the feature map f before global pooling,
    plus the sum over batch norms of log sqrt(mean running variance). Train mode; data-free."""
    x = torch.randn((len(batch.images), *batch.shape), generator=generator)  # drawn first: the inputs do not
    noise = torch.randn(x.shape, generator=generator)  # depend on the classifier's size, nor then the score
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.weight.normal_(generator=generator)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.modules.batchnorm._BatchNorm) and module.affine:
                module.weight.fill_(1.0)
                module.bias.zero_()
    features = _pre_pooling(model)
    taken: list[torch.Tensor] = []
    hook = features.register_forward_pre_hook(lambda module, inputs: taken.append(inputs[0].detach()))
    try:
        with torch.no_grad():
            model.train()(x)
            model(x + ZEN_GAMMA * noise)
    finally:
        hook.remove()
    difference = (taken[0] - taken[1]).abs().reshape(len(x), -1).sum(dim=1).mean()
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d) and m.running_var is not None]
    spread = sum(math.log(math.sqrt(float(m.running_var.mean()))) for m in norms)
    if float(difference) == 0.0:
        raise Undefined("zen is undefined: the features do not change with the input")
    return finite(math.log(float(difference)) + spread, "zen")


def _pre_pooling(model: nn.Module) -> nn.Module:
    """The module whose input is the feature map Zen-score reads: the last global pooling, or (a network
    without one, a transformer) the last linear layer."""
    pools = [m for m in model.modules() if isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d))]
    if pools:
        return pools[-1]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise Undefined("zen is undefined: the network has neither a global pooling nor a linear head")
    return linears[-1]
