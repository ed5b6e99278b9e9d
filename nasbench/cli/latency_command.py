"""``nasbench latency calibrate | validate | predict``: a per-device latency model of a space's networks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from nasbench.errors import NasbenchError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "latency",
        help="predict latency from a per-device model of a space's building blocks",
        description="Time the building blocks of a space's networks once (calibrate), check the model against "
        "measured networks (validate), and predict a network's latency without building it (predict); "
        "'nasbench search --latency-model MODEL.json' uses it for latency objectives and constraints.",
    )
    actions = p.add_subparsers(dest="action", required=True, parser_class=type(p))
    c = actions.add_parser(
        "calibrate",
        help="time a space's units on this machine",
        description="Time every unit (block, layer, cell operation; stem and head) of the space's networks, "
        "then a few whole networks to fit how the units add up. Resumes an interrupted calibration in --out.",
    )
    c.add_argument("--space", required=True, help="a space that builds networks (mbconv, vit, nasnet, nb201, ...)")
    c.add_argument("-O", "--space-option", action="append", default=[], metavar="KEY=VALUE", help="space option")
    c.add_argument("--dataset", default=None, help="whose input shape and classes (default: digits)")
    c.add_argument(
        "--shape", default=None, metavar="CxHxW", help="instead of --dataset: the input's shape, e.g. 3x32x32"
    )
    c.add_argument("--classes", type=int, default=10, help="with --shape: the classes (default 10)")
    c.add_argument("--data-dir", default=None, metavar="DIR", help="where cifar10 or the image folder lies")
    c.add_argument("--image-size", type=int, default=None, help="cifar10 and folder images are resized to this")
    c.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]")
    c.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own count)")
    c.add_argument("--batch", type=int, default=1, help="batch size of the timed passes (default: 1)")
    c.add_argument("--samples", type=int, default=None, help="random networks whose units are timed (default 2000)")
    c.add_argument("--networks", type=int, default=None, help="random networks timed whole for the fit (default 40)")
    c.add_argument("--repeats", type=int, default=None, help="timed passes per round (default 20)")
    c.add_argument("--rounds", type=int, default=None, help="rounds of repeats (default 3)")
    c.add_argument("--seed", type=int, default=None, help="seed of the sampled networks (default 0)")
    c.add_argument("--out", required=True, metavar="MODEL.json", help="the model file")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.set_defaults(func=run_calibrate)
    v = actions.add_parser(
        "validate",
        help="predict and measure random networks",
        description="Predict N random networks of the model's space, then measure them (rounds in random order, "
        "median of the rounds), and print the share within +-10 %, the median and 95th-percentile error, and "
        "the noise floor (the same network measured twice).",
    )
    v.add_argument("model", metavar="MODEL.json")
    v.add_argument("--sample", type=int, default=100, metavar="N", help="random networks (default 100)")
    v.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    v.add_argument("--rounds", type=int, default=3, help="measurements of each network (default 3)")
    v.add_argument("--json", default=None, metavar="FILE", help="the figures, and each network's, as JSON")
    v.add_argument("--plot", default=None, metavar="FILE.png", help="predicted against measured")
    v.add_argument("--quiet", action="store_true", help="no progress bar")
    v.set_defaults(func=run_validate)
    r = actions.add_parser("predict", help="predicted latency of architectures", description="Print each one's ms.")
    r.add_argument("model", metavar="MODEL.json")
    r.add_argument("--arch", nargs="+", required=True, help="architecture strings of the model's space")
    r.set_defaults(func=run_predict)


class _Bars:
    """A progress bar per stage (the units, then the networks), on stderr."""

    def __init__(self, quiet: bool) -> None:
        self.quiet, self.stage, self.bar = quiet, None, None

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=stage, disable=self.quiet, file=sys.stderr, leave=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _data(args):
    """The input the model is calibrated for: a dataset's, or a shape given as CxHxW."""
    from nasbench.space import DataSpec
    from nasbench.training.data import load_data

    if args.shape is None:
        size = {} if args.image_size is None else {"image_size": args.image_size}
        return load_data(args.dataset or "digits", args.data_dir, **size).spec
    if args.dataset is not None or args.data_dir is not None:
        raise NasbenchError("give --shape or --dataset, not both")
    parts = args.shape.lower().split("x")
    if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts) or args.classes < 1:
        raise NasbenchError(f"--shape should read CxHxW with positive numbers, e.g. 3x32x32; got {args.shape!r}")
    return DataSpec(*map(int, parts), args.classes)


