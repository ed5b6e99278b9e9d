"""Trial-table writes of a look-up search, three ways side by side.

A NAS-Bench-201 look-up answers in microseconds, so a long evolution run is bound by rewriting
``trials.csv``. Each configuration runs the same search (evo, seed 0) alternating, in this process:

- "naive": every event (ask, repeat, result) rewrites the table, re-formatting every row;
- "line cache": every event rewrites the table, re-formatting only rows that changed (``TableText``);
- "shipped": line cache, and fast events (these look-ups, repeated proposals) batched so that
  writing takes at most ``session.WRITE_SHARE`` of the time (an evaluation of a second or more is
  still written when it starts and when it ends).

    python benchmarks/table_writes.py --data ../shared/data/nb201 --budget 1000 --rounds 3
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from nasbench import search as searching
from nasbench import session
from nasbench.config import SearchConfig
from nasbench.storage.table_text import TableText


class NaiveTable(TableText):
    """Formats every row on every write, as a table without a line cache would."""

    def text(self) -> str:
        self._lines = {n: self._render(r) for n, r in self._rows.items()}
        return super().text()


CONFIGURATIONS = {  # name: (table class, the most of the time writing may take)
    "naive": (NaiveTable, math.inf),
    "line cache": (TableText, math.inf),
    "shipped": (TableText, session.WRITE_SHARE),
}


def timed_search(data: str, budget: int, table: type, share: float) -> tuple[float, bytes]:
    session.TableText, session.WRITE_SHARE = table, share
    with tempfile.TemporaryDirectory() as tmp:
        config = SearchConfig(
            space="nb201", strategy="evo", evaluator="tabular", budget=budget, seed=0, evaluator_options={"path": data}
        )
        search = searching.start(config, Path(tmp) / "run")
        started = time.perf_counter()
        search.run()
        seconds = time.perf_counter() - started
        table_file = Path(tmp) / "run" / "trials.csv"
        return seconds, pd.read_csv(table_file).drop(columns=["wall_seconds"]).to_csv().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/nb201")
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in CONFIGURATIONS}
    tables = {}
    for _ in range(args.rounds):
        for name, (table, share) in CONFIGURATIONS.items():
            seconds, tables[name] = timed_search(args.data, args.budget, table, share)
            times[name].append(seconds)
    assert len(set(tables.values())) == 1, "how the table is written must not change the trials"
    print(f"evo, budget {args.budget}, seed 0; median (min-max) of {args.rounds} rounds; the same trial table each way")
    naive = statistics.median(times["naive"])
    for name, seconds in times.items():
        median = statistics.median(seconds)
        print(f"{name:>10}: {median:6.2f} s ({min(seconds):.2f}-{max(seconds):.2f})  {naive / median:4.1f}x")


if __name__ == "__main__":
    main()
