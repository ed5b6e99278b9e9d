"""``nasbench report``: one self-contained HTML page of one or more runs."""

from __future__ import annotations

from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser(
        "report",
        help="write an HTML report of runs (tables and plots embedded)",
        description="Write one self-contained HTML file for search, sweep and scale runs: their configuration, "
        "best networks, the trial table, and the plots that fit them (scaling-law fits of sweeps, Pareto fronts, "
        "best-so-far curves of searches).",
    )
    p.add_argument("runs", nargs="+", metavar="RUN", help="run folders (results/<run>) or scale CSV tables")
    p.add_argument("--out", default="report.html", metavar="FILE", help="the HTML file (default: report.html)")
    p.add_argument("--seed", type=int, default=0, help="seed of the fits' bootstrap (default: 0)")
    p.set_defaults(func=run)


def run(args) -> int:
    from nasbench.analysis.report import write_report

    path = write_report(args.runs, Path(args.out), seed=args.seed)
    print(f"report written to {path}")
    return 0
