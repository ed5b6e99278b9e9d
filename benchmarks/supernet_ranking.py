"""Does the supernet rank its children? Inherited against trained-alone accuracy, at a fixed resolution.

The protocol (one run per supernet variant; the trainings alone are shared by every variant):

- children: ``--children`` random children of the space (distinct, drawn with a fixed seed) plus the
  largest and the smallest, all at the data's own resolution;
- alone: each child trained from scratch ``--alone-seeds`` times, ``--epochs`` epochs on the first
  ``--train-size`` examples of ``--dataset`` (the ``train`` evaluator's defaults otherwise);
- one-shot: the supernet sandwich-trained for the same epochs on the same examples, on Ray Train
  (``nasbench supernet train``'s code path), each child scored with its inherited weights;
- figures over the random children: Kendall tau and Spearman of inherited vs alone (accuracy, and loss),
  top-5 overlap, and the seed ceiling (the tau of alone seed 0 against the mean of the other seeds:
  what no supernet can beat; on the loss too); the spread of the children alone (max - min, points);
- one-shot search: regularised evolution over ``--search-budget`` children scored by the supernet; its
  best child trained alone (the same seeds) against its inherited score and the median random child;
- cost: one epoch of sandwich steps against one epoch of the largest child alone, the same batches,
  one thread, alternated ``--rounds`` times (median ratio).

With several ``--supernet-seed`` values the variant trains one supernet per seed (run folders
``<variant>-s<seed>``) and reports the figures averaged over them, each seed's under ``seeds``: one
supernet's tau moves by more than most options change it. ``between_supernets`` tells noise from bias: the
supernets' agreement among themselves, and the tau of their mean inherited accuracy. Every report has
``bias_by_kind``: the kinds of decision (kernel, depth, width, ...) whose small choices the supernet ranks
too high or too low.

``--max-macs M`` searches under a bound on multiply-adds (``median``: the median of the random children's),
one the largest child breaks, so the search starts from random members: the best child is then judged
against the children within the bound (their median alone, and the best of them alone), and the
supernet's ranking among them is reported too.

``--against-epochs E`` also ranks the children alone against their trainings of ``E`` epochs (trained
earlier into the same ``alone.jsonl`` by a run with ``--epochs E``): whether a longer training keeps the
order, i.e. whether the children differ by what they can learn or by how fast they learn it.

Everything is kept in ``--work``: trainings alone in ``alone.jsonl``, each variant's supernet in its own
run folder, so an interrupted benchmark resumes where it stopped. ``--alone-only`` trains just the
children alone and stops: started beside the full run (``--jobs 1`` each on two cores), it trains them
while the supernets train, and the full run reads what it finds in ``alone.jsonl`` (a child both trained
is kept once, the later row).

    python benchmarks/supernet_ranking.py --space mbconv-supernet --work /tmp/ranking \\
        --json benchmarks/results/supernet_ranking_mbconv-supernet.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

SPACE_DEFAULTS = {"mbconv-supernet": [], "vit-supernet": ["ranges=digits"]}


def _macs_bound(text: str) -> float | str:
    """``--max-macs``: a positive number, or ``median``; refused before anything trains."""
    if text == "median":
        return text
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"give a positive number or 'median', not {text!r}")
    return value


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="mbconv-supernet", choices=sorted(SPACE_DEFAULTS))
    parser.add_argument("-O", "--space-option", action="append", default=None, metavar="KEY=VALUE")
    parser.add_argument("--dataset", default="teacher")
    parser.add_argument("--train-size", type=int, default=8192)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--children", type=int, default=20, help="random children (plus the largest and smallest)")
    parser.add_argument("--alone-seeds", type=int, default=3)
    parser.add_argument("--search-budget", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the epoch-cost comparison (0: skip)")
    parser.add_argument("--jobs", type=int, default=2, help="trainings alone at once (one thread each)")
    parser.add_argument("--variant", default="baseline", help="name of this supernet's settings (its run folder)")
    parser.add_argument("--random-children", type=int, default=None)
    parser.add_argument("--attentive", type=int, default=None)
    parser.add_argument("--ema", type=float, default=None, help="decay of the weights' moving average")
    parser.add_argument("--shrink-epochs", type=float, default=None, help="progressive shrinking over these epochs")
    parser.add_argument("--shrink-order", default=None, help="kinds of decision let in one after another")
    parser.add_argument("--distill-weight", type=float, default=None, help="scale of each distilled child's loss")
    parser.add_argument("--optimizer", default=None, help="sgd, rmsprop or adamw (the supernet's)")
    parser.add_argument("--weight-decay", type=float, default=None, help="the supernet's")
    parser.add_argument("--bn-batches", type=int, default=None, help="batch-norm recalibration batches when scoring")
    parser.add_argument("--supernet-epochs", type=int, default=None, help="sandwich epochs (default: --epochs)")
    parser.add_argument("--lr", type=float, default=None, help="the supernet's peak learning rate")
    parser.add_argument("--warmup-epochs", type=float, default=None, help="the supernet's learning-rate warm-up")
    parser.add_argument("--final-lr-fraction", type=float, default=None, help="the supernet's final learning rate")
    parser.add_argument("--recipe", default="bignas", help="bignas or rank (nasbench supernet train --recipe)")
    seeds = "the supernet training's seed (default 0); several: one supernet each, the figures averaged"
    parser.add_argument("--supernet-seed", type=int, nargs="+", default=None, help=seeds)
    parser.add_argument("--supernet", type=Path, default=None, help="a trained run to score instead of training one")
    against = "also rank the children alone against their trainings of this many epochs (in alone.jsonl)"
    parser.add_argument("--against-epochs", type=int, default=None, help=against)
    bound = "search under this bound on multiply-adds: a number, or median (the random children's median)"
    parser.add_argument("--max-macs", type=_macs_bound, default=None, help=bound)
    only = "train the protocol's children alone into WORK/alone.jsonl and stop (run beside the supernets' training)"
    parser.add_argument("--alone-only", action="store_true", help=only)
    parser.add_argument("--work", type=Path, default=Path("/tmp/supernet-ranking"))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.supernet is not None and len(args.supernet_seed or ()) > 1:
        parser.error("--supernet scores one trained run: give no more than one --supernet-seed")
    return args


def _space(args):
    from nasbench.catalog import SPACES
    from nasbench.options import parse_options

    given = SPACE_DEFAULTS[args.space] if args.space_option is None else args.space_option
    options = parse_options(SPACES.get(args.space), given, f"space '{args.space}'")
    return SPACES.create(args.space, **options), options


def children(space, count: int) -> list:
    """``count`` distinct random children (seed 2020), then the largest and the smallest."""
    from nasbench.supernet import WeightSharing

    rng, picked = np.random.default_rng(2020), []
    sharing = space.capability(WeightSharing)
    extremes = [sharing.largest(), sharing.smallest()]
    while len(picked) < count:
        child = space.sample(rng)
        if child not in picked and child not in extremes:
            picked.append(child)
    return picked + extremes


def _train_alone(job: tuple) -> dict:
    """One child trained alone (in a worker process, one thread)."""
    space_name, options, text, seed, epochs, train_size, dataset = job
    from nasbench.catalog import SPACES
    from nasbench.evaluators.training import TrainingEvaluator
    from nasbench.trial import Budget

    space = SPACES.create(space_name, **options)
    child_space = space.child_space()
    trainer = TrainingEvaluator(child_space, dataset=dataset, epochs=epochs, device="cpu", cpu_threads=1)
    started = time.perf_counter()
    metrics = trainer(space.decode(text), Budget(epochs=epochs, train_size=train_size), seed=seed)
    return {"child": text, "seed": seed, "epochs": epochs, "train_size": train_size, "dataset": dataset,
            "valid_accuracy": metrics["valid_accuracy"], "valid_loss": metrics["valid_loss"],
            "seconds": time.perf_counter() - started}  # fmt: skip


def trained_alone(path: Path) -> dict[tuple, dict]:
    """The trainings alone kept in ``path``, by (child, seed, epochs, train size, dataset)."""
    done = {}
    if path.exists():
        for line in path.read_text().splitlines():
            row = json.loads(line)
            done[(row["child"], row["seed"], row["epochs"], row["train_size"], row["dataset"])] = row
    return done


def alone(args, space, options, texts: list[str]) -> dict[tuple[str, int], dict]:
    """Every (child, seed) trained alone, read from ``alone.jsonl`` where done, else trained and appended."""
    path = args.work / "alone.jsonl"
    done = trained_alone(path)
    setting = (args.epochs, args.train_size, args.dataset)
    todo = [(t, s) for t in texts for s in range(args.alone_seeds) if (t, s, *setting) not in done]
    if todo:
        print(f"training {len(todo)} children alone", file=sys.stderr)
        jobs = [(space.name, options, t, s, *setting) for t, s in todo]
        with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool, path.open("a") as out:
            for row in pool.map(_train_alone, jobs):
                out.write(json.dumps(row) + "\n")
                out.flush()  # a line per training: an interrupted run keeps what it trained
                done[(row["child"], row["seed"], *setting)] = row
    return {(t, s): done[(t, s, *setting)] for t in texts for s in range(args.alone_seeds)}


def longer_trainings(args, random_ones: list[str]) -> dict[str, list[float]]:
    """Each child's accuracies trained ``--against-epochs`` (every seed ``alone.jsonl`` holds), read before
    anything trains: a child without one is refused in one line."""
    setting = (args.against_epochs, args.train_size, args.dataset)
    other = {t: [] for t in random_ones}
    for (child, _, *rest), row in trained_alone(args.work / "alone.jsonl").items():
        if child in other and tuple(rest) == setting:
            other[child].append(row["valid_accuracy"])
    missing = sum(not accs for accs in other.values())
    if missing:
        e = args.against_epochs
        sys.exit(f"--against-epochs {e}: {missing} of the children have no {e}-epoch training in alone.jsonl")
    return other


def alone_against(args, random_ones: list[str], alone_acc: list[float], longer: dict[str, list[float]]) -> dict:
    """The children alone at ``--epochs`` against the same children trained longer: does a longer training
    keep their order and spread?"""
    means = [statistics.fmean(longer[t]) for t in random_ones]
    return {"epochs": args.against_epochs, "seeds": min(len(a) for a in longer.values()), **ranks(alone_acc, means),
            "spread_points": max(means) - min(means), "median": float(np.median(means))}  # fmt: skip


def supernet_config(args, space, options, seed: int | None):
    from nasbench.supernet import WeightSharing
    from nasbench.supernet_training.config import SupernetConfig
    from nasbench.supernet_training.recipe import under_recipe

    given = {"random_children": args.random_children, "attentive": args.attentive, "lr": args.lr, "ema": args.ema,
             "optimizer": args.optimizer, "weight_decay": args.weight_decay, "shrink_epochs": args.shrink_epochs,
             "shrink_order": args.shrink_order, "warmup_epochs": args.warmup_epochs,
             "final_lr_fraction": args.final_lr_fraction,
             "distill_weight": args.distill_weight, "seed": seed}  # fmt: skip
    epochs = args.supernet_epochs or args.epochs
    given = under_recipe(args.recipe, space, epochs, {k: v for k, v in given.items() if v is not None})
    return SupernetConfig(
        space=space.name, space_options=options, dataset=args.dataset, train_size=args.train_size, epochs=epochs,
        **given,
    ).resolved(space.capability(WeightSharing))  # fmt: skip


def train(args, space, config, name: str) -> Path:
    """The supernet in run folder ``name`` of ``--work``, sandwich-trained on Ray Train (one worker), resumed if
    interrupted; or the ``--supernet`` given."""
    from nasbench.storage.run_folder import RunFolder
    from nasbench.supernet_training.run import resume_supernet, train_supernet

    run = args.supernet or args.work / name
    if RunFolder(run).supernet_weights.exists():
        return run
    if RunFolder(run).exists():
        resume_supernet(run, space, quiet=True)
    else:
        train_supernet(space, config, run, quiet=True)
    return run


def epoch_ratio(space, config, rounds: int) -> dict:
    """Seconds of one epoch of sandwich steps and of one epoch of the largest child alone, alternated."""
    import torch
    import torch.nn.functional as F

    from nasbench.supernet import WeightSharing
    from nasbench.supernet_training.sandwich import draw_step, sandwich_step
    from nasbench.supernet_training.worker import build_supernet, steps_per_epoch
    from nasbench.training.data import load_data

    torch.set_num_threads(1)
    data = load_data(config.dataset)
    n = config.training_examples(len(data.train.labels))
    images, labels = data.train.images[:n], data.train.labels[:n]
    supernet = build_supernet(space, data, 0).train()
    largest = space.capability(WeightSharing).largest()
    alone_model = space.capability(WeightSharing).extract(supernet, largest, data.spec).train()
    rng = np.random.default_rng(0)
    size = config.batch_size
    batches = [(images[i : i + size], labels[i : i + size]) for i in range(0, steps_per_epoch(n, size) * size, size)]
    sandwich, single = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        for x, y in batches:
            supernet.zero_grad()
            kids, pools = draw_step(space, rng, config.random_children, config.attentive)
            sandwich_step(supernet, kids, x, y, config.label_smoothing, pools, config.distill_weight)
        sandwich.append(time.perf_counter() - start)
        start = time.perf_counter()
        for x, y in batches:
            alone_model.zero_grad()
            F.cross_entropy(alone_model(x), y, label_smoothing=config.label_smoothing).backward()
        single.append(time.perf_counter() - start)
    s, a = statistics.median(sandwich), statistics.median(single)
    return {"sandwich_epoch_s": s, "largest_epoch_s": a, "sandwich_epoch_ratio": s / a}


def ranks(inherited: list[float], alone_mean: list[float]) -> dict:
    from scipy.stats import kendalltau, spearmanr

    return {
        "kendall_tau": float(kendalltau(inherited, alone_mean).statistic),
        "spearman": float(spearmanr(inherited, alone_mean).statistic),
    }


def between_supernets(inherited: list[list[float]], alone_mean: list[float]) -> dict:
    """Noise or bias? How the supernets (one list of the random children's inherited accuracies per seed)
    agree among themselves (mean tau over pairs), and how their mean ranks against the children alone: if
    they agree better than any ranks the children alone, averaging seeds cannot close the gap."""
    from itertools import combinations

    from scipy.stats import kendalltau

    pairs = [kendalltau(a, b).statistic for a, b in combinations(inherited, 2)]
    return {"kendall_tau": float(np.mean(pairs)),
            "seed_mean_tau": ranks(list(np.mean(inherited, axis=0)), alone_mean)["kendall_tau"]}  # fmt: skip


def bias_by_kind(space, texts: list[str], inherited: list[float], alone_mean: list[float]) -> dict[str, float]:
    """Which kinds of decision the supernet misjudges: per kind, the Spearman correlation between a child's
    distance from the largest child in that kind (its decisions' mean share of their range) and how much
    higher the supernet ranks it than training alone does. Negative: children far from the largest in this
    kind are ranked too low (what a progressive-shrinking order moves; docs/BENCHMARKS.md)."""
    from scipy.stats import rankdata, spearmanr

    from nasbench.space import DecisionSequence, require_capability
    from nasbench.supernet import WeightSharing

    decisions = require_capability(space, DecisionSequence, "bias by kind of decision")
    kinds, sizes = list(decisions.decision_kinds()), decisions.decision_sizes()
    top = decisions.to_decisions(space.capability(WeightSharing).largest())
    shift = rankdata(inherited) - rankdata(alone_mean)
    if np.ptp(shift) == 0:
        return {}  # the same order: nothing misjudged
    bias = {}
    for kind in dict.fromkeys(kinds):
        mine = [i for i, k in enumerate(kinds) if k == kind and sizes[i] > 1]
        if not mine:
            continue  # a kind the space never varies
        distance = [
            np.mean([abs(own[i] - top[i]) / (sizes[i] - 1) for i in mine])
            for own in (decisions.to_decisions(space.decode(t)) for t in texts)
        ]
        if np.ptp(distance) > 0:
            bias[kind] = float(spearmanr(distance, shift).statistic)
    return bias


def top_overlap(a: list[float], b: list[float], k: int = 5) -> int:
    return len(set(np.argsort(a)[-k:]) & set(np.argsort(b)[-k:]))


def children_macs(space, dataset: str, texts: list[str]) -> dict[str, float]:
    """Each child's multiply-adds at the data's own resolution (fvcore, as a search's bound counts them)."""
    from nasbench.costs.cost_model import CostModel
    from nasbench.training.data import load_data

    costs = CostModel(space, load_data(dataset).spec)
    return {t: float(costs.macs(space.decode(t))) for t in texts}


def one_shot_search(args, space, options, run: Path, folder: Path, bn_batches: int | None) -> str:
    from nasbench.config import SearchConfig
    from nasbench.search import resume, start
    from nasbench.storage.run_folder import RunFolder

    evaluator = {"supernet": str(run), "device": "cpu", "cpu_threads": 1}
    if bn_batches is not None:
        evaluator["bn_batches"] = bn_batches
    constraints = {} if args.bound is None else {"max_macs": args.bound, "device": "cpu"}
    config = SearchConfig(space=space.name, strategy="evo", evaluator="supernet", budget=args.search_budget,
                          space_options=options, evaluator_options=evaluator, backend="local",
                          constraints=constraints)  # fmt: skip
    best = (resume(folder) if RunFolder(folder).exists() else start(config, folder)).run()
    return best.arch


def run_folders(args) -> list[tuple[int | None, str]]:
    """(supernet seed, run folder) per supernet: ``--variant`` for one seed, ``<variant>-s<seed>`` for several."""
    seeds = args.supernet_seed or [None]
    if len(seeds) == 1:
        return [(seeds[0], args.variant)]
    return [(seed, f"{args.variant}-s{seed}") for seed in seeds]


def one_shot(args, space, options, picked: list[str], seed: int | None, name: str) -> dict:
    """One supernet of the variant: trained (or given), its children scored, its one-shot search run."""
    from nasbench.evaluators.supernet import SupernetEvaluator
    from nasbench.trial import Budget

    config = supernet_config(args, space, options, seed)
    started = time.perf_counter()
    run = train(args, space, config, name)
    train_seconds = time.perf_counter() - started
    if args.supernet is not None:  # the run's own settings, not the flags'
        from nasbench.supernet import WeightSharing
        from nasbench.supernet_training.config import read_supernet_config

        config = read_supernet_config(run).resolved(space.capability(WeightSharing))
    scorer = SupernetEvaluator(space, str(run), device="cpu", bn_batches=args.bn_batches, cpu_threads=1)
    scored = [scorer(space.decode(t), Budget(), seed=0) for t in picked]
    best, best_inherited = None, None
    if args.search_budget:
        folder = args.work / (f"{name}-search" if args.bound is None else f"{name}-search-macs{args.bound:.0f}")
        best = one_shot_search(args, space, options, run, folder, args.bn_batches)
        best_inherited = scorer(space.decode(best), Budget(), seed=0)["valid_accuracy"]
    return {"config": config, "scorer": scorer, "scored": scored, "best": best, "best_inherited": best_inherited,
            "train_seconds": train_seconds}  # fmt: skip


def figures(args, picked: list[str], shot: dict, mean) -> dict:
    """What one supernet scores against the children trained alone."""
    scored, random_ones = shot["scored"], picked[: args.children]
    inherited = [m["valid_accuracy"] for m in scored[: args.children]]
    alone_acc = [mean(t, "valid_accuracy") for t in random_ones]
    report = {
        **ranks(inherited, alone_acc),
        "loss": ranks(
            [-m["valid_loss"] for m in scored[: args.children]], [-mean(t, "valid_loss") for t in random_ones]
        ),
        "with_extremes": ranks([m["valid_accuracy"] for m in scored], [mean(t, "valid_accuracy") for t in picked]),
        "top5_overlap": top_overlap(inherited, alone_acc),
    }
    if shot["best"] is not None:
        report["best_child"] = shot["best"]
        report["best_child_inherited"] = shot["best_inherited"]
        report["best_child_alone"] = mean(shot["best"], "valid_accuracy")
        report["best_child_gap"] = report["best_child_inherited"] - report["best_child_alone"]
        report["best_beats_median"] = report["best_child_alone"] > float(np.median(alone_acc))
    if args.bound is not None:
        report["within_bound"] = bounded_figures(args, picked, scored, mean, report)
    report["largest"] = {"inherited": scored[-2]["valid_accuracy"], "alone": mean(picked[-2], "valid_accuracy")}
    report["smallest"] = {"inherited": scored[-1]["valid_accuracy"], "alone": mean(picked[-1], "valid_accuracy")}
    report["supernet_train_seconds"] = round(shot["train_seconds"], 1)
    return report


def bounded_figures(args, picked: list[str], scored: list[dict], mean, report: dict) -> dict:
    """The random children within ``--max-macs``: the supernet's ranking of them, and the search's best child
    against them trained alone."""
    within = [i for i, t in enumerate(picked[: args.children]) if args.macs[t] <= args.bound]
    alone_acc = [mean(picked[i], "valid_accuracy") for i in within]
    inherited = [scored[i]["valid_accuracy"] for i in within]
    figures = {"max_macs": args.bound, "children": len(within), "median_alone": float(np.median(alone_acc)),
               "best_alone": max(alone_acc), **ranks(inherited, alone_acc)}  # fmt: skip
    if "best_child" in report:
        figures["best_child_macs"] = args.macs[report["best_child"]]
        figures["best_beats_median"] = report["best_child_alone"] > figures["median_alone"]
        figures["best_against_best_alone"] = report["best_child_alone"] - figures["best_alone"]
    return figures


#: figures averaged over the supernet seeds when there are several (each seed's stay under ``seeds``)
BOUND_AVERAGED = ("kendall_tau", "spearman", "best_child_macs", "best_against_best_alone")
AVERAGED = ("kendall_tau", "spearman", "top5_overlap", "best_child_inherited", "best_child_alone", "best_child_gap")


def averaged(per_seed: list[dict]) -> dict:
    report = {k: statistics.fmean(r[k] for r in per_seed) for k in AVERAGED if k in per_seed[0]}
    report["kendall_tau_range"] = [min(r["kendall_tau"] for r in per_seed), max(r["kendall_tau"] for r in per_seed)]
    for key in ("loss", "with_extremes"):
        report[key] = {k: statistics.fmean(r[key][k] for r in per_seed) for k in ("kendall_tau", "spearman")}
    for key in ("largest", "smallest"):
        report[key] = {k: statistics.fmean(r[key][k] for r in per_seed) for k in ("inherited", "alone")}
    if "best_beats_median" in per_seed[0]:
        report["best_beats_median"] = all(r["best_beats_median"] for r in per_seed)
    if "within_bound" in per_seed[0]:
        bounded = [r["within_bound"] for r in per_seed]
        report["within_bound"] = {
            k: (statistics.fmean(b[k] for b in bounded) if k in BOUND_AVERAGED else bounded[0][k]) for k in bounded[0]
        }
        if "best_beats_median" in bounded[0]:
            report["within_bound"]["best_beats_median"] = all(b["best_beats_median"] for b in bounded)
    return report


def main(argv: list[str] | None = None) -> dict:
    args = parse(argv)
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    args.work.mkdir(parents=True, exist_ok=True)
    space, options = _space(args)
    picked = [str(c) for c in children(space, args.children)]
    if args.alone_only:
        trained = alone(args, space, options, picked)
        report = {"alone_only": str(args.work / "alone.jsonl"), "trainings": len(trained)}
        print(json.dumps(report))
        return report
    args.macs, args.bound = {}, None
    if args.max_macs is not None:
        args.macs = children_macs(space, args.dataset, picked)
        random_macs = [args.macs[t] for t in picked[: args.children]]
        args.bound = float(np.median(random_macs)) if args.max_macs == "median" else args.max_macs
    longer = None if args.against_epochs is None else longer_trainings(args, picked[: args.children])
    shots = [(seed, one_shot(args, space, options, picked, seed, name)) for seed, name in run_folders(args)]
    bests = [shot["best"] for _, shot in shots if shot["best"] is not None and shot["best"] not in picked]
    if args.bound is not None:
        args.macs.update(children_macs(space, args.dataset, bests))
    trained = alone(args, space, options, picked + sorted(set(bests), key=bests.index))
    seeds = range(args.alone_seeds)

    def mean(text: str, key: str, among=seeds) -> float:
        return statistics.fmean(trained[(text, s)][key] for s in among)

    per_seed = [{"supernet_seed": shot["config"].seed, **figures(args, picked, shot, mean)} for _, shot in shots]
    first = shots[0][1]
    random_ones = picked[: args.children]
    alone_acc = [mean(t, "valid_accuracy") for t in random_ones]
    report = {
        "space": space.name,
        "space_options": options,
        "variant": args.variant,
        "supernet": first["config"].to_dict(),
        "bn_batches": first["scorer"].bn_batches,
        "dataset": args.dataset,
        "train_size": args.train_size,
        "epochs": args.epochs,
        "resolution": f"{first['scorer'].data_spec().height} x {first['scorer'].data_spec().width} (the data's own)",
        "children": args.children,
        "alone_seeds": args.alone_seeds,
        **(
            {k: v for k, v in per_seed[0].items() if k != "supernet_seed"} if len(per_seed) == 1 else averaged(per_seed)
        ),
        "alone_spread_points": max(alone_acc) - min(alone_acc),
        "alone_median": float(np.median(alone_acc)),
    }
    if args.bound is not None:
        report["largest_macs"] = args.macs[picked[-2]]
    if args.alone_seeds > 1:
        first_seed = [trained[(t, 0)]["valid_accuracy"] for t in random_ones]
        rest = [mean(t, "valid_accuracy", range(1, args.alone_seeds)) for t in random_ones]
        report["seed_ceiling_tau"] = ranks(first_seed, rest)["kendall_tau"]
        report["seed_ceiling_spearman"] = ranks(first_seed, rest)["spearman"]
        # the same on the loss, whose ranking seed noise disturbs less
        first_loss = [-trained[(t, 0)]["valid_loss"] for t in random_ones]
        rest_loss = [-mean(t, "valid_loss", range(1, args.alone_seeds)) for t in random_ones]
        report["loss"]["seed_ceiling_tau"] = ranks(first_loss, rest_loss)["kendall_tau"]
    if longer is not None:
        report["alone_against"] = alone_against(args, random_ones, alone_acc, longer)
    inherited = [[m["valid_accuracy"] for m in shot["scored"][: args.children]] for _, shot in shots]
    report["bias_by_kind"] = bias_by_kind(space, random_ones, list(np.mean(inherited, axis=0)), alone_acc)
    if len(per_seed) > 1:
        report["between_supernets"] = between_supernets(inherited, alone_acc)
        report["seeds"] = per_seed
    if args.rounds:
        report.update(epoch_ratio(space, first["config"], args.rounds))
    report["table"] = [
        {"child": t, "inherited": m["valid_accuracy"], "alone": mean(t, "valid_accuracy"),
         "alone_seeds": [trained[(t, s)]["valid_accuracy"] for s in seeds]}
        for t, m in zip(picked, first["scored"])
    ]  # fmt: skip
    if len(shots) > 1:
        for row, *others in zip(report["table"], *(shot["scored"] for _, shot in shots)):
            row["inherited_per_seed"] = [m["valid_accuracy"] for m in others]
    report["command"] = " ".join(["python", "benchmarks/supernet_ranking.py", *(argv or sys.argv[1:])])
    summary = {k: v for k, v in report.items() if k not in ("table", "supernet", "space_options", "seeds")}
    print(json.dumps(summary, indent=1))
    if args.json is not None:
        from nasbench.storage import atomic

        atomic.write_text(args.json, json.dumps(report, indent=1) + "\n")
    return report


if __name__ == "__main__":
    main()
