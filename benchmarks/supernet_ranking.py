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
  what no supernet can beat); the spread of the children alone (max - min, points);
- one-shot search: regularised evolution over ``--search-budget`` children scored by the supernet; its
  best child trained alone (the same seeds) against its inherited score and the median random child;
- cost: one epoch of sandwich steps against one epoch of the largest child alone, the same batches,
  one thread, alternated ``--rounds`` times (median ratio).

Everything is kept in ``--work``: trainings alone in ``alone.jsonl``, each variant's supernet in its own
run folder, so an interrupted benchmark resumes where it stopped.

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
    parser.add_argument("--distill-weight", type=float, default=None, help="scale of each distilled child's loss")
    parser.add_argument("--optimizer", default=None, help="sgd, rmsprop or adamw (the supernet's)")
    parser.add_argument("--weight-decay", type=float, default=None, help="the supernet's")
    parser.add_argument("--bn-batches", type=int, default=None, help="batch-norm recalibration batches when scoring")
    parser.add_argument("--supernet-epochs", type=int, default=None, help="sandwich epochs (default: --epochs)")
    parser.add_argument("--lr", type=float, default=None, help="the supernet's peak learning rate")
    parser.add_argument("--supernet-seed", type=int, default=None, help="the supernet training's seed (default 0)")
    parser.add_argument("--supernet", type=Path, default=None, help="a trained run to score instead of training one")
    parser.add_argument("--work", type=Path, default=Path("/tmp/supernet-ranking"))
    parser.add_argument("--json", type=Path, default=None)
    return parser.parse_args(argv)


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


def alone(args, space, options, texts: list[str]) -> dict[tuple[str, int], dict]:
    """Every (child, seed) trained alone, read from ``alone.jsonl`` where done, else trained and appended."""
    path = args.work / "alone.jsonl"
    done = {}
    if path.exists():
        for line in path.read_text().splitlines():
            row = json.loads(line)
            key = (row["child"], row["seed"], row["epochs"], row["train_size"], row["dataset"])
            done[key] = row
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


def supernet_config(args, space, options):
    from nasbench.supernet import WeightSharing
    from nasbench.supernet_training.config import SupernetConfig

    given = {"random_children": args.random_children, "attentive": args.attentive, "lr": args.lr, "ema": args.ema,
             "optimizer": args.optimizer, "weight_decay": args.weight_decay, "shrink_epochs": args.shrink_epochs,
             "distill_weight": args.distill_weight, "seed": args.supernet_seed}  # fmt: skip
    return SupernetConfig(
        space=space.name, space_options=options, dataset=args.dataset, train_size=args.train_size,
        epochs=args.supernet_epochs or args.epochs, **{k: v for k, v in given.items() if v is not None},
    ).resolved(space.capability(WeightSharing))  # fmt: skip


def train(args, space, config) -> Path:
    """The variant's supernet, sandwich-trained on Ray Train (one worker), resumed if interrupted."""
    from nasbench.storage.run_folder import RunFolder
    from nasbench.supernet_training.run import resume_supernet, train_supernet

    run = args.supernet or args.work / args.variant
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


def top_overlap(a: list[float], b: list[float], k: int = 5) -> int:
    return len(set(np.argsort(a)[-k:]) & set(np.argsort(b)[-k:]))


def one_shot_search(args, space, options, run: Path, bn_batches: int | None) -> str:
    from nasbench.config import SearchConfig
    from nasbench.search import resume, start
    from nasbench.storage.run_folder import RunFolder

    folder = args.work / f"{args.variant}-search"
    evaluator = {"supernet": str(run), "device": "cpu", "cpu_threads": 1}
    if bn_batches is not None:
        evaluator["bn_batches"] = bn_batches
    config = SearchConfig(space=space.name, strategy="evo", evaluator="supernet", budget=args.search_budget,
                          space_options=options, evaluator_options=evaluator, backend="local")  # fmt: skip
    best = (resume(folder) if RunFolder(folder).exists() else start(config, folder)).run()
    return best.arch