def run_calibrate(args) -> int:
    from dataclasses import fields

    from nasbench.catalog import SPACES
    from nasbench.costs.calibration import Settings, calibrate
    from nasbench.options import parse_options

    options = parse_options(SPACES.get(args.space), args.space_option, f"space '{args.space}'")
    data = _data(args)
    given = {f.name: getattr(args, f.name) for f in fields(Settings) if getattr(args, f.name, None) is not None}
    settings = Settings(**given)
    progress = _Bars(args.quiet)
    try:
        model = calibrate(
            args.space, options, data, args.out, device=args.device, threads=args.threads, batch=args.batch,
            settings=settings, progress=progress,
        )  # fmt: skip
    finally:
        progress.close()
    fit = model.fit
    print(
        f"{len(model.units):,} units and {len(model.networks)} networks timed on {model.target.device}, "
        f"{model.target.threads} thread(s), batch {model.target.batch}: latency = {fit['intercept']:.4f} ms + "
        f"{fit['scale']:.3f} x units + {fit['per_unit'] * 1000:.1f} us x count; model written to {args.out}"
    )
    return 0


def run_validate(args) -> int:
    from nasbench.analysis import plots
    from nasbench.costs.latency_model import LatencyModel
    from nasbench.costs.latency_validation import validate
    from nasbench.storage import atomic

    if args.sample < 1 or args.rounds < 1:
        raise NasbenchError(f"--sample and --rounds must be at least 1, got {args.sample} and {args.rounds}")
    model = LatencyModel.load(args.model)
    model.check_for(model.target, args.model)  # refuses an unfinished calibration
    bars = _Bars(args.quiet)

    def progress(done: int, total: int) -> None:
        bars("measuring", done, total)

    try:
        result = validate(model, args.sample, args.seed, args.rounds, progress)
    finally:
        bars.close()
    summary = result.summary()
    noise = summary["noise_floor_ape"]
    print(
        f"{summary['networks']} networks: {summary['share_within_10pct']:.1%} predicted within +-10 %, median "
        f"error {summary['median_ape']:.1%}, 95th percentile {summary['p95_ape']:.1%}; noise floor "
        f"{'n/a' if noise is None else f'{noise:.1%}'} (the same network measured twice); "
        f"{summary['predict_ms_per_network']:.3f} ms per prediction"
    )
    if args.json is not None:
        rows = [
            {"arch": a, "predicted_ms": float(p), "measured_ms": float(m), "estimated_units": int(e)}
            for a, p, m, e in zip(result.archs, result.predicted, result.measured, result.estimated)
        ]
        record = {**summary, "model": str(args.model), "target": model.target.__dict__, "seed": args.seed}
        atomic.write_text(args.json, json.dumps({**record, "per_network": rows}, indent=1) + "\n")
    if args.plot is not None:
        figure = plots.plot_predicted(result.measured, result.predicted, f"{model.target.space} latency (ms)")
        plots.save(figure, Path(args.plot).with_suffix(""))
    return 0


def run_predict(args) -> int:
    from nasbench.costs.latency_model import LatencyModel

    model = LatencyModel.load(args.model)
    model.check_for(model.target, args.model)
    for text in args.arch:
        prediction = model.predict(model.space.decode(text))
        estimated = f" ({prediction.estimated} units estimated)" if prediction.estimated else ""
        print(f"{prediction.ms:.4f} ms  {text}{estimated}")
    return 0
