"""What the deterministic mode costs: wall time of the same search on Ray, deterministic and free-running.

Each case is run free (results told as they arrive) and deterministic with each window asked for
(``--windows 1 2``: once and twice the trials that run at once), the modes in turn and their order
reversed every other round, in one invocation, so a ratio compares runs made side by side on the
same machine. A deterministic search leaves a slot idle while an earlier trial still runs; a wider
window asks further ahead and idles less. The ``asha`` case also counts the trials early stopping
pruned, in each mode.

    python benchmarks/deterministic.py --cases main nasnet-2 nasnet-4 asha --windows 1 2 --rounds 1
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

#: the command line of each case (run as ``nasbench ...``), besides --out, --quiet and the mode
#: (the main job runs two at a time: the CPUs of a 2-core machine)
CONCURRENT = {"main": 2, "nasnet-2": 2, "nasnet-4": 4, "asha": 2}
CASES = {
    # README's main job: 12 NASNet candidates, 4 epochs each, two at a time
    "main": ["search", "--space", "nasnet", "--strategy", "evo"],
    # a 100-trial NASNet search (one epoch per candidate), 2 and 4 trials at once
    "nasnet-2": ["search", "--space", "nasnet", "--strategy", "evo", "--budget", "100", "--epochs", "1",
                 "--max-concurrent", "2"],
    "nasnet-4": ["search", "--space", "nasnet", "--strategy", "evo", "--budget", "100", "--epochs", "1",
                 "--max-concurrent", "4", "--cpus-per-trial", "0.5"],
    # early stopping: 40 candidates of 4 epochs, ASHA with a reduction factor of 2
    "asha": ["search", "--space", "nasnet", "--strategy", "evo", "--budget", "40", "--scheduler", "asha",
             "--reduction-factor", "2", "--max-concurrent", "2"],
}  # fmt: skip


def run(case: str, window: int | None, out: Path) -> dict:
    """One run: free (``window`` None) or deterministic with that window."""
    mode = ["--no-deterministic"] if window is None else ["--deterministic", "--window", str(window)]
    argv = [sys.executable, "-m", "nasbench.cli", *CASES[case], *mode, "--out", str(out), "--quiet"]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "RAY_AUTH_MODE": "disabled"})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{case} ({' '.join(mode)}) failed: {done.stderr.strip()}")
    table = pd.read_csv(out / "trials.csv")
    evaluated = table[table.duplicate_of.isna()]
    return {
        "case": case,
        "mode": "free" if window is None else f"window={window}",
        "seconds": round(seconds, 1),
        "trials": len(evaluated),
        "pruned": int((evaluated.state == "PRUNED").sum()),
        "best": float(evaluated.value.max()),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["main"], choices=sorted(CASES))
    parser.add_argument("--windows", type=int, nargs="+", default=[1, 2], help="windows, in trials run at once")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", default=None, help="also write every run as JSON here")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for round_ in range(args.rounds):
            for case in args.cases:
                windows = [None] + [m * CONCURRENT[case] for m in args.windows]
                for window in windows if round_ % 2 == 0 else windows[::-1]:
                    out = Path(scratch) / f"{case}-{round_}-{window}"
                    rows.append(run(case, window, out))
                    print(json.dumps(rows[-1]), flush=True)
    frame = pd.DataFrame(rows)
    summary = frame.groupby(["case", "mode"]).agg(
        seconds=("seconds", "median"), trials=("trials", "median"), pruned=("pruned", "median")
    )
    print(summary.to_string())
    for case in args.cases:
        free = summary.loc[(case, "free"), "seconds"]
        for m in args.windows:
            window = m * CONCURRENT[case]
            ratio = summary.loc[(case, f"window={window}"), "seconds"] / free
            print(f"{case}: window {window} / free wall time = {ratio:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
