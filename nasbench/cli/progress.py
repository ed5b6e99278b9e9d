"""What a search shows while it runs and when it ends."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from tqdm import tqdm

from nasbench.objective import Objective
from nasbench.results import TrialRecord
from nasbench.trial import TrialState

if TYPE_CHECKING:
    from nasbench.search import Search


#: metrics a trial's line shows besides the objective's, when the evaluator reports them
SHOWN_METRICS = ("valid_accuracy", "test_accuracy", "train_seconds")
#: characters of an error shown on a trial's line (the whole message is in the table)
ERROR_CHARS = 100


def format_metrics(metrics: dict[str, float]) -> str:
    return "  ".join(f"{k} {_number(v)}" for k, v in metrics.items())


def trial_line(record: TrialRecord, objective: Objective) -> str:
    """One short line: number, state, objective, a few metrics, parameters, multiply-adds, a short hash.

    The architecture's string can run to hundreds of characters (NASNet); it is in the trial table.
    """
    parts = [f"trial {record.number}: {record.state.value}"]
    if record.values is not None:
        parts.append("value " + " / ".join(_number(v) for v in record.values))
    targets = [t.metric for t in objective.targets] + ([objective.penalty.metric] if objective.penalty else [])
    shown = [*dict.fromkeys([*targets, *SHOWN_METRICS, "params", "macs"])]
    parts += [f"{k} {_number(record.metrics[k])}" for k in shown if k in record.metrics]
    if record.error:
        error = record.error if len(record.error) <= ERROR_CHARS else record.error[: ERROR_CHARS - 3] + "..."
        parts.append(error)
    parts.append(f"hash {record.hash[:8]}")
    return "  ".join(parts)


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
            print(trial_line(record, self.search.objective), file=sys.stderr)

    def say(self, text: str) -> None:
        """A line on stderr; with a progress bar showing, printed above it rather than over it."""
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr)

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
        invalid = self.search.strategy.refused  # decisions that made no architecture: no trial, no budget
        refusals += f", {invalid} proposals the space refused as no architecture" if invalid else ""
        print(
            f"evaluated {len(evaluated)} networks ({failed} failed, {pruned} stopped early, "
            f"{repeats} repeated proposals answered from cache{refusals}) in {seconds:.1f} s"
        )
        print(f"results: {self.search.folder.trials_path}")
