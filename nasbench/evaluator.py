"""Evaluators: architecture and budget in, metrics out.

An evaluator is a small picklable object, so a Ray worker can receive it and call it on an
architecture it decoded from its string.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from nasbench.arch import Arch
from nasbench.trial import Budget

if TYPE_CHECKING:
    from nasbench.space import DataSpec

Metrics = dict[str, float]
#: called by an evaluator after each epoch with the metrics so far; early-stopping schedulers use it
Reporter = Callable[[int, Metrics], None]


class Evaluator(ABC):
    """Turns an architecture into metrics: a table look-up, training from scratch, a supernet, ...

    A search creates a registered evaluator as ``Evaluator(space, **options)``: ``space`` is the
    run's search space (without its cost constraints) and ``options`` are the evaluator options of
    ``config.json`` (``-E key=value`` on the command line, typed by the constructor's defaults or
    annotations). The same call rebuilds it on resume, so everything it needs must be an option.
    It must pickle: Ray sends it to its workers.

    ``__call__`` and ``metric_names`` are required. The other methods are optional hooks whose
    defaults suit an evaluator that looks results up: override the ones that apply.
    """

    #: an evaluation takes microseconds (a table look-up): a search then runs it in this process
    #: unless told otherwise, with a budget of 100 by default (Ray would only add overhead, and
    #: results arriving in timing order would make the trajectory depend on the machine)
    in_process: ClassVar[bool] = False
    #: evaluations a search makes when no --budget is given
    default_budget: ClassVar[int] = 12

    @abstractmethod
    def __call__(self, arch: Arch, budget: Budget, *, seed: int, report: Reporter | None = None) -> Metrics:
        """Train or look up ``arch``; raise ``CandidateFailed`` when it cannot be evaluated.

        ``seed`` fixes everything random about the evaluation; ``report(epoch, metrics)``, when
        given, receives intermediate results (early-stopping schedulers rank candidates by them).
        """

    @abstractmethod
    def metric_names(self) -> tuple[str, ...]:
        """The metrics every successful call returns, so an objective can be checked up front."""

    def data_spec(self) -> DataSpec | None:
        """The input and classes candidates are trained on; ``None`` (the default): no input data.

        Cost constraints and cost objectives count networks built for it (for the space's default
        data when ``None``), and export builds networks for it.
        """
        return None

    def check_device(self) -> None:
        """Refuse a device this machine does not have, where candidates will run here: no-op by default."""

    def cost_seconds(self, metrics: Metrics, wall_seconds: float) -> float:
        """What an evaluation costs against a search's time budget (``--time-budget``): the wall time it
        took, by default. A look-up says what its training would have cost instead (simulated seconds)."""
        return wall_seconds

    def budget_defaults(self) -> Budget:
        """What a trial's budget means where neither the search (``--epochs``) nor the trial sets a field:
        one epoch, one report per candidate, by default. A search fills its trial budget from this, so an
        early-stopping scheduler places its rungs by the epochs every trial actually trains for."""
        return Budget(epochs=1)

    def options(self) -> dict[str, Any]:
        """The constructor keywords, defaults included, that recreate this evaluator (kept in ``config.json``),
        read off the constructor: keep each option as an attribute of the same name
        (``nasbench.options.constructor_options``), or override this."""
        from nasbench.options import constructor_options

        return constructor_options(self)

    @property
    def uses_gpu(self) -> bool:
        """Whether a candidate runs on a GPU when there is one, so a backend reserves one per trial (default no)."""
        return False

    def attach_run_folder(self, path: Path) -> None:
        """Called with the run folder at start and on resume, before any evaluation, for an evaluator
        that keeps files of its own (trained weights); no-op by default. The path is never stored in
        ``config.json``, so a run folder can be moved."""


def run_evaluation(evaluator: Evaluator, arch: Arch, budget: Budget, *, seed: int, report: Reporter | None = None):
    """Call an evaluator and turn what happens into a ``Finished`` outcome.

    A candidate that raises is a failed trial and the search goes on; a ``NasbenchError`` is the
    user's problem (missing data, say) and stops the search with its message.
    """
    import time

    from nasbench.errors import CandidateFailed, NasbenchError
    from nasbench.trial import Finished, TrialState

    start = time.perf_counter()
    try:
        metrics = evaluator(arch, budget, seed=seed, report=report)
    except CandidateFailed as exc:
        return Finished(TrialState.FAIL, error=str(exc), wall_seconds=time.perf_counter() - start)
    except NasbenchError:
        raise
    except Exception as exc:  # a candidate that breaks must not end the search
        return Finished(TrialState.FAIL, error=f"{type(exc).__name__}: {exc}", wall_seconds=time.perf_counter() - start)
    return Finished(TrialState.COMPLETE, metrics=dict(metrics), wall_seconds=time.perf_counter() - start)
