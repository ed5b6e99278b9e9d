"""``nasbench proxies``: zero-cost proxies of many networks, one row each, without training any."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from nasbench.errors import NasbenchError

FORMATS = (".csv", ".parquet")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "proxies",
        help="score networks with zero-cost proxies (no training) and write one row per network",
        description="Score networks at initialisation: the proxies asked for (all by default), parameters and "
        "multiply-adds, and each proxy's seconds. A proxy with no value for a network (no path from its input "
        "to its output) is left empty, with the reason in the 'undefined' column.",
    )
    p.add_argument("--space", default=None, help="a space that builds networks (see 'nasbench spaces')")
    p.add_argument("-O", "--space-option", action="append", default=[], metavar="KEY=VALUE", help="space option")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--sample", type=int, default=None, metavar="N", help="N distinct random networks")
    which.add_argument("--arch", nargs="+", default=None, help="architecture strings of --space")
    which.add_argument("--from", dest="run", default=None, metavar="RUN", help="the networks a run evaluated")
    p.add_argument("--proxies", default=None, help="comma-separated (default: every proxy)")
    p.add_argument("--dataset", default="digits", help="whose training batch the proxies read (default: digits)")
    p.add_argument("--data-dir", default=None, metavar="DIR", help="where cifar10 or the image folder lies")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample and of every network's weights")
    p.add_argument("--out", required=True, metavar="FILE", help="the table: .csv or .parquet")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _networks(args):
    """(space, the architectures to score) the flags name."""
    import numpy as np

    from nasbench.catalog import SPACES
    from nasbench.options import parse_options

    if args.run is not None:
        if args.space is not None or args.space_option:
            raise NasbenchError("--from takes the run's own space and options; leave out --space and -O")
        from nasbench.config import SearchConfig
        from nasbench.results import read_records
        from nasbench.storage.run_folder import RunFolder

        folder = RunFolder(args.run)
        config = SearchConfig.from_dict(folder.read_config())
        space = SPACES.create(config.space, **config.space_options)
        texts = list(dict.fromkeys(r.arch for r in read_records(folder) if r.evaluated))
        return space, [space.decode(t) for t in texts]
    if args.space is None:
        raise NasbenchError("--space is required (a space that builds networks, e.g. nasnet, mbconv, vit, nb201)")
    name = args.space
    space = SPACES.create(name, **parse_options(SPACES.get(name), args.space_option, f"space '{name}'"))
    if args.arch is not None:
        return space, [space.decode(text) for text in args.arch]
    if args.sample < 1:
        raise NasbenchError(f"--sample must be at least 1, got {args.sample}")
    rng, archs, seen = np.random.default_rng(args.seed), [], set()
    for _ in range(50 * args.sample):  # a small space may hold fewer distinct networks than asked for
        arch = space.sample(rng)
        if arch.hash_key not in seen:
            seen.add(arch.hash_key)
            archs.append(arch)
            if len(archs) == args.sample:
                break
    return space, archs


def run(args) -> int:
    import pandas as pd
    from tqdm import tqdm

    from nasbench.evaluators.proxies import ProxyEvaluator
    from nasbench.proxies import PROXIES
    from nasbench.proxies.scoring import score_network
    from nasbench.storage import atomic
    from nasbench.trial import derive_seed

    out = Path(args.out)
    if out.suffix not in FORMATS:
        raise NasbenchError(f"--out {out} should end in {' or '.join(FORMATS)}")
    if out.exists():
        raise NasbenchError(f"{out} exists; choose another --out")
    space, archs = _networks(args)
    evaluator = ProxyEvaluator(
        space, proxies=args.proxies or ",".join(PROXIES), dataset=args.dataset, data_dir=args.data_dir
    )
    batch, spec = evaluator.batch(), evaluator.data_spec()
    rows = []
    for arch in tqdm(archs, desc="networks", unit="net", file=sys.stderr, disable=args.quiet):
        seed = derive_seed(args.seed, arch.hash_key)
        scores = score_network(lambda: space.build(arch, spec), evaluator.names, batch, seed)
        costs = evaluator.costs(arch, spec)
        row = {"arch": arch.to_string(), "hash": arch.hash_key, **{n: scores.values.get(n) for n in evaluator.names}}
        row |= {**costs, **{f"{n}_seconds": scores.seconds.get(n) for n in evaluator.names}}
        row["undefined"] = "; ".join(f"{n}: {why}" for n, why in scores.undefined.items())
        rows.append(row)
    frame = pd.DataFrame(rows)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False) if out.suffix == ".parquet" else frame.to_csv(buffer, index=False)
    atomic.write_bytes(out, buffer.getvalue())
    print(f"{len(frame)} networks scored: {out}")
    return 0
