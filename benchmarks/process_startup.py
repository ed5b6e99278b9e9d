"""Start-up of a fresh process that evaluates a candidate, as each Ray trial's process is.

Each line runs in a new Python process, alternated over ``--repeats`` rounds; the median wall time
of the whole process is printed:

- digits: the embedded copy (``nasbench.training.data``) against ``sklearn.datasets.load_digits``,
  both after ``import torch`` (a training trial has it already);
- a table look-up trial's imports (the Tune trainable and the tabular evaluator), alone and with
  ``import torch`` added (what each such trial paid while the trainable imported torch).

    python benchmarks/process_startup.py --repeats 5

The scikit-learn line needs scikit-learn, which comes with the test extra (``pip install -e '.[test]'``).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES = {
    "digits, embedded copy": "import torch\nfrom nasbench.training.data import load_data\nload_data('digits')",
    "digits, scikit-learn": "import torch\nfrom sklearn.datasets import load_digits\nload_digits()",
    "table trial's imports": "import nasbench.backends.ray.trainable, nasbench.evaluators.tabular",
    "table trial's imports + torch": "import nasbench.backends.ray.trainable, nasbench.evaluators.tabular, torch",
    "bare interpreter": "pass",
}


def wall(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.repeats):
        for name, code in CASES.items():
            times[name].append(wall(code))
    print(f"| fresh process ({sys.executable} -c ...) | wall, median of {args.repeats} |")
    print("|---|---|")
    for name, seconds in times.items():
        print(f"| {name} | {statistics.median(seconds):.2f} s |")


if __name__ == "__main__":
    main()
