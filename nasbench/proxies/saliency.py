"""Pruning-at-initialisation saliencies summed over a network's weights, as Abdelfattah et al. (ICLR 2021,
"Zero-Cost Proxies for Lightweight NAS") compute them: each is summed over the weights of every
convolution and fully connected layer (``base.scored_layers``), signed where its paper signs it.
"""

from __future__ import annotations

import torch
from torch import nn

from nasbench.proxies.base import Batch, Undefined, cross_entropy_backward, finite, scored_layers


def without_batch_norm(model: nn.Module) -> nn.Module:
    """``model`` with every batch norm replaced by the identity (in place; returns it)."""
    for name, child in model.named_children():
        if isinstance(child, nn.modules.batchnorm._BatchNorm):
            setattr(model, name, nn.Identity())
        else:
            without_batch_norm(child)
    return model


def synflow(model: nn.Module, batch: Batch, generator: torch.Generator) -> float:
    """SynFlow (Tanaka et al., NeurIPS 2020): the synaptic flow of the network with its weights made
    absolute, sum over weights of |w * dR/dw| with R the sum of the outputs for an all-ones input of
    one image, in float64 and without batch norm (data-free: only the input's shape is used)."""
    model = without_batch_norm(model).double().train()
    with torch.no_grad():
        for tensor in model.state_dict().values():
            tensor.abs_()
    model.zero_grad()
    model(torch.ones((1, *batch.shape), dtype=torch.float64)).sum().backward()
    return finite(sum(_sum(lambda w, g: (w * g).abs(), layer) for layer in scored_layers(model)), "synflow")


def snip(model: nn.Module, batch: Batch, generator: torch.Generator) -> float:
    """SNIP (Lee et al., ICLR 2019): connection sensitivity, sum over weights of |w * dL/dw| for the
    cross-entropy L of one batch (batch norm in train mode)."""
    cross_entropy_backward(model, batch)
    return finite(sum(_sum(lambda w, g: (w * g).abs(), layer) for layer in scored_layers(model)), "snip")


def grad_norm(model: nn.Module, batch: Batch, generator: torch.Generator) -> float:
    """Gradient norm (Abdelfattah et al. 2021): the sum over layers of each weight gradient's L2 norm."""
    cross_entropy_backward(model, batch)
    norms = [layer.weight.grad.norm() for layer in scored_layers(model) if layer.weight.grad is not None]
    return finite(sum(float(n) for n in norms), "grad_norm")


def grasp(model: nn.Module, batch: Batch, generator: torch.Generator) -> float:
    """GraSP (Wang et al., ICLR 2020): the sum over weights of -w * (H g), H the Hessian and g the gradient
    of the cross-entropy of one batch (the sign as Abdelfattah et al. use it: higher is better)."""
    model.train()
    weights = [layer.weight for layer in scored_layers(model)]
    loss = nn.functional.cross_entropy(model(batch.images), batch.labels)
    first = torch.autograd.grad(loss, weights, allow_unused=True)
    loss = nn.functional.cross_entropy(model(batch.images), batch.labels)
    second = torch.autograd.grad(loss, weights, create_graph=True, allow_unused=True)
    terms = [(a.detach() * b).sum() for a, b in zip(first, second) if a is not None and b is not None]
    if not terms:
        raise Undefined("grasp is undefined: no weight receives a gradient")
    model.zero_grad()
    torch.stack(terms).sum().backward()  # each weight's .grad is now H g
    return finite(sum(_sum(lambda w, g: -w * g, layer) for layer in scored_layers(model)), "grasp")


def fisher(model: nn.Module, batch: Batch, generator: torch.Generator) -> float:
    """Fisher (Turner et al., ICLR 2020, as Abdelfattah et al. sum it): for each output channel k of a layer,
    0.5 * mean over the batch of (sum over positions of activation * gradient)^2, counted once per weight of
    the channel (times the layer's fan-in), summed."""
    model.train()
    captured: list[tuple[nn.Module, torch.Tensor]] = []

    def keep(layer, inputs, output):
        output.retain_grad()
        captured.append((layer, output))

    hooks = [layer.register_forward_hook(keep) for layer in scored_layers(model)]
    try:
        model.zero_grad()
        nn.functional.cross_entropy(model(batch.images), batch.labels).backward()
    finally:
        for hook in hooks:
            hook.remove()
    total = 0.0
    for layer, activation in captured:
        if activation.grad is None:
            continue
        product = (activation * activation.grad).detach()
        if isinstance(layer, nn.Conv2d):  # (N, C, H, W): summed over positions
            per_channel = product.sum(dim=(2, 3))
        else:  # (N, ..., F): a linear layer, applied to every token alike
            per_channel = product.reshape(product.shape[0], -1, product.shape[-1]).sum(dim=1)
        fan_in = layer.weight[0].numel()
        total += float((0.5 * per_channel.pow(2).mean(dim=0)).abs().sum()) * fan_in
    return finite(total, "fisher")


def _sum(term, layer: nn.Module) -> float:
    grad = layer.weight.grad
    return 0.0 if grad is None else float(term(layer.weight.detach(), grad).sum())
