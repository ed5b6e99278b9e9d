"""The registries of built-in spaces, strategies, evaluators and backends."""

from __future__ import annotations

from nasbench.backend import Backend
from nasbench.backends.local import LocalBackend
from nasbench.backends.ray import RayBackend
from nasbench.evaluator import Evaluator
from nasbench.evaluators.proxies import ProxyEvaluator
from nasbench.evaluators.supernet import SupernetEvaluator
from nasbench.evaluators.tabular import TabularEvaluator
from nasbench.evaluators.training import TrainingEvaluator
from nasbench.registry import Registry
from nasbench.search_spaces.mbconv import MBConvSpace
from nasbench.search_spaces.mbconv_supernet import MBConvSupernetSpace
from nasbench.search_spaces.nasnet import NASNetSpace
from nasbench.search_spaces.nb201 import NB201Space
from nasbench.search_spaces.vit import ViTSpace
from nasbench.search_spaces.vit_supernet import ViTSupernetSpace
from nasbench.space import SearchSpace
from nasbench.strategies import OptunaNSGA2, OptunaTPE, RandomSearch, RegularizedEvolution, Reinforce, Sweep, WLBayesOpt
from nasbench.strategy import Strategy

SPACES = Registry(
    "space",
    "nasbench.spaces",
    SearchSpace,
    {
        "nasnet": NASNetSpace,
        "nb201": NB201Space,
        "mbconv": MBConvSpace,
        "vit": ViTSpace,
        "mbconv-supernet": MBConvSupernetSpace,
        "vit-supernet": ViTSupernetSpace,
    },
)
STRATEGIES = Registry(
    "strategy",
    "nasbench.strategies",
    Strategy,
    {
        "random": RandomSearch,
        "evo": RegularizedEvolution,
        "rl": Reinforce,
        "tpe": OptunaTPE,
        "nsga2": OptunaNSGA2,
        "bo": WLBayesOpt,
        "sweep": Sweep,
    },
)
EVALUATORS = Registry(
    "evaluator",
    "nasbench.evaluators",
    Evaluator,
    {"tabular": TabularEvaluator, "train": TrainingEvaluator, "supernet": SupernetEvaluator, "proxies": ProxyEvaluator},
)
BACKENDS = Registry("backend", "nasbench.backends", Backend, {"local": LocalBackend, "ray": RayBackend})
