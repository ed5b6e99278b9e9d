"""Which found architecture wins at more compute, checked: search, sweep the front, fit laws, backtest.

python benchmarks/scaling_backtest.py --work /tmp/scaling-backtest --json benchmarks/results/scaling_backtest.json

All on the embedded teacher task, through the command line a user runs:

1. ``nasbench search`` over MBConv (base ``tiny``), ``--budget`` random candidates trained one epoch on
   ``--search-size`` examples; its Pareto front (validation accuracy against multiply-adds; the next
   fronts too where it has fewer than three networks) is the set of architectures;
2. ``nasbench sweep --from`` trains each front network at every ``--width`` on every ``--train-size``;
3. the laws per architecture are backtested: the dearest quarter of the trainings held out, predicted
   from the rest (``nasbench.analysis.backtest``). The headline analysis holds E at the task's Bayes floor
   (``nasbench.training.teacher.irreducible``: the labels are drawn from the teacher, so no network can
   do better, and one-epoch trainings at four data sizes cannot locate E themselves) and shares the data
   exponent beta (the same data for every architecture); the JSON also has the other analyses
   (``variants``) side by side.

The run folders in ``--work`` are resumed when there (an interrupted benchmark loses nothing).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from nasbench.analysis import backtest, compare_at, compute_per_parameter_example, fit_laws, load_runs
from nasbench.storage import atomic
from nasbench.training.teacher import irreducible


def nasbench(*argv: str) -> None:
    subprocess.run([sys.executable, "-m", "nasbench.cli", *argv], check=True)


def run_or_resume(command: str, folder: Path, *argv: str) -> float:
    started = time.perf_counter()
    if (folder / "config.json").exists():
        nasbench(command, "--resume", str(folder), "--quiet")
    else:
        nasbench(command, *argv, "--out", str(folder), "--quiet")
    return time.perf_counter() - started


HEADLINE = "E at the floor, beta shared"


def analyses(floor: float) -> dict[str, tuple[tuple[str, ...], dict[str, float] | None]]:
    """The analyses compared: (shared parameters, fixed parameters) of each."""
    return {
        "E shared": (("E",), None),
        "E at the floor": ((), {"E": floor}),
        "E at the floor, beta shared": (("beta",), {"E": floor}),
        "E at the floor, exponents shared": (("alpha", "beta"), {"E": floor}),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/scaling-backtest"))
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--budget", type=int, default=12, help="candidates of the search")
    parser.add_argument("--search-size", type=int, default=4096)
    parser.add_argument("--width", nargs="+", default=["0.25", "0.5", "0.75", "1"])
    parser.add_argument("--train-size", nargs="+", default=["2048", "8192", "32768", "131072"])
    parser.add_argument(
        "--more-train-size", nargs="+", default=[],
        help="sizes swept in a second run folder (sweep-more) with the same seed: together the two runs hold "
        "the trainings one sweep over all the sizes would (a training's seed comes from its network and budget)",
    )  # fmt: skip
    parser.add_argument(
        "--min-examples", type=int, default=0,
        help="leave trainings on fewer examples out of the analysis (the few-optimiser-steps regime)",
    )  # fmt: skip
    parser.add_argument("--epochs", default="1")
    parser.add_argument("--batch-size", default="32")
    parser.add_argument("--lr", default="0.1")
    parser.add_argument("--seeds", default="1")
    parser.add_argument("--seed", default="0", help="seed of the sweep (the search keeps seed 0: same front)")
    parser.add_argument("--backend", default="local")
    parser.add_argument("--resamples", type=int, default=500)
    args = parser.parse_args(argv)
    search_dir, sweep_dir = args.work / "search", args.work / "sweep"
    search_seconds = run_or_resume(
        "search", search_dir, "--space", "mbconv", "-O", "base=tiny", "--strategy", "random",
        "--budget", str(args.budget), "--epochs", "1", "--dataset", "teacher",
        "-E", f"train_size={args.search_size}", "--backend", "local", "--seed", "0",
    )  # fmt: skip
    sweep_seconds, sweeps = 0.0, []
    for folder, sizes in ((sweep_dir, args.train_size), (args.work / "sweep-more", args.more_train_size)):
        if not sizes:
            continue
        sweep_seconds += run_or_resume(
            "sweep", folder, "--from", str(search_dir), "--architectures", "3", "--width", *args.width,
            "--train-size", *sizes,
            "--epochs", args.epochs, "--batch-size", args.batch_size, "--lr", args.lr, "--seeds", args.seeds,
            "--backend", args.backend, "--seed", args.seed,
        )  # fmt: skip
        sweeps.append(folder)
    swept = load_runs(sweeps).query("state == 'COMPLETE'")
    done = swept[swept.examples_seen >= args.min_examples]
    floor = irreducible().loss
    variants = {}
    for name, (shared, fixed) in analyses(floor).items():
        trial = backtest(done, "family", shared=shared, fixed=fixed, resamples=args.resamples, seed=0)
        variants[name] = trial.summary()
    shared, fixed = analyses(floor)[HEADLINE]
    check = backtest(done, "family", shared=shared, fixed=fixed, resamples=args.resamples, seed=0)
    summary = check.summary()
    laws = fit_laws(done, "family", shared=shared, fixed=fixed, resamples=args.resamples, seed=0)
    target = 100 * float(done.train_compute.max())
    choice = compare_at(laws, target, compute_per_parameter_example(done, "family"))
    result = {
        **summary,
        "analysis": HEADLINE,
        "bayes_floor": floor,
        "variants": variants,
        "trainings": int(len(done)),
        "trainings_left_out": int(len(swept) - len(done)),
        "search_seconds": round(search_seconds, 1),
        "sweep_seconds": round(sweep_seconds, 1),
        "command": " ".join(["python", "benchmarks/scaling_backtest.py", *(argv or sys.argv[1:])]),
        "held_out": check.points[
            [
                "group",
                "params",
                "examples_seen",
                "train_compute",
                "valid_loss",
                "predicted",
                "low",
                "high",
                "rel_error",
                "covered",
            ]
        ]
        .round(5)
        .to_dict("records"),  # fmt: skip
        "at_100x": {"compute": target, "table": choice.round(5).to_dict("records")},
        "laws": {g: {k: str(v) for k, v in laws.laws[g].parameters().items()} for g in laws.groups},
    }
    print(
        json.dumps(
            {k: v for k, v in result.items() if k not in ("held_out", "laws", "variants")}, indent=1, default=str
        )
    )
    for name, variant in variants.items():
        print(
            f"{name:34s} median error {variant['median_rel_error']:.3f}  coverage {variant['coverage_90']:.2f}  "
            f"pick correct {variant['pick_correct']}"
        )
    if args.json is not None:
        atomic.write_text(args.json, json.dumps(result, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
