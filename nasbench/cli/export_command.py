"""``nasbench export``: a found architecture as a standalone PyTorch model."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from nasbench.errors import NasbenchError
from nasbench.space import Buildable, DataSpec, require_capability


def add_parser(sub) -> None:
    p = sub.add_parser(
        "export",
        help="write a found architecture as a standalone PyTorch model",
        description="Write model.py (plain PyTorch, importing only torch), weights.pt (when the run trained "
        "the network; loads with torch.load(weights_only=True)) and arch.json. Pick a trial of a run, or give "
        "an architecture string and its space.",
    )
    p.add_argument("run", nargs="?", help="a run folder, e.g. results/<run>")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--best", action="store_true", help="the run's best completed trial (default)")
    which.add_argument("--trial", type=int, default=None, help="trial number in the run's trials.csv")
    p.add_argument("--arch", default=None, help="an architecture string (instead of a run), with --space")
    p.add_argument("--space", default=None, help="the space of --arch")
    p.add_argument(
        "-O", "--space-option", action="append", default=[], metavar="KEY=VALUE", help="space option for --arch"
    )
    p.add_argument("--cells", type=int, default=None, help="cells per stage, for --arch")
    p.add_argument("--filters", type=int, default=None, help="filters of the first stage, for --arch")
    p.add_argument(
        "--num-classes",
        type=int,
        default=None,
        help="classes of the head, for --arch (default: the space's usual data)",
    )
    p.add_argument("--in-channels", type=int, default=None, help="input channels, for --arch")
    p.add_argument("--image-size", type=int, default=None, help="input height and width, for --arch")
    p.add_argument(
        "--format",
        action="append",
        default=[],
        choices=["export", "onnx"],
        help="also write a torch.export program (model.pt2) or ONNX (model.onnx)",
    )
    p.add_argument(
        "--finetune",
        type=int,
        default=0,
        metavar="EPOCHS",
        help="train the run's network for EPOCHS more from its weights, on the run's data, before export "
        "(for a child scored with a supernet's inherited weights)",
    )
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="output folder (default: <run>/export, or export-<space>-<hash> for --arch)",
    )
    p.set_defaults(func=run)


def _data(args, usual: DataSpec) -> DataSpec:
    """The space's usual input and classes, with what the flags change."""
    changes = {"channels": args.in_channels, "num_classes": args.num_classes}
    if args.image_size is not None:
        changes.update(height=args.image_size, width=args.image_size)
    return replace(usual, **{k: v for k, v in changes.items() if v is not None})


def run(args) -> int:
    from nasbench.catalog import SPACES
    from nasbench.cli.progress import format_metrics
    from nasbench.export import export_architecture, export_trial
    from nasbench.options import parse_options

    if (args.run is None) == (args.arch is None):
        raise NasbenchError("give either a run folder or --arch STRING --space NAME")
    if args.run is not None:
        extra = [
            f
            for f in ("space", "cells", "filters", "num_classes", "in_channels", "image_size")
            if getattr(args, f) is not None
        ]
        if extra or args.space_option:
            raise NasbenchError("options describing an architecture apply to --arch only; a run records its own")
        out = Path(args.out or Path(args.run) / "export")
        folder, record = export_trial(
            args.run, out, trial=args.trial, formats=args.format, finetune_epochs=args.finetune
        )
        print(f"exported trial {record.number}: {record.arch}")
    else:
        if args.space is None:
            raise NasbenchError("--arch needs --space NAME")
        if args.finetune:
            raise NasbenchError("--finetune applies to a run's trial, which has weights and data to train on")
        options = parse_options(SPACES.get(args.space), args.space_option, f"space '{args.space}'")
        options.update({k: getattr(args, k) for k in ("cells", "filters") if getattr(args, k) is not None})
        space = SPACES.create(args.space, **options)
        arch = space.decode(args.arch)
        out = Path(args.out or f"export-{space.name}-{arch.hash_key[:8]}")
        folder = export_architecture(
            space,
            arch,
            out,
            data=_data(args, require_capability(space, Buildable, "export").default_data()),
            formats=args.format,
        )
        print(f"exported {arch}")
    info = json.loads((folder / "arch.json").read_text())
    files = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    metrics = {k: v for k, v in info["metrics"].items() if k not in ("params", "macs", "trial")}
    print(f"  params {info['params']:,}  macs {info['macs']:,}  {format_metrics(metrics)}".rstrip())
    print(f"  {folder}: {', '.join(files)}")
    return 0
