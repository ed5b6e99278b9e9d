"""What a search shows while it runs and when it ends."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from tqdm import tqdm

from nasbench.results import TrialRecord
from nasbench.trial import TrialState

if TYPE_CHECKING:
    from nasbench.search import Search


def format_metrics(metrics: dict[str, float]) -> str:
    return "  ".join(f"{k} {_number(v)}" for k, v in metrics.items())


def _number(value: float) -> str:
    if float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return f"{value:.4g}" if abs(value) >= 1e4 else f"{value:.4f}".rstrip("0").rstrip(".")


class Progress:
    """A progress bar over the evaluation budget (a line per trial when stderr is not a terminal)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.bar: tqdm | None = None
        self.search: Search | None = None
        self.best_value: float | None = None

    def start(self, search: Search) -> None:
        self.search = search
        session = search.session
        done = sum(1 for r in session.records.values() if r.evaluated and r.state is not TrialState.RUNNING)
        if not self.quiet and sys.stderr.isatty():
            self.bar = tqdm(
                total=session.budget,
                initial=done,
                desc=f"{search.config.space}/{search.config.strategy}",
                unit="net",
                file=sys.stderr,
            )

    def record(self, record: TrialRecord) -> None:
        if self.quiet or self.search is None:
            return
        if record.values is not None and (self.best_value is None or record.values[0] > self.best_value):
            self.best_value = record.values[0]
        if not record.evaluated:
            return
        if self.bar is not None:
            self.bar.update(1)
            if self.best_value is not None:
                self.bar.set_postfix(best=f"{self.best_value:.4g}")
        else:
            detail = record.error or format_metrics(record.metrics)
            print(f"trial {record.number}: {record.state.value} {record.arch}  {detail}", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def summary(self, best: TrialRecord | None, seconds: float) -> None:
        assert self.search is not None
        records = list(self.search.session.records.values())
        evaluated = [r for r in records if r.evaluated]
        repeats = sum(r.duplicate_of is not None for r in records)
        refused = sum(bool(r.violates) for r in records)
        failed = sum(r.state is TrialState.FAIL for r in evaluated)
        pruned = sum(r.state is TrialState.PRUNED for r in evaluated)
        if best is None:
            print("no trial completed")
        else:
            print(f"best: trial {best.number}  {best.arch}")
            print(f"  {format_metrics(best.metrics)}")
        refusals = f", {refused} proposals refused by the cost constraints" if refused else ""
        print(
            f"evaluated {len(evaluated)} networks ({failed} failed, {pruned} stopped early, "
            f"{repeats} repeated proposals answered from cache{refusals}) in {seconds:.1f} s"
        )
        print(f"results: {self.search.folder.trials_path}")
