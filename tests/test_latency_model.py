"""Latency models: units that are the network, calibration (resumable), prediction without building, the
model in searches, and every refusal in one line."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from nasbench.catalog import SPACES
from nasbench.costs.calibration import Settings, calibrate
from nasbench.costs.counting import count_params
from nasbench.costs.latency_model import LatencyModel
from nasbench.errors import InvalidOption, ResultsError
from nasbench.space import DataSpec, LatencyUnits

pytestmark = pytest.mark.usefixtures("one_thread")

DIGITS = DataSpec(1, 8, 8, 10)
#: a small MBConv space: few distinct units, so calibration takes seconds
TINY = {"base": "tiny", "kernels": "3", "expansions": "1,3", "se_ratios": "0.0", "widths": "1.0", "repeat_offsets": "0"}
QUICK = Settings(samples=20, networks=6, warmup=1, repeats=3, rounds=1)

SPACES_BUILT = {
    "mbconv": {"base": "tiny"},
    "mbconv-supernet": {},
    "vit": {},
    "vit-supernet": {},
    "nb201": {"filters": 8, "cells": 2},
    "nasnet": {"cells": 2, "filters": 8},
    "nasnet-imagenet": {"cells": 1, "filters": 16, "stem": "imagenet", "skip_reduction_input": True},
}


@pytest.mark.parametrize("name", sorted(SPACES_BUILT))
def test_the_units_are_the_network(name):
    """The units hold the network's parameters exactly (its channels and kinds are right) and each runs on
    the input it declares (its shape is right); the auxiliary head runs in training only, so it is none."""
    options = dict(SPACES_BUILT[name])
    space = SPACES.create(name.split("-imagenet")[0], **options)
    data = DataSpec(3, 32, 32, 10) if "imagenet" in name else DIGITS
    rng = np.random.default_rng(0)
    for _ in range(4):
        arch = space.sample(rng)
        units = space.capability(LatencyUnits).latency_units(arch, data)
        network = space.build(arch, data)
        aux = network.aux_head if name.startswith("nasnet") and network.aux_head is not None else None
        total = 0
        for unit in units:
            module = unit.build().eval()
            total += count_params(module)
            with torch.no_grad():
                module(torch.zeros(1, *unit.shape))
        assert total == count_params(network) - (count_params(aux) if aux is not None else 0)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("latency") / "tiny.json"
    calibrate("mbconv", TINY, DIGITS, path, threads=1, settings=QUICK)
    return path


def test_a_calibrated_model_predicts_held_out_networks_without_building_them(model_path):
    model = LatencyModel.load(model_path)
    assert model.complete and model.target.threads == 1 and model.target.device == "cpu"
    assert model.environment["torch"] == torch.__version__ and len(model.networks) == QUICK.networks
    space = SPACES.create("mbconv", **TINY)
    rng = np.random.default_rng(123)
    held_out = [space.sample(rng) for _ in range(6)]
    from nasbench.costs.latency import measure_latency_ms

    for arch in held_out:
        prediction = model.predict(arch)
        units = space.latency_units(arch, DIGITS)
        table = sum(model.units[u.name] for u in units)  # every unit of this small space was timed
        fit = model.fit
        assert prediction.estimated == 0 and prediction.units == len(units)
        assert prediction.ms == pytest.approx(fit["intercept"] + fit["scale"] * table + fit["per_unit"] * len(units))
        measured = measure_latency_ms(space.build(arch, DIGITS), (1, 8, 8), repeats=20)
        assert 0.33 < prediction.ms / measured < 3.0  # a sanity bound; the accuracy is benchmarked, not tested


def test_an_interrupted_calibration_resumes_and_keeps_what_it_measured(tmp_path):
    path = tmp_path / "model.json"

    def stop_after_five(stage: str, done: int, total: int) -> None:
        if stage == "units" and done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        calibrate("mbconv", TINY, DIGITS, path, threads=1, settings=QUICK, progress=stop_after_five)
    partial = LatencyModel.load(path)
    assert not partial.complete and len(partial.units) == 5
    with pytest.raises(InvalidOption, match="not finished"):
        partial.check_for(partial.target, path)
    seen = []
    model = calibrate("mbconv", TINY, DIGITS, path, threads=1, settings=QUICK, progress=lambda *a: seen.append(a))
    assert model.complete and len(model.units) > 5
    assert all(model.units[name] == ms for name, ms in partial.units.items())  # kept, not measured again
    with pytest.raises(InvalidOption, match="holds a calibration for threads 1, not 2"):
        calibrate("mbconv", TINY, DIGITS, path, threads=2, settings=QUICK)


def test_a_search_predicts_latency_and_measures_none(cli, model_path, tmp_path):
    out = tmp_path / "run"
    argv = ["search", "--space", "mbconv", "--strategy", "random", "--budget", "3", "--epochs", "1",
            "--backend", "local", "-E", "cpu_threads=1", "--max-latency-ms", "100", "--latency-model",
            str(model_path)]  # fmt: skip
    for pair in TINY.items():
        argv += ["-O", "=".join(pair)]
    code, _, err = cli(*argv, "--out", str(out), "--quiet")
    assert code == 0, err
    table = pd.read_csv(out / "trials.csv")
    model, space = LatencyModel.load(model_path), SPACES.create("mbconv", **TINY)
    # predicted (no objective asks for it: the table shows what the constraint acted on)
    assert list(table.latency_ms) == [model.predict_ms(space.decode(a)) for a in table.arch]
    assert json.loads((out / "costs.json").read_text()) == {}  # nothing measured
    config = json.loads((out / "config.json").read_text())
    assert config["latency_model"] == str(model_path) and len(config["latency_model_digest"]) == 16
    assert "measure_latency" not in config["evaluator_options"] or not config["evaluator_options"]["measure_latency"]
    model_path.write_text(model_path.read_text().replace('"complete": true', '"complete": true '))
    code, _, err = cli("search", "--resume", str(out), "--budget", "4", "--quiet")
    assert code == 2 and "has changed since the run started" in err and err.count("\n") == 1


def test_a_model_for_anything_else_is_refused_in_one_line(cli, model_path, tmp_path):
    base = ["search", "--space", "mbconv", "--budget", "2", "--epochs", "1", "--backend", "local",
            "--max-latency-ms", "5", "--out", str(tmp_path / "x")]  # fmt: skip
    tiny = [arg for pair in TINY.items() for arg in ("-O", "=".join(pair))]
    cases = [
        (["-O", "base=tiny", "-E", "cpu_threads=1"], "space option expansions '1,3', not '1,3,4,6'"),
        ([*tiny, "-E", "cpu_threads=2"], "threads 1, not 2"),
    ]
    for extra, message in cases:
        code, _, err = cli(*base, *extra, "--latency-model", str(model_path))
        assert code == 2 and message in err and err.count("\n") == 1, err
        assert not (tmp_path / "x").exists()
    model = LatencyModel.load(model_path)
    cifar = replace(model.target, data={**model.target.data, "channels": 3, "height": 32, "width": 32})
    with pytest.raises(InvalidOption, match="calibrated for data channels 1, not 3"):
        model.check_for(cifar, model_path)
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text("{not json")
    code, _, err = cli(*base, *tiny, "-E", "cpu_threads=1", "--latency-model", str(corrupt))
    assert code == 2 and "corrupt latency model" in err
    with pytest.raises(ResultsError, match="is not a nasbench latency model"):
        (tmp_path / "other.json").write_text("{}")
        LatencyModel.load(tmp_path / "other.json")


def test_the_commands_predict_and_validate(cli, model_path, tmp_path):
    space = SPACES.create("mbconv", **TINY)
    arch = space.encode(space.sample(np.random.default_rng(5)))
    code, out, err = cli("latency", "predict", str(model_path), "--arch", arch)
    assert code == 0 and out.strip().endswith(arch) and float(out.split()[0]) > 0
    code, out, err = cli("latency", "predict", str(model_path), "--arch", "not-an-mbconv")
    assert code == 2 and err.count("\n") == 1
    figures = tmp_path / "v.json"
    code, out, err = cli("latency", "validate", str(model_path), "--sample", "4", "--rounds", "2", "--json",
                         str(figures), "--plot", str(tmp_path / "v.png"), "--quiet")  # fmt: skip
    assert code == 0, err
    assert "predicted within +-10 %" in out and (tmp_path / "v.png").exists()
    result = json.loads(figures.read_text())
    assert {"share_within_10pct", "median_ape", "p95_ape", "networks", "noise_floor_ape"} <= set(result)
    assert result["networks"] == 4 and len(result["per_network"]) == 4
    code, _, err = cli("latency", "calibrate", "--space", "nope", "--out", str(tmp_path / "m.json"))
    assert code == 2 and "unknown" in err and err.count("\n") == 1
