"""Bayesian optimisation over architecture graphs: NAS-BOWL (Ru et al., ICLR 2021)."""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from nasbench.arch import Arch
from nasbench.errors import InvalidArchitecture, InvalidOption
from nasbench.proxies.names import proxy_names
from nasbench.proxies.source import ProxySource, combined_rank
from nasbench.storage.atomic import write_text
from nasbench.strategies import wl_gp
from nasbench.strategies.wl_features import WLFeatures
from nasbench.strategy import Strategy
from nasbench.trial import Outcome, Trial, TrialState

#: the file, in the run folder, of the sub-structures the surrogate credits most
FEATURE_TABLE = "bo_features.csv"
#: hyperparameters (h, noise) are chosen again once the observations grew by this fraction ...
REFIT_GROWTH = 0.1
#: ... and at every ask while there are fewer than this many
REFIT_ALWAYS = 20
#: random draws tried for an architecture not yet asked before one already asked is accepted
MAX_REDRAWS = 100


class WLBayesOpt(Strategy):
    """A GP on Weisfeiler-Lehman subtree features of the graphs, maximising expected improvement.

    The first ``n_initial`` trials are the space's starting points (``SearchSpace.starting_points``: a
    supernet's largest child, say; at most half of them, none when ``starting_points`` is false), then
    random ones. After that each trial is the candidate of largest
    expected improvement in a pool of ``pool_mutations`` mutations of each of the ``pool_parents``
    best networks so far, plus ``pool_random`` random samples; the pool is drawn through the
    space's ``sample`` and ``mutate``, so it works on every space and honours hard constraints.
    The kernel sums WL features over 0..h iterations, with h (up to ``wl_iterations``) and the
    noise chosen by marginal likelihood at every ask. Trials still running are given the value
    the GP predicts for them (kriging believer), so parallel workers get distinct proposals.
    Failed trials are left out of the model; pruned ones enter it with their truncated value.

    With ``proxies`` (zero-cost proxies, e.g. ``synflow``), each initial trial is the best-ranked of
    ``proxy_pool`` random candidates, and the acquisition weighs only the ``proxy_keep`` share of the
    pool the proxies rank highest, until ``proxy_until`` networks are observed (0: throughout). The
    default, 10 (the initial design's default size), measured best on NAS-Bench-201: past the initial
    design the GP knows more than the proxies, and filtering longer loses at K = 100 (docs/BENCHMARKS.md).
    """

    name = "bo"
    options_of_older_runs = {"starting_points": False}

    def __init__(
        self,
        space,
        *,
        seed: int = 0,
        n_initial: int = 10,
        wl_iterations: int = 2,
        pool_parents: int = 10,
        pool_mutations: int = 10,
        pool_random: int = 100,
        warp: bool = True,
        proxies: str = "",
        proxy_dataset: str = "cifar10",
        proxy_pool: int = 100,
        proxy_keep: float = 0.5,
        proxy_until: int = 10,
        starting_points: bool = True,
    ) -> None:
        for option, value, least in (
            ("n_initial", n_initial, 2),
            ("wl_iterations", wl_iterations, 0),
            ("pool_parents", pool_parents, 0),
            ("pool_mutations", pool_mutations, 0),
            ("pool_random", pool_random, 0),
            ("proxy_until", proxy_until, 0),
        ):
            if value < least:
                raise InvalidOption(f"{option} must be at least {least}, got {value}")
        if pool_random == 0 and pool_parents * pool_mutations == 0:
            raise InvalidOption("the candidate pool is empty: give pool_random or pool_parents and pool_mutations")
        if proxy_pool < 1 or not 0 < proxy_keep <= 1:
            raise InvalidOption(f"proxy_pool must be positive and proxy_keep in (0, 1], got {proxy_pool}, {proxy_keep}")
        super().__init__(space, seed=seed)
        self.proxies = proxies
        self.proxy_dataset = proxy_dataset
        self.proxy_pool = proxy_pool
        self.proxy_keep = proxy_keep
        self.proxy_until = proxy_until
        self._proxies = ProxySource(space, proxy_names(proxies), proxy_dataset) if proxies else None
        self.n_initial = n_initial
        self.wl_iterations = wl_iterations
        self.pool_parents = pool_parents
        self.pool_mutations = pool_mutations
        self.pool_random = pool_random
        self.warp = warp
        self.starting_points = starting_points
        self._starts = self.starts(starting_points, n_initial)
        self._features = WLFeatures(wl_iterations)
        self._asked_keys: set[bytes] = set()  # feature keys of every trial asked
        self._pending: dict[int, Arch] = {}  # asked, not told
        self._hyper: tuple[int, float, int] | None = None  # h, noise, and how many observations chose them
        self._reservoir: list[Arch] = []  # random candidates, renewed a tenth at a time
        self._observed: list[Arch] = []
        self._values: list[float] = []

    @classmethod
    def defaults_for_budget(cls, budget: int) -> dict:
        """Ten random trials need a budget of about 40 to leave room for the model; fewer below that."""
        return {"n_initial": min(10, max(2, budget // 4))}

    def spent_seconds(self) -> float:
        """The seconds the proxies that ranked candidates cost (what the shipped NAS-Bench-201 table's took)."""
        return 0.0 if self._proxies is None else self._proxies.spent

    # ---------------------------------------------------------------- proposing
    def _key(self, arch: Arch) -> bytes:
        """Networks with equal WL features are one candidate: equivalent ones (same graph hash) always are."""
        return self._features.key(arch, self.space.to_graph)

    def _propose(self, number: int) -> Arch:
        if number < len(self._starts):
            arch = self._starts[number]
        elif number < self.n_initial or len(self._observed) < 2:
            arch = self._random_new() if self._proxies is None else self._best_by_proxies()
        else:
            arch = self._most_promising()
        self._pending[number] = arch
        self._asked_keys.add(self._key(arch))
        return arch

    def _random_new(self) -> Arch:
        for _ in range(MAX_REDRAWS):
            arch = self.space.sample(self.rng)
            if self._key(arch) not in self._asked_keys:
                return arch
        return arch  # the space looks exhausted; the search stops on repeats

    def _pool(self) -> list[Arch]:
        """Candidates not asked before, each network once, in the order drawn.

        The random part is a standing reservoir of ``pool_random`` samples of which a tenth is
        redrawn at each ask: as much exploration as fresh samples, at a tenth of the cost of
        computing features of networks never seen.
        """
        order = sorted(range(len(self._values)), key=lambda i: -self._values[i])[: self.pool_parents]
        mutate, sample, copies = self.space.mutate, self.space.sample, range(self.pool_mutations)
        drawn = _accepted(partial(mutate, self._observed[i], self.rng) for i in order for _ in copies)
        kept = [a for a in self._reservoir if self._key(a) not in self._asked_keys]
        kept = kept[min(len(kept), max(1, self.pool_random // 10)) :]  # the oldest make way
        samples = _accepted(partial(sample, self.rng) for _ in range(self.pool_random - len(kept)))
        self._reservoir = kept + samples
        pool, keys = [], set(self._asked_keys)
        for arch in drawn + self._reservoir:
            key = self._key(arch)
            if key not in keys:
                keys.add(key)
                pool.append(arch)
        return pool

    def _best_by_proxies(self) -> Arch:
        """The initial design with proxies: of ``proxy_pool`` random candidates not asked before, the one
        the proxies rank first."""
        pool, keys = [], set(self._asked_keys)
        for _ in range(self.proxy_pool):
            arch = self._random_new()
            if self._key(arch) not in keys:
                keys.add(self._key(arch))
                pool.append(arch)
        ranks = combined_rank([self._proxies(arch) for arch in pool])
        return pool[int(np.argmax(ranks))] if pool else self._random_new()

    def _proxy_filters(self) -> bool:
        """Whether the proxies still filter the pool: until ``proxy_until`` networks are observed (0: always)."""
        if self._proxies is None:
            return False
        return self.proxy_until == 0 or len(self._observed) < self.proxy_until

    def _most_promising(self) -> Arch:
        pool = self._pool()
        if not pool:
            return self._random_new()
        if self._proxy_filters():  # the acquisition weighs only the candidates the proxies rank highest
            ranks = combined_rank([self._proxies(arch) for arch in pool])
            keep = max(1, math.ceil(self.proxy_keep * len(pool)))
            pool = [pool[i] for i in sorted(np.argsort(-ranks, kind="stable")[:keep])]
        # the GP's products are tiny: BLAS threads would spend most of the time waking up (3x slower)
        with threadpool_limits(limits=1):
            model, train = self._fit()
            mean, std = model.predict(self._cross(pool, train, model.depth))
        improvement = wl_gp.expected_improvement(mean, std, float(np.max(self._targets())))
        return pool[int(np.argmax(improvement))]

    # ------------------------------------------------------------------ the model
    def _counts(self, archs: list[Arch]):
        return self._features.matrix(archs, self.space.to_graph)

    def _fit(self) -> tuple[wl_gp.FittedGP, list[Arch]]:
        """The GP on the observed networks, running ones counted at their predicted value (kriging believer)."""
        counts = self._counts(self._observed)
        levels = self._features.levels()
        grams = wl_gp.level_grams(counts, counts, levels, self.wl_iterations)
        norms = wl_gp.squared_norms(counts, levels, self.wl_iterations)
        n = len(self._observed)
        if self._hyper is None or n >= self._hyper[2] * (1 + REFIT_GROWTH) or n < REFIT_ALWAYS:
            model = wl_gp.fit(grams, norms, self._targets(), range(self.wl_iterations + 1))
            self._hyper = (model.depth, model.noise, n)
        else:
            depth, noise, _ = self._hyper
            model = wl_gp.refit(grams[depth], norms[depth], self._targets(), depth, noise)
        pending = [self._pending[n] for n in sorted(self._pending)]
        if not pending:
            return model, self._observed
        believed, _ = model.predict(self._cross(pending, self._observed, model.depth))
        train = self._observed + pending
        counts = self._counts(train)
        levels = self._features.levels()
        gram = wl_gp.level_grams(counts, counts, levels, model.depth)[model.depth]
        norms = wl_gp.squared_norms(counts, levels, model.depth)[model.depth]
        y = (np.concatenate([self._targets(), believed]) - model.mean) / model.scale
        kernel = wl_gp.normalised(gram, norms, norms)
        refitted = wl_gp.posterior(
            kernel, y, model.depth, model.noise, model.signal, model.log_likelihood, model.mean, model.scale
        )
        return refitted, train

    def _targets(self) -> np.ndarray:
        """What the GP models: the observed values, or their Gaussian ranks with ``warp``."""
        values = np.asarray(self._values, dtype=np.float64)
        return wl_gp.gaussian_ranks(values) if self.warp else values

    def _cross(self, candidates: list[Arch], train: list[Arch], depth: int) -> np.ndarray:
        """The normalised kernel between candidates and training networks, over iterations 0..depth."""
        left = self._counts(candidates)
        right = self._counts(train)
        levels = self._features.levels()
        left.resize(left.shape[0], len(levels))  # the vocabulary may have grown since ``left`` was built
        right.resize(right.shape[0], len(levels))
        gram = wl_gp.level_grams(left, right, levels, depth)[depth]
        left_norms = wl_gp.squared_norms(left, levels, depth)[depth]
        right_norms = wl_gp.squared_norms(right, levels, depth)[depth]
        return wl_gp.normalised(gram, left_norms, right_norms)

    def tell(self, trial: Trial, outcome: Outcome) -> None:
        self._pending.pop(trial.number, None)
        if outcome.state is TrialState.FAIL:
            return
        self._observed.append(trial.arch)
        self._values.append(float(outcome.values[0]))

    # -------------------------------------------------------------- explaining
    def feature_credits(self, top: int = 10, bottom: int = 5) -> pd.DataFrame:
        """The WL features (an operation and what feeds it) that raise or lower the GP's prediction most.

        ``credit`` is how much one more occurrence of the feature moves the predicted value of a
        typical evaluated network (the GP mean is linear in the normalised feature counts), in
        standard deviations of the values the GP models (their Gaussian ranks with ``warp``).
        """
        if len(self._observed) < 2:
            return pd.DataFrame(columns=["feature", "iterations", "credit", "networks", "mean_with", "mean_without"])
        counts = self._counts(self._observed)
        levels = self._features.levels()
        grams = wl_gp.level_grams(counts, counts, levels, self.wl_iterations)
        norms = wl_gp.squared_norms(counts, levels, self.wl_iterations)
        model = wl_gp.fit(grams, norms, self._targets(), range(self.wl_iterations + 1))  # leaves the state alone
        norms = np.sqrt(np.maximum(wl_gp.squared_norms(counts, levels, model.depth)[model.depth], wl_gp.MIN_SPREAD))
        used = levels <= model.depth
        weights = counts.T @ (model.weights / norms) * model.scale / float(np.mean(norms))
        present = (counts > 0).toarray()
        values = np.asarray(self._values)
        rows = []
        for column in np.flatnonzero(used):
            has = present[:, column]
            if not has.any():  # met only among candidates never evaluated: no credit, nothing to say
                continue
            rows.append(
                {
                    "column": column,
                    "iterations": int(levels[column]),
                    "credit": float(weights[column]),
                    "networks": int(has.sum()),
                    "mean_with": float(values[has].mean()),
                    "mean_without": float(values[~has].mean()) if (~has).any() else math.nan,
                }
            )
        table = pd.DataFrame(rows).sort_values(["credit", "column"], ascending=[False, True], kind="stable")
        table = table[table.networks < len(values)]  # a feature every network has explains nothing
        chosen = pd.concat([table.head(top), table.iloc[max(top, len(table) - bottom) :]])
        chosen.insert(0, "feature", [self._features.describe(c, self.space.to_graph) for c in chosen.column])
        return chosen.drop(columns="column").reset_index(drop=True)

    def summary(self, folder: Path) -> str | None:
        table = self.feature_credits()
        if table.empty:
            return None
        path = Path(folder) / FEATURE_TABLE
        write_text(path, table.to_csv(index=False, float_format="%.6g"))
        best = table.iloc[0]
        return (
            f"bo credits most: {best.feature} ({best.credit:+.3g} s.d. of the model's values per occurrence); "
            f"sub-structures: {path}"
        )


def _accepted(draws) -> list[Arch]:
    """The architectures ``draws`` (callables) make, less those the space refuses: one bad draw must not
    throw out the whole pool (the strategy would count it as a refused proposal)."""
    accepted = []
    for draw in draws:
        try:
            accepted.append(draw())
        except InvalidArchitecture:
            continue
    return accepted
