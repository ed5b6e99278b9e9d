"""What ``nasbench scale`` reports: scaled networks with their costs, and the best network of a run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from nasbench.costs.counting import conv_linear_macs, count_params, mac_breakdown
from nasbench.costs.latency import measure_latency_ms
from nasbench.errors import InvalidArchitecture, InvalidOption, ResultsError
from nasbench.results import best_record, read_records
from nasbench.scaling.rules import Scaling, scale
from nasbench.search_spaces.mbconv import MBConvArch, MBConvSpace, build_network
from nasbench.search_spaces.mbconv.size import check_buildable
from nasbench.space import DataSpec
from nasbench.storage.run_folder import RunFolder

#: printed above the table, so nobody reads the counts as FLOPs
MACS_NOTE = (
    "macs: multiply-adds (one per multiply-accumulate, not 2 FLOPs) of one image, counted by fvcore over convolutions, "
    "linear layers, batch norm and pooling; conv_linear_macs: convolutions and linear layers only, as the papers count"
)


def costs(arch: MBConvArch, in_channels: int, num_classes: int, latency_device: str | None = None) -> dict:
    """Parameters and multiply-adds of ``arch`` at its resolution (and latency, when a device is given)."""
    if arch.resolution is None:
        raise ValueError("costs need a network with a resolution")
    data = DataSpec(in_channels, arch.resolution, arch.resolution, num_classes)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = build_network(arch, data)
    breakdown = mac_breakdown(model, (in_channels, arch.resolution, arch.resolution))
    row = {
        "params": count_params(model),
        "macs": sum(breakdown.values()),
        "conv_linear_macs": conv_linear_macs(breakdown),
    }
    if latency_device is not None:
        row["latency_ms"] = measure_latency_ms(model, (in_channels, arch.resolution, arch.resolution), latency_device)
    return row


def scaling_table(
    base: MBConvArch,
    scalings: list[Scaling],
    in_channels: int = 3,
    num_classes: int = 1000,
    latency_device: str | None = None,
) -> pd.DataFrame:
    """One row per scaling of ``base``: the factors, the scaled network and its costs."""
    rows = []
    archs = [scale(base, scaling) for scaling in scalings]
    for scaling, arch in zip(scalings, archs):  # every one, before the first is built
        try:
            check_buildable(arch, in_channels, num_classes, arch.resolution, arch.resolution)
        except InvalidArchitecture as exc:
            raise InvalidOption(f"variant {scaling.name}: {exc} (choose a smaller phi or variant)") from None
    for scaling, arch in zip(scalings, archs):
        rows.append(
            {
                "variant": scaling.name,
                "depth_factor": scaling.depth,
                "width_factor": scaling.width,
                "resolution": arch.resolution,
                "dropout": arch.dropout,
                "blocks": arch.depth(),
                **costs(arch, in_channels, num_classes, latency_device),
                "arch": arch.to_string(),
            }
        )
    return pd.DataFrame(rows)


def format_table(table: pd.DataFrame) -> str:
    """The table for a terminal: parameters in full, multiply-adds in G (in M for small networks)."""
    unit, scale = ("G", 1e9) if table.macs.max() >= 1e8 else ("M", 1e6)
    shown = pd.DataFrame(
        {
            "variant": table.variant,
            "depth": table.depth_factor.map("{:.3f}".format),
            "width": table.width_factor.map("{:.3f}".format),
            "resolution": table.resolution,
            "dropout": table.dropout,
            "blocks": table.blocks,
            "params": table.params.map("{:,}".format),
            f"macs ({unit})": (table.macs / scale).map("{:.3f}".format),
            f"conv_linear_macs ({unit})": (table.conv_linear_macs / scale).map("{:.3f}".format),
        }
    )
    if "latency_ms" in table:
        shown["latency (ms)"] = table.latency_ms.map("{:.1f}".format)
    return shown.to_string(index=False)


@dataclass(frozen=True)
class RunBest:
    arch: MBConvArch
    data: DataSpec  # what the run trained on
    trial: int


def best_of_run(path: str | Path) -> RunBest:
    """The best completed network of a search over the mbconv space, and the data it was trained on."""
    from nasbench.catalog import EVALUATORS
    from nasbench.config import SearchConfig

    folder = RunFolder(path)
    config = SearchConfig.from_dict(folder.read_config())
    if config.space != MBConvSpace.name:
        raise ResultsError(f"{folder.path} searched the '{config.space}' space; only mbconv networks can be scaled")
    best = best_record(read_records(folder))
    if best is None:
        raise ResultsError(f"{folder.path} has no completed trial to scale")
    space = MBConvSpace(**config.space_options)
    spec = EVALUATORS.create(config.evaluator, space, **config.evaluator_options).data_spec()
    if spec is None:
        raise ResultsError(
            f"{folder.path} used the '{config.evaluator}' evaluator, which has no input data to scale from"
        )
    return RunBest(space.decode(best.arch), spec, best.number)