def main(argv: list[str] | None = None) -> dict:
    args = parse(argv)
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    args.work.mkdir(parents=True, exist_ok=True)
    from nasbench.evaluators.supernet import SupernetEvaluator
    from nasbench.trial import Budget

    space, options = _space(args)
    picked = [str(c) for c in children(space, args.children)]
    config = supernet_config(args, space, options)
    started = time.perf_counter()
    run = train(args, space, config)
    train_seconds = time.perf_counter() - started
    scorer = SupernetEvaluator(space, str(run), device="cpu", bn_batches=args.bn_batches, cpu_threads=1)
    scored = [scorer(space.decode(t), Budget(), seed=0) for t in picked]
    best = one_shot_search(args, space, options, run, args.bn_batches) if args.search_budget else None
    trained = alone(args, space, options, picked + ([best] if best and best not in picked else []))
    seeds = range(args.alone_seeds)

    def mean(text: str, key: str, among=seeds) -> float:
        return statistics.fmean(trained[(text, s)][key] for s in among)

    random_ones = picked[: args.children]
    inherited = [m["valid_accuracy"] for m in scored[: args.children]]
    inherited_loss = [-m["valid_loss"] for m in scored[: args.children]]
    alone_acc = [mean(t, "valid_accuracy") for t in random_ones]
    alone_loss = [-mean(t, "valid_loss") for t in random_ones]
    report = {
        "space": space.name,
        "space_options": options,
        "variant": args.variant,
        "supernet": config.to_dict(),
        "bn_batches": scorer.bn_batches,
        "dataset": args.dataset,
        "train_size": args.train_size,
        "epochs": args.epochs,
        "resolution": f"{scorer.data_spec().height} x {scorer.data_spec().width} (the data's own)",
        "children": args.children,
        "alone_seeds": args.alone_seeds,
        **ranks(inherited, alone_acc),
        "loss": ranks(inherited_loss, alone_loss),
        "with_extremes": ranks([m["valid_accuracy"] for m in scored], [mean(t, "valid_accuracy") for t in picked]),
        "top5_overlap": top_overlap(inherited, alone_acc),
        "alone_spread_points": max(alone_acc) - min(alone_acc),
        "alone_median": float(np.median(alone_acc)),
    }
    if args.alone_seeds > 1:
        first = [trained[(t, 0)]["valid_accuracy"] for t in random_ones]
        rest = [mean(t, "valid_accuracy", range(1, args.alone_seeds)) for t in random_ones]
        report["seed_ceiling_tau"] = ranks(first, rest)["kendall_tau"]
        report["seed_ceiling_spearman"] = ranks(first, rest)["spearman"]
    if best is not None:
        report["best_child"] = best
        report["best_child_inherited"] = scorer(space.decode(best), Budget(), seed=0)["valid_accuracy"]
        report["best_child_alone"] = mean(best, "valid_accuracy")
        report["best_child_gap"] = report["best_child_inherited"] - report["best_child_alone"]
        report["best_beats_median"] = report["best_child_alone"] > report["alone_median"]
    report["largest"] = {"inherited": scored[-2]["valid_accuracy"], "alone": mean(picked[-2], "valid_accuracy")}
    report["smallest"] = {"inherited": scored[-1]["valid_accuracy"], "alone": mean(picked[-1], "valid_accuracy")}
    report["supernet_train_seconds"] = round(train_seconds, 1)
    if args.rounds:
        report.update(epoch_ratio(space, config, args.rounds))
    report["table"] = [
        {"child": t, "inherited": m["valid_accuracy"], "alone": mean(t, "valid_accuracy"),
         "alone_seeds": [trained[(t, s)]["valid_accuracy"] for s in seeds]}
        for t, m in zip(picked, scored)
    ]  # fmt: skip
    report["command"] = " ".join(["python", "benchmarks/supernet_ranking.py", *(argv or sys.argv[1:])])
    summary = {k: v for k, v in report.items() if k not in ("table", "supernet", "space_options")}
    print(json.dumps(summary, indent=1))
    if args.json is not None:
        from nasbench.storage import atomic

        atomic.write_text(args.json, json.dumps(report, indent=1) + "\n")
    return report


if __name__ == "__main__":
    main()
