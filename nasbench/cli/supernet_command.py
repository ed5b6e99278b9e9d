"""``nasbench supernet train``: BigNAS sandwich training of a weight-sharing supernet on Ray Train."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from nasbench.cli.common import add_option_flags, given_options, refuse_on_resume
from nasbench.errors import NasbenchError
from nasbench.options import keyword_options
from nasbench.supernet_training.execution import Execution
from nasbench.supernet_training.recipe import RECIPES, under_recipe

#: where and how the workers run: the only flags a resumed training may change
EXECUTION_OPTIONS = tuple(keyword_options(Execution))
#: the SupernetConfig fields that have a flag of the same name (the others keep their defaults)
TRAINING_FLAGS = (
    "dataset", "data_dir", "epochs", "batch_size", "lr", "seed", "random_children", "attentive", "distill_weight",
    "shrink_epochs", "shrink_order", "train_size", "optimizer", "ema", "bn_batches", "warmup_epochs", "weight_decay",
    "label_smoothing", "final_lr_fraction",
)  # fmt: skip


def add_parser(sub) -> None:
    p = sub.add_parser(
        "supernet",
        help="train a weight-sharing supernet (BigNAS sandwich training on Ray Train)",
        description="Train one set of weights from which children of every size work without retraining; "
        "then search them with 'nasbench search --supernet RUN'.",
    )
    actions = p.add_subparsers(dest="action", required=True, parser_class=type(p))
    t = actions.add_parser(
        "train",
        help="sandwich-train a supernet",
        description="Each step trains the largest child on the labels and the smallest plus N random children "
        "on the largest child's predictions (inplace distillation), then takes one optimiser step.",
    )
    t.add_argument("--space", default=None, help="a space with weight sharing, e.g. mbconv-supernet, vit-supernet")
    t.add_argument("-O", "--space-option", action="append", default=[], metavar="KEY=VALUE", help="space option")
    g = t.add_argument_group("training")
    g.add_argument(
        "--dataset", default=None, help="digits (embedded, default), teacher, teacher-sharp, cifar10 or folder"
    )
    g.add_argument("--data-dir", default=None, metavar="DIR", help="where cifar10 or the image folder lies")
    g.add_argument("--epochs", type=int, default=None, help="training epochs (default: 10)")
    g.add_argument("--batch-size", type=int, default=None, help="global batch, split across workers (default: 64)")
    g.add_argument("--lr", type=float, default=None, help="peak learning rate after the warm-up (default: 0.1)")
    g.add_argument("--seed", type=int, default=None, help="seed of the whole run (default: 0)")
    g.add_argument(
        "--random-children", type=int, default=None, metavar="N", help="random children per step (default: 2)"
    )
    g.add_argument(
        "--attentive",
        type=int,
        default=None,
        metavar="K",
        help="each random child is the worst of K by distillation loss (AttentiveNAS); default 1: uniform",
    )
    g.add_argument(
        "--distill-weight",
        type=float,
        default=None,
        metavar="W",
        help="scales each distilled child's loss against the largest child's (default: the space's: 1, BigNAS's "
        "sum, for mbconv-supernet; the mean for vit-supernet)",
    )
    g.add_argument(
        "--shrink-epochs",
        type=float,
        default=None,
        metavar="E",
        help="progressive shrinking: children grow from the largest to the whole space over the first E epochs, "
        "decision by decision (default: 0, none)",
    )
    g.add_argument(
        "--shrink-order",
        default=None,
        metavar="KINDS",
        help="let the kinds of decision in one after another while shrinking, each over an equal share of the E "
        "epochs, e.g. once-for-all's kernel,repeats,expand,channels for mbconv-supernet (default: all at once)",
    )
    g.add_argument(
        "--train-size", type=int, default=None, help="train on this many examples of the split (default: all)"
    )
    g.add_argument(
        "--optimizer", default=None, help="sgd (Nesterov momentum, default), rmsprop (BigNAS) or adamw (AutoFormer)"
    )
    g.add_argument(
        "--ema", type=float, default=None, help="decay of a moving average of the weights, published (default: 0, none)"
    )
    g.add_argument(
        "--bn-batches", type=int, default=None, help="batches that recalibrate a child's batch norm (default: 32)"
    )
    g.add_argument("--warmup-epochs", type=float, default=None, help="linear warm-up (default: 1)")
    final = "the constant the cosine decays to, a share of the peak (default: 0.05)"
    g.add_argument("--final-lr-fraction", type=float, default=None, help=final)
    g.add_argument("--weight-decay", type=float, default=None, help="(default: 3e-5)")
    g.add_argument("--label-smoothing", type=float, default=None, help="on the largest child (default: 0.1)")
    g.add_argument(
        "--recipe",
        default=None,
        choices=RECIPES,
        help="bignas: the defaults; rank: the space's measured setting for ranking children in a one-shot "
        "search (once-for-all's progressive shrinking, a warm-up of 1/16 of the epochs, a cosine to 0), scaled "
        "to --epochs; flags given explicitly win",
    )
    g = t.add_argument_group("execution (Ray Train)")
    add_option_flags(g, Execution)
    g = t.add_argument_group("output")
    g.add_argument("--out", default=None, metavar="DIR", help="run folder (default: results/supernet-<space>-<time>)")
    g.add_argument("--resume", default=None, metavar="DIR", help="continue the run in DIR from its last epoch")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=run_train)


def run_train(args) -> int:
    from nasbench.catalog import SPACES
    from nasbench.options import parse_options
    from nasbench.supernet_training.config import read_supernet_config
    from nasbench.supernet_training.run import resume_supernet, train_supernet

    execution = Execution(**given_options(args, EXECUTION_OPTIONS))
    try:
        if args.resume:
            refuse_on_resume(args, EXECUTION_OPTIONS, "a supernet training")
            out = Path(args.resume)
            stored = read_supernet_config(out)
            space = SPACES.create(stored.space, **stored.space_options)
            weights = resume_supernet(out, space, execution, quiet=args.quiet)
        else:
            if args.space is None:
                raise NasbenchError("--space is required (a space with weight sharing, e.g. mbconv-supernet)")
            options = parse_options(SPACES.get(args.space), args.space_option, f"space '{args.space}'")
            space = SPACES.create(args.space, **options)
            config = training_config(args, space, options)
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            out = Path(args.out or Path("results") / f"supernet-{args.space}-s{config.seed}-{stamp}")
            weights = train_supernet(space, config, out, execution, quiet=args.quiet)
    except KeyboardInterrupt:
        print(f"\ninterrupted; continue with: nasbench supernet train --resume {out}", file=sys.stderr)
        return 130
    _summary(out, weights)
    return 0


def training_config(args, space, options: dict):
    """The run's ``SupernetConfig``: the flags given, over the ``--recipe``'s settings, over the defaults."""
    from nasbench.supernet_training.config import SupernetConfig

    given = given_options(args, TRAINING_FLAGS)
    if "data_dir" in given:
        given["data_dir"] = str(Path(given["data_dir"]).resolve())
    settings = under_recipe(args.recipe or "bignas", space, given.get("epochs", SupernetConfig.epochs), given)
    return SupernetConfig(space=args.space, space_options=options, **settings)


def _summary(run: Path, weights: Path) -> None:
    import pandas as pd

    from nasbench.storage.run_folder import EPOCHS

    table = pd.read_csv(run / EPOCHS)
    last = table.iloc[-1]
    print(
        f"trained {int(last['epoch'])} epochs: validation accuracy {last['valid_accuracy_largest']:.1f}% (largest), "
        f"{last['valid_accuracy_smallest']:.1f}% (smallest)"
    )
    print(f"supernet: {weights}")
    print(f"search it: nasbench search --supernet {run} --strategy evo")
